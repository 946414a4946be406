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
