//! The planner: turns a naive migration into expand / backfill / contract phases with downs.
//!
//! Pure: reads parsed statements and the schema catalog the earlier migrations left, returns
//! the phased files as text. No I/O. Every recipe is in `recipes/`; every SQL text comes
//! from a template in `templates/` through the quoting filters of [`render`].
//!
//! A statement no recipe can make safe is refused with the reason, and the generated files
//! are linted before they are returned: an error finding there refuses the plan too, so an
//! unsafe statement is never emitted.

pub use sluice_core::names;
mod file_directives;
mod parts;
mod recipes;
pub mod render;
pub mod statements;

pub use parts::PhasePart;

/// The prefix of the table a column rename through a view leaves under the view until its
/// contract (`_sluice_renaming_<table>_<version>`); the runner finds such a contract by it.
pub const RENAMING_PREFIX: &str = "_sluice_renaming_";

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use sluice_core::catalog::Catalog;
use sluice_core::source::backfill::BackfillSpec;
use sluice_core::source::{Direction, Layout, Migration, Phase, Script, SourceFile, Version};
use sluice_core::sql::Dialect;
use sluice_lint::settings::{LintSettings, Runner};
use sluice_lint::{self as lint, Severity};

use render::Renderer;

/// The phase a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanPhase {
    Expand,
    Backfill,
    Contract,
}

impl PlanPhase {
    pub fn name(self) -> &'static str {
        match self {
            PlanPhase::Expand => "expand",
            PlanPhase::Backfill => "backfill",
            PlanPhase::Contract => "contract",
        }
    }
}

/// What a step costs the running application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cost {
    /// Catalog-only change: a brief lock, no scan, no rewrite.
    Metadata,
    /// Reads the whole table without blocking reads or writes (VALIDATE).
    Scan,
    /// Builds an index concurrently: reads and writes continue.
    IndexBuild,
    /// Writes every row in short key-range batches.
    Batched,
    /// A statement passed through as written (safe by the linter's verdict).
    AsWritten,
}

/// How the runner carries a step out (issue #6 adds strategies; these are the planner's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Already safe: runs as written, under `lock_timeout` with retries.
    Plain,
    /// CREATE / DROP INDEX CONCURRENTLY, outside a transaction.
    ConcurrentIndex,
    /// ADD .. NOT VALID, then VALIDATE in its own transaction.
    NotValidValidate,
    /// Batched backfill from `backfill.toml`.
    BatchedBackfill,
    /// Shadow column kept in sync by a trigger, swapped in one short transaction.
    ShadowColumnSwap,
    /// Rename to `_sluice_dropped_*`; `migrate purge` drops it later.
    SoftDrop,
}

/// One step of a plan: SQL for its phase's up file and the SQL undoing it.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub phase: PlanPhase,
    pub recipe: &'static str,
    pub strategy: Strategy,
    /// Line of the naive statement this step comes from (1-based).
    pub source_line: usize,
    pub summary: String,
    /// The strongest lock the step takes and for how long.
    pub lock: &'static str,
    pub cost: Cost,
    pub up: String,
    /// SQL undoing `up` (empty: nothing to undo). `None`: no automatic inverse.
    pub down: Option<String>,
    /// Steps sharing a group run in one transaction (up and down alike).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<usize>,
}

/// A recipe applied to one naive statement.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub recipe: &'static str,
    pub line: usize,
    pub statement: String,
}

/// The phased version of one naive migration.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub version: String,
    #[serde(skip)]
    pub version_key: Version,
    pub name: String,
    pub dialect: Dialect,
    pub recipes: Vec<Applied>,
    pub steps: Vec<Step>,
    /// The backfill's fills, a table each, in the order they run (none: no backfill).
    pub backfill: Vec<BackfillSpec>,
    /// Things the reader should know (dropped transaction control, irreversible downs).
    pub notes: Vec<String>,
    /// The rules the naive script's `ignore-file` keeps silencing in each phase file.
    #[serde(skip)]
    kept_ignores: file_directives::KeptIgnores,
    /// [`PlanOptions::runner`].
    #[serde(skip)]
    runner: Option<Runner>,
}

/// A statement the planner will not emit, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub line: usize,
    pub column: usize,
    pub statement: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{} statement(s) cannot be made safe", .0.len())]
    Refused(Vec<Refusal>),
    #[error("{0}")]
    Input(String),
    #[error("internal error in a plan template: {0}")]
    Template(#[from] render::RenderError),
}

/// The files of a phased migration, by file name, in phase order.
#[derive(Debug, Clone, Serialize)]
pub struct PlanFiles {
    pub files: Vec<(String, String)>,
}

/// Choices the caller makes about the planned files.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// The version soft-dropped objects are named after (`_sluice_dropped_<name>_<version>`):
    /// the version of the migration that runs the contract, when it is not the planned
    /// migration's own (a foreign layout's separate contract migration). `migrate purge`
    /// finds the contract that soft-dropped an object by this version.
    pub soft_drop_version: Option<String>,
    /// The runner that will apply the files when it is not Sluice's (a foreign layout's own
    /// tool): the self-check lints them as that runner sends them, and for one that sends a
    /// file as one query a phase whose `CONCURRENTLY` statement shares it with others becomes
    /// several migrations ([`Plan::phase_parts`]).
    pub runner: Option<Runner>,
    /// How a PostgreSQL `RENAME COLUMN` reaches the running code's two names.
    pub rename_column: RenameColumn,
}

/// How a PostgreSQL `RENAME COLUMN` is planned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RenameColumn {
    /// A second column kept equal by a trigger and filled in batches; swapped at contract.
    #[default]
    Copy,
    /// The table steps aside and a view under its name shows the column under both names
    /// until the contract: no row is written, but the application meets a view, not a
    /// table, during the rollout. Falls back to the copy where a view cannot serve (noted).
    View,
}

/// Plan `migration` (its expand up script is the naive change) on the schema `catalog`
/// holds (the earlier migrations replayed, or a live schema).
pub fn plan(
    settings: &LintSettings,
    catalog: &Catalog,
    migration: &Migration,
) -> Result<Plan, PlanError> {
    plan_with(settings, catalog, migration, &PlanOptions::default())
}

/// [`plan`], with [`PlanOptions`].
pub fn plan_with(
    settings: &LintSettings,
    catalog: &Catalog,
    migration: &Migration,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let Some(script) = migration
        .scripts
        .iter()
        .find(|s| s.direction == Direction::Up && s.phase == Phase::Expand)
        .or_else(|| {
            migration
                .scripts
                .iter()
                .find(|s| s.direction == Direction::Up)
        })
    else {
        return Err(PlanError::Input(format!(
            "{}: no up script to plan",
            migration.origin.display()
        )));
    };
    let renderer = Renderer::of(settings.dialect);
    let soft_drop_version = options
        .soft_drop_version
        .as_deref()
        .unwrap_or(&migration.version.raw);
    let mut b = recipes::Builder::new(renderer, soft_drop_version, settings);
    b.rename_view = options.rename_column == RenameColumn::View;
    let mut scratch = catalog.clone();
    let cx = lint::context::ScriptCx::build_on(settings, migration, script, &mut scratch, true);
    let mut refusals = Vec::new();
    let (ignores, notes) = file_directives::read(&cx);
    for n in notes {
        b.note(n);
    }
    let folds = recipes::fold::not_null_columns(&cx);
    for st in &cx.statements {
        if let Some(add_line) = folds.folded.get(&st.index) {
            let line = cx.file().line_col(st.range.start).line;
            b.note(format!(
                "line {line}: planned with the column added at line {add_line}: one NOT NULL column recipe (existing rows and the rows the old code writes get its value)"
            ));
            continue;
        }
        let planned = match folds.add.get(&st.index) {
            Some(value) => recipes::plan_not_null_fold(
                &mut b,
                &cx,
                st,
                value,
                folds.parts.get(&st.index).copied(),
            ),
            None => recipes::plan_statement(&mut b, &cx, st),
        };
        if let Err(reason) = planned {
            let pos = cx.file().line_col(st.range.start);
            refusals.push(Refusal {
                line: pos.line,
                column: pos.column,
                statement: one_line(cx.text(st)),
                reason,
            });
        }
    }
    if !refusals.is_empty() {
        return Err(PlanError::Refused(refusals));
    }
    if let Some(down) = migration
        .scripts
        .iter()
        .find(|s| s.direction == Direction::Down)
    {
        b.note(format!(
            "{}: the naive down script is not carried over: each phase's down is generated from its steps, and a phase with a step that has no automatic inverse is marked irreversible (copy what it needs from the naive down by hand)",
            down.file.path.display()
        ));
    }
    let mut plan = b.finish(migration);
    plan.runner = options.runner;
    if !ignores.is_empty() {
        keep_ignores(settings, catalog, &mut plan, &ignores)?;
    }
    self_check(settings, catalog, &mut plan)?;
    Ok(plan)
}

pub(crate) fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else {
        s
    }
}

impl Plan {
    /// The phased migration's files: `expand.up.sql`, `expand.down.sql`, `backfill.toml`,
    /// `contract.up.sql`, `contract.down.sql`, only those needed.
    pub fn files(&self, renderer_dialect: Dialect) -> Result<PlanFiles, PlanError> {
        self.render_files(renderer_dialect)
    }

    fn render_files(&self, renderer_dialect: Dialect) -> Result<PlanFiles, PlanError> {
        let r = Renderer::of(renderer_dialect);
        let mut files = Vec::new();
        for phase in [PlanPhase::Expand, PlanPhase::Backfill, PlanPhase::Contract] {
            if phase == PlanPhase::Backfill {
                if let Some(text) = self.backfill_file() {
                    files.push(("backfill.toml".to_owned(), text));
                }
                continue;
            }
            let steps: Vec<&Step> = self.steps.iter().filter(|s| s.phase == phase).collect();
            if steps.iter().all(|s| s.up.trim().is_empty()) {
                continue;
            }
            let (up, down) = self.render_part(r, renderer_dialect, phase, &steps, false, None)?;
            files.push((format!("{}.up.sql", phase.name()), up));
            if let Some(down) = down {
                files.push((format!("{}.down.sql", phase.name()), down));
            }
        }
        Ok(PlanFiles { files })
    }

    fn backfill_toml(&self, fills: &[BackfillSpec]) -> String {
        let comment = format!(
            "backfill of {}_{}: fills existing rows in key-range batches after expand,\nbefore contract; each batch is a short transaction, checkpointed in the ledger",
            self.version, self.name
        );
        BackfillSpec::all_to_toml(fills, &comment)
    }

    /// The up script of `steps` (of one phase) and, when every step has an inverse, the down
    /// script. `part`: (k, n) when the phase is split into n migrations and this is the k-th.
    fn render_part(
        &self,
        r: &Renderer,
        renderer_dialect: Dialect,
        phase: PlanPhase,
        steps: &[&Step],
        marked: bool,
        part: Option<(usize, usize)>,
    ) -> Result<(String, Option<String>), PlanError> {
        let lost: Vec<&Step> = steps.iter().copied().filter(|s| s.down.is_none()).collect();
        let mut why = phase_why(phase, steps, &self.recipes);
        let of_part = match part {
            Some((k, n)) => {
                why.push(format!(
                    "part {k} of {n}: its runner sends a file as one query, which PostgreSQL runs as one transaction, and a CONCURRENTLY statement cannot run in one: it is a migration of its own"
                ));
                format!(", part {k} of {n}")
            }
            None => String::new(),
        };
        let mut directives = vec!["no-transaction".to_owned()];
        let marker = format!("phase {}", phase.name());
        if marked {
            directives.push(marker.clone());
        }
        directives.extend(self.ignore_directive(phase, true));
        if let Some(first) = lost.first() {
            let down = if marked {
                "its down script".to_owned()
            } else {
                format!("{}.down.sql", phase.name())
            };
            directives.push(format!(
                "irreversible no automatic inverse for line {} ({}); write {down} by hand if you need one",
                first.source_line, first.summary,
            ));
        }
        let header = r.render(
            "header.sql",
            &serde_json::json!({
                "title": format!("{} of {}_{}{of_part}: {}", phase.name(), self.version, self.name, phase_title(phase)),
                "why": why,
                "directives": directives,
            }),
        )?;
        let up = assemble(
            &header,
            renderer_dialect,
            steps.iter().map(|s| (s.up.as_str(), s.group)),
        );
        if !lost.is_empty() {
            return Ok((up, None));
        }
        let down_directives: Vec<String> = ["no-transaction".to_owned()]
            .into_iter()
            .chain(marked.then_some(marker))
            .chain(self.ignore_directive(phase, false))
            .collect();
        let header = r.render(
            "header.sql",
            &serde_json::json!({
                "title": format!("undoes {}.up.sql of {}_{}{of_part}", phase.name(), self.version, self.name),
                "why": ["runs the steps' inverses in reverse order"],
                "directives": down_directives,
            }),
        )?;
        let down = assemble(
            &header,
            renderer_dialect,
            steps
                .iter()
                .rev()
                .map(|s| (s.down.as_deref().unwrap_or(""), s.group)),
        );
        Ok((up, Some(down)))
    }

    /// `ignore-file <rules>` for the phase file, when the naive script's still applies there.
    fn ignore_directive(&self, phase: PlanPhase, up: bool) -> Option<String> {
        let rules = self.kept_ignores.get(&(phase, !up))?;
        Some(format!(
            "ignore-file {}",
            rules.iter().copied().collect::<Vec<_>>().join(", ")
        ))
    }

    /// The plan as a phased [`Migration`] (native layout), for linting and tests.
    pub fn migration(&self, files: &PlanFiles, dir: &std::path::Path) -> Migration {
        let mut scripts = Vec::new();
        for (name, text) in &files.files {
            let Some((phase, up)) = phase_file(name) else {
                continue;
            };
            let direction = if up { Direction::Up } else { Direction::Down };
            scripts.push(phase_script(dir.join(name), text, phase, direction));
        }
        Migration {
            version: self.version_key.clone(),
            name: self.name.clone(),
            layout: Layout::Native,
            origin: dir.to_owned(),
            scripts,
            backfill: None,
        }
    }
}

fn phase_title(phase: PlanPhase) -> &'static str {
    match phase {
        PlanPhase::Expand => "additive, backward-compatible changes",
        PlanPhase::Backfill => "batched data fill",
        PlanPhase::Contract => "removals and restrictions",
    }
}

fn phase_why(phase: PlanPhase, steps: &[&Step], applied: &[Applied]) -> Vec<String> {
    let mut why = vec![match phase {
        PlanPhase::Expand => {
            "runs before the new code rolls out: the old code keeps working on this shape".to_owned()
        }
        PlanPhase::Contract => {
            "runs only after the rollout completed (the contract gate): nothing still running needs the old shape".to_owned()
        }
        PlanPhase::Backfill => String::new(),
    }];
    let mut seen = BTreeSet::new();
    for s in steps {
        if !s.up.trim().is_empty() && seen.insert((s.source_line, s.recipe)) {
            let statement = applied
                .iter()
                .find(|a| a.line == s.source_line && a.recipe == s.recipe)
                .map_or("", |a| a.statement.as_str());
            why.push(format!(
                "line {} `{statement}`: {}",
                s.source_line, s.recipe
            ));
        }
    }
    why
}

/// Join step SQL, wrapping each group (and each multi-statement step) in BEGIN / COMMIT.
///
/// On PostgreSQL a step outside any group that can run in a transaction (`ADD .. NOT VALID`,
/// `VALIDATE CONSTRAINT`) gets a `BEGIN` / `COMMIT` of its own too: golang-migrate, and sqlx,
/// dbmate, diesel and pop for a file marked to run outside a transaction, send the whole file
/// as one query, and PostgreSQL runs the statements of a query outside an explicit
/// transaction as one implicit one (the `VALIDATE` would scan under the ACCESS EXCLUSIVE lock
/// of the `ADD`). Only what cannot run in a transaction (`CONCURRENTLY`), a `DELETE` the
/// sluice runner batches (in a block of the file it would run whole; under a runner that
/// sends it whole the plan is refused anyway), or a file's only step, stays bare.
fn assemble<'a>(
    header: &str,
    dialect: Dialect,
    parts: impl Iterator<Item = (&'a str, Option<usize>)>,
) -> String {
    let parts: Vec<(&str, Option<usize>)> = parts
        .map(|(sql, group)| (sql.trim(), group))
        .filter(|(sql, _)| !sql.is_empty())
        .collect();
    let alone = parts.len() == 1;
    let mut out = String::from(header);
    out.push_str("\n\n");
    let mut open: Option<usize> = None;
    for (sql, group) in parts {
        if open.is_some() && open != group {
            out.push_str("COMMIT;\n\n");
            open = None;
        }
        if open.is_none() && group.is_some() {
            out.push_str("BEGIN;\n");
            open = group;
        }
        if open.is_none()
            && !alone
            && dialect == Dialect::Postgres
            && can_run_in_transaction(sql)
            && !batched_by_runner(sql)
        {
            out.push_str("BEGIN;\n");
            out.push_str(sql);
            out.push_str("\nCOMMIT;\n\n");
            continue;
        }
        out.push_str(sql);
        out.push('\n');
        if open.is_none() {
            out.push('\n');
        }
    }
    if open.is_some() {
        out.push_str("COMMIT;\n");
    }
    let mut out = out.trim_end().to_owned();
    out.push('\n');
    out
}

/// Can a step's SQL (PostgreSQL) run inside a transaction block? Not when it holds a
/// statement PostgreSQL refuses there, nor when it does not parse (left as written).
fn can_run_in_transaction(sql: &str) -> bool {
    sluice_core::sql::parse(Dialect::Postgres, sql).is_ok_and(|asts| {
        !asts
            .iter()
            .flat_map(|a| sluice_core::sql::classify::classify(Dialect::Postgres, a))
            .any(|op| op.needs_no_transaction())
    })
}

/// Is a step's SQL (PostgreSQL) one statement the sluice runner batches (a `DELETE` whose
/// WHERE bounds no key range: the one table of `lint::rewrites`)?
fn batched_by_runner(sql: &str) -> bool {
    sluice_core::sql::parse(Dialect::Postgres, sql).is_ok_and(|asts| {
        let ops: Vec<_> = asts
            .iter()
            .flat_map(|a| sluice_core::sql::classify::classify(Dialect::Postgres, a))
            .collect();
        matches!(ops.as_slice(), [op]
            if lint::rewrites::of(Dialect::Postgres, 0, op, false)
                == Some(lint::rewrites::Rewrite::BatchedDelete))
    })
}

/// Find, with the phase files linted as they are, which of the rules the naive script's
/// `ignore-file` silences still fire in each, and keep the directive there only (anywhere
/// else it would be an unused ignore).
fn keep_ignores(
    settings: &LintSettings,
    catalog: &Catalog,
    plan: &mut Plan,
    ignores: &file_directives::FileIgnores,
) -> Result<(), PlanError> {
    let (_, report) = lint_files(settings, catalog, plan)?;
    for d in &report.diagnostics {
        let file = d.path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        let Some((phase, up)) = phase_file(file) else {
            continue;
        };
        if ignores.covers(d.rule) {
            plan.kept_ignores
                .entry((phase, !up))
                .or_default()
                .insert(d.rule);
        }
    }
    if let Some(note) = file_directives::ignore_note(ignores, &plan.kept_ignores) {
        plan.notes.push(note);
    }
    Ok(())
}

/// The plan's files, and their lint on `catalog`: as a phased migration of Sluice's, or, for
/// another runner ([`PlanOptions::runner`]), as that runner's migrations, one per phase part
/// (named as [`PhasePart::file_name`] says).
fn lint_files(
    settings: &LintSettings,
    catalog: &Catalog,
    plan: &Plan,
) -> Result<(PlanFiles, lint::engine::LintReport), PlanError> {
    if let Some(runner) = plan.runner {
        let parts = plan.phase_parts(settings.dialect)?;
        let settings = LintSettings {
            runner,
            ..settings.clone()
        };
        let migrations = plan.part_migrations(&parts);
        let report = lint::engine::lint_change_set_on(&settings, catalog.clone(), &[], &migrations);
        let files = parts
            .iter()
            .flat_map(|p| {
                let down = p.down.clone().map(|d| (p.file_name(false), d));
                std::iter::once((p.file_name(true), p.up.clone())).chain(down)
            })
            .collect();
        return Ok((PlanFiles { files }, report));
    }
    let files = plan.files(settings.dialect)?;
    let dir = PathBuf::from(format!("{}_{}", plan.version, plan.name));
    let m = plan.migration(&files, &dir);
    let report = lint::engine::lint_change_set_on(settings, catalog.clone(), &[], &[m]);
    Ok((files, report))
}

/// The way past a finding in a generated file: the rule's, or, for a down the runner
/// cannot send as one query, the runner to choose (the plan already gives each CONCURRENTLY
/// step a migration of its own; a step whose own down needs one after another statement,
/// such as a unique constraint's detach and index rebuild, cannot be split further).
fn way_out(plan: &Plan, file: &str, d: &lint::Diagnostic) -> String {
    let split = parts::splits(plan.runner, plan.dialect);
    if split
        && file.ends_with(".down.sql")
        && d.rule == "ban-concurrent-index-creation-in-transaction"
    {
        return "this step's down needs a CONCURRENTLY statement after another one, which a runner sending a file as one query cannot run; let Sluice apply these migrations (`[lint] runner = \"sluice\"`, it sends statements one at a time), or write this change by hand".to_owned();
    }
    d.help.to_string()
}

/// A generated script as the linter reads it: phased, its markers read back from its text.
fn phase_script(path: PathBuf, text: &str, phase: PlanPhase, direction: Direction) -> Script {
    let file = SourceFile::new(path, text.to_owned());
    Script {
        range: 0..file.text.len(),
        no_transaction_marker: text.contains("-- sluice:no-transaction"),
        file,
        phase: match phase {
            PlanPhase::Contract => Phase::Contract,
            _ => Phase::Expand,
        },
        direction,
        phased: true,
        irreversible: text
            .lines()
            .find_map(|l| l.strip_prefix("-- sluice:irreversible "))
            .map(str::to_owned),
    }
}

/// The phase and direction (`true`: up) of a phase file of [`Plan::files`].
fn phase_file(name: &str) -> Option<(PlanPhase, bool)> {
    let (stem, up) = if let Some(s) = name.strip_suffix(".up.sql") {
        (s, true)
    } else {
        (name.strip_suffix(".down.sql")?, false)
    };
    // a part of a split phase: `expand-2`
    let phase = stem.split_once('-').map_or(stem, |(p, _)| p);
    Some(match phase {
        "expand" => (PlanPhase::Expand, up),
        "contract" => (PlanPhase::Contract, up),
        _ => return None,
    })
}

/// Lint the generated files on the same schema: an error there means a recipe or a
/// passed-through statement is unsafe, and the plan is refused rather than emitted.
fn self_check(
    settings: &LintSettings,
    catalog: &Catalog,
    plan: &mut Plan,
) -> Result<(), PlanError> {
    let (files, report) = lint_files(settings, catalog, plan)?;
    let mut refusals = Vec::new();
    // a step with a down only (a CONCURRENTLY build undoing what a later step's down drops)
    // would be a migration of its own: rolled back one at a time, the later one's down would
    // leave the state without it, and its up again would fail
    if parts::splits(plan.runner, plan.dialect) {
        let down_only = |s: &&Step| {
            s.up.trim().is_empty() && s.down.as_deref().is_some_and(parts::needs_own_query)
        };
        for s in plan.steps.iter().filter(down_only) {
            refusals.push(Refusal {
                line: s.source_line,
                column: 1,
                statement: one_line(&s.summary),
                reason: format!(
                    "{}: its down builds an index CONCURRENTLY after another step's down drops it, which a runner sending a file as one query cannot run in one migration; let Sluice apply these migrations (`[lint] runner = \"sluice\"`, it sends statements one at a time), or write this change by hand",
                    s.summary
                ),
            });
        }
    }
    for d in &report.diagnostics {
        if d.severity != Severity::Error {
            continue;
        }
        let file = d.path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        // the whole lines of the finding (its range may be one keyword)
        let text = files
            .files
            .iter()
            .find(|(n, _)| n == file)
            .and_then(|(_, t)| {
                let start = t.get(..d.range.start)?.rfind('\n').map_or(0, |i| i + 1);
                let end = t
                    .get(d.range.end..)?
                    .find('\n')
                    .map_or(t.len(), |i| d.range.end + i);
                t.get(start..end)
            })
            .unwrap_or("");
        let step = plan.steps.iter().find(|s| {
            !text.trim().is_empty()
                && (s.up.contains(text.trim())
                    || s.down.as_deref().is_some_and(|d| d.contains(text.trim())))
        });
        refusals.push(Refusal {
            line: step.map_or(0, |s| s.source_line),
            column: 1,
            statement: one_line(text),
            reason: format!(
                "the generated {file} would not be safe: {} ({}) at {}:{}; {}",
                d.message,
                d.rule,
                file,
                d.start.line,
                way_out(plan, file, d)
            ),
        });
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(PlanError::Refused(refusals))
    }
}
#[cfg(test)]
mod tests;
