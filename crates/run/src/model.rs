//! What the engine is asked and what it answers: requests, outcomes, the status report and
//! the live [`Progress`] events. Plain data, serialisable for `--format json` and the server.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::backfill::BackfillDone;
use super::gates::Verdict;
use super::ledger::Event;
use sluice_core::source::{Phase, Version};

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
    pub(crate) fn has(self, p: Phase) -> bool {
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
    /// Phases not applied that this run does not select (a contract under `--phase
    /// expand`), and why they do not run now.
    pub pending: Vec<Waiting>,
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

pub(crate) type ProgressFn = Box<dyn Fn(&Progress) + Send + Sync>;
