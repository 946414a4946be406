//! Facts: every question the runner asks the live database before it decides (the server
//! version, how big a table is, its primary key and columns, who references it, which
//! extensions and tools exist, how much log a backfill can write before commits slow), asked
//! through the [`Driver`] and cached for one run.
//!
//! One rule says how big a table is ([`rows_by_rule`]), for the strategies, the backfill's
//! progress and the shadow-table copy alike:
//! - a table an earlier phase of this run created is new: 0 rows;
//! - a table the planner has analyzed: its estimate;
//! - a table never analyzed (a fresh database, a table just loaded): counted exactly when
//!   it is at most [`SMALL_UNANALYZED_BYTES`] on disk, else taken as large (one row per
//!   [`BYTES_PER_ROW_GUESS`] bytes), so an unknown big table still gets the online path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sluice_core::sql::ops::ObjName;

use super::Settings;
use super::driver::{Database, Driver, FillLog, ServerVersion, TableStats, mb};
use super::plan::Prepared;
use super::strategies::mysql::{LiveColumn, MysqlFacts};
use super::strategies::shadow_table::TableFacts;
use super::strategies::{self, Family};
use sluice_lint::mysql::Encoding;
use sluice_lint::settings::MysqlServer;

/// Never-analyzed tables up to this size are counted (a count of 64 MB takes well under a
/// second); larger ones are taken as large without scanning them.
pub const SMALL_UNANALYZED_BYTES: u64 = 64 * 1024 * 1024;

/// Rows assumed per byte of a never-analyzed table too big to count.
pub const BYTES_PER_ROW_GUESS: u64 = 64;

/// What the statistics say about a table's size, before any count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The row count (an estimate or exact).
    Rows(u64),
    /// Never analyzed and small: count it.
    Count,
}

/// The one size rule (see the module docs).
pub fn rows_by_rule(stats: TableStats) -> Size {
    match stats.estimate {
        Some(n) => Size::Rows(n),
        None if stats.bytes <= SMALL_UNANALYZED_BYTES => Size::Count,
        None => Size::Rows(stats.bytes / BYTES_PER_ROW_GUESS),
    }
}

/// Facts of one run (one `apply` or `rollback`), cached: a table's size is read once.
#[derive(Debug, Default)]
pub struct RunFacts {
    server: Option<ServerVersion>,
    database: Option<String>,
    rows: BTreeMap<String, Option<u64>>,
    created: BTreeSet<String>,
}

impl RunFacts {
    pub fn new() -> RunFacts {
        RunFacts::default()
    }

    /// Tables an earlier phase of this run created: new, so 0 rows for every decision.
    pub fn note_created(&mut self, tables: impl IntoIterator<Item = ObjName>) {
        for t in tables {
            let key = t.to_string();
            self.rows.insert(key.clone(), Some(0));
            self.created.insert(key);
        }
    }

    /// The server's version (asked once).
    pub async fn server(&mut self, conn: &mut dyn Driver) -> ServerVersion {
        if let Some(v) = self.server {
            return v;
        }
        let v = match conn.server_version().await {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(error = %e, "server version unknown");
                ServerVersion::default()
            }
        };
        self.server = Some(v);
        v
    }

    /// The connection's database (asked once).
    pub async fn database(&mut self, conn: &mut dyn Driver) -> String {
        if let Some(d) = &self.database {
            return d.clone();
        }
        let d = conn.current_database().await.unwrap_or_default();
        self.database = Some(d.clone());
        d
    }

    /// `t`'s rows by the one rule; `None` when it does not exist or cannot be read.
    pub async fn rows(&mut self, conn: &mut dyn Driver, t: &ObjName) -> Option<u64> {
        let key = t.to_string();
        if let Some(n) = self.rows.get(&key) {
            return *n;
        }
        let n = match conn.table_stats(t).await {
            Ok(Some(stats)) => match rows_by_rule(stats) {
                Size::Rows(n) => Some(n),
                Size::Count => match conn.count_rows(t).await {
                    Ok(n) => Some(n),
                    Err(e) => {
                        tracing::debug!(table = %t, error = %e, "cannot count rows");
                        None
                    }
                },
            },
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(table = %t, error = %e, "no table statistics");
                None
            }
        };
        self.rows.insert(key, n);
        n
    }

    /// What strategy choice needs for a prepared script. Reads only catalogs, statistics
    /// and small counts; a failed read leaves the fact unknown (the online form is then
    /// chosen).
    pub(crate) async fn for_strategies(
        &mut self,
        conn: &mut dyn Driver,
        settings: &Settings,
        p: &Prepared,
        defer_swap: bool,
    ) -> strategies::Facts {
        let dialect = conn.db().dialect();
        let mut facts = strategies::Facts {
            large_table_rows: settings.large_table_rows,
            ..strategies::Facts::default()
        };
        let tables: BTreeSet<ObjName> = p
            .statements
            .iter()
            .flat_map(|st| strategies::tables_of(dialect, &st.sql))
            .collect();
        match Family::of(dialect) {
            Family::Mysql => {
                for t in &tables {
                    if let Some(n) = self.rows(conn, t).await {
                        facts.rows.insert(t.to_string(), n);
                    }
                }
                facts.mysql = Some(
                    self.mysql(conn, settings, &tables, &p.version, defer_swap)
                        .await,
                );
                // the batched delete walks a table's primary key
                let deletes = p.statements.iter().any(|st| {
                    sluice_core::sql::parse(dialect, &st.sql).is_ok_and(|asts| {
                        asts.iter()
                            .flat_map(|a| sluice_core::sql::classify::classify(dialect, a))
                            .any(|o| matches!(o, sluice_core::sql::Operation::Delete { .. }))
                    })
                });
                if deletes {
                    for t in &tables {
                        if let Some(tf) = key_facts(conn, t).await {
                            facts.shadow.insert(t.to_string(), tf);
                        }
                    }
                }
            }
            Family::Postgres => {
                if tables.is_empty() {
                    return facts;
                }
                facts.server_major = self.server(conn).await.major;
                for t in &tables {
                    if let Some(n) = self.rows(conn, t).await {
                        facts.rows.insert(t.to_string(), n);
                    }
                }
                if p.statements.iter().any(|st| {
                    let up = st.sql.to_ascii_uppercase();
                    up.contains("VACUUM") || up.contains("CLUSTER")
                }) && let Some(bin) = strategies::repack::find()
                    && conn.extension_available("pg_repack").await.unwrap_or(false)
                {
                    facts.pg_repack = Some(bin);
                }
                for t in &tables {
                    if let Some(tf) = shadow_facts(conn, t).await {
                        facts.shadow.insert(t.to_string(), tf);
                    }
                }
            }
        }
        facts
    }

    /// The MySQL strategies' facts: server version, live columns of the tables the
    /// statements touch, their charsets and child foreign keys, the tools.
    async fn mysql(
        &mut self,
        conn: &mut dyn Driver,
        settings: &Settings,
        tables: &BTreeSet<ObjName>,
        version: &str,
        defer_swap: bool,
    ) -> MysqlFacts {
        let v = self.server(conn).await;
        let server = if v == ServerVersion::default() {
            MysqlServer {
                mariadb: false,
                major: 8,
                minor: 0,
                patch: None,
            }
        } else {
            MysqlServer {
                mariadb: v.mariadb,
                major: v.major,
                minor: v.minor,
                patch: v.patch,
            }
        };
        let mut facts = MysqlFacts {
            server,
            database: self.database(conn).await,
            columns: BTreeMap::new(),
            table_defaults: BTreeMap::new(),
            children: BTreeMap::new(),
            pt_osc: settings
                .pt_osc
                .clone()
                .or_else(|| on_path("pt-online-schema-change")),
            gh_ost: settings.gh_ost.clone().or_else(|| on_path("gh-ost")),
            alter_foreign_keys_method: settings.alter_foreign_keys_method.clone(),
            version: version.to_owned(),
            defer_swap,
            work_dir: std::env::temp_dir().join("sluice-gh-ost"),
            lock_wait_timeout_s: settings.lock_timeout.as_secs_f64().ceil().max(1.0) as u64,
            chunk_time: settings.osc_chunk_time,
        };
        for t in tables {
            let key = t.name.to_ascii_lowercase();
            for c in conn.columns(t).await.unwrap_or_default() {
                facts.columns.insert(
                    (key.clone(), c.name.to_ascii_lowercase()),
                    LiveColumn {
                        column_type: c.column_type,
                        charset: c.charset,
                        collation: c.collation,
                        not_null: c.not_null,
                        indexed: c.indexed,
                    },
                );
            }
            if let Ok(Some((cs, coll))) = conn.table_defaults(t).await {
                let defaults = Encoding::of_table(&facts.server, Some(&cs), Some(&coll));
                facts.table_defaults.insert(key.clone(), defaults);
            }
            let children = conn.referencing(t).await.unwrap_or_default();
            if !children.is_empty() {
                facts.children.insert(key, children);
            }
        }
        facts
    }
}

/// What the shadow-table copy needs to know about `t`; `None` when it cannot be read.
async fn shadow_facts(conn: &mut dyn Driver, t: &ObjName) -> Option<TableFacts> {
    let mut tf = key_facts(conn, t).await?;
    tf.refusals = conn.copy_refusals(t).await.ok()?;
    Some(tf)
}

/// `t`'s primary key and columns (no copy refusals); `None` when it cannot be read.
async fn key_facts(conn: &mut dyn Driver, t: &ObjName) -> Option<TableFacts> {
    let cols = conn.columns(t).await.ok()?;
    if cols.is_empty() {
        return None;
    }
    let pk = conn.primary_key(t).await.ok()?;
    let self_references = conn.self_references(t).await.ok()?;
    Some(TableFacts {
        primary_key: pk,
        columns: cols.into_iter().map(|c| (c.name, c.column_type)).collect(),
        refusals: Vec::new(),
        self_references,
    })
}

/// `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The log a fill of `t` will write and the room the server has for it (see [`FillLog`]),
/// when both are known.
pub async fn fill_log(
    conn: &mut dyn Driver,
    db: &dyn Database,
    t: &ObjName,
) -> Option<(FillLog, u64, u64)> {
    let fl = db.fill_log()?;
    let bytes = conn.table_stats(t).await.ok().flatten()?.bytes;
    let room = conn
        .query_text(fl.room_sql)
        .await
        .ok()
        .and_then(super::driver::first)?
        .parse()
        .ok()?;
    Some((fl, bytes.saturating_mul(fl.per_table_byte), room))
}

/// The warning when a fill will write more log than the server has room for.
pub fn fill_log_advice(table: &str, fl: &FillLog, log: u64, room: u64) -> Option<String> {
    (log > room).then(|| {
        format!(
            "backfill of {table}: the fill will write about {} MB of {}, more than the {} MB of room the server has: {}; for a smooth fill {}",
            mb(log),
            fl.log,
            mb(room),
            fl.past_room,
            (fl.fix)(log)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_log_warns_only_past_the_room() {
        use sluice_core::sql::Dialect;
        let m = 1 << 20;
        let pg = crate::driver::database(Dialect::Postgres)
            .fill_log()
            .unwrap();
        assert_eq!(fill_log_advice("accounts", &pg, 80 * m, 80 * m), None);
        let w = fill_log_advice("accounts", &pg, 340 * m + 1, 80 * m).unwrap();
        assert!(
            w.contains("about 341 MB of WAL, more than the 80 MB"),
            "{w}"
        );
        assert!(w.contains("ALTER SYSTEM SET min_wal_size = '341MB'"), "{w}");
        let my = crate::driver::database(Dialect::Mysql).fill_log().unwrap();
        let w = fill_log_advice("accounts", &my, 170 * m, 9 * m).unwrap();
        assert!(
            w.contains("about 170 MB of redo, more than the 9 MB"),
            "{w}"
        );
        // 170 MB of room at a 70% low-water mark: a 243 MB log
        assert!(
            w.contains(
                "innodb_adaptive_flushing_lwm = 70; SET GLOBAL innodb_log_file_size = 254803968 "
            ),
            "{w}"
        );
    }

    #[test]
    fn one_size_rule() {
        let s = |estimate, bytes| rows_by_rule(TableStats { estimate, bytes });
        assert_eq!(s(Some(5_000_000), 0), Size::Rows(5_000_000));
        // never analyzed: a fresh table is counted, a big one is large without a scan
        assert_eq!(s(None, 0), Size::Count);
        assert_eq!(s(None, 8192), Size::Count);
        assert_eq!(s(None, SMALL_UNANALYZED_BYTES), Size::Count);
        let big = s(None, 10 * SMALL_UNANALYZED_BYTES);
        assert_eq!(
            big,
            Size::Rows(10 * SMALL_UNANALYZED_BYTES / BYTES_PER_ROW_GUESS)
        );
        assert!(matches!(big, Size::Rows(n) if n > 100_000));
    }
}
