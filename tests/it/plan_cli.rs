//! `migrate plan` through the binary: files, JSON, refusals, output directory rules.

use assert_cmd::Command;

fn migrate(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("migrate").unwrap();
    c.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    c
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, text) in files {
        std::fs::write(dir.path().join(p), text).unwrap();
    }
    dir
}

const INIT: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);";

#[test]
fn writes_the_phased_directory_and_refuses_to_overwrite() {
    let d = tree(&[
        ("0001_init.sql", INIT),
        (
            "0002_rename.sql",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
        ),
    ]);
    let out = migrate(d.path())
        .args(["plan", "0002_rename.sql", "--out", "phased"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let mut names: Vec<String> = std::fs::read_dir(d.path().join("phased"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "backfill.toml",
            "contract.down.sql",
            "contract.up.sql",
            "expand.down.sql",
            "expand.up.sql"
        ]
    );
    let expand = std::fs::read_to_string(d.path().join("phased/expand.up.sql")).unwrap();
    assert!(expand.starts_with("-- expand of 0002_rename:"), "{expand}");
    // the written directory lints clean as a contract-aware phased migration
    let lint = migrate(d.path())
        .args(["lint", "phased/expand.up.sql", "phased/contract.up.sql"])
        .output()
        .unwrap();
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&lint.stdout)
    );

    let again = migrate(d.path())
        .args(["plan", "0002_rename.sql", "--out", "phased"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    // --force replaces, and drops files of the previous plan that the new one has not
    std::fs::write(
        d.path().join("0002_rename.sql"),
        "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);",
    )
    .unwrap();
    let forced = migrate(d.path())
        .args(["plan", "0002_rename.sql", "--out", "phased", "--force"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{forced:?}");
    assert!(!d.path().join("phased/backfill.toml").exists());
    assert!(!d.path().join("phased/contract.up.sql").exists());
}

#[test]
fn json_describes_steps_and_refusals_exit_1() {
    let d = tree(&[
        ("0001_init.sql", INIT),
        (
            "0002_add.sql",
            "ALTER TABLE users ADD COLUMN handle text NOT NULL;\nCREATE INDEX users_name_idx ON users (name);",
        ),
        (
            "0003_idx.sql",
            "CREATE INDEX users_name_idx ON users (name);",
        ),
    ]);
    let out = migrate(d.path())
        .args(["plan", "0002_add.sql", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["refused"][0]["line"], 1);
    assert!(
        v["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("sluice:backfill")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0002_add.sql:1:1: refused:"), "{err}");

    let ok = migrate(d.path())
        .args(["plan", "0003_idx.sql", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    let step = &v["plan"]["steps"][0];
    assert_eq!(step["recipe"], "add-index");
    assert_eq!(step["strategy"], "concurrent-index");
    assert_eq!(step["phase"], "expand");
    assert!(
        step["lock"]
            .as_str()
            .unwrap()
            .starts_with("SHARE UPDATE EXCLUSIVE")
    );
    assert_eq!(v["files"][0]["name"], "expand.up.sql");
}

#[test]
fn bad_input_is_a_clear_error() {
    let d = tree(&[
        ("rename.sql", "ALTER TABLE users RENAME COLUMN a TO b;"),
        ("0002_bad.sql", "ALTER TABLE users FROBNICATE;"),
    ]);
    let out = migrate(d.path())
        .args(["plan", "rename.sql"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("carries no version"));
    let out = migrate(d.path())
        .args(["plan", "missing.sql"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = migrate(d.path())
        .args(["plan", "0002_bad.sql"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read this statement"));
}

#[test]
fn a_directory_plans_its_newest_migration() {
    let d = tree(&[
        ("0001_init.sql", INIT),
        (
            "0002_nn.sql",
            "ALTER TABLE users ALTER COLUMN name DROP NOT NULL;",
        ),
        (
            "0003_idx.sql",
            "CREATE INDEX users_name_idx ON users (name);",
        ),
    ]);
    let out = migrate(d.path())
        .args(["plan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["plan"]["version"], "0003");
    assert_eq!(v["plan"]["name"], "idx");
    assert_eq!(v["plan"]["recipes"][0]["recipe"], "add-index");
}

/// `--rename-column` chooses how a PostgreSQL column rename is planned, over `[plan]
/// rename_column` of sluice.toml; a value it does not know is a clear error.
#[test]
fn the_rename_column_choice_comes_from_the_flag_over_the_config() {
    let d = tree(&[
        ("0001_init.sql", INIT),
        (
            "0002_rename.sql",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
        ),
        ("sluice.toml", "[plan]\nrename_column = \"view\"\n"),
    ]);
    let plan = |extra: &[&str]| {
        let out = migrate(d.path())
            .args(["plan", "0002_rename.sql"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let view = plan(&[]);
    assert!(view.contains("rename-column-view"), "{view}");
    assert!(!view.contains("CREATE TRIGGER"), "{view}");
    let copy = plan(&["--rename-column", "copy"]);
    assert!(copy.contains("CREATE TRIGGER"), "{copy}");
    assert!(!copy.contains("CREATE VIEW"), "{copy}");
    let out = migrate(d.path())
        .args(["plan", "0002_rename.sql", "--rename-column", "alias"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("possible values: copy, view"), "{err}");
}
