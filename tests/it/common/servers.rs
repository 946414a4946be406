//! Private database servers a test starts, restarts and stops itself: the fault tests crash
//! and restart a server, which must never be the shared one of `DATABASE_URL_PG` /
//! `DATABASE_URL_MYSQL` (every other test uses it at the same time).
//!
//! PostgreSQL: `initdb` + `pg_ctl` from the installed server's bin directory (run as the
//! `postgres` user when the test runs as root, which PostgreSQL refuses). MariaDB:
//! `mariadb-install-db` + `mariadbd` with its own datadir, socket and port. Both listen on
//! 127.0.0.1 on a free port; their files live under the target's tmp directory and are
//! removed when the guard drops (after a stop).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sluice::sql::Dialect;

/// A free TCP port on 127.0.0.1 (bound then released: a small race, retried by the caller's
/// start failing loudly).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `cmd` as `user` when running as root (`su`), else as is.
fn as_user(user: &str, cmd: &str) -> Command {
    if is_root() {
        let mut c = Command::new("su");
        c.args([user, "-s", "/bin/sh", "-c", cmd]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", cmd]);
        c
    }
}

fn check(c: &mut Command, what: &str) {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A directory of its own under the target's tmp directory, owned by `user` when root.
fn workdir(kind: &str, user: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{kind}-{}-{}",
        std::process::id(),
        rand::random_range(0..1_000_000u32)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    if is_root() {
        check(
            Command::new("chown").args([user, &dir.display().to_string()]),
            "chown",
        );
    }
    dir
}

pub enum Private {
    Pg(PrivatePg),
    Mariadb(PrivateMariadb),
}

impl Private {
    /// A started server of `dialect`; `None` when its programs are not installed.
    pub fn start(dialect: Dialect) -> Option<Private> {
        match dialect {
            Dialect::Postgres => PrivatePg::start().map(Private::Pg),
            Dialect::Mysql => PrivateMariadb::start().map(Private::Mariadb),
        }
    }

    /// The admin URL (database `postgres` / `mysql`).
    pub fn admin_url(&self) -> String {
        match self {
            Private::Pg(p) => format!("postgres://postgres@127.0.0.1:{}/postgres", p.port),
            Private::Mariadb(m) => format!("mysql://root@127.0.0.1:{}/mysql", m.port),
        }
    }

    /// Crash the server (no clean shutdown: `pg_ctl stop -m immediate`, SIGKILL of
    /// `mariadbd`) and start it again; returns once it accepts connections.
    pub fn crash_restart(&mut self) {
        match self {
            Private::Pg(p) => {
                p.ctl("stop -m immediate");
                p.ctl_start();
            }
            Private::Mariadb(m) => {
                m.kill9();
                m.spawn();
            }
        }
    }
}

pub struct PrivatePg {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    /// Server settings beyond the defaults (`-c name=value` each).
    settings: Vec<String>,
}

impl PrivatePg {
    fn bin_dir() -> Option<PathBuf> {
        // the newest installed server (Debian: /usr/lib/postgresql/<major>/bin)
        let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let major = e.file_name().to_str()?.parse().ok()?;
                Some((major, e.path().join("bin")))
            })
            .filter(|(_, p)| p.join("initdb").is_file())
            .collect();
        majors.sort();
        majors.pop().map(|(_, p)| p)
    }

    pub fn start() -> Option<PrivatePg> {
        Self::start_with(&[])
    }

    /// Started with server settings (`name=value`) only a restart could change on the
    /// shared server (`shared_preload_libraries`).
    pub fn start_with(settings: &[&str]) -> Option<PrivatePg> {
        let bin = Self::bin_dir()?;
        let dir = workdir("pg", "postgres");
        let pg = PrivatePg {
            port: free_port(),
            bin,
            dir,
            settings: settings.iter().map(|s| format!(" -c {s}")).collect(),
        };
        check(
            &mut as_user(
                "postgres",
                &format!(
                    "{} -D {} --auth=trust -U postgres --no-sync -E UTF8 >/dev/null",
                    pg.bin.join("initdb").display(),
                    pg.data().display()
                ),
            ),
            "initdb",
        );
        pg.ctl_start();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn ctl(&self, args: &str) {
        check(
            &mut as_user(
                "postgres",
                &format!(
                    "{} -D {} -w -t 120 {args}",
                    self.bin.join("pg_ctl").display(),
                    self.data().display()
                ),
            ),
            &format!("pg_ctl {args}"),
        );
    }

    fn ctl_start(&self) {
        // fsync off: a crash here is the server process's, not the machine's (the page
        // cache survives it), so crash recovery is exercised all the same
        self.ctl(&format!(
            "-l {} -o '-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200{}' start",
            self.dir.join("log").display(),
            self.port,
            self.dir.display(),
            self.settings.concat()
        ));
    }

    /// The URL of database `db` on it.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = as_user(
            "postgres",
            &format!(
                "{} -D {} -w -m immediate stop",
                self.bin.join("pg_ctl").display(),
                self.data().display()
            ),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct PrivateMariadb {
    dir: PathBuf,
    port: u16,
    child: Option<std::process::Child>,
}

impl PrivateMariadb {
    pub fn start() -> Option<PrivateMariadb> {
        if !Path::new("/usr/sbin/mariadbd").is_file() {
            return None;
        }
        let dir = workdir("mariadb", "mysql");
        let mut m = PrivateMariadb {
            port: free_port(),
            dir,
            child: None,
        };
        let mut install = Command::new("mariadb-install-db");
        install
            .arg(format!("--datadir={}", m.dir.join("data").display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        if is_root() {
            install.arg("--user=mysql");
        }
        check(&mut install, "mariadb-install-db");
        m.spawn();
        Some(m)
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn spawn(&mut self) {
        let d = &self.dir;
        let mut c = Command::new("/usr/sbin/mariadbd");
        c.arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("sock").display()))
            .arg(format!("--port={}", self.port))
            .arg(format!("--pid-file={}", d.join("pid").display()))
            .arg(format!("--log-error={}", d.join("err.log").display()))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=256M",
                "--max-connections=200",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if is_root() {
            c.arg("--user=mysql");
        }
        self.child = Some(c.spawn().expect("mariadbd starts"));
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let up = Command::new("mariadb-admin")
                .args([
                    "--protocol=tcp",
                    "-h127.0.0.1",
                    &format!("-P{}", self.port),
                    "-uroot",
                    "ping",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if up {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the private MariaDB did not start: {}",
                std::fs::read_to_string(d.join("err.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateMariadb {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
