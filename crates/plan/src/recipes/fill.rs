//! The migration's backfill: the fills recipes add, merged into one key-range fill per table.

use std::collections::BTreeMap;

use sluice_core::source::backfill::{BackfillSpec, DEFAULT_BATCH_SIZE};
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::quote;

use super::super::{Cost, PlanPhase, Strategy};
use super::builder::{Builder, Src, StepSpec};
use super::lock;

/// One column a backfill fills, and which rows still need it.
pub(super) struct Fill {
    pub(super) table: ObjName,
    /// `UPDATE .. FROM`: the table's alias and the FROM list (PostgreSQL).
    join: Join,
    key: Vec<String>,
    pub(super) column: String,
    expr: String,
    todo: Option<String>,
    /// The column's type as a cast target, when the catalog knows it.
    cast: Option<String>,
}

/// The alias and the `FROM` list of an `UPDATE .. FROM` (PostgreSQL) a fill keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Join {
    pub alias: Option<String>,
    pub from: Option<String>,
}

/// A column's type as written, as the target of a cast: the serial pseudo-types are their
/// integer types.
fn cast_type(written: &str) -> String {
    match written.trim().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => "integer".into(),
        "bigserial" | "serial8" => "bigint".into(),
        "smallserial" | "serial2" => "smallint".into(),
        _ => written.trim().to_owned(),
    }
}

impl Builder<'_> {
    /// A naive `UPDATE` as the migration's backfill.
    #[allow(clippy::too_many_arguments)]
    pub fn backfill_update(
        &mut self,
        src: &Src<'_>,
        table: &ObjName,
        join: &Join,
        key: Vec<String>,
        column: &str,
        expr: String,
        todo: Option<String>,
    ) -> Result<(), String> {
        self.add_backfill(
            src,
            "batched-update",
            table,
            join.clone(),
            key,
            column,
            expr,
            todo,
        )
    }

    /// Add `column = expr` to the migration's backfill (a fill per table, in the order the
    /// tables come).
    #[allow(clippy::too_many_arguments)]
    pub fn backfill(
        &mut self,
        src: &Src<'_>,
        recipe: &'static str,
        table: &ObjName,
        key: Vec<String>,
        column: &str,
        expr: String,
        todo: String,
    ) -> Result<(), String> {
        self.add_backfill(
            src,
            recipe,
            table,
            Join::default(),
            key,
            column,
            expr,
            Some(todo),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn add_backfill(
        &mut self,
        src: &Src<'_>,
        recipe: &'static str,
        table: &ObjName,
        join: Join,
        key: Vec<String>,
        column: &str,
        expr: String,
        todo: Option<String>,
    ) -> Result<(), String> {
        // every column of a table's fill runs in the one UPDATE of its batches: under one
        // FROM, or none (a shadow column's fill under another statement's join would only
        // reach the rows the join matches)
        if let Some(other) = self
            .fills
            .iter()
            .find(|f| f.table == *table && f.join != join)
        {
            return Err(format!(
                "this migration already backfills {} of {table} {}: one fill of a table has one FROM; move this statement to a migration of its own",
                other.column,
                match &other.join.from {
                    Some(f) => format!("FROM {f}"),
                    None => "without FROM".to_owned(),
                }
            ));
        }
        if let Some(other) = self.fills.iter().find(|f| f.table == *table) {
            if other.key != key {
                return Err(format!(
                    "this migration already backfills {table} by the key ({}); a table is filled by one key: move this statement to a migration of its own",
                    other.key.join(", ")
                ));
            }
            if self
                .fills
                .iter()
                .any(|f| f.table == *table && f.column == column)
            {
                return Err(format!(
                    "this migration already backfills {column} of {table}: merge the two into one statement"
                ));
            }
        }
        // the column's type, for the CASE that guards it beside other columns' fills (the
        // assignment casts an expression's type; a CASE's branches must agree: chirpstack's
        // json_build_object into a jsonb column met "CASE/WHEN could not convert type json to
        // jsonb"); unknown for a column this migration adds
        let cast = src
            .cat
            .table(table)
            .and_then(|t| t.column(column))
            .map(|c| cast_type(&c.data_type));
        self.fills.push(Fill {
            table: table.clone(),
            join,
            key,
            column: column.to_owned(),
            expr,
            todo,
            cast,
        });
        let summary = format!("fill {column} of {table} in key-range batches");
        self.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Backfill,
                strategy: Strategy::BatchedBackfill,
                summary,
                lock: lock::ROW_EXCLUSIVE_BATCHES,
                cost: Cost::Batched,
                up: String::new(),
                down: Some(String::new()),
            },
            None,
        );
        Ok(())
    }

    /// The backfill: a fill per table, in the order the tables first come.
    pub(super) fn backfill_specs(&self) -> Vec<BackfillSpec> {
        let mut tables: Vec<&ObjName> = Vec::new();
        for f in &self.fills {
            if !tables.contains(&&f.table) {
                tables.push(&f.table);
            }
        }
        tables
            .into_iter()
            .map(|t| {
                let fills: Vec<&Fill> = self.fills.iter().filter(|f| f.table == *t).collect();
                self.table_fill(&fills)
            })
            .collect()
    }

    /// One table's fill: one column as is; several each guarded by its own condition, so a
    /// row one column still needs is not rewritten by another's expression.
    fn table_fill(&self, fills: &[&Fill]) -> BackfillSpec {
        let first = fills[0];
        // one condition for every column (one UPDATE of several columns): no guard needed
        let alike = fills
            .iter()
            .all(|f| f.todo.is_some() && f.todo == first.todo);
        let several = fills.len() > 1 && !alike;
        // the column a guard leaves as it is, qualified when an UPDATE .. FROM may join a
        // table with a column of its name (lemmy's `person.admin` and `local_user.admin`)
        let own = |column: &str| {
            let c = quote::ident_min(self.r.dialect, column);
            match (&first.join.alias, &first.join.from) {
                (Some(a), _) => format!("{}.{c}", quote::ident_min(self.r.dialect, a)),
                (None, Some(_)) => {
                    format!("{}.{c}", quote::qualified(self.r.dialect, &first.table))
                }
                (None, None) => c,
            }
        };
        let mut set = BTreeMap::new();
        for f in fills {
            let expr = match (&f.todo, several) {
                (Some(t), true) => {
                    let then = match &f.cast {
                        Some(ty) if self.r.dialect == sluice_core::sql::Dialect::Postgres => {
                            format!("({})::{ty}", f.expr)
                        }
                        _ => f.expr.clone(),
                    };
                    format!("CASE WHEN {t} THEN {then} ELSE {} END", own(&f.column))
                }
                _ => f.expr.clone(),
            };
            set.insert(f.column.clone(), expr);
        }
        let todos: Option<Vec<&String>> = fills.iter().map(|f| f.todo.as_ref()).collect();
        let where_ = todos.map(|t| {
            let mut unique: Vec<&String> = Vec::new();
            for c in t {
                if !unique.contains(&c) {
                    unique.push(c);
                }
            }
            if unique.len() == 1 {
                unique[0].clone()
            } else {
                unique
                    .iter()
                    .map(|c| format!("({c})"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            }
        });
        let mysql = self.r.dialect == sluice_core::sql::Dialect::Mysql;
        BackfillSpec {
            table: first.table.name.clone(),
            schema: first.table.schema.clone(),
            key: first.key.clone(),
            set,
            where_,
            alias: first.join.alias.clone(),
            from: first.join.from.clone(),
            batch_size: DEFAULT_BATCH_SIZE,
            // PostgreSQL: no pause. Each batch gives way to application row locks and the
            // next one takes other rows, so a pause only idles the fill: without the 2 ms one
            // it runs at ~90% of one UPDATE's rate instead of ~70%, the application's stall
            // unchanged (zdt-bench, docs/benchmarks.md). MariaDB, without a pause: the same
            // stall in one set, higher in another: it keeps 2 ms
            pause: std::time::Duration::from_millis(if mysql { 2 } else { 0 }),
            // an application write that meets a batch waits at most about this long. On
            // PostgreSQL batches commit without waiting for the WAL flush and give way to
            // application row locks: 10 ms batches leave writers waiting at most ~9 ms
            // (zdt-bench's lock sampler; 40 ms batches: up to 48 ms). On MariaDB 10 ms
            // batches stalled the rename 28-44% less than 40 ms ones, at 35% more time
            // (quiet machine, docs/benchmarks.md)
            target_batch_time: Some(std::time::Duration::from_millis(10)),
            max_replication_lag: Some(std::time::Duration::from_secs(5)),
        }
    }
}
