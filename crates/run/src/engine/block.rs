//! Blocks of a file run as one unit: a `BEGIN` .. `COMMIT` (and MySQL's `LOCK TABLES` ..
//! `UNLOCK TABLES`) is retried whole from its first statement on a lock timeout, since the
//! timeout aborted (or the undo released) everything the block had done.

use super::super::driver::{Blocker, DbError, Driver};
use super::super::plan::{Prepared, Step};
use super::super::{RunError, retry};
use super::Run;
use sluice_core::sql::ops::TxControl;

/// The index of the `COMMIT` closing the `BEGIN` at `begin`, when the block holds no other
/// transaction control and nothing that cannot run in a transaction block.
pub(crate) fn block_end(p: &Prepared, begin: usize) -> Option<usize> {
    for (k, st) in p.statements.iter().enumerate().skip(begin + 1) {
        match st.tx() {
            Some(TxControl::Commit) => return Some(k),
            Some(_) => return None,
            None if st.external() || matches!(st.step, Step::ConcurrentIndex(..)) => {
                return None;
            }
            None => {}
        }
    }
    None
}

/// How a statement-by-statement block attempt ended badly.
enum BlockError {
    /// Statement `.0` failed; the block was undone.
    Statement(usize, DbError, Vec<Blocker>),
    /// The ledger or the catalog could not be read or written.
    Run(RunError),
}

/// Whether statement `st` ends a block.
fn closes(st: &super::super::plan::Stmt) -> bool {
    matches!(st.tx(), Some(TxControl::Commit | TxControl::Rollback))
        || st.table_lock() == Some(false)
}

/// Whether statement `st` opens a block run statement by statement.
pub(crate) fn opens(st: &super::super::plan::Stmt) -> bool {
    st.tx() == Some(TxControl::Begin) || st.table_lock() == Some(true)
}

/// The statement closing the block opened at `begin`, or the file's last one.
pub(crate) fn stepwise_end(p: &Prepared, begin: usize) -> usize {
    (begin + 1..p.statements.len())
        .find(|&k| closes(&p.statements[k]))
        .unwrap_or(p.statements.len() - 1)
}

impl Run<'_> {
    /// Run statements `begin..=end` of a block the server cannot take in one round trip
    /// (MySQL) one at a time, each with its progress (inside `LOCK TABLES`, where the ledger
    /// is not locked and cannot be written, at its `UNLOCK`). A lock timeout inside undoes
    /// the block (`ROLLBACK` / `UNLOCK TABLES`) and retries it from its first statement.
    /// `uncertain`: statements whose effect is already there (an interrupted run's) are
    /// skipped until one is found not done.
    pub(crate) async fn run_block_stepwise(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        begin: usize,
        end: usize,
        uncertain: &mut bool,
    ) -> Result<(), RunError> {
        let locked = p.statements[begin].table_lock() == Some(true);
        let mut state = (main, mon, uncertain);
        let r = retry::retry(
            &self.settings.retry,
            &mut state,
            |e: &BlockError| matches!(e, BlockError::Statement(_, e, _) if self.db.is_lock_timeout(e)),
            |n, d, e| {
                if let BlockError::Statement(_, e, _) = e {
                    self.backing_off(p, n, d, e, "retrying the transaction block from its BEGIN");
                }
            },
            |(main, mon, uncertain), _| {
                Box::pin(async move {
                    let r = self
                        .block_attempt(&mut **main, &mut **mon, p, begin, end, locked, uncertain)
                        .await;
                    if matches!(r, Err(BlockError::Statement(..))) {
                        let _ = main.exec(if locked { "UNLOCK TABLES" } else { "ROLLBACK" }).await;
                    }
                    r
                })
            },
        )
        .await;
        let (main, ..) = state;
        match r {
            Ok(()) => Ok(()),
            Err(BlockError::Run(e)) => Err(e),
            Err(BlockError::Statement(failed_at, e, blockers)) => {
                // the block was undone: it counts as not started
                let err = if self.db.is_lock_timeout(&e) {
                    self.lock_give_up(p, failed_at, &e, &blockers)
                } else {
                    self.statement_failed(p, failed_at, begin, &e, false)
                };
                Err(self.record_failure(main, p, begin, err).await)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn block_attempt(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        begin: usize,
        end: usize,
        locked: bool,
        uncertain: &mut bool,
    ) -> Result<(), BlockError> {
        for k in begin..=end {
            self.statement_progress(p, k);
            let st = &p.statements[k];
            let skip = if *uncertain && st.tx().is_none() && st.table_lock().is_none() {
                match self
                    .already_done(main, p, k)
                    .await
                    .map_err(BlockError::Run)?
                {
                    Some(true) => true,
                    // not run before: neither are the statements after it
                    Some(false) => {
                        *uncertain = false;
                        false
                    }
                    // cannot tell (an idempotent kind): it runs again, the next one is read
                    None => false,
                }
            } else {
                false
            };
            if !skip {
                let r = if k == begin {
                    // taking the block's lock: retried alone first, nothing to undo yet
                    self.exec_retrying(main, mon, p, k).await
                } else {
                    // inside the block: one attempt; the whole block is the retry unit
                    let (r, blockers) = self.exec_probed(main, mon, &st.sql).await;
                    r.map_err(|e| (e, blockers))
                };
                r.map_err(|(e, blockers)| BlockError::Statement(k, e, blockers))?;
            }
            if !locked || (k == end && closes(st)) {
                main.exec(&self.ledger.progress_sql(&p.version, p.phase, k + 1))
                    .await
                    .map_err(|e| {
                        BlockError::Run(RunError::Db(format!("cannot write the ledger: {e}")))
                    })?;
            }
        }
        Ok(())
    }

    /// Run statements `begin..=end` (a `BEGIN` .. `COMMIT` block of the file) as one
    /// multi-statement query with the ledger's progress inside the transaction; on a lock
    /// timeout it rolls back and the whole block is retried with back-off.
    pub(crate) async fn run_block(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        begin: usize,
        end: usize,
    ) -> Result<(), RunError> {
        let mut sql = String::new();
        for (k, st) in p.statements[begin..end].iter().enumerate() {
            sql.push_str(st.sql.trim_end().trim_end_matches(';'));
            sql.push_str(";\n");
            if k == 0
                && let Some(settings) = self.db.block_settings_sql()
            {
                sql.push_str(settings);
                sql.push_str(";\n");
            }
        }
        sql.push_str(&self.ledger.progress_sql(&p.version, p.phase, end + 1));
        sql.push_str(";\nCOMMIT");
        let sql = &sql;
        let mut conns = (main, mon);
        let r = retry::retry(
            &self.settings.retry,
            &mut conns,
            |(e, _): &(DbError, Vec<Blocker>)| self.db.is_lock_timeout(e),
            |n, d, (e, _)| {
                self.backing_off(p, n, d, e, "retrying the transaction block from its BEGIN");
            },
            |(main, mon), _| {
                Box::pin(async move {
                    for k in begin..=end {
                        self.statement_progress(p, k);
                    }
                    let (r, blockers) = self.exec_probed(&mut **main, &mut **mon, sql).await;
                    if r.is_err() {
                        let _ = main.exec("ROLLBACK").await;
                    }
                    r.map_err(|e| (e, blockers))
                })
            },
        )
        .await;
        let (main, _) = conns;
        let Err((e, blockers)) = r else {
            return Ok(());
        };
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
        Err(self.record_failure(main, p, begin, err).await)
    }
}
