//! Shadow-table copy (PostgreSQL): a whole-table rewrite with no cheaper form (several
//! column type changes at once, a primary key column's type, `SET TABLESPACE`, `VACUUM
//! FULL` / `CLUSTER` without pg_repack) becomes a resumable sequence run by
//! `run::shadow`: an empty copy of the table with the change applied, change capture by
//! trigger into a log table, a batched key-order copy checkpointed in the ledger, log
//! replay, and a swap in one short transaction under lock_timeout. The old table is kept
//! (soft-dropped) until `migrate purge`.
//!
//! Pure: what the statement asks and the catalog facts in, the plan and its SQL out.

use std::collections::BTreeMap;

use super::{Action, Choice, Chosen, Facts, Strategy, plain};
use sluice_core::catalog::types::{SqlType, binary_coercible};
use sluice_core::names;
use sluice_core::sql::ops::{ObjName, Operation, RewriteKind};
use sluice_core::sql::{Dialect, quote};

/// Prefix of the shadow table, its log, trigger and function.
pub const PREFIX: &str = "_sluice_shadow_";

/// What the shadow-table copy needs to know about a table (read by `Engine::facts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFacts {
    /// Primary key columns in key order; empty: none.
    pub primary_key: Vec<String>,
    /// Column name -> `format_type` of its type.
    pub columns: BTreeMap<String, String>,
    /// Why the copy cannot take this table (inbound foreign keys, dependent views, user
    /// triggers, partitioning), sorted.
    pub refusals: Vec<String>,
    /// Its foreign keys to itself that refuse a delete of a referenced row (the batched
    /// delete cannot split what one statement checks at its end).
    pub self_references: Vec<String>,
}

/// One shadow-table copy, ready for the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowTable {
    pub table: ObjName,
    pub key: Vec<String>,
    /// The ALTER TABLE clauses (after the table name) applied to the empty shadow; `None`
    /// for a plain rebuild (`VACUUM FULL`, `CLUSTER`).
    pub alter: Option<String>,
    /// `USING` expressions of the type changes, by column: the copy selects them.
    pub using: BTreeMap<String, String>,
    /// The statement kind, for messages (`ALTER TABLE`, `VACUUM FULL`, `CLUSTER`).
    pub what: &'static str,
    /// The migration version (set by `plan::apply_strategies`): names the soft-dropped table.
    pub version: String,
}

impl ShadowTable {
    fn sibling(&self, suffix: &str) -> ObjName {
        ObjName {
            schema: self.table.schema.clone(),
            name: names::fit(PREFIX, &self.table.name, suffix),
        }
    }

    pub fn shadow(&self) -> ObjName {
        self.sibling("")
    }

    pub fn log(&self) -> ObjName {
        self.sibling("_log")
    }

    pub fn function(&self) -> ObjName {
        self.sibling("_fn")
    }

    /// The trigger's name (triggers live in their table's namespace).
    pub fn trigger(&self) -> String {
        names::fit(PREFIX, &self.table.name, "_trg")
    }

    /// What the old table is renamed to at the swap; `migrate purge` drops it later.
    pub fn dropped(&self) -> String {
        names::soft_drop(&self.table.name, &self.version)
    }

    /// The key columns, quoted, comma-separated.
    pub fn key_list(&self, prefix: &str) -> String {
        self.key
            .iter()
            .map(|k| format!("{prefix}{}", q(k)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The key as a row value (or a lone column).
    pub fn key_tuple(&self, prefix: &str) -> String {
        if self.key.len() == 1 {
            self.key_list(prefix)
        } else {
            format!("({})", self.key_list(prefix))
        }
    }

    /// What `--dry-run` shows in place of the statement.
    pub fn display(&self) -> String {
        let t = qn(&self.table);
        let s = qn(&self.shadow());
        let log = qn(&self.log());
        let alter = match &self.alter {
            Some(a) => format!("; ALTER TABLE {s} {a}"),
            None => String::new(),
        };
        let version = if self.version.is_empty() {
            "<version>".to_owned()
        } else {
            self.version.clone()
        };
        let dropped = names::soft_drop(&self.table.name, &version);
        [
            format!(
                "-- shadow-table copy of {t} ({}, key {}), resumable; checkpoints in the ledger's _shadow table:",
                self.what,
                self.key_list("")
            ),
            format!(
                "--   1. CREATE TABLE {s} (LIKE {t} INCLUDING ALL){alter}; outbound foreign keys copied"
            ),
            format!(
                "--   2. change capture: trigger {} AFTER INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW -> {log} ({}, op, seq)",
                q(&self.trigger()),
                self.key_list("")
            ),
            format!(
                "--   3. batched copy in key order: INSERT INTO {s} SELECT .. FROM {t} WHERE {} > $last AND {} <= $upper ON CONFLICT DO NOTHING, each batch and its checkpoint one transaction, sized toward shadow_batch_time",
                self.key_tuple(""),
                self.key_tuple("")
            ),
            format!("--   4. replay {log} into {s} (each logged key re-read from {t}, in one snapshot) until it is small"),
            format!(
                "--   5. swap, one transaction under lock_timeout with retries: LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE; replay the rest; DROP TRIGGER; the old table's foreign keys, CHECKs, defaults and generated expressions dropped; ALTER TABLE {t} RENAME TO {}; ALTER TABLE {s} RENAME TO {}; sequences OWNED BY the new table; index names moved over",
                q(&dropped),
                q(&self.table.name)
            ),
            format!(
                "--   the old table stays as {} until `migrate purge`",
                q(&dropped)
            ),
        ]
        .join("\n")
    }
}

pub(crate) fn q(name: &str) -> String {
    quote::ident_min(Dialect::Postgres, name)
}

pub(crate) fn qn(name: &ObjName) -> String {
    quote::qualified(Dialect::Postgres, name)
}

/// The one table all of `ops` act on.
fn one_table(ops: &[Operation]) -> Option<&ObjName> {
    let first = ops.first()?.table()?;
    ops.iter()
        .all(|o| o.table() == Some(first))
        .then_some(first)
}

/// Operations the copy can carry: applied to the empty shadow, their effect on the rows is
/// the copy's casts (or a column's default).
fn carried(op: &Operation, key: &[String]) -> bool {
    match op {
        Operation::AlterColumnType { .. }
        | Operation::AddColumn { .. }
        | Operation::SetDefault { .. }
        | Operation::DropDefault { .. }
        | Operation::SetNotNull { .. }
        | Operation::DropNotNull { .. } => true,
        Operation::DropColumn { column, .. } => !key.contains(column),
        Operation::TableRewrite { kind, .. } => matches!(
            kind,
            RewriteKind::SetTablespace | RewriteKind::VacuumFull | RewriteKind::Cluster
        ),
        _ => false,
    }
}

/// Does the statement call for the copy (without being forced)?
pub fn natural(ops: &[Operation], facts: &Facts) -> bool {
    let Some(t) = one_table(ops) else {
        return false;
    };
    // unknown table (no database at hand, or not readable): nothing to copy by
    let Some(tf) = facts.shadow.get(&t.to_string()) else {
        return false;
    };
    let pk: &[String] = &tf.primary_key;
    if !ops.iter().all(|o| carried(o, pk)) {
        return false;
    }
    let mut rewrites = 0;
    let mut key_type = false;
    for o in ops {
        match o {
            Operation::TableRewrite {
                kind: RewriteKind::SetTablespace,
                ..
            } => return true,
            Operation::TableRewrite {
                kind: RewriteKind::VacuumFull | RewriteKind::Cluster,
                ..
            } => return facts.pg_repack.is_none() && ops.len() == 1,
            Operation::AlterColumnType {
                column, new_type, ..
            } => {
                let old = tf.columns.get(column);
                let coercible = old.is_some_and(|old| {
                    binary_coercible(&SqlType::parse(old), &SqlType::parse(new_type))
                });
                if !coercible {
                    rewrites += 1;
                    key_type |= pk.contains(column);
                }
            }
            _ => {}
        }
    }
    rewrites >= 2 || key_type
}

/// Choose the copy for a statement that calls for it (`natural`) or is forced to it.
pub fn choose(
    sql_text: &str,
    ops: &[Operation],
    forced: bool,
    created_here: bool,
    facts: &Facts,
) -> Result<Chosen, String> {
    let Some(table) = one_table(ops) else {
        return Err(
            "the shadow-table copy takes one ALTER TABLE, VACUUM FULL or CLUSTER of one named table"
                .into(),
        );
    };
    if !forced
        && let Some(p) = super::plain_path(
            Some(table),
            created_here,
            facts,
            "the plain form's lock is brief",
        )
    {
        return Ok(p);
    }
    let Some(tf) = facts.shadow.get(&table.to_string()) else {
        if forced {
            return Err(format!(
                "`-- sluice:strategy shadow-table`: cannot read table {table} from the database (does it exist?)"
            ));
        }
        return Ok(plain(
            format!("{table}: its columns could not be read, so no shadow-table copy: as written"),
            false,
        ));
    };
    let way_out = "or force `-- sluice:strategy plain` above the statement to run it as written (ACCESS EXCLUSIVE for the whole rewrite)";
    if !tf.refusals.is_empty() {
        return Err(format!(
            "the shadow-table copy of {table} is refused: {}; the copy swaps in a new table and cannot move these (drop them before and re-create them after, {way_out})",
            tf.refusals.join("; ")
        ));
    }
    if tf.primary_key.is_empty() {
        return Err(format!(
            "the shadow-table copy of {table} is refused: it has no primary key, which the copy needs to copy in key ranges and replay changes (add one, {way_out})"
        ));
    }
    if let Some(o) = ops.iter().find(|o| !carried(o, &tf.primary_key)) {
        return Err(format!(
            "the shadow-table copy cannot carry this statement's {} (it takes column type changes, added and dropped non-key columns, defaults, NOT NULL and SET TABLESPACE); split the statement",
            op_name(o)
        ));
    }
    // the replay maps logged keys through the key's expression: only a cast can do that
    if let Some(k) = ops.iter().find_map(|o| match o {
        Operation::AlterColumnType {
            column,
            using: Some(_),
            ..
        } if tf.primary_key.contains(column) => Some(column),
        _ => None,
    }) {
        return Err(format!(
            "the shadow-table copy of {table} is refused: primary key column {k} changes type with a USING expression, which the change log cannot map (change it without USING, {way_out})"
        ));
    }
    let what = match ops.first() {
        Some(Operation::TableRewrite {
            kind: RewriteKind::VacuumFull,
            ..
        }) => "VACUUM FULL",
        Some(Operation::TableRewrite {
            kind: RewriteKind::Cluster,
            ..
        }) => "CLUSTER",
        _ => "ALTER TABLE",
    };
    let alter = if what == "ALTER TABLE" {
        Some(alter_clauses(sql_text).ok_or_else(|| {
            "the shadow-table copy cannot find the clauses after the table name of this ALTER TABLE".to_owned()
        })?)
    } else {
        None
    };
    let using = ops
        .iter()
        .filter_map(|o| match o {
            Operation::AlterColumnType {
                column,
                using: Some(u),
                ..
            } => Some((column.clone(), u.clone())),
            _ => None,
        })
        .collect();
    let s = ShadowTable {
        table: table.clone(),
        key: tf.primary_key.clone(),
        alter,
        using,
        what,
        version: String::new(),
    };
    Ok(Chosen {
        choice: Choice {
            strategy: Strategy::ShadowTable,
            reason: format!(
                "rewrites {table} into a shadow copy (trigger change capture, batched copy, replay) and swaps it in under a brief lock; the old table is kept until `migrate purge`{}",
                if what == "CLUSTER" {
                    " (rows are copied in primary key order)"
                } else {
                    ""
                }
            ),
            forced,
        },
        actions: Some(vec![Action::ShadowTable(Box::new(s))]),
    })
}

/// `AlterColumnType`, `RenameColumn`, ..: the operation's variant, for messages.
fn op_name(o: &Operation) -> String {
    let d = format!("{o:?}");
    d.split([' ', '{', '('])
        .next()
        .unwrap_or("operation")
        .to_owned()
}

/// The text after `ALTER TABLE [IF EXISTS] [ONLY] <name>`, trimmed, without its `;`.
/// Leading comments and whitespace are skipped; quoted names may hold anything.
pub fn alter_clauses(sql_text: &str) -> Option<String> {
    let mut rest = skip_space(sql_text);
    for kw in ["ALTER", "TABLE"] {
        rest = skip_space(eat_kw(rest, kw)?);
    }
    if let Some(r) = eat_kw(rest, "IF") {
        rest = skip_space(eat_kw(skip_space(r), "EXISTS")?);
    }
    if let Some(r) = eat_kw(rest, "ONLY") {
        rest = skip_space(r);
    }
    loop {
        rest = eat_ident(rest)?;
        let r = skip_space(rest);
        match r.strip_prefix('.') {
            Some(after) => rest = skip_space(after),
            None => break,
        }
    }
    let clauses = rest.trim().trim_end_matches(';').trim();
    (!clauses.is_empty()).then(|| clauses.to_owned())
}

fn skip_space(mut s: &str) -> &str {
    loop {
        let t = s.trim_start();
        if let Some(r) = t.strip_prefix("--") {
            s = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = t.strip_prefix("/*") {
            // nested comments, as PostgreSQL reads them
            let mut depth = 1;
            let mut i = 0;
            let b = r.as_bytes();
            while i < b.len() && depth > 0 {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            s = r.get(i..).unwrap_or("");
        } else {
            return t;
        }
    }
}

fn eat_kw<'a>(s: &'a str, kw: &str) -> Option<&'a str> {
    let head = s.get(..kw.len())?;
    let next = s[kw.len()..].chars().next();
    (head.eq_ignore_ascii_case(kw)
        && !next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$'))
    .then(|| &s[kw.len()..])
}

fn eat_ident(s: &str) -> Option<&str> {
    if let Some(r) = s.strip_prefix('"') {
        let mut i = 0;
        let b = r.as_bytes();
        loop {
            let j = r[i..].find('"')? + i;
            if b.get(j + 1) == Some(&b'"') {
                i = j + 2;
            } else {
                return Some(&r[j + 1..]);
            }
        }
    }
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '$'))
        .map_or(s.len(), |(i, _)| i);
    (end > 0).then(|| &s[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_after_the_name() {
        assert_eq!(
            alter_clauses("-- c\n/* x /* y */ */ ALTER TABLE IF EXISTS ONLY \"we\"\"ird\".t ALTER COLUMN a TYPE bigint;").as_deref(),
            Some("ALTER COLUMN a TYPE bigint")
        );
        assert_eq!(
            alter_clauses("alter table accounts set tablespace fast").as_deref(),
            Some("set tablespace fast")
        );
        assert_eq!(alter_clauses("ALTER TABLE t"), None);
        assert_eq!(alter_clauses("ALTER TABLEt x"), None);
        assert_eq!(alter_clauses("VACUUM FULL t"), None);
        assert_eq!(alter_clauses("ALTER TABLE \"unterminated"), None);
    }

    fn facts(pk: &[&str], cols: &[(&str, &str)], refusals: &[&str]) -> Facts {
        let mut f = Facts {
            large_table_rows: 1000,
            server_major: 15,
            ..Facts::default()
        };
        f.rows.insert("accounts".into(), 5000);
        f.shadow.insert(
            "accounts".into(),
            TableFacts {
                primary_key: pk.iter().map(|s| s.to_string()).collect(),
                columns: cols
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                refusals: refusals.iter().map(|s| s.to_string()).collect(),
                self_references: Vec::new(),
            },
        );
        f
    }

    fn ops(sql_text: &str) -> Vec<Operation> {
        sluice_core::sql::parse(Dialect::Postgres, sql_text)
            .map(|a| {
                a.iter()
                    .flat_map(|x| sluice_core::sql::classify::classify(Dialect::Postgres, x))
                    .collect()
            })
            .unwrap_or_else(|_| sluice_core::sql::tokscan::scan(Dialect::Postgres, sql_text))
    }

    const COLS: &[(&str, &str)] = &[
        ("id", "integer"),
        ("a", "integer"),
        ("b", "integer"),
        ("v", "character varying(10)"),
    ];

    #[test]
    fn which_statements_call_for_it() {
        let f = facts(&["id"], COLS, &[]);
        let two = "ALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint";
        assert!(natural(&ops(two), &f));
        assert!(natural(
            &ops("ALTER TABLE accounts ALTER COLUMN id TYPE bigint"),
            &f
        ));
        assert!(!natural(
            &ops("ALTER TABLE accounts ALTER COLUMN a TYPE bigint"),
            &f
        ));
        // varchar widening is binary-coercible: no rewrite, so one real change is not enough
        assert!(!natural(
            &ops(
                "ALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN v TYPE varchar(20)"
            ),
            &f
        ));
        assert!(natural(
            &ops("ALTER TABLE accounts SET TABLESPACE pg_default"),
            &f
        ));
        assert!(natural(&ops("VACUUM FULL accounts"), &f));
        let mut with_repack = f.clone();
        with_repack.pg_repack = Some("/usr/bin/pg_repack".into());
        assert!(!natural(&ops("VACUUM FULL accounts"), &with_repack));
        // a rename cannot be carried
        assert!(!natural(
            &ops(
                "ALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint, RENAME COLUMN v TO w"
            ),
            &f
        ));
    }

    #[test]
    fn routed_by_the_framework() {
        use sluice_core::sql::Dialect;
        let f = facts(&["id"], COLS, &[]);
        let pick = |sql_text: &str, forced: Option<&str>| {
            super::super::choose(Dialect::Postgres, sql_text, false, forced, &f)
        };
        let two = "ALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint";
        assert_eq!(
            pick(two, None).unwrap().choice.strategy,
            Strategy::ShadowTable
        );
        assert_eq!(
            pick("VACUUM FULL accounts", None).unwrap().choice.strategy,
            Strategy::ShadowTable,
            "no pg_repack"
        );
        let forced = pick(
            "ALTER TABLE accounts SET TABLESPACE pg_default",
            Some("shadow-table"),
        )
        .unwrap();
        assert!(forced.choice.forced && forced.choice.strategy == Strategy::ShadowTable);
        assert_eq!(
            pick(two, Some("plain")).unwrap().choice.strategy,
            Strategy::Plain
        );
        let e = pick("CREATE INDEX i ON accounts (a)", Some("shadow-table")).unwrap_err();
        assert!(
            e.contains("cannot carry this statement's CreateIndex"),
            "{e}"
        );
        // a single non-key type change stays with the planner's shadow column
        assert_ne!(
            pick("ALTER TABLE accounts ALTER COLUMN a TYPE bigint", None)
                .unwrap()
                .choice
                .strategy,
            Strategy::ShadowTable
        );
    }

    #[test]
    fn chosen_with_its_plan_or_refused_with_the_reason() {
        let f = facts(&["id"], COLS, &[]);
        let sql_text = "ALTER TABLE accounts ALTER COLUMN a TYPE bigint USING a::bigint, ALTER COLUMN b TYPE bigint";
        let c = choose(sql_text, &ops(sql_text), false, false, &f).unwrap();
        assert_eq!(c.choice.strategy, Strategy::ShadowTable);
        let Some([Action::ShadowTable(s)]) = c.actions.as_deref() else {
            panic!("{c:?}");
        };
        assert_eq!(
            s.alter.as_deref(),
            Some("ALTER COLUMN a TYPE bigint USING a::bigint, ALTER COLUMN b TYPE bigint")
        );
        assert_eq!(s.key, ["id"]);
        assert_eq!(s.using.get("a").map(String::as_str), Some("a::BIGINT"));
        assert_eq!(qn(&s.shadow()), "_sluice_shadow_accounts");

        let refused = facts(
            &["id"],
            COLS,
            &["foreign key orders_account_fk on orders references it"],
        );
        let e = choose(sql_text, &ops(sql_text), false, false, &refused).unwrap_err();
        assert!(
            e.contains("refused: foreign key orders_account_fk on orders references it")
                && e.contains("sluice:strategy plain"),
            "{e}"
        );
        let no_pk = facts(&[], COLS, &[]);
        let e = choose(sql_text, &ops(sql_text), true, false, &no_pk).unwrap_err();
        assert!(e.contains("no primary key"), "{e}");

        let mut small = f.clone();
        small.rows.insert("accounts".into(), 10);
        let c = choose(sql_text, &ops(sql_text), false, false, &small).unwrap();
        assert_eq!(c.choice.strategy, Strategy::Plain);
        assert!(c.choice.reason.contains("rows (below"), "{c:?}");
    }
}
