//! Many scratch databases (a fleet's targets) on one server, created at once and dropped
//! by the guard; and what the fleet tests read back from them.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use sluice::sql::Dialect;
use sqlx::{Connection, Executor, Row};

use super::{admin_url, block_on, url_for};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct Many {
    pub backend: Dialect,
    /// In the fleet's order (the names sort as the indexes do).
    pub names: Vec<String>,
    pub urls: Vec<String>,
    admin: String,
}

async fn exec_all(backend: Dialect, url: &str, sqls: &[String]) -> Result<(), String> {
    match backend {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            for s in sqls {
                c.execute(sqlx::raw_sql(s))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Dialect::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            for s in sqls {
                c.execute(sqlx::raw_sql(s))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

async fn texts(backend: Dialect, url: &str, sql: &str) -> Result<Vec<String>, String> {
    let get = |r: Option<String>| r.unwrap_or_default();
    match backend {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let rows = sqlx::query(sql)
                .fetch_all(&mut c)
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows.iter().map(|r| get(r.try_get(0).unwrap())).collect())
        }
        Dialect::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let rows = sqlx::query(sql)
                .fetch_all(&mut c)
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows.iter().map(|r| get(r.try_get(0).unwrap())).collect())
        }
    }
}

impl Many {
    pub fn new(backend: Dialect, n: usize) -> Many {
        let admin = admin_url(backend);
        let prefix = format!(
            "sluice_f_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand::random_range(0..1_000_000u32)
        );
        let names: Vec<String> = (0..n).map(|i| format!("{prefix}_{i:03}")).collect();
        let urls = names.iter().map(|d| url_for(&admin, d)).collect();
        let m = Many {
            backend,
            names,
            urls,
            admin,
        };
        let create: Vec<String> = m
            .names
            .iter()
            .map(|d| format!("CREATE DATABASE {d}"))
            .collect();
        m.admin_exec(create);
        m
    }

    /// `CREATE` / `DROP DATABASE` of every target. On PostgreSQL over eight connections at
    /// once: each DROP DATABASE waits for a checkpoint, and concurrent ones share it (12 drops
    /// on the loaded CI machine: 27.7 s one by one, 4.5 s six at a time). On MariaDB one by
    /// one (see the `mariadb` test group in .config/nextest.toml).
    fn admin_exec(&self, sqls: Vec<String>) {
        let (admin, backend) = (self.admin.clone(), self.backend);
        let lanes = if backend == Dialect::Postgres { 8 } else { 1 };
        std::thread::spawn(move || {
            block_on(async move {
                let mut set = tokio::task::JoinSet::new();
                for lane in 0..lanes.min(sqls.len()) {
                    let part: Vec<String> =
                        sqls.iter().skip(lane).step_by(lanes).cloned().collect();
                    let admin = admin.clone();
                    set.spawn(async move { exec_all(backend, &admin, &part).await });
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap().unwrap();
                }
            });
        })
        .join()
        .unwrap();
    }

    /// Run SQL on target `i`.
    pub fn exec(&self, i: usize, sql: &str) {
        let (url, backend, sql) = (self.urls[i].clone(), self.backend, sql.to_owned());
        std::thread::spawn(move || block_on(exec_all(backend, &url, &[sql])).unwrap())
            .join()
            .unwrap();
    }

    /// The first column (text) of `sql` on every target, in order; `Err` where it fails.
    pub fn each(&self, sql: &str) -> Vec<Result<Vec<String>, String>> {
        let (urls, backend, sql) = (self.urls.clone(), self.backend, sql.to_owned());
        std::thread::spawn(move || {
            block_on(async move {
                let mut out = Vec::new();
                for u in &urls {
                    out.push(texts(backend, u, &sql).await);
                }
                out
            })
        })
        .join()
        .unwrap()
    }

    /// `migrate` run from `cwd` with no DATABASE_URL: a fleet names its own targets.
    pub fn migrate(cwd: &std::path::Path) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("migrate"));
        c.current_dir(cwd)
            .env_remove("DATABASE_URL")
            .env_remove("SLUICE_LOG")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("SLUICE_FLEET_RUN")
            .env("NO_COLOR", "1");
        c
    }
}

impl Drop for Many {
    fn drop(&mut self) {
        let force = if self.backend == Dialect::Postgres {
            " WITH (FORCE)"
        } else {
            ""
        };
        let drop = self
            .names
            .iter()
            .map(|d| format!("DROP DATABASE IF EXISTS {d}{force}"))
            .collect();
        self.admin_exec(drop);
    }
}

/// `[start, end]` of each target's probe (microseconds), read from its `probe` table.
pub fn probes(m: &Many) -> Vec<Option<(i64, i64)>> {
    m.each("SELECT CAST(at AS CHAR(24)) FROM probe ORDER BY at")
        .into_iter()
        .map(|r| {
            let v = r.ok()?;
            let n: Vec<i64> = v.iter().map(|s| s.trim().parse().unwrap()).collect();
            (n.len() == 2).then(|| (n[0], n[1]))
        })
        .collect()
}

/// The most intervals open at one instant (an end before a start at the same instant).
pub fn max_overlap(intervals: &[(i64, i64)]) -> usize {
    let mut ev: Vec<(i64, i32)> = intervals
        .iter()
        .flat_map(|&(s, e)| [(s, 1), (e, -1)])
        .collect();
    ev.sort_unstable();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, d) in ev {
        now += d;
        max = max.max(now);
    }
    usize::try_from(max).unwrap_or(0)
}

/// The waves' intervals in order: every wave ends before the next begins.
pub fn assert_waves_in_order(probes: &[Option<(i64, i64)>], waves: &[std::ops::Range<usize>]) {
    for pair in waves.windows(2) {
        let end = pair[0].clone().map(|i| probes[i].unwrap().1).max().unwrap();
        let start = pair[1].clone().map(|i| probes[i].unwrap().0).min().unwrap();
        assert!(
            end < start,
            "wave {:?} ended at {end}, after wave {:?} began at {start}",
            pair[0],
            pair[1]
        );
    }
}
