//! Scratch databases on the real servers for runner tests.
//!
//! PostgreSQL at `DATABASE_URL_PG` (default <postgres://postgres@127.0.0.1:5432/postgres>),
//! MariaDB/MySQL at `DATABASE_URL_MYSQL` (default <mysql://root@127.0.0.1:3306/mysql>).
//! Each test gets its own database, dropped when the guard goes out of scope, even on
//! a failed assertion.
#![allow(dead_code)]

pub mod batched;
pub mod faults;
pub mod fleet;
pub mod servers;
pub mod verify;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use sluice::sql::Dialect;
use sqlx::{Connection, Executor, Row};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct Scratch {
    pub backend: Dialect,
    pub name: String,
    admin: String,
    /// URL of the scratch database (no password on the test servers).
    pub url: String,
    /// The data directory of a private MariaDB server this test crashes: a crash in the
    /// middle of DDL can leave a file no table owns (a `#sql-*` copy, an `.ibd` without its
    /// `.frm`), and `DROP DATABASE` then drops every table but refuses to remove the
    /// directory (errno 39); MariaDB's advice is to delete such files by hand.
    orphans_in: Option<PathBuf>,
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

impl Scratch {
    pub fn new(backend: Dialect) -> Scratch {
        Scratch::on(backend, &admin_url(backend))
    }

    /// A scratch database on the server of `admin` (a private server's, see `servers`).
    pub fn on(backend: Dialect, admin: &str) -> Scratch {
        let admin = admin.to_owned();
        let name = format!(
            "sluice_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand::random_range(0..1_000_000u32)
        );
        let url = url_for(&admin, &name);
        let s = Scratch {
            backend,
            name,
            admin,
            url,
            orphans_in: None,
        };
        s.admin_exec(&format!("CREATE DATABASE {}", s.name));
        s
    }

    pub fn pg() -> Scratch {
        Scratch::new(Dialect::Postgres)
    }

    pub fn mysql() -> Scratch {
        Scratch::new(Dialect::Mysql)
    }

    /// A scratch database on a private MariaDB server whose data directory is `datadir`.
    pub fn on_private_mariadb(admin: &str, datadir: &Path) -> Scratch {
        let mut s = Scratch::on(Dialect::Mysql, admin);
        s.orphans_in = Some(datadir.to_path_buf());
        s
    }

    /// Drop the database on the shared PostgreSQL from a `psql` left running: each DROP
    /// DATABASE waits for a checkpoint (0.2 s on a quiet machine, 2 s and more while CI
    /// loads the disk), which the test's lane need not wait for, and drops in flight at
    /// once share one (12 drops: 27.7 s one by one, 4.5 s six at a time). False (the caller
    /// drops and waits) on a private server, which its own guard stops, or without `psql`.
    fn drop_detached(&self, sql: &str) -> bool {
        if self.admin != admin_url(Dialect::Postgres) {
            return false;
        }
        std::process::Command::new("psql")
            .arg(&self.admin)
            .args(["-qXc", sql])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
    }

    fn admin_exec(&self, sql: &str) {
        if let Err(e) = self.admin_try(sql) {
            panic!("{sql}: {e}");
        }
    }

    fn admin_try(&self, sql: &str) -> Result<(), String> {
        let admin = self.admin.clone();
        let sql = sql.to_owned();
        let backend = self.backend;
        // a thread of its own: the guard may drop inside another runtime
        std::thread::spawn(move || {
            block_on(async move {
                match backend {
                    Dialect::Postgres => {
                        let mut c = sqlx::PgConnection::connect(&admin)
                            .await
                            .unwrap_or_else(|e| {
                                panic!(
                                    "cannot reach PostgreSQL at {admin} ({e}); run scripts/test.sh"
                                )
                            });
                        c.execute(sqlx::raw_sql(&sql))
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    }
                    Dialect::Mysql => {
                        let mut c =
                            sqlx::MySqlConnection::connect(&admin)
                                .await
                                .unwrap_or_else(|e| {
                                    panic!(
                                        "cannot reach MariaDB at {admin} ({e}); run scripts/test.sh"
                                    )
                                });
                        c.execute(sqlx::raw_sql(&sql))
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    }
                }
            })
        })
        .join()
        .unwrap()
    }

    /// After a `DROP DATABASE` that dropped every table but not the directory: deletes the
    /// files left in it (orphans of a crash); the names deleted.
    fn delete_orphans(&self) -> Vec<String> {
        let Some(datadir) = &self.orphans_in else {
            return Vec::new();
        };
        let mut deleted: Vec<String> = std::fs::read_dir(datadir.join(&self.name))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        deleted.sort();
        deleted
    }

    /// Run SQL on the scratch database.
    pub fn exec(&self, sql: &str) {
        let url = self.url.clone();
        let sql = sql.to_owned();
        let backend = self.backend;
        std::thread::spawn(move || {
            block_on(async move {
                match backend {
                    Dialect::Postgres => {
                        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.unwrap();
                    }
                    Dialect::Mysql => {
                        let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.unwrap();
                    }
                }
            });
        })
        .join()
        .unwrap();
    }

    /// An application's open transaction that has run `sql` (a row lock it now holds),
    /// kept open until [`Held::commit`].
    pub fn hold(&self, sql: &str) -> Held {
        let (url, sql, backend) = (self.url.clone(), sql.to_owned(), self.backend);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            block_on(async move {
                macro_rules! hold {
                    ($conn:ty) => {{
                        let mut c = <$conn>::connect(&url).await.unwrap();
                        c.execute("BEGIN").await.unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.unwrap();
                        ready_tx.send(()).unwrap();
                        let _ = commit_rx.recv();
                        c.execute("COMMIT").await.unwrap();
                    }};
                }
                match backend {
                    Dialect::Postgres => hold!(sqlx::PgConnection),
                    Dialect::Mysql => hold!(sqlx::MySqlConnection),
                }
            });
        });
        ready_rx
            .recv()
            .expect("the application's transaction holds its row");
        Held {
            commit: commit_tx,
            thread,
        }
    }

    /// A session on `url` (the scratch database, perhaps with connection options) running
    /// `sql` in a thread of its own, returned once `seen` (run on the scratch database) finds
    /// it: exactly one row, whose first column comes back (its session id, say).
    pub fn running(
        &self,
        url: &str,
        sql: &str,
        seen: &str,
    ) -> (std::thread::JoinHandle<()>, String) {
        let (url, sql, backend) = (url.to_owned(), sql.to_owned(), self.backend);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            block_on(async move {
                macro_rules! run {
                    ($conn:ty) => {{
                        let mut c = <$conn>::connect(&url).await.unwrap();
                        ready_tx.send(()).unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.unwrap();
                    }};
                }
                match backend {
                    Dialect::Postgres => run!(sqlx::PgConnection),
                    Dialect::Mysql => run!(sqlx::MySqlConnection),
                }
            });
        });
        ready_rx.recv().expect("the session connects");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let rows = self.strings(seen);
            if let [one] = rows.as_slice() {
                return (thread, one.clone());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the statement did not start: {seen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Run SQL on the scratch database; the server's error as text when it refuses it.
    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        let url = self.url.clone();
        let sql = sql.to_owned();
        let backend = self.backend;
        std::thread::spawn(move || {
            block_on(async move {
                let r = match backend {
                    Dialect::Postgres => {
                        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.map(|_| ())
                    }
                    Dialect::Mysql => {
                        let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.map(|_| ())
                    }
                };
                r.map_err(|e| e.to_string())
            })
        })
        .join()
        .unwrap()
    }

    /// First column of every row, as text (cast it in the SQL).
    pub fn strings(&self, sql: &str) -> Vec<String> {
        let url = self.url.clone();
        let sql = sql.to_owned();
        let backend = self.backend;
        std::thread::spawn(move || {
            block_on(async move {
                match backend {
                    Dialect::Postgres => {
                        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                        let rows = sqlx::query(&sql).fetch_all(&mut c).await.unwrap();
                        rows.iter()
                            .map(|r| {
                                r.try_get::<Option<String>, _>(0)
                                    .unwrap()
                                    .unwrap_or_default()
                            })
                            .collect()
                    }
                    Dialect::Mysql => {
                        let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
                        let rows = sqlx::query(&sql).fetch_all(&mut c).await.unwrap();
                        rows.iter()
                            .map(|r| {
                                r.try_get::<Option<String>, _>(0)
                                    .unwrap()
                                    .unwrap_or_default()
                            })
                            .collect()
                    }
                }
            })
        })
        .join()
        .unwrap()
    }

    pub fn table_exists(&self, table: &str) -> bool {
        let sql = match self.backend {
            Dialect::Postgres => format!(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_name = '{table}'"
            ),
            Dialect::Mysql => format!(
                "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = '{table}'",
                self.name
            ),
        };
        !self.strings(&sql).is_empty()
    }

    /// `migrate` with `DATABASE_URL` set to the scratch database, run from `cwd`.
    pub fn migrate(&self, cwd: &Path) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("migrate"));
        c.current_dir(cwd)
            .env("DATABASE_URL", &self.url)
            .env_remove("SLUICE_LOG")
            .env("NO_COLOR", "1");
        c
    }
}

/// The shared test server's admin URL.
pub fn admin_url(backend: Dialect) -> String {
    match backend {
        Dialect::Postgres => std::env::var("DATABASE_URL_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        Dialect::Mysql => std::env::var("DATABASE_URL_MYSQL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into()),
    }
}

/// The admin URL with another database.
pub fn url_for(admin: &str, name: &str) -> String {
    let (head, query) = match admin.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (admin, None),
    };
    let after = head.find("://").map_or(0, |i| i + 3);
    let base = match head[after..].find('/') {
        Some(i) => &head[..after + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let sql = match self.backend {
            Dialect::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Dialect::Mysql => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        if self.backend == Dialect::Postgres && self.drop_detached(&sql) {
            return;
        }
        if let Err(e) = self.admin_try(&sql) {
            let orphans = if e.contains("errno: 39") {
                self.delete_orphans()
            } else {
                Vec::new()
            };
            assert!(!orphans.is_empty(), "{sql}: {e}");
            eprintln!(
                "{sql}: {e}; deleted the crashed server's orphaned files {orphans:?} and dropped again"
            );
            self.admin_exec(&sql);
        }
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The number `key=<n>` of the first log line containing `line` (0 when there is none).
pub fn logged_number(log: &str, line: &str, key: &str) -> u64 {
    log.lines()
        .find(|l| l.contains(line))
        .and_then(|l| l.split(&format!("{key}=")).nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// An application transaction [`Scratch::hold`] keeps open.
pub struct Held {
    commit: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Held {
    /// Commit it (its locks go) and wait for that.
    pub fn commit(self) {
        self.commit.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

/// Run `cmd` to its end; once a line of its stderr contains `needle` (or `timeout` passed
/// without one), call `then`. Whether the line came, and the run.
pub fn run_until(
    cmd: &mut Command,
    needle: &str,
    timeout: std::time::Duration,
    then: impl FnOnce(),
) -> (bool, Run) {
    use std::io::{BufRead, Read};
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("migrate runs");
    let stderr = child.stderr.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<()>();
    let needle = needle.to_owned();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        for l in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if l.contains(&needle) {
                let _ = seen_tx.send(());
            }
            log.push_str(&l);
            log.push('\n');
        }
        log
    });
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let seen = seen_rx.recv_timeout(timeout).is_ok();
    then();
    let status = child.wait().unwrap();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: reader.join().unwrap(),
    };
    (seen, run)
}

pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().expect("migrate runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Write `files` (relative path, text) under a new temporary directory.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, text) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A `status --format json` entry's field.
pub fn status_json(s: &Scratch, dir: &Path) -> serde_json::Value {
    let r = run(s.migrate(dir).args(["status", ".", "--format", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    serde_json::from_str(&r.stdout).unwrap()
}

pub fn states(v: &serde_json::Value) -> Vec<String> {
    v["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{} {} {}",
                m["version"].as_str().unwrap(),
                m["phase"].as_str().unwrap(),
                m["state"].as_str().unwrap()
            )
        })
        .collect()
}

/// The schema of a scratch database (`run::snapshot`), with `opts`.
pub fn snapshot_with(
    s: &Scratch,
    opts: &sluice::run::snapshot::Options,
) -> sluice::run::snapshot::Snapshot {
    let url = sluice::run::url::DbUrl::parse(&s.url).unwrap();
    let opts = opts.clone();
    // a thread of its own: the caller may be inside a runtime
    std::thread::spawn(move || block_on(sluice::run::snapshot::snapshot(&url, &opts)).unwrap())
        .join()
        .unwrap()
}

/// The schema of a scratch database, Sluice's ledger and soft-dropped objects left out.
pub fn snapshot(s: &Scratch) -> sluice::run::snapshot::Snapshot {
    let ledger =
        sluice::run::ledger::Ledger::new(sluice::run::driver::database(s.backend), None, None);
    snapshot_with(s, &sluice::run::snapshot::Options::without_sluice(&ledger))
}

/// Run git in `dir` (a fixed identity, no signing, `main` as the first branch).
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Sluice Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `n` runners started at once with `migrate apply .` on `dir` (each waiting for the lock up
/// to 90 s); every one must exit 0. Returns how many `applied` lines they printed in all:
/// with the lock working, each migration once. Written once, used on both servers.
pub fn apply_concurrently(s: &Scratch, dir: &Path, n: usize) -> usize {
    use std::time::{Duration, Instant};
    let mut children: Vec<_> = (0..n)
        .map(|_| {
            s.migrate(dir)
                .args(["apply", ".", "--lock-wait", "90s"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
        if Instant::now() > deadline {
            for c in &mut children {
                let _ = c.kill();
            }
            panic!("concurrent runners did not finish in 120 s: deadlock?");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut applied = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        applied += stdout.lines().filter(|l| l.starts_with("applied ")).count();
    }
    applied
}

/// A planner test's workspace: `naive/` holds `0001_init.sql` (`init`) and
/// `0002_change.sql` (`naive`) for `migrate plan`; `migrations/0001_init/` holds the same init
/// as an applied expand (with `down` as its down script), where the plan is written next to it.
pub struct RecipeDirs {
    pub work: tempfile::TempDir,
    pub naive: PathBuf,
    pub migrations: PathBuf,
}

pub fn recipe_dirs(init: &str, down: &str, naive: &str, config: Option<&str>) -> RecipeDirs {
    let work = tempfile::tempdir().unwrap();
    if let Some(config) = config {
        std::fs::write(work.path().join("sluice.toml"), config).unwrap();
    }
    let naive_dir = work.path().join("naive");
    let migs = work.path().join("migrations");
    std::fs::create_dir_all(&naive_dir).unwrap();
    std::fs::create_dir_all(migs.join("0001_init")).unwrap();
    std::fs::write(naive_dir.join("0001_init.sql"), init).unwrap();
    std::fs::write(naive_dir.join("0002_change.sql"), naive).unwrap();
    std::fs::write(migs.join("0001_init/expand.up.sql"), init).unwrap();
    std::fs::write(migs.join("0001_init/expand.down.sql"), down).unwrap();
    RecipeDirs {
        work,
        naive: naive_dir,
        migrations: migs,
    }
}
