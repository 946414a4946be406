//! The batched delete's executor (the plan is `strategies::batched_delete`).
//!
//! The keys the statement matches are noted in a scratch table by one read (on MySQL under
//! READ COMMITTED, a snapshot that locks nothing; where a statement-based binary log
//! refuses that, the statement runs as written), then deleted
//! in key order a batch at a time, each batch its own short transaction sized toward
//! `[run] shadow_batch_time`, so an application write to a row waits at most one batch.
//! Nothing is checkpointed: a re-run after an interruption notes the keys that still
//! match (the rows already deleted are gone) and deletes those, as the statement run again
//! would. The scratch table goes at the end, and on a failure.

use std::time::Instant;

use tracing::Instrument;

use super::driver::{Blocker, DbError, Driver};
use super::keyrange::KeyRange;
use super::plan::Prepared;
use super::strategies::batched_delete::BatchedDelete;
use super::{Engine, Progress, backfill, retry};
use sluice_core::source::backfill::MAX_BATCH_SIZE;

/// The first batch; later ones adapt toward `shadow_batch_time`.
const FIRST_BATCH: u64 = 1_000;

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
        if let Some((allowed, set)) = self.db.batch_isolation() {
            let ok = main
                .query_text(allowed)
                .await?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten());
            if ok.as_deref() != Some("1") {
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
        let (mut last, mut size, mut rows, mut batches) = (None::<Vec<String>>, FIRST_BATCH, 0, 0);
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
            let n = self
                .sql_retrying(main, None, std::slice::from_ref(&sql), true, "deleting a batch")
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
            size = backfill::next_batch_size(size_now, took, self.settings.shadow_batch_time);
            if !self.settings.shadow_pause.is_zero() {
                tokio::time::sleep(self.settings.shadow_pause).await;
            }
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
            duration_ms = started.elapsed().as_millis() as u64,
            "batched delete done"
        );
        Ok(())
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
            |(main,), _| {
                Box::pin(async move {
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
                })
            },
        )
        .await
    }
}
