//! The runner: the one apply engine behind `migrate apply`, `rollback`, `status`,
//! `baseline`, `repair`, `rollout complete` (and later the HTTP server).
//!
//! Only this module opens database connections. It never prints: it emits `tracing`
//! events and returns values for the caller to render.
//!
//! - `url`: `DATABASE_URL`, dialect from the scheme, redacted `Display`.
//! - `driver`: one connection per `Driver` (PostgreSQL, MySQL/MariaDB over sqlx).
//! - `ledger`: ledger rows and the SQL that writes them.
//! - `plan`: statements of a script; what to apply or roll back (pure).
//! - `lock`: the advisory lock, released on every exit path.
//! - `retry`: jittered back-off on lock timeouts.
//! - `backfill`: `backfill.toml` run in checkpointed key-range batches.
//! - `purge`: soft-dropped objects dropped for real after a retention period.
//! - `snapshot`: the schema read from the catalogs, and a readable diff of two of them.

pub mod backfill;
mod deploy;
pub mod driver;
pub mod facts;
pub mod gates;
pub mod hooks;
pub mod introspect;
pub mod ledger;
pub mod lock;
mod osc;
mod plan;
pub mod purge;
pub mod retry;
mod shadow;
pub mod snapshot;
pub mod strategies;
pub mod url;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::Instrument;

use driver::{Blocker, DbError, Driver};
use facts::RunFacts;
use ledger::{BackfillRow, Event, Ledger, LedgerRow, NewEvent, NewRow, State};
use retry::RetryPolicy;
use sluice_core::source::{Direction, Migration, Phase, Script, Version};
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::TxControl;
use url::DbUrl;

pub use backfill::BackfillDone;
pub use deploy::DeployOutcome;
use gates::{Gate, Verdict};
use hooks::{Hook, HookEvent, HookPoint};
pub use plan::script_checksum;
use plan::{
    Prepared, contract_pending, plan_gated, prepare, prepare_down, resume_point, rollback_targets,
    row_map, status_report,
};

/// Why a runner command did not do what was asked. `exit_code` maps it for the CLI.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Db(String),
    #[error("{message}")]
    LockWait { waited: Duration, message: String },
    /// Applied migrations whose files changed.
    #[error("{0}")]
    Drift(String),
    /// The policy refuses (out of order, irreversible rollback).
    #[error("{0}")]
    Refused(String),
    /// A migration statement failed.
    #[error("{0}")]
    Failed(String),
    /// A script cannot be run (syntax the splitter rejects, unknown version).
    #[error("{0}")]
    Input(String),
    /// A `before-*` hook failed: the phase did not run.
    #[error("{0}")]
    Hook(String),
}

impl RunError {
    pub fn db(e: DbError) -> RunError {
        RunError::Db(e.message)
    }

    /// cli.md: 1 refused, 2 error.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Refused(_) | RunError::Hook(_) => 1,
            _ => 2,
        }
    }
}

fn dry_backfill(m: &Migration, l: &backfill::Loaded) -> BackfillDone {
    BackfillDone {
        version: m.version.raw.clone(),
        name: m.name.clone(),
        table: l.spec.table.clone(),
        rows: 0,
        rows_total: 0,
        batches: 0,
        resumed_at: None,
        duration_ms: 0,
        vacuumed: false,
        stopped: false,
    }
}

/// The index of the `COMMIT` closing the `BEGIN` at `begin`, when the block holds no other
/// transaction control and nothing that cannot run in a transaction block.
fn block_end(p: &Prepared, begin: usize) -> Option<usize> {
    for (k, st) in p.statements.iter().enumerate().skip(begin + 1) {
        match st.tx {
            Some(TxControl::Commit) => return Some(k),
            Some(_) => return None,
            None if st.tool.is_some() || st.shadow.is_some() || st.concurrent_index.is_some() => {
                return None;
            }
            None => {}
        }
    }
    None
}

/// In a failed transactional attempt: the ledger write failed, not a statement.
const LEDGER_STEP: usize = usize::MAX;

/// The advisory lock's name (PostgreSQL hashes it; MySQL qualifies it by database).
const LOCK_NAME: &str = "sluice";

/// `migrations.out_of_order`: what a pending migration older than an applied one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutOfOrder {
    #[default]
    Strict,
    Allow,
    Warn,
}

/// Resolved runner settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub lock_timeout: Duration,
    pub statement_timeout: Option<Duration>,
    pub retry: RetryPolicy,
    /// How long to wait for another runner's lock.
    pub lock_wait: Duration,
    pub out_of_order: OutOfOrder,
    pub ledger_schema: Option<String>,
    pub ledger_table: Option<String>,
    /// `user@host`, stored with every ledger row.
    pub applied_by: String,
    /// A backfill that touched more rows is followed by `VACUUM (ANALYZE)` (PostgreSQL).
    pub large_table_rows: u64,
    /// MySQL/MariaDB replicas whose lag throttles backfills.
    pub replicas: Vec<DbUrl>,
    /// `[run] pt_osc` / `gh_ost`: the tools' binaries (else found on PATH).
    pub pt_osc: Option<std::path::PathBuf>,
    pub gh_ost: Option<std::path::PathBuf>,
    /// `[run] alter_foreign_keys_method`: lets pt-online-schema-change alter a table other
    /// tables reference.
    pub alter_foreign_keys_method: Option<String>,
    /// The contract gate of the chosen environment.
    pub gate: Gate,
    pub hooks: Vec<Hook>,
    /// Shadow-table copy batches are sized toward this duration.
    pub shadow_batch_time: Duration,
    /// pt-online-schema-change's `--chunk-time`: a writer waits at most about one chunk.
    pub osc_chunk_time: Duration,
    /// Pause between shadow-table copy batches.
    pub shadow_pause: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lock_timeout: Duration::from_secs(2),
            statement_timeout: None,
            retry: RetryPolicy::default(),
            lock_wait: Duration::from_secs(300),
            out_of_order: OutOfOrder::Strict,
            ledger_schema: None,
            ledger_table: None,
            applied_by: applied_by(),
            large_table_rows: 100_000,
            replicas: Vec::new(),
            pt_osc: None,
            gh_ost: None,
            alter_foreign_keys_method: None,
            gate: Gate::Recorded,
            hooks: Vec::new(),
            shadow_batch_time: Duration::from_millis(100),
            shadow_pause: Duration::ZERO,
            osc_chunk_time: Duration::from_millis(50),
        }
    }
}

pub use sluice_core::duration::parse_duration;

fn applied_by() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{host}")
}

/// Which phases a command touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PhaseSel {
    Expand,
    Backfill,
    Contract,
    All,
}

impl PhaseSel {
    fn has(self, p: Phase) -> bool {
        match self {
            PhaseSel::All => true,
            PhaseSel::Expand => p == Phase::Expand,
            PhaseSel::Backfill => false,
            PhaseSel::Contract => p == Phase::Contract,
        }
    }

    /// Whether backfills run: `backfill` and `all`, and `expand` unless `--no-backfill`.
    pub fn runs_backfill(self, no_backfill: bool) -> bool {
        match self {
            PhaseSel::Backfill | PhaseSel::All => true,
            PhaseSel::Expand => !no_backfill,
            PhaseSel::Contract => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub phase: PhaseSel,
    pub to: Option<Version>,
    pub release: Option<String>,
    pub dry_run: bool,
    /// `--no-backfill`: `--phase expand` leaves the backfills for later.
    pub no_backfill: bool,
}

/// One migration phase that ran (or would run, in a dry run).
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    pub version: String,
    pub name: String,
    pub phase: Phase,
    pub statements: usize,
    /// Statements skipped because an earlier run had done them.
    pub resumed_from: usize,
    pub transactional: bool,
    pub duration_ms: u128,
}

/// A contract that may not run yet, and what it waits for.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub version: String,
    pub name: String,
    pub phase: Phase,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplyOutcome {
    pub done: Vec<Done>,
    pub backfills: Vec<BackfillDone>,
    pub waiting: Vec<Waiting>,
    pub warnings: Vec<String>,
    /// `--dry-run`: the SQL that would be sent, in order.
    pub sql: Vec<String>,
    /// Asked to stop (`Engine::stopper`): ended after a whole phase, pending ones remain.
    pub stopped: bool,
}

#[derive(Debug, Clone)]
pub struct RollbackRequest {
    pub steps: Option<usize>,
    pub to: Option<Version>,
    pub phase: PhaseSel,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RollbackOutcome {
    pub done: Vec<Done>,
    pub sql: Vec<String>,
}

/// One line of `migrate status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusEntry {
    pub version: String,
    pub name: String,
    pub phase: Phase,
    /// `pending`, `running`, `applied`, `failed`, `rolled_back`.
    pub state: String,
    /// The file changed since it was applied.
    pub drifted: bool,
    /// The ledger has it but no file does.
    pub file_missing: bool,
    pub path: Option<PathBuf>,
    pub file_checksum: Option<String>,
    pub ledger_checksum: Option<String>,
    pub statements_done: Option<i64>,
    pub statements_total: Option<i64>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub release: Option<String>,
    pub applied_by: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StatusReport {
    pub database: String,
    pub ledger_exists: bool,
    pub migrations: Vec<StatusEntry>,
    /// Migrations with a `backfill.toml` (and backfills the ledger has), by version.
    pub backfills: Vec<BackfillStatus>,
    pub events: Vec<Event>,
}

/// One backfill in `migrate status`.
#[derive(Debug, Clone, Serialize)]
pub struct BackfillStatus {
    pub version: String,
    pub name: String,
    /// `pending`, `running`, `applied`, `failed`.
    pub state: String,
    pub path: Option<PathBuf>,
    pub rows_done: i64,
    pub batches: i64,
    pub batch_size: Option<i64>,
    /// The last checkpoint: the key of the last row done, a JSON array.
    pub last_key: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
}

/// What `repair` / `baseline` changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Housekeeping {
    pub changes: Vec<String>,
}

/// `migrate gate check`: the gate's verdict (for the first pending contract, if any).
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    /// Version of the contract judged.
    pub contract: Option<String>,
    pub holds: bool,
    pub verdict: Verdict,
    /// Contracts held back, and why.
    pub waiting: Vec<Waiting>,
}

fn hook_event(p: &Prepared, release: Option<&str>, error: Option<&RunError>) -> HookEvent {
    HookEvent {
        hook: String::new(),
        version: Some(p.version.clone()),
        name: Some(p.name.clone()),
        phase: Some(p.phase.name().to_owned()),
        release: release.map(str::to_owned),
        outcome: Some(if error.is_some() { "failed" } else { "ok" }.to_owned()),
        error: error.map(ToString::to_string),
    }
}

/// The apply engine for one database.
pub struct Engine {
    url: DbUrl,
    db: &'static dyn driver::Database,
    settings: Settings,
    ledger: Ledger,
    progress: Option<ProgressFn>,
    stop: Arc<AtomicBool>,
}

type ProgressFn = Box<dyn Fn(&Progress) + Send + Sync>;

/// What the engine is doing, for a live view (the CLI's on a terminal, the server's later).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Progress {
    /// Another runner holds the migration lock.
    LockWaiting { holder: Option<i64> },
    PhaseStarted {
        version: String,
        name: String,
        phase: Phase,
        statements: usize,
        transactional: bool,
    },
    /// Statement `index` (1-based) is being sent.
    Statement {
        version: String,
        index: usize,
        total: usize,
        line: usize,
    },
    /// A lock timeout; the next attempt follows after `delay_ms`.
    Retrying {
        version: String,
        attempt: u32,
        delay_ms: u64,
    },
    /// A backfill begins (or resumes at `resumed_at`, with `rows_done` done before).
    BackfillStarted {
        version: String,
        name: String,
        table: String,
        estimated_rows: Option<u64>,
        rows_done: u64,
        resumed_at: Option<String>,
    },
    /// A batch committed.
    BackfillBatch {
        version: String,
        /// Over every run of this backfill.
        rows_done: u64,
        /// In this run.
        batches: u64,
        batch_size: u64,
        /// This run's rate.
        rows_per_s: f64,
        estimated_rows: Option<u64>,
    },
    /// A replica lags more than `max_replication_lag`: batches wait.
    BackfillThrottled {
        version: String,
        lag_ms: u64,
        max_ms: u64,
    },
    BackfillFinished {
        version: String,
        rows_done: u64,
        batches: u64,
        duration_ms: u128,
    },
    /// A line of an online schema change tool (pt-online-schema-change, gh-ost), with the
    /// copy's percentage when the line says it.
    Tool {
        version: String,
        tool: String,
        table: String,
        percent: Option<u8>,
        line: String,
    },
}

impl Engine {
    pub fn new(url: DbUrl, settings: Settings) -> Engine {
        let db = driver::database(url.dialect());
        let ledger = Ledger::new(
            db,
            settings.ledger_schema.clone(),
            settings.ledger_table.clone(),
        );
        Engine {
            url,
            db,
            settings,
            ledger,
            progress: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Set it to make a running apply stop at the next safe point: between phases, never
    /// inside one (a phase's DDL always runs to its end).
    pub fn stopper(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Call `f` with every [`Progress`] event.
    pub fn with_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Engine {
        self.progress = Some(Box::new(f));
        self
    }

    fn progress(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The URL and settings, to build another engine (the server's) from them.
    pub fn into_parts(self) -> (DbUrl, Settings) {
        (self.url, self.settings)
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    async fn connect(&self) -> Result<Box<dyn Driver>, RunError> {
        let conn = driver::connect(&self.url).await.map_err(RunError::db)?;
        tracing::debug!(db = %self.url, session = conn.session_id(), "connected");
        Ok(conn)
    }

    /// A connection with the runner's session settings.
    async fn connect_runner(&self) -> Result<Box<dyn Driver>, RunError> {
        let mut conn = self.connect().await?;
        for s in self.session_settings() {
            conn.exec(&s).await.map_err(RunError::db)?;
        }
        Ok(conn)
    }

    fn session_settings(&self) -> Vec<String> {
        self.db
            .session_settings(self.settings.lock_timeout, self.settings.statement_timeout)
    }

    async fn ensure_ledger(&self, conn: &mut Box<dyn Driver>) -> Result<(), RunError> {
        if conn
            .ledger_exists(&self.ledger)
            .await
            .map_err(RunError::db)?
        {
            // ledgers created before backfills existed get their table now
            if self.read_backfills(conn).await?.is_none() {
                tracing::info!(table = %self.ledger.backfills(), "creating the backfill ledger");
                conn.exec(&self.ledger.create_backfill_sql())
                    .await
                    .map_err(|e| {
                        RunError::Db(format!(
                            "cannot create the ledger {}: {e}",
                            self.ledger.backfills()
                        ))
                    })?;
            }
            return Ok(());
        }
        tracing::info!(table = %self.ledger.history(), "creating the ledger");
        for s in self.ledger.create_sql() {
            conn.exec(&s).await.map_err(|e| {
                RunError::Db(format!(
                    "cannot create the ledger {}: {e}",
                    self.ledger.history()
                ))
            })?;
        }
        Ok(())
    }

    /// The backfill ledger; `None` when its table does not exist.
    async fn read_backfills(
        &self,
        conn: &mut Box<dyn Driver>,
    ) -> Result<Option<Vec<BackfillRow>>, RunError> {
        conn.read_backfills(&self.ledger).await.map_err(|e| {
            RunError::Db(format!(
                "cannot read the ledger {}: {e}",
                self.ledger.backfills()
            ))
        })
    }

    async fn read_ledger(
        &self,
        conn: &mut Box<dyn Driver>,
    ) -> Result<(bool, Vec<LedgerRow>, Vec<Event>), RunError> {
        if !conn
            .ledger_exists(&self.ledger)
            .await
            .map_err(RunError::db)?
        {
            return Ok((false, Vec::new(), Vec::new()));
        }
        let rows = conn.read_rows(&self.ledger).await.map_err(|e| {
            RunError::Db(format!(
                "cannot read the ledger {}: {e}",
                self.ledger.history()
            ))
        })?;
        let events = conn.read_events(&self.ledger).await.map_err(|e| {
            RunError::Db(format!(
                "cannot read the ledger {}: {e}",
                self.ledger.events()
            ))
        })?;
        plan::check_versions(&rows)?;
        Ok((true, rows, events))
    }

    /// Apply pending migration phases in order.
    pub async fn apply(
        &self,
        migrations: &[Migration],
        req: &ApplyRequest,
    ) -> Result<ApplyOutcome, RunError> {
        if req.dry_run {
            return self.apply_dry_run(migrations, req).await;
        }
        let mut main = self.connect_runner().await?;
        let mut lock_conn = self.connect().await?;
        let notify = |holder| self.progress(Progress::LockWaiting { holder });
        let result = lock::with_lock_notify(
            &mut lock_conn,
            LOCK_NAME,
            self.settings.lock_wait,
            &notify,
            async |mon: &mut Box<dyn Driver>| {
                self.ensure_ledger(&mut main).await?;
                let (_, rows, events) = self.read_ledger(&mut main).await?;
                let fills = self.read_backfills(&mut main).await?.unwrap_or_default();
                let gate = self.external_gates(migrations, &rows, req).await;
                let plan = match plan_gated(
                    migrations,
                    &rows,
                    &events,
                    &fills,
                    req,
                    self.settings.out_of_order,
                    &gate,
                ) {
                    Ok(p) => p,
                    Err(e) => {
                        if let RunError::Drift(msg) = &e {
                            // the refusal is part of the history `repair` resolves
                            let _ = self
                                .event(
                                    &mut main,
                                    ledger::EVENT_DRIFT_REFUSED,
                                    None,
                                    None,
                                    req.release.as_deref(),
                                    msg,
                                )
                                .await;
                        }
                        return Err(e);
                    }
                };
                let mut out = ApplyOutcome {
                    waiting: plan.waiting,
                    warnings: plan.warnings,
                    ..ApplyOutcome::default()
                };
                let by_key = row_map(&rows)?;
                // every file is checked before anything runs
                let mut loaded = Vec::new();
                for m in &plan.backfills {
                    if let Some(l) = backfill::load(m)? {
                        loaded.push((*m, l));
                    }
                }
                let mut reported = std::collections::BTreeSet::new();
                let mut facts = RunFacts::new();
                let (expands, contracts): (Vec<_>, Vec<_>) = plan
                    .items
                    .into_iter()
                    .partition(|(_, s)| s.phase == Phase::Expand);
                let release = req.release.as_deref();
                for (m, s) in expands {
                    if self.stop_requested(&mut out) {
                        return Ok(out);
                    }
                    self.report_long_transactions(mon, &mut reported).await;
                    let prior = by_key.get(&(m.version.clone(), s.phase)).copied();
                    out.done.push(
                        self.run_phase(&mut main, mon, &mut facts, m, s, prior, release)
                            .await?,
                    );
                }
                // expand, backfill, contract: a contract never runs before its backfill ends
                for (m, l) in &loaded {
                    if self.stop_requested(&mut out) {
                        return Ok(out);
                    }
                    let prior = fills.iter().find(|r| r.version == m.version.raw);
                    let ev = HookEvent {
                        version: Some(m.version.raw.clone()),
                        name: Some(m.name.clone()),
                        phase: Some("backfill".into()),
                        release: release.map(str::to_owned),
                        ..HookEvent::default()
                    };
                    let b = match self.run_backfill(&mut main, mon, m, l, prior).await {
                        Ok(b) => b,
                        Err(e) => {
                            let ev = HookEvent {
                                outcome: Some("failed".into()),
                                error: Some(e.to_string()),
                                ..ev
                            };
                            let _ =
                                hooks::fire(&self.settings.hooks, HookPoint::OnFailure, &ev).await;
                            return Err(e);
                        }
                    };
                    let stopped = b.stopped;
                    out.backfills.push(b);
                    if stopped {
                        out.stopped = true;
                        return Ok(out);
                    }
                    let ev = HookEvent {
                        outcome: Some("ok".into()),
                        ..ev
                    };
                    let _ = hooks::fire(&self.settings.hooks, HookPoint::AfterBackfill, &ev).await;
                }
                for (m, s) in contracts {
                    if self.stop_requested(&mut out) {
                        return Ok(out);
                    }
                    self.report_long_transactions(mon, &mut reported).await;
                    if self.url.dialect() == Dialect::Mysql {
                        // the gate holds: table copies the expand kept in sync swap in now
                        self.osc_swaps(&mut main, &m.version.raw).await?;
                    }
                    let prior = by_key.get(&(m.version.clone(), s.phase)).copied();
                    out.done.push(
                        self.run_phase(&mut main, mon, &mut facts, m, s, prior, release)
                            .await?,
                    );
                }
                Ok(out)
            },
        )
        .await;
        let _ = main.close().await;
        let _ = lock_conn.close().await;
        result
    }

    /// `Engine::stopper` was set: note it in `out` (the caller returns before the next phase).
    fn stop_requested(&self, out: &mut ApplyOutcome) -> bool {
        if self.stop.load(Ordering::SeqCst) {
            tracing::warn!("asked to stop: leaving the remaining phases pending");
            out.stopped = true;
        }
        out.stopped
    }

    /// One phase with its hooks: `before-<phase>` (may stop it), then the phase, then
    /// `after-<phase>` or `on-failure`.
    #[allow(clippy::too_many_arguments)] // folded into the executor's context next
    async fn run_phase(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        facts: &mut RunFacts,
        m: &Migration,
        s: &Script,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<Done, RunError> {
        let p = self.prepare_online(main, facts, m, s).await?;
        self.before_hooks(main, &p, prior, release).await?;
        match self.run_up(main, mon, &p, prior, release).await {
            Ok(d) => {
                facts.note_created(plan::created_tables(self.url.dialect(), &p));
                let ev = hook_event(&p, release, None);
                let _ = hooks::fire(&self.settings.hooks, HookPoint::after(p.phase), &ev).await;
                Ok(d)
            }
            Err(e) => {
                let ev = hook_event(&p, release, Some(&e));
                let _ = hooks::fire(&self.settings.hooks, HookPoint::OnFailure, &ev).await;
                Err(e)
            }
        }
    }

    /// The verdict of the gates outside the ledger, asked only when a contract is pending.
    async fn external_gates(
        &self,
        migrations: &[Migration],
        rows: &[LedgerRow],
        req: &ApplyRequest,
    ) -> Verdict {
        if contract_pending(migrations, rows, req) {
            gates::evaluate(&self.settings.gate).await
        } else {
            Verdict::recorded_placeholder()
        }
    }

    /// Run the `before-<phase>` hooks; when one fails, record why (an event and the phase's
    /// error, so `migrate status` shows it) and stop.
    async fn before_hooks(
        &self,
        main: &mut Box<dyn Driver>,
        p: &Prepared,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<(), RunError> {
        let point = HookPoint::before(p.phase);
        let ev = HookEvent {
            outcome: None,
            ..hook_event(p, release, None)
        };
        let Err(why) = hooks::fire(&self.settings.hooks, point, &ev).await else {
            return Ok(());
        };
        let msg = format!("{} did not run: {why}", p.label());
        tracing::warn!("{msg}");
        let _ = self
            .event(
                main,
                ledger::EVENT_HOOK_FAILED,
                Some(&p.version),
                Some(p.phase),
                release,
                &msg,
            )
            .await;
        // keep the statements an earlier interrupted run recorded
        let done = match prior {
            Some(r) if matches!(r.state, State::Failed | State::Running) => {
                usize::try_from(r.statements_done).unwrap_or(0)
            }
            _ => {
                let _ = self
                    .write_row(main, &self.new_row(p, State::Failed, 0, release))
                    .await;
                0
            }
        };
        let _ = main
            .exec(&self.ledger.fail_sql(&p.version, p.phase, done, &msg))
            .await;
        Err(RunError::Hook(msg))
    }

    /// The gate's verdict for the first pending contract (what `migrate gate check` shows).
    pub async fn gate_check(&self, migrations: &[Migration]) -> Result<GateReport, RunError> {
        let (rows, events, fills) = if self.settings.gate.has_recorded() {
            let mut conn = self.connect().await?;
            let r = async {
                let (exists, rows, events) = self.read_ledger(&mut conn).await?;
                let fills = if exists {
                    self.read_backfills(&mut conn).await?.unwrap_or_default()
                } else {
                    Vec::new()
                };
                Ok::<_, RunError>((rows, events, fills))
            }
            .await;
            let _ = conn.close().await;
            r?
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let req = ApplyRequest {
            phase: PhaseSel::Contract,
            to: None,
            release: None,
            dry_run: true,
            no_backfill: false,
        };
        let external = gates::evaluate(&self.settings.gate).await;
        let plan = plan_gated(
            migrations,
            &rows,
            &events,
            &fills,
            &req,
            self.settings.out_of_order,
            &external,
        )?;
        if let Some((version, v)) = plan.verdicts.first() {
            return Ok(GateReport {
                contract: Some(version.clone()),
                holds: v.holds,
                verdict: v.clone(),
                waiting: plan.waiting,
            });
        }
        // no contract to judge: the gate as of the newest applied expand
        let newest_expand = rows
            .iter()
            .filter(|r| r.phase == Phase::Expand && r.state == State::Applied)
            .filter_map(|r| r.finished_at)
            .max();
        let v = external.with_recorded(&gates::recorded(newest_expand, &events));
        Ok(GateReport {
            contract: None,
            holds: v.holds,
            verdict: v,
            waiting: plan.waiting,
        })
    }

    /// Prepare an up script and rewrite its statements by their online strategies, with
    /// the facts (row estimates, server version, pg_repack) read from `conn`.
    async fn prepare_online(
        &self,
        conn: &mut Box<dyn Driver>,
        facts: &mut RunFacts,
        m: &Migration,
        s: &Script,
    ) -> Result<Prepared, RunError> {
        let mut p = prepare(self.url.dialect(), m, s)?;
        // a table copy in an expand whose migration has a contract: swapped in at that contract
        let defer_swap = s.phase == Phase::Expand
            && s.phased
            && m.script(Phase::Contract, Direction::Up).is_some();
        let facts = facts
            .for_strategies(conn.as_mut(), &self.settings, &p, defer_swap)
            .await;
        plan::apply_strategies(self.url.dialect(), &mut p, &facts)?;
        for (line, c) in &p.choices {
            tracing::info!(
                version = %p.version,
                phase = p.phase.name(),
                line,
                strategy = c.strategy.name(),
                forced = c.forced,
                reason = %c.reason,
                "strategy"
            );
        }
        Ok(p)
    }

    /// Run pg_repack for one table; the password goes in `PGPASSWORD`, and its output is
    /// scrubbed of it before it reaches a message.
    async fn run_repack(&self, r: &strategies::repack::Repack) -> Result<(), DbError> {
        let conn = self.url.tool_conn();
        let mut cmd = tokio::process::Command::new(&r.bin);
        cmd.args(r.args(&conn))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        match &conn.password {
            Some(pw) => cmd.env("PGPASSWORD", pw),
            None => cmd.env_remove("PGPASSWORD"),
        };
        tracing::info!(table = %r.table, "pg_repack: rebuilding online");
        let out = cmd
            .output()
            .await
            .map_err(|e| DbError::other(format!("cannot run {}: {e}", r.bin.display())))?;
        if out.status.success() {
            return Ok(());
        }
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Err(DbError::other(format!(
            "pg_repack of {} failed ({}): {}",
            r.table,
            out.status,
            self.url.scrub(text.trim())
        )))
    }

    /// Before each phase, warn (once per session) about transactions open longer than
    /// lock_timeout: they can block its DDL and make CONCURRENTLY wait.
    async fn report_long_transactions(
        &self,
        mon: &mut Box<dyn Driver>,
        reported: &mut std::collections::BTreeSet<i64>,
    ) {
        let age = self.settings.lock_timeout.max(Duration::from_secs(1));
        if let Ok(list) = mon.long_transactions(age).await {
            for b in list {
                if reported.insert(b.pid) {
                    tracing::warn!(session = %b, "an open transaction may block this migration");
                }
            }
        }
    }

    async fn apply_dry_run(
        &self,
        migrations: &[Migration],
        req: &ApplyRequest,
    ) -> Result<ApplyOutcome, RunError> {
        let mut conn = self.connect().await?;
        let (exists, rows, events) = self.read_ledger(&mut conn).await?;
        let fills_table = if exists {
            self.read_backfills(&mut conn).await?
        } else {
            None
        };
        let _ = conn.close().await;
        let fills_missing = exists && fills_table.is_none();
        let fills = fills_table.unwrap_or_default();
        let gate = self.external_gates(migrations, &rows, req).await;
        let plan = plan_gated(
            migrations,
            &rows,
            &events,
            &fills,
            req,
            self.settings.out_of_order,
            &gate,
        )?;
        let mut loaded = Vec::new();
        for m in &plan.backfills {
            if let Some(l) = backfill::load(m)? {
                loaded.push((*m, l));
            }
        }
        let by_key = row_map(&rows)?;
        let mut sql = vec![format!(
            "-- on a separate connection, polled until it returns true: {}",
            self.db.try_lock_sql(LOCK_NAME)
        )];
        sql.extend(self.session_settings());
        if !exists {
            sql.extend(self.ledger.create_sql());
        } else if fills_missing {
            sql.push(self.ledger.create_backfill_sql());
        }
        let mut done = Vec::new();
        let mut backfills = Vec::new();
        let (expands, contracts): (Vec<_>, Vec<_>) = plan
            .items
            .into_iter()
            .partition(|(_, s)| s.phase == Phase::Expand);
        let mut facts_conn = self.connect().await?;
        let mut facts = RunFacts::new();
        let mut fills_pending = Some(loaded);
        for (m, s) in expands.into_iter().chain(contracts) {
            if s.phase == Phase::Contract
                && let Some(loaded) = fills_pending.take()
            {
                for (bm, l) in &loaded {
                    let prior = fills.iter().find(|r| r.version == bm.version.raw);
                    self.backfill_dry_sql(bm, l, prior, &mut sql);
                    backfills.push(dry_backfill(bm, l));
                }
            }
            let p = self
                .prepare_online(&mut facts_conn, &mut facts, m, s)
                .await?;
            let prior = by_key.get(&(m.version.clone(), s.phase)).copied();
            let start = resume_point(&p, prior);
            sql.push(format!("-- {}: {}", p.label(), p.path.display()));
            for (line, c) in &p.choices {
                sql.push(format!(
                    "-- line {line}: strategy {}{}: {}",
                    c.strategy.name(),
                    if c.forced { " (forced)" } else { "" },
                    c.reason
                ));
            }
            let row = self.new_row(&p, State::Running, start, req.release.as_deref());
            if p.transactional {
                sql.push("BEGIN".into());
                sql.extend(self.ledger.replace_row_sql(&row));
                sql.extend(p.statements.iter().map(|s| s.sql.clone()));
                sql.push(
                    self.ledger
                        .finish_sql(&p.version, p.phase, p.statements.len(), 0),
                );
                sql.push("COMMIT".into());
            } else {
                sql.push("BEGIN".into());
                sql.extend(self.ledger.replace_row_sql(&row));
                sql.push("COMMIT".into());
                for (i, st) in p.statements.iter().enumerate().skip(start) {
                    sql.push(st.sql.clone());
                    sql.push(self.ledger.progress_sql(&p.version, p.phase, i + 1));
                }
                sql.push(
                    self.ledger
                        .finish_sql(&p.version, p.phase, p.statements.len(), 0),
                );
            }
            done.push(Done {
                version: p.version.clone(),
                name: p.name.clone(),
                phase: p.phase,
                statements: p.statements.len() - start.min(p.statements.len()),
                resumed_from: start,
                transactional: p.transactional,
                duration_ms: 0,
            });
        }
        for (bm, l) in fills_pending.into_iter().flatten() {
            let prior = fills.iter().find(|r| r.version == bm.version.raw);
            self.backfill_dry_sql(bm, &l, prior, &mut sql);
            backfills.push(dry_backfill(bm, &l));
        }
        Ok(ApplyOutcome {
            done,
            backfills,
            waiting: plan.waiting,
            warnings: plan.warnings,
            sql,
            stopped: false,
        })
    }

    fn new_row<'a>(
        &'a self,
        p: &'a Prepared,
        state: State,
        done: usize,
        release: Option<&'a str>,
    ) -> NewRow<'a> {
        NewRow {
            version: &p.version,
            phase: p.phase,
            name: &p.name,
            checksum: &p.checksum,
            state,
            statements_done: done,
            statements_total: p.statements.len(),
            down_sql: p.down_sql.as_deref(),
            release,
            applied_by: &self.settings.applied_by,
        }
    }

    /// Write a ledger row in a short transaction of its own.
    async fn write_row(&self, conn: &mut Box<dyn Driver>, row: &NewRow<'_>) -> Result<(), DbError> {
        conn.begin().await?;
        for s in self.ledger.replace_row_sql(row) {
            if let Err(e) = conn.exec(&s).await {
                let _ = conn.rollback().await;
                return Err(e);
            }
        }
        conn.commit().await
    }

    /// Run one statement; when it is still running after most of `lock_timeout`, ask the
    /// monitor connection who blocks it (only useful if it then times out).
    async fn exec_probed(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        sql: &str,
    ) -> (Result<(), DbError>, Vec<Blocker>) {
        let session = main.session_id();
        let probe_after = self.settings.lock_timeout.mul_f64(0.75);
        let mut fut = main.exec(sql);
        tokio::select! {
            r = &mut fut => return (r, Vec::new()),
            () = tokio::time::sleep(probe_after) => {}
        }
        let blockers = mon.blockers(session).await.unwrap_or_default();
        (fut.await, blockers)
    }

    /// One statement outside a transaction, retried on lock timeouts with back-off.
    async fn exec_retrying(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        p: &Prepared,
        index: usize,
    ) -> Result<(), (DbError, Vec<Blocker>)> {
        let st = &p.statements[index];
        if let Some(tool) = &st.tool {
            let r = match tool {
                strategies::Tool::Repack(r) => self.run_repack(r).await,
                strategies::Tool::PtOsc(o) => self.run_pt_osc(&p.version, o).await,
                strategies::Tool::GhOst(g) => self.run_gh_ost(&p.version, g).await,
            };
            return r.map_err(|e| (e, Vec::new()));
        }
        if let Some(sh) = &st.shadow {
            return self.run_shadow(main, mon, p, index, sh).await;
        }
        let mut attempt = 0;
        loop {
            if let Some((schema, name)) = &st.concurrent_index {
                self.drop_invalid_index(main, schema.as_deref(), name)
                    .await
                    .map_err(|e| (e, Vec::new()))?;
            }
            let (r, blockers) = self.exec_probed(main, mon, &st.sql).await;
            match r {
                Ok(()) => return Ok(()),
                Err(e) if self.db.is_lock_timeout(&e) && attempt < self.settings.retry.retries => {
                    attempt += 1;
                    self.back_off(p, attempt, &e, "retrying").await;
                }
                Err(mut e) => {
                    // a failed CONCURRENTLY build leaves an INVALID index that slows every
                    // write: drop it now rather than on the next run
                    if let Some((schema, name)) = &st.concurrent_index {
                        match self.drop_invalid_index(main, schema.as_deref(), name).await {
                            Ok(true) => {
                                e.message.push_str(&format!(
                                    "; the INVALID index {name} the failed build left was dropped"
                                ));
                            }
                            Ok(false) => {}
                            Err(d) => {
                                e.message.push_str(&format!(
                                    "; the INVALID index {name} it left could not be dropped ({d}): drop it with DROP INDEX CONCURRENTLY"
                                ));
                            }
                        }
                    }
                    return Err((e, blockers));
                }
            }
        }
    }

    /// Drop an INVALID index left by a failed `CREATE INDEX CONCURRENTLY` (this run's
    /// earlier attempt or an earlier run): with `IF NOT EXISTS` the retry would otherwise
    /// skip it and record a useless index as applied; without, it would fail.
    async fn drop_invalid_index(
        &self,
        main: &mut Box<dyn Driver>,
        schema: Option<&str>,
        name: &str,
    ) -> Result<bool, DbError> {
        let qualified = match schema {
            Some(s) => format!("{}.{}", self.ledger.ident(s), self.ledger.ident(name)),
            None => self.ledger.ident(name),
        };
        if main.invalid_index(&qualified).await? {
            tracing::warn!(index = %qualified, "dropping the INVALID index a failed CREATE INDEX CONCURRENTLY left, before building it again");
            main.exec(&format!("DROP INDEX CONCURRENTLY IF EXISTS {qualified}"))
                .await?;
            return Ok(true);
        }
        Ok(false)
    }

    fn statement_progress(&self, p: &Prepared, i: usize) {
        self.progress(Progress::Statement {
            version: p.version.clone(),
            index: i + 1,
            total: p.statements.len(),
            line: p.statements[i].line,
        });
    }

    fn lock_give_up(&self, p: &Prepared, i: usize, e: &DbError, blockers: &[Blocker]) -> RunError {
        let line = p.statements.get(i).map_or(0, |s| s.line);
        let who = if blockers.is_empty() {
            "no blocking session was seen (it may have finished)".to_owned()
        } else {
            format!(
                "blocked by: {}",
                blockers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        RunError::Failed(format!(
            "{}:{}: statement {} of {} in {} could not take its lock within lock_timeout {} after {} attempts ({e}); {who}; end or wait for those sessions, then run the command again",
            p.path.display(),
            line,
            i + 1,
            p.statements.len(),
            p.label(),
            humantime::format_duration(self.settings.lock_timeout),
            self.settings.retry.retries + 1,
        ))
    }

    async fn run_up(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        p: &Prepared,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<Done, RunError> {
        let span = tracing::info_span!("apply", version = %p.version, phase = p.phase.name());
        self.run_up_in_span(main, mon, p, prior, release)
            .instrument(span)
            .await
    }

    async fn run_up_in_span(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        p: &Prepared,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<Done, RunError> {
        self.progress(Progress::PhaseStarted {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: p.statements.len(),
            transactional: p.transactional,
        });
        let started = Instant::now();
        let total = p.statements.len();
        if p.transactional {
            let mut attempt = 0;
            loop {
                match self.try_transactional(main, mon, p, release).await {
                    Ok(()) => break,
                    Err((i, e, blockers)) => {
                        let _ = main.rollback().await;
                        if self.db.is_lock_timeout(&e) && attempt < self.settings.retry.retries {
                            attempt += 1;
                            self.back_off(p, attempt, &e, "retrying the migration's transaction")
                                .await;
                            continue;
                        }
                        let err = if i == LEDGER_STEP {
                            RunError::Db(format!(
                                "{}: cannot write the ledger {}: {e}; nothing of this migration phase remains",
                                p.label(),
                                self.ledger.history()
                            ))
                        } else if self.db.is_lock_timeout(&e) {
                            self.lock_give_up(p, i, &e, &blockers)
                        } else {
                            self.statement_failed(p, i, i, &e, true)
                        };
                        let row = self.new_row(p, State::Failed, 0, release);
                        let _ = self.write_row(main, &row).await;
                        let _ = main
                            .exec(
                                &self
                                    .ledger
                                    .fail_sql(&p.version, p.phase, 0, &err.to_string()),
                            )
                            .await;
                        return Err(err);
                    }
                }
            }
            let ms = started.elapsed().as_millis();
            tracing::info!(statements = total, duration_ms = ms as u64, "applied");
            return Ok(Done {
                version: p.version.clone(),
                name: p.name.clone(),
                phase: p.phase,
                statements: total,
                resumed_from: 0,
                transactional: true,
                duration_ms: ms,
            });
        }

        let start = resume_point(p, prior);
        if start > 0
            && let Some(r) = prior
            && usize::try_from(r.statements_total).ok() != Some(total)
        {
            // the online strategy choices differ from the interrupted run's (a table grew
            // past large_table_rows, pg_repack appeared): resuming by index would misstep
            return Err(RunError::Input(format!(
                "{}: the interrupted run had {} statements and this one has {total} (online strategy choices changed since); pin them with `-- sluice:strategy <name>` above the statements, or finish by hand and `migrate repair --version {}`",
                p.label(),
                r.statements_total,
                p.version
            )));
        }
        if start > 0 {
            tracing::warn!(
                resume_from = start + 1,
                "continuing a failed or interrupted run after the statements it completed"
            );
        }
        self.write_row(main, &self.new_row(p, State::Running, start, release))
            .await
            .map_err(|e| RunError::Db(format!("cannot write the ledger: {e}")))?;
        // an explicit BEGIN .. COMMIT of the file (the planner's swaps) is retried whole: a
        // lock timeout inside it aborts the transaction, so it restarts from its BEGIN
        let mut block: Option<usize> = None;
        let mut block_attempt = 0;
        // inside MySQL `LOCK TABLES` .. `UNLOCK TABLES`: the ledger (not locked) cannot be
        // written, so the block's progress is recorded at its UNLOCK
        let mut tables_locked = false;
        let mut i = start;
        while i < total {
            // a BEGIN .. COMMIT block of the file goes in one round trip where the server
            // takes one (PostgreSQL), its progress write inside, so its locks are held for
            // the server's work only
            if self.db.multi_statement_round_trip()
                && p.statements[i].tx == Some(TxControl::Begin)
                && let Some(end) = block_end(p, i)
            {
                self.run_block(main, mon, p, i, end).await?;
                i = end + 1;
                continue;
            }
            self.statement_progress(p, i);
            let st = &p.statements[i];
            let opens = st.tx == Some(TxControl::Begin) || st.table_lock == Some(true);
            if opens {
                block = Some(i);
                tables_locked = st.table_lock == Some(true);
            }
            let result = if block.is_some() && !opens {
                // inside the block: one attempt; the whole block is the retry unit
                let (r, blockers) = self.exec_probed(main, mon, &st.sql).await;
                r.map_err(|e| (e, blockers))
            } else {
                self.exec_retrying(main, mon, p, i).await
            };
            if let Err((e, blockers)) = result {
                let failed_at = i;
                if let Some(b) = block.take() {
                    let undo = if tables_locked {
                        "UNLOCK TABLES"
                    } else {
                        "ROLLBACK"
                    };
                    tables_locked = false;
                    let _ = main.exec(undo).await;
                    if self.db.is_lock_timeout(&e) && block_attempt < self.settings.retry.retries {
                        block_attempt += 1;
                        self.back_off(
                            p,
                            block_attempt,
                            &e,
                            "retrying the transaction block from its BEGIN",
                        )
                        .await;
                        i = b;
                        continue;
                    }
                    // the block rolled back: it counts as not started
                    i = b;
                }
                let err = if self.db.is_lock_timeout(&e) {
                    self.lock_give_up(p, failed_at, &e, &blockers)
                } else {
                    self.statement_failed(p, failed_at, i, &e, false)
                };
                let _ = main
                    .exec(
                        &self
                            .ledger
                            .fail_sql(&p.version, p.phase, i, &err.to_string()),
                    )
                    .await;
                return Err(err);
            }
            if matches!(st.tx, Some(TxControl::Commit | TxControl::Rollback))
                || st.table_lock == Some(false)
            {
                block = None;
                block_attempt = 0;
                tables_locked = false;
            }
            if tables_locked {
                i += 1;
                continue;
            }
            main.exec(&self.ledger.progress_sql(&p.version, p.phase, i + 1))
                .await
                .map_err(|e| RunError::Db(format!("cannot write the ledger: {e}")))?;
            i += 1;
        }
        let ms = started.elapsed().as_millis();
        main.exec(&self.ledger.finish_sql(&p.version, p.phase, total, ms))
            .await
            .map_err(|e| RunError::Db(format!("cannot write the ledger: {e}")))?;
        tracing::info!(
            statements = total - start,
            duration_ms = ms as u64,
            "applied"
        );
        Ok(Done {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: total - start,
            resumed_from: start,
            transactional: false,
            duration_ms: ms,
        })
    }

    /// One attempt at a transactional phase: ledger row, statements, `applied`, commit.
    /// On error: the failing statement's index, the error, and who blocked it.
    async fn try_transactional(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        p: &Prepared,
        release: Option<&str>,
    ) -> Result<(), (usize, DbError, Vec<Blocker>)> {
        let ledger_err = |e: DbError| (LEDGER_STEP, e, Vec::new());
        let started = Instant::now();
        // PostgreSQL only (transactional phases are), whose simple protocol takes several
        // statements in one message: the ledger costs two round trips per phase
        let mut head = vec!["BEGIN".to_owned()];
        head.extend(
            self.ledger
                .replace_row_sql(&self.new_row(p, State::Running, 0, release)),
        );
        main.exec(&head.join(";\n")).await.map_err(ledger_err)?;
        for (i, st) in p.statements.iter().enumerate() {
            self.statement_progress(p, i);
            let (r, blockers) = self.exec_probed(main, mon, &st.sql).await;
            r.map_err(|e| (i, e, blockers))?;
        }
        let ms = started.elapsed().as_millis();
        let tail = format!(
            "{};\nCOMMIT",
            self.ledger
                .finish_sql(&p.version, p.phase, p.statements.len(), ms)
        );
        main.exec(&tail).await.map_err(ledger_err)
    }

    /// Back off before retry `attempt` after a lock timeout: log what is retried, report
    /// it to the live view, sleep the jittered delay.
    async fn back_off(&self, p: &Prepared, attempt: u32, e: &DbError, what: &str) {
        let d = self.settings.retry.delay(attempt);
        tracing::warn!(version = %p.version, attempt, delay_ms = d.as_millis() as u64, error = %e, "lock timeout; {what}");
        self.progress(Progress::Retrying {
            version: p.version.clone(),
            attempt,
            delay_ms: d.as_millis() as u64,
        });
        tokio::time::sleep(d).await;
    }

    /// Run statements `begin..=end` (a `BEGIN` .. `COMMIT` block of the file) as one
    /// multi-statement query with the ledger's progress inside the transaction; on a lock
    /// timeout it rolls back and the whole block is retried with back-off.
    async fn run_block(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        p: &Prepared,
        begin: usize,
        end: usize,
    ) -> Result<(), RunError> {
        let mut sql = String::new();
        for st in &p.statements[begin..end] {
            sql.push_str(st.sql.trim_end().trim_end_matches(';'));
            sql.push_str(";\n");
        }
        sql.push_str(&self.ledger.progress_sql(&p.version, p.phase, end + 1));
        sql.push_str(";\nCOMMIT");
        let mut attempt = 0;
        loop {
            for k in begin..=end {
                self.statement_progress(p, k);
            }
            let (r, blockers) = self.exec_probed(main, mon, &sql).await;
            let Err(e) = r else {
                return Ok(());
            };
            let _ = main.exec("ROLLBACK").await;
            if self.db.is_lock_timeout(&e) && attempt < self.settings.retry.retries {
                attempt += 1;
                self.back_off(
                    p,
                    attempt,
                    &e,
                    "retrying the transaction block from its BEGIN",
                )
                .await;
                continue;
            }
            let err = if self.db.is_lock_timeout(&e) {
                self.lock_give_up(p, begin + 1, &e, &blockers)
            } else {
                RunError::Failed(format!(
                    "{}:{}-{}: the transaction block (statements {}-{} of {} in {}) failed and was rolled back: {e}; {}",
                    p.path.display(),
                    p.statements[begin].line,
                    p.statements[end].line,
                    begin + 1,
                    end + 1,
                    p.statements.len(),
                    p.label(),
                    if begin == 0 {
                        "no statement of it ran; fix the file and re-run `migrate apply`".to_owned()
                    } else {
                        format!(
                            "statements 1-{begin} ran and are recorded in the ledger; fix the file and re-run `migrate apply` (it continues at statement {})",
                            begin + 1
                        )
                    }
                ))
            };
            let _ = main
                .exec(
                    &self
                        .ledger
                        .fail_sql(&p.version, p.phase, begin, &err.to_string()),
                )
                .await;
            return Err(err);
        }
    }

    /// `i` failed; `done` statements before it are applied (fewer when a transaction block
    /// of the file rolled back).
    fn statement_failed(
        &self,
        p: &Prepared,
        i: usize,
        done: usize,
        e: &DbError,
        transactional: bool,
    ) -> RunError {
        let st = &p.statements[i];
        let what = if transactional {
            "the transaction was rolled back: nothing of this migration phase remains".to_owned()
        } else if done == 0 {
            "no statement of it ran; fix the file and re-run `migrate apply`".to_owned()
        } else {
            format!(
                "statements 1-{done} ran and are recorded in the ledger; fix the file and re-run `migrate apply` (it continues at statement {}), or undo with `migrate rollback`, or start over with `migrate repair --version {}`",
                done + 1,
                p.version
            )
        };
        RunError::Failed(format!(
            "{}:{}: statement {} of {} in {} failed: {e}; {what}",
            p.path.display(),
            st.line,
            i + 1,
            p.statements.len(),
            p.label(),
        ))
    }

    /// Roll back applied phases in reverse, running the down SQL stored when they ran.
    pub async fn rollback(
        &self,
        migrations: &[Migration],
        req: &RollbackRequest,
    ) -> Result<RollbackOutcome, RunError> {
        let mut main = if req.dry_run {
            self.connect().await?
        } else {
            self.connect_runner().await?
        };
        if req.dry_run {
            let (exists, rows, _) = self.read_ledger(&mut main).await?;
            let fills = exists && self.read_backfills(&mut main).await?.is_some();
            let _ = main.close().await;
            let targets = rollback_targets(&rows, req)?;
            let mut sql = vec![format!(
                "-- on a separate connection, polled until it returns true: {}",
                self.db.try_lock_sql(LOCK_NAME)
            )];
            sql.extend(self.session_settings());
            let mut out = RollbackOutcome {
                sql,
                ..RollbackOutcome::default()
            };
            for row in targets {
                self.rollback_one_dry(migrations, row, fills, &mut out)?;
            }
            return Ok(out);
        }
        let mut lock_conn = self.connect().await?;
        let result = lock::with_lock(
            &mut lock_conn,
            LOCK_NAME,
            self.settings.lock_wait,
            async |mon: &mut Box<dyn Driver>| {
                let (exists, rows, _) = self.read_ledger(&mut main).await?;
                let fills = exists && self.read_backfills(&mut main).await?.is_some();
                let targets = rollback_targets(&rows, req)?;
                let mut out = RollbackOutcome::default();
                for row in targets {
                    let ev = HookEvent {
                        version: Some(row.version.clone()),
                        name: Some(row.name.clone()),
                        phase: Some(row.phase.name().to_owned()),
                        release: row.release.clone(),
                        ..HookEvent::default()
                    };
                    let hooks = &self.settings.hooks;
                    if let Err(why) = hooks::fire(hooks, HookPoint::BeforeRollback, &ev).await {
                        let msg = format!(
                            "rollback of {} {} ({}) did not run: {why}",
                            row.version,
                            row.name,
                            row.phase.name()
                        );
                        let _ = self
                            .event(
                                &mut main,
                                ledger::EVENT_HOOK_FAILED,
                                Some(&row.version),
                                Some(row.phase),
                                None,
                                &msg,
                            )
                            .await;
                        return Err(RunError::Hook(msg));
                    }
                    match self
                        .rollback_one(&mut main, mon, migrations, row, fills)
                        .await
                    {
                        Ok(d) => {
                            let ev = HookEvent {
                                outcome: Some("ok".into()),
                                ..ev
                            };
                            let _ = hooks::fire(hooks, HookPoint::AfterRollback, &ev).await;
                            out.done.push(d);
                        }
                        Err(e) => {
                            let ev = HookEvent {
                                outcome: Some("failed".into()),
                                error: Some(e.to_string()),
                                ..ev
                            };
                            let _ = hooks::fire(hooks, HookPoint::OnFailure, &ev).await;
                            return Err(e);
                        }
                    }
                }
                Ok(out)
            },
        )
        .await;
        let _ = main.close().await;
        let _ = lock_conn.close().await;
        result
    }

    fn rollback_one_dry(
        &self,
        migrations: &[Migration],
        row: &LedgerRow,
        fills: bool,
        out: &mut RollbackOutcome,
    ) -> Result<(), RunError> {
        let p = self.prepare_rollback(migrations, row)?;
        out.sql.push(format!("-- rollback {}", p.label()));
        if p.transactional {
            out.sql.push("BEGIN".into());
        }
        out.sql.extend(p.statements.iter().map(|s| s.sql.clone()));
        out.sql.push(
            self.ledger
                .set_state_sql(&p.version, p.phase, State::RolledBack),
        );
        if fills && p.phase == Phase::Expand {
            out.sql.push(self.ledger.delete_backfill_sql(&p.version));
        }
        if p.transactional {
            out.sql.push("COMMIT".into());
        }
        out.done.push(Done {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: p.statements.len(),
            resumed_from: 0,
            transactional: p.transactional,
            duration_ms: 0,
        });
        Ok(())
    }

    /// The down SQL stored when the phase ran; when none was stored (applied before its down
    /// file existed, or baselined without one), the down script in the migrations directory.
    fn prepare_rollback(
        &self,
        migrations: &[Migration],
        row: &LedgerRow,
    ) -> Result<Prepared, RunError> {
        // a failed statement took no effect, so a phase failed at its first statement left
        // nothing; an interrupted one (`running`: killed, its connection or server lost) may
        // have committed that statement without recording it, so its down script runs
        if row.state == State::Failed && row.statements_done == 0 {
            // nothing of it ran: only the ledger row changes
            return prepare_down(self.url.dialect(), row, "");
        }
        if let Some(down) = row.down_sql.as_deref() {
            return prepare_down(self.url.dialect(), row, down);
        }
        let from_file = Version::parse_any(&row.version).and_then(|v| {
            migrations
                .iter()
                .find(|m| m.version == v)
                .and_then(|m| m.script(row.phase, Direction::Down))
        });
        match from_file {
            Some(script) => {
                tracing::warn!(version = %row.version, phase = row.phase.name(), file = %script.file.path.display(), "no down SQL stored in the ledger; using the down script from the migrations directory");
                prepare_down(self.url.dialect(), row, script.text())
            }
            None => Err(RunError::Refused(format!(
                "migration {} {} ({}) has no down script, neither in the ledger nor in the migrations directory (irreversible?); write a new migration that undoes it instead",
                row.version,
                row.name,
                row.phase.name()
            ))),
        }
    }

    async fn rollback_one(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        migrations: &[Migration],
        row: &LedgerRow,
        fills: bool,
    ) -> Result<Done, RunError> {
        let p = self.prepare_rollback(migrations, row)?;
        if self.url.dialect() == Dialect::Mysql && p.phase == Phase::Expand {
            // a table copy waiting for this migration's contract goes with its expand
            self.osc_abandon(main, &p.version).await?;
        }
        let span = tracing::info_span!("rollback", version = %p.version, phase = p.phase.name());
        self.rollback_in_span(main, mon, &p, fills)
            .instrument(span)
            .await
    }

    /// `fills`: the backfill ledger exists, so an expand's rollback clears its backfill.
    async fn rollback_in_span(
        &self,
        main: &mut Box<dyn Driver>,
        mon: &mut Box<dyn Driver>,
        p: &Prepared,
        fills: bool,
    ) -> Result<Done, RunError> {
        self.progress(Progress::PhaseStarted {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: p.statements.len(),
            transactional: p.transactional,
        });
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let r = async {
                if p.transactional {
                    main.begin()
                        .await
                        .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
                    for (i, st) in p.statements.iter().enumerate() {
                        self.statement_progress(p, i);
                        let (r, b) = self.exec_probed(main, mon, &st.sql).await;
                        r.map_err(|e| (i, e, b))?;
                    }
                } else {
                    for i in 0..p.statements.len() {
                        self.statement_progress(p, i);
                        self.exec_retrying(main, mon, p, i)
                            .await
                            .map_err(|(e, b)| (i, e, b))?;
                    }
                }
                main.exec(
                    &self
                        .ledger
                        .set_state_sql(&p.version, p.phase, State::RolledBack),
                )
                .await
                .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
                if fills && p.phase == Phase::Expand {
                    // the backfill filled what the expand made: both go
                    main.exec(&self.ledger.delete_backfill_sql(&p.version))
                        .await
                        .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
                }
                if p.transactional {
                    main.commit()
                        .await
                        .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
                }
                Ok::<(), (usize, DbError, Vec<Blocker>)>(())
            }
            .await;
            match r {
                Ok(()) => break,
                Err((i, e, blockers)) => {
                    // a transactional down is retried whole; statements outside one were
                    // already retried one by one
                    if p.transactional {
                        let _ = main.rollback().await;
                        if self.db.is_lock_timeout(&e) && attempt < self.settings.retry.retries {
                            attempt += 1;
                            self.back_off(p, attempt, &e, "retrying the rollback").await;
                            continue;
                        }
                    }
                    let err = if i == LEDGER_STEP {
                        RunError::Db(format!(
                            "rollback of {}: cannot write the ledger {}: {e}",
                            p.label(),
                            self.ledger.history()
                        ))
                    } else if self.db.is_lock_timeout(&e) {
                        self.lock_give_up(p, i, &e, &blockers)
                    } else {
                        RunError::Failed(format!(
                            "rollback of {} failed at statement {} of {} (line {} of the stored down SQL): {e}; {}",
                            p.label(),
                            i + 1,
                            p.statements.len(),
                            p.statements.get(i).map_or(0, |s| s.line),
                            if p.transactional {
                                "nothing of the rollback remains"
                            } else {
                                "earlier statements of the down script ran; fix the database by hand, then `migrate repair`"
                            }
                        ))
                    };
                    let _ = main
                        .exec(
                            &self
                                .ledger
                                .set_error_sql(&p.version, p.phase, &err.to_string()),
                        )
                        .await;
                    return Err(err);
                }
            }
        }
        let ms = started.elapsed().as_millis();
        tracing::info!(
            statements = p.statements.len(),
            duration_ms = ms as u64,
            "rolled back"
        );
        Ok(Done {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: p.statements.len(),
            resumed_from: 0,
            transactional: p.transactional,
            duration_ms: ms,
        })
    }

    /// Versions by phase with their state, drift and the recorded events.
    pub async fn status(&self, migrations: &[Migration]) -> Result<StatusReport, RunError> {
        let mut conn = self.connect().await?;
        let (exists, rows, events) = self.read_ledger(&mut conn).await?;
        let fills = if exists {
            self.read_backfills(&mut conn).await?.unwrap_or_default()
        } else {
            Vec::new()
        };
        let _ = conn.close().await;
        status_report(
            self.url.to_string(),
            exists,
            migrations,
            &rows,
            &fills,
            events,
        )
    }

    /// Mark every migration phase up to `version` applied without running it.
    pub async fn baseline(
        &self,
        migrations: &[Migration],
        version: &Version,
    ) -> Result<Housekeeping, RunError> {
        if !migrations.iter().any(|m| m.version == *version) {
            return Err(RunError::Input(format!(
                "no migration has version {version}; `migrate status` lists them"
            )));
        }
        self.with_ledger_lock(async |main| {
            let (_, rows, _) = self.read_ledger(main).await?;
            let fills = self.read_backfills(main).await?.unwrap_or_default();
            let by_key = row_map(&rows)?;
            let mut out = Housekeeping::default();
            for m in migrations.iter().filter(|m| m.version <= *version) {
                for s in m.scripts.iter().filter(|s| s.direction == Direction::Up) {
                    if by_key
                        .get(&(m.version.clone(), s.phase))
                        .is_some_and(|r| r.state == State::Applied)
                    {
                        continue;
                    }
                    let p = prepare(self.url.dialect(), m, s)?;
                    let row = self.new_row(&p, State::Applied, p.statements.len(), None);
                    self.write_row(main, &row).await.map_err(RunError::db)?;
                    main.exec(
                        &self
                            .ledger
                            .finish_sql(&p.version, p.phase, p.statements.len(), 0),
                    )
                    .await
                    .map_err(RunError::db)?;
                    out.changes.push(format!("{} marked applied", p.label()));
                }
                // a baselined migration's data is already there: its backfill too
                if let Some(l) = backfill::load(m)? {
                    if fills
                        .iter()
                        .any(|r| r.version == m.version.raw && r.state == State::Applied)
                    {
                        continue;
                    }
                    let mut sql = self.ledger.start_backfill_sql(
                        &m.version.raw,
                        &m.name,
                        &l.checksum,
                        l.spec.batch_size,
                        &self.settings.applied_by,
                    );
                    sql.push(self.ledger.finish_backfill_sql(&m.version.raw, 0, 0));
                    for q in sql {
                        main.exec(&q).await.map_err(RunError::db)?;
                    }
                    out.changes.push(format!(
                        "{} {} (backfill) marked applied",
                        m.version, m.name
                    ));
                }
            }
            let detail = format!(
                "baseline at {version}: {} migration phase(s) marked applied without running",
                out.changes.len()
            );
            self.event(
                main,
                ledger::EVENT_BASELINE,
                Some(&version.raw),
                None,
                None,
                &detail,
            )
            .await?;
            Ok(out)
        })
        .await
    }

    /// Accept edited checksums of applied migrations and clear failed states.
    pub async fn repair(
        &self,
        migrations: &[Migration],
        version: Option<&Version>,
    ) -> Result<Housekeeping, RunError> {
        self.with_ledger_lock(async |main| {
            let (_, rows, _) = self.read_ledger(main).await?;
            let by_key = row_map(&rows)?;
            let mut out = Housekeeping::default();
            for m in migrations
                .iter()
                .filter(|m| version.is_none_or(|v| m.version == *v))
            {
                for s in m.scripts.iter().filter(|s| s.direction == Direction::Up) {
                    let Some(row) = by_key.get(&(m.version.clone(), s.phase)) else {
                        continue;
                    };
                    let sum = script_checksum(s);
                    let label = format!("{} {} ({})", m.version, m.name, s.phase.name());
                    let detail = match row.state {
                        State::Applied if row.checksum != sum => {
                            let down = m.script(s.phase, Direction::Down).map(Script::text);
                            main.exec(&self.ledger.accept_checksum_sql(&row.version, s.phase, &sum, down))
                                .await
                                .map_err(RunError::db)?;
                            format!(
                                "{label}: accepted the edited file {}: checksum {} (was {})",
                                s.file.path.display(),
                                sum,
                                row.checksum
                            )
                        }
                        State::Failed | State::Running => {
                            main.exec(&self.ledger.delete_row_sql(&row.version, s.phase))
                                .await
                                .map_err(RunError::db)?;
                            format!(
                                "{label}: cleared the {} state ({} of {} statements had run); the next apply runs it from the start",
                                row.state.name(),
                                row.statements_done,
                                row.statements_total
                            )
                        }
                        _ => continue,
                    };
                    self.event(main, ledger::EVENT_REPAIR, Some(&row.version), Some(s.phase), None, &detail)
                        .await?;
                    out.changes.push(detail);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Record a completed rollout (the `recorded` gate).
    pub async fn rollout_complete(&self, release: &str, source: &str) -> Result<(), RunError> {
        let mut conn = self.connect().await?;
        let exists = conn
            .ledger_exists(&self.ledger)
            .await
            .map_err(RunError::db)?;
        let r = if exists {
            self.event_from(
                &mut conn,
                ledger::EVENT_ROLLOUT,
                None,
                None,
                Some(release),
                "rollout completed",
                source,
            )
            .await
        } else {
            self.with_ledger_lock(async |main| {
                self.event_from(
                    main,
                    ledger::EVENT_ROLLOUT,
                    None,
                    None,
                    Some(release),
                    "rollout completed",
                    source,
                )
                .await
            })
            .await
        };
        let _ = conn.close().await;
        r
    }

    /// Take the lock, make sure the ledger exists, run `body` on a runner connection.
    async fn with_ledger_lock<T>(
        &self,
        body: impl AsyncFnOnce(&mut Box<dyn Driver>) -> Result<T, RunError>,
    ) -> Result<T, RunError> {
        let mut main = self.connect_runner().await?;
        let mut lock_conn = self.connect().await?;
        let r = lock::with_lock(
            &mut lock_conn,
            LOCK_NAME,
            self.settings.lock_wait,
            async |_| {
                self.ensure_ledger(&mut main).await?;
                body(&mut main).await
            },
        )
        .await;
        let _ = main.close().await;
        let _ = lock_conn.close().await;
        r
    }

    async fn event(
        &self,
        conn: &mut Box<dyn Driver>,
        kind: &str,
        version: Option<&str>,
        phase: Option<Phase>,
        release: Option<&str>,
        detail: &str,
    ) -> Result<(), RunError> {
        self.event_from(
            conn,
            kind,
            version,
            phase,
            release,
            detail,
            &self.settings.applied_by,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn event_from(
        &self,
        conn: &mut Box<dyn Driver>,
        kind: &str,
        version: Option<&str>,
        phase: Option<Phase>,
        release: Option<&str>,
        detail: &str,
        source: &str,
    ) -> Result<(), RunError> {
        let sql = self.ledger.event_sql(&NewEvent {
            kind,
            version,
            phase,
            release,
            detail,
            source,
        });
        conn.exec(&sql).await.map_err(RunError::db)?;
        tracing::info!(kind, version, release, "event recorded");
        Ok(())
    }
}
