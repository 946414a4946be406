//! The one registry of rules, sorted by id.

use super::rule::Rule;
use super::rules;

static RULES: &[&dyn Rule] = rules::ALL;

/// Every rule, sorted by id.
pub fn all() -> &'static [&'static dyn Rule] {
    RULES
}

/// A rule by id or alias (squawk's ids).
pub fn lookup(name: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().id == name || r.meta().aliases.contains(&name))
}

/// The name of `known` closest to a misspelt `name`, if one is close (Jaro-Winkler above
/// 0.85): for "did you mean" in messages about rule, directive and strategy names.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_unique_and_kebab_case() {
        let ids: Vec<_> = all().iter().map(|r| r.meta().id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            ids, sorted,
            "rules::ALL must be sorted by id, without duplicates"
        );
        for id in ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
        }
    }

    #[test]
    fn aliases_do_not_shadow_ids() {
        for r in all() {
            for a in r.meta().aliases {
                assert_eq!(lookup(a).map(|r| r.meta().id), Some(r.meta().id), "{a}");
            }
        }
    }
}
