//! Real projects' migration histories (`../shared/corpora`), differential: the plain client
//! (`psql`, `mariadb`) applies each history into database A, `migrate apply` into database B.
//! Sluice must apply exactly the migrations the plain client applies, stop where it stops
//! (the same migration, with the server's error), and leave the same schema (a catalog
//! snapshot; Sluice's ledger and soft-dropped objects left out). Then `migrate rollback --to 0`
//! on B must run the downs in exact reverse apply order (the ledger's timestamps), stop at the
//! first down that fails as the plain client running the downs in reverse order on A does,
//! and touch no other migration; the schemas are compared again.
//!
//! The plain client is driven the way each project's own runner sends the files: one session
//! (the runners use one connection), file by file in the project's version order; on
//! PostgreSQL each file in a transaction where the project's runner gives it one (diesel
//! unless `metadata.toml` says `run_in_transaction = false`; golang-migrate sends a file as
//! one query, so a multi-statement file is one implicit transaction and a lone `CREATE INDEX
//! CONCURRENTLY` none; authelia a transaction per migration; pop unless `.autocommit`); on
//! MariaDB each file is sent whole as one multi-statement query (`mariadb
//! --delimiter=';;;;'`), since the client's own `;` split breaks stored-program bodies.
//!
//! Setup outside the migrations: chirpstack needs `CREATE EXTENSION pg_trgm` (its initial
//! migration uses `gin_trgm_ops` and does not create the extension).
//!
//! Divergences Sluice still has are listed in `KNOWN` with the issue point that explains
//! each; a divergence not listed, or a listed one that no longer happens, fails the test.
//! Each history prints its figures (`cargo nextest run --test it -E 'test(/^real_histories::/)'
//! --success-output immediate`).

mod plain;

use std::path::{Path, PathBuf};
use std::time::Instant;

use sluice::run::snapshot::diff;
use sluice::sql::Dialect;

use crate::common::{Scratch, snapshot};
use plain::{Layout, Mig, migrations, plain};

fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

struct History {
    name: &'static str,
    backend: Dialect,
    dir: &'static str,
    layout: Layout,
    /// SQL run on both databases before the history (things outside its migrations).
    setup: &'static str,
}

/// A ledger row: version, state, finished_at, error.
type Row = (String, String, String, Option<String>);

/// The ledger of B, ordered by when each row last changed (the database's clock).
fn ledger(s: &Scratch) -> Vec<Row> {
    if !s.table_exists("sluice_migrations") {
        return Vec::new();
    }
    let (text, finished) = match s.backend {
        Dialect::Postgres => ("text", "finished_at::text"),
        Dialect::Mysql => ("CHAR", "CAST(finished_at AS CHAR)"),
    };
    let rows = s.strings(&format!(
        "SELECT CAST(CONCAT(version, '\t', state, '\t', COALESCE({finished}, ''), '\t', COALESCE(error, '')) AS {text}) FROM sluice_migrations ORDER BY finished_at, version"
    ));
    rows.iter()
        .map(|r| {
            let f: Vec<&str> = r.splitn(4, '\t').collect();
            (
                f[0].to_owned(),
                f[1].to_owned(),
                f[2].to_owned(),
                Some(f[3].to_owned()).filter(|e| !e.is_empty()),
            )
        })
        .collect()
}

/// Where the runs parted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// `migrate apply` did not apply the same migrations, or stopped elsewhere or otherwise.
    Up,
    /// Both applied the same migrations; the schemas differ.
    UpSchema,
    /// `migrate rollback --to 0` did not roll back the same migrations in reverse order, or
    /// stopped elsewhere or otherwise.
    Down,
    /// Both rolled back the same migrations; the schemas differ.
    DownSchema,
}

/// A divergence expected until its fix lands: history, step, the migration where Sluice
/// parts from the plain client (the first one it treats differently; "" for a schema
/// difference), the issue-14 point that explains it, and the cause found.
struct Known {
    history: &'static str,
    step: Step,
    version: &'static str,
    point: &'static str,
    cause: &'static str,
}

const KNOWN: &[Known] = &[];

/// The divergences of one history: (step, version) with a description.
type Found = Vec<(Step, String, String)>;

/// The two databases of one history, the plain client's on A and Sluice's on B.
struct Run<'h> {
    h: &'h History,
    migs: Vec<Mig>,
    dir: PathBuf,
    cwd: tempfile::TempDir,
    a: Scratch,
    b: Scratch,
    found: Found,
}

/// How the apply went on both sides.
struct Up {
    /// The plain client's run.
    plain: plain::PlainRun,
    /// Versions Sluice applied.
    applied: usize,
    /// Both applied the same migrations and stopped alike.
    same: bool,
}

fn check(h: &History) {
    let Some(root) = corpora() else {
        eprintln!("../shared/corpora not found: {} not checked", h.name);
        return;
    };
    let started = Instant::now();
    let migs = migrations(&root.join(h.dir), h.layout);
    assert!(!migs.is_empty(), "{}: no migrations found", h.name);
    let mut run = Run {
        h,
        migs,
        dir: root.join(h.dir),
        cwd: tempfile::tempdir().unwrap(),
        a: Scratch::new(h.backend),
        b: Scratch::new(h.backend),
        found: Vec::new(),
    };
    if !h.setup.is_empty() {
        run.a.exec(h.setup);
        run.b.exec(h.setup);
    }
    let up = run.apply();
    let mut snapshot_ms = None;
    if up.same {
        let t = Instant::now();
        let sa = snapshot(&run.a);
        snapshot_ms = Some(t.elapsed().as_secs_f64() * 1000.0);
        assert!(
            up.plain.done == 0 || !sa.tables.is_empty(),
            "{}: the snapshot after {} migrations holds no table",
            h.name,
            up.plain.done
        );
        let d = diff(&sa, &snapshot(&run.b));
        if !d.is_empty() {
            run.found
                .push((Step::UpSchema, String::new(), d.to_string()));
        }
    }
    let (plain_down, rolled) = run.rollback(&up);
    eprintln!(
        "{}: {} migrations; plain client applied {}, Sluice {}; rolled back: plain client {}, Sluice {}; {:.1} s; a snapshot {}",
        h.name,
        run.migs.len(),
        up.plain.done,
        up.applied,
        plain_down.map_or_else(|| "-".to_owned(), |n| n.to_string()),
        rolled,
        started.elapsed().as_secs_f64(),
        snapshot_ms.map_or_else(|| "not taken".to_owned(), |ms| format!("{ms:.0} ms"))
    );
    compare_with_known(h.name, &run.found);
}

impl Run<'_> {
    /// The plain client and `migrate apply`, side by side; divergences into `found`.
    fn apply(&mut self) -> Up {
        let ups: Vec<(&Path, bool)> = self.migs.iter().map(|m| (m.up.as_path(), m.tx)).collect();
        let (a, b) = (&self.a, &self.b);
        let (plain_up, sluice) = std::thread::scope(|sc| {
            let p = sc.spawn(|| plain(a, &ups));
            let r = crate::common::run(b.migrate(self.cwd.path()).arg("apply").arg(&self.dir));
            (p.join().unwrap(), r)
        });
        let rows = ledger(&self.b);
        let applied: Vec<&str> = rows
            .iter()
            .filter(|r| r.1 == "applied")
            .map(|r| r.0.as_str())
            .collect();
        let expected: Vec<&str> = self.migs[..plain_up.done]
            .iter()
            .map(|m| m.version.as_str())
            .collect();
        let divergence = if applied != expected {
            let first = expected
                .iter()
                .zip(&applied)
                .position(|(x, y)| x != y)
                .unwrap_or(expected.len().min(applied.len()));
            Some((
                self.migs
                    .get(first)
                    .map_or_else(String::new, |m| m.version.clone()),
                format!(
                    "plain client applied {} of {} ({}), Sluice {} (exit {}): {}",
                    plain_up.done,
                    self.migs.len(),
                    plain_up.error.as_deref().unwrap_or("no error"),
                    applied.len(),
                    sluice.code,
                    last_error(&sluice.stderr)
                ),
            ))
        } else if let Some(err) = &plain_up.error {
            // the same migration fails on B, with the server's error in its ledger row
            let failed = &self.migs[plain_up.done].version;
            let row = rows.iter().find(|r| &r.0 == failed);
            let same = sluice.code != 0
                && row.is_some_and(|r| r.1 == "failed" && self.same_error(err, r.3.as_deref()));
            (!same).then(|| {
                (
                    failed.clone(),
                    format!(
                        "the plain client fails at {failed} with `{err}`; Sluice: exit {}, ledger {row:?}",
                        sluice.code
                    ),
                )
            })
        } else {
            (sluice.code != 0).then(|| {
                (
                    String::new(),
                    format!(
                        "Sluice exited {}: {}",
                        sluice.code,
                        last_error(&sluice.stderr)
                    ),
                )
            })
        };
        let same = divergence.is_none();
        if let Some((v, what)) = divergence {
            self.found.push((Step::Up, v, what));
        }
        Up {
            plain: plain_up,
            applied: applied.len(),
            same,
        }
    }

    /// The plain client's error text found in Sluice's (database names aside).
    fn same_error(&self, plain: &str, sluice: Option<&str>) -> bool {
        let norm = |s: &str| s.replace(&self.a.name, "DB").replace(&self.b.name, "DB");
        sluice.is_some_and(|s| norm(s).contains(&norm(plain)))
    }

    /// `migrate rollback --to 0` on B: newest first, nothing else touched; when the applies
    /// matched, compared with the plain client running the downs in reverse order on A.
    /// Returns how many the plain client rolled back (when run) and Sluice did.
    fn rollback(&mut self, up: &Up) -> (Option<usize>, usize) {
        let before = ledger(&self.b);
        let rb = crate::common::run(
            self.b
                .migrate(self.cwd.path())
                .args(["rollback", "--to", "0"])
                .arg(&self.dir),
        );
        let after = ledger(&self.b);
        // applied rows in the order they finished, then a failed one (it ran last)
        let reverse: Vec<&str> = before
            .iter()
            .filter(|r| r.1 == "applied")
            .chain(before.iter().filter(|r| r.1 == "failed"))
            .map(|r| r.0.as_str())
            .rev()
            .collect();
        let rolled: Vec<&str> = after
            .iter()
            .filter(|r| r.1 == "rolled_back")
            .filter(|r| before.iter().any(|o| o.0 == r.0 && o.1 != "rolled_back"))
            .map(|r| r.0.as_str())
            .collect();
        let in_order = rolled.len() <= reverse.len() && rolled[..] == reverse[..rolled.len()];
        // the down that failed, if one did, is the next in reverse order
        let next = reverse.get(rolled.len()).copied();
        let untouched = after.iter().all(|r| {
            rolled.contains(&r.0.as_str()) || Some(r.0.as_str()) == next || before.contains(r)
        });
        if !in_order || !untouched {
            self.found.push((
                Step::Down,
                String::new(),
                format!(
                    "rollback order: rolled back {rolled:?}, apply order reversed {reverse:?}; exit {}: {}",
                    rb.code,
                    last_error(&rb.stderr)
                ),
            ));
        }
        if !up.same {
            return (None, rolled.len());
        }
        // A migration that failed half-way: on MariaDB its statements before the error stay,
        // so its down runs first; on PostgreSQL its transaction left nothing to undo (Sluice
        // only marks its ledger row rolled back)
        let mut down_migs: Vec<&Mig> = self.migs[..up.plain.done].iter().rev().collect();
        let mut offset = 0;
        if up.plain.error.is_some() {
            match self.h.backend {
                Dialect::Mysql => down_migs.insert(0, &self.migs[up.plain.done]),
                Dialect::Postgres => offset = 1,
            }
        }
        // the plain client stops where a down file is missing; Sluice refuses there
        let downs: Vec<(&Path, bool)> = down_migs
            .iter()
            .map_while(|m| m.down.as_deref().map(|d| (d, m.tx)))
            .collect();
        let cut_short = downs.len() < down_migs.len();
        let plain_down = plain(&self.a, &downs);
        let want = &reverse[..(plain_down.done + offset).min(reverse.len())];
        let same = rolled == want
            && match &plain_down.error {
                Some(err) => {
                    let failed = reverse.get(plain_down.done + offset);
                    let row = after.iter().find(|r| Some(&r.0.as_str()) == failed);
                    rb.code != 0
                        && row.is_some_and(|r| {
                            r.1 != "rolled_back" && self.same_error(err, r.3.as_deref())
                        })
                }
                None => (rb.code != 0) == cut_short,
            };
        if same {
            let d = diff(&snapshot(&self.a), &snapshot(&self.b));
            if !d.is_empty() {
                self.found
                    .push((Step::DownSchema, String::new(), d.to_string()));
            }
        } else {
            let v = reverse
                .iter()
                .zip(rolled.iter().chain(std::iter::repeat(&"")))
                .find(|(x, y)| x != y)
                .map_or_else(String::new, |(x, _)| (*x).to_owned());
            self.found.push((
                Step::Down,
                v,
                format!(
                    "plain client rolled back {} ({}), Sluice {} (exit {}): {}",
                    plain_down.done,
                    plain_down.error.as_deref().unwrap_or("no error"),
                    rolled.len(),
                    rb.code,
                    last_error(&rb.stderr)
                ),
            ));
        }
        (Some(plain_down.done), rolled.len())
    }
}

fn last_error(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("error"))
        .unwrap_or("")
        .to_owned()
}

fn compare_with_known(history: &str, found: &Found) {
    let known: Vec<&Known> = KNOWN.iter().filter(|k| k.history == history).collect();
    let mut problems = Vec::new();
    for (step, version, what) in found {
        if known
            .iter()
            .any(|k| k.step == *step && k.version == version)
        {
            eprintln!("{history}: expected divergence {step:?} at `{version}`: {what}");
        } else {
            problems.push(format!("new divergence {step:?} at `{version}`:\n{what}"));
        }
    }
    for k in known {
        if !found.iter().any(|(s, v, _)| *s == k.step && v == k.version) {
            problems.push(format!(
                "listed divergence {:?} at `{}` ({}: {}) no longer happens: remove it from KNOWN",
                k.step, k.version, k.point, k.cause
            ));
        }
    }
    assert!(problems.is_empty(), "{history}:\n{}", problems.join("\n\n"));
}

macro_rules! history {
    ($test:ident, $name:literal, $backend:ident, $dir:literal, $layout:expr, $setup:literal) => {
        #[test]
        fn $test() {
            check(&History {
                name: $name,
                backend: Dialect::$backend,
                dir: $dir,
                layout: $layout,
                setup: $setup,
            });
        }
    };
}

history!(
    pg_lemmy,
    "lemmy",
    Postgres,
    "lemmy/migrations",
    Layout::Diesel,
    ""
);
history!(
    pg_crates_io,
    "crates.io",
    Postgres,
    "crates.io/migrations",
    Layout::Diesel,
    ""
);
history!(
    pg_ente,
    "ente",
    Postgres,
    "ente/server/migrations",
    Layout::GolangMigrate,
    ""
);
history!(
    pg_chirpstack,
    "chirpstack",
    Postgres,
    "chirpstack/chirpstack/migrations_postgres",
    Layout::Diesel,
    "CREATE EXTENSION pg_trgm"
);
history!(
    pg_authelia,
    "authelia-pg",
    Postgres,
    "authelia/internal/storage/migrations/postgres",
    Layout::Authelia,
    ""
);
history!(
    mysql_authelia,
    "authelia-mysql",
    Mysql,
    "authelia/internal/storage/migrations/mysql",
    Layout::Authelia,
    ""
);
history!(
    pg_vaultwarden,
    "vaultwarden-pg",
    Postgres,
    "vaultwarden/migrations/postgresql",
    Layout::Diesel,
    ""
);
history!(
    mysql_vaultwarden,
    "vaultwarden-mysql",
    Mysql,
    "vaultwarden/migrations/mysql",
    Layout::Diesel,
    ""
);
history!(
    pg_mattermost_2021,
    "mattermost-2021-pg",
    Postgres,
    "mattermost-2021/db/migrations/postgres",
    Layout::GolangMigrate,
    ""
);
history!(
    mysql_mattermost_2021,
    "mattermost-2021-mysql",
    Mysql,
    "mattermost-2021/db/migrations/mysql",
    Layout::GolangMigrate,
    ""
);
history!(
    pg_kratos,
    "kratos-pg",
    Postgres,
    "kratos/persistence/sql/migrations/sql",
    Layout::Pop("postgres"),
    ""
);
history!(
    mysql_kratos,
    "kratos-mysql",
    Mysql,
    "kratos/persistence/sql/migrations/sql",
    Layout::Pop("mysql"),
    ""
);
