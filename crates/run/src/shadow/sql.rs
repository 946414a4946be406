//! The SQL texts of the copy, and the catalog rows it reads back.

use std::collections::BTreeMap;

use crate::keyrange::{KeyRange, where_clause};
use crate::strategies::shadow_table::{ShadowTable, q, qn};
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::quote::literal as quote_literal;

type Rows = Vec<Vec<Option<String>>>;

pub(super) fn lit(s: &str) -> String {
    quote_literal(Dialect::Postgres, s)
}

pub(super) fn regclass(t: &ObjName) -> String {
    format!("to_regclass({})", lit(&qn(t)))
}

/// The first column of each row, NULLs skipped.
pub(super) fn first_col(rows: Rows) -> Vec<String> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

pub(super) fn pairs(rows: Rows) -> Vec<(String, String)> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some((it.next()??, it.next()??))
        })
        .collect()
}

/// Columns of `t`: name, type, generated.
pub(super) fn columns_sql(t: &ObjName) -> String {
    format!(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (a.attgenerated <> '')::text FROM pg_attribute a WHERE a.attrelid = {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        regclass(t)
    )
}

/// The copy's column list and the expressions selecting them from the old table.
pub(super) struct Copy {
    pub(super) insert: Vec<String>,
    pub(super) select: Vec<String>,
    /// Key column -> its select expression (a cast when its type changes).
    pub(super) key_exprs: BTreeMap<String, String>,
}

impl Copy {
    fn cols(&self) -> String {
        self.insert.join(", ")
    }

    fn exprs(&self) -> String {
        self.select.join(", ")
    }
}

/// The live table's key range (PostgreSQL gives the untyped key literals the key columns'
/// types).
fn key_range(s: &ShadowTable) -> KeyRange {
    let pg = crate::driver::database(Dialect::Postgres);
    KeyRange::new(pg, &s.table, &s.key, vec![false; s.key.len()])
}

/// `INSERT INTO shadow .. SELECT .. FROM table WHERE key > last AND key <= upper`.
pub(super) fn copy_sql(
    s: &ShadowTable,
    c: &Copy,
    last: Option<&[String]>,
    upper: Option<&[String]>,
) -> String {
    let range = key_range(s);
    format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}{} ON CONFLICT DO NOTHING",
        qn(&s.shadow()),
        c.cols(),
        c.exprs(),
        range.target(),
        where_clause(&range.bounds(last, upper))
    )
}

/// The key of the row `n` rows after `last` in key order, as text.
pub(super) fn upper_sql(s: &ShadowTable, last: Option<&[String]>, n: u64) -> String {
    key_range(s).upper_sql(last, n)
}

/// Replay the log into the shadow: every logged key's row leaves the shadow and comes back
/// as the table holds it (or not, when deleted there), then those log rows go. Run in one
/// REPEATABLE READ transaction (or under the swap's lock) the statements share a snapshot:
/// the log rows removed are exactly those replayed, and the shadow then equals the table at
/// that snapshot for every logged key, so its unique indexes hold as the table's do.
/// Idempotent: a replay repeated after a crash changes nothing.
pub(super) fn replay_sql(s: &ShadowTable, c: &Copy) -> Vec<String> {
    let log = qn(&s.log());
    let sh = qn(&s.shadow());
    let kt = s.key_tuple("");
    let keys = s.key_list("");
    // the shadow's key values from the logged (old-typed) ones
    let shadow_keys = s
        .key
        .iter()
        .map(|k| c.key_exprs.get(k).cloned().unwrap_or_else(|| q(k)))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        format!("DELETE FROM {sh} WHERE {kt} IN (SELECT {shadow_keys} FROM {log})"),
        format!(
            "INSERT INTO {sh} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {} WHERE {kt} IN (SELECT {keys} FROM {log})",
            c.cols(),
            c.exprs(),
            qn(&s.table)
        ),
        format!("DELETE FROM {log}"),
    ]
}

/// What drops an unfinished copy (the table itself is untouched).
pub(super) fn abandon_sql(s: &ShadowTable) -> Vec<String> {
    vec![
        format!("DROP TRIGGER {} ON {}", q(&s.trigger()), qn(&s.table)),
        format!("DROP FUNCTION {}()", qn(&s.function())),
        format!("DROP TABLE {}, {}", qn(&s.shadow()), qn(&s.log())),
    ]
}

/// The log table, the function and the trigger capturing changed keys.
pub(super) fn capture_sql(s: &ShadowTable, key_types: &[(String, String)]) -> Vec<String> {
    let log = qn(&s.log());
    let cols: Vec<String> = key_types
        .iter()
        .map(|(k, ty)| format!("{} {ty}", q(k)))
        .collect();
    let keys = s.key_list("");
    let row = |rec: &str| {
        s.key
            .iter()
            .map(|k| format!("{rec}.{}", q(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        format!(
            "CREATE TABLE {log} (sluice_seq bigserial PRIMARY KEY, sluice_op text NOT NULL, {})",
            cols.join(", ")
        ),
        format!(
            "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $sluice$\nBEGIN\n  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ROW({old}) IS DISTINCT FROM ROW({new})) THEN\n    INSERT INTO {log} (sluice_op, {keys}) VALUES (left(TG_OP, 1), {old});\n  END IF;\n  IF TG_OP <> 'DELETE' THEN\n    INSERT INTO {log} (sluice_op, {keys}) VALUES (left(TG_OP, 1), {new});\n  END IF;\n  RETURN NULL;\nEND\n$sluice$",
            qn(&s.function()),
            old = row("OLD"),
            new = row("NEW"),
        ),
        format!(
            "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW EXECUTE FUNCTION {}()",
            q(&s.trigger()),
            qn(&s.table),
            qn(&s.function())
        ),
    ]
}

/// Each index: name, exact signature (kind, method, key columns, expression and predicate
/// texts), loose signature (the same without the texts: a type change rewrites them, e.g.
/// `hot_rank <> 0` becomes `hot_rank <> 0::double precision`).
pub(super) fn index_signatures_sql(t: &ObjName) -> String {
    format!(
        "SELECT c.relname::text, l.sig || ':' || coalesce(pg_get_expr(i.indexprs, i.indrelid), '') || ':' || coalesce(pg_get_expr(i.indpred, i.indrelid), ''), \
         l.sig || ':' || (i.indexprs IS NOT NULL)::text || ':' || (i.indpred IS NOT NULL)::text \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam \
         CROSS JOIN LATERAL (SELECT i.indisprimary::text || i.indisunique::text || am.amname::text || ':' || \
           (SELECT string_agg(coalesce(a.attname::text, '#'), ',' ORDER BY k.o) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n) AS sig) l \
         WHERE i.indrelid = {} ORDER BY 1",
        regclass(t)
    )
}

/// (name, exact signature, loose signature) rows.
pub(super) fn signatures(rows: Rows) -> Vec<[String; 3]> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some([it.next()??, it.next()??, it.next()??])
        })
        .collect()
}

/// Old index name -> new index name, for indexes that match one to one: by exact signature,
/// then the rest by loose signature.
pub(super) fn index_pairs(old: Vec<[String; 3]>, new: Vec<[String; 3]>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for level in [1, 2] {
        let by_sig = |v: &[[String; 3]], taken: &dyn Fn(&str) -> bool| {
            let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for sig in v.iter().filter(|s| !taken(&s[0])) {
                m.entry(sig[level].clone())
                    .or_default()
                    .push(sig[0].clone());
            }
            m
        };
        let o = by_sig(&old, &|n| out.iter().any(|(a, _)| a == n));
        let n = by_sig(&new, &|n| out.iter().any(|(_, b)| b == n));
        for (sig, names) in o {
            if let ([a], Some([b])) = (names.as_slice(), n.get(&sig).map(Vec::as_slice)) {
                out.push((a.clone(), b.clone()));
            }
        }
    }
    out.sort();
    out
}
