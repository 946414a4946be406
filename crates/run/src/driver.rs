//! Database drivers: one connection each, over sqlx. PostgreSQL and MySQL/MariaDB.
//!
//! A driver runs text SQL (the simple / text protocol, so any statement the server accepts
//! in a script runs unchanged), reads the ledger, takes the advisory lock and reports
//! blocking sessions. It knows nothing about migrations.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, Row};

use super::ledger::{self, BackfillRow, Event, Ledger, LedgerRow, State};
use super::url::DbUrl;
use sluice_core::sql::Dialect;

/// A database error with what retry and messages need.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    /// SQLSTATE when the server sent one.
    pub sqlstate: Option<String>,
    /// MySQL / MariaDB error number.
    pub number: Option<u16>,
    pub message: String,
}

impl DbError {
    pub fn other(message: impl Into<String>) -> DbError {
        DbError {
            sqlstate: None,
            number: None,
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) => {
                let number = db
                    .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                    .map(|m| m.number());
                let sqlstate = db.code().map(|c| c.into_owned());
                // PostgreSQL's detail names the row at fault (`Key (email)=(x) is duplicated.`)
                let detail = db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .and_then(|p| p.detail())
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                let message = match (&number, &sqlstate) {
                    (Some(n), _) => format!("{} (MySQL error {n})", db.message()),
                    (None, Some(s)) => format!("{}{detail} (SQLSTATE {s})", db.message()),
                    _ => db.message().to_owned(),
                };
                DbError {
                    sqlstate,
                    number,
                    message,
                }
            }
            _ => DbError::other(e.to_string()),
        }
    }
}

/// A session that blocks (or may block) a migration statement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Blocker {
    pub pid: i64,
    pub state: String,
    /// Age of its open transaction, seconds.
    pub xact_age_s: Option<f64>,
    pub query_start: Option<String>,
    /// Its current or last query, truncated.
    pub query: String,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} ({}", self.pid, self.state)?;
        if let Some(a) = self.xact_age_s {
            write!(f, ", transaction open {a:.1}s")?;
        }
        if let Some(q) = &self.query_start {
            write!(f, ", query started {q}")?;
        }
        write!(f, "): {}", self.query.replace('\n', " "))
    }
}

type Fut<'a, T> = std::pin::Pin<Box<dyn Future<Output = Result<T, DbError>> + Send + 'a>>;

/// One database connection.
pub trait Driver: Send {
    fn backend(&self) -> Dialect;
    /// The server's id for this session (PG backend pid, MySQL connection id).
    fn session_id(&self) -> i64;
    /// Run one statement (or a few separated by `;` on PostgreSQL) with the text protocol.
    fn exec<'a>(&'a mut self, sql: &'a str) -> Fut<'a, ()>;
    fn ledger_exists<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, bool>;
    fn read_rows<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<LedgerRow>>;
    fn read_events<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<Event>>;
    /// Try the advisory lock once; true when taken.
    fn try_lock<'a>(&'a mut self, name: &'a str) -> Fut<'a, bool>;
    fn unlock<'a>(&'a mut self, name: &'a str) -> Fut<'a, ()>;
    /// The session holding the advisory lock, when the server can tell.
    fn lock_holder<'a>(&'a mut self, name: &'a str) -> Fut<'a, Option<i64>>;
    /// Sessions blocking `session` right now (PG), or holding open transactions (MySQL).
    fn blockers(&mut self, session: i64) -> Fut<'_, Vec<Blocker>>;
    /// Sessions whose transaction has been open longer than `age` (they block DDL and
    /// make CONCURRENTLY wait).
    fn long_transactions(&mut self, age: Duration) -> Fut<'_, Vec<Blocker>>;
    /// Whether `qualified` (a quoted, maybe schema-qualified name) is an INVALID index.
    fn invalid_index<'a>(&'a mut self, qualified: &'a str) -> Fut<'a, bool> {
        let _ = qualified;
        Box::pin(async { Ok(false) })
    }
    fn close(self: Box<Self>) -> Fut<'static, ()>;
    /// Run one statement; the number of rows it changed.
    fn exec_count<'a>(&'a mut self, sql: &'a str) -> Fut<'a, u64>;
    /// Rows of a query whose columns are all text (cast them in the SQL); NULL is `None`.
    fn query_text<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Vec<Vec<Option<String>>>>;
    /// The backfill ledger, or `None` when its table does not exist (yet).
    fn read_backfills<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Option<Vec<BackfillRow>>>;
    /// The largest replication lag of the replicas this server knows, or `None` when it
    /// knows none. PostgreSQL: `pg_stat_replication` on the primary. MySQL/MariaDB: the
    /// lag of this server as a replica (`SHOW ALL SLAVES STATUS`), so call it on replicas.
    fn replication_lag(&mut self) -> Fut<'_, Option<Duration>>;

    fn begin(&mut self) -> Fut<'_, ()> {
        self.exec("BEGIN")
    }
    fn commit(&mut self) -> Fut<'_, ()> {
        self.exec("COMMIT")
    }
    fn rollback(&mut self) -> Fut<'_, ()> {
        self.exec("ROLLBACK")
    }
}

/// The statement that tries the migration lock (for `--dry-run`).
pub fn lock_sql(backend: Dialect, name: &str) -> String {
    match backend {
        Dialect::Postgres => format!("SELECT pg_try_advisory_lock({})", pg_key(name)),
        Dialect::Mysql => format!("SELECT GET_LOCK({}, 0)", my_lock_expr(name)),
    }
}

/// Session settings the runner sends before any migration statement.
pub fn session_settings(
    backend: Dialect,
    lock_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> Vec<String> {
    match backend {
        Dialect::Postgres => vec![
            format!("SET lock_timeout = '{}ms'", lock_timeout.as_millis().max(1)),
            format!(
                "SET statement_timeout = '{}ms'",
                statement_timeout.map_or(0, |d| d.as_millis().max(1))
            ),
        ],
        Dialect::Mysql => {
            // whole seconds, at least 1: the server's unit
            let secs = lock_timeout.as_secs_f64().ceil().max(1.0) as u64;
            let mut v = vec![
                format!("SET SESSION lock_wait_timeout = {secs}"),
                format!("SET SESSION innodb_lock_wait_timeout = {secs}"),
            ];
            if let Some(t) = statement_timeout {
                // MariaDB's name; MySQL's max_execution_time covers SELECT only
                v.push(format!(
                    "SET SESSION max_statement_time = {}",
                    t.as_secs_f64()
                ));
            }
            v
        }
    }
}

/// Connect to the URL's server.
pub async fn connect(url: &DbUrl) -> Result<Box<dyn Driver>, DbError> {
    let wrap = |e: sqlx::Error| {
        let e = DbError::from(e);
        DbError::other(format!(
            "cannot connect to {url}: {}",
            url.scrub(&e.message)
        ))
    };
    match url.dialect() {
        Dialect::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url.secret())
                .await
                .map_err(wrap)?;
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut conn)
                .await?;
            Ok(Box::new(Pg {
                conn,
                pid: i64::from(pid),
            }))
        }
        Dialect::Mysql => {
            let mut conn = sqlx::MySqlConnection::connect(url.secret())
                .await
                .map_err(wrap)?;
            let id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
                .fetch_one(&mut conn)
                .await?;
            Ok(Box::new(My { conn, id }))
        }
    }
}

fn parse_row_parts(
    phase: &str,
    state: &str,
) -> Result<(sluice_core::source::Phase, State), DbError> {
    let p = ledger::parse_phase(phase)
        .ok_or_else(|| DbError::other(format!("ledger row with unknown phase `{phase}`")))?;
    let s = State::parse(state)
        .ok_or_else(|| DbError::other(format!("ledger row with unknown state `{state}`")))?;
    Ok((p, s))
}

macro_rules! decode_ledger_row {
    ($row:expr) => {{
        let row = $row;
        let phase: String = row.try_get("phase")?;
        let state: String = row.try_get("state")?;
        let (phase, state) = parse_row_parts(&phase, &state)?;
        LedgerRow {
            version: row.try_get("version")?,
            phase,
            name: row.try_get("name")?,
            checksum: row.try_get("checksum")?,
            state,
            statements_done: row.try_get("statements_done")?,
            statements_total: row.try_get("statements_total")?,
            started_at: row.try_get::<Option<DateTime<Utc>>, _>("started_at")?,
            finished_at: row.try_get::<Option<DateTime<Utc>>, _>("finished_at")?,
            duration_ms: row.try_get("duration_ms")?,
            down_sql: row.try_get("down_sql")?,
            release: row.try_get("release_id")?,
            applied_by: row.try_get("applied_by")?,
            error: row.try_get("error")?,
        }
    }};
}

macro_rules! decode_backfill_row {
    ($row:expr) => {{
        let row = $row;
        let state: String = row.try_get("state")?;
        let state = State::parse(&state).ok_or_else(|| {
            DbError::other(format!("backfill ledger row with unknown state `{state}`"))
        })?;
        BackfillRow {
            version: row.try_get("version")?,
            name: row.try_get("name")?,
            checksum: row.try_get("checksum")?,
            state,
            last_key: row.try_get("last_key")?,
            rows_done: row.try_get("rows_done")?,
            batches: row.try_get("batches")?,
            batch_size: row.try_get("batch_size")?,
            started_at: row.try_get::<Option<DateTime<Utc>>, _>("started_at")?,
            finished_at: row.try_get::<Option<DateTime<Utc>>, _>("finished_at")?,
            duration_ms: row.try_get("duration_ms")?,
            applied_by: row.try_get("applied_by")?,
            error: row.try_get("error")?,
        }
    }};
}

/// Every column of every row as text.
fn text_rows<R: Row>(rows: &[R]) -> Result<Vec<Vec<Option<String>>>, DbError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut cols = Vec::with_capacity(r.len());
        for i in 0..r.len() {
            cols.push(r.try_get::<Option<String>, _>(i)?);
        }
        out.push(cols);
    }
    Ok(out)
}

macro_rules! decode_event {
    ($row:expr) => {{
        let row = $row;
        Event {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            version: row.try_get("version")?,
            phase: row.try_get("phase")?,
            release: row.try_get("release_id")?,
            detail: row.try_get("detail")?,
            source: row.try_get("source")?,
            at: row.try_get("at")?,
        }
    }};
}

struct Pg {
    conn: sqlx::PgConnection,
    pid: i64,
}

/// The advisory lock key: a stable 64-bit hash of the lock name.
fn pg_key(name: &str) -> i64 {
    let d = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

impl Driver for Pg {
    fn backend(&self) -> Dialect {
        Dialect::Postgres
    }

    fn session_id(&self) -> i64 {
        self.pid
    }

    fn exec<'a>(&'a mut self, sql: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            self.conn.execute(sqlx::raw_sql(sql)).await?;
            Ok(())
        })
    }

    fn ledger_exists<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, bool> {
        Box::pin(async move {
            let name = ledger.lit(&ledger.history());
            let sql = format!(
                "SELECT to_regclass({name}) IS NOT NULL AND to_regclass({}) IS NOT NULL",
                ledger.lit(&ledger.events())
            );
            Ok(sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?)
        })
    }

    fn read_rows<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<LedgerRow>> {
        Box::pin(async move {
            let rows = sqlx::query(&ledger.select_rows_sql())
                .fetch_all(&mut self.conn)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(decode_ledger_row!(r));
            }
            Ok(out)
        })
    }

    fn read_events<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<Event>> {
        Box::pin(async move {
            let rows = sqlx::query(&ledger.select_events_sql())
                .fetch_all(&mut self.conn)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(decode_event!(r));
            }
            Ok(out)
        })
    }

    fn try_lock<'a>(&'a mut self, name: &'a str) -> Fut<'a, bool> {
        Box::pin(async move {
            let sql = format!("SELECT pg_try_advisory_lock({})", pg_key(name));
            Ok(sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?)
        })
    }

    fn unlock<'a>(&'a mut self, name: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            let sql = format!("SELECT pg_advisory_unlock({})", pg_key(name));
            let released: bool = sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?;
            if released {
                Ok(())
            } else {
                Err(DbError::other(
                    "the migration lock was not held by this session",
                ))
            }
        })
    }

    fn lock_holder<'a>(&'a mut self, name: &'a str) -> Fut<'a, Option<i64>> {
        Box::pin(async move {
            let k = pg_key(name) as u64;
            let sql = format!(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = {} AND objid = {} AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
                k >> 32,
                k & 0xffff_ffff
            );
            let pid: Option<i32> = sqlx::query_scalar(&sql)
                .fetch_optional(&mut self.conn)
                .await?;
            Ok(pid.map(i64::from))
        })
    }

    fn blockers(&mut self, session: i64) -> Fut<'_, Vec<Blocker>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT pid, coalesce(state, ''), extract(epoch FROM clock_timestamp() - xact_start)::float8, to_char(query_start, 'YYYY-MM-DD HH24:MI:SS TZ'), left(coalesce(query, ''), 200) FROM pg_stat_activity WHERE pid = ANY (pg_blocking_pids({session})) ORDER BY pid"
            );
            pg_sessions(&mut self.conn, &sql).await
        })
    }

    fn long_transactions(&mut self, age: Duration) -> Fut<'_, Vec<Blocker>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT pid, coalesce(state, ''), extract(epoch FROM clock_timestamp() - xact_start)::float8, to_char(query_start, 'YYYY-MM-DD HH24:MI:SS TZ'), left(coalesce(query, ''), 200) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start < clock_timestamp() - interval '{} milliseconds' ORDER BY xact_start",
                age.as_millis()
            );
            pg_sessions(&mut self.conn, &sql).await
        })
    }

    fn invalid_index<'a>(&'a mut self, qualified: &'a str) -> Fut<'a, bool> {
        Box::pin(async move {
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass({}) AND NOT indisvalid)",
                sluice_core::sql::quote::literal(Dialect::Postgres, qualified)
            );
            Ok(sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?)
        })
    }

    fn exec_count<'a>(&'a mut self, sql: &'a str) -> Fut<'a, u64> {
        Box::pin(async move {
            let r = self.conn.execute(sqlx::raw_sql(sql)).await?;
            Ok(r.rows_affected())
        })
    }

    fn query_text<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Vec<Vec<Option<String>>>> {
        Box::pin(async move {
            let rows = self.conn.fetch_all(sqlx::raw_sql(sql)).await?;
            text_rows(&rows)
        })
    }

    fn read_backfills<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Option<Vec<BackfillRow>>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT to_regclass({}) IS NOT NULL",
                ledger.lit(&ledger.backfills())
            );
            let exists: bool = sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?;
            if !exists {
                return Ok(None);
            }
            let rows = sqlx::query(&ledger.select_backfills_sql())
                .fetch_all(&mut self.conn)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(decode_backfill_row!(r));
            }
            Ok(Some(out))
        })
    }

    fn replication_lag(&mut self) -> Fut<'_, Option<Duration>> {
        Box::pin(async move {
            // replay_lag is NULL for a replica that is idle and caught up
            let (n, lag): (i64, f64) = sqlx::query_as(
                "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM max(replay_lag)), 0)::float8 FROM pg_stat_replication",
            )
            .fetch_one(&mut self.conn)
            .await?;
            Ok((n > 0).then(|| Duration::from_secs_f64(lag.max(0.0))))
        })
    }

    fn close(self: Box<Self>) -> Fut<'static, ()> {
        Box::pin(async move {
            self.conn.close().await?;
            Ok(())
        })
    }
}

async fn pg_sessions(conn: &mut sqlx::PgConnection, sql: &str) -> Result<Vec<Blocker>, DbError> {
    let rows = sqlx::query(sql).fetch_all(conn).await?;
    let mut out = Vec::new();
    for r in &rows {
        out.push(Blocker {
            pid: i64::from(r.try_get::<i32, _>(0)?),
            state: r.try_get(1)?,
            xact_age_s: r.try_get(2)?,
            query_start: r.try_get(3)?,
            query: r.try_get(4)?,
        });
    }
    Ok(out)
}

struct My {
    conn: sqlx::MySqlConnection,
    id: i64,
}

/// GET_LOCK names are server-wide: qualify by database; at most 64 characters.
fn my_lock_expr(name: &str) -> String {
    format!(
        "LEFT(CONCAT({}, ':', IFNULL(DATABASE(), '')), 64)",
        sluice_core::sql::quote::literal(Dialect::Mysql, name)
    )
}

impl Driver for My {
    fn backend(&self) -> Dialect {
        Dialect::Mysql
    }

    fn session_id(&self) -> i64 {
        self.id
    }

    fn exec<'a>(&'a mut self, sql: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            self.conn.execute(sqlx::raw_sql(sql)).await?;
            Ok(())
        })
    }

    fn ledger_exists<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, bool> {
        Box::pin(async move {
            let schema = ledger
                .schema
                .as_deref()
                .map_or_else(|| "DATABASE()".to_owned(), |s| ledger.lit(s));
            let sql = format!(
                "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {schema} AND TABLE_NAME IN ({}, {})",
                ledger.lit(&ledger.table),
                ledger.lit(&ledger.events_table())
            );
            let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?;
            Ok(n == 2)
        })
    }

    fn read_rows<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<LedgerRow>> {
        Box::pin(async move {
            let rows = sqlx::query(&ledger.select_rows_sql())
                .fetch_all(&mut self.conn)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(decode_ledger_row!(r));
            }
            Ok(out)
        })
    }

    fn read_events<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<Event>> {
        Box::pin(async move {
            let rows = sqlx::query(&ledger.select_events_sql())
                .fetch_all(&mut self.conn)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(decode_event!(r));
            }
            Ok(out)
        })
    }

    fn try_lock<'a>(&'a mut self, name: &'a str) -> Fut<'a, bool> {
        Box::pin(async move {
            let sql = format!("SELECT CAST(GET_LOCK({}, 0) AS SIGNED)", my_lock_expr(name));
            let got: Option<i64> = sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?;
            Ok(got == Some(1))
        })
    }

    fn unlock<'a>(&'a mut self, name: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            let sql = format!(
                "SELECT CAST(RELEASE_LOCK({}) AS SIGNED)",
                my_lock_expr(name)
            );
            let released: Option<i64> = sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?;
            if released == Some(1) {
                Ok(())
            } else {
                Err(DbError::other(
                    "the migration lock was not held by this session",
                ))
            }
        })
    }

    fn lock_holder<'a>(&'a mut self, name: &'a str) -> Fut<'a, Option<i64>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT CAST(IS_USED_LOCK({}) AS SIGNED)",
                my_lock_expr(name)
            );
            Ok(sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?)
        })
    }

    fn blockers(&mut self, session: i64) -> Fut<'_, Vec<Blocker>> {
        // MySQL has no pg_blocking_pids: metadata locks are held by open transactions, so
        // name the sessions with one (InnoDB's view), other than ours.
        Box::pin(async move {
            let sql = format!(
                "SELECT CAST(p.ID AS SIGNED), CONCAT(COALESCE(p.COMMAND, ''), IF(p.STATE IS NULL OR p.STATE = '', '', CONCAT(', ', p.STATE))), CAST(TIMESTAMPDIFF(MICROSECOND, t.trx_started, NOW(6)) / 1000000 AS DOUBLE), CAST(t.trx_started AS CHAR), LEFT(COALESCE(p.INFO, ''), 200) FROM information_schema.PROCESSLIST p JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID WHERE p.ID <> {session} AND p.ID <> CONNECTION_ID() ORDER BY p.ID"
            );
            my_sessions(&mut self.conn, &sql).await
        })
    }

    fn long_transactions(&mut self, age: Duration) -> Fut<'_, Vec<Blocker>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT CAST(p.ID AS SIGNED), CONCAT(COALESCE(p.COMMAND, ''), IF(p.STATE IS NULL OR p.STATE = '', '', CONCAT(', ', p.STATE))), CAST(TIMESTAMPDIFF(MICROSECOND, t.trx_started, NOW(6)) / 1000000 AS DOUBLE), CAST(t.trx_started AS CHAR), LEFT(COALESCE(p.INFO, ''), 200) FROM information_schema.PROCESSLIST p JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID WHERE p.ID <> CONNECTION_ID() AND t.trx_started < NOW(6) - INTERVAL {} MICROSECOND ORDER BY t.trx_started",
                age.as_micros()
            );
            my_sessions(&mut self.conn, &sql).await
        })
    }

    fn exec_count<'a>(&'a mut self, sql: &'a str) -> Fut<'a, u64> {
        Box::pin(async move {
            let r = self.conn.execute(sqlx::raw_sql(sql)).await?;
            Ok(r.rows_affected())
        })
    }

    fn query_text<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Vec<Vec<Option<String>>>> {
        Box::pin(async move {
            let rows = self.conn.fetch_all(sqlx::raw_sql(sql)).await?;
            text_rows(&rows)
        })
    }

    fn read_backfills<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Option<Vec<BackfillRow>>> {
        Box::pin(async move {
            let schema = ledger
                .schema
                .as_deref()
                .map_or_else(|| "DATABASE()".to_owned(), |s| ledger.lit(s));
            let sql = format!(
                "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {schema} AND TABLE_NAME = {}",
                ledger.lit(&ledger.backfill_table())
            );
            let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut self.conn).await?;
            if n == 0 {
                return Ok(None);
            }
            let rows = sqlx::query(&ledger.select_backfills_sql())
                .fetch_all(&mut self.conn)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(decode_backfill_row!(r));
            }
            Ok(Some(out))
        })
    }

    fn replication_lag(&mut self) -> Fut<'_, Option<Duration>> {
        Box::pin(async move {
            // MariaDB lists every source connection; MySQL 8.4 dropped the old spellings
            let rows = match self
                .conn
                .fetch_all(sqlx::raw_sql("SHOW ALL SLAVES STATUS"))
                .await
            {
                Ok(r) => r,
                Err(_) => match self
                    .conn
                    .fetch_all(sqlx::raw_sql("SHOW REPLICA STATUS"))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => {
                        self.conn
                            .fetch_all(sqlx::raw_sql("SHOW SLAVE STATUS"))
                            .await?
                    }
                },
            };
            let mut lag: Option<Duration> = None;
            for r in &rows {
                let secs = ["Seconds_Behind_Master", "Seconds_Behind_Source"]
                    .iter()
                    .find_map(|c| {
                        r.try_get::<Option<u64>, _>(*c).ok().or_else(|| {
                            r.try_get::<Option<i64>, _>(*c)
                                .ok()
                                .map(|v| v.map(|v| v.max(0) as u64))
                        })
                    });
                // NULL: replication stopped or broken; counts as lagging without bound
                let d = match secs {
                    Some(Some(s)) => Duration::from_secs(s),
                    _ => Duration::MAX,
                };
                lag = Some(lag.map_or(d, |l| l.max(d)));
            }
            Ok(lag)
        })
    }

    fn close(self: Box<Self>) -> Fut<'static, ()> {
        Box::pin(async move {
            self.conn.close().await?;
            Ok(())
        })
    }
}

async fn my_sessions(conn: &mut sqlx::MySqlConnection, sql: &str) -> Result<Vec<Blocker>, DbError> {
    let rows = sqlx::query(sql).fetch_all(conn).await?;
    let mut out = Vec::new();
    for r in &rows {
        out.push(Blocker {
            pid: r.try_get(0)?,
            state: r.try_get(1)?,
            xact_age_s: r.try_get(2)?,
            query_start: r.try_get(3)?,
            query: r.try_get(4)?,
        });
    }
    Ok(out)
}
