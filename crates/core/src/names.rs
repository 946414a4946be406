//! Deterministic names of the objects the planner creates (shadow columns, sync triggers,
//! soft-dropped objects). `migrate purge` finds soft-dropped objects by these names.

use sha2::{Digest, Sha256};

/// PostgreSQL truncates identifiers to 63 bytes; MySQL allows 64 characters.
pub const MAX_IDENT_BYTES: usize = 63;

/// Prefix of every soft-dropped column or table.
pub const SOFT_DROP_PREFIX: &str = "_sluice_dropped_";

/// `version` as it appears in generated names: ASCII alphanumerics, everything else `_`.
pub fn version_tag(version: &str) -> String {
    version
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// `<prefix><name><suffix>`, shortened to fit an identifier: the name part is cut on a char
/// boundary and an 8-hex hash of the full name keeps distinct names distinct.
pub fn fit(prefix: &str, name: &str, suffix: &str) -> String {
    let full = format!("{prefix}{name}{suffix}");
    if full.len() <= MAX_IDENT_BYTES {
        return full;
    }
    let hash = hex::encode(&Sha256::digest(name.as_bytes())[..4]);
    let room = MAX_IDENT_BYTES.saturating_sub(prefix.len() + suffix.len() + hash.len() + 1);
    let mut cut = room.min(name.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{prefix}{}_{hash}{suffix}", &name[..cut])
}

/// The name PostgreSQL 18 gives a column's NOT NULL constraint (`<table>_<column>_not_null`):
/// the planner and the runner name theirs the same, so a planned NOT NULL looks like a plain one.
pub fn pg_not_null(table: &str, column: &str) -> String {
    fit("", &format!("{table}_{column}"), "_not_null")
}

/// The CHECK constraint that proves `column IS NOT NULL` before `SET NOT NULL` (pg-locks.md:
/// a validated CHECK lets PostgreSQL skip the scan); the planner writes it, the runner's
/// NOT NULL strategy adds it, and lint recognises the `_sluice_nn` suffix.
pub fn not_null_check(table: &str, column: &str) -> String {
    fit("", &format!("{table}_{column}"), "_sluice_nn")
}

/// `_sluice_dropped_<name>_<version>`: what a soft drop renames a column or table to.
pub fn soft_drop(name: &str, version: &str) -> String {
    fit(
        SOFT_DROP_PREFIX,
        name,
        &format!("_{}", version_tag(version)),
    )
}

/// Whether `object` is a soft-dropped object of migration `version`.
pub fn is_soft_dropped_by(object: &str, version: &str) -> bool {
    object.starts_with(SOFT_DROP_PREFIX) && object.ends_with(&format!("_{}", version_tag(version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_plain() {
        assert_eq!(
            soft_drop("name", "20240101"),
            "_sluice_dropped_name_20240101"
        );
        assert_eq!(soft_drop("a", "1.2"), "_sluice_dropped_a_1_2");
        assert!(is_soft_dropped_by(
            "_sluice_dropped_name_20240101",
            "20240101"
        ));
        assert!(!is_soft_dropped_by("_sluice_dropped_name_20240101", "2024"));
    }

    #[test]
    fn long_names_fit_and_stay_distinct() {
        let a = "é".repeat(40);
        let b = format!("{}x", "é".repeat(40));
        let (sa, sb) = (
            soft_drop(&a, "20240101120000"),
            soft_drop(&b, "20240101120000"),
        );
        assert!(sa.len() <= MAX_IDENT_BYTES && sb.len() <= MAX_IDENT_BYTES);
        assert_ne!(sa, sb);
        assert!(is_soft_dropped_by(&sa, "20240101120000"));
    }
}
