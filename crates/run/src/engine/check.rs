//! The apply check: before any phase runs, the selected phases are linted with lint's engine
//! and rules on the live schema of the target, and what the linter rejects is refused.
//!
//! - The schema and the row counts come from the database (`introspect`: `pg_catalog`, or
//!   `information_schema`), sizes by the one size rule (`facts::rows_by_rule`).
//! - The runner is sluice: what it makes online (`sluice_lint::rewrites`, and the strategy
//!   each statement actually got when the phases were prepared) is not refused.
//! - Enforced: error-level findings of the compatibility, deploy-boundary and lock rules on
//!   a table that exists in the database with at least `[run] large_table_rows` rows: a
//!   table created earlier in the run, an empty or small one (never-analyzed ones by their
//!   size on disk), or one the linter could not follow, never causes a refusal.
//! - Enforced everywhere: `unknown-directive` (a `-- sluice:` comment that does nothing: the
//!   file would not run as its author wrote it, whatever the tables).
//! - Suppressions are lint's (`-- sluice:ignore rule -- reason`); `[run] allow` and
//!   `--allow` let a rule through, recorded as an `allowed` event. A refusal records a
//!   `refused` event and executes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::super::driver::Driver;
use super::super::facts::RunFacts;
use super::super::introspect::{self, SchemaSnapshot};
use super::super::ledger::{self, LedgerRow, State};
use super::super::plan;
use super::super::strategies::Strategy;
use super::super::{Allow, Refusal, RunError};
use super::Run;
use sluice_core::source::split::{self, SplitOptions};
use sluice_core::source::{Direction, Layout, Migration, Phase, Script};
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::{self, Dialect, Operation};
use sluice_lint::rule::Category;
use sluice_lint::settings::Runner;
use sluice_lint::{Diagnostic, LintReport, Severity, registry, rewrites};

/// Why a finding is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Compatibility,
    DeployBoundary,
    Locks,
}

impl Class {
    /// MySQL-specific findings count when they are about a lock (a table copy, LOCK=SHARED).
    fn of(category: Category, d: &Diagnostic) -> Option<Class> {
        match category {
            Category::Compatibility => Some(Class::Compatibility),
            Category::DeployBoundary => Some(Class::DeployBoundary),
            Category::Locks => Some(Class::Locks),
            Category::Mysql if d.lock.is_some() => Some(Class::Locks),
            Category::Mysql | Category::Hygiene | Category::Style => None,
        }
    }
}

/// The verdict of the check, per phase: the lines `--dry-run` prints before its SQL.
#[derive(Debug, Default)]
pub(crate) struct Verdicts {
    pub(crate) lines: BTreeMap<(String, Phase), Vec<String>>,
}

impl Verdicts {
    pub(crate) fn of(&self, version: &str, phase: Phase) -> &[String] {
        self.lines
            .get(&(version.to_owned(), phase))
            .map_or(&[], Vec::as_slice)
    }
}

/// One selected phase as the check sees it (by index: nothing borrowed across awaits).
struct Item {
    /// Index into the selected phases.
    at: usize,
    /// Lines of statements the runner rewrites online (strategy other than plain).
    online: BTreeMap<usize, Strategy>,
}

/// Where a finding points: its statement's first line and the tables it touches.
struct Located {
    line: usize,
    tables: Vec<ObjName>,
}

/// The enforced findings, owned: (version, phase, finding).
#[derive(Default)]
struct Judged {
    refused: Vec<(String, Phase, Diagnostic)>,
    allowed: Vec<(String, Phase, Diagnostic, Allow)>,
    /// The `-- check:` lines of each phase that passes.
    lines: BTreeMap<(String, Phase), Vec<String>>,
}

impl Run<'_> {
    /// Check the selected phases `items` (in the order they will run) before any runs.
    pub(crate) async fn check(
        &self,
        main: &mut dyn Driver,
        items: &[(&Migration, &Script)],
        rows: &[LedgerRow],
        release: Option<&str>,
    ) -> Result<Verdicts, RunError> {
        let mut verdicts = Verdicts::default();
        if items.is_empty() {
            return Ok(verdicts);
        }
        let dialect = self.url.dialect();
        // prepared as they will run, for the strategy each statement gets
        let mut facts = RunFacts::new();
        let mut prepared = Vec::new();
        for (at, &(m, s)) in items.iter().enumerate() {
            let p = self.prepare_online(main, &mut facts, m, s).await?;
            facts.note_created(plan::created_tables(dialect, &p));
            let online = p
                .choices
                .iter()
                .filter(|(_, c)| c.strategy != Strategy::Plain)
                .map(|(line, c)| (*line, c.strategy))
                .collect();
            prepared.push(Item { at, online });
        }
        let scope = introspect::Scope::SearchPathAnd(named_schemas(dialect, items));
        let live = introspect::snapshot(&self.url, &scope).await?;
        let server = facts.server(main).await;
        let settings = self.lint_settings(server, &live);
        let changes = change_set(items, rows);
        let report =
            sluice_lint::lint_change_set_on(&settings, live.catalog(dialect), &[], &changes);
        drop(changes);
        tracing::info!(
            phases = items.len(),
            findings = report.diagnostics.len(),
            tables = live.rows.len(),
            "apply check: linted the pending phases on the live schema"
        );
        let judged = self.judge(items, &report, &prepared, &live);

        if !judged.refused.is_empty() {
            let mut by_phase: BTreeMap<(String, Phase), Vec<String>> = BTreeMap::new();
            for (v, p, d) in &judged.refused {
                by_phase
                    .entry((v.clone(), *p))
                    .or_default()
                    .push(finding_line(d));
            }
            for ((version, phase), lines) in &by_phase {
                let detail = format!("refused by the apply check: {}", lines.join("; "));
                self.event(
                    main,
                    ledger::EVENT_REFUSED,
                    Some(version),
                    Some(*phase),
                    release,
                    &detail,
                )
                .await?;
            }
            return Err(self.refusal(judged.refused, &by_phase, report));
        }

        for (version, phase, d, a) in &judged.allowed {
            let detail = format!(
                "{} allowed by {}: {}",
                d.rule,
                a.source.describe(),
                finding_line(d)
            );
            self.event(
                main,
                ledger::EVENT_ALLOWED,
                Some(version),
                Some(*phase),
                release,
                &detail,
            )
            .await?;
        }
        verdicts.lines = judged.lines;
        Ok(verdicts)
    }

    /// Lint's settings for the target: its dialect and server, the sluice runner, the live
    /// row counts.
    fn lint_settings(
        &self,
        server: super::super::driver::ServerVersion,
        live: &SchemaSnapshot,
    ) -> sluice_lint::LintSettings {
        let mut settings = self.settings.lint.clone();
        settings.dialect = self.url.dialect();
        settings.runner = Runner::Sluice;
        settings.large_table_rows = self.settings.large_table_rows;
        settings.table_rows = Arc::new(live.rows.clone());
        settings.deploy = sluice_lint::settings::DeployContext::default();
        self.db.lint_server(&server, &mut settings);
        settings
    }

    /// Which error findings are enforced, refused or allowed; the verdict lines.
    fn judge(
        &self,
        items: &[(&Migration, &Script)],
        report: &LintReport,
        prepared: &[Item],
        live: &SchemaSnapshot,
    ) -> Judged {
        let dialect = self.url.dialect();
        let mut out = Judged::default();
        for d in &report.diagnostics {
            if d.severity < Severity::Error {
                continue;
            }
            let Some(item) = prepared.iter().find(|i| owns(items[i.at].1, d)) else {
                continue;
            };
            let (m, s) = items[item.at];
            // a missing down script is about rollbacks, not the running code
            if d.rule == "missing-down-migration" {
                continue;
            }
            // a directive that does nothing: the file does not run as written, on any table
            let directive = d.rule == "unknown-directive";
            if !directive
                && registry::lookup(d.rule)
                    .and_then(|r| Class::of(r.meta().category, d))
                    .is_none()
            {
                continue;
            }
            if !directive {
                let Some(at) = locate(dialect, m.layout, s, d) else {
                    continue;
                };
                if !self.enforced(d, &at, item, live) {
                    continue;
                }
            }
            let key = (m.version.raw.clone(), s.phase);
            match self.settings.allow.iter().find(|a| a.rule == d.rule) {
                Some(a) => {
                    out.lines.entry(key.clone()).or_default().push(format!(
                        "-- check: allowed ({}): {}",
                        a.source.describe(),
                        finding_line(d)
                    ));
                    out.allowed.push((key.0, key.1, d.clone(), a.clone()));
                }
                None => out.refused.push((key.0, key.1, d.clone())),
            }
        }
        for i in prepared {
            let (m, s) = items[i.at];
            let mut head = vec![format!(
                "-- check: {} {} ({}): passes: linted on the live schema (lock rules enforced on tables of at least {} rows)",
                m.version,
                m.name,
                s.phase.name(),
                self.settings.large_table_rows
            )];
            for (line, st) in &i.online {
                head.push(format!(
                    "-- check: line {line}: made online by the runner ({})",
                    st.name()
                ));
            }
            let lines = out
                .lines
                .entry((m.version.raw.clone(), s.phase))
                .or_default();
            head.append(lines);
            *lines = head;
        }
        out
    }

    /// The error of a refused check: the refusing findings, and the ways out.
    fn refusal(
        &self,
        refused: Vec<(String, Phase, Diagnostic)>,
        by_phase: &BTreeMap<(String, Phase), Vec<String>>,
        report: LintReport,
    ) -> RunError {
        let rules: BTreeSet<&str> = refused.iter().map(|(_, _, d)| d.rule).collect();
        let phases: Vec<String> = by_phase
            .keys()
            .map(|(v, p)| format!("{v} ({})", p.name()))
            .collect();
        let summary = format!(
            "apply refused: {} finding{} of the linter on the live schema of {} in {}; nothing was executed. Fix the migration (`migrate plan <file>` writes the safe version), suppress a finding you mean with `-- sluice:ignore <rule> -- <reason>` above its statement, or let the rule through with `--allow {}` (recorded in the ledger)",
            refused.len(),
            if refused.len() == 1 { "" } else { "s" },
            self.url,
            phases.join(", "),
            rules.into_iter().collect::<Vec<_>>().join(" --allow "),
        );
        let files = report
            .files
            .iter()
            .filter(|f| refused.iter().any(|(_, _, d)| d.path == f.path))
            .cloned()
            .collect();
        RunError::Checked(Box::new(Refusal {
            report: LintReport {
                diagnostics: refused.into_iter().map(|(_, _, d)| d).collect(),
                files,
                stats: report.stats,
            },
            summary,
        }))
    }

    /// Is this error finding one the check enforces? Only on a table that exists now (one
    /// created earlier in the run is new) and holds at least `large_table_rows` rows (an
    /// empty or small one never refuses); a lock finding not when the runner makes the
    /// statement online.
    fn enforced(&self, d: &Diagnostic, at: &Located, item: &Item, live: &SchemaSnapshot) -> bool {
        let large = at
            .tables
            .iter()
            .filter_map(|t| live.rows_of(t))
            .any(|n| n >= self.settings.large_table_rows);
        let online = item.online.contains_key(&at.line)
            && registry::lookup(d.rule)
                .is_some_and(|r| rewrites::answered_online(d.rule, r.meta().category));
        large && !online
    }
}

/// `path:line:col rule: message`.
fn finding_line(d: &Diagnostic) -> String {
    format!(
        "{}:{}:{} {}: {}",
        d.path.display(),
        d.start.line,
        d.start.column,
        d.rule,
        d.message
    )
}

/// Does finding `d` point into script `s`?
fn owns(s: &Script, d: &Diagnostic) -> bool {
    s.direction == Direction::Up
        && d.phase == s.phase
        && d.path == s.file.path
        && (s.range.contains(&d.range.start) || s.range.end == d.range.start)
}

/// The statement of `s` that finding `d` points into.
fn locate(dialect: Dialect, layout: Layout, s: &Script, d: &Diagnostic) -> Option<Located> {
    let base = s.range.start;
    let at = d.range.start.saturating_sub(base);
    let text = s.text();
    let chunks = split::split(text, SplitOptions::new(dialect, layout == Layout::Goose));
    let chunk = chunks
        .iter()
        .find(|c| c.range.contains(&at))
        .or_else(|| chunks.last())?;
    let r = chunk.stmt.clone()?;
    let tables = op_tables(&statement_ops(dialect, &text[r.clone()]));
    Some(Located {
        line: s.file.line_col(base + r.start).line,
        tables,
    })
}

/// The operations of statement `sql_text` (a token scan's when it does not parse).
pub(super) fn statement_ops(dialect: Dialect, sql_text: &str) -> Vec<Operation> {
    match sql::parse(dialect, sql_text) {
        Ok(asts) => asts
            .iter()
            .flat_map(|a| sql::classify::classify(dialect, a))
            .collect(),
        Err(_) => sql::tokscan::scan(dialect, sql_text),
    }
}

/// Each statement of `s`: its first line and its operations.
pub(super) fn statements(
    dialect: Dialect,
    layout: Layout,
    s: &Script,
) -> Vec<(usize, Vec<Operation>)> {
    let text = s.text();
    split::split(text, SplitOptions::new(dialect, layout == Layout::Goose))
        .into_iter()
        .filter_map(|chunk| {
            let r = chunk.stmt?;
            let line = s.file.line_col(s.range.start + r.start).line;
            Some((line, statement_ops(dialect, &text[r])))
        })
        .collect()
}

/// The tables operations `ops` touch (a foreign key's referenced table too).
fn op_tables(ops: &[Operation]) -> Vec<ObjName> {
    let mut tables = Vec::new();
    for op in ops {
        if let Some(t) = op.table() {
            tables.push(t.clone());
        }
        match op {
            Operation::AddConstraint { constraint, .. } => {
                tables.extend(constraint.references.iter().cloned());
            }
            Operation::DropTable { tables: ts, .. } => tables.extend(ts.iter().cloned()),
            Operation::RenameTable { from, .. } => tables.push(from.clone()),
            _ => {}
        }
    }
    tables
}

/// The schemas the selected phases name explicitly (`billing.invoices`, or a `SET
/// search_path` of theirs): the apply check reads them besides the target's `search_path`.
fn named_schemas(dialect: Dialect, items: &[(&Migration, &Script)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (m, s) in items {
        for (_, ops) in statements(dialect, m.layout, s) {
            for op in &ops {
                if let Operation::SetVariable { name, value, .. } = op
                    && name.eq_ignore_ascii_case("search_path")
                {
                    out.extend(
                        value
                            .split(',')
                            .map(|v| v.trim().trim_matches('"').to_owned())
                            .filter(|v| !v.is_empty() && v != "$user"),
                    );
                }
            }
            out.extend(op_tables(&ops).into_iter().filter_map(|t| t.schema));
        }
    }
    out
}

/// The pending up scripts of the selected phases' migrations (with their down scripts), as
/// lint's change set; findings are kept only for the selected scripts.
fn change_set(items: &[(&Migration, &Script)], rows: &[LedgerRow]) -> Vec<Migration> {
    let applied = |m: &Migration, phase: Phase| {
        rows.iter().any(|r| {
            r.phase == phase
                && r.state == State::Applied
                && plan::ledger_version(&r.version).is_ok_and(|v| v == m.version)
        })
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (m, _) in items {
        if !seen.insert(m.version.clone()) {
            continue;
        }
        let mut m = (*m).clone();
        let ups_applied: Vec<Phase> = m
            .scripts
            .iter()
            .filter(|s| s.direction == Direction::Up && applied(&m, s.phase))
            .map(|s| s.phase)
            .collect();
        m.scripts.retain(|s| !ups_applied.contains(&s.phase));
        out.push(m);
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    out
}
