//! The migration lock: one runner at a time per database.
//!
//! PostgreSQL `pg_try_advisory_lock` / MySQL `GET_LOCK(name, 0)`, polled from a dedicated
//! connection that never holds an open transaction: a runner blocked *inside* a transaction
//! would make the holder's `CREATE INDEX CONCURRENTLY` wait for it forever (pg-locks.md,
//! "Advisory locks next to CONCURRENTLY").
//!
//! [`acquire`] then [`release`] (with the run's result) on every path; a panic or a killed
//! process drops the connection, and the server frees a session lock when its session ends.

use std::time::{Duration, Instant};

use super::driver::Driver;
use super::{RunError, retry};

const POLL: Duration = Duration::from_millis(200);

/// Take the lock on `conn`, polling up to `wait`; `waiting` is called once with the holder's
/// session id when the lock is busy.
pub async fn acquire(
    conn: &mut dyn Driver,
    name: &str,
    wait: Duration,
    waiting: &(dyn Fn(Option<i64>) + Send + Sync),
) -> Result<(), RunError> {
    let start = Instant::now();
    let mut announced = false;
    loop {
        if conn.try_lock(name).await.map_err(RunError::db)? {
            tracing::debug!(
                lock = name,
                waited_ms = start.elapsed().as_millis() as u64,
                "lock taken"
            );
            return Ok(());
        }
        let holder = conn.lock_holder(name).await.ok().flatten();
        if !announced {
            waiting(holder);
            tracing::info!(
                lock = name,
                holder,
                "another runner holds the migration lock; waiting"
            );
            announced = true;
        }
        if start.elapsed() >= wait {
            let who = holder.map_or_else(String::new, |p| format!(" (held by session {p})"));
            return Err(RunError::LockWait {
                waited: wait,
                message: format!(
                    "another `migrate` holds the migration lock{who}; waited {}; retry when it has finished, or pass a longer --lock-wait",
                    humantime::format_duration(wait)
                ),
            });
        }
        let jitter = retry::RetryPolicy {
            retries: 1,
            base: POLL,
            max: POLL,
        }
        .delay(1);
        let left = wait.saturating_sub(start.elapsed());
        tokio::time::sleep(jitter.min(left).max(Duration::from_millis(10))).await;
    }
}

/// Once the lock is taken: wait while a statement of an earlier run still runs (a killed
/// runner's session runs it to its end, while its lock, on a session of its own, was freed
/// at once), at most `wait`. Its DDL would otherwise meet this run's: a queue behind it, or a
/// catalog row both update (`tuple concurrently updated`). `ours`: this run's sessions.
pub async fn wait_for_orphans(
    conn: &mut dyn Driver,
    ours: &[i64],
    wait: Duration,
) -> Result<(), RunError> {
    let sql = conn.db().orphan_statements_sql(ours);
    let start = Instant::now();
    let mut announced = false;
    loop {
        let rows = match conn.query_text(&sql).await {
            Ok(rows) => rows,
            Err(e) => {
                // a check the server will not answer does not hold the migration back
                tracing::warn!(error = %e, "cannot look for an earlier run's statements; going on");
                return Ok(());
            }
        };
        let Some(row) = rows.first() else {
            if announced {
                tracing::info!(
                    waited_ms = start.elapsed().as_millis() as u64,
                    "the earlier run's statement ended"
                );
            }
            return Ok(());
        };
        let field = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let (session, secs, head) = (field(0), field(1), field(2));
        if !announced {
            tracing::info!(
                session = %session,
                running_s = %secs,
                statement = %head,
                "a statement of an earlier run still runs; waiting for it to end"
            );
            announced = true;
        }
        if start.elapsed() >= wait {
            return Err(RunError::LockWait {
                waited: wait,
                message: format!(
                    "a statement of an earlier run still runs on the server (session {session}, for {secs} s: `{head}`); waited {}; let it end and run again, or stop it (`{}`) and run again: the ledger says what is left",
                    humantime::format_duration(wait),
                    conn.db().cancel_statement_sql(&session)
                ),
            });
        }
        tokio::time::sleep(
            POLL.min(wait.saturating_sub(start.elapsed()))
                .max(Duration::from_millis(10)),
        )
        .await;
    }
}

/// Release the lock taken on `conn`; `out` is the locked run's result, reported first.
pub async fn release<T>(
    conn: &mut dyn Driver,
    name: &str,
    out: Result<T, RunError>,
) -> Result<T, RunError> {
    let released = conn.unlock(name).await;
    tracing::debug!(lock = name, ok = released.is_ok(), "lock released");
    match (out, released) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(RunError::Db(format!(
            "cannot release the migration lock: {e}"
        ))),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(rel)) => {
            // the run's error is the one to report; the session's end frees the lock
            tracing::warn!(error = %rel, "cannot release the migration lock");
            Err(e)
        }
    }
}
