//! The plain client's side of the real-history test: each project's files in the order and
//! the transactions its own runner gives them, sent through `psql` / `mariadb`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sluice::run::url::DbUrl;
use sluice::sql::Dialect;

use crate::common::Scratch;

/// How a project names and orders its migration files.
#[derive(Clone, Copy)]
pub enum Layout {
    /// `<version>_<name>/up.sql`; diesel orders the versions with their dashes removed, as text.
    Diesel,
    /// `<n>_<name>.up.sql` (golang-migrate), numeric order.
    GolangMigrate,
    /// `V<n>.<Name>.up.sql`, numeric order.
    Authelia,
    /// `<version>_<name>[.<dialect>][.autocommit].up.sql` (ory/pop): the dialect's file, else
    /// the one for every dialect.
    Pop(&'static str),
}

pub struct Mig {
    pub version: String,
    pub up: PathBuf,
    pub down: Option<PathBuf>,
    /// The project's runner wraps the file in a transaction (PostgreSQL).
    pub tx: bool,
}

pub fn migrations(dir: &Path, layout: Layout) -> Vec<Mig> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out: Vec<(String, Mig)> = Vec::new();
    match layout {
        Layout::Diesel => {
            for n in names {
                let d = dir.join(&n);
                if !d.join("up.sql").is_file() {
                    continue;
                }
                let version = n.split('_').next().unwrap().to_owned();
                let meta = std::fs::read_to_string(d.join("metadata.toml")).unwrap_or_default();
                let no_tx = meta.lines().any(|l| {
                    let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                    l == "run_in_transaction=false"
                });
                out.push((
                    version.replace('-', ""),
                    Mig {
                        version,
                        up: d.join("up.sql"),
                        down: Some(d.join("down.sql")).filter(|p| p.is_file()),
                        tx: !no_tx,
                    },
                ));
            }
        }
        Layout::GolangMigrate | Layout::Authelia => {
            let mut by: BTreeMap<u64, (String, Option<PathBuf>, Option<PathBuf>)> = BTreeMap::new();
            for n in names {
                let stem = match layout {
                    Layout::Authelia => n.strip_prefix('V').and_then(|s| s.split_once('.')),
                    _ => n.split_once('_'),
                };
                let Some((v, rest)) = stem else { continue };
                let Ok(num) = v.parse::<u64>() else { continue };
                let e = by.entry(num).or_insert((v.to_owned(), None, None));
                if rest.ends_with(".up.sql") {
                    e.1 = Some(dir.join(&n));
                } else if rest.ends_with(".down.sql") {
                    e.2 = Some(dir.join(&n));
                }
            }
            for (num, (version, up, down)) in by {
                let up = up.unwrap();
                let text = std::fs::read_to_string(&up).unwrap();
                let tx = match layout {
                    Layout::Authelia => true,
                    _ => !text.to_ascii_uppercase().contains("CONCURRENTLY"),
                };
                out.push((
                    format!("{num:020}"),
                    Mig {
                        version,
                        up,
                        down,
                        tx,
                    },
                ));
            }
        }
        Layout::Pop(dialect) => {
            // (version) -> (generic up, generic down, dialect up, dialect down, autocommit)
            type Files = [Option<(PathBuf, bool)>; 4];
            let mut by: BTreeMap<String, Files> = BTreeMap::new();
            for n in names {
                let Some((stem, up)) = n
                    .strip_suffix(".up.sql")
                    .map(|s| (s, true))
                    .or_else(|| n.strip_suffix(".down.sql").map(|s| (s, false)))
                else {
                    continue;
                };
                let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
                    Some(s) => (s, true),
                    None => (stem, false),
                };
                let Some((version, rest)) = stem.split_once('_') else {
                    continue;
                };
                let file_dialect = rest.split_once('.').map(|(_, d)| d);
                let slot = match (file_dialect, up) {
                    (None, true) => 0,
                    (None, false) => 1,
                    (Some(d), true) if d == dialect => 2,
                    (Some(d), false) if d == dialect => 3,
                    _ => continue,
                };
                by.entry(version.to_owned()).or_default()[slot] = Some((dir.join(&n), autocommit));
            }
            for (version, f) in by {
                let up = f[2].clone().or_else(|| f[0].clone());
                let down = f[3].clone().or_else(|| f[1].clone());
                let Some((up, autocommit)) = up else { continue };
                out.push((
                    version.clone(),
                    Mig {
                        version,
                        up,
                        down: down.map(|d| d.0),
                        tx: !autocommit,
                    },
                ));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, m)| m).collect()
}

/// How far a plain-client run got: the files that completed, and the server's error of the
/// one that failed.
#[derive(Debug)]
pub struct PlainRun {
    pub done: usize,
    pub error: Option<String>,
}

/// Run `files` (with their transaction flags) on `s` with the plain client, in order, stopping
/// at the first error.
pub fn plain(s: &Scratch, files: &[(&Path, bool)]) -> PlainRun {
    const MARK: &str = "@@sluice-file ";
    let conn = DbUrl::parse(&s.url).unwrap().tool_conn();
    let mut script = String::new();
    let mut cmd = match s.backend {
        Dialect::Postgres => {
            for (i, (path, tx)) in files.iter().enumerate() {
                script.push_str(&format!("\\echo {MARK}{i}\n"));
                if *tx {
                    script.push_str("BEGIN;\n");
                }
                script.push_str(&format!("\\i '{}'\n", path.display()));
                if *tx {
                    script.push_str("COMMIT;\n");
                }
            }
            script.push_str(&format!("\\echo {MARK}{}\n", files.len()));
            let mut c = Command::new("psql");
            c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"])
                .arg(&s.url);
            c
        }
        Dialect::Mysql => {
            for (i, (path, _)) in files.iter().enumerate() {
                script.push_str(&format!("SELECT '{MARK}{i}';;;;\n"));
                script.push_str(&std::fs::read_to_string(path).unwrap());
                script.push_str("\n;;;;\n");
            }
            script.push_str(&format!("SELECT '{MARK}{}';;;;\n", files.len()));
            let mut c = Command::new("mariadb");
            c.arg("--delimiter=;;;;")
                .args(["--batch", "--skip-column-names"])
                .arg(format!(
                    "--host={}",
                    conn.host.as_deref().unwrap_or("127.0.0.1")
                ))
                .arg(format!("--port={}", conn.port.unwrap_or(3306)))
                .arg(format!("--user={}", conn.user.as_deref().unwrap_or("root")))
                .arg(&s.name);
            if let Some(p) = &conn.password {
                c.env("MYSQL_PWD", p);
            }
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the plain client runs (psql / mariadb installed)");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // the client stops reading at an error: a broken pipe is expected then
        let _ = stdin.write_all(script.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix(MARK))
        .filter_map(|n| n.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    if out.status.success() {
        assert_eq!(last, files.len(), "{stdout}\n{stderr}");
        return PlainRun {
            done: files.len(),
            error: None,
        };
    }
    PlainRun {
        done: last,
        error: Some(server_error(&stderr).unwrap_or_else(|| stderr.trim().to_owned())),
    }
}

/// The server's message in the plain client's error line.
fn server_error(stderr: &str) -> Option<String> {
    let line = stderr
        .lines()
        .find(|l| l.contains("ERROR:") || l.starts_with("ERROR "))?;
    Some(if let Some((_, msg)) = line.split_once("ERROR:") {
        msg.trim().to_owned()
    } else {
        // ERROR 1005 (HY000) at line 1: message
        line.split_once(": ")
            .map_or(line, |(_, m)| m)
            .trim()
            .to_owned()
    })
}
