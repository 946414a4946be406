//! Recipes: one naive statement in, steps for expand / backfill / contract out.
//!
//! Each recipe returns `Err(reason)` when it cannot make the statement safe; the planner
//! collects those as refusals.

mod column;
mod constant;
mod constraint;
pub(super) mod fold;
mod fresh;
mod index;
mod inline;
mod mysql;
mod passthrough;
mod shadow;
mod soft_drop;
mod table;
mod unparsed;
mod update;
mod view_rename;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sqlparser::ast::Statement as Ast;

use sluice_core::catalog::{Catalog, Table};
use sluice_core::source::Migration;
use sluice_core::source::backfill::{BackfillSpec, DEFAULT_BATCH_SIZE};
use sluice_core::source::directives::{self, Directive};
use sluice_core::sql::ops::{ConstraintKind, ObjName, ObjectKind, Operation, TxControl};
use sluice_core::sql::{self, quote};
use sluice_lint::context::{Parsed, ScriptCx, Stmt};
use sluice_lint::settings::LintSettings;

use super::render::Renderer;
use super::{Applied, Cost, Plan, PlanPhase, Step, Strategy, names};

/// Locks, as the plan reports them.
pub(super) mod lock {
    pub const BRIEF_EXCLUSIVE: &str =
        "ACCESS EXCLUSIVE, brief: catalog only, under lock_timeout with retries";
    pub const SHARE_UPDATE_EXCLUSIVE: &str = "SHARE UPDATE EXCLUSIVE: reads and writes continue";
    pub const SHARE_ROW_EXCLUSIVE_BRIEF: &str =
        "SHARE ROW EXCLUSIVE on both tables, brief (no scan)";
    pub const ROW_EXCLUSIVE_BATCHES: &str = "ROW EXCLUSIVE, row locks of one batch at a time";
    pub const NONE: &str = "none";
}

/// A naive statement being planned.
#[allow(clippy::struct_excessive_bools)] // independent facts of one statement, each a recipe's
pub(super) struct Src<'a> {
    pub line: usize,
    pub text: String,
    pub ast: Option<&'a Ast>,
    pub op: &'a Operation,
    /// Schema before the statement.
    pub cat: &'a Catalog,
    /// The table was created earlier in this same migration: nothing running uses it.
    pub new_table: bool,
    /// A constraint on columns this migration adds: no running code writes them, so it can
    /// hold from the expand on, as the naive statement would.
    pub new_columns: bool,
    /// An index built under a name this migration freed (it dropped the old index, which
    /// keeps the name until the contract).
    pub freed_name: bool,
    /// A drop of a trigger this migration creates again under its name: a replacement,
    /// which stays in the expand with the creation (in the contract, the drop would meet
    /// the new trigger, or the creation the old one).
    pub replaced: bool,
    /// `-- sluice:backfill <expr>` above the statement.
    pub backfill_expr: Option<String>,
}

impl Src<'_> {
    pub fn table(&self, name: &ObjName) -> Result<&Table, String> {
        self.cat.table(name).ok_or_else(|| {
            format!(
                "table {name} is not known from the earlier migrations; plan from a directory holding them, or pass --schema-from <DATABASE_URL>"
            )
        })
    }

    /// The primary key a backfill walks.
    /// The columns a backfill walks `table` by: its primary key, else its unique constraint
    /// of fewest columns, all NOT NULL (ente's `tokens`, `otts`, `collection_shares`: a
    /// `UNIQUE NOT NULL` column or column set and no primary key).
    pub fn key(table: &Table) -> Result<Vec<String>, String> {
        let pk = table
            .constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
            .map(|c| c.columns.clone())
            .filter(|c| !c.is_empty());
        if let Some(pk) = pk {
            return Ok(pk);
        }
        table
            .constraints
            .iter()
            .filter(|c| {
                c.kind == ConstraintKind::Unique
                    && !c.columns.is_empty()
                    && c.columns
                        .iter()
                        .all(|n| table.column(n).is_some_and(|col| col.not_null))
            })
            .min_by_key(|c| c.columns.len())
            .map(|c| c.columns.clone())
            .ok_or_else(|| {
                format!(
                    "table {} has no primary key, nor a unique constraint on NOT NULL columns: the backfill walks rows in key order; add a primary key first",
                    table.name
                )
            })
    }

    /// A column's definition is only as current as the catalog: an earlier statement the
    /// parser could not read changed `t` (its own check would say "current type unknown",
    /// and a shadow column would copy a definition that may be stale). MySQL, whose
    /// recipes pin an algorithm by the current type; on PostgreSQL lemmy's renames on
    /// tables its unread statements touched were proven by `verify --naive`, and stay.
    pub fn known_columns(t: &Table, table: &ObjName, column: &str) -> Result<(), String> {
        if !t.uncertain {
            return Ok(());
        }
        Err(format!(
            "an earlier statement the parser could not read changed {table} (`migrate lint` reports it as unparsed-statement), so the current type of {column} is not known: the planner can neither tell an in-place change from a table copy nor give a shadow column its type; plan it on the live columns (`migrate plan --schema-from <DATABASE_URL>`)"
        ))
    }
}

pub(super) struct Builder<'r> {
    pub r: &'r Renderer,
    pub version: String,
    pub settings: &'r LintSettings,
    steps: Vec<Step>,
    recipes: Vec<Applied>,
    notes: Vec<String>,
    fills: Vec<Fill>,
    next_group: usize,
    /// The statement being planned is forced through an online schema change tool
    /// (`-- sluice:strategy pt-osc | gh-ost`): its ALTER is not pinned, the tool copies.
    pub tool_forced: bool,
    /// The NOT NULL column being planned had its NOT NULL statement forced through this
    /// tool (MySQL): the contract's rebuild runs through it.
    pub fold_tool: Option<String>,
    /// The column being added has its DEFAULT set or dropped by a later statement of the
    /// migration: that statement, not the contract, leaves the column's final default.
    pub default_set_later: bool,
    /// PostgreSQL column renames go through a view instead of a copy ([`view_rename`]).
    pub rename_view: bool,
    /// Tables whose column renames a view carries, with the line that planned them all.
    view_renamed: Vec<(ObjName, usize)>,
    /// Lines from a view's or a function's drop to its creation again
    /// ([`fresh::replaced_view`], [`fresh::replaced_function`]): their expand steps run in one
    /// transaction.
    view_spans: Vec<(usize, usize, &'static str)>,
    /// Columns an earlier statement renamed or retyped through a shadow column.
    shadowed: Vec<Shadowed>,
    /// MySQL: tables and lines of the recipes whose expand creates triggers that their
    /// contract drops ([`Builder::contract_before_earlier_triggers`]).
    trigger_contracts: Vec<(ObjName, usize)>,
}

/// A column an earlier statement of the migration renamed or retyped through a shadow column.
#[derive(Clone)]
pub(super) struct Shadowed {
    pub table: ObjName,
    /// Its name in the naive schema after the statement.
    pub column: String,
    /// The column holding its new shape in the expand (the swap gives it `column`).
    pub shadow: String,
    /// The old column had a default, which the swap gives the new one.
    pub had_default: bool,
    /// The old column's name.
    pub old: String,
    pub line: usize,
}

/// One column a backfill fills, and which rows still need it.
struct Fill {
    table: ObjName,
    /// `UPDATE .. FROM`: the table's alias and the FROM list (PostgreSQL).
    join: Join,
    key: Vec<String>,
    column: String,
    expr: String,
    todo: Option<String>,
    /// The column's type as a cast target, when the catalog knows it.
    cast: Option<String>,
}

/// The alias and the `FROM` list of an `UPDATE .. FROM` (PostgreSQL) a fill keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Join {
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

/// What a step does; the builder adds phase-independent bookkeeping.
pub(super) struct StepSpec {
    pub phase: PlanPhase,
    pub strategy: Strategy,
    pub summary: String,
    pub lock: &'static str,
    pub cost: Cost,
    pub up: String,
    pub down: Option<String>,
}

impl<'r> Builder<'r> {
    pub fn new(r: &'r Renderer, version: &str, settings: &'r LintSettings) -> Builder<'r> {
        Builder {
            r,
            version: version.to_owned(),
            settings,
            steps: Vec::new(),
            recipes: Vec::new(),
            notes: Vec::new(),
            fills: Vec::new(),
            next_group: 0,
            tool_forced: false,
            default_set_later: false,
            rename_view: false,
            view_renamed: Vec::new(),
            fold_tool: None,
            view_spans: Vec::new(),
            shadowed: Vec::new(),
            trigger_contracts: Vec::new(),
        }
    }

    /// Render a template; a failure is a bug in a template, reported as a refusal reason.
    #[allow(clippy::needless_pass_by_value)] // callers build the context inline with json!
    pub fn sql(&self, template: &str, ctx: Value) -> Result<String, String> {
        self.r
            .render(template, &ctx)
            .map_err(|e| format!("internal error: {e}"))
    }

    pub fn ident(&self, name: &str) -> String {
        quote::ident_min(self.r.dialect, name)
    }

    pub fn group(&mut self) -> usize {
        self.next_group += 1;
        self.next_group
    }

    pub fn add(&mut self, src: &Src<'_>, recipe: &'static str, s: StepSpec, group: Option<usize>) {
        if !self
            .recipes
            .iter()
            .any(|a| a.line == src.line && a.recipe == recipe)
        {
            self.recipes.push(Applied {
                recipe,
                line: src.line,
                statement: super::one_line(&src.text),
            });
        }
        self.steps.push(Step {
            phase: s.phase,
            recipe,
            strategy: s.strategy,
            source_line: src.line,
            summary: s.summary,
            lock: s.lock,
            cost: s.cost,
            up: s.up,
            down: s.down,
            group,
        });
    }

    /// MySQL / MariaDB fire a table's triggers of one event in the order they were created,
    /// and a contract's down creates again, in reverse order, the triggers its up dropped. So
    /// that the down gives back the expand's order, the contracts of the recipes doing so on
    /// one table run last-created first: the contract steps from `from` on (those of the
    /// recipe of `line`) go before the contract of an earlier such recipe on `table`. Their
    /// columns differ (a column is shadowed once per migration), so the order is free.
    pub fn contract_before_earlier_triggers(&mut self, table: &ObjName, line: usize, from: usize) {
        let earlier: Vec<usize> = self
            .trigger_contracts
            .iter()
            .filter(|(t, _)| t == table)
            .map(|(_, l)| *l)
            .collect();
        self.trigger_contracts.push((table.clone(), line));
        let first = self.steps[..from]
            .iter()
            .position(|s| s.phase == PlanPhase::Contract && earlier.contains(&s.source_line));
        if let Some(at) = first {
            let moved: Vec<Step> = self.steps.drain(from..).collect();
            self.steps.splice(at..at, moved);
        }
    }

    /// The steps planned so far.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Leave out the contract's step giving shadow column `s` the old column's default: a
    /// later statement set its own.
    pub fn drop_swap_default(&mut self, s: &Shadowed) {
        let summary = format!("{} takes the default of {}", s.shadow, s.old);
        self.steps
            .retain(|step| !(step.phase == PlanPhase::Contract && step.summary == summary));
    }

    /// Column `column` of `table` as an earlier statement renamed or retyped it.
    pub fn shadowed_column(&self, table: &ObjName, column: &str) -> Option<&Shadowed> {
        self.shadowed
            .iter()
            .rev()
            .find(|s| s.table == *table && s.column == column)
    }

    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

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
    fn backfill_specs(&self) -> Vec<BackfillSpec> {
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

    /// One transaction for the expand steps of each run of overlapping replacements (`DROP
    /// VIEW a; DROP VIEW b; CREATE VIEW a ..; CREATE VIEW b ..`), their statements under the
    /// replacement's recipe (`replace-view`, `replace-function`).
    fn group_view_replacements(&mut self) {
        let mut spans = std::mem::take(&mut self.view_spans);
        spans.sort_unstable();
        for (a, z, recipe) in &spans {
            for s in &mut self.steps {
                if (*a..=*z).contains(&s.source_line) && s.recipe == passthrough::RECIPE {
                    s.recipe = recipe;
                }
            }
            for r in &mut self.recipes {
                if (*a..=*z).contains(&r.line) && r.recipe == passthrough::RECIPE {
                    r.recipe = recipe;
                }
            }
        }
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, z, _) in spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(z),
                _ => merged.push((a, z)),
            }
        }
        for (a, z) in merged {
            let group = self.group();
            for s in &mut self.steps {
                if s.phase == PlanPhase::Expand && (a..=z).contains(&s.source_line) {
                    s.group = Some(group);
                }
            }
        }
    }

    /// PostgreSQL: identifiers over 63 bytes written as it stores them (its lexer cuts them
    /// anyway), so the phase files do not rely on the silent cut (identifier-too-long).
    fn stored_identifiers(&mut self) {
        if self.settings.dialect != sluice_core::sql::Dialect::Postgres {
            return;
        }
        let mut lines = std::collections::BTreeSet::new();
        for s in &mut self.steps {
            let stored = |t: &str| sluice_core::sql::quote::pg_stored_identifiers(t).into_owned();
            let up = stored(&s.up);
            let down = s.down.as_deref().map(stored);
            if up != s.up || down != s.down {
                lines.insert(s.source_line);
                s.up = up;
                s.down = down;
            }
        }
        for line in lines {
            self.note(format!(
                "line {line}: an identifier over 63 bytes is written as PostgreSQL stores it, its first 63 bytes"
            ));
        }
    }

    pub fn finish(mut self, migration: &Migration) -> Plan {
        self.stored_identifiers();
        self.group_view_replacements();
        let backfill = self.backfill_specs();
        Plan {
            version: migration.version.raw.clone(),
            version_key: migration.version.clone(),
            name: migration.name.clone(),
            dialect: self.settings.dialect,
            recipes: self.recipes,
            steps: self.steps,
            backfill,
            notes: self.notes,
            kept_ignores: BTreeMap::default(),
            runner: None,
        }
    }
}

/// The JSON a template gets for a table name.
pub(super) fn tname(t: &ObjName) -> Value {
    json!({ "schema": t.schema, "name": t.name })
}

/// A name in the table's schema (functions, indexes).
pub(super) fn in_schema(t: &ObjName, name: &str) -> Value {
    json!({ "schema": t.schema, "name": name })
}

/// Plan one statement of the naive script.
pub(super) fn plan_statement(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
) -> Result<(), String> {
    let line = cx.file().line_col(st.range.start).line;
    let asts = match &st.parsed {
        Parsed::Ok(asts) => asts,
        Parsed::ClientCommand => return Ok(()),
        Parsed::SyntaxError(e) => return Err(format!("syntax error: {}", e.kind.message())),
        Parsed::Unparsed(f) => {
            let text = as_written(b, cx, st);
            let first = b.steps.len();
            let plan_rest = |b: &mut Builder<'_>, rest: &str| {
                let asts = sql::parse(b.settings.dialect, rest).map_err(|e| {
                    format!(
                        "the statement without its deferrals does not parse either ({})",
                        e.message
                    )
                })?;
                plan_each(b, cx, st, cx.catalog(st.index), line, &asts, None, None)
            };
            unparsed::plan(
                b,
                line,
                &text,
                cx.catalog(0),
                |t| cx.is_new_table(t, st.index),
                plan_rest,
            )
            .map_err(|why| {
                format!(
                    "the SQL parser cannot read this statement ({}); {why}",
                    f.message
                )
            })?;
            return keep_directives(b, first, line, None, &written(cx, st).ignores);
        }
    };
    let Written {
        backfill: backfill_expr,
        strategy,
        ignores,
    } = written(cx, st);
    trigger_on_shadowed(b, asts)?;
    reads_shadowed(b, cx, st)?;
    let cat = cx.catalog(st.index);
    let first = b.steps.len();
    let first_fill = b.fills.len();
    b.tool_forced = matches!(strategy.as_deref(), Some("pt-osc" | "gh-ost"));
    b.default_set_later = fold::default_set_later(cx, st);
    let planned = plan_each(
        b,
        cx,
        st,
        cat,
        line,
        asts,
        strategy.as_deref(),
        backfill_expr,
    );
    b.tool_forced = false;
    b.default_set_later = false;
    planned?;
    trigger_created_later(b, cx, st, first_fill)?;
    keep_directives(b, first, line, strategy.as_deref(), &ignores)
}

/// An `INSERT` (`.. SELECT`) that names a column an earlier statement renamed or retyped
/// through a shadow column, and its table (an `UPDATE` becomes a backfill, whose order the
/// backfill recipe checks): in the expand the shadow
/// column holds NULL for the old rows until the backfill after the expand fills it, so the
/// write would read NULLs where the naive statement read values (lemmy's
/// `add_modlog_combined_table`: `when_` renamed to `published`, then `INSERT INTO
/// modlog_combined .. SELECT published FROM ..`, refused by a NOT NULL; `migrate verify
/// --naive` found it). Names are matched by word, so a same-named column of another table in
/// the statement refuses it too.
fn reads_shadowed(b: &Builder<'_>, cx: &ScriptCx<'_>, st: &Stmt) -> Result<(), String> {
    if b.shadowed.is_empty()
        || !st
            .ops
            .iter()
            .any(|op| matches!(op, Operation::Insert { .. }))
    {
        return Ok(());
    }
    let words = unparsed::words(b.settings.dialect, cx.text(st));
    let named = |w: &str| words.iter().any(|x| x == w);
    match b
        .shadowed
        .iter()
        .find(|s| named(&s.table.name) && named(&s.column))
    {
        Some(s) => Err(format!(
            "this statement names column {} of {}, which line {} of this migration renames or retypes through a shadow column: in the expand the shadow column holds NULL for the existing rows until the backfill after it fills them, so the statement would read NULLs; write the rows in a later migration",
            s.column, s.table, s.line
        )),
        None => Ok(()),
    }
}

/// A trigger bound to a column (`UPDATE OF c`, `OLD.c` in its `WHEN`) an earlier statement
/// renames or retypes through a shadow column: created in the expand, it is bound to the old column, which the contract's
/// swap soft-drops, so after the contract it fires on updates of the soft-dropped column
/// (crates.io's `timezones`: `trigger_crates_tsvector_update` on `updated_at`).
fn trigger_on_shadowed(b: &Builder<'_>, asts: &[Ast]) -> Result<(), String> {
    for ast in asts {
        let Ast::CreateTrigger(t) = ast else { continue };
        let table = sluice_core::sql::classify::obj_name(&t.table_name);
        let (update_of, when) = sluice_core::catalog::trigger_columns(t);
        let bound = update_of
            .iter()
            .map(|c| (c, format!("fires on UPDATE OF {c}")))
            .chain(
                when.iter()
                    .map(|c| (c, format!("names OLD.{c} / NEW.{c} in its WHEN"))),
            );
        for (c, how) in bound {
            if let Some(s) = b.shadowed_column(&table, c) {
                return Err(format!(
                    "trigger {} {how}, which line {} of this migration renames or retypes through a shadow column: created in the expand, the trigger stays bound to the old column, which the contract's swap soft-drops; change the column in a migration of its own and create the trigger again in the migration after the contract",
                    t.name, s.line
                ));
            }
        }
    }
    Ok(())
}

/// A statement planned with a backfill (the fills from `first_fill` on) on a table a later
/// statement of the migration puts a trigger on: the backfill's UPDATEs run after the whole
/// expand, so they fire that trigger, where the naive statement filled the rows before it
/// existed (crates.io's `token_generated_at`, set for every old invitation by its trigger
/// `BEFORE UPDATE OF token`: `migrate verify --naive` found it).
fn trigger_created_later(
    b: &Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    first_fill: usize,
) -> Result<(), String> {
    for f in &b.fills[first_fill..] {
        let later = cx
            .statements
            .iter()
            .skip_while(|s| s.index != st.index)
            .skip(1)
            .find_map(|s| {
                s.ops.iter().find_map(|op| match op {
                    Operation::CreateTrigger { table, name } if *table == f.table => {
                        Some((s, name))
                    }
                    _ => None,
                })
            });
        // a trigger the migration drops and creates again was there before it: the naive
        // statement's rows met it as well, and the backfill's UPDATEs meet it as they would
        // meet any trigger of the table (crates.io's `timezones`: `trigger_crates_tsvector_update`)
        let replaced = |name: &str| {
            cx.statements.iter().any(|x| {
                x.ops.iter().any(|o| {
                    matches!(o, Operation::DropObject { kind: ObjectKind::Trigger, names, .. }
                        if names.iter().any(|n| n.name == name))
                })
            })
        };
        if let Some((s, name)) = later.filter(|(_, name)| !replaced(name)) {
            return Err(format!(
                "the backfill of {}.{} runs after the expand, which creates trigger {name} on {} (line {}): its UPDATEs fire the trigger, where this statement fills the rows before the trigger exists; create the trigger in a later migration (the backfill then runs without it), or fill the column in the statement itself",
                f.table,
                f.column,
                f.table,
                cx.file().line_col(s.range.start).line
            ));
        }
    }
    Ok(())
}

/// The directives written with a statement of the naive script.
struct Written<'t> {
    backfill: Option<String>,
    strategy: Option<String>,
    /// `-- sluice:ignore` above the statement or at the end of its line, as written.
    ignores: Vec<&'t str>,
}

fn written<'t>(cx: &'t ScriptCx<'_>, st: &Stmt) -> Written<'t> {
    let text = &cx.file().text;
    let leading: Vec<Directive> = st
        .leading_comments
        .iter()
        .filter_map(|c| directives::parse(text, c))
        .collect();
    Written {
        backfill: leading.iter().find_map(|d| match d {
            Directive::Backfill(e) => Some(e.clone()),
            _ => None,
        }),
        strategy: leading.iter().find_map(|d| match d {
            Directive::Strategy(s) => Some(s.clone()),
            _ => None,
        }),
        ignores: st
            .leading_comments
            .iter()
            .chain(&st.trailing_comments)
            .filter(|c| matches!(directives::parse(text, c), Some(Directive::Ignore { .. })))
            .map(|c| text[c.range.clone()].trim_end())
            .collect(),
    }
}

/// Each statement of `asts` (one naive statement's), by its recipes or as `strategy` says.
#[allow(clippy::too_many_arguments)]
fn plan_each(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    asts: &[Ast],
    strategy: Option<&str>,
    backfill_expr: Option<String>,
) -> Result<(), String> {
    for ast in asts {
        match strategy {
            // as written: no recipe either
            Some("plain") => plan_as_written(b, cx, st, cat, line, ast)?,
            // forced: whole (a tool takes every clause of an ALTER TABLE at once)
            Some(_) => plan_ast(b, cx, st, cat, line, ast, backfill_expr.clone())?,
            // one ALTER TABLE with several actions: plan each action on its own
            None => match ast {
                // PostgreSQL: a column's inline constraints become statements of their own
                Ast::AlterTable(alter)
                    if b.settings.dialect == sluice_core::sql::Dialect::Postgres
                        && inline::has_inline_constraint(alter) =>
                {
                    let pieces = inline::pieces(alter, cat)?;
                    plan_pieces(b, cx, st, cat, line, &pieces, backfill_expr.clone())?;
                }
                Ast::AlterTable(alter) if alter.operations.len() > 1 => {
                    let pieces: Vec<Ast> = alter
                        .operations
                        .iter()
                        .map(|op| {
                            let mut single = alter.clone();
                            single.operations = vec![op.clone()];
                            Ast::AlterTable(single)
                        })
                        .collect();
                    plan_pieces(b, cx, st, cat, line, &pieces, backfill_expr.clone())?;
                }
                _ => plan_ast(b, cx, st, cat, line, ast, backfill_expr.clone())?,
            },
        }
    }
    Ok(())
}

/// The actions of one statement, each planned on the schema the ones before it leave (a
/// constraint on a column the statement adds finds the column).
fn plan_pieces(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    pieces: &[Ast],
    backfill_expr: Option<String>,
) -> Result<(), String> {
    let mut scratch = cat.clone();
    for one in pieces {
        plan_ast(b, cx, st, &scratch, line, one, backfill_expr.clone())?;
        let ops = sql::classify::classify(b.settings.dialect, one);
        scratch.apply_statement(Some(std::slice::from_ref(one)), &ops, false);
    }
    Ok(())
}

/// A statement as written, in the phase its operation belongs to.
fn plan_as_written(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    ast: &Ast,
) -> Result<(), String> {
    let (ops, text) = ops_and_text(b, cx, st, ast);
    let [op] = ops.as_slice() else {
        return passthrough::statement(b, line, &text, PlanPhase::Expand, None);
    };
    let src = Src {
        line,
        text,
        ast: Some(ast),
        op,
        cat,
        new_table: on_new_table(cx, st, cat, op),
        new_columns: fresh::on_new_columns(cx, op),
        freed_name: fresh::freed_index_name(cx, cat, op),
        replaced: fresh::replaced_trigger(cx, st, op),
        backfill_expr: None,
    };
    passthrough::op(b, &src)
}

/// `st` as written, without its terminator and the comments after it.
fn as_written(b: &Builder<'_>, cx: &ScriptCx<'_>, st: &Stmt) -> String {
    sql::without_trailing_comments(b.settings.dialect, cx.text(st).trim())
        .trim_end_matches(';')
        .trim_end()
        .to_owned()
}

/// The operations and text of one tree of `st`. The text is the statement as written when
/// the tree is the whole statement (sqlparser's printing drops what it does not model and,
/// in 0.64, leaves the quote of `COMMENT ON .. IS 'it''s'` unescaped); a tree the planner
/// made (one action of an `ALTER TABLE` with several) prints itself. For a statement
/// sqlparser reads only without a keyword (`sql::parse_known_gap`: `DROP INDEX
/// CONCURRENTLY`) the operations are the linter's, which keep it.
fn ops_and_text(
    b: &Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    ast: &Ast,
) -> (Vec<Operation>, String) {
    let ops = sql::classify::classify(b.settings.dialect, ast);
    let whole =
        matches!(&st.parsed, Parsed::Ok(a) if a.len() == 1 && std::ptr::eq(&raw const a[0], ast));
    if !whole {
        return (ops, ast.to_string());
    }
    let text = as_written(b, cx, st);
    let drop_index = matches!(
        ast,
        Ast::Drop {
            object_type: sqlparser::ast::ObjectType::Index,
            ..
        }
    );
    if drop_index && st.ops != ops {
        return (st.ops.clone(), text);
    }
    (ops, text)
}

/// Whether `op` works on a table this change set creates (nothing running uses it yet).
pub(super) fn on_new_table(cx: &ScriptCx<'_>, st: &Stmt, cat: &Catalog, op: &Operation) -> bool {
    op.table().is_some_and(|t| {
        cx.is_new_table(t, st.index)
            || cat
                .table(t)
                .is_some_and(|t| t.origin == sluice_core::catalog::Origin::ChangeSet)
    })
}

/// The statement's own directives on the steps planned from it (`b.steps[first..]`). Kept
/// where the statement passes through as written: `-- sluice:strategy` (the runner applies it
/// with that strategy) and `-- sluice:ignore` (the generated file's lint, and the runner's
/// apply check, honour it). A statement the planner rewrites into steps of its own has no
/// single statement left to force: a strategy is refused, an ignore left out with a note.
fn keep_directives(
    b: &mut Builder<'_>,
    first: usize,
    line: usize,
    strategy: Option<&str>,
    ignores: &[&str],
) -> Result<(), String> {
    if strategy.is_none() && ignores.is_empty() || b.steps.len() == first {
        return Ok(());
    }
    if let Some(rewritten) = b.steps[first..]
        .iter()
        .map(|s| s.recipe)
        .find(|r| *r != passthrough::RECIPE)
    {
        if let Some(strategy) = strategy {
            return Err(format!(
                "`-- sluice:strategy {strategy}` forces how the runner applies this statement, but the planner rewrites it ({rewritten}: already online, in steps of its own): remove the directive to take the plan, or keep the statement as written in a hand-written phased migration"
            ));
        }
        b.note(format!(
            "line {line}: `-- sluice:ignore` left out: the statement is rewritten ({rewritten}), and the rewrite's statements are linted on their own"
        ));
        return Ok(());
    }
    let mut head: Vec<String> = ignores.iter().map(|i| (*i).to_owned()).collect();
    if let Some(strategy) = strategy {
        head.push(format!("-- sluice:strategy {strategy}"));
        b.note(format!(
            "line {line}: `-- sluice:strategy {strategy}` kept above the statement: the runner applies it with that strategy"
        ));
    }
    let head = head.join("\n");
    for step in &mut b.steps[first..] {
        step.up = format!("{head}\n{}", step.up);
    }
    Ok(())
}

/// Plan an `ADD COLUMN` folded with its UPDATE and NOT NULL (see [`fold`]): the column as
/// NOT NULL, the UPDATE's value as its backfill.
///
/// Directives written with the three statements: on MySQL, `-- sluice:strategy pt-osc |
/// gh-ost` above the NOT NULL statement runs the contract's rebuild through that tool; any
/// other strategy is refused (the planner writes the steps itself), and an ignore is left
/// out with a note (the recipe's statements are linted on their own).
pub(super) fn plan_not_null_fold(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    value: &str,
    parts: Option<[usize; 2]>,
) -> Result<(), String> {
    let Some(ast) = fold::with_not_null(st) else {
        return plan_statement(b, cx, st);
    };
    let line = cx.file().line_col(st.range.start).line;
    let mysql = b.settings.dialect == sluice_core::sql::Dialect::Mysql;
    let not_null = parts.map(|[_, n]| n);
    for i in std::iter::once(st.index).chain(parts.into_iter().flatten()) {
        let Some(part) = cx.statements.iter().find(|s| s.index == i) else {
            continue;
        };
        let at = cx.file().line_col(part.range.start).line;
        let w = written(cx, part);
        if !w.ignores.is_empty() {
            b.note(format!(
                "line {at}: `-- sluice:ignore` left out: the statement is part of the NOT NULL column recipe of line {line}, whose statements are linted on their own"
            ));
        }
        match w.strategy.as_deref() {
            None => {}
            Some(tool @ ("pt-osc" | "gh-ost")) if mysql && Some(i) == not_null => {
                b.fold_tool = Some(tool.to_owned());
                b.note(format!(
                    "line {at}: `-- sluice:strategy {tool}` kept above the contract's NOT NULL rebuild: the runner copies the table with {tool}, after dropping the fill trigger (pt-online-schema-change refuses a table with triggers)"
                ));
            }
            Some(s) => {
                b.fold_tool = None;
                return Err(format!(
                    "`-- sluice:strategy {s}` (line {at}) forces how the runner applies a statement the planner folds into the NOT NULL column recipe of line {line} (add-not-null-column: already online, in steps of its own){}: remove the directive to take the plan, or keep the statements as written in a hand-written phased migration",
                    if mysql {
                        "; only the contract's NOT NULL rebuild can go through a tool, with pt-osc or gh-ost above the statement that makes the column NOT NULL"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    b.default_set_later = fold::default_set_later(cx, st);
    let first_fill = b.fills.len();
    let planned = plan_ast(
        b,
        cx,
        st,
        cx.catalog(st.index),
        line,
        &ast,
        Some(value.to_owned()),
    );
    b.fold_tool = None;
    b.default_set_later = false;
    planned?;
    trigger_created_later(b, cx, st, first_fill)
}

fn plan_ast(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    ast: &Ast,
    backfill_expr: Option<String>,
) -> Result<(), String> {
    let (ops, text) = ops_and_text(b, cx, st, ast);
    // on MySQL too, a renamed or dropped table or column keeps its name until the contract
    // (authelia's `WebAuthnAttestationType`: `attestation_type` renamed, then added again)
    if let Some(reason) = fresh::reused_name(cx, cat, &ops)
        .or_else(|| fresh::unique_after_delete(cx, st, &ops))
        .or_else(|| fresh::write_after_dropped_constraint(cx, st, ast, &ops))
    {
        return Err(reason);
    }
    if b.settings.dialect == sluice_core::sql::Dialect::Mysql {
        return mysql::plan_ast(b, cx, st, cat, line, ast, ops, backfill_expr);
    }
    if ops.is_empty() {
        return passthrough::statement(b, line, &text, PlanPhase::Expand, None);
    }
    if let Some(reason) =
        fresh::reused_view(cx, st, cat, ast).or_else(|| fresh::reused_function(cx, st, ast))
    {
        return Err(reason);
    }
    if ops.len() > 1 {
        // several operations that are not ALTER TABLE actions (e.g. CREATE TABLE with
        // inline constraints): fine on a new object, otherwise let the linter judge
        return passthrough::statement(b, line, &text, PlanPhase::Expand, None);
    }
    let op = &ops[0];
    let new_table = on_new_table(cx, st, cat, op);
    let view_replaced = fresh::replaced_view(cx, st, op)
        .map(|created| (created, "replace-view"))
        .or_else(|| fresh::replaced_function(cx, st, op).map(|c| (c, "replace-function")));
    if let Some((created, recipe)) = view_replaced {
        b.view_spans.push((line, created, recipe));
    }
    let src = Src {
        line,
        text,
        ast: Some(ast),
        op,
        cat,
        new_table,
        new_columns: fresh::on_new_columns(cx, op),
        freed_name: fresh::freed_index_name(cx, cat, op),
        replaced: fresh::replaced_trigger(cx, st, op) || view_replaced.is_some(),
        backfill_expr,
    };
    match op {
        Operation::Transaction(tx) => {
            let what = match tx {
                TxControl::Begin => "BEGIN",
                TxControl::Commit => "COMMIT",
                _ => "transaction control",
            };
            b.note(format!(
                "line {line}: {what} of the naive file left out: the plan sets its own transactions"
            ));
            Ok(())
        }
        Operation::SetVariable { name, .. } if is_runner_setting(name) => {
            b.note(format!(
                "line {line}: SET {name} left out: the runner sets lock_timeout and statement_timeout itself"
            ));
            Ok(())
        }
        // the statement creates nothing: as written, its down leaves what was there
        Operation::CreateTable { .. } | Operation::AddColumn { .. }
            if fresh::found_by_if_not_exists(&src).is_some() =>
        {
            passthrough::op(b, &src)
        }
        _ if src.new_table => passthrough::op(b, &src),
        Operation::RenameColumn { table, from, to } => {
            view_rename::rename_column(b, cx, &src, table, from, to)
        }
        Operation::AlterColumnType {
            table,
            column,
            new_type,
            using,
        } => shadow::change_type(b, &src, table, column, new_type, using.as_deref()),
        Operation::AddColumn { table, column, .. } => column::add_column(b, &src, table, column),
        Operation::SetDefault { table, column, default, .. }
            if b.shadowed_column(table, column).is_some() =>
        {
            shadow::default_of_shadowed(b, &src, table, column, default)
        }
        Operation::SetNotNull { table, column } => constraint::set_not_null(b, &src, table, column),
        Operation::AddConstraint { table, constraint } => match constraint.kind {
            ConstraintKind::ForeignKey | ConstraintKind::Check => {
                constraint::add_checked(b, &src, table, constraint)
            }
            ConstraintKind::Unique | ConstraintKind::PrimaryKey => {
                index::add_unique(b, &src, table, constraint)
            }
            // PostgreSQL 18's NOT NULL NOT VALID is already the safe form
            ConstraintKind::NotNull => passthrough::op(b, &src),
            ConstraintKind::Exclude => Err(
                "an exclusion constraint cannot be built without blocking writes (no USING INDEX form): create it in a maintenance window or on a new table".into(),
            ),
        },
        Operation::CreateIndex { table, columns, .. } => {
            shadow::index_on_retyped(b, &src, table, columns)?;
            index::create_index(b, &src)
        }
        Operation::DropIndex { .. } => index::drop_index(b, &src),
        Operation::DropColumn { table, column, .. } => soft_drop::column(b, &src, table, column),
        Operation::DropTable { tables, .. } => soft_drop::tables(b, &src, tables),
        Operation::RenameTable { from, to } => {
            if let Some(why) = table::changed_later_by_earlier_lines(b, cx, st, from) {
                return Err(why);
            }
            table::rename_table(b, &src, from, to)
        }
        Operation::Update { table, .. } => update::batched_update(b, &src, table),
        _ => passthrough::op(b, &src),
    }
}

fn is_runner_setting(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "lock_timeout",
        "statement_timeout",
        "lock_wait_timeout",
        "innodb_lock_wait_timeout",
    ]
    .iter()
    .any(|s| n.ends_with(s))
}

/// The soft-drop name of `name` in this migration.
pub(super) fn dropped(b: &Builder<'_>, name: &str) -> String {
    names::soft_drop(name, &b.version)
}
