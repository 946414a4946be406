//! The databases the runner talks to: PostgreSQL (`pg.rs`) and MySQL/MariaDB (`mysql.rs`).
//!
//! Two traits answer "how does this database do X" once per database, so code outside
//! this module never branches on the dialect (except to pick a strategy family):
//!
//! - [`Database`]: what the runner writes, without a connection: ledger DDL, the lock and
//!   session statements, quoting, the error classes, the capabilities (transactional DDL,
//!   several statements in one round trip). `--dry-run` prints these texts.
//! - [`Driver`]: one live connection over sqlx: text SQL (the simple / text protocol, so any
//!   statement the server accepts in a script runs unchanged), ledger reads, the advisory
//!   lock, blocking sessions, replication lag. It knows nothing about migrations.

use std::future::Future;
use std::time::Duration;

use sqlx::{Connection, Row};

use super::ledger::{self, BackfillRow, Event, Ledger, LedgerRow, State};
use super::url::DbUrl;
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::quote;

/// A schema object whose existence the runner asks about.
#[derive(Debug, Clone, Copy)]
pub enum CatalogObject<'a> {
    Table(&'a ObjName),
    Column(&'a ObjName, &'a str),
    Index(&'a ObjName, &'a str),
    Constraint(&'a ObjName, &'a str),
    /// MySQL's `DROP TRIGGER` does not name the table.
    Trigger(Option<&'a ObjName>, &'a str),
}

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

pub(crate) type Fut<'a, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, DbError>> + Send + 'a>>;

/// A server's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerVersion {
    pub mariadb: bool,
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
}

/// A table's size as the server's statistics see it (see `facts` for the rule that turns
/// it into a row count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStats {
    /// The planner's row estimate; `None` when the table was never analyzed.
    pub estimate: Option<u64>,
    /// Bytes on disk (heap / data), for never-analyzed tables.
    pub bytes: u64,
}

/// The log a backfill writes against what the server takes before every commit slows.
#[derive(Debug, Clone, Copy)]
pub struct FillLog {
    /// Bytes of log the server takes before that, as text.
    pub room_sql: &'static str,
    /// Log written per byte of a table's data when every row is updated once (measured).
    pub per_table_byte: u64,
    /// The log's name (`WAL`, `redo`).
    pub log: &'static str,
    /// What happens past the room.
    pub past_room: &'static str,
    /// The settings that make room for `bytes` of log.
    pub fix: fn(bytes: u64) -> String,
}

/// Bytes as whole MB, rounded up.
pub fn mb(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// A column of a live table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveColumn {
    /// As stored (case kept).
    pub name: String,
    /// PostgreSQL `format_type`; MySQL `COLUMN_TYPE` (`int(11)`, `varchar(50)`).
    pub column_type: String,
    /// MySQL `DATA_TYPE` (`int`, `varchar`); PostgreSQL the same as `column_type`.
    pub data_type: String,
    pub charset: Option<String>,
    /// MySQL `COLLATION_NAME`.
    pub collation: Option<String>,
    pub not_null: bool,
    /// A generated (computed) column.
    pub generated: bool,
    /// The index holding it, if any (MariaDB drops an indexed column in place, not
    /// instantly, and rebuilds its indexes for a collation change).
    pub indexed: sluice_lint::mysql::Indexed,
}

/// One database connection.
pub trait Driver: Send {
    /// The database this connection talks to.
    fn db(&self) -> &'static dyn Database;
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

    /// The server's version.
    fn server_version(&mut self) -> Fut<'_, ServerVersion>;
    /// The connection's database (schema on MySQL).
    fn current_database(&mut self) -> Fut<'_, String>;
    /// `t`'s statistics; `None` when it does not exist.
    fn table_stats<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Option<TableStats>>;
    /// `count(*)` of `t` (the caller makes sure it is small).
    fn count_rows<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, u64>;
    /// `t`'s columns in order; none when it does not exist.
    fn columns<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<LiveColumn>>;
    /// `t`'s primary key columns in key order; empty: none.
    fn primary_key<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>>;
    /// Foreign keys of other tables that reference `t`, as `table.constraint`, sorted.
    fn referencing<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>>;
    /// `t`'s foreign keys that reference `t` itself and refuse a delete of a referenced row
    /// (`NO ACTION`, `RESTRICT`), sorted.
    fn self_references<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>>;
    /// `t`'s default character set and collation (MySQL), lower case.
    fn table_defaults<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Option<(String, String)>> {
        let _ = t;
        Box::pin(async { Ok(None) })
    }
    /// Why a shadow-table copy of `t` would not be faithful (PostgreSQL: inbound foreign
    /// keys, dependent views, user triggers, policies, partitioning), sorted.
    fn copy_refusals<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        let _ = t;
        Box::pin(async { Ok(Vec::new()) })
    }
    /// The server offers extension `name` (PostgreSQL).
    fn extension_available<'a>(&'a mut self, name: &'a str) -> Fut<'a, bool> {
        let _ = name;
        Box::pin(async { Ok(false) })
    }

    /// A dry run's record of what would be sent ([`Transcript`]); `None` on a live
    /// connection.
    fn transcript(&mut self) -> Option<&mut Vec<String>> {
        None
    }

    /// What a [`Transcript`] recorded (taken); nothing on a plain connection.
    fn take_sent(&mut self) -> Vec<String> {
        Vec::new()
    }

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

/// One database family's spelling of what the runner sends, and its capabilities. Static:
/// no connection (`--dry-run` prints these texts without running them).
pub trait Database: std::fmt::Debug + Send + Sync {
    fn dialect(&self) -> Dialect;

    /// A query returning one text row when the object exists (valid indexes only), for
    /// telling whether a statement already took effect (`resume`).
    fn exists_sql(&self, o: &CatalogObject<'_>) -> String;

    /// A scratch database (`migrate verify`) made, one statement each.
    fn create_scratch_database_sql(&self, name: &str) -> Vec<String>;

    /// Dropping a database, the best form first (the next ones for servers that do not
    /// know it).
    fn drop_database_sql(&self, name: &str) -> Vec<String>;

    /// Lint's server settings (`server_version` in lint's encoding, MariaDB or not) for
    /// the live server; an unknown version (major 0) leaves the configured one.
    fn lint_server(&self, server: &ServerVersion, settings: &mut sluice_lint::LintSettings);

    /// An identifier, always quoted (exact whatever it holds).
    fn ident(&self, name: &str) -> String {
        quote::ident(self.dialect(), name)
    }

    /// A table's name, each part quoted as [`Database::ident`] does.
    fn qualified(&self, t: &ObjName) -> String {
        match &t.schema {
            Some(s) => format!("{}.{}", self.ident(s), self.ident(&t.name)),
            None => self.ident(&t.name),
        }
    }

    /// A string literal that reads back as `s` whatever the server's escaping settings.
    fn literal(&self, s: &str) -> String {
        quote::literal(self.dialect(), s)
    }

    /// The database clock, advancing within a transaction (timestamps order events).
    fn now(&self) -> &'static str;

    /// `CREATE SCHEMA` (PostgreSQL) / `CREATE DATABASE` (MySQL) for the ledger's schema.
    fn create_schema_sql(&self, schema: &str) -> String;

    /// The history and events tables (quoted, qualified names given).
    fn ledger_ddl(&self, history: &str, events: &str) -> [String; 2];

    /// The backfill table.
    fn backfill_ledger_ddl(&self, table: &str) -> String;

    /// The statement that tries the migration lock once (shown by `--dry-run`).
    fn try_lock_sql(&self, name: &str) -> String;

    /// Session settings the runner sends before any migration statement.
    fn session_settings(
        &self,
        lock_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Vec<String>;

    /// One row written whatever is there: inserted, or its non-key columns overwritten where
    /// a row with its `key` exists. One statement, so writers of different keys never
    /// deadlock (InnoDB's gap locks do make a `DELETE` + `INSERT` pair deadlock).
    fn upsert_sql(&self, table: &str, columns: &[(&str, String)], key: &[&str]) -> String {
        let names: Vec<String> = columns.iter().map(|(c, _)| self.ident(c)).collect();
        let values: Vec<&str> = columns.iter().map(|(_, v)| v.as_str()).collect();
        let key: Vec<String> = key.iter().map(|c| self.ident(c)).collect();
        let others: Vec<String> = names.iter().filter(|n| !key.contains(n)).cloned().collect();
        format!(
            "INSERT INTO {table} ({}) VALUES ({}) {}",
            names.join(", "),
            values.join(", "),
            self.on_conflict_update(&key, &others)
        )
    }

    /// The tail of [`Database::upsert_sql`]: on a row of that `key` (quoted names), overwrite
    /// the `others` columns with the values given.
    fn on_conflict_update(&self, key: &[String], others: &[String]) -> String;

    /// Statements of an earlier run still running on the server, not the sessions `ours`
    /// nor a VACUUM left in the background: (session, seconds, statement head) rows. A killed
    /// runner's session runs its statement to its end; the migration lock, on a session of
    /// its own, is free at once. Run on a session of the run that took the lock (PostgreSQL:
    /// the sessions of its `application_name`, so a tenant's run never waits for another's).
    fn orphan_statements_sql(&self, ours: &[i64]) -> String;

    /// How to stop the statement session `session` runs, for the message that names it.
    fn cancel_statement_sql(&self, session: &str) -> String;

    /// The error a `lock_timeout` (or a deadlock the server broke, or PostgreSQL's catalog row
    /// changed by another session at once) raises: retried.
    fn is_lock_timeout(&self, e: &DbError) -> bool;

    /// DDL is transactional: a phase and its ledger row commit together.
    fn transactional_ddl(&self) -> bool;

    /// Several statements separated by `;` go in one round trip.
    fn multi_statement_round_trip(&self) -> bool;

    /// A script's `LOCK TABLES` (true) / `UNLOCK TABLES` (false): a block the ledger
    /// cannot be written in.
    fn table_lock(&self, sql: &str) -> Option<bool> {
        let _ = sql;
        None
    }

    /// `expr` as text.
    fn as_text(&self, expr: &str) -> String;

    /// A row-value comparison `(a, b) > (x, y)` is an index range (else the key batches
    /// spell it out column by column).
    fn row_value_ranges(&self) -> bool;

    /// An empty scratch table of the columns of `select` (a batched delete's noted keys,
    /// filled by an `INSERT .. SELECT` after): written to no log where the server can
    /// (PostgreSQL's UNLOGGED; it is dropped at the end).
    fn scratch_table_sql(&self, name: &str, select: &str) -> String {
        format!("CREATE TABLE {name} AS {select} LIMIT 0")
    }

    /// The head of a `DELETE` of `target` (quoted) under `alias`, whose conditions follow:
    /// `DELETE FROM t AS a` (PostgreSQL), `DELETE a FROM t AS a` (MySQL's multi-table
    /// form, which MariaDB takes with an alias too).
    fn delete_head(&self, target: &str, alias: Option<&str>) -> String {
        match alias {
            Some(a) => format!("DELETE FROM {target} AS {a}"),
            None => format!("DELETE FROM {target}"),
        }
    }

    /// An `UPDATE` takes a `FROM` list (PostgreSQL's `UPDATE .. FROM`): a backfill's `from`.
    fn update_from(&self) -> bool {
        false
    }

    /// An `UPDATE` can run inside a `WITH` (PostgreSQL): a backfill batch on a one-column
    /// key then finds its upper key and updates its range in one statement.
    fn update_in_with(&self) -> bool {
        false
    }

    /// Backfill batches run under READ COMMITTED where the server allows it: the query
    /// telling whether it does (`1`) and the statement before each batch.
    fn batch_isolation(&self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// Settings a backfill batch takes inside its own transaction (right after `BEGIN`):
    /// `lock_timeout` when given, so that a batch meeting an application's row lock gives
    /// way after a few milliseconds instead of holding its own rows while it waits; and no
    /// wait for the commit's WAL flush (the batch and its checkpoint commit together, so a
    /// server crash loses both or neither), and on PostgreSQL the pages the batch evicts
    /// written back as it goes (`backend_flush_after`). `None`: the server has no per-transaction
    /// spelling for them (MySQL's lock wait timeout is whole seconds, its flush global).
    fn batch_settings_sql(
        &self,
        lock_timeout: Option<Duration>,
        flush_after: bool,
    ) -> Option<String> {
        let _ = (lock_timeout, flush_after);
        None
    }

    /// A setting a file's `BEGIN` .. `COMMIT` block takes right after its `BEGIN`: on
    /// PostgreSQL no wait for the commit's WAL flush, so the block's locks (a brief ACCESS
    /// EXCLUSIVE, on which the application's queries queue) are let go once the commit is
    /// written, not after the disk's fsync. The block's ledger progress commits with it (a
    /// server crash loses both or neither), and the phase's end is written with a flush,
    /// which makes every block before it durable before the phase counts as applied.
    fn block_settings_sql(&self) -> Option<&'static str> {
        None
    }

    /// The query telling (`1`) whether the server has the write-back setting
    /// [`Database::batch_settings_sql`] sets with `flush_after` (a PostgreSQL fork may not:
    /// a `SET` of an unknown setting would fail every batch); `None`: it sets none.
    fn batch_flush_after_sql(&self) -> Option<&'static str> {
        None
    }

    /// Where [`Database::batch_settings_sql`] has no lock timeout to give: a prefix for the
    /// batch's UPDATE that makes it give way at once to an application's row lock (the
    /// server's lock timeout error) on `server`; `None`: the batch waits like any statement.
    fn batch_yield_prefix(&self, server: &ServerVersion) -> Option<&'static str> {
        let _ = server;
        None
    }

    /// How a backfill's log volume meets what the server absorbs (see `facts::fill_log`);
    /// `None`: not known.
    fn fill_log(&self) -> Option<FillLog> {
        None
    }

    /// `sql` (the clean-up after a backfill) marked as the runner's background work, so
    /// that [`Database::background_running_sql`] finds it; `None`: none runs in the background.
    fn background_sql(&self, sql: &str) -> Option<String> {
        let _ = sql;
        None
    }

    /// What a background statement's session sets first (its own statement: a VACUUM cannot
    /// share a query string).
    fn background_settings_sql(&self) -> Option<&'static str> {
        None
    }

    /// Whether session `session` has received its background statement (`true`).
    fn background_started_sql(&self, session: i64) -> Option<String> {
        let _ = session;
        None
    }

    /// How many background statements run in this database (a count as text).
    fn background_running_sql(&self) -> Option<String> {
        None
    }

    /// After a backfill that touched many rows: the statement that cleans up behind it.
    fn after_large_backfill_sql(&self, target: &str) -> Option<String> {
        let _ = target;
        None
    }

    /// The primary knows its replicas' lag (PostgreSQL); else each replica is asked
    /// (`[run] replicas`), and this query counts the replicas connected to the primary.
    fn replica_lag_on_primary(&self) -> Result<(), &'static str>;

    /// Soft-dropped tables and columns: (schema, table, column or NULL) whose names start
    /// with `prefix` (columns of soft-dropped tables go with their table).
    fn soft_dropped_sql(&self, prefix: &str) -> String;
}

/// The database of a dialect.
pub fn database(d: Dialect) -> &'static dyn Database {
    match d {
        Dialect::Postgres => &pg::Postgres,
        Dialect::Mysql => &mysql::Mysql,
    }
}

/// Session ids as an SQL list (`0`, no session, when there are none).
pub(super) fn session_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "0".to_owned();
    }
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first column of the first row.
pub(super) fn first(rows: Vec<Vec<Option<String>>>) -> Option<String> {
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
}

/// The first column of each row, NULLs skipped.
pub(super) fn first_col(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

/// The `application_name` of the runner's PostgreSQL sessions, unless the URL sets one (an
/// engine's sessions take its lock's name: a tenant's `sluice:<schema>`).
pub const APPLICATION_NAME: &str = "sluice";

/// Connect to the URL's server.
pub async fn connect(url: &DbUrl) -> Result<Box<dyn Driver>, DbError> {
    connect_as(url, APPLICATION_NAME).await
}

/// Connect to the URL's server, the session named `app` (PostgreSQL's `application_name`, at
/// most 63 bytes, unless the URL sets one).
pub async fn connect_as(url: &DbUrl, app: &str) -> Result<Box<dyn Driver>, DbError> {
    let wrap = |e: sqlx::Error| {
        let e = DbError::from(e);
        DbError::other(format!(
            "cannot connect to {url}: {}",
            url.scrub(&e.message)
        ))
    };
    match url.dialect() {
        Dialect::Postgres => {
            use std::str::FromStr;
            let mut opts =
                sqlx::postgres::PgConnectOptions::from_str(url.secret()).map_err(wrap)?;
            if opts.get_application_name().is_none() {
                // names the runner's sessions: a killed run's statement is found by it
                let mut end = app.len().min(63);
                while !app.is_char_boundary(end) {
                    end -= 1;
                }
                opts = opts.application_name(&app[..end]);
            }
            let mut conn = sqlx::PgConnection::connect_with(&opts)
                .await
                .map_err(wrap)?;
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut conn)
                .await?;
            Ok(Box::new(pg::PgConn {
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
            Ok(Box::new(mysql::MyConn { conn, id }))
        }
    }
}

pub(super) fn parse_row_parts(
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
pub(super) fn text_rows<R: Row>(rows: &[R]) -> Result<Vec<Vec<Option<String>>>, DbError>
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

// after the macros above: textual scope
mod data;
mod mysql;
mod pg;
mod transcript;

pub use data::{Data, FillColumn, SEP, list};
pub use transcript::Transcript;

/// The generated-rows and checksum SQL of a dialect (`migrate verify --rows`).
pub fn data(d: Dialect) -> &'static dyn Data {
    match d {
        Dialect::Postgres => &pg::Postgres,
        Dialect::Mysql => &mysql::Mysql,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_timeout_codes() {
        let pg = DbError {
            sqlstate: Some("55P03".into()),
            number: None,
            message: String::new(),
        };
        assert!(database(Dialect::Postgres).is_lock_timeout(&pg));
        assert!(!database(Dialect::Mysql).is_lock_timeout(&pg));
        let deadlock = DbError {
            sqlstate: Some("40P01".into()),
            ..pg.clone()
        };
        assert!(database(Dialect::Postgres).is_lock_timeout(&deadlock));
        let unique = DbError {
            sqlstate: Some("23505".into()),
            ..pg.clone()
        };
        assert!(!database(Dialect::Postgres).is_lock_timeout(&unique));
        // a catalog row two sessions changed at once: retried; another internal error is not
        let concurrent = DbError {
            sqlstate: Some("XX000".into()),
            number: None,
            message: "tuple concurrently updated".into(),
        };
        assert!(database(Dialect::Postgres).is_lock_timeout(&concurrent));
        let internal = DbError {
            message: "could not open relation with OID 16384".into(),
            ..concurrent.clone()
        };
        assert!(!database(Dialect::Postgres).is_lock_timeout(&internal));
        let my = DbError {
            sqlstate: Some("HY000".into()),
            number: Some(1205),
            message: String::new(),
        };
        assert!(database(Dialect::Mysql).is_lock_timeout(&my));
    }
}
