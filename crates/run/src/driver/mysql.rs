//! MySQL and MariaDB: their SQL texts and capabilities ([`Mysql`]) and the connection
//! ([`MyConn`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Connection, Executor, Row};

use super::{
    BackfillRow, Blocker, CatalogObject, Database, DbError, Driver, Event, Fut, Ledger, LedgerRow,
    State,
};
use super::{
    FillLog, LiveColumn, ServerVersion, TableStats, first, first_col, parse_row_parts,
    session_list, text_rows,
};
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::quote;
use sluice_lint::mysql::Indexed;

#[derive(Debug)]
pub(super) struct Mysql;

impl Database for Mysql {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn create_scratch_database_sql(&self, name: &str) -> Vec<String> {
        vec![format!("CREATE DATABASE {}", self.ident(name))]
    }

    fn drop_database_sql(&self, name: &str) -> Vec<String> {
        vec![format!("DROP DATABASE IF EXISTS {}", self.ident(name))]
    }

    fn exists_sql(&self, o: &CatalogObject<'_>) -> String {
        let schema = |t: Option<&ObjName>| {
            t.and_then(|t| t.schema.as_deref())
                .map_or_else(|| "DATABASE()".to_owned(), |s| self.literal(s))
        };
        let l = |s: &str| self.literal(s);
        match *o {
            CatalogObject::Table(t) => format!(
                "SELECT CAST('y' AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
                schema(Some(t)),
                l(&t.name)
            ),
            CatalogObject::Column(t, c) => format!(
                "SELECT CAST('y' AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {} AND COLUMN_NAME = {}",
                schema(Some(t)),
                l(&t.name),
                l(c)
            ),
            CatalogObject::Index(t, i) => format!(
                "SELECT CAST('y' AS CHAR) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {} AND INDEX_NAME = {}",
                schema(Some(t)),
                l(&t.name),
                l(i)
            ),
            CatalogObject::Constraint(t, c) => format!(
                "SELECT CAST('y' AS CHAR) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {} AND CONSTRAINT_NAME = {}",
                schema(Some(t)),
                l(&t.name),
                l(c)
            ),
            CatalogObject::Trigger(t, name) => format!(
                "SELECT CAST('y' AS CHAR) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {} AND TRIGGER_NAME = {}",
                schema(t),
                l(name)
            ),
        }
    }

    fn lint_server(&self, server: &ServerVersion, settings: &mut sluice_lint::LintSettings) {
        settings.mariadb = server.mariadb;
        if server.major > 0 {
            // lint's encoding: MariaDB 10.11 is 1011, MySQL 8.0 is 80
            settings.server_version = if server.mariadb {
                server.major * 100 + server.minor
            } else {
                server.major * 10 + server.minor
            };
            settings.server_patch = server.patch;
        }
    }

    fn now(&self) -> &'static str {
        "CURRENT_TIMESTAMP(6)"
    }

    fn create_schema_sql(&self, schema: &str) -> String {
        format!("CREATE DATABASE IF NOT EXISTS {}", self.ident(schema))
    }

    fn ledger_ddl(&self, history: &str, events: &str) -> [String; 2] {
        [
            format!(
                "CREATE TABLE IF NOT EXISTS {history} (\n  version VARCHAR(191) NOT NULL,\n  phase VARCHAR(16) NOT NULL,\n  name VARCHAR(255) NOT NULL,\n  checksum VARCHAR(64) NOT NULL,\n  state VARCHAR(16) NOT NULL,\n  statements_done BIGINT NOT NULL DEFAULT 0,\n  statements_total BIGINT NOT NULL DEFAULT 0,\n  started_at TIMESTAMP(6) NULL,\n  finished_at TIMESTAMP(6) NULL,\n  duration_ms BIGINT NULL,\n  down_sql LONGTEXT NULL,\n  release_id VARCHAR(255) NULL,\n  applied_by VARCHAR(255) NOT NULL,\n  error TEXT NULL,\n  PRIMARY KEY (version, phase)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {events} (\n  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  kind VARCHAR(32) NOT NULL,\n  version VARCHAR(191) NULL,\n  phase VARCHAR(16) NULL,\n  release_id VARCHAR(255) NULL,\n  detail TEXT NOT NULL,\n  source VARCHAR(255) NOT NULL,\n  at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            ),
        ]
    }

    fn backfill_ledger_ddl(&self, table: &str) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n  version VARCHAR(191) NOT NULL PRIMARY KEY,\n  name VARCHAR(255) NOT NULL,\n  checksum VARCHAR(64) NOT NULL,\n  state VARCHAR(16) NOT NULL,\n  last_key TEXT NULL,\n  rows_done BIGINT NOT NULL DEFAULT 0,\n  batches BIGINT NOT NULL DEFAULT 0,\n  batch_size BIGINT NOT NULL DEFAULT 0,\n  started_at TIMESTAMP(6) NULL,\n  finished_at TIMESTAMP(6) NULL,\n  duration_ms BIGINT NULL,\n  applied_by VARCHAR(255) NOT NULL,\n  error TEXT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        )
    }

    fn try_lock_sql(&self, name: &str) -> String {
        format!("SELECT GET_LOCK({}, 0)", my_lock_expr(name))
    }

    fn session_settings(
        &self,
        lock_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Vec<String> {
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

    fn is_lock_timeout(&self, e: &DbError) -> bool {
        // ER_LOCK_WAIT_TIMEOUT (metadata and row locks), ER_LOCK_DEADLOCK
        matches!(e.number, Some(1205 | 1213))
    }

    fn batch_yield_prefix(&self, server: &ServerVersion) -> Option<&'static str> {
        // MariaDB: settings of one statement (10.1.2+) and a row-lock wait of 0 s, an error at
        // once (10.3.9+); MySQL's shortest wait is a whole second, and no such prefix
        let since = (server.major, server.minor, server.patch.unwrap_or(0)) >= (10, 3, 9);
        (server.mariadb && since).then_some("SET STATEMENT innodb_lock_wait_timeout = 0 FOR ")
    }

    fn transactional_ddl(&self) -> bool {
        // DDL commits implicitly: nothing to wrap
        false
    }

    fn multi_statement_round_trip(&self) -> bool {
        false
    }

    fn table_lock(&self, sql: &str) -> Option<bool> {
        table_lock(sql)
    }

    fn as_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS CHAR)")
    }

    fn delete_head(&self, target: &str, alias: Option<&str>) -> String {
        match alias {
            Some(a) => format!("DELETE {a} FROM {target} AS {a}"),
            None => format!("DELETE {target} FROM {target}"),
        }
    }

    fn fill_log(&self) -> Option<FillLog> {
        Some(FillLog {
            // InnoDB flushes pages harder once the redo since its checkpoint passes
            // innodb_adaptive_flushing_lwm percent of the redo log
            room_sql: "SELECT CAST(FLOOR(@@innodb_log_file_size * @@innodb_adaptive_flushing_lwm / 100) AS CHAR)",
            // MariaDB 10.11: about 170 MB of redo for 1M rows (63 MB of data) in 10 ms
            // batches (the flushing began 4.5 s into a 7.9 s fill with a 1 GB log)
            per_table_byte: 3,
            log: "redo",
            past_room: "InnoDB starts flushing dirty pages once the redo since its checkpoint passes innodb_adaptive_flushing_lwm percent of the redo log, and application queries stall while it does (10-20 ms more at 1M rows: docs/benchmarks.md, zdt-bench)",
            fix: |b| {
                let m = super::mb(b);
                format!(
                    "make innodb_log_file_size * innodb_adaptive_flushing_lwm / 100 at least {m} MB before the migration, e.g. SET GLOBAL innodb_adaptive_flushing_lwm = 70; SET GLOBAL innodb_log_file_size = {} (dynamic from MariaDB 10.9)",
                    (b.saturating_mul(10) / 7).div_ceil(1 << 20) << 20
                )
            },
        })
    }

    fn row_value_ranges(&self) -> bool {
        // MariaDB scans (and so locks) the whole index for row-value comparisons
        false
    }

    fn batch_isolation(&self) -> Option<(&'static str, &'static str)> {
        // InnoDB refuses READ COMMITTED writes when the binary log is statement-based
        Some((
            "SELECT CAST(@@log_bin = 0 OR @@binlog_format <> 'STATEMENT' AS CHAR)",
            "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        ))
    }

    fn cancel_statement_sql(&self, session: &str) -> String {
        format!("KILL QUERY {session}")
    }

    fn orphan_statements_sql(&self, ours: &[i64]) -> String {
        // no application_name here: a DDL statement this user runs on this database (what a
        // killed run leaves running; the application's own queries are not DDL)
        format!(
            "SELECT CAST(ID AS CHAR), CAST(TIME AS CHAR), CAST(LEFT(REGEXP_REPLACE(INFO, '[[:space:]]+', ' '), 80) AS CHAR) \
             FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND USER = SUBSTRING_INDEX(USER(), '@', 1) \
             AND COMMAND = 'Query' AND ID <> CONNECTION_ID() AND ID NOT IN ({}) \
             AND INFO REGEXP '^[[:space:]]*(ALTER|CREATE|DROP|RENAME|OPTIMIZE|TRUNCATE)[[:space:]]' ORDER BY ID",
            session_list(ours)
        )
    }

    fn replica_lag_on_primary(&self) -> Result<(), &'static str> {
        // replicas pulling the binlog
        Err(
            "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
        )
    }

    fn on_conflict_update(&self, _key: &[String], others: &[String]) -> String {
        // VALUES(col): both servers read it (MySQL 8.0.20+ only warns it is deprecated)
        let set: Vec<String> = others
            .iter()
            .map(|n| format!("{n} = VALUES({n})"))
            .collect();
        format!("ON DUPLICATE KEY UPDATE {}", set.join(", "))
    }

    fn soft_dropped_sql(&self, prefix: &str) -> String {
        let len = prefix.len();
        let prefix = self.literal(prefix);
        format!(
            "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(NULL AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND LEFT(TABLE_NAME, {len}) = {prefix} \
             UNION ALL \
             SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND LEFT(COLUMN_NAME, {len}) = {prefix} AND LEFT(TABLE_NAME, {len}) <> {prefix}"
        )
    }
}

pub(super) struct MyConn {
    pub(super) conn: sqlx::MySqlConnection,
    pub(super) id: i64,
}

/// GET_LOCK names are server-wide: qualify by database; at most 64 characters.
fn my_lock_expr(name: &str) -> String {
    format!(
        "LEFT(CONCAT({}, ':', IFNULL(DATABASE(), '')), 64)",
        Mysql.literal(name)
    )
}

impl Driver for MyConn {
    fn db(&self) -> &'static dyn Database {
        &Mysql
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

    fn server_version(&mut self) -> Fut<'_, ServerVersion> {
        Box::pin(async move {
            let v =
                first(self.query_text("SELECT CAST(VERSION() AS CHAR)").await?).unwrap_or_default();
            Ok(parse_server(&v))
        })
    }

    fn current_database(&mut self) -> Fut<'_, String> {
        Box::pin(async move {
            Ok(
                first(self.query_text("SELECT CAST(DATABASE() AS CHAR)").await?)
                    .unwrap_or_default(),
            )
        })
    }

    fn table_stats<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Option<TableStats>> {
        Box::pin(async move {
            // InnoDB keeps TABLE_ROWS estimated from its persistent statistics
            let rows = self
                .query_text(&format!(
                    "SELECT CAST(TABLE_ROWS AS CHAR), CAST(COALESCE(DATA_LENGTH, 0) AS CHAR) FROM information_schema.TABLES WHERE {}",
                    where_table(t)
                ))
                .await?;
            let Some(r) = rows.into_iter().next() else {
                return Ok(None);
            };
            let mut it = r.into_iter();
            let est = it.next().flatten().and_then(|s| s.parse::<u64>().ok());
            let bytes = it
                .next()
                .flatten()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            Ok(Some(TableStats {
                estimate: est,
                bytes,
            }))
        })
    }

    fn count_rows<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, u64> {
        Box::pin(async move {
            let sql = format!(
                "SELECT CAST(COUNT(*) AS CHAR) FROM {}",
                quote::qualified(Dialect::Mysql, t)
            );
            Ok(first(self.query_text(&sql).await?)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0))
        })
    }

    fn columns<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<LiveColumn>> {
        Box::pin(async move {
            let rows = self
                .query_text(&format!(
                    // the index facts in one read of STATISTICS: two correlated EXISTS per
                    // column built an information_schema table per column, and MariaDB
                    // 10.11.19 once crashed (signal 11) cleaning up such a build
                    "SELECT CAST(c.COLUMN_NAME AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), CAST(c.DATA_TYPE AS CHAR), CAST(c.CHARACTER_SET_NAME AS CHAR), CAST(c.IS_NULLABLE AS CHAR), CAST(c.EXTRA AS CHAR), \
                     CAST(s.COLUMN_NAME IS NOT NULL AS CHAR), CAST(COALESCE(s.pk, 0) AS CHAR), CAST(c.COLLATION_NAME AS CHAR) \
                     FROM information_schema.COLUMNS c LEFT JOIN \
                     (SELECT COLUMN_NAME, MAX(INDEX_NAME = 'PRIMARY') AS pk FROM information_schema.STATISTICS WHERE {w} GROUP BY COLUMN_NAME) s \
                     ON s.COLUMN_NAME = c.COLUMN_NAME \
                     WHERE {w} ORDER BY c.ORDINAL_POSITION",
                    w = where_table(t)
                ))
                .await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    let mut it = r.into_iter();
                    let (name, column_type, data_type) = (it.next()??, it.next()??, it.next()??);
                    let charset = it.next()?;
                    let nullable = it.next()?;
                    let extra = it.next().flatten().unwrap_or_default();
                    let indexed = it.next().flatten();
                    let primary_key = it.next().flatten();
                    let collation = it.next().flatten();
                    Some(LiveColumn {
                        name,
                        column_type,
                        data_type,
                        charset,
                        collation,
                        not_null: nullable.as_deref() == Some("NO"),
                        generated: extra.to_ascii_uppercase().contains("GENERATED"),
                        indexed: match (primary_key.as_deref(), indexed.as_deref()) {
                            (Some("1"), _) => Indexed::Primary,
                            (_, Some("1")) => Indexed::Secondary,
                            _ => Indexed::No,
                        },
                    })
                })
                .collect())
        })
    }

    fn primary_key<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            Ok(first_col(
                self.query_text(&format!(
                    "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.STATISTICS WHERE {} AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
                    where_table(t)
                ))
                .await?,
            ))
        })
    }

    fn self_references<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let schema = t
                .schema
                .as_deref()
                .map_or_else(|| "DATABASE()".to_owned(), |s| Mysql.literal(s));
            let name = Mysql.literal(&t.name);
            Ok(first_col(
                self.query_text(&format!(
                    "SELECT CAST(CONSTRAINT_NAME AS CHAR) FROM information_schema.REFERENTIAL_CONSTRAINTS \
                     WHERE CONSTRAINT_SCHEMA = {schema} AND TABLE_NAME = {name} AND REFERENCED_TABLE_NAME = {name} \
                     AND DELETE_RULE IN ('NO ACTION', 'RESTRICT') ORDER BY 1"
                ))
                .await?,
            ))
        })
    }

    fn referencing<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let schema = t
                .schema
                .as_deref()
                .map_or_else(|| "DATABASE()".to_owned(), |s| Mysql.literal(s));
            Ok(first_col(
                self.query_text(&format!(
                    "SELECT CAST(CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME) AS CHAR) FROM information_schema.REFERENTIAL_CONSTRAINTS \
                     WHERE UNIQUE_CONSTRAINT_SCHEMA = {schema} AND REFERENCED_TABLE_NAME = {} ORDER BY 1",
                    Mysql.literal(&t.name)
                ))
                .await?,
            ))
        })
    }

    fn table_defaults<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Option<(String, String)>> {
        Box::pin(async move {
            let schema = t
                .schema
                .as_deref()
                .map_or_else(|| "DATABASE()".to_owned(), |s| Mysql.literal(s));
            let rows = self
                .query_text(&format!(
                    "SELECT CAST(c.CHARACTER_SET_NAME AS CHAR), CAST(t.TABLE_COLLATION AS CHAR) FROM information_schema.TABLES t \
                     JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c ON c.COLLATION_NAME = t.TABLE_COLLATION \
                     WHERE t.TABLE_SCHEMA = {schema} AND t.TABLE_NAME = {}",
                    Mysql.literal(&t.name)
                ))
                .await?;
            Ok(rows.into_iter().next().and_then(|r| match r.as_slice() {
                [Some(cs), Some(coll)] => {
                    Some((cs.to_ascii_lowercase(), coll.to_ascii_lowercase()))
                }
                _ => None,
            }))
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

/// `LOCK TABLE(S) ..` -> true, `UNLOCK TABLE(S)` -> false, after leading comments.
fn table_lock(sql: &str) -> Option<bool> {
    let mut rest = sql.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--").or_else(|| rest.strip_prefix('#')) {
            rest = r.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    let mut words = rest.split_whitespace().map(str::to_ascii_uppercase);
    let first = words.next()?;
    let second = words.next()?;
    if second != "TABLES" && second != "TABLE" {
        return None;
    }
    match first.as_str() {
        "LOCK" => Some(true),
        "UNLOCK" => Some(false),
        _ => None,
    }
}

/// `TABLE_SCHEMA = .. AND TABLE_NAME = ..` of information_schema rows for `t`.
fn where_table(t: &ObjName) -> String {
    format!(
        "TABLE_SCHEMA = {} AND TABLE_NAME = {}",
        t.schema
            .as_deref()
            .map_or_else(|| "DATABASE()".to_owned(), |s| Mysql.literal(s)),
        Mysql.literal(&t.name)
    )
}

/// `10.11.6-MariaDB-0+deb12u1` / `8.0.36` -> the server version.
pub(crate) fn parse_server(version: &str) -> ServerVersion {
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let nums: Vec<u32> = version
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .filter_map(|p| p.parse().ok())
        .collect();
    ServerVersion {
        mariadb,
        major: nums.first().copied().unwrap_or(8),
        minor: nums.get(1).copied().unwrap_or(0),
        patch: nums.get(2).copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_versions_are_read() {
        let m = parse_server("10.11.6-MariaDB-0+deb12u1");
        assert!(m.mariadb && m.major == 10 && m.minor == 11 && m.patch == Some(6));
        let m = parse_server("8.0.36");
        assert!(!m.mariadb && m.major == 8 && m.patch == Some(36));
    }

    #[test]
    fn only_mariadb_batches_give_way_by_a_statement_prefix() {
        let p = |v: &str| Mysql.batch_yield_prefix(&parse_server(v));
        assert_eq!(
            p("10.11.6-MariaDB-0+deb12u1"),
            Some("SET STATEMENT innodb_lock_wait_timeout = 0 FOR ")
        );
        assert!(p("10.3.9-MariaDB").is_some());
        // a wait of 0 s is refused before 10.3.9; MySQL has no SET STATEMENT
        assert_eq!(p("10.3.8-MariaDB"), None);
        assert_eq!(p("8.0.36"), None);
    }

    #[test]
    fn mysql_table_locks_are_recognised() {
        assert_eq!(table_lock("-- swap\nLOCK TABLES `t` WRITE"), Some(true));
        assert_eq!(table_lock("unlock tables"), Some(false));
        assert_eq!(table_lock("LOCK TABLE t READ"), Some(true));
        assert_eq!(table_lock("SELECT 1"), None);
        assert_eq!(table_lock("LOCK"), None);
    }
}
