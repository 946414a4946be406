//! The batched delete's executor (the plan is `strategies::batched_delete`).
//!
//! The keys the statement matches are noted in a scratch table by one read (on MySQL under
//! READ COMMITTED, a snapshot that locks nothing; where a statement-based binary log
//! refuses that, the statement runs as written), then deleted
//! in key order a batch at a time, each batch its own short transaction sized toward
//! `[run] delete_batch_time`, so an application write to a row waits at most one batch. A
//! batch that meets an application's row lock gives way within milliseconds as a
//! backfill's does (`backfill_batch`), rather than hold the rows it took while it waits.
//! Nothing is checkpointed: a re-run after an interruption notes the keys that still
//! match (the rows already deleted are gone) and deletes those, as the statement run again
//! would. The scratch table goes at the end, and on a failure.

use std::time::Instant;

use tracing::Instrument;

use super::backfill_batch::{YIELD_AFTER, giving_way};
use super::driver::{Blocker, DbError, Driver};
use super::keyrange::KeyRange;
use super::plan::Prepared;
use super::strategies::batched_delete::BatchedDelete;
use super::{Engine, Progress, backfill, retry};
use sluice_core::source::backfill::MAX_BATCH_SIZE;

/// The first batch; later ones adapt toward `[run] delete_batch_time`.
const FIRST_BATCH: u64 = 1_000;

/// How the batches of a delete run: what each opens with when it gives way to
/// application row locks and when it waits (see `Database::batch_settings_sql`), and the
/// giving-way tries' statement prefix (MariaDB, `Database::batch_yield_prefix`).
struct BatchHow {
    giving_way: Option<String>,
    waiting: Option<String>,
    prefix: Option<&'static str>,
}

impl BatchHow {
    /// Whether the first tries of a batch can give way.
    fn gives_way(&self) -> bool {
        self.giving_way != self.waiting || self.prefix.is_some()
    }
}

impl Engine {
    /// Run one batched delete of `p`.
    pub(super) async fn run_batched_delete(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        d: &BatchedDelete,
    ) -> Result<(), (DbError, Vec<Blocker>)> {
        let span = tracing::info_span!("batched_delete", table = %d.table);
        let r = self.batched_delete(main, p, d).instrument(span).await;
        if let Err(mut e) = r {
            // the keys are noted again by a re-run; the scratch table is not left behind
            if let Err(drop) = main.exec(&d.drop_keys_sql()).await {
                e.message.push_str(&format!(
                    "; the scratch table of the keys could not be dropped ({drop}): {}",
                    d.drop_keys_sql()
                ));
            }
            return Err((e, Vec::new()));
        }
        Ok(())
    }

    async fn batched_delete(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        d: &BatchedDelete,
    ) -> Result<(), DbError> {
        let started = Instant::now();
        // the scratch table: DDL, one statement each, from the drop on when retried
        let mut create = vec![d.drop_keys_sql()];
        create.extend(d.create_keys_sql());
        self.sql_retrying(main, None, &create, false, "making the table of the keys")
            .await?;
        // InnoDB's INSERT .. SELECT locks the rows it reads under REPEATABLE READ; under READ
        // COMMITTED it reads a snapshot, which a statement-based binary log refuses
        let mut isolation = None;
        if let Some((_, set)) = self.db.batch_isolation() {
            if !self.batch_read_committed(main).await {
                tracing::warn!(
                    table = %d.table,
                    "the binary log is statement-based: noting the keys would lock every row it reads, so the DELETE runs as written"
                );
                main.exec(&d.drop_keys_sql()).await?;
                self.sql_retrying(
                    main,
                    None,
                    std::slice::from_ref(&d.statement),
                    true,
                    "deleting",
                )
                .await?;
                return Ok(());
            }
            isolation = Some(set);
        }
        self.sql_retrying(
            main,
            isolation,
            &[d.fill_keys_sql()],
            true,
            "noting the keys to delete",
        )
        .await?;
        let range = KeyRange::new(self.db, &d.keys, &d.key, d.numeric.clone());
        let server = main.server_version().await?;
        let flush_after = self.batch_flush_after(main).await;
        let noted: Option<u64> = main
            .query_text(&d.count_keys_sql())
            .await?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .and_then(|n| n.parse().ok());
        let name = format!("{} batched delete", p.name);
        self.progress(Progress::BackfillStarted {
            version: p.version.clone(),
            name,
            table: d.table.to_string(),
            estimated_rows: noted,
            rows_done: 0,
            resumed_at: None,
        });
        let (mut last, mut size, mut rows, mut batches, mut yields) =
            (None::<Vec<String>>, FIRST_BATCH, 0, 0, 0u64);
        let how = BatchHow {
            giving_way: self.db.batch_settings_sql(Some(YIELD_AFTER), flush_after),
            waiting: self.db.batch_settings_sql(None, flush_after),
            prefix: self.db.batch_yield_prefix(&server),
        };
        loop {
            let size_now = size.clamp(1, MAX_BATCH_SIZE);
            let upper: Option<Vec<String>> = main
                .query_text(&range.upper_sql(last.as_deref(), size_now))
                .await?
                .into_iter()
                .next()
                .map(|r| r.into_iter().flatten().collect());
            let sql = d.delete_sql(&range.bounds(last.as_deref(), upper.as_deref()));
            let t0 = Instant::now();
            let (n, gave_way) = self
                .delete_batch(main, &sql, &how)
                .await
                .map_err(|mut e| {
                    e.message = format!(
                        "batched delete of {}: the batch after {} failed: {}; {rows} rows are deleted and stay so; fix the cause and re-run `migrate apply`: it notes the keys that still match and deletes those",
                        d.table,
                        last.as_deref()
                            .map_or_else(|| "the start".to_owned(), |l| format!("key {}", backfill::encode_key(l))),
                        e.message
                    );
                    e
                })?;
            yields += u64::from(gave_way);
            let took = t0.elapsed();
            rows += n;
            batches += 1;
            self.progress(Progress::BackfillBatch {
                version: p.version.clone(),
                rows_done: rows,
                batches,
                batch_size: size_now,
                rows_per_s: rows as f64 / started.elapsed().as_secs_f64().max(0.001),
                estimated_rows: noted,
            });
            tracing::debug!(
                rows = n,
                batch_size = size_now,
                took_ms = took.as_millis() as u64,
                "delete batch"
            );
            let Some(u) = upper else {
                break;
            };
            last = Some(u);
            size = backfill::next_batch_size(size_now, took, self.settings.delete_batch_time);
        }
        main.exec(&d.drop_keys_sql()).await?;
        self.progress(Progress::BackfillFinished {
            version: p.version.clone(),
            rows_done: rows,
            batches,
            duration_ms: started.elapsed().as_millis(),
        });
        tracing::info!(
            rows,
            batches,
            yields,
            duration_ms = started.elapsed().as_millis() as u64,
            "batched delete done"
        );
        Ok(())
    }

    /// One batch: up to [`backfill_batch::YIELDS`] tries that give way to an application's
    /// row lock after [`YIELD_AFTER`] (each rolls back, releasing the rows it had taken, on
    /// which other writes would queue), then tries under `[run] lock_timeout` with the retry
    /// policy. The rows deleted, and whether a try gave way.
    async fn delete_batch(
        &self,
        main: &mut dyn Driver,
        sql: &str,
        how: &BatchHow,
    ) -> Result<(u64, u32), DbError> {
        let mut state = (main,);
        let (yields, quick) = if how.gives_way() {
            giving_way(
                &mut state,
                |e: &DbError| self.db.is_lock_timeout(e),
                |(main,)| Box::pin(self.try_giving_way(&mut **main, sql, how)),
            )
            .await
        } else {
            (0, None)
        };
        let (main,) = state;
        let n = match quick {
            Some(r) => r?,
            None => {
                // one transaction: its settings, then the DELETE
                let stmts: Vec<String> = how
                    .waiting
                    .iter()
                    .cloned()
                    .chain([sql.to_owned()])
                    .collect();
                self.sql_retrying(main, None, &stmts, true, "deleting a batch")
                    .await?
            }
        };
        Ok((n, yields))
    }

    /// One try of a delete batch that gives way: its settings, then the DELETE under the
    /// giving-way prefix, one transaction.
    async fn try_giving_way(
        &self,
        main: &mut dyn Driver,
        sql: &str,
        how: &BatchHow,
    ) -> Result<u64, DbError> {
        let sql = format!("{}{sql}", how.prefix.unwrap_or_default());
        let stmts: Vec<String> = how.giving_way.iter().cloned().chain([sql]).collect();
        self.sql_once(main, None, &stmts, true).await
    }

    /// `stmts` in one transaction (`tx`; `before` it, what sets its isolation) or one after
    /// the other, retried whole on lock timeouts with the configured back-off; the rows the
    /// last one changed.
    async fn sql_retrying(
        &self,
        main: &mut dyn Driver,
        before: Option<&str>,
        stmts: &[String],
        tx: bool,
        what: &str,
    ) -> Result<u64, DbError> {
        let mut state = (main,);
        retry::retry(
            &self.settings.retry,
            &mut state,
            |e: &DbError| self.db.is_lock_timeout(e),
            |attempt, delay, e| {
                tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, error = %e, "lock timeout {what}; retrying");
            },
            |(main,), _| Box::pin(self.sql_once(&mut **main, before, stmts, tx)),
        )
        .await
    }

    /// `stmts` once, in one transaction (`tx`; `before` it, what sets its isolation) or one
    /// after the other, rolled back on an error; the rows the last one changed.
    async fn sql_once(
        &self,
        main: &mut dyn Driver,
        before: Option<&str>,
        stmts: &[String],
        tx: bool,
    ) -> Result<u64, DbError> {
        if let Some(b) = before {
            main.exec(b).await?;
        }
        if tx {
            main.begin().await?;
        }
        let mut n = 0;
        for st in stmts {
            match main.exec_count(st).await {
                Ok(c) => n = c,
                Err(e) => {
                    if tx {
                        let _ = main.rollback().await;
                    }
                    return Err(e);
                }
            }
        }
        if tx {
            main.commit().await?;
        }
        Ok(n)
    }
}
