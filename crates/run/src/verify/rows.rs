//! `--rows N`: the history's tables filled with generated rows before the change is verified
//! (so NOT NULL, UNIQUE, FK and CHECK steps and backfills run on data), and the data
//! checksums that tell whether a down gave the rows back.
//!
//! Generation is deterministic: each value is a function of the row number, the table and
//! the column (no random source), so two runs fill the same rows. Parents are filled before
//! their children (foreign keys in dependency order); a foreign key column takes the
//! parent's rows in turn. Identity, serial, auto_increment and generated columns are left to
//! the server. A table whose rows the server refuses (a CHECK, a trigger, a UNIQUE on a
//! small domain) is tried again with only the columns that need a value, then skipped with
//! the server's reason: a note, never a failure.
//!
//! The dialect's SQL (catalogs, values, row numbers, checksums) is `driver::Data`'s.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::super::driver::{self, Data, DbError, Driver, FillColumn, list};
use super::super::snapshot::{Options, Snapshot};

/// What the fill did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FillReport {
    /// Rows asked for per table.
    pub rows: u64,
    /// Tables filled and the rows each got.
    pub tables: Vec<Filled>,
    /// Tables left as they were, and why (not empty, no generator, the server refused).
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Filled {
    pub table: String,
    pub rows: u64,
    /// Filled with only the columns that need a value (the others NULL or their default),
    /// and why: the server refused the full rows.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub table: String,
    pub reason: String,
}

struct Table {
    name: String,
    /// Quoted reference.
    sql: String,
    columns: Vec<FillColumn>,
    fks: Vec<Fk>,
}

struct Fk {
    columns: Vec<String>,
    parent: String,
    parent_columns: Vec<String>,
}

/// `schema.table`, or `table` in `public` / on MySQL (the snapshot's names).
fn key(schema: &str, table: &str) -> String {
    if schema.is_empty() || schema == "public" {
        table.to_owned()
    } else {
        format!("{schema}.{table}")
    }
}

fn flag(s: Option<&String>) -> bool {
    s.is_some_and(|s| s == "t" || s == "true")
}

fn num(s: Option<&String>) -> Option<u64> {
    s.and_then(|s| s.parse().ok())
}

/// The tables of the database with their columns and foreign keys (Sluice's own and
/// soft-dropped ones left out).
async fn tables(
    c: &mut dyn Driver,
    data: &dyn Data,
    opts: &Options,
) -> Result<BTreeMap<String, Table>, DbError> {
    let mut out: BTreeMap<String, Table> = BTreeMap::new();
    for r in c.query_text(&data.columns_sql()).await? {
        let get = |i: usize| r.get(i).cloned().flatten();
        let (Some(schema), Some(table), Some(column)) = (get(0), get(1), get(2)) else {
            continue;
        };
        if opts.skips(&table) {
            continue;
        }
        let k = key(&schema, &table);
        let t = out.entry(k.clone()).or_insert_with(|| Table {
            sql: data.table_ref(&k),
            name: k.clone(),
            columns: Vec::new(),
            fks: Vec::new(),
        });
        t.columns.push(FillColumn {
            name: column,
            column_type: get(3).unwrap_or_default(),
            base: get(4).unwrap_or_default(),
            nullable: flag(get(5).as_ref()),
            has_default: get(6).is_some(),
            auto: flag(get(7).as_ref()),
            char_len: num(get(8).as_ref()),
            precision: num(get(9).as_ref()),
            scale: num(get(10).as_ref()),
            labels: list(get(11).as_deref()),
        });
    }
    // a CHECK that lists a column's values: those values, as for an enum (best effort: a
    // server whose catalog lacks the query's columns fills without them)
    let checks = c.query_text(&data.checks_sql()).await.unwrap_or_else(|e| {
        tracing::debug!(error = %e.message, "CHECK constraints not read");
        Vec::new()
    });
    for r in checks {
        let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
        let Some((column, labels)) = listed_values(&get(2), &get(3)) else {
            continue;
        };
        if let Some(col) = out
            .get_mut(&key(&get(0), &get(1)))
            .and_then(|t| t.columns.iter_mut().find(|c| c.name == column))
            .filter(|c| c.labels.is_empty())
        {
            col.labels = labels;
        }
    }
    for r in c.query_text(&data.foreign_keys_sql()).await? {
        let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
        let child = key(&get(0), &get(1));
        let parent = key(&get(3), &get(4));
        if let Some(t) = out.get_mut(&child) {
            t.fks.push(Fk {
                columns: list(Some(&get(2))),
                parent,
                parent_columns: list(Some(&get(5))),
            });
        }
    }
    Ok(out)
}

/// The column and its values of a CHECK that only lists them: `col IN ('a', 'b')`
/// (MySQL), `((col = ANY (ARRAY['a'::text, 'b'::text])))` (PostgreSQL). `column`: the
/// catalog's, else the first quoted identifier.
fn listed_values(column: &str, def: &str) -> Option<(String, Vec<String>)> {
    let lower = def.to_ascii_lowercase();
    let lists = lower.contains(" in (") || lower.contains("= any (array[");
    let other = [" and ", " or ", "not ", "<", ">", "(select"]
        .iter()
        .any(|w| lower.contains(w));
    if !lists || other {
        return None;
    }
    let column = if column.is_empty() {
        let start = def.find(['`', '"'])?;
        let quote = def[start..].chars().next()?;
        let rest = &def[start + 1..];
        rest[..rest.find(quote)?].to_owned()
    } else {
        column.to_owned()
    };
    // the single-quoted literals, '' an escaped quote
    let mut labels = Vec::new();
    let mut chars = def.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '\'' {
            continue;
        }
        let mut cur = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    cur.push('\'');
                    chars.next();
                } else {
                    break;
                }
            } else {
                cur.push(c);
            }
        }
        labels.push(cur);
    }
    (!labels.is_empty()).then_some((column, labels))
}

/// Rows in each table.
async fn counts(
    c: &mut dyn Driver,
    tables: &BTreeMap<String, Table>,
) -> Result<BTreeMap<String, u64>, DbError> {
    let db = c.db();
    let parts: Vec<String> = tables
        .values()
        .map(|t| {
            format!(
                "SELECT {}, {} FROM {}",
                db.literal(&t.name),
                db.as_text("COUNT(*)"),
                t.sql
            )
        })
        .collect();
    let mut out = BTreeMap::new();
    if parts.is_empty() {
        return Ok(out);
    }
    for r in c.query_text(&parts.join(" UNION ALL ")).await? {
        if let (Some(Some(t)), Some(Some(n))) = (r.first(), r.get(1)) {
            out.insert(t.clone(), n.parse().unwrap_or(0));
        }
    }
    Ok(out)
}

/// The first column of the first row.
fn driver_first(rows: Vec<Vec<Option<String>>>) -> Option<String> {
    rows.into_iter().next()?.into_iter().next().flatten()
}

/// Parents before children; tables in a cycle after the others, by name.
fn order(tables: &BTreeMap<String, Table>) -> Vec<String> {
    let mut pending: BTreeSet<&String> = tables.keys().collect();
    let mut out = Vec::new();
    loop {
        let ready: Vec<&String> = pending
            .iter()
            .copied()
            .filter(|k| {
                tables[*k]
                    .fks
                    .iter()
                    .all(|f| &f.parent == *k || !pending.contains(&f.parent))
            })
            .collect();
        if ready.is_empty() {
            break;
        }
        for k in ready {
            pending.remove(k);
            out.push(k.clone());
        }
    }
    out.extend(pending.into_iter().cloned());
    out
}

/// Fill every empty table with `rows` generated rows.
pub(super) async fn fill(
    c: &mut dyn Driver,
    rows: u64,
    opts: &Options,
) -> Result<FillReport, DbError> {
    let data = driver::data(c.db().dialect());
    let tables = tables(c, data, opts).await?;
    let mut counts = counts(c, &tables).await?;
    let mut report = FillReport {
        rows,
        ..FillReport::default()
    };
    for k in order(&tables) {
        let t = &tables[&k];
        // a trigger on a table filled before may have filled this one
        let have = match counts.get(&k).copied().unwrap_or(0) {
            0 if !report.tables.is_empty() => {
                let sql = format!("SELECT {} FROM {}", c.db().as_text("COUNT(*)"), t.sql);
                driver_first(c.query_text(&sql).await?)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            }
            n => n,
        };
        if have > 0 {
            // its children take these rows
            counts.insert(k.clone(), have);
            report.skipped.push(Skipped {
                table: k.clone(),
                reason: format!("has {have} rows already (left as they are)"),
            });
            continue;
        }
        let full = insert_sql(data, c.db(), t, &tables, &counts, rows, false);
        let outcome = match full {
            Err(why) => Err(why),
            Ok(sql) => match c.exec_count(&sql).await {
                Ok(n) => Ok((n, None)),
                Err(first) => {
                    tracing::debug!(table = %k, sql = %sql, error = %first.message, "generated rows refused");
                    // again with only what needs a value: defaults and NULLs elsewhere
                    match insert_sql(data, c.db(), t, &tables, &counts, rows, true) {
                        Ok(min) if min != sql => match c.exec_count(&min).await {
                            Ok(n) => Ok((
                                n,
                                Some(format!(
                                    "only the columns that need a value: the full rows were refused: {}",
                                    first.message
                                )),
                            )),
                            Err(e) => Err(format!(
                                "the server refused the generated rows: {}",
                                e.message
                            )),
                        },
                        _ => Err(format!(
                            "the server refused the generated rows: {}",
                            first.message
                        )),
                    }
                }
            },
        };
        match outcome {
            Ok((n, note)) => {
                counts.insert(k.clone(), n);
                report.tables.push(Filled {
                    table: k,
                    rows: n,
                    note,
                });
            }
            Err(reason) => report.skipped.push(Skipped { table: k, reason }),
        }
    }
    Ok(report)
}

/// The INSERT filling `t`; `minimal`: only the columns that need a value (NOT NULL without
/// a default) and the foreign keys. `Err`: why the table cannot be filled.
fn insert_sql(
    data: &dyn Data,
    db: &dyn driver::Database,
    t: &Table,
    tables: &BTreeMap<String, Table>,
    counts: &BTreeMap<String, u64>,
    rows: u64,
    minimal: bool,
) -> Result<String, String> {
    let mut cols = Vec::new();
    let mut exprs = Vec::new();
    let mut joins = Vec::new();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    let needs = |c: &FillColumn| !c.nullable && !c.has_default;
    for (i, fk) in t.fks.iter().enumerate() {
        let fk_cols: Vec<&FillColumn> = fk
            .columns
            .iter()
            .filter_map(|n| t.columns.iter().find(|c| &c.name == n))
            .collect();
        if fk_cols.iter().any(|c| taken.contains(c.name.as_str())) {
            continue;
        }
        let required = fk_cols.iter().any(|c| needs(c));
        let parent_rows = counts.get(&fk.parent).copied().unwrap_or(0);
        let parent = tables.get(&fk.parent);
        if fk.parent == t.name || parent_rows == 0 || parent.is_none() {
            if required {
                return Err(format!(
                    "foreign key ({}) needs rows in {}, which has none",
                    fk.columns.join(", "),
                    fk.parent
                ));
            }
            // NULL (or the default) satisfies it
            for c in &fk_cols {
                taken.insert(&c.name);
            }
            continue;
        }
        if minimal && !required {
            for c in &fk_cols {
                taken.insert(&c.name);
            }
            continue;
        }
        let alias = format!("p{i}");
        let pcols: Vec<String> = fk.parent_columns.iter().map(|c| db.ident(c)).collect();
        let picked: Vec<String> = pcols
            .iter()
            .enumerate()
            .map(|(j, c)| format!("{c} AS f{j}"))
            .collect();
        let not_null: Vec<String> = pcols.iter().map(|c| format!("{c} IS NOT NULL")).collect();
        joins.push(format!(
            "JOIN (SELECT {}, ROW_NUMBER() OVER (ORDER BY {}) AS rn FROM {} WHERE {}) AS {alias} ON {alias}.rn = (g.n - 1) % {parent_rows} + 1",
            picked.join(", "),
            pcols.join(", "),
            parent.map(|p| p.sql.as_str()).unwrap_or_default(),
            not_null.join(" AND ")
        ));
        for (j, name) in fk.columns.iter().enumerate() {
            if taken.insert(name) {
                cols.push(db.ident(name));
                exprs.push(format!("{alias}.f{j}"));
            }
        }
    }
    for c in &t.columns {
        if c.auto || taken.contains(c.name.as_str()) || (minimal && !needs(c)) {
            continue;
        }
        match data.value(c, "g.n", &format!("{}.{}", t.name, c.name)) {
            Some(v) => {
                cols.push(db.ident(&c.name));
                exprs.push(v);
            }
            None if !needs(c) => {}
            None => {
                return Err(format!(
                    "no generator for column {} of type {}",
                    c.name, c.column_type
                ));
            }
        }
    }
    if cols.is_empty() {
        return Err("nothing to generate: every column is filled by the server".into());
    }
    Ok(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {} {}",
        t.sql,
        cols.join(", "),
        exprs.join(", "),
        data.series(rows, "g"),
        joins.join(" ")
    ))
}

/// Per table: the row count and, per column, its non-null count and hash sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Checksums(BTreeMap<String, (String, BTreeMap<String, String>)>);

/// The checksums of every table of `snap` (one round trip).
pub(super) async fn checksums(c: &mut dyn Driver, snap: &Snapshot) -> Result<Checksums, DbError> {
    let data = driver::data(c.db().dialect());
    let db = c.db();
    let mut parts = Vec::new();
    for (name, t) in &snap.tables {
        let cols: Vec<String> = t.column_order.iter().map(|c| db.ident(c)).collect();
        parts.push(data.checksum_sql(&data.table_ref(name), name, &cols));
    }
    tracing::debug!(sql = %parts.join(" UNION ALL "), "checksums");
    let mut out = Checksums::default();
    if parts.is_empty() {
        return Ok(out);
    }
    for r in c.query_text(&parts.join(" UNION ALL ")).await? {
        let (Some(Some(name)), Some(Some(sums))) = (r.first(), r.get(1)) else {
            continue;
        };
        let Some(t) = snap.tables.get(name) else {
            continue;
        };
        let mut it = sums.split(',');
        let count = it.next().unwrap_or_default().to_owned();
        let mut cols = BTreeMap::new();
        for col in &t.column_order {
            let n = it.next().unwrap_or_default();
            let h = it.next().unwrap_or_default();
            cols.insert(col.clone(), format!("{n},{h}"));
        }
        tracing::debug!(table = %name, sums = %sums, "checksum");
        out.0.insert(name.clone(), (count, cols));
    }
    Ok(out)
}

/// Data a down did not give back: a table's row count, or a column's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataDifference {
    pub table: String,
    /// `None`: the row count differs.
    pub column: Option<String>,
    /// The up itself changed these rows (the column or table was still there after it):
    /// the down did not change them back, but it lost nothing the up had left.
    pub changed_by_up: bool,
    pub message: String,
}

impl std::fmt::Display for DataDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How the data after a down differs from the data before the up, on the tables and
/// columns both have; `up`: the data after the up, which tells a loss (the up dropped the
/// column or table, or the down changed what the up left alone) from a change the up made.
pub(super) fn compare(
    before: &Checksums,
    up: &Checksums,
    after: &Checksums,
) -> Vec<DataDifference> {
    let mut out = Vec::new();
    for (table, (count, cols)) in &before.0 {
        let Some((count2, cols2)) = after.0.get(table) else {
            continue;
        };
        let up_table = up.0.get(table);
        if count != count2 {
            let changed_by_up = up_table.is_some_and(|(n, _)| n != count);
            out.push(DataDifference {
                table: table.clone(),
                column: None,
                changed_by_up,
                message: format!(
                    "table {table}: {count} rows before the up, {count2} after the down{}",
                    if changed_by_up {
                        " (the up changed them)"
                    } else {
                        ""
                    }
                ),
            });
            continue;
        }
        for (col, sum) in cols {
            let Some(sum2) = cols2.get(col) else {
                continue;
            };
            if sum == sum2 {
                continue;
            }
            let changed_by_up = up_table
                .and_then(|(_, c)| c.get(col))
                .is_some_and(|s| s != sum);
            let non_null = |s: &str| s.split(',').next().unwrap_or_default().to_owned();
            let message = if changed_by_up {
                format!(
                    "column {table}.{col}: values changed by the up, not changed back by the down"
                )
            } else {
                format!(
                    "column {table}.{col}: values not restored ({} non-null before the up, {} after the down{})",
                    non_null(sum),
                    non_null(sum2),
                    if non_null(sum) == non_null(sum2) {
                        ", different values"
                    } else {
                        ""
                    }
                )
            };
            out.push(DataDifference {
                table: table.clone(),
                column: Some(col.clone()),
                changed_by_up,
                message,
            });
        }
    }
    out
}

/// What two databases built alike (the history, the generated rows) already held
/// differently before their migrations: a difference there after them is not theirs. Tables
/// and columns the migrations add start alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Unlike {
    /// Tables on one side only, or with other row counts.
    tables: BTreeSet<String>,
    /// `(table, column)` on one side only, or with other values.
    columns: BTreeSet<(String, String)>,
}

impl Unlike {
    fn column(&self, table: &str, column: &str) -> bool {
        self.tables.contains(table)
            || self
                .columns
                .contains(&(table.to_owned(), column.to_owned()))
    }
}

/// What `a` and `b`, two databases built alike, hold differently.
pub(super) fn unlike(a: &Checksums, b: &Checksums) -> Unlike {
    let mut out = Unlike::default();
    for (x, y) in [(a, b), (b, a)] {
        for (table, (count, cols)) in &x.0 {
            let Some((_, cols2)) = y.0.get(table).filter(|(n, _)| n == count) else {
                out.tables.insert(table.clone());
                continue;
            };
            for (col, sum) in cols {
                if cols2.get(col) != Some(sum) {
                    out.columns.insert((table.clone(), col.clone()));
                }
            }
        }
    }
    out
}

/// How the data after the change differs from the data after the naive migration, on the
/// tables and columns both have and held alike `before`: (differences, notes). A column
/// `volatile` explains (its values come from `now()`, a sequence) may differ in its values,
/// not in its NULLs: a note.
pub(super) fn compare_naive(
    before: &Unlike,
    naive: &Checksums,
    change: &Checksums,
    volatile: &dyn Fn(&str, &str) -> Option<String>,
) -> (Vec<DataDifference>, Vec<DataDifference>) {
    let mut out = (Vec::new(), Vec::new());
    let non_null = |s: &str| s.split(',').next().unwrap_or_default().to_owned();
    for (table, (count, cols)) in &naive.0 {
        let Some((count2, cols2)) = change.0.get(table) else {
            continue;
        };
        let cols = cols.iter().filter(|(c, _)| !before.column(table, c));
        if before.tables.contains(table) {
            continue;
        }
        if count != count2 {
            out.0.push(DataDifference {
                table: table.clone(),
                column: None,
                changed_by_up: false,
                message: format!(
                    "table {table}: {count} rows after the naive migration, {count2} after the change"
                ),
            });
            continue;
        }
        for (col, sum) in cols {
            let Some(sum2) = cols2.get(col).filter(|s| *s != sum) else {
                continue;
            };
            let (a, b) = (non_null(sum), non_null(sum2));
            let why = volatile(table, col).filter(|_| a == b);
            let message = match &why {
                Some(why) => format!(
                    "column {table}.{col}: other values than the naive migration's, as {why} gives each side its own"
                ),
                None if a == b => format!(
                    "column {table}.{col}: other values than the naive migration's ({a} non-null on both)"
                ),
                None => format!(
                    "column {table}.{col}: {a} non-null after the naive migration, {b} after the change"
                ),
            };
            let d = DataDifference {
                table: table.clone(),
                column: Some(col.clone()),
                changed_by_up: false,
                message,
            };
            if why.is_some() {
                out.1.push(d);
            } else {
                out.0.push(d);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> (String, Table) {
        (
            name.to_owned(),
            Table {
                name: name.to_owned(),
                sql: name.to_owned(),
                columns: Vec::new(),
                fks: parents
                    .iter()
                    .map(|p| Fk {
                        columns: vec!["x".into()],
                        parent: (*p).to_owned(),
                        parent_columns: vec!["id".into()],
                    })
                    .collect(),
            },
        )
    }

    #[test]
    fn parents_come_before_children_and_cycles_last() {
        let tables: BTreeMap<String, Table> = [
            table("a_child", &["b_parent"]),
            table("b_parent", &[]),
            table("c_self", &["c_self"]),
            table("d_cycle", &["e_cycle"]),
            table("e_cycle", &["d_cycle"]),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            order(&tables),
            ["b_parent", "c_self", "a_child", "d_cycle", "e_cycle"]
        );
    }

    #[test]
    fn checks_that_list_values() {
        assert_eq!(
            listed_values(
                "plan_type",
                "CHECK ((plan_type = ANY (ARRAY['free'::text, 'it''s'::text])))"
            ),
            Some(("plan_type".into(), vec!["free".into(), "it's".into()]))
        );
        assert_eq!(
            listed_values("", "`state` in ('a','b')"),
            Some(("state".into(), vec!["a".into(), "b".into()]))
        );
        assert_eq!(listed_values("v", "CHECK ((v < 0))"), None);
        assert_eq!(listed_values("", "`s` not in ('a')"), None);
    }

    #[test]
    fn a_lost_column_is_named() {
        let sums = |h: &str| {
            let cols = [
                ("id".to_owned(), "3,9".to_owned()),
                ("c".to_owned(), h.to_owned()),
            ];
            Checksums(
                [("t".to_owned(), ("3".to_owned(), cols.into_iter().collect()))]
                    .into_iter()
                    .collect(),
            )
        };
        let gone = Checksums::default();
        assert!(compare(&sums("3,5"), &gone, &sums("3,5")).is_empty());
        // the up dropped the column (or left it alone) and the down lost its values
        for up in [&gone, &sums("3,5")] {
            let d = compare(&sums("3,5"), up, &sums("0,0"));
            assert_eq!(d.len(), 1);
            assert_eq!(d[0].column.as_deref(), Some("c"));
            assert!(!d[0].changed_by_up);
            assert!(d[0].message.contains("column t.c"), "{}", d[0].message);
        }
        // the up changed the values, the down did not change them back: a note
        let d = compare(&sums("3,5"), &sums("3,6"), &sums("3,6"));
        assert!(d[0].changed_by_up, "{d:?}");
    }

    #[test]
    fn the_change_against_the_naive_migration() {
        let sums = |c: &str| {
            let cols = [
                ("id".to_owned(), "3,9".to_owned()),
                ("c".to_owned(), c.to_owned()),
            ];
            Checksums(
                [("t".to_owned(), ("3".to_owned(), cols.into_iter().collect()))]
                    .into_iter()
                    .collect(),
            )
        };
        let never = |_: &str, _: &str| None;
        let now = |_: &str, c: &str| (c == "c").then(|| "its default now()".to_owned());
        let alike = unlike(&sums("3,5"), &sums("3,5"));
        assert_eq!(alike, Unlike::default());
        assert_eq!(
            compare_naive(&alike, &sums("3,5"), &sums("3,5"), &never),
            (vec![], vec![])
        );
        // a backfill that left NULLs
        let (d, n) = compare_naive(&alike, &sums("3,5"), &sums("0,0"), &now);
        assert_eq!((d.len(), n.len()), (1, 0), "{d:?}");
        assert!(
            d[0].message
                .contains("3 non-null after the naive migration, 0 after the change")
        );
        // other values: a failure, unless a volatile default explains them
        let (d, n) = compare_naive(&alike, &sums("3,5"), &sums("3,6"), &never);
        assert_eq!((d.len(), n.len()), (1, 0));
        let (d, n) = compare_naive(&alike, &sums("3,5"), &sums("3,6"), &now);
        assert_eq!((d.len(), n.len()), (0, 1));
        assert!(n[0].message.contains("now()"), "{}", n[0].message);
        // a column the history filled differently on the two sides tells nothing
        let before = unlike(&sums("3,5"), &sums("3,7"));
        assert_eq!(
            compare_naive(&before, &sums("3,5"), &sums("3,6"), &never),
            (vec![], vec![])
        );
        // and a table with other row counts neither; a new table starts alike
        let before = unlike(&sums("3,5"), &Checksums::default());
        assert!(
            compare_naive(&before, &sums("3,5"), &sums("0,0"), &never)
                .0
                .is_empty()
        );
        assert_eq!(
            compare_naive(&Unlike::default(), &sums("3,5"), &sums("0,0"), &never)
                .0
                .len(),
            1
        );
    }
}
