//! PostgreSQL: its SQL texts and capabilities ([`Postgres`]) and its connection ([`PgConn`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
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
pub(super) struct Postgres;

/// Marks the runner's background statements (the VACUUM after a backfill) in
/// `pg_stat_activity`.
const BACKGROUND_WORD: &str = "background";
const BACKGROUND_MARK: &str = "/* sluice: background */";

impl Database for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn create_scratch_database_sql(&self, name: &str) -> Vec<String> {
        let q = self.ident(name);
        vec![
            format!("CREATE DATABASE {q}"),
            // nothing there must survive a crash: commits need not wait for the disk (a
            // verify round trip commits a dozen times)
            format!("ALTER DATABASE {q} SET synchronous_commit = off"),
        ]
    }

    fn drop_database_sql(&self, name: &str) -> Vec<String> {
        let q = self.ident(name);
        // sessions left by an interrupted run must not keep it alive (FORCE: 13+)
        vec![
            format!("DROP DATABASE IF EXISTS {q} WITH (FORCE)"),
            format!("DROP DATABASE IF EXISTS {q}"),
        ]
    }

    fn exists_sql(&self, o: &CatalogObject<'_>) -> String {
        // the relation as `to_regclass` reads it
        let rel = |t: &ObjName| {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let name = match &t.schema {
                Some(s) => format!("{}.{}", q(s), q(&t.name)),
                None => q(&t.name),
            };
            format!("to_regclass({})", self.literal(&name))
        };
        let l = |s: &str| self.literal(s);
        match *o {
            CatalogObject::Table(t) => format!("SELECT 'y'::text WHERE {} IS NOT NULL", rel(t)),
            CatalogObject::Column(t, c) => format!(
                "SELECT 'y'::text FROM pg_attribute WHERE attrelid = {} AND attname = {} AND attnum > 0 AND NOT attisdropped",
                rel(t),
                l(c)
            ),
            CatalogObject::Index(t, i) => format!(
                "SELECT 'y'::text FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = {} AND c.relname = {} AND x.indisvalid",
                rel(t),
                l(i)
            ),
            CatalogObject::Constraint(t, c) => format!(
                "SELECT 'y'::text FROM pg_constraint WHERE conrelid = {} AND conname = {}",
                rel(t),
                l(c)
            ),
            CatalogObject::Trigger(Some(t), name) => format!(
                "SELECT 'y'::text FROM pg_trigger WHERE tgrelid = {} AND tgname = {} AND NOT tgisinternal",
                rel(t),
                l(name)
            ),
            CatalogObject::Trigger(None, name) => format!(
                "SELECT 'y'::text FROM pg_trigger WHERE tgname = {} AND NOT tgisinternal",
                l(name)
            ),
        }
    }

    fn lint_server(&self, server: &ServerVersion, settings: &mut sluice_lint::LintSettings) {
        if server.major > 0 {
            settings.server_version = server.major;
        }
    }

    fn now(&self) -> &'static str {
        "clock_timestamp()"
    }

    fn create_schema_sql(&self, schema: &str) -> String {
        format!("CREATE SCHEMA IF NOT EXISTS {}", self.ident(schema))
    }

    fn ledger_ddl(&self, history: &str, events: &str) -> [String; 2] {
        [
            format!(
                "CREATE TABLE IF NOT EXISTS {history} (\n  version text NOT NULL,\n  phase text NOT NULL,\n  name text NOT NULL,\n  checksum text NOT NULL,\n  state text NOT NULL,\n  statements_done bigint NOT NULL DEFAULT 0,\n  statements_total bigint NOT NULL DEFAULT 0,\n  started_at timestamptz,\n  finished_at timestamptz,\n  duration_ms bigint,\n  down_sql text,\n  release_id text,\n  applied_by text NOT NULL,\n  error text,\n  PRIMARY KEY (version, phase)\n)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {events} (\n  id bigserial PRIMARY KEY,\n  kind text NOT NULL,\n  version text,\n  phase text,\n  release_id text,\n  detail text NOT NULL,\n  source text NOT NULL,\n  at timestamptz NOT NULL DEFAULT clock_timestamp()\n)"
            ),
        ]
    }

    fn backfill_ledger_ddl(&self, table: &str) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n  version text PRIMARY KEY,\n  name text NOT NULL,\n  checksum text NOT NULL,\n  state text NOT NULL,\n  last_key text,\n  rows_done bigint NOT NULL DEFAULT 0,\n  batches bigint NOT NULL DEFAULT 0,\n  batch_size bigint NOT NULL DEFAULT 0,\n  started_at timestamptz,\n  finished_at timestamptz,\n  duration_ms bigint,\n  applied_by text NOT NULL,\n  error text\n)"
        )
    }

    fn try_lock_sql(&self, name: &str) -> String {
        format!("SELECT pg_try_advisory_lock({})", pg_key(name))
    }

    fn session_settings(
        &self,
        lock_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Vec<String> {
        vec![
            format!("SET lock_timeout = '{}ms'", lock_timeout.as_millis().max(1)),
            format!(
                "SET statement_timeout = '{}ms'",
                statement_timeout.map_or(0, |d| d.as_millis().max(1))
            ),
        ]
    }

    fn is_lock_timeout(&self, e: &DbError) -> bool {
        // lock_not_available; deadlock_detected: the server rolled the statement's transaction
        // back (seen on PostgreSQL 18: autovacuum's in-place update of an index's pg_class row
        // waits for the block that renamed the index, which waits for the table)
        matches!(e.sqlstate.as_deref(), Some("55P03" | "40P01"))
            // XX000 `tuple concurrently updated` / `deleted`: another session changed the
            // catalog row this statement changes (a concurrent ANALYZE, GRANT or DDL on the
            // object); the statement was rolled back whole, and a retry reads the new row
            || (e.sqlstate.as_deref() == Some("XX000")
                && (e.message.contains("tuple concurrently updated")
                    || e.message.contains("tuple concurrently deleted")))
    }

    fn transactional_ddl(&self) -> bool {
        true
    }

    fn multi_statement_round_trip(&self) -> bool {
        // the simple query protocol takes several statements in one message
        true
    }

    fn as_text(&self, expr: &str) -> String {
        format!("{expr}::text")
    }

    fn scratch_table_sql(&self, name: &str, select: &str) -> String {
        format!("CREATE UNLOGGED TABLE {name} AS {select} WITH NO DATA")
    }

    fn row_value_ranges(&self) -> bool {
        true
    }

    fn update_in_with(&self) -> bool {
        true
    }

    fn update_from(&self) -> bool {
        true
    }

    fn batch_settings_sql(
        &self,
        lock_timeout: Option<Duration>,
        flush_after: bool,
    ) -> Option<String> {
        let mut s = String::from("SET LOCAL synchronous_commit = off");
        if flush_after {
            // backend_flush_after: the pages this session writes out of shared_buffers go
            // to disk every 256 kB, not into the kernel's dirty cache; an application
            // commit's WAL fsync otherwise queues behind hundreds of MB of them
            // (docs/benchmarks.md)
            s.push_str("; SET LOCAL backend_flush_after = '256kB'");
        }
        if let Some(t) = lock_timeout {
            s = format!("SET LOCAL lock_timeout = '{}ms'; {s}", t.as_millis().max(1));
        }
        Some(s)
    }

    fn block_settings_sql(&self) -> Option<&'static str> {
        Some("SET LOCAL synchronous_commit = off")
    }

    fn batch_flush_after_sql(&self) -> Option<&'static str> {
        Some("SELECT CAST(count(*) AS text) FROM pg_settings WHERE name = 'backend_flush_after'")
    }

    fn fill_log(&self) -> Option<FillLog> {
        Some(FillLog {
            room_sql: "SELECT pg_size_bytes(current_setting('min_wal_size'))::text",
            // a full-table UPDATE of a 68 MB table right after a checkpoint wrote 350 MB:
            // new row versions, index entries, a full-page image of every page touched
            per_table_byte: 5,
            log: "WAL",
            past_room: "the server keeps fewer WAL segments for reuse (min_wal_size), so it creates new ones as the fill goes, each while every application commit waits (tens of milliseconds: docs/benchmarks.md, zdt-bench)",
            fix: |b| {
                let m = super::mb(b);
                format!(
                    "set min_wal_size (and max_wal_size, if lower) to at least {m} MB before the migration: ALTER SYSTEM SET min_wal_size = '{m}MB'; SELECT pg_reload_conf()"
                )
            },
        })
    }

    fn background_sql(&self, sql: &str) -> Option<String> {
        Some(format!("{sql} {BACKGROUND_MARK}"))
    }

    fn background_settings_sql(&self) -> Option<&'static str> {
        // the VACUUM writes every page it cleans through a small ring: to disk as it goes,
        // not into the kernel's dirty cache ahead of the application's WAL fsyncs
        Some("SET backend_flush_after = '256kB'")
    }

    fn background_started_sql(&self, session: i64) -> Option<String> {
        Some(format!(
            "SELECT (strpos(query, '{BACKGROUND_MARK}') > 0)::text FROM pg_stat_activity WHERE pid = {session}"
        ))
    }

    fn cancel_statement_sql(&self, session: &str) -> String {
        format!("SELECT pg_cancel_backend({session})")
    }

    fn orphan_statements_sql(&self, ours: &[i64]) -> String {
        // the sessions of this run's application_name (its lock's name)
        format!(
            "SELECT pid::text, extract(epoch FROM now() - query_start)::bigint::text, left(regexp_replace(query, '\\s+', ' ', 'g'), 80) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = current_setting('application_name') AND state <> 'idle' \
             AND pid <> pg_backend_pid() AND pid NOT IN ({}) AND strpos(query, '/* sluice: ' || '{BACKGROUND_WORD} */') = 0 ORDER BY pid",
            session_list(ours)
        )
    }

    fn background_running_sql(&self) -> Option<String> {
        // the mark in the pattern is spelled apart: this query must not find itself
        Some(format!(
            "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND strpos(query, '/* sluice: ' || '{BACKGROUND_WORD} */') > 0"
        ))
    }

    fn after_large_backfill_sql(&self, target: &str) -> Option<String> {
        // the contract's scans should not queue behind autovacuum on the dead tuples
        Some(format!("VACUUM (ANALYZE) {target}"))
    }

    fn replica_lag_on_primary(&self) -> Result<(), &'static str> {
        Ok(())
    }

    fn on_conflict_update(&self, key: &[String], others: &[String]) -> String {
        let set: Vec<String> = others
            .iter()
            .map(|n| format!("{n} = EXCLUDED.{n}"))
            .collect();
        format!(
            "ON CONFLICT ({}) DO UPDATE SET {}",
            key.join(", "),
            set.join(", ")
        )
    }

    fn soft_dropped_sql(&self, prefix: &str) -> String {
        let len = prefix.len();
        let prefix = self.literal(prefix);
        format!(
            "SELECT n.nspname::text, c.relname::text, NULL::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND left(c.relname::text, {len}) = {prefix} \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname::text, 3) <> 'pg_' \
             UNION ALL \
             SELECT n.nspname::text, c.relname::text, a.attname::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount = 0 \
             AND left(a.attname::text, {len}) = {prefix} AND left(c.relname::text, {len}) <> {prefix} \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname::text, 3) <> 'pg_'"
        )
    }
}

pub(super) struct PgConn {
    pub(super) conn: sqlx::PgConnection,
    pub(super) pid: i64,
}

/// The advisory lock key: a stable 64-bit hash of the lock name.
fn pg_key(name: &str) -> i64 {
    let d = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

impl Driver for PgConn {
    fn db(&self) -> &'static dyn Database {
        &Postgres
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
                Postgres.literal(qualified)
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
            // an interval past Duration's range (PostgreSQL 17 has infinite ones) is a lag
            // to wait for, not a panic
            Ok((n > 0).then(|| Duration::try_from_secs_f64(lag.max(0.0)).unwrap_or(Duration::MAX)))
        })
    }

    fn server_version(&mut self) -> Fut<'_, ServerVersion> {
        Box::pin(async move {
            let n = first(
                self.query_text("SELECT current_setting('server_version_num')")
                    .await?,
            )
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0);
            Ok(ServerVersion {
                mariadb: false,
                major: n / 10000,
                minor: n % 10000,
                patch: None,
            })
        })
    }

    fn current_database(&mut self) -> Fut<'_, String> {
        Box::pin(async move {
            Ok(
                first(self.query_text("SELECT current_database()::text").await?)
                    .unwrap_or_default(),
            )
        })
    }

    fn table_stats<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Option<TableStats>> {
        Box::pin(async move {
            // reltuples is -1 until the first ANALYZE / VACUUM (PostgreSQL 14+)
            let rows = self
                .query_text(&format!(
                    "SELECT c.reltuples::bigint::text, pg_relation_size(c.oid)::text FROM pg_class c WHERE c.oid = {}",
                    regclass(t)
                ))
                .await?;
            let Some(r) = rows.into_iter().next() else {
                return Ok(None);
            };
            let mut it = r.into_iter();
            let (Some(Some(est)), Some(Some(bytes))) = (it.next(), it.next()) else {
                return Ok(None);
            };
            let est = est.parse::<i64>().unwrap_or(-1);
            Ok(Some(TableStats {
                estimate: u64::try_from(est).ok(),
                bytes: bytes.parse().unwrap_or(0),
            }))
        })
    }

    fn count_rows<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, u64> {
        Box::pin(async move {
            let sql = format!(
                "SELECT count(*)::text FROM {}",
                quote::qualified(Dialect::Postgres, t)
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
                    "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, (a.attgenerated <> '')::text, \
                     EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND a.attnum = ANY (i.indkey))::text FROM pg_attribute a WHERE a.attrelid = {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                    regclass(t)
                ))
                .await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    let mut it = r.into_iter();
                    let (name, ty, nn, generated, indexed) = (
                        it.next()??,
                        it.next()??,
                        it.next()??,
                        it.next()??,
                        it.next()??,
                    );
                    Some(LiveColumn {
                        name,
                        data_type: ty.clone(),
                        column_type: ty,
                        charset: None,
                        collation: None,
                        not_null: nn == "true",
                        generated: generated == "true",
                        indexed: if indexed == "true" {
                            Indexed::Secondary
                        } else {
                            Indexed::No
                        },
                    })
                })
                .collect())
        })
    }

    fn primary_key<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let rc = regclass(t);
            Ok(first_col(
                self.query_text(&format!(
                    "SELECT a.attname::text FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n WHERE i.indrelid = {rc} AND i.indisprimary ORDER BY k.o"
                ))
                .await?,
            ))
        })
    }

    fn referencing<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let rc = regclass(t);
            Ok(first_col(
                self.query_text(&format!(
                    "SELECT format('%s.%s', conrelid::regclass, quote_ident(conname)) FROM pg_constraint WHERE contype = 'f' AND confrelid = {rc} ORDER BY 1"
                ))
                .await?,
            ))
        })
    }

    fn self_references<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let rc = regclass(t);
            Ok(first_col(
                self.query_text(&format!(
                    "SELECT quote_ident(conname) FROM pg_constraint WHERE contype = 'f' AND conrelid = {rc} AND confrelid = {rc} AND confdeltype IN ('a', 'r') ORDER BY 1"
                ))
                .await?,
            ))
        })
    }

    fn copy_refusals<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let rc = regclass(t);
            let prefix = crate::strategies::shadow_table::PREFIX;
            Ok(first_col(
                self.query_text(&format!(
                    "SELECT r FROM ( \
                     SELECT format('foreign key %I on %s references it', conname, conrelid::regclass) AS r FROM pg_constraint WHERE contype = 'f' AND confrelid = {rc} \
                     UNION ALL SELECT DISTINCT format('view %s depends on it', rw.ev_class::regclass) FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid \
                       WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = {rc} AND rw.ev_class <> {rc} \
                     UNION ALL SELECT format('trigger %I would not follow the copy', tgname) FROM pg_trigger WHERE tgrelid = {rc} AND NOT tgisinternal AND left(tgname::text, {n}) <> {p} \
                     UNION ALL SELECT format('row level security policy %I would not follow the copy', polname) FROM pg_policy WHERE polrelid = {rc} \
                     UNION ALL SELECT 'it is partitioned, a partition, or in an inheritance tree' FROM pg_class c WHERE c.oid = {rc} \
                       AND (c.relkind = 'p' OR c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = c.oid OR inhrelid = c.oid)) \
                     ) s ORDER BY 1",
                    n = prefix.len(),
                    p = Postgres.literal(prefix)
                ))
                .await?,
            ))
        })
    }

    fn extension_available<'a>(&'a mut self, name: &'a str) -> Fut<'a, bool> {
        Box::pin(async move {
            let sql = format!(
                "SELECT name::text FROM pg_available_extensions WHERE name = {}",
                Postgres.literal(name)
            );
            Ok(!self.query_text(&sql).await?.is_empty())
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

/// `to_regclass('schema.name')`: the table's oid, NULL when it does not exist.
fn regclass(t: &ObjName) -> String {
    format!(
        "to_regclass({})",
        Postgres.literal(&quote::qualified(Dialect::Postgres, t))
    )
}
