//! `migrate plan` into a directory of another layout (issue 14, point 6): the phases become
//! migrations of that layout (expand + backfill at the planned version, the contract at
//! the next one), which lint and apply with Sluice, and with the layout's own tool where it
//! is installed here (dbmate from npm, by scripts/test.sh; sqlx-cli when `SQLX_CLI` names a
//! binary or `sqlx` is on the PATH). goose has no package here that ships its binary (npm's
//! `goose-cli` downloads it from GitHub when first run), so goose files are checked by
//! Sluice alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Scratch, run, tree};

/// A history in one layout: its files, the naive migration to plan, `--out`, and the files
/// the plan must leave.
struct Case {
    layout: &'static str,
    files: Vec<(String, String)>,
    naive: &'static str,
    out: &'static str,
    expect: &'static [&'static str],
    /// The naive migration's files start so: the plan replaces them.
    naive_prefix: &'static [&'static str],
    contract_version: &'static str,
}

const INIT_UP: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text, email text);\nINSERT INTO users VALUES (1, 'ann', 'a@x'), (2, 'bob', 'b@x'), (3, NULL, 'c@x');\n";
const INIT_DOWN: &str = "DROP TABLE users;\n";
const NAIVE_UP: &str = "ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n";
const NAIVE_DOWN: &str = "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\nALTER TABLE users RENAME COLUMN full_name TO name;\n";

fn f(p: &str, t: &str) -> (String, String) {
    (p.to_owned(), t.to_owned())
}

fn cases() -> Vec<Case> {
    let sections = |marker_up: &str, marker_down: &str, up: &str, down: &str| {
        format!("{marker_up}\n{up}\n{marker_down}\n{down}")
    };
    vec![
        Case {
            layout: "sqlx",
            files: vec![
                f(
                    "sluice.toml",
                    "[migrations]\ndir = \"m\"\nlayout = \"sqlx\"\n",
                ),
                f("m/0001_init.up.sql", INIT_UP),
                f("m/0001_init.down.sql", INIT_DOWN),
                f("m/0002_rename.up.sql", NAIVE_UP),
                f("m/0002_rename.down.sql", NAIVE_DOWN),
            ],
            naive: "m/0002_rename.up.sql",
            out: "m/0002_rename",
            expect: &[
                "0002_rename.up.sql",
                "0002_rename.down.sql",
                "0002_rename.backfill.toml",
                "0003_rename_contract.up.sql",
                "0003_rename_contract.down.sql",
            ],
            naive_prefix: &["0002_"],
            contract_version: "0003",
        },
        Case {
            layout: "golang-migrate",
            files: vec![
                f("m/000001_init.up.sql", INIT_UP),
                f("m/000001_init.down.sql", INIT_DOWN),
                f("m/000002_rename.up.sql", NAIVE_UP),
            ],
            naive: "m/000002_rename.up.sql",
            out: "m",
            expect: &[
                "000002_rename.up.sql",
                "000002_rename.down.sql",
                "000002_rename.backfill.toml",
                "000003_rename_contract.up.sql",
                "000003_rename_contract.down.sql",
            ],
            naive_prefix: &["000002_"],
            contract_version: "000003",
        },
        Case {
            layout: "flyway",
            files: vec![
                f("m/V1__init.sql", INIT_UP),
                f("m/U1__init.sql", INIT_DOWN),
                f("m/V2__rename.sql", NAIVE_UP),
                f("m/U2__rename.sql", NAIVE_DOWN),
                // a later migration leaves no integer between 2 and 3: the contract is 2.1
                f("m/V3__later.sql", "CREATE TABLE later (id int);\n"),
                f("m/U3__later.sql", "DROP TABLE later;\n"),
            ],
            naive: "m/V2__rename.sql",
            out: "m/V2__rename",
            expect: &[
                "V2__rename.sql",
                "V2__rename.sql.conf",
                "U2__rename.sql",
                "U2__rename.sql.conf",
                "V2__rename.backfill.toml",
                "V2.1__rename_contract.sql",
                "V2.1__rename_contract.sql.conf",
                "U2.1__rename_contract.sql",
                "U2.1__rename_contract.sql.conf",
            ],
            naive_prefix: &["V2__", "U2__"],
            contract_version: "2.1",
        },
        Case {
            layout: "dbmate",
            files: vec![
                f(
                    "m/20240101000000_init.sql",
                    &sections("-- migrate:up", "-- migrate:down", INIT_UP, INIT_DOWN),
                ),
                f(
                    "m/20240102000000_rename.sql",
                    &sections("-- migrate:up", "-- migrate:down", NAIVE_UP, NAIVE_DOWN),
                ),
            ],
            naive: "m/20240102000000_rename.sql",
            out: "m/20240102000000_rename",
            expect: &[
                "20240102000000_rename.sql",
                "20240102000000_rename.backfill.toml",
                "20240102000001_rename_contract.sql",
            ],
            naive_prefix: &["20240102000000_"],
            contract_version: "20240102000001",
        },
        Case {
            layout: "goose",
            files: vec![
                f(
                    "m/00001_init.sql",
                    &sections("-- +goose Up", "-- +goose Down", INIT_UP, INIT_DOWN),
                ),
                f(
                    "m/00002_rename.sql",
                    &sections("-- +goose Up", "-- +goose Down", NAIVE_UP, NAIVE_DOWN),
                ),
            ],
            naive: "m/00002_rename.sql",
            out: "m",
            expect: &[
                "00002_rename.sql",
                "00002_rename.backfill.toml",
                "00003_rename_contract.sql",
            ],
            naive_prefix: &["00002_"],
            contract_version: "00003",
        },
        Case {
            layout: "diesel",
            files: vec![
                f("m/2024-01-01-000000_init/up.sql", INIT_UP),
                f("m/2024-01-01-000000_init/down.sql", INIT_DOWN),
                f("m/2024-01-02-000000_rename/up.sql", NAIVE_UP),
                f("m/2024-01-02-000000_rename/down.sql", NAIVE_DOWN),
                // the planned migration's own metadata is replaced too
                f(
                    "m/2024-01-02-000000_rename/metadata.toml",
                    "run_in_transaction = true\n",
                ),
            ],
            naive: "m/2024-01-02-000000_rename/up.sql",
            out: "m/2024-01-02-000000_rename",
            expect: &[
                "2024-01-02-000000_rename/up.sql",
                "2024-01-02-000000_rename/down.sql",
                "2024-01-02-000000_rename/metadata.toml",
                "2024-01-02-000000_rename/backfill.toml",
                "2024-01-02-000001_rename_contract/up.sql",
                "2024-01-02-000001_rename_contract/down.sql",
                "2024-01-02-000001_rename_contract/metadata.toml",
            ],
            naive_prefix: &["2024-01-02-000000_"],
            contract_version: "2024-01-02-000001",
        },
        Case {
            layout: "pop",
            files: vec![
                f("m/20240101000000000000_init.postgres.up.sql", INIT_UP),
                f("m/20240101000000000000_init.down.sql", INIT_DOWN),
                f(
                    "m/20240101000000000000_init.cockroach.up.sql",
                    "CREATE TABLE users (id INT8 PRIMARY KEY);",
                ),
                f("m/20240102000000000000_rename.postgres.up.sql", NAIVE_UP),
                f(
                    "m/20240102000000000000_rename.postgres.down.sql",
                    NAIVE_DOWN,
                ),
            ],
            naive: "m/20240102000000000000_rename.postgres.up.sql",
            out: "m/20240102000000000000_rename",
            expect: &[
                "20240102000000000000_rename.postgres.autocommit.up.sql",
                "20240102000000000000_rename.postgres.autocommit.down.sql",
                "20240102000000000000_rename.postgres.backfill.toml",
                "20240102000000000001_rename_contract.postgres.autocommit.up.sql",
                "20240102000000000001_rename_contract.postgres.autocommit.down.sql",
            ],
            naive_prefix: &["20240102000000000000_rename.postgres"],
            contract_version: "20240102000000000001",
        },
        Case {
            layout: "native",
            files: vec![
                f("m/0001_init/expand.up.sql", INIT_UP),
                f("m/0001_init/expand.down.sql", INIT_DOWN),
                f("m/0002_rename/expand.up.sql", NAIVE_UP),
            ],
            naive: "m/0002_rename/expand.up.sql",
            out: "m/0002_rename",
            expect: &[
                "0002_rename/expand.up.sql",
                "0002_rename/expand.down.sql",
                "0002_rename/backfill.toml",
                "0002_rename/contract.up.sql",
                "0002_rename/contract.down.sql",
            ],
            naive_prefix: &["0002_"],
            contract_version: "0002",
        },
    ]
}

/// Every file under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The column names of `users`, sorted, and its rows' (id, full_name).
fn users(s: &Scratch) -> (Vec<String>, Vec<String>) {
    let cols = s.strings(
        "SELECT column_name::text || ':' || is_nullable FROM information_schema.columns \
         WHERE table_name = 'users' ORDER BY 1",
    );
    let rows = s.strings("SELECT id || '=' || coalesce(full_name, '-') FROM users ORDER BY id");
    (cols, rows)
}

fn plan_into(case: &Case) -> tempfile::TempDir {
    let files: Vec<(&str, &str)> = case
        .files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = tree(&files);
    let mut args = vec!["plan", case.naive, "--out", case.out];
    if case.layout == "native" {
        args.push("--force"); // the naive expand.up.sql is in the directory planned into
    }
    let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir.path())
        .args(&args));
    assert_eq!(r.code, 0, "{}: {r:?}", case.layout);
    dir
}

/// Issue 14: `migrate plan m/0002_rename.up.sql --out m/0002_rename` wrote a native phased
/// directory into a sqlx directory; then `migrate apply m` and `migrate lint m` stopped with
/// `m: mixes migration layouts`.
#[test]
fn plan_into_a_foreign_layout_no_longer_mixes_layouts() {
    for case in cases() {
        let dir = plan_into(&case);
        let m = dir.path().join("m");
        let all = listing(&m);
        for e in case.expect {
            assert!(
                all.iter().any(|a| a == e),
                "{}: {e} missing in {all:?}",
                case.layout
            );
        }
        // the naive migration's own files are replaced, the others stay as they were
        let mut want: Vec<String> = case
            .files
            .iter()
            .filter_map(|(p, _)| p.strip_prefix("m/"))
            .filter(|p| !case.naive_prefix.iter().any(|n| p.starts_with(n)))
            .map(str::to_owned)
            .chain(case.expect.iter().map(|e| (*e).to_owned()))
            .collect();
        want.sort();
        want.dedup();
        assert_eq!(all, want, "{}", case.layout);
        if case.layout == "diesel" {
            let meta = m.join("2024-01-02-000000_rename/metadata.toml");
            let meta = std::fs::read_to_string(meta).unwrap();
            assert_eq!(meta, "run_in_transaction = false\n");
        }
        if case.layout == "flyway" {
            // the phases hold their own BEGIN / COMMIT: Flyway must not wrap them
            let conf = std::fs::read_to_string(m.join("V2.1__rename_contract.sql.conf")).unwrap();
            assert_eq!(conf, "executeInTransaction=false\n");
        }
        let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .args(["lint", "m"]));
        assert_eq!(r.code, 0, "{}: {r:?}", case.layout);
        assert!(!r.stderr.contains("mixes"), "{r:?}");

        let s = Scratch::pg();
        let r = run(s.migrate(dir.path()).args(["apply", "m", "--phase", "all"]));
        assert_eq!(
            r.code, 3,
            "{}: the contract waits for the rollout: {r:?}",
            case.layout
        );
        assert!(r.stdout.contains("backfilled"), "{}: {r:?}", case.layout);
        let r = run(s
            .migrate(dir.path())
            .args(["rollout", "complete", "--release", "r1"]));
        assert_eq!(r.code, 0, "{r:?}");
        let r = run(s
            .migrate(dir.path())
            .args(["apply", "m", "--phase", "contract"]));
        assert_eq!(r.code, 0, "{}: {r:?}", case.layout);
        let dropped = format!(
            "_sluice_dropped_name_{}:YES",
            case.contract_version.replace(['-', '.'], "_")
        );
        assert_eq!(
            users(&s),
            (
                vec![
                    dropped,
                    "email:NO".into(),
                    "full_name:YES".into(),
                    "id:NO".into()
                ],
                vec!["1=ann".into(), "2=bob".into(), "3=-".into()]
            ),
            "{}",
            case.layout
        );
        if case.layout == "diesel" {
            // rolling back diesel's dashed versions is issue 14, point 1 (the runner's)
            continue;
        }
        let r = run(s.migrate(dir.path()).args(["rollback", "m", "--to", "0"]));
        assert_eq!(r.code, 0, "{}: {r:?}", case.layout);
        assert!(!s.table_exists("users"), "{}", case.layout);
    }
}

fn dbmate() -> Option<PathBuf> {
    // scripts/test.sh installs it there (npm)
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/.bin/dbmate");
    if let Ok(p) = std::env::var("DBMATE") {
        return Some(PathBuf::from(p));
    }
    if local.is_file() {
        return Some(local);
    }
    Command::new("dbmate")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("dbmate"))
}

/// The planned dbmate migrations apply and roll back with dbmate itself (it does not run
/// the backfill: Sluice does; the shape is the same).
#[test]
fn planned_dbmate_migrations_apply_with_dbmate() {
    let Some(dbmate) = dbmate() else {
        eprintln!("dbmate not installed (npm install dbmate): not checked");
        return;
    };
    let case = cases().into_iter().find(|c| c.layout == "dbmate").unwrap();
    let dir = plan_into(&case);
    let s = Scratch::pg();
    let url = format!("{}?sslmode=disable", s.url);
    let tool = |args: &[&str]| {
        let out = Command::new(&dbmate)
            .current_dir(dir.path())
            .env("DATABASE_URL", &url)
            .args(["--migrations-dir", "m", "--no-dump-schema"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "dbmate {args:?}: {out:?}");
    };
    tool(&["up"]);
    let (cols, _) = users(&s);
    assert!(s.table_exists("users"));
    assert_eq!(
        cols,
        [
            "_sluice_dropped_name_20240102000001:YES",
            "email:NO",
            "full_name:YES",
            "id:NO"
        ]
    );
    tool(&["rollback"]);
    tool(&["rollback"]);
    let cols = s.strings(
        "SELECT column_name::text || ':' || is_nullable FROM information_schema.columns \
         WHERE table_name = 'users' ORDER BY 1",
    );
    assert_eq!(cols, ["email:YES", "id:NO", "name:YES"]);
}

const MY_INIT_UP: &str = "CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(100), email VARCHAR(100));\nINSERT INTO users VALUES (1, 'ann', 'a@x'), (2, 'bob', 'b@x');\n";
const MY_NAIVE_UP: &str = "ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users MODIFY email VARCHAR(100) NOT NULL;\n";

fn my_columns(s: &Scratch) -> Vec<String> {
    s.strings(
        "SELECT CAST(CONCAT(COLUMN_NAME, ':', IS_NULLABLE) AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' ORDER BY 1",
    )
}

/// A MariaDB case: layout, files, the naive file, `--out`, the contract's version.
type MyCase = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
    &'static str,
);

/// The same on MariaDB: golang-migrate and pop files (pop's `mysql` variant) planned with
/// the MySQL recipes apply, fill and contract with Sluice; dbmate applies its files too.
#[test]
fn plan_into_foreign_layouts_on_mariadb() {
    let cases: [MyCase; 3] = [
        (
            "golang-migrate",
            vec![
                ("m/0001_init.up.sql", MY_INIT_UP),
                ("m/0001_init.down.sql", "DROP TABLE users;"),
                ("m/0002_rename.up.sql", MY_NAIVE_UP),
            ],
            "m/0002_rename.up.sql",
            "m/0002_rename",
            "0003",
        ),
        (
            "pop",
            vec![
                ("m/20240101000000000000_init.up.sql", MY_INIT_UP),
                ("m/20240101000000000000_init.down.sql", "DROP TABLE users;"),
                ("m/20240102000000000000_rename.mysql.up.sql", MY_NAIVE_UP),
                ("m/20240102000000000000_rename.mysql.down.sql", "SELECT 1;"),
                (
                    "m/20240102000000000000_rename.postgres.up.sql",
                    "SELECT 'pg';",
                ),
                (
                    "m/20240102000000000000_rename.postgres.down.sql",
                    "SELECT 'pg';",
                ),
            ],
            "m/20240102000000000000_rename.mysql.up.sql",
            "m/20240102000000000000_rename",
            "20240102000000000001",
        ),
        (
            "dbmate",
            vec![
                (
                    "m/20240101000000_init.sql",
                    "-- migrate:up\nCREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(100), email VARCHAR(100));\nINSERT INTO users VALUES (1, 'ann', 'a@x'), (2, 'bob', 'b@x');\n-- migrate:down\nDROP TABLE users;\n",
                ),
                (
                    "m/20240102000000_rename.sql",
                    "-- migrate:up\nALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users MODIFY email VARCHAR(100) NOT NULL;\n",
                ),
            ],
            "m/20240102000000_rename.sql",
            "m",
            "20240102000001",
        ),
    ];
    for (layout, files, naive, out, contract) in cases {
        let mut files = files;
        files.push(("sluice.toml", "dialect = \"mysql\"\n"));
        let dir = tree(&files);
        let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .args(["plan", naive, "--out", out]));
        assert_eq!(r.code, 0, "{layout}: {r:?}");
        let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .args(["lint", "m"]));
        assert_eq!(r.code, 0, "{layout}: {r:?}");
        if layout == "pop" {
            // the other dialect's variant is left alone
            let pg = dir
                .path()
                .join("m/20240102000000000000_rename.postgres.up.sql");
            assert_eq!(std::fs::read_to_string(pg).unwrap(), "SELECT 'pg';");
        }
        let s = Scratch::mysql();
        let r = run(s.migrate(dir.path()).args(["apply", "m", "--phase", "all"]));
        assert_eq!(r.code, 3, "{layout}: {r:?}");
        let r = run(s
            .migrate(dir.path())
            .args(["rollout", "complete", "--release", "r1"]));
        assert_eq!(r.code, 0, "{r:?}");
        let r = run(s
            .migrate(dir.path())
            .args(["apply", "m", "--phase", "contract"]));
        assert_eq!(r.code, 0, "{layout}: {r:?}");
        assert_eq!(
            my_columns(&s),
            [
                format!("_sluice_dropped_name_{contract}:YES"),
                "email:NO".into(),
                "full_name:YES".into(),
                "id:NO".into()
            ],
            "{layout}"
        );
        assert_eq!(
            s.strings("SELECT CAST(full_name AS CHAR) FROM users ORDER BY id"),
            ["ann", "bob"],
            "{layout}: the backfill ran"
        );
        if layout == "dbmate"
            && let Some(dbmate) = dbmate()
        {
            let t = Scratch::mysql();
            let out = Command::new(&dbmate)
                .current_dir(dir.path())
                .env("DATABASE_URL", &t.url)
                .args(["--migrations-dir", "m", "--no-dump-schema", "up"])
                .output()
                .unwrap();
            assert!(out.status.success(), "dbmate up: {out:?}");
            assert_eq!(my_columns(&t), my_columns(&s));
        }
    }
}

/// What cannot be placed is said before anything is written.
#[test]
fn plan_into_a_foreign_layout_explains_what_does_not_fit() {
    let files = [
        ("m/000001_init.up.sql", INIT_UP),
        ("m/000001_init.down.sql", INIT_DOWN),
        ("m/000002_rename.up.sql", NAIVE_UP),
        ("m/000003_later.up.sql", "CREATE TABLE later (id int);"),
        ("m/000003_later.down.sql", "DROP TABLE later;"),
        ("elsewhere/0001_naive.sql", NAIVE_UP),
    ];
    let dir = tree(&files);
    let plan = |args: &[&str]| {
        run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .arg("plan")
            .args(args))
    };
    let r = plan(&["m/000002_rename.up.sql", "--out", "m"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("no free golang-migrate version right after 000002")
            && r.stderr.contains("the next migration is 000003"),
        "{r:?}"
    );
    let r = plan(&["elsewhere/0001_naive.sql", "--out", "m/000003_taken"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("version 000003 is taken by"), "{r:?}");
    let r = plan(&["m/000002_rename.up.sql", "--out", "m/000004_rename"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("plan it at its own version"), "{r:?}");
    assert_eq!(listing(&dir.path().join("m")).len(), 5, "nothing written");
}

/// The planned sqlx migrations apply and revert with sqlx-cli itself, when installed
/// (`cargo install sqlx-cli --no-default-features --features postgres,mysql,rustls`, a long
/// build: not in CI; `SQLX_CLI` names the binary, else `sqlx` on the PATH).
#[test]
fn planned_sqlx_migrations_apply_with_sqlx_cli() {
    let sqlx = std::env::var("SQLX_CLI").unwrap_or_else(|_| "sqlx".into());
    if !Command::new(&sqlx)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("sqlx-cli not installed: not checked");
        return;
    }
    let case = cases().into_iter().find(|c| c.layout == "sqlx").unwrap();
    let dir = plan_into(&case);
    let s = Scratch::pg();
    let tool = |args: &[&str]| {
        let out = Command::new(&sqlx)
            .current_dir(dir.path())
            .args(["migrate"])
            .args(args)
            .args(["--source", "m", "--database-url", &s.url])
            .output()
            .unwrap();
        assert!(out.status.success(), "sqlx migrate {args:?}: {out:?}");
    };
    tool(&["run"]);
    let (cols, _) = users(&s);
    assert_eq!(
        cols,
        [
            "_sluice_dropped_name_0003:YES",
            "email:NO",
            "full_name:YES",
            "id:NO"
        ]
    );
    tool(&["revert"]);
    tool(&["revert"]);
    let cols = s.strings(
        "SELECT column_name::text || ':' || is_nullable FROM information_schema.columns \
         WHERE table_name = 'users' ORDER BY 1",
    );
    assert_eq!(cols, ["email:YES", "id:NO", "name:YES"]);
}

const SPLIT_INIT: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text, email text);\nCREATE INDEX users_name_idx ON users (name);\nINSERT INTO users VALUES (1, 'ann', 'a@x');\n";
const SPLIT_NAIVE: &str = "ALTER TABLE users ADD COLUMN bio text;\nCREATE INDEX users_email_idx ON users (email);\nDROP INDEX users_name_idx;\nALTER TABLE users DROP COLUMN name;\n";

/// The columns and the valid indexes of `users`.
fn users_shape(s: &Scratch) -> Vec<String> {
    s.strings(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users' \
         UNION ALL SELECT 'index ' || c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = 'users'::regclass AND i.indisvalid ORDER BY 1",
    )
}

/// Runners that send a file as one query (sqlx and dbmate for a file marked to run outside a
/// transaction, golang-migrate always) had `migrate plan` write a `CREATE INDEX CONCURRENTLY`
/// into the same file as the phase's other statements: PostgreSQL ran the file as one
/// transaction and refused it, and `migrate lint` refused the written files. Such a phase now
/// becomes several migrations, each `CONCURRENTLY` statement alone in one. The reference is
/// what those tools do: each file sent as one query, ups in order and downs in reverse (and
/// dbmate itself where installed); then Sluice applies and rolls back the same directory.
#[test]
fn a_concurrently_statement_beside_others_becomes_a_migration_of_its_own() {
    let before = [
        "email",
        "id",
        "index users_name_idx",
        "index users_pkey",
        "name",
    ];
    for layout in ["sqlx", "golang-migrate", "dbmate"] {
        // the history, the naive file, --out, and the written files' version padding and suffix
        let (init, naive, out, pad, ext) = match layout {
            "sqlx" => (
                vec![
                    f(
                        "sluice.toml",
                        "[migrations]\ndir = \"m\"\nlayout = \"sqlx\"\n",
                    ),
                    f("m/0001_init.up.sql", SPLIT_INIT),
                    f("m/0001_init.down.sql", "DROP TABLE users;\n"),
                    f("m/0002_more.up.sql", SPLIT_NAIVE),
                ],
                "m/0002_more.up.sql",
                "m/0002_more",
                "00",
                ".up.sql",
            ),
            "golang-migrate" => (
                vec![
                    f("m/000001_init.up.sql", SPLIT_INIT),
                    f("m/000001_init.down.sql", "DROP TABLE users;\n"),
                    f("m/000002_more.up.sql", SPLIT_NAIVE),
                ],
                "m/000002_more.up.sql",
                "m",
                "0000",
                ".up.sql",
            ),
            _ => (
                vec![
                    f(
                        "sluice.toml",
                        "[migrations]\ndir = \"m\"\nlayout = \"dbmate\"\n",
                    ),
                    f(
                        "m/0001_init.sql",
                        &format!(
                            "-- migrate:up\n{SPLIT_INIT}\n-- migrate:down\nDROP TABLE users;\n"
                        ),
                    ),
                    f("m/0002_more.sql", &format!("-- migrate:up\n{SPLIT_NAIVE}")),
                ],
                "m/0002_more.sql",
                "m",
                "00",
                ".sql",
            ),
        };
        let stem = |n: &str| format!("{pad}{n}{ext}");
        let files: Vec<(&str, &str)> = init.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let dir = tree(&files);
        let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .args(["plan", naive, "--out", out]));
        assert_eq!(r.code, 0, "{layout}: {r:?}");
        assert!(
            r.stdout.contains("expand at versions")
                && r.stdout
                    .contains("a CONCURRENTLY statement is a migration of its own"),
            "{layout}: {r:?}"
        );
        let m = dir.path().join("m");
        let all = listing(&m);
        // the soft-dropped column carries the contract's last version
        let dropped = format!("{pad}05");
        let after = [
            format!("_sluice_dropped_name_{dropped}"),
            "bio".into(),
            "email".into(),
            "id".into(),
            "index users_email_idx".into(),
            "index users_pkey".into(),
        ];
        let names = [
            "02_more",
            "03_more_expand_2",
            "04_more_contract",
            "05_more_contract_2",
        ];
        for n in names {
            assert!(
                all.contains(&stem(n)),
                "{layout}: {} missing in {all:?}",
                stem(n)
            );
        }
        // the file's SQL, its comments left out
        let text = |n: &str| {
            let t = std::fs::read_to_string(m.join(stem(n))).unwrap();
            t.lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        // each CONCURRENTLY statement alone in its migration
        assert!(
            text("03_more_expand_2").contains("\nCREATE INDEX CONCURRENTLY users_email_idx")
                && !text("02_more").contains("CONCURRENTLY"),
            "{layout}"
        );
        let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .args(["lint", "m"]));
        assert_eq!(r.code, 0, "{layout}: the written files lint clean: {r:?}");

        // the reference: each file sent as one query, as the tool sends it
        if layout != "dbmate" {
            let s = Scratch::pg();
            let mut ups = all
                .iter()
                .filter(|p| p.ends_with(".up.sql"))
                .collect::<Vec<_>>();
            ups.sort();
            for up in &ups {
                let sql = std::fs::read_to_string(m.join(up)).unwrap();
                s.try_exec(&sql)
                    .unwrap_or_else(|e| panic!("{layout}: {up} as one query: {e}"));
            }
            assert_eq!(users_shape(&s), after, "{layout}");
            for up in ups.iter().rev() {
                let down = m.join(up.replace(".up.sql", ".down.sql"));
                let sql = std::fs::read_to_string(&down).unwrap();
                s.try_exec(&sql)
                    .unwrap_or_else(|e| panic!("{layout}: {} as one query: {e}", down.display()));
            }
            assert!(!s.table_exists("users"), "{layout}");
        } else if let Some(dbmate) = dbmate() {
            let s = Scratch::pg();
            let url = format!("{}?sslmode=disable", s.url);
            let tool = |args: &[&str]| {
                let out = Command::new(&dbmate)
                    .current_dir(dir.path())
                    .env("DATABASE_URL", &url)
                    .args(["--migrations-dir", "m", "--no-dump-schema"])
                    .args(args)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "dbmate {args:?}: {out:?}");
            };
            tool(&["up"]);
            assert_eq!(users_shape(&s), after, "dbmate");
            for _ in 0..4 {
                tool(&["rollback"]);
            }
            assert_eq!(users_shape(&s), before, "dbmate");
        }

        // Sluice: the expand, the rollout, the contract, and back
        let s = Scratch::pg();
        let r = run(s.migrate(dir.path()).args(["apply", "m", "--phase", "all"]));
        assert_eq!(
            r.code, 3,
            "{layout}: the contract waits for the rollout: {r:?}"
        );
        let r = run(s
            .migrate(dir.path())
            .args(["rollout", "complete", "--release", "r1"]));
        assert_eq!(r.code, 0, "{r:?}");
        let r = run(s
            .migrate(dir.path())
            .args(["apply", "m", "--phase", "contract"]));
        assert_eq!(r.code, 0, "{layout}: {r:?}");
        assert_eq!(users_shape(&s), after, "{layout}");
        let r = run(s.migrate(dir.path()).args(["rollback", "m", "--to", "1"]));
        assert_eq!(r.code, 0, "{layout}: {r:?}");
        assert_eq!(users_shape(&s), before, "{layout}");
    }
}

/// `migrate verify` of a plan written into diesel's layout, its two migrations named as files:
/// a file named on its own did not get the `backfill.toml` of its directory, so the expand ran
/// without its backfill and the contract's NOT NULL proof failed on the generated rows (found
/// on lemmy's `2022-06-21-123144_language-tags`).
#[test]
fn verify_runs_the_backfill_of_a_planned_migration_named_as_a_file() {
    use crate::common::verify::verify_dir;
    let dir = tree(&[
        (
            "sluice.toml",
            "[migrations]\ndir = \"m\"\nlayout = \"diesel\"\n",
        ),
        (
            "m/2024-01-01-000000_init/up.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'x');\n",
        ),
        ("m/2024-01-01-000000_init/down.sql", "DROP TABLE users;\n"),
        (
            "m/2024-01-02-000000_rename/up.sql",
            "ALTER TABLE users RENAME COLUMN name TO full_name;\n",
        ),
    ]);
    let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir.path())
        .args([
            "plan",
            "m/2024-01-02-000000_rename/up.sql",
            "--out",
            "m/2024-01-02-000000_rename",
        ]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        dir.path()
            .join("m/2024-01-02-000000_rename/backfill.toml")
            .is_file()
    );
    let (r, json) = verify_dir(
        dir.path(),
        sluice::sql::Dialect::Postgres,
        &[
            "m/2024-01-02-000000_rename/up.sql",
            "m/2024-01-02-000001_rename_contract/up.sql",
            "--rows",
            "200",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let outcomes: Vec<(String, String)> = json["runs"][0]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let steps: Vec<&str> = m["steps"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s["step"].as_str())
                .collect();
            (m["outcome"].as_str().unwrap().to_owned(), steps.join(" "))
        })
        .collect();
    assert_eq!(outcomes[0].0, "proven", "{json:#}");
    assert!(outcomes[0].1.contains("backfill"), "{outcomes:?}");
    assert_eq!(outcomes[1].0, "proven", "{json:#}");
}
