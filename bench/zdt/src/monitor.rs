//! What the migration holds while it runs, sampled every few milliseconds on a connection of
//! its own: its longest open transaction (or statement) and the lock waits, who waited on
//! whom and for how long (the *lock sampler*). It also records what else an application query
//! waited for (blocker `server`: PostgreSQL's wait event such as `LWLock:WALWrite`, MySQL's
//! `Waiting for ..` thread state), which is where a stall goes when no row lock explains it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::db::{Engine, LOAD_APP, Opts};

/// How often both samples are taken.
const EVERY: Duration = Duration::from_millis(5);

/// One kind of lock wait seen by the sampler: a waiter (`load` or `migration`) blocked by a
/// session (`load` or `migration`) whose current or last statement starts with `blocker_sql`
/// (numbers replaced by `N`; `idle in transaction` when it sat between statements); or
/// waiting on `server`: `blocker_sql` is then PostgreSQL's wait event or MySQL's thread state
/// (`Waiting for table metadata lock`: behind a DDL statement).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LockWait {
    pub waiter: String,
    pub blocker: String,
    pub blocker_sql: String,
    /// The longest the waiter had been waiting when sampled (its statement's age).
    pub max_wait_ms: f64,
    /// Samples that saw such a wait (a wait of 20 ms shows in about 4).
    pub samples: u64,
}

/// Samples the longest open transaction (PostgreSQL) or running statement (MySQL, whose
/// process list has no transaction start) of anyone but the load and this monitor: the
/// migration's (a naive statement, a Sluice batch or phase, pt-online-schema-change's chunks);
/// and the lock waits of everyone but the monitor.
pub struct XactMonitor {
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<(f64, Vec<LockWait>)>,
}

fn longest_sql(engine: Engine) -> String {
    match engine {
        Engine::Postgres => format!(
            "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float8 * 1000
             FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND backend_type = 'client backend' AND xact_start IS NOT NULL
               AND application_name NOT IN ('{LOAD_APP}', 'zdt-monitor')
               AND query NOT ILIKE 'vacuum%'"
        ),
        Engine::Mysql => format!(
            "SELECT CAST(COALESCE(MAX(TIME_MS), 0) AS DOUBLE) FROM information_schema.PROCESSLIST
             WHERE DB = DATABASE() AND ID <> CONNECTION_ID()
               AND COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump')
               AND COALESCE(INFO, '') NOT LIKE '%{LOAD_APP}%'"
        ),
    }
}

/// Rows of (waiter, blocker, blocker's statement, wait ms as text).
fn waits_sql(engine: Engine) -> String {
    match engine {
        Engine::Postgres => format!(
            "SELECT CASE WHEN w.application_name = '{LOAD_APP}' THEN 'load' ELSE 'migration' END,
                    CASE WHEN b.application_name = '{LOAD_APP}' THEN 'load' ELSE 'migration' END,
                    CASE WHEN b.state = 'idle in transaction' THEN 'idle in transaction after: ' ELSE '' END
                      || left(regexp_replace(regexp_replace(coalesce(b.query, ''), '\\s+', ' ', 'g'), '[0-9]+', 'N', 'g'), 48),
                    (extract(epoch FROM clock_timestamp() - w.query_start) * 1000)::float8::text
             FROM pg_stat_activity w
             CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
             JOIN pg_stat_activity b ON b.pid = bp.pid
             WHERE w.datname = current_database() AND w.wait_event_type = 'Lock'
             UNION ALL
             SELECT 'load', 'server', w.wait_event_type || ':' || w.wait_event,
                    (extract(epoch FROM clock_timestamp() - w.query_start) * 1000)::float8::text
             FROM pg_stat_activity w
             WHERE w.datname = current_database() AND w.application_name = '{LOAD_APP}'
               AND w.state = 'active'
               AND w.wait_event_type NOT IN ('Lock', 'Client', 'Activity')"
        ),
        Engine::Mysql => format!(
            "SELECT IF(COALESCE(pr.INFO, '') LIKE '%{LOAD_APP}%', 'load', 'migration'),
                    IF(COALESCE(b.trx_query, '') LIKE '%{LOAD_APP}%', 'load', 'migration'),
                    COALESCE(LEFT(REGEXP_REPLACE(REGEXP_REPLACE(b.trx_query, '\\\\s+', ' '), '[0-9]+', 'N'), 48), 'idle in transaction'),
                    CAST(pr.TIME_MS AS CHAR)
             FROM information_schema.INNODB_LOCK_WAITS w
             JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
             JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
             JOIN information_schema.PROCESSLIST pr ON pr.ID = r.trx_mysql_thread_id
             UNION ALL
             SELECT 'load', 'server', LEFT(STATE, 48), CAST(TIME_MS AS CHAR)
             FROM information_schema.PROCESSLIST
             WHERE DB = DATABASE() AND COALESCE(INFO, '') LIKE '%{LOAD_APP}%'
               AND STATE LIKE 'Waiting for%'"
        ),
    }
}

/// Adds one sample's rows to the per-kind maxima.
fn add(seen: &mut BTreeMap<(String, String, String), (f64, u64)>, rows: Vec<Vec<String>>) {
    for r in rows {
        let [waiter, blocker, sql, ms]: [String; 4] = match r.try_into() {
            Ok(a) => a,
            Err(_) => continue,
        };
        let ms: f64 = ms.parse().unwrap_or(0.0);
        let e = seen.entry((waiter, blocker, sql)).or_insert((0.0, 0));
        e.0 = e.0.max(ms);
        e.1 += 1;
    }
}

fn collect(seen: BTreeMap<(String, String, String), (f64, u64)>) -> Vec<LockWait> {
    let mut v: Vec<LockWait> = seen
        .into_iter()
        .map(
            |((waiter, blocker, blocker_sql), (max_wait_ms, samples))| LockWait {
                waiter,
                blocker,
                blocker_sql,
                max_wait_ms,
                samples,
            },
        )
        .collect();
    v.sort_by(|a, b| b.max_wait_ms.total_cmp(&a.max_wait_ms));
    v
}

impl XactMonitor {
    pub async fn start(opts: &Opts) -> anyhow::Result<XactMonitor> {
        let mut conn = opts.named("zdt-monitor").connect().await?;
        let longest_q = longest_sql(opts.engine());
        let waits_q = waits_sql(opts.engine());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = tokio::spawn(async move {
            let mut longest = 0.0f64;
            let mut seen = BTreeMap::new();
            while !flag.load(Ordering::SeqCst) {
                if let Ok(v) = conn.float(&longest_q).await {
                    longest = longest.max(v);
                }
                if let Ok(rows) = conn.texts(&waits_q).await {
                    add(&mut seen, rows);
                }
                tokio::time::sleep(EVERY).await;
            }
            conn.close().await;
            (longest, collect(seen))
        });
        Ok(XactMonitor { stop, handle })
    }

    /// The longest migration transaction (ms) and the lock waits seen, longest first.
    pub async fn finish(self) -> (f64, Vec<LockWait>) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.await.unwrap_or((0.0, Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_kept_per_kind_with_their_maximum() {
        let row = |w: &str, b: &str, s: &str, ms: &str| {
            vec![w.to_owned(), b.to_owned(), s.to_owned(), ms.to_owned()]
        };
        let mut seen = BTreeMap::new();
        add(
            &mut seen,
            vec![
                row("load", "migration", "UPDATE t", "3.5"),
                row("load", "migration", "UPDATE t", "12"),
                row("migration", "load", "UPDATE x", "1"),
                vec!["short".into()],
            ],
        );
        add(&mut seen, vec![row("load", "migration", "UPDATE t", "7")]);
        let v = collect(seen);
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].max_wait_ms, v[0].samples), (12.0, 3));
        assert_eq!((v[1].waiter.as_str(), v[1].samples), ("migration", 1));
    }
}
