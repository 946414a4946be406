//! The ory/pop layout (issue 14, point 5): one directory holds every dialect's variant
//! (`<version>_<name>.<dialect>.up.sql`); Sluice applies and lints the target dialect's.

use std::path::Path;

use crate::common::{Scratch, run, tree};
use sluice::source::{self, Layout, LayoutChoice};
use sluice::sql::Dialect;

fn kratos() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora/kratos/persistence/sql/migrations/sql");
    dir.is_dir().then_some(dir)
}

/// The versions a pop directory holds for `dialect`, read from the names alone: every
/// version with an up file of that dialect or of none.
fn versions_for(dir: &Path, dialect: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let stem = name.strip_suffix(".up.sql")?;
            let stem = stem.strip_suffix(".autocommit").unwrap_or(stem);
            let (version, rest) = stem.split_once('_')?;
            let ours = rest.split_once('.').is_none_or(|(_, d)| d == dialect);
            ours.then(|| version.to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Issue 14: `migrate lint` and `migrate apply` on kratos stopped with
/// `two migrations have version 20150100000001000000`.
#[test]
fn kratos_no_longer_stops_on_two_migrations_with_one_version() {
    let Some(dir) = kratos() else {
        eprintln!("../shared/corpora not found: kratos not checked");
        return;
    };
    for (dialect, name) in [(Dialect::Postgres, "postgres"), (Dialect::Mysql, "mysql")] {
        let found = source::discover_for(&dir, LayoutChoice::Auto, dialect).unwrap();
        assert_eq!(found.layout, Layout::Pop);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let got: Vec<&str> = found
            .migrations
            .iter()
            .map(|m| m.version.raw.as_str())
            .collect();
        assert_eq!(got, versions_for(&dir, name), "{name}");
        // every script is that dialect's or the dialect-free one
        for m in &found.migrations {
            for s in &m.scripts {
                let file = s.file.path.file_name().unwrap().to_str().unwrap();
                let other = ["postgres", "mysql", "cockroach", "sqlite3"]
                    .iter()
                    .filter(|d| **d != name)
                    .any(|d| file.contains(&format!(".{d}.")));
                assert!(!other, "{name}: {file}");
            }
        }
        let cwd = tree(&[]);
        let r = run(
            std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
                .current_dir(cwd.path())
                .args(["lint", "--dialect", name])
                .arg(&dir),
        );
        assert!(r.code == 0 || r.code == 1, "{name}: {r:?}");
        assert!(!r.stderr.contains("two migrations"), "{r:?}");
    }
}

const POP: &[(&str, &str)] = &[
    (
        "m/20240101000000000000_init.postgres.up.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY, note text);",
    ),
    (
        "m/20240101000000000000_init.mysql.up.sql",
        "CREATE TABLE t (id BIGINT PRIMARY KEY, note TEXT) ENGINE=InnoDB;",
    ),
    (
        "m/20240101000000000000_init.cockroach.up.sql",
        "CREATE TABLE t (id INT8 PRIMARY KEY) -- not for us;",
    ),
    ("m/20240101000000000000_init.down.sql", "DROP TABLE t;"),
    (
        "m/20240102000000000000_more.up.sql",
        "CREATE TABLE u (id bigint PRIMARY KEY);",
    ),
    (
        "m/20240102000000000000_more.sqlite3.up.sql",
        "CREATE TABLE u (id INTEGER PRIMARY KEY AUTOINCREMENT);",
    ),
    ("m/20240102000000000000_more.down.sql", "DROP TABLE u;"),
    (
        "m/20240103000000000000_idx.postgres.autocommit.up.sql",
        "CREATE INDEX CONCURRENTLY t_note ON t (note);",
    ),
    (
        "m/20240103000000000000_idx.postgres.autocommit.down.sql",
        "DROP INDEX CONCURRENTLY t_note;",
    ),
    (
        "m/20240103000000000000_idx.mysql.up.sql",
        "CREATE INDEX t_note ON t (note(10));",
    ),
    (
        "m/20240103000000000000_idx.mysql.down.sql",
        "DROP INDEX t_note ON t;",
    ),
    (
        "m/20240104000000000000_nothing.up.sql",
        "-- empty on purpose\n",
    ),
    ("m/20240104000000000000_nothing.down.sql", ""),
];

#[test]
fn pop_directory_applies_and_rolls_back_the_target_dialect() {
    for (s, dialect) in [(Scratch::pg(), "postgres"), (Scratch::mysql(), "mysql")] {
        let mut files = POP.to_vec();
        let config = format!("dialect = \"{dialect}\"\n");
        files.push(("sluice.toml", &config));
        let dir = tree(&files);
        let r = run(s.migrate(dir.path()).args(["apply", "m"]));
        assert_eq!(r.code, 0, "{dialect}: {r:?}");
        assert!(s.table_exists("t") && s.table_exists("u"), "{dialect}");
        let index = match dialect {
            "postgres" => "SELECT indexname::text FROM pg_indexes WHERE indexname = 't_note'",
            _ => {
                "SELECT CAST(INDEX_NAME AS CHAR) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 't_note'"
            }
        };
        assert_eq!(s.strings(index), ["t_note"], "{dialect}");
        let r = run(s.migrate(dir.path()).args(["rollback", "m", "--to", "0"]));
        assert_eq!(r.code, 0, "{dialect}: {r:?}");
        assert!(!s.table_exists("t") && !s.table_exists("u"), "{dialect}");
    }
}

/// A plan of a pop migration written for every dialect (no `.postgres.` in its name) whose
/// steps are all in the contract (kratos' `add_flow_type_check_constraint`: a CHECK, added
/// NOT VALID and validated after the rollout). The plan writes an empty `.postgres.` expand
/// at its version, which stands for the naive file on PostgreSQL: without it the naive file
/// ran first, and the contract failed on the constraint it had added.
#[test]
fn a_plan_of_a_file_of_every_dialect_holds_its_version() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "sluice.toml",
            "dialect = \"postgres\"\n[gates.default]\nkind = \"command\"\ncommand = \"true\"\n",
        ),
        (
            "m/20240101000000000000_init.postgres.up.sql",
            "CREATE TABLE tokens (id int PRIMARY KEY, kind int NOT NULL);",
        ),
        (
            "m/20240101000000000000_init.mysql.up.sql",
            "CREATE TABLE tokens (id INT PRIMARY KEY, kind INT NOT NULL) ENGINE=InnoDB;",
        ),
        ("m/20240101000000000000_init.down.sql", "DROP TABLE tokens;"),
        (
            "m/20240102000000000000_kind_check.up.sql",
            "ALTER TABLE tokens ADD CONSTRAINT tokens_kind_ck CHECK (kind = 1 OR kind = 2);",
        ),
        (
            "m/20240102000000000000_kind_check.down.sql",
            "ALTER TABLE tokens DROP CONSTRAINT tokens_kind_ck;",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args([
        "plan",
        "m/20240102000000000000_kind_check.up.sql",
        "--out",
        "m",
    ]));
    assert_eq!(r.code, 0, "{r:?}");
    let files: Vec<String> = std::fs::read_dir(dir.path().join("m"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("20240102"))
        .collect();
    // the generic file stays for the other dialects; PostgreSQL's own files stand for it
    for want in [
        "20240102000000000000_kind_check.up.sql",
        "20240102000000000000_kind_check.postgres.autocommit.up.sql",
        "20240102000000000001_kind_check_contract.postgres.autocommit.up.sql",
    ] {
        assert!(files.iter().any(|f| f == want), "{want}: {files:?}");
    }
    let checks = "SELECT conname::text FROM pg_constraint WHERE conname = 'tokens_kind_ck'";
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        s.strings(checks).is_empty(),
        "the naive file ran in the expand"
    );
    let r = run(s.migrate(dir.path()).args(["apply", "m", "--phase", "all"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(s.strings(checks), ["tokens_kind_ck"]);
}
