//! The wave barrier between shard processes (`--shard I/N`): each shard records the end
//! of each of its waves in a small table, `sluice_fleet_waves`, in the catalog database
//! (or the fleet's first target), and starts the next wave only when every shard's row
//! for this one is there. The failures they record add up to the fleet's error budget.
//!
//! Rows are keyed by the run id (`--run`, e.g. the Kubernetes Job's uid): a new attempt
//! with a new id walks the waves again (targets already done have nothing to do).
//! The table's SQL is the same on both servers (plain types); a wave's row is written by the
//! driver's upsert (a `DELETE` + `INSERT` pair deadlocks on InnoDB's gap locks).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::super::RunError;
use super::super::driver::{self, Database, Driver};
use super::super::url::DbUrl;
use super::Shard;

pub const TABLE: &str = "sluice_fleet_waves";

/// The barrier's table, made unless it exists (the same SQL on both servers).
pub fn create_sql() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (fleet VARCHAR(200) NOT NULL, run_id VARCHAR(200) NOT NULL, step INTEGER NOT NULL, shard INTEGER NOT NULL, shards INTEGER NOT NULL, targets INTEGER NOT NULL, failed INTEGER NOT NULL, PRIMARY KEY (fleet, run_id, step, shard))"
    )
}

pub(super) struct Barrier {
    pub(super) url: DbUrl,
    pub(super) fleet: String,
    pub(super) run: String,
    pub(super) shard: Shard,
    pub(super) timeout: Duration,
    pub(super) poll: Duration,
}

/// What every shard recorded for one wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WaveTotals {
    pub(super) targets: usize,
    pub(super) failed: usize,
}

impl Barrier {
    fn db(&self) -> &'static dyn Database {
        driver::database(self.url.dialect())
    }

    fn key(&self, step: usize) -> String {
        let db = self.db();
        format!(
            "fleet = {} AND run_id = {} AND step = {step}",
            db.literal(&self.fleet),
            db.literal(&self.run)
        )
    }

    async fn connect(&self) -> Result<Box<dyn Driver>, RunError> {
        driver::connect(&self.url).await.map_err(|e| {
            RunError::Db(format!(
                "the fleet's wave barrier on {}: {}",
                self.url,
                self.url.scrub(&e.message)
            ))
        })
    }

    fn err(&self, e: &driver::DbError) -> RunError {
        RunError::Db(format!(
            "the fleet's wave barrier ({TABLE} on {}): {}",
            self.url,
            self.url.scrub(&e.message)
        ))
    }

    /// Create the table unless it exists. Shards starting together race on it (PostgreSQL's
    /// `IF NOT EXISTS` can still fail on its catalog's unique index): a failed attempt is
    /// tried again, and then sees the other's table.
    pub(super) async fn ensure(&self) -> Result<(), RunError> {
        let sql = create_sql();
        let mut last = None;
        for attempt in 0..5u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            let mut c = self.connect().await?;
            let r = c.exec(&sql).await;
            let _ = c.close().await;
            match r {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(self.err(&last.unwrap_or_else(|| driver::DbError::other("no attempt"))))
    }

    /// This shard finished wave `step` with `targets` targets, `failed` of them failed: one
    /// upsert (shards finishing a wave together write beside each other), tried again when
    /// the server broke a deadlock or a lock wait.
    pub(super) async fn record(
        &self,
        step: usize,
        targets: usize,
        failed: usize,
    ) -> Result<(), RunError> {
        let db = self.db();
        let sql = db.upsert_sql(
            TABLE,
            &[
                ("fleet", db.literal(&self.fleet)),
                ("run_id", db.literal(&self.run)),
                ("step", step.to_string()),
                ("shard", self.shard.index.to_string()),
                ("shards", self.shard.count.to_string()),
                ("targets", targets.to_string()),
                ("failed", failed.to_string()),
            ],
            &["fleet", "run_id", "step", "shard"],
        );
        let mut attempt = 0u32;
        loop {
            let mut c = self.connect().await?;
            let r = c.exec(&sql).await;
            let _ = c.close().await;
            match r {
                Ok(()) => return Ok(()),
                Err(e) if attempt < 4 && db.is_lock_timeout(&e) => {
                    attempt += 1;
                    tracing::debug!(attempt, error = %e.message, "wave barrier write tried again");
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                }
                Err(e) => return Err(self.err(&e)),
            }
        }
    }

    /// Wait until every shard recorded wave `step` (`wave` names it in messages); their totals. `waiting` is told how
    /// many shards are done while it waits.
    pub(super) async fn wait(
        &self,
        step: usize,
        wave: &str,
        stop: &Arc<AtomicBool>,
        waiting: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<WaveTotals, RunError> {
        let started = Instant::now();
        let mut told = None;
        loop {
            let mut c = self.connect().await?;
            let rows = c
                .query_text(&format!(
                    "SELECT CAST(shard AS CHAR(12)), CAST(shards AS CHAR(12)), CAST(targets AS CHAR(12)), CAST(failed AS CHAR(12)) FROM {TABLE} WHERE {} ORDER BY shard",
                    self.key(step)
                ))
                .await;
            let _ = c.close().await;
            let rows = rows.map_err(|e| self.err(&e))?;
            let num = |v: &Option<String>| {
                v.as_deref()
                    .and_then(|s| s.trim().parse::<usize>().ok())
                    .unwrap_or(0)
            };
            if let Some(r) = rows.iter().find(|r| num(&r[1]) != self.shard.count) {
                return Err(RunError::Config(format!(
                    "the fleet's wave barrier: shard {} of this run counts {} shards, this one {}; every shard of a run takes the same N in --shard I/N",
                    num(&r[0]),
                    num(&r[1]),
                    self.shard.count
                )));
            }
            if rows.len() >= self.shard.count {
                return Ok(WaveTotals {
                    targets: rows.iter().map(|r| num(&r[2])).sum(),
                    failed: rows.iter().map(|r| num(&r[3])).sum(),
                });
            }
            if told != Some(rows.len()) {
                waiting(rows.len());
                told = Some(rows.len());
            }
            if stop.load(Ordering::SeqCst) {
                return Err(RunError::Db(
                    "asked to stop while waiting for the other shards".into(),
                ));
            }
            if started.elapsed() >= self.timeout {
                return Err(RunError::Db(format!(
                    "the other shards did not finish wave {wave} within {} ({} of {} did): a shard's process may have died; run the fleet again (each target's ledger says what is left)",
                    humantime::format_duration(self.timeout),
                    rows.len(),
                    self.shard.count
                )));
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}
