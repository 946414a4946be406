//! Tests of the shadow-table copy's SQL.

use super::sql::{Copy, copy_sql, index_pairs, upper_sql};
use super::*;

fn plan() -> ShadowTable {
    ShadowTable {
        table: ObjName::new(None, "accounts"),
        key: vec!["id".into()],
        alter: Some("ALTER COLUMN id TYPE bigint".into()),
        using: BTreeMap::new(),
        what: "ALTER TABLE",
        version: "7".into(),
    }
}

fn copy() -> Copy {
    Copy {
        insert: vec!["id".into(), "v".into()],
        select: vec!["CAST(id AS bigint)".into(), "v".into()],
        key_exprs: [("id".to_string(), "CAST(id AS bigint)".to_string())].into(),
    }
}

#[test]
fn batch_and_replay_sql() {
    let s = plan();
    assert_eq!(
        copy_sql(&s, &copy(), Some(&["10".into()]), Some(&["2'0".into()])),
        "INSERT INTO _sluice_shadow_accounts (id, v) OVERRIDING SYSTEM VALUE SELECT CAST(id AS bigint), v FROM \"accounts\" WHERE \"id\" > '10' AND \"id\" <= '2''0' ON CONFLICT DO NOTHING"
    );
    assert_eq!(
        upper_sql(&s, None, 500),
        "SELECT \"id\"::text AS sluice_k0 FROM \"accounts\" ORDER BY \"id\" LIMIT 1 OFFSET 499"
    );
    assert_eq!(
        replay_sql(&s, &copy()),
        [
            "DELETE FROM _sluice_shadow_accounts WHERE \"id\" IN (SELECT CAST(id AS bigint) FROM _sluice_shadow_accounts_log)",
            "INSERT INTO _sluice_shadow_accounts (id, v) OVERRIDING SYSTEM VALUE SELECT CAST(id AS bigint), v FROM accounts WHERE \"id\" IN (SELECT \"id\" FROM _sluice_shadow_accounts_log)",
            "DELETE FROM _sluice_shadow_accounts_log",
        ]
    );
    let mut two = plan();
    two.key = vec!["a".into(), "b".into()];
    assert_eq!(
        upper_sql(&two, Some(&["1".into(), "x".into()]), 1),
        "SELECT \"a\"::text AS sluice_k0, \"b\"::text AS sluice_k1 FROM \"accounts\" WHERE (\"a\", \"b\") > ('1', 'x') ORDER BY \"a\", \"b\" LIMIT 1 OFFSET 0"
    );
}

/// (name, exact signature, loose signature) rows.
fn v(x: &[(&str, &str, &str)]) -> Vec<[String; 3]> {
    x.iter()
        .map(|(a, b, c)| [a.to_string(), b.to_string(), c.to_string()])
        .collect()
}

#[test]
fn indexes_pair_one_to_one() {
    assert_eq!(
        index_pairs(
            v(&[
                ("accounts_pkey", "p:id", "p:id"),
                ("a1", "i:a", "i:a"),
                ("a2", "i:a", "i:a")
            ]),
            v(&[
                ("_sluice_shadow_accounts_pkey", "p:id", "p:id"),
                ("x1", "i:a", "i:a"),
                ("x2", "i:a", "i:a")
            ]),
        ),
        [(
            "accounts_pkey".to_string(),
            "_sluice_shadow_accounts_pkey".to_string()
        )]
    );
}

/// lemmy 2023-08-23-182533_scaled_rank: `hot_rank` int -> float rewrote the predicate
/// of `idx_post_aggregates_nonzero_hotrank` (`hot_rank <> 0` became `hot_rank <>
/// 0::double precision`); the copy's index kept its `_sluice_shadow_..` name.
#[test]
fn lemmy_an_index_whose_predicate_text_changed_pairs_by_its_shape() {
    assert_eq!(
        index_pairs(
            v(&[
                ("idx_published", "i:published::", "i:published:false:false"),
                (
                    "idx_nonzero_hotrank",
                    "i:published::(hot_rank <> 0)",
                    "i:published:false:true"
                ),
            ]),
            v(&[
                (
                    "s_published_idx",
                    "i:published::",
                    "i:published:false:false"
                ),
                (
                    "s_published_idx1",
                    "i:published::(hot_rank <> (0)::double precision)",
                    "i:published:false:true"
                ),
            ]),
        ),
        [
            (
                "idx_nonzero_hotrank".to_string(),
                "s_published_idx1".to_string()
            ),
            ("idx_published".to_string(), "s_published_idx".to_string()),
        ]
    );
}
