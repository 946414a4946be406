//! The runner's resolved settings (the CLI resolves `sluice.toml` into them).

use std::time::Duration;

use super::gates::Gate;
use super::hooks::Hook;
use super::retry::RetryPolicy;
use super::url::DbUrl;

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
    /// Shadow-table copy batches are sized toward this duration (they lock no row the
    /// application writes).
    pub shadow_batch_time: Duration,
    /// Batched-delete batches are sized toward this duration: an application write to a row
    /// a batch deletes waits at most about this long.
    pub delete_batch_time: Duration,
    /// pt-online-schema-change's `--chunk-time`: a writer waits at most about one chunk.
    pub osc_chunk_time: Duration,
    /// Pause between shadow-table copy batches.
    pub shadow_pause: Duration,
    /// The lint settings the apply check lints with (levels from `[lint]`); its dialect,
    /// server, runner and row counts are set from the target database.
    pub lint: sluice_lint::LintSettings,
    /// Rules the apply check lets through (`[run] allow`, `--allow`): recorded as
    /// `allowed` events.
    pub allow: Vec<Allow>,
    /// `[run] init_sql`: statements every migration session runs after its timeouts, as
    /// the project's own runner would (settings its migrations read, such as lemmy's
    /// `SET lemmy.protocol_and_hostname = ..`); Flyway's `initSql`.
    pub init_sql: Vec<String>,
}

/// A rule the apply check lets through, and who said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// The rule's id.
    pub rule: &'static str,
    pub source: AllowSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowSource {
    /// `migrate apply --allow`.
    CommandLine,
    /// `[run] allow` in sluice.toml.
    Config,
}

impl AllowSource {
    pub fn describe(self) -> &'static str {
        match self {
            AllowSource::CommandLine => "--allow on the command line",
            AllowSource::Config => "[run] allow in sluice.toml",
        }
    }
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
            // as the planner's backfill batches, which lock rows the application writes too
            delete_batch_time: Duration::from_millis(10),
            // 10 ms chunks stalled MariaDB's 1M-row type change 20 ms (median of 13 runs)
            // against 30 ms for 50 ms chunks, at 15% more copy time (docs/benchmarks.md)
            osc_chunk_time: Duration::from_millis(10),
            lint: sluice_lint::LintSettings::default(),
            allow: Vec::new(),
            init_sql: Vec::new(),
        }
    }
}

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
