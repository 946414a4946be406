//! Planning: scripts split into statements, and what to apply or roll back given the ledger.
//! Pure functions (no I/O), so the policies are unit-tested without a database.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::RunError;
use super::driver;
use super::gates::{self, Verdict};
use super::ledger::{BackfillRow, Event, LedgerRow, State};
use super::strategies::{self, Action, Facts};
use super::{ApplyRequest, BackfillStatus, RollbackRequest, StatusEntry, StatusReport, Waiting};
use crate::OutOfOrder;
use sluice_core::source::directives::{self, Directive};
use sluice_core::source::split::{self, SplitOptions};
use sluice_core::source::{Direction, Layout, Migration, Phase, Script, Version};
use sluice_core::sql::ops::TxControl;
use sluice_core::sql::{self, Dialect, Operation};

/// What kind of step a statement of a prepared script is: how the executor runs it.
#[derive(Debug, Clone)]
pub(super) enum Step {
    /// SQL sent as written (or as a strategy rewrote it).
    Sql,
    /// `CREATE INDEX CONCURRENTLY` of this index (schema, name): a failed build leaves it
    /// INVALID, and it must go before the statement runs again.
    ConcurrentIndex(Option<String>, String),
    /// `BEGIN` / `COMMIT` / `ROLLBACK` written in the file: a block the runner retries whole.
    Tx(TxControl),
    /// MySQL `LOCK TABLES` (true) / `UNLOCK TABLES` (false): the planner's column swap. The
    /// ledger cannot be written while tables are locked, so the block is one step.
    TableLock(bool),
    /// An external tool run instead of SQL (pg_repack, pt-online-schema-change, gh-ost).
    Tool(strategies::Tool),
    /// A shadow-table copy run instead of SQL (`run::shadow`).
    Shadow(Box<strategies::shadow_table::ShadowTable>),
    /// A batched delete run instead of the statement (`run::batched_delete`).
    BatchedDelete(Box<strategies::batched_delete::BatchedDelete>),
}

/// A statement ready to send, with its place in the file. `sql` is what a dry run shows:
/// the statement, or a tool's command line, or a copy's steps.
#[derive(Debug, Clone)]
pub(super) struct Stmt {
    pub(super) sql: String,
    pub(super) line: usize,
    pub(super) step: Step,
    /// `-- sluice:strategy <name>` above the statement (read by `apply_strategies`).
    pub(super) forced_strategy: Option<String>,
}

impl Stmt {
    pub(super) fn is_sql(&self) -> bool {
        matches!(self.step, Step::Sql)
    }

    fn new(sql: String, line: usize, step: Step) -> Stmt {
        Stmt {
            sql,
            line,
            step,
            forced_strategy: None,
        }
    }

    pub(super) fn tx(&self) -> Option<TxControl> {
        match self.step {
            Step::Tx(t) => Some(t),
            _ => None,
        }
    }

    pub(super) fn table_lock(&self) -> Option<bool> {
        match self.step {
            Step::TableLock(on) => Some(on),
            _ => None,
        }
    }

    /// Runs something other than its SQL text (a tool, a copy).
    pub(super) fn external(&self) -> bool {
        matches!(
            self.step,
            Step::Tool(_) | Step::Shadow(_) | Step::BatchedDelete(_)
        )
    }
}

/// A script split and classified for running.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    pub(super) version: String,
    pub(super) name: String,
    pub(super) phase: Phase,
    pub(super) path: PathBuf,
    pub(super) checksum: String,
    pub(super) statements: Vec<Stmt>,
    pub(super) transactional: bool,
    pub(super) down_sql: Option<String>,
    /// The online strategy chosen for each rewritten statement (line, choice).
    pub(super) choices: Vec<(usize, strategies::Choice)>,
}

impl Prepared {
    pub(super) fn label(&self) -> String {
        format!("{} {} ({})", self.version, self.name, self.phase.name())
    }
}

/// SHA-256 of the script's own text: the file's checksum for whole-file scripts, the
/// section's for dbmate / goose sections.
pub fn script_checksum(script: &Script) -> String {
    if script.range == (0..script.file.text.len()) {
        script.file.checksum().to_owned()
    } else {
        sluice_core::source::text::checksum(script.text())
    }
}

/// Split `text` (which starts at `base` in `file_text`) into statements; decide whether
/// PostgreSQL may wrap them in one transaction.
pub(super) fn split_statements(
    backend: Dialect,
    goose: bool,
    text: &str,
    line_of: impl Fn(usize) -> usize,
    path: &std::path::Path,
    no_tx_marker: bool,
) -> Result<(Vec<Stmt>, bool), RunError> {
    let d = backend;
    let db = driver::database(d);
    let chunks = split::split(text, SplitOptions::new(d, goose));
    let mut out = Vec::new();
    let mut needs_no_tx = no_tx_marker;
    for c in chunks {
        if let Some(err) = c.error {
            return Err(RunError::Input(format!(
                "{}:{}: {}; fix the file before running it",
                path.display(),
                line_of(err.offset),
                err.kind.message()
            )));
        }
        if c.delimiter_command {
            continue;
        }
        let Some(r) = c.stmt.filter(|r| !r.is_empty()) else {
            continue;
        };
        let sql_text = &text[r.clone()];
        let ops = match sql::parse(d, sql_text) {
            Ok(asts) => asts
                .iter()
                .flat_map(|a| sql::classify::classify(d, a))
                .collect::<Vec<_>>(),
            Err(_) => sql::tokscan::scan(d, sql_text),
        };
        // CONCURRENTLY & co. cannot run in a transaction block; a script with its own
        // BEGIN/COMMIT keeps its own grouping
        if ops
            .iter()
            .any(|o| o.needs_no_transaction() || matches!(o, Operation::Transaction(_)))
        {
            needs_no_tx = true;
        }
        let concurrent_index = ops.iter().find_map(|o| match o {
            Operation::CreateIndex {
                name: Some(name),
                table,
                concurrently: true,
                ..
            } => Some(Step::ConcurrentIndex(table.schema.clone(), name.clone())),
            _ => None,
        });
        let tx = ops.iter().find_map(|o| match o {
            Operation::Transaction(t) => Some(Step::Tx(*t)),
            _ => None,
        });
        let step = tx
            .or_else(|| db.table_lock(sql_text).map(Step::TableLock))
            .or(concurrent_index)
            .unwrap_or(Step::Sql);
        let forced_strategy = c
            .leading_comments
            .iter()
            .filter_map(|cm| directives::parse(text, cm))
            .find_map(|d| match d {
                Directive::Strategy(name) => Some(name),
                _ => None,
            });
        out.push(Stmt {
            forced_strategy,
            ..Stmt::new(sql_text.to_owned(), line_of(r.start), step)
        });
    }
    let transactional = db.transactional_ddl() && !needs_no_tx;
    Ok((out, transactional))
}

pub(super) fn prepare(
    backend: Dialect,
    m: &Migration,
    script: &Script,
) -> Result<Prepared, RunError> {
    let base = script.range.start;
    let (statements, transactional) = split_statements(
        backend,
        m.layout == Layout::Goose,
        script.text(),
        |off| script.file.line_col(base + off).line,
        &script.file.path,
        script.no_transaction_marker,
    )?;
    Ok(Prepared {
        version: m.version.raw.clone(),
        name: m.name.clone(),
        phase: script.phase,
        path: script.file.path.clone(),
        checksum: script_checksum(script),
        statements,
        transactional,
        down_sql: m
            .script(script.phase, Direction::Down)
            .map(|d| d.text().to_owned()),
        choices: Vec::new(),
    })
}

/// Rewrite `p`'s statements by their online strategies (see [`strategies`]): statements
/// inside a `BEGIN .. COMMIT` block of the file stay as written; a strategy that cannot run
/// in a transaction makes the script run statement by statement. Pure.
pub(super) fn apply_strategies(
    backend: Dialect,
    p: &mut Prepared,
    facts: &Facts,
) -> Result<(), RunError> {
    let d = backend;
    let mut out = Vec::with_capacity(p.statements.len());
    let mut created: Vec<String> = Vec::new();
    let mut in_block = false;
    let mut no_tx = false;
    for st in std::mem::take(&mut p.statements) {
        match (st.tx(), st.table_lock()) {
            (Some(TxControl::Begin), _) | (_, Some(true)) => in_block = true,
            (Some(TxControl::Commit | TxControl::Rollback), _) | (_, Some(false)) => {
                in_block = false
            }
            _ => {}
        }
        let ops = sql::parse(d, &st.sql)
            .map(|a| {
                a.iter()
                    .flat_map(|x| sql::classify::classify(d, x))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let created_here = ops
            .iter()
            .filter_map(|o| o.table())
            .any(|t| created.contains(&t.to_string()));
        for o in &ops {
            if let Operation::CreateTable { table, .. } = o {
                created.push(table.to_string());
            }
        }
        if in_block || st.tx().is_some() || st.table_lock().is_some() {
            if st.forced_strategy.is_some() {
                return Err(RunError::Input(format!(
                    "{}:{}: `-- sluice:strategy` inside a BEGIN .. COMMIT block of the file: online strategies run outside transactions; move the statement out of the block",
                    p.path.display(),
                    st.line
                )));
            }
            out.push(st);
            continue;
        }
        let chosen = strategies::choose(
            backend,
            &st.sql,
            created_here,
            st.forced_strategy.as_deref(),
            facts,
        )
        .map_err(|e| RunError::Input(format!("{}:{}: {e}", p.path.display(), st.line)))?;
        let Some(actions) = chosen.actions else {
            if chosen.choice.forced
                || chosen.choice.reason.contains("rows (below")
                || chosen
                    .choice
                    .reason
                    .ends_with(strategies::batched_delete::DECLINED)
            {
                p.choices.push((st.line, chosen.choice));
            }
            out.push(st);
            continue;
        };
        p.choices.push((st.line, chosen.choice));
        for a in actions {
            match a {
                Action::Sql { sql, no_tx: n } => {
                    no_tx |= n;
                    let step = concurrent_index_of(d, &sql).map_or(Step::Sql, |(schema, name)| {
                        Step::ConcurrentIndex(schema, name)
                    });
                    out.push(Stmt::new(sql, st.line, step));
                }
                Action::Tool(r) => {
                    no_tx = true;
                    out.push(Stmt::new(r.display(), st.line, Step::Tool(r)));
                }
                Action::ShadowTable(mut sh) => {
                    no_tx = true;
                    sh.version = p.version.clone();
                    out.push(Stmt::new(sh.display(), st.line, Step::Shadow(sh)));
                }
                Action::BatchedDelete(d) => {
                    no_tx = true;
                    out.push(Stmt::new(d.display(), st.line, Step::BatchedDelete(d)));
                }
            }
        }
    }
    p.statements = out;
    if no_tx {
        p.transactional = false;
    }
    Ok(())
}

/// Tables a prepared script's statements act on (schema, name), sorted, once each.
pub(super) fn tables_of(d: Dialect, p: &Prepared) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = p
        .statements
        .iter()
        .filter_map(|st| sql::parse(d, &st.sql).ok())
        .flat_map(|asts| {
            asts.iter()
                .flat_map(|a| sql::classify::classify(d, a))
                .filter_map(|o| o.table().map(|t| (t.schema.clone(), t.name.clone())))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Tables a prepared script creates (a later phase of the run sees them as new).
pub(super) fn created_tables(d: Dialect, p: &Prepared) -> Vec<sluice_core::sql::ops::ObjName> {
    p.statements
        .iter()
        .filter_map(|st| sql::parse(d, &st.sql).ok())
        .flat_map(|asts| {
            asts.iter()
                .flat_map(|a| sql::classify::classify(d, a))
                .filter_map(|o| match o {
                    Operation::CreateTable { table, .. } => Some(table),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn concurrent_index_of(d: Dialect, sql_text: &str) -> Option<(Option<String>, String)> {
    let asts = sql::parse(d, sql_text).ok()?;
    asts.iter()
        .flat_map(|a| sql::classify::classify(d, a))
        .find_map(|o| match o {
            Operation::CreateIndex {
                name: Some(name),
                table,
                concurrently: true,
                ..
            } => Some((table.schema.clone(), name)),
            _ => None,
        })
}

/// Prepare a stored down script.
pub(super) fn prepare_down(
    backend: Dialect,
    row: &LedgerRow,
    down: &str,
) -> Result<Prepared, RunError> {
    let path = PathBuf::from(format!(
        "<down SQL of {} ({}) in the ledger>",
        row.version,
        row.phase.name()
    ));
    let line_of = |off: usize| down[..off.min(down.len())].matches('\n').count() + 1;
    let (statements, transactional) = split_statements(
        backend,
        down.contains("+goose StatementBegin"),
        down,
        line_of,
        &path,
        down.contains("sluice:no-transaction") || down.contains("+goose NO TRANSACTION"),
    )?;
    Ok(Prepared {
        version: row.version.clone(),
        name: row.name.clone(),
        phase: row.phase,
        path,
        checksum: row.checksum.clone(),
        statements,
        transactional,
        down_sql: None,
        choices: Vec::new(),
    })
}

/// A ledger row's version, ordered exactly as apply orders the files (`Version::parse_any`,
/// diesel's dashed stamps included). A version that cannot be ordered is an error: skipping
/// it would make a rollback pick the wrong migration.
pub(super) fn ledger_version(raw: &str) -> Result<Version, RunError> {
    Version::parse_any(raw).ok_or_else(|| {
        RunError::Input(format!(
            "the ledger holds version `{raw}`, which Sluice cannot order among the others (digits, `1.2`, or diesel's `YYYY-MM-DD-HHMMSS`); restore the migration's file name, or remove the row with `migrate repair`"
        ))
    })
}

/// Every row's version can be ordered (checked once when the ledger is read).
pub(super) fn check_versions(rows: &[LedgerRow]) -> Result<(), RunError> {
    rows.iter()
        .try_for_each(|r| ledger_version(&r.version).map(|_| ()))
}

/// Rows by (version, phase); versions compare like file versions.
pub(super) fn row_map(
    rows: &[LedgerRow],
) -> Result<BTreeMap<(Version, Phase), &LedgerRow>, RunError> {
    rows.iter()
        .map(|r| Ok(((ledger_version(&r.version)?, r.phase), r)))
        .collect()
}

/// What an apply will do.
#[derive(Debug, Default)]
pub(super) struct Plan<'m> {
    pub(super) items: Vec<(&'m Migration, &'m Script)>,
    /// Migrations whose backfill runs, after the expands and before the contracts.
    pub(super) backfills: Vec<&'m Migration>,
    pub(super) waiting: Vec<Waiting>,
    pub(super) warnings: Vec<String>,
    /// The gate's verdict for each pending contract whose expand is applied.
    pub(super) verdicts: Vec<(String, Verdict)>,
}

pub(super) fn drift_message(
    script: &Script,
    m: &Migration,
    row: &LedgerRow,
    file_sum: &str,
) -> String {
    format!(
        "{}: migration {} ({}) was edited after it was applied: ledger checksum {}, file checksum {}; restore the file, or accept the change with `migrate repair --version {}`",
        script.file.path.display(),
        m.version,
        script.phase.name(),
        row.checksum,
        file_sum,
        m.version
    )
}

/// `plan_gated` with the default gate, `recorded`.
#[cfg(test)]
pub(super) fn plan<'m>(
    migrations: &'m [Migration],
    rows: &[LedgerRow],
    events: &[Event],
    fills: &[BackfillRow],
    req: &ApplyRequest,
    policy: OutOfOrder,
) -> Result<Plan<'m>, RunError> {
    plan_gated(
        migrations,
        rows,
        events,
        fills,
        req,
        policy,
        &Verdict::recorded_placeholder(),
    )
}

/// Whether some contract in range is not applied (then the gate must be asked).
pub(super) fn contract_pending(
    migrations: &[Migration],
    rows: &[LedgerRow],
    req: &ApplyRequest,
) -> bool {
    // the ledger's versions were checked when it was read (`check_versions`); were one not
    // orderable, asking the gate is the cautious answer and `plan_gated` refuses anyway
    let Ok(by_key) = row_map(rows) else {
        return true;
    };
    req.phase.has(Phase::Contract)
        && migrations.iter().any(|m| {
            req.to.as_ref().is_none_or(|to| m.version <= *to)
                && m.script(Phase::Contract, Direction::Up).is_some()
                && by_key
                    .get(&(m.version.clone(), Phase::Contract))
                    .is_none_or(|r| r.state != State::Applied)
        })
}

/// Decide what to apply: refuse drifted checksums and out-of-order versions, keep phase
/// order, and hold back contracts whose gate does not hold. `gate` is the verdict of the
/// gates outside the ledger (`gates::evaluate`); `recorded` is decided here per contract.
/// Pure: no I/O.
pub(super) fn plan_gated<'m>(
    migrations: &'m [Migration],
    rows: &[LedgerRow],
    events: &[Event],
    fills: &[BackfillRow],
    req: &ApplyRequest,
    policy: OutOfOrder,
    gate: &Verdict,
) -> Result<Plan<'m>, RunError> {
    let by_key = row_map(rows)?;
    let mut drift = Vec::new();
    for m in migrations {
        for s in m.scripts.iter().filter(|s| s.direction == Direction::Up) {
            if let Some(row) = by_key.get(&(m.version.clone(), s.phase)) {
                let sum = script_checksum(s);
                if row.state == State::Applied && row.checksum != sum {
                    drift.push(drift_message(s, m, row, &sum));
                }
            }
        }
    }
    if !drift.is_empty() {
        return Err(RunError::Drift(drift.join("\n")));
    }

    let in_range = |m: &Migration| req.to.as_ref().is_none_or(|to| m.version <= *to);
    let live = |r: &&LedgerRow| r.state != State::RolledBack;
    let versioned = rows
        .iter()
        .filter(live)
        .map(|r| Ok((ledger_version(&r.version)?, r)))
        .collect::<Result<Vec<_>, RunError>>()?;
    let newest_of = |contracts_only: bool| {
        versioned
            .iter()
            .filter(|(_, r)| !contracts_only || r.phase == Phase::Contract)
            .max_by(|a, b| a.0.cmp(&b.0))
            .cloned()
    };
    let newest = newest_of(false);
    // a contract-only migration (a single-phase layout's planned contract) waits for its
    // gate while later expands go on: it is late only behind a later contract
    let newest_contract = newest_of(true);
    let mut out = Plan::default();
    if newest.is_some() {
        let touched: std::collections::BTreeSet<Version> = rows
            .iter()
            .filter(live)
            .map(|r| ledger_version(&r.version))
            .collect::<Result<_, _>>()?;
        for m in migrations.iter().filter(|m| in_range(m)) {
            let untouched = !touched.contains(&m.version);
            let ups = || m.scripts.iter().filter(|s| s.direction == Direction::Up);
            let selected = ups().any(|s| req.phase.has(s.phase));
            let contract_only = ups().all(|s| s.phase == Phase::Contract);
            let Some((newest, newest_row)) = (if contract_only {
                newest_contract.as_ref()
            } else {
                newest.as_ref()
            }) else {
                continue;
            };
            if untouched && selected && m.version < *newest {
                let msg = format!(
                    "{}: migration {} is pending but older than the newest applied migration {} ({})",
                    m.origin.display(),
                    m.version,
                    newest,
                    newest_row.name
                );
                match policy {
                    OutOfOrder::Strict => {
                        return Err(RunError::Refused(format!(
                            "{msg}; give it a newer version, or set `migrations.out_of_order = \"allow\"` in sluice.toml"
                        )));
                    }
                    OutOfOrder::Warn => out.warnings.push(format!(
                        "{msg}; applying it anyway (out_of_order = \"warn\")"
                    )),
                    OutOfOrder::Allow => {}
                }
            }
        }
    }

    let applied = |v: &Version, p: Phase| {
        by_key
            .get(&(v.clone(), p))
            .filter(|r| r.state == State::Applied)
            .copied()
    };
    if req.phase.has(Phase::Expand) {
        for m in migrations.iter().filter(|m| in_range(m)) {
            if let Some(s) = m.script(Phase::Expand, Direction::Up)
                && applied(&m.version, Phase::Expand).is_none()
            {
                out.items.push((m, s));
            }
        }
    }
    let fill_row = |m: &Migration| fills.iter().find(|r| r.version == m.version.raw);
    let fill_done = |m: &Migration| fill_row(m).is_some_and(|r| r.state == State::Applied);
    if req.phase.runs_backfill(req.no_backfill) {
        for m in migrations.iter().filter(|m| in_range(m)) {
            if m.backfill.is_none() || fill_done(m) {
                continue;
            }
            let has_expand = m.script(Phase::Expand, Direction::Up).is_some();
            let expand_ready = !has_expand
                || applied(&m.version, Phase::Expand).is_some()
                || out.items.iter().any(|(o, _)| std::ptr::eq(*o, m));
            if expand_ready {
                out.backfills.push(m);
            } else {
                out.warnings.push(format!(
                    "{}: the backfill of {} waits for its expand phase: run `migrate apply --phase expand`",
                    m.origin.display(),
                    m.version
                ));
            }
        }
    }
    if req.phase.has(Phase::Contract) {
        for m in migrations.iter().filter(|m| in_range(m)) {
            let Some(s) = m.script(Phase::Contract, Direction::Up) else {
                continue;
            };
            if applied(&m.version, Phase::Contract).is_some() {
                continue;
            }
            let wait = |reason: String| Waiting {
                version: m.version.raw.clone(),
                name: m.name.clone(),
                phase: Phase::Contract,
                reason,
            };
            if !out.waiting.is_empty() {
                // contracts run in version order: one waiting holds back the later ones
                out.waiting.push(wait(format!(
                    "runs after the contract of {}",
                    out.waiting[0].version
                )));
                continue;
            }
            // its own backfill, and any earlier migration's (a single-phase layout's planned
            // contract is a migration of its own, after the expand that holds the backfill)
            let unfilled = migrations.iter().find(|o| {
                o.version <= m.version
                    && o.backfill.is_some()
                    && !fill_done(o)
                    && !out.backfills.iter().any(|b| std::ptr::eq(*b, *o))
            });
            if let Some(o) = unfilled {
                let progress = fill_row(o).map_or_else(
                    || "it has not started".to_owned(),
                    |r| format!("it is {} with {} rows done", r.state.name(), r.rows_done),
                );
                let whose = if std::ptr::eq(o, m) {
                    "its backfill".to_owned()
                } else {
                    format!("the backfill of {} {}", o.version, o.name)
                };
                out.waiting.push(wait(format!(
                    "{whose} is not complete ({progress}); run `migrate apply --phase backfill` first"
                )));
                continue;
            }
            let reference = if m.script(Phase::Expand, Direction::Up).is_some() {
                match applied(&m.version, Phase::Expand) {
                    Some(r) => r.finished_at,
                    None => {
                        out.waiting.push(wait(format!(
                            "its expand phase is not applied yet{}; then record the rollout of the new code with `migrate rollout complete --release ID`",
                            if req.phase.has(Phase::Expand) {
                                " (it is applied in this run)"
                            } else {
                                ": run `migrate apply --phase expand` first"
                            }
                        )));
                        continue;
                    }
                }
            } else {
                // a contract-only migration waits for a rollout after the expands before it
                by_key
                    .iter()
                    .filter(|((v, p), r)| {
                        *p == Phase::Expand && *v <= m.version && r.state == State::Applied
                    })
                    .filter_map(|(_, r)| r.finished_at)
                    .max()
            };
            let v = gate.with_recorded(&gates::recorded(reference, events));
            if v.holds {
                out.items.push((m, s));
            } else {
                out.waiting
                    .push(wait(format!("the `{}` gate: {}", v.gate, v.why)));
            }
            out.verdicts.push((m.version.raw.clone(), v));
        }
    }
    Ok(out)
}

/// Where a non-transactional phase continues: after the statements a failed or
/// interrupted run recorded.
pub(super) fn resume_point(p: &Prepared, prior: Option<&LedgerRow>) -> usize {
    match prior {
        Some(r) if !p.transactional && matches!(r.state, State::Failed | State::Running) => {
            usize::try_from(r.statements_done)
                .unwrap_or(0)
                .min(p.statements.len())
        }
        _ => 0,
    }
}

/// The rows a rollback undoes, newest first (a version's contract before its expand).
pub(super) fn rollback_targets<'r>(
    rows: &'r [LedgerRow],
    req: &RollbackRequest,
) -> Result<Vec<&'r LedgerRow>, RunError> {
    let mut live: Vec<(Version, &LedgerRow)> = rows
        .iter()
        .filter(|r| r.state != State::RolledBack)
        .map(|r| Ok((ledger_version(&r.version)?, r)))
        .collect::<Result<_, RunError>>()?;
    live.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.phase.cmp(&a.1.phase)));
    let selected: Vec<&(Version, &LedgerRow)> = live
        .iter()
        .filter(|(_, r)| req.phase.has(r.phase))
        .collect();
    // `--to 0` is everything (cli.md), a version-0 migration too (diesel's
    // `00000000000000_diesel_initial_setup`)
    let zero = Version::parse("0").expect("static");
    let chosen: Vec<&LedgerRow> = match (&req.to, req.steps) {
        (Some(to), _) => selected
            .iter()
            .filter(|(v, _)| v > to || *to == zero)
            .map(|(_, r)| *r)
            .collect(),
        (None, steps) => selected
            .iter()
            .take(steps.unwrap_or(1))
            .map(|(_, r)| *r)
            .collect(),
    };
    // an expand cannot go while its contract stays
    for r in &chosen {
        if r.phase == Phase::Expand {
            let contract_stays = live.iter().any(|(_, o)| {
                o.version == r.version
                    && o.phase == Phase::Contract
                    && !chosen.iter().any(|c| std::ptr::eq(*c, *o))
            });
            if contract_stays {
                return Err(RunError::Refused(format!(
                    "cannot roll back the expand of {} {} while its contract phase stays applied; roll back the contract first (`migrate rollback --phase contract`)",
                    r.version, r.name
                )));
            }
        }
    }
    Ok(chosen)
}

pub(super) fn status_report(
    database: String,
    ledger_exists: bool,
    migrations: &[Migration],
    rows: &[LedgerRow],
    fills: &[BackfillRow],
    events: Vec<Event>,
) -> Result<StatusReport, RunError> {
    let by_key = row_map(rows)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut entries = Vec::new();
    for m in migrations {
        for phase in [Phase::Expand, Phase::Contract] {
            let Some(s) = m.script(phase, Direction::Up) else {
                continue;
            };
            let sum = script_checksum(s);
            let row = by_key.get(&(m.version.clone(), phase)).copied();
            seen.insert((m.version.clone(), phase));
            entries.push(StatusEntry {
                version: m.version.raw.clone(),
                name: m.name.clone(),
                phase,
                state: row
                    .map_or("pending", |r| match r.state {
                        State::RolledBack => "pending",
                        s => s.name(),
                    })
                    .to_owned(),
                drifted: row.is_some_and(|r| r.state == State::Applied && r.checksum != sum),
                file_missing: false,
                path: Some(s.file.path.clone()),
                file_checksum: Some(sum),
                ledger_checksum: row.map(|r| r.checksum.clone()),
                statements_done: row.map(|r| r.statements_done),
                statements_total: row.map(|r| r.statements_total),
                finished_at: row.and_then(|r| r.finished_at),
                duration_ms: row.and_then(|r| r.duration_ms),
                release: row.and_then(|r| r.release.clone()),
                applied_by: row.map(|r| r.applied_by.clone()),
                error: row.and_then(|r| r.error.clone()),
            });
        }
    }
    for ((v, phase), r) in &by_key {
        if seen.contains(&(v.clone(), *phase)) || r.state == State::RolledBack {
            continue;
        }
        entries.push(StatusEntry {
            version: r.version.clone(),
            name: r.name.clone(),
            phase: *phase,
            state: r.state.name().to_owned(),
            drifted: false,
            file_missing: true,
            path: None,
            file_checksum: None,
            ledger_checksum: Some(r.checksum.clone()),
            statements_done: Some(r.statements_done),
            statements_total: Some(r.statements_total),
            finished_at: r.finished_at,
            duration_ms: r.duration_ms,
            release: r.release.clone(),
            applied_by: Some(r.applied_by.clone()),
            error: r.error.clone(),
        });
    }
    // every entry's version came from a file or from a checked ledger row
    entries.sort_by(|a, b| {
        let va = Version::parse_any(&a.version);
        let vb = Version::parse_any(&b.version);
        va.cmp(&vb).then(a.phase.cmp(&b.phase))
    });
    let mut backfills: Vec<BackfillStatus> = Vec::new();
    let entry = |version: &str, name: &str, path: Option<PathBuf>, r: Option<&BackfillRow>| {
        BackfillStatus {
            version: version.to_owned(),
            name: name.to_owned(),
            state: r.map_or("pending", |r| r.state.name()).to_owned(),
            path,
            rows_done: r.map_or(0, |r| r.rows_done),
            batches: r.map_or(0, |r| r.batches),
            batch_size: r.map(|r| r.batch_size),
            last_key: r.and_then(|r| r.last_key.clone()),
            started_at: r.and_then(|r| r.started_at),
            finished_at: r.and_then(|r| r.finished_at),
            duration_ms: r.and_then(|r| r.duration_ms),
            error: r.and_then(|r| r.error.clone()),
        }
    };
    for m in migrations {
        if let Some(path) = &m.backfill {
            let r = fills.iter().find(|r| r.version == m.version.raw);
            backfills.push(entry(&m.version.raw, &m.name, Some(path.clone()), r));
        }
    }
    for r in fills {
        if !backfills.iter().any(|b| b.version == r.version) {
            backfills.push(entry(&r.version, &r.name, None, Some(r)));
        }
    }
    backfills.sort_by(|a, b| Version::parse_any(&a.version).cmp(&Version::parse_any(&b.version)));
    Ok(StatusReport {
        database,
        ledger_exists,
        migrations: entries,
        backfills,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PhaseSel;
    use crate::ledger;
    use chrono::DateTime;
    use sluice_core::source::{LayoutChoice, discover};

    fn migrations(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Migration>) {
        let dir = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let found = discover(dir.path(), LayoutChoice::Auto).unwrap();
        (dir, found.migrations)
    }

    fn row(m: &Migration, phase: Phase, finished: i64) -> LedgerRow {
        let s = m.script(phase, Direction::Up).unwrap();
        LedgerRow {
            version: m.version.raw.clone(),
            phase,
            name: m.name.clone(),
            checksum: script_checksum(s),
            state: State::Applied,
            statements_done: 1,
            statements_total: 1,
            started_at: None,
            finished_at: DateTime::from_timestamp(finished, 0),
            duration_ms: Some(1),
            down_sql: None,
            release: None,
            applied_by: "t@h".into(),
            error: None,
        }
    }

    fn rollout(at: i64) -> Event {
        Event {
            id: at,
            kind: ledger::EVENT_ROLLOUT.into(),
            version: None,
            phase: None,
            release: Some("r".into()),
            detail: String::new(),
            source: "cli".into(),
            at: DateTime::from_timestamp(at, 0).unwrap(),
        }
    }

    fn req(phase: PhaseSel) -> ApplyRequest {
        ApplyRequest {
            phase,
            to: None,
            release: None,
            dry_run: false,
            no_backfill: false,
        }
    }

    const PHASED: &[(&str, &str)] = &[
        ("1_a/expand.up.sql", "CREATE TABLE a (id int);\n"),
        ("1_a/expand.down.sql", "DROP TABLE a;\n"),
        ("1_a/contract.up.sql", "ALTER TABLE a DROP COLUMN x;\n"),
        ("1_a/contract.down.sql", "ALTER TABLE a ADD COLUMN x int;\n"),
        ("2_b/expand.up.sql", "CREATE TABLE b (id int);\n"),
        ("2_b/expand.down.sql", "DROP TABLE b;\n"),
    ];

    #[test]
    fn drift_is_refused_with_both_checksums() {
        let (_d, ms) = migrations(PHASED);
        let mut r = row(&ms[0], Phase::Expand, 10);
        r.checksum = "0000".into();
        let e = plan(&ms, &[r], &[], &[], &req(PhaseSel::All), OutOfOrder::Strict).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, RunError::Drift(_)));
        assert!(
            msg.contains("1_a/expand.up.sql: migration 1 (expand) was edited"),
            "{msg}"
        );
        assert!(
            msg.contains("ledger checksum 0000, file checksum "),
            "{msg}"
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn out_of_order_policies() {
        let (_d, ms) = migrations(PHASED);
        let rows = [row(&ms[1], Phase::Expand, 10)];
        let e = plan(
            &ms,
            &rows,
            &[],
            &[],
            &req(PhaseSel::Expand),
            OutOfOrder::Strict,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string().contains(
                "migration 1 is pending but older than the newest applied migration 2 (b)"
            )
        );
        let p = plan(
            &ms,
            &rows,
            &[],
            &[],
            &req(PhaseSel::Expand),
            OutOfOrder::Warn,
        )
        .unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.warnings.len(), 1);
        let p = plan(
            &ms,
            &rows,
            &[],
            &[],
            &req(PhaseSel::Expand),
            OutOfOrder::Allow,
        )
        .unwrap();
        assert!(p.warnings.is_empty());
    }

    /// `migrate plan` into a single-phase layout: the expand migration holds the backfill,
    /// the contract is a later migration of its own and waits for that backfill.
    #[test]
    fn separate_contract_migration_waits_for_the_earlier_backfill() {
        let (_d, ms) = migrations(&[
            ("1_init.up.sql", "CREATE TABLE t (id int, a int);\n"),
            (
                "2_fill.up.sql",
                "-- sluice:phase expand\nALTER TABLE t ADD b int;\n",
            ),
            ("2_fill.backfill.toml", "table = 't'\n"),
            (
                "3_fill_contract.up.sql",
                "-- sluice:phase contract\nALTER TABLE t DROP COLUMN a;\n",
            ),
        ]);
        assert!(ms[1].backfill.is_some() && ms[2].script(Phase::Contract, Direction::Up).is_some());
        let rows = [
            row(&ms[0], Phase::Expand, 100),
            row(&ms[1], Phase::Expand, 100),
        ];
        let fill = |state| BackfillRow {
            version: "2".into(),
            name: "fill".into(),
            checksum: String::new(),
            state,
            last_key: None,
            rows_done: 7,
            batches: 1,
            batch_size: 1000,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            applied_by: "t@h".into(),
            error: None,
        };
        let contract = |fills: &[BackfillRow]| {
            plan(
                &ms,
                &rows,
                &[rollout(150)],
                fills,
                &req(PhaseSel::Contract),
                OutOfOrder::Strict,
            )
            .unwrap()
        };
        let p = contract(&[fill(State::Failed)]);
        assert!(p.items.is_empty());
        assert!(
            p.waiting[0]
                .reason
                .contains("the backfill of 2 fill is not complete"),
            "{}",
            p.waiting[0].reason
        );
        let p = contract(&[]);
        assert!(p.waiting[0].reason.contains("it has not started"));
        let p = contract(&[fill(State::Applied)]);
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].0.version.raw, "3");
    }

    /// The planned contract of a single-phase layout waits for its gate while later
    /// migrations' expands apply: it is not out of order then, only behind a later contract.
    #[test]
    fn separate_contract_migration_is_not_out_of_order_behind_later_expands() {
        let (_d, ms) = migrations(&[
            ("V1__init.sql", "CREATE TABLE t (id int, a int);\n"),
            (
                "V2.1__c.sql",
                "-- sluice:phase contract\nALTER TABLE t DROP COLUMN a;\n",
            ),
            ("V3__later.sql", "CREATE TABLE later (id int);\n"),
        ]);
        let mut rows = vec![
            row(&ms[0], Phase::Expand, 100),
            row(&ms[2], Phase::Expand, 100),
        ];
        let contract = |rows: &[LedgerRow]| {
            let req = req(PhaseSel::Contract);
            plan(&ms, rows, &[rollout(150)], &[], &req, OutOfOrder::Strict)
        };
        let p = contract(&rows).unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].0.version.raw, "2.1");
        // behind a later applied contract it is late
        let mut later = row(&ms[2], Phase::Expand, 120);
        later.phase = Phase::Contract;
        rows.push(later);
        let err = contract(&rows).unwrap_err();
        assert!(
            err.to_string().contains("older than the newest applied"),
            "{err}"
        );
    }

    #[test]
    fn contract_waits_for_expand_and_a_later_rollout() {
        let (_d, ms) = migrations(PHASED);
        // expand not applied: contract waits for it
        let p = plan(
            &ms,
            &[],
            &[],
            &[],
            &req(PhaseSel::Contract),
            OutOfOrder::Strict,
        )
        .unwrap();
        assert!(p.items.is_empty());
        assert!(p.waiting[0].reason.contains("migrate apply --phase expand"));
        let rows = [
            row(&ms[0], Phase::Expand, 100),
            row(&ms[1], Phase::Expand, 100),
        ];
        // a rollout recorded before the expand finished does not count
        let p = plan(
            &ms,
            &rows,
            &[rollout(50)],
            &[],
            &req(PhaseSel::Contract),
            OutOfOrder::Strict,
        )
        .unwrap();
        assert!(p.items.is_empty());
        assert!(
            p.waiting[0]
                .reason
                .contains("migrate rollout complete --release ID")
        );
        let p = plan(
            &ms,
            &rows,
            &[rollout(150)],
            &[],
            &req(PhaseSel::Contract),
            OutOfOrder::Strict,
        )
        .unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].1.phase, Phase::Contract);
        assert!(p.waiting.is_empty());
    }

    #[test]
    fn statements_split_and_transactions_decided() {
        let (_d, ms) = migrations(&[
            (
                "1_a/expand.up.sql",
                "CREATE TABLE a (id int);\n\nCREATE INDEX CONCURRENTLY a_i ON a (id);\n",
            ),
            ("1_a/expand.down.sql", "DROP TABLE a;\n"),
        ]);
        let s = ms[0].script(Phase::Expand, Direction::Up).unwrap();
        let p = prepare(Dialect::Postgres, &ms[0], s).unwrap();
        assert!(!p.transactional);
        assert_eq!(p.statements.len(), 2);
        assert_eq!(p.statements[1].line, 3);
        assert_eq!(p.down_sql.as_deref(), Some("DROP TABLE a;\n"));
        let p = prepare(Dialect::Mysql, &ms[0], s).unwrap();
        assert!(!p.transactional);
    }

    /// crates.io: `migrate rollback --steps 1` rolled back `20170820180453` (2017) instead of
    /// the newest migration, because the dashed diesel versions were dropped from the order.
    #[test]
    fn crates_io_rollback_steps_1_rolls_back_the_newest_diesel_version() {
        let (_d, ms) = migrations(&[
            (
                "20170820180453_readme_rendering_tracking/up.sql",
                "SELECT 1;\n",
            ),
            (
                "20170820180453_readme_rendering_tracking/down.sql",
                "SELECT 1;\n",
            ),
            ("2017-09-23-182408_add_x/up.sql", "SELECT 2;\n"),
            ("2017-09-23-182408_add_x/down.sql", "SELECT 2;\n"),
            (
                "2026-07-30-140000-0000_add_users_username_index/up.sql",
                "SELECT 3;\n",
            ),
            (
                "2026-07-30-140000-0000_add_users_username_index/down.sql",
                "SELECT 3;\n",
            ),
        ]);
        let rows: Vec<LedgerRow> = ms.iter().map(|m| row(m, Phase::Expand, 1)).collect();
        let req = |steps, to: Option<&str>| RollbackRequest {
            steps,
            to: to.map(|t| Version::parse_any(t).unwrap()),
            phase: PhaseSel::All,
            dry_run: false,
        };
        let versions = |r: &RollbackRequest| -> Vec<String> {
            rollback_targets(&rows, r)
                .unwrap()
                .iter()
                .map(|r| r.version.clone())
                .collect()
        };
        assert_eq!(
            versions(&req(Some(1), None)),
            ["2026-07-30-140000-0000"],
            "the newest first"
        );
        assert_eq!(
            versions(&req(None, Some("0"))),
            [
                "2026-07-30-140000-0000",
                "2017-09-23-182408",
                "20170820180453"
            ],
            "all of them, in reverse apply order"
        );
        assert_eq!(
            versions(&req(None, Some("00000000000000"))).len(),
            3,
            "`--to 0` is everything"
        );
        assert_eq!(
            versions(&req(None, Some("20170820180453"))),
            ["2026-07-30-140000-0000", "2017-09-23-182408"]
        );
        // apply sees the same order: nothing is out of order, nothing pending
        let plan = plan(&ms, &rows, &[], &[], &req_all(), OutOfOrder::Strict).unwrap();
        assert!(plan.items.is_empty() && plan.warnings.is_empty());
    }

    #[test]
    fn a_ledger_version_that_cannot_be_ordered_is_an_error_not_skipped() {
        let (_d, ms) = migrations(&[
            ("1_a/up.sql", "SELECT 1;\n"),
            ("1_a/down.sql", "SELECT 1;\n"),
        ]);
        let mut odd = row(&ms[0], Phase::Expand, 2);
        odd.version = "release-2".into();
        let rows = vec![row(&ms[0], Phase::Expand, 1), odd];
        let req = RollbackRequest {
            steps: Some(1),
            to: None,
            phase: PhaseSel::All,
            dry_run: false,
        };
        let e = rollback_targets(&rows, &req).unwrap_err().to_string();
        assert!(e.contains("`release-2`"), "{e}");
        assert!(check_versions(&rows).is_err());
        assert!(plan(&ms, &rows, &[], &[], &req_all(), OutOfOrder::Strict).is_err());
        assert!(status_report(String::new(), true, &ms, &rows, &[], Vec::new()).is_err());
    }

    fn req_all() -> ApplyRequest {
        req(PhaseSel::All)
    }

    /// chirpstack and lemmy: `migrate rollback --to 0` left `00000000000000_initial` applied
    /// (version 0 is not newer than 0), where cli.md says `--to 0` rolls everything back.
    #[test]
    fn rollback_to_0_rolls_back_a_version_0_migration() {
        let (_d, ms) = migrations(&[
            ("00000000000000_initial/up.sql", "SELECT 1;\n"),
            ("00000000000000_initial/down.sql", "SELECT 1;\n"),
            ("2022-01-01-000000_next/up.sql", "SELECT 2;\n"),
            ("2022-01-01-000000_next/down.sql", "SELECT 2;\n"),
        ]);
        let rows: Vec<LedgerRow> = ms.iter().map(|m| row(m, Phase::Expand, 1)).collect();
        let req = RollbackRequest {
            steps: None,
            to: Version::parse("0"),
            phase: PhaseSel::All,
            dry_run: false,
        };
        let got: Vec<&str> = rollback_targets(&rows, &req)
            .unwrap()
            .iter()
            .map(|r| r.version.as_str())
            .collect();
        assert_eq!(got, ["2022-01-01-000000", "00000000000000"]);
    }
}
