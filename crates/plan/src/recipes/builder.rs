//! The plan builder: the steps, recipes and notes the recipes add, and the plan it finishes.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlparser::ast::Statement as Ast;

use sluice_core::catalog::{Catalog, Table};
use sluice_core::source::Migration;
use sluice_core::sql::ops::{ConstraintKind, ObjName, Operation};
use sluice_core::sql::quote;
use sluice_lint::settings::LintSettings;

use super::super::render::Renderer;
use super::super::{Applied, Cost, Plan, PlanPhase, Step, Strategy};
use super::fill::Fill;
use super::passthrough;

/// A naive statement being planned.
#[allow(clippy::struct_excessive_bools)] // independent facts of one statement, each a recipe's
pub(crate) struct Src<'a> {
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

pub(crate) struct Builder<'r> {
    pub r: &'r Renderer,
    pub version: String,
    pub settings: &'r LintSettings,
    pub(super) steps: Vec<Step>,
    recipes: Vec<Applied>,
    notes: Vec<String>,
    pub(super) fills: Vec<Fill>,
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
    /// PostgreSQL column renames go through a view instead of a copy
    /// ([`view_rename`](super::view_rename)).
    pub rename_view: bool,
    /// Tables whose column renames a view carries, with the line that planned them all.
    pub(super) view_renamed: Vec<(ObjName, usize)>,
    /// Lines from a view's or a function's drop to its creation again
    /// ([`fresh::replaced_view`](super::fresh::replaced_view),
    /// [`fresh::replaced_function`](super::fresh::replaced_function)): their expand steps run
    /// in one transaction.
    pub(super) view_spans: Vec<(usize, usize, &'static str)>,
    /// Columns an earlier statement renamed or retyped through a shadow column.
    pub(super) shadowed: Vec<Shadowed>,
    /// MySQL: tables and lines of the recipes whose expand creates triggers that their
    /// contract drops ([`Builder::contract_before_earlier_triggers`]).
    trigger_contracts: Vec<(ObjName, usize)>,
}

/// A column an earlier statement of the migration renamed or retyped through a shadow column.
#[derive(Clone)]
pub(crate) struct Shadowed {
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

/// What a step does; the builder adds phase-independent bookkeeping.
pub(crate) struct StepSpec {
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
                statement: super::super::one_line(&src.text),
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
