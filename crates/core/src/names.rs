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

/// A name as PostgreSQL stores it: its first 63 bytes (cut on a char boundary).
pub fn pg_stored(name: &str) -> &str {
    let mut cut = MAX_IDENT_BYTES.min(name.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    &name[..cut]
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

/// The scratch table of the keys a batched delete of `statement` matched:
/// `_sluice_delete_<12 hex of the statement's SHA-256>`, the same on a re-run.
pub fn delete_keys(statement: &str) -> String {
    let hash = hex::encode(&Sha256::digest(statement.trim().as_bytes())[..6]);
    format!("_sluice_delete_{hash}")
}

/// The name PostgreSQL makes for an object of `name1` and `name2` (`makeObjectName`):
/// `<name1>_<name2>_<label>`, the longer of the two names cut first until it fits 63 bytes.
/// An unnamed inline constraint gets `<table>_<column>_fkey` / `_key` / `_check` so.
pub fn pg_object_name(name1: &str, name2: &str, label: &str) -> String {
    let avail = MAX_IDENT_BYTES.saturating_sub(1 + label.len() + 1);
    let (mut n1, mut n2) = (name1.len(), name2.len());
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let clip = |s: &str, mut n: usize| {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s[..n].to_owned()
    };
    format!("{}_{}_{label}", clip(name1, n1), clip(name2, n2))
}

/// `makeObjectName` without a second name: `<name1>_<label>`, `name1` cut to fit 63 bytes (a
/// primary key's `<table>_pkey`).
pub fn pg_object_name1(name1: &str, label: &str) -> String {
    let mut n = name1
        .len()
        .min(MAX_IDENT_BYTES.saturating_sub(1 + label.len()));
    while !name1.is_char_boundary(n) {
        n -= 1;
    }
    format!("{}_{label}", &name1[..n])
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
    fn object_names_are_cut_as_postgresql_cuts_them() {
        // read off PostgreSQL 15: ALTER TABLE .. ADD COLUMN .. REFERENCES p UNIQUE CHECK (..)
        let t = "identity_verification_codes";
        assert_eq!(
            pg_object_name(t, "selfservice_verification_flow_id", "fkey"),
            "identity_verification_codes_selfservice_verification_flow__fkey"
        );
        assert_eq!(
            pg_object_name(t, "selfservice_verification_flow_id2", "fkey1"),
            "identity_verification_codes_selfservice_verification_flow_fkey1"
        );
        assert_eq!(
            pg_object_name(t, "selfservice_verification_flow_id2", "check"),
            "identity_verification_codes_selfservice_verification_flow_check"
        );
        assert_eq!(
            pg_object_name(t, "selfservice_verification_flow_id2", "key"),
            "identity_verification_codes_selfservice_verification_flow_i_key"
        );
        assert_eq!(
            pg_object_name("post", "language_id", "fkey"),
            "post_language_id_fkey"
        );
    }

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
