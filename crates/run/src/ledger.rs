//! The ledger: what ran, in the target database. Rows model and the SQL for both dialects.
//!
//! Ledger writes are plain SQL with quoted literals (no bind parameters) so that `--dry-run`
//! can print exactly what would be sent.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::driver::Database;
use sluice_core::source::Phase;

/// State of one migration phase in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Running,
    Applied,
    Failed,
    RolledBack,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Applied => "applied",
            State::Failed => "failed",
            State::RolledBack => "rolled_back",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "running" => State::Running,
            "applied" => State::Applied,
            "failed" => State::Failed,
            "rolled_back" => State::RolledBack,
            _ => return None,
        })
    }
}

pub fn parse_phase(s: &str) -> Option<Phase> {
    match s {
        "expand" => Some(Phase::Expand),
        "contract" => Some(Phase::Contract),
        _ => None,
    }
}

/// One row of the history table: a migration phase.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub version: String,
    pub phase: Phase,
    pub name: String,
    pub checksum: String,
    pub state: State,
    pub statements_done: i64,
    pub statements_total: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    #[serde(skip)]
    pub down_sql: Option<String>,
    pub release: Option<String>,
    pub applied_by: String,
    pub error: Option<String>,
}

/// An event: repair, baseline, rollout completion.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub version: Option<String>,
    pub phase: Option<String>,
    pub release: Option<String>,
    pub detail: String,
    pub source: String,
    pub at: DateTime<Utc>,
}

pub const EVENT_ROLLOUT: &str = "rollout-complete";
pub const EVENT_REPAIR: &str = "repair";
pub const EVENT_BASELINE: &str = "baseline";
pub const EVENT_DRIFT_REFUSED: &str = "drift-refused";
/// A `before-*` hook failed and stopped a phase.
pub const EVENT_HOOK_FAILED: &str = "hook-failed";
/// The apply check refused a phase (lint's findings on the live schema); nothing ran.
pub const EVENT_REFUSED: &str = "refused";
/// The apply check let a finding through: `[run] allow` or `--allow`, and who.
pub const EVENT_ALLOWED: &str = "allowed";
/// Job mode: a release's pre-deploy / post-deploy finished (the idempotency key).
pub const EVENT_PRE_DEPLOY: &str = "pre-deploy";
pub const EVENT_POST_DEPLOY: &str = "post-deploy";
pub const EVENT_PURGE: &str = "purge";

/// The backfill of one migration: its state and the last committed checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct BackfillRow {
    pub version: String,
    pub name: String,
    /// SHA-256 of `backfill.toml` when the backfill started.
    pub checksum: String,
    pub state: State,
    /// The key of the last row of the last committed batch: a JSON array of texts.
    pub last_key: Option<String>,
    pub rows_done: i64,
    pub batches: i64,
    /// The batch size in use at the last checkpoint (it adapts to target_batch_time).
    pub batch_size: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub applied_by: String,
    pub error: Option<String>,
}

/// Where the ledger lives and how to spell SQL for it.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub db: &'static dyn Database,
    pub schema: Option<String>,
    pub table: String,
}

impl Ledger {
    pub fn new(db: &'static dyn Database, schema: Option<String>, table: Option<String>) -> Ledger {
        Ledger {
            db,
            schema,
            table: table.unwrap_or_else(|| "sluice_migrations".to_owned()),
        }
    }

    /// `sluice_migrations` -> `sluice_events`; any other name gets `_events` appended.
    pub fn events_table(&self) -> String {
        match self.table.strip_suffix("_migrations") {
            Some(stem) => format!("{stem}_events"),
            None => format!("{}_events", self.table),
        }
    }

    /// `sluice_migrations` -> `sluice_backfill`; any other name gets `_backfill` appended.
    pub fn backfill_table(&self) -> String {
        match self.table.strip_suffix("_migrations") {
            Some(stem) => format!("{stem}_backfill"),
            None => format!("{}_backfill", self.table),
        }
    }

    /// `sluice_migrations` -> `sluice_shadow` (shadow-table copies, created on first use),
    /// quoted and qualified; any other name gets `_shadow` appended.
    pub fn shadow_copies(&self) -> String {
        self.qualified(&self.shadow_table())
    }

    fn shadow_table(&self) -> String {
        match self.table.strip_suffix("_migrations") {
            Some(stem) => format!("{stem}_shadow"),
            None => format!("{}_shadow", self.table),
        }
    }

    /// The names of every table Sluice keeps (a schema snapshot leaves them out).
    pub fn own_tables(&self) -> Vec<String> {
        vec![
            self.table.clone(),
            self.events_table(),
            self.backfill_table(),
            self.shadow_table(),
        ]
    }

    /// The backfill table, quoted and qualified.
    pub fn backfills(&self) -> String {
        self.qualified(&self.backfill_table())
    }

    pub fn ident(&self, name: &str) -> String {
        self.db.ident(name)
    }

    fn qualified(&self, table: &str) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", self.ident(s), self.ident(table)),
            None => self.ident(table),
        }
    }

    pub fn history(&self) -> String {
        self.qualified(&self.table)
    }

    pub fn events(&self) -> String {
        self.qualified(&self.events_table())
    }

    pub fn lit(&self, s: &str) -> String {
        self.db.literal(s)
    }

    fn opt(&self, s: Option<&str>) -> String {
        s.map_or_else(|| "NULL".to_owned(), |s| self.lit(s))
    }

    /// The database clock, advancing within a transaction (timestamps order events).
    pub fn now(&self) -> &'static str {
        self.db.now()
    }

    /// Statements that create the ledger when missing.
    pub fn create_sql(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = &self.schema {
            out.push(self.db.create_schema_sql(s));
        }
        out.extend(self.db.ledger_ddl(&self.history(), &self.events()));
        out.push(self.create_backfill_sql());
        out
    }

    /// The backfill table (also created on its own in ledgers older than it).
    pub fn create_backfill_sql(&self) -> String {
        self.db.backfill_ledger_ddl(&self.backfills())
    }

    pub fn select_backfills_sql(&self) -> String {
        format!(
            "SELECT version, name, checksum, state, last_key, rows_done, batches, batch_size, started_at, finished_at, duration_ms, applied_by, error FROM {} ORDER BY version",
            self.backfills()
        )
    }

    /// A fresh `running` backfill row (any earlier one of the version goes).
    pub fn start_backfill_sql(
        &self,
        version: &str,
        name: &str,
        checksum: &str,
        batch_size: u64,
        applied_by: &str,
    ) -> Vec<String> {
        vec![
            self.delete_backfill_sql(version),
            format!(
                "INSERT INTO {} (version, name, checksum, state, last_key, rows_done, batches, batch_size, started_at, applied_by) VALUES ({}, {}, {}, 'running', NULL, 0, 0, {batch_size}, {}, {})",
                self.backfills(),
                self.lit(version),
                self.lit(name),
                self.lit(checksum),
                self.now(),
                self.lit(applied_by),
            ),
        ]
    }

    /// A failed or interrupted backfill continues: `running` again, checkpoint kept.
    pub fn resume_backfill_sql(&self, version: &str) -> String {
        format!(
            "UPDATE {} SET state = 'running', error = NULL, finished_at = NULL WHERE version = {}",
            self.backfills(),
            self.lit(version)
        )
    }

    /// The checkpoint of one batch; runs in the batch's own transaction.
    pub fn checkpoint_sql(
        &self,
        version: &str,
        last_key: &str,
        rows: u64,
        batch_size: u64,
    ) -> String {
        format!(
            "UPDATE {} SET last_key = {}, rows_done = rows_done + {rows}, batches = batches + 1, batch_size = {batch_size} WHERE version = {}",
            self.backfills(),
            self.lit(last_key),
            self.lit(version)
        )
    }

    /// The last batch's checkpoint: the backfill is complete.
    pub fn finish_backfill_sql(&self, version: &str, rows: u64, duration_ms: u128) -> String {
        format!(
            "UPDATE {} SET state = 'applied', rows_done = rows_done + {rows}, batches = batches + 1, finished_at = {}, duration_ms = COALESCE(duration_ms, 0) + {duration_ms}, error = NULL WHERE version = {}",
            self.backfills(),
            self.now(),
            self.lit(version)
        )
    }

    pub fn fail_backfill_sql(&self, version: &str, error: &str, duration_ms: u128) -> String {
        format!(
            "UPDATE {} SET state = 'failed', error = {}, duration_ms = COALESCE(duration_ms, 0) + {duration_ms} WHERE version = {}",
            self.backfills(),
            self.lit(error),
            self.lit(version)
        )
    }

    pub fn delete_backfill_sql(&self, version: &str) -> String {
        format!(
            "DELETE FROM {} WHERE version = {}",
            self.backfills(),
            self.lit(version)
        )
    }

    pub fn select_rows_sql(&self) -> String {
        format!(
            "SELECT version, phase, name, checksum, state, statements_done, statements_total, started_at, finished_at, duration_ms, down_sql, release_id, applied_by, error FROM {} ORDER BY phase, version",
            self.history()
        )
    }

    pub fn select_events_sql(&self) -> String {
        format!(
            "SELECT id, kind, version, phase, release_id, detail, source, at FROM {} ORDER BY id",
            self.events()
        )
    }

    /// Replace the row of `version`/`phase` with a fresh one (delete + insert works the same
    /// on both dialects; callers run it inside a transaction).
    pub fn replace_row_sql(&self, row: &NewRow<'_>) -> Vec<String> {
        vec![
            self.delete_row_sql(row.version, row.phase),
            format!(
                "INSERT INTO {} (version, phase, name, checksum, state, statements_done, statements_total, started_at, finished_at, duration_ms, down_sql, release_id, applied_by, error) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL)",
                self.history(),
                self.lit(row.version),
                self.lit(row.phase.name()),
                self.lit(row.name),
                self.lit(row.checksum),
                self.lit(row.state.name()),
                row.statements_done,
                row.statements_total,
                self.now(),
                if row.state == State::Applied {
                    self.now()
                } else {
                    "NULL"
                },
                if row.state == State::Applied {
                    "0"
                } else {
                    "NULL"
                },
                self.opt(row.down_sql),
                self.opt(row.release),
                self.lit(row.applied_by),
            ),
        ]
    }

    pub fn delete_row_sql(&self, version: &str, phase: Phase) -> String {
        format!(
            "DELETE FROM {} WHERE version = {} AND phase = {}",
            self.history(),
            self.lit(version),
            self.lit(phase.name())
        )
    }

    pub fn progress_sql(&self, version: &str, phase: Phase, done: usize) -> String {
        format!(
            "UPDATE {} SET statements_done = {done} WHERE version = {} AND phase = {}",
            self.history(),
            self.lit(version),
            self.lit(phase.name())
        )
    }

    pub fn finish_sql(
        &self,
        version: &str,
        phase: Phase,
        done: usize,
        duration_ms: u128,
    ) -> String {
        format!(
            "UPDATE {} SET state = 'applied', statements_done = {done}, finished_at = {}, duration_ms = {duration_ms}, error = NULL WHERE version = {} AND phase = {}",
            self.history(),
            self.now(),
            self.lit(version),
            self.lit(phase.name())
        )
    }

    pub fn fail_sql(&self, version: &str, phase: Phase, done: usize, error: &str) -> String {
        format!(
            "UPDATE {} SET state = 'failed', statements_done = {done}, finished_at = {}, error = {} WHERE version = {} AND phase = {}",
            self.history(),
            self.now(),
            self.lit(error),
            self.lit(version),
            self.lit(phase.name())
        )
    }

    pub fn set_state_sql(&self, version: &str, phase: Phase, state: State) -> String {
        format!(
            "UPDATE {} SET state = {}, finished_at = {}, error = NULL WHERE version = {} AND phase = {}",
            self.history(),
            self.lit(state.name()),
            self.now(),
            self.lit(version),
            self.lit(phase.name())
        )
    }

    pub fn set_error_sql(&self, version: &str, phase: Phase, error: &str) -> String {
        format!(
            "UPDATE {} SET error = {} WHERE version = {} AND phase = {}",
            self.history(),
            self.lit(error),
            self.lit(version),
            self.lit(phase.name())
        )
    }

    pub fn accept_checksum_sql(
        &self,
        version: &str,
        phase: Phase,
        checksum: &str,
        down_sql: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET checksum = {}, down_sql = {} WHERE version = {} AND phase = {}",
            self.history(),
            self.lit(checksum),
            self.opt(down_sql),
            self.lit(version),
            self.lit(phase.name())
        )
    }

    pub fn event_sql(&self, e: &NewEvent<'_>) -> String {
        format!(
            "INSERT INTO {} (kind, version, phase, release_id, detail, source, at) VALUES ({}, {}, {}, {}, {}, {}, {})",
            self.events(),
            self.lit(e.kind),
            self.opt(e.version),
            self.opt(e.phase.map(Phase::name)),
            self.opt(e.release),
            self.lit(e.detail),
            self.lit(e.source),
            self.now(),
        )
    }
}

/// A row to write.
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    pub version: &'a str,
    pub phase: Phase,
    pub name: &'a str,
    pub checksum: &'a str,
    pub state: State,
    pub statements_done: usize,
    pub statements_total: usize,
    pub down_sql: Option<&'a str>,
    pub release: Option<&'a str>,
    pub applied_by: &'a str,
}

#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub version: Option<&'a str>,
    pub phase: Option<Phase>,
    pub release: Option<&'a str>,
    pub detail: &'a str,
    pub source: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::database;
    use sluice_core::sql::Dialect;
    use sluice_core::sql::quote::{ident as quote_ident, literal as quote_literal};

    #[test]
    fn literals_and_identifiers() {
        assert_eq!(quote_literal(Dialect::Postgres, "it's"), "'it''s'");
        assert_eq!(quote_literal(Dialect::Postgres, r"a\b'"), r"E'a\\b'''");
        assert_eq!(quote_literal(Dialect::Mysql, "plain text"), "'plain text'");
        assert_eq!(
            quote_literal(Dialect::Mysql, "a'\n"),
            "CONVERT(X'61270a' USING utf8mb4)"
        );
        assert_eq!(quote_ident(Dialect::Postgres, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(Dialect::Mysql, "t"), "`t`");
        let l = Ledger::new(database(Dialect::Postgres), Some("ops".into()), None);
        assert_eq!(l.history(), "\"ops\".\"sluice_migrations\"");
        assert_eq!(l.events(), "\"ops\".\"sluice_events\"");
        assert_eq!(l.backfills(), "\"ops\".\"sluice_backfill\"");
        assert_eq!(
            Ledger::new(database(Dialect::Mysql), None, Some("hist".into())).events(),
            "`hist_events`"
        );
    }
}
