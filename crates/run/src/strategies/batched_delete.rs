//! The batched delete: a `DELETE` whose `WHERE` bounds no key range, run as
//! a note of the keys it matches, then short deletes of those keys in key order, each its
//! own transaction (the executor is `run::batched_delete`).
//!
//! The keys are noted once, by one read (no row lock), into a scratch table: each batch
//! then touches only rows the statement matched, so a condition that reads the table
//! itself (lemmy's duplicates, `USING (SELECT min(id) .. GROUP BY ap_id)`) is evaluated
//! once, as the statement would, not once per batch over a table the earlier batches
//! changed. A condition that reads only the row (and calls nothing volatile) is checked
//! again by each batch: a row an application changed since the note no longer matches, and
//! stays.

use sqlparser::ast::{Expr, FromTable, Statement as Ast, TableFactor};

use super::{Action, Choice, Chosen, Facts, Strategy, plain};
use crate::driver::{self, Database};
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::{Dialect, classify};

/// How a `DELETE` the runner would batch but cannot ends its reason: `--dry-run` and the
/// log show such a choice (other plain choices stay quiet).
pub const DECLINED: &str = "one statement, as written";

/// One batched delete, ready for the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchedDelete {
    pub dialect: Dialect,
    pub table: ObjName,
    /// The target's alias as written (`DELETE FROM post a`).
    pub alias: Option<String>,
    /// The `USING` list as written.
    pub using: Option<String>,
    /// The `WHERE` condition as written.
    pub condition: Option<String>,
    /// The primary key, in key order.
    pub key: Vec<String>,
    /// Per key column: numeric.
    pub numeric: Vec<bool>,
    /// Each batch checks the condition again: it reads only the row (no `USING`, no
    /// subquery) and calls nothing volatile.
    pub recheck: bool,
    /// The scratch table of the matched keys (the table's schema, a name from the
    /// statement's text: a re-run after an interruption notes the keys again in it).
    pub keys: ObjName,
    /// The statement as written, for messages and `--dry-run`.
    pub statement: String,
}

impl BatchedDelete {
    fn db(&self) -> &'static dyn Database {
        driver::database(self.dialect)
    }

    /// What `--dry-run` shows: the statements, a batch's with its key range as `..`.
    pub fn display(&self) -> String {
        let db = self.db();
        let mut lines = vec![format!(
            "-- batched delete of {} by {} (keys noted in {}) instead of: {}",
            db.qualified(&self.table),
            self.key.join(", "),
            db.qualified(&self.keys),
            self.statement
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        )];
        lines.push(format!("{};", self.drop_keys_sql()));
        lines.extend(self.create_keys_sql().into_iter().map(|s| format!("{s};")));
        lines.push(format!("{};", self.fill_keys_sql()));
        lines.push(format!(
            "-- then, a short transaction each (sized toward [run] delete_batch_time; one that meets an application's row lock gives way after {} ms and tries again), in key order until no key is left:\n{};",
            crate::backfill_batch::YIELD_AFTER.as_millis(),
            self.delete_sql(&["<the batch's key range>".to_owned()])
        ));
        lines.push(format!("{};", self.drop_keys_sql()));
        lines.join("\n")
    }

    /// How the target's columns are named in the condition: the alias, else the table.
    fn qualifier(&self) -> String {
        self.alias
            .clone()
            .unwrap_or_else(|| self.db().qualified(&self.table))
    }

    /// The target's key columns, qualified.
    fn target_key(&self) -> Vec<String> {
        let q = self.qualifier();
        self.key
            .iter()
            .map(|c| format!("{q}.{}", self.db().ident(c)))
            .collect()
    }

    /// The key columns, quoted, comma-separated.
    fn key_list(&self) -> String {
        self.key
            .iter()
            .map(|c| self.db().ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The keys' scratch table, dropped.
    pub fn drop_keys_sql(&self) -> String {
        format!("DROP TABLE IF EXISTS {}", self.db().qualified(&self.keys))
    }

    /// How many keys were noted, as text.
    pub fn count_keys_sql(&self) -> String {
        format!(
            "SELECT {} FROM {}",
            self.db().as_text("count(*)"),
            self.db().qualified(&self.keys)
        )
    }

    /// The note's scratch table, empty and keyed for the walk (run after
    /// [`BatchedDelete::drop_keys_sql`], then [`BatchedDelete::fill_keys_sql`]).
    pub fn create_keys_sql(&self) -> Vec<String> {
        let db = self.db();
        let k = db.qualified(&self.keys);
        vec![
            db.scratch_table_sql(&k, &self.select_keys()),
            format!("ALTER TABLE {k} ADD PRIMARY KEY ({})", self.key_list()),
        ]
    }

    /// The note of the matched keys: one read of the statement's join into the scratch
    /// table (an `INSERT .. SELECT`: DML, so the isolation set for its transaction holds;
    /// MySQL's `CREATE TABLE .. SELECT` commits first and reads under the session's).
    pub fn fill_keys_sql(&self) -> String {
        format!(
            "INSERT INTO {} {}",
            self.db().qualified(&self.keys),
            self.select_keys()
        )
    }

    /// `SELECT DISTINCT <key> FROM <the statement's join> WHERE <its condition>`.
    fn select_keys(&self) -> String {
        let db = self.db();
        let mut from = db.qualified(&self.table);
        if let Some(a) = &self.alias {
            from.push_str(&format!(" AS {a}"));
        }
        if let Some(u) = &self.using {
            from.push_str(&format!(", {u}"));
        }
        let cond = self
            .condition
            .as_ref()
            .map(|w| format!(" WHERE {w}"))
            .unwrap_or_default();
        format!(
            "SELECT DISTINCT {} FROM {from}{cond}",
            self.target_key().join(", ")
        )
    }

    /// One batch: the target's rows whose keys the scratch table holds under `bounds`
    /// (conditions on the scratch table's key columns), the condition checked again when it
    /// reads only the row.
    pub fn delete_sql(&self, bounds: &[String]) -> String {
        let db = self.db();
        let target = match self.target_key().as_slice() {
            [one] => one.clone(),
            many => format!("({})", many.join(", ")),
        };
        let head = db.delete_head(&db.qualified(&self.table), self.alias.as_deref());
        let within = if bounds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", bounds.join(" AND "))
        };
        let mut sql = format!(
            "{head} WHERE {target} IN (SELECT {} FROM {}{within})",
            self.key_list(),
            db.qualified(&self.keys)
        );
        if self.recheck
            && let Some(w) = &self.condition
        {
            sql.push_str(&format!(" AND ({w})"));
        }
        sql
    }
}

/// The batched delete of `ast`, or why it runs as written.
pub(super) fn choose(
    dialect: Dialect,
    sql_text: &str,
    ast: &Ast,
    forced: bool,
    created_here: bool,
    facts: &Facts,
) -> Result<Chosen, String> {
    let refuse = |why: String| -> Result<Chosen, String> {
        if forced {
            Err(format!(
                "`-- sluice:strategy batched-delete` cannot run this statement: {why}"
            ))
        } else {
            Ok(plain(why, false))
        }
    };
    let Ast::Delete(d) = ast else {
        return refuse("it is not a DELETE".into());
    };
    let from = match &d.from {
        FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
    };
    let ([target], true, None, true, None, true) = (
        from.as_slice(),
        d.tables.is_empty(),
        &d.returning,
        d.order_by.is_empty(),
        &d.limit,
        from.first().is_some_and(|t| t.joins.is_empty()),
    ) else {
        return refuse(
            "the batches delete from one table, without RETURNING, ORDER BY or LIMIT".into(),
        );
    };
    let TableFactor::Table { name, alias, .. } = &target.relation else {
        return refuse("its target is not a table".into());
    };
    if alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
        return refuse("its alias renames columns".into());
    }
    let table = classify::obj_name(name);
    if !forced
        && let Some(p) = super::plain_path(
            Some(&table),
            created_here,
            facts,
            "one statement's row locks are brief",
        )
    {
        return Ok(p);
    }
    let Some(tf) = facts.shadow.get(&table.to_string()) else {
        return refuse(format!(
            "{table} is not found in the database (its primary key decides the batches)"
        ));
    };
    if tf.primary_key.is_empty() {
        return refuse(format!(
            "{table} has no primary key, which the batches walk: {DECLINED}"
        ));
    }
    // one statement deletes a row and the rows referencing it together (PostgreSQL checks a
    // NO ACTION key at the statement's end); batches could split them and fail
    if let Some(fk) = tf.self_references.first() {
        return refuse(format!(
            "{table} references itself ({fk}, ON DELETE NO ACTION / RESTRICT): a batch could delete a row before another batch deletes the rows referencing it, which one statement does together: {DECLINED}"
        ));
    }
    let numeric = tf
        .primary_key
        .iter()
        .map(|k| {
            tf.columns
                .get(k)
                .is_some_and(|t| crate::backfill::is_numeric_type(t))
        })
        .collect();
    let using = d.using.as_ref().map(|u| {
        u.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    });
    let condition = d.selection.as_ref().map(ToString::to_string);
    // not a volatile one either (`random() < 0.5` checked again would keep more rows)
    let recheck = using.is_none()
        && d.selection.as_ref().is_none_or(|w| {
            !has_subquery(w)
                && sluice_core::sql::volatility::of_ast(w)
                    != sluice_core::sql::ops::Volatility::Volatile
        });
    let spec = BatchedDelete {
        dialect,
        keys: ObjName::new(
            table.schema.as_deref(),
            &sluice_core::names::delete_keys(sql_text),
        ),
        table,
        alias: alias.as_ref().map(|a| a.name.to_string()),
        using,
        condition,
        key: tf.primary_key.clone(),
        numeric,
        recheck,
        statement: sql_text.trim().to_owned(),
    };
    Ok(Chosen {
        choice: Choice {
            strategy: Strategy::BatchedDelete,
            reason: super::reason(Strategy::BatchedDelete).to_owned(),
            forced,
        },
        actions: Some(vec![Action::BatchedDelete(Box::new(spec))]),
    })
}

/// Does `e` hold a subquery (`IN (SELECT ..)`, `EXISTS`, a scalar subquery)?
fn has_subquery(e: &Expr) -> bool {
    use sqlparser::ast::Visit;
    struct Finder(bool);
    impl sqlparser::ast::Visitor for Finder {
        type Break = ();
        fn pre_visit_query(
            &mut self,
            _q: &sqlparser::ast::Query,
        ) -> std::ops::ControlFlow<Self::Break> {
            self.0 = true;
            std::ops::ControlFlow::Break(())
        }
    }
    let mut f = Finder(false);
    let _ = e.visit(&mut f);
    f.0
}
