//! The `migrate` binary end to end: exit codes, messages, bad input.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn migrate(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("migrate").expect("binary built");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SLUICE_LOG");
    cmd
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn example_has_findings_with_snippets() {
    let out = migrate(repo())
        .args(["lint", "migrations-example/postgres"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("renaming-column"), "{out}");
    assert!(out.contains("require-concurrent-index-creation"), "{out}");
    assert!(
        out.contains("ALTER TABLE users RENAME COLUMN name TO full_name;"),
        "{out}"
    );
    assert!(out.contains('^'), "a caret under the span: {out}");
    assert!(
        !out.contains('\u{1b}'),
        "no colour when NO_COLOR is set: {out}"
    );
}

#[test]
fn sarif_of_the_example_validates_against_the_schema() {
    let out = migrate(repo())
        .args(["lint", "--format", "sarif", "migrations-example/postgres"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("SARIF is JSON");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("fixtures/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn json_output_is_machine_readable() {
    let out = migrate(repo())
        .args(["lint", "--format", "json", "migrations-example/postgres"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rules: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"renaming-column"), "{rules:?}");
}

#[test]
fn two_migrations_with_one_version_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "1_a.up.sql",
        "1_a.down.sql",
        "001_b.up.sql",
        "001_b.down.sql",
    ] {
        std::fs::write(dir.path().join(f), "SELECT 1;\n").unwrap();
    }
    migrate(dir.path())
        .args(["lint", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("./1_a.").and(predicate::str::contains("./001_b.")));
}

#[test]
fn non_utf8_file_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.sql"), b"SELECT 1;\nSELECT '\xff';\n").unwrap();
    migrate(dir.path())
        .args(["lint", "bad.sql"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.sql:2:9").and(predicate::str::contains("UTF-8")));
}

#[test]
fn unterminated_quotes_are_syntax_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("q.sql"),
        "SELECT 1;\nUPDATE t SET a = 'x WHERE id = 1;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.sql"),
        "CREATE FUNCTION f() RETURNS int\nAS $fn$ SELECT 1;\n",
    )
    .unwrap();
    migrate(dir.path())
        .args(["lint", "--format", "gcc", "q.sql", "d.sql"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("q.sql:2:18: error: unterminated string literal").and(
                predicate::str::contains("d.sql:2:4: error: unterminated dollar-quoted string"),
            ),
        );
}

#[test]
fn unknown_rule_in_config_is_an_error_with_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sluice.toml"),
        "[lint.rules]\nban-drop-colum = \"off\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.sql"), "SELECT 1;\n").unwrap();
    migrate(dir.path())
        .args(["lint", "a.sql"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "sluice.toml:2:1: unknown rule `ban-drop-colum` (did you mean `ban-drop-column`?)",
        ));
}

#[test]
fn missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    migrate(dir.path())
        .args(["lint", "nope/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope/: no such file or directory"));
}

#[test]
fn stdin_with_a_file_name() {
    let dir = tempfile::tempdir().unwrap();
    migrate(dir.path())
        .args([
            "lint",
            "--format",
            "gcc",
            "--stdin-filename",
            "db/0042_drop.sql",
            "-",
        ])
        .write_stdin("ALTER TABLE users DROP COLUMN nickname;\n")
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("db/0042_drop.sql:1:19: error:")
                .and(predicate::str::contains("[ban-drop-column]")),
        );
}

#[test]
fn fail_on_warning_turns_warnings_into_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("w.sql"),
        "CREATE STATISTICS s (dependencies) ON a, b FROM t;\n",
    )
    .unwrap();
    migrate(dir.path()).args(["lint", "w.sql"]).assert().code(0);
    migrate(dir.path())
        .args(["lint", "--fail-on", "warning", "w.sql"])
        .assert()
        .code(1);
}

#[test]
fn rules_and_explain() {
    migrate(repo()).args(["rules"]).assert().code(0).stdout(
        predicate::str::contains("ban-drop-column").and(predicate::str::contains("contract-only")),
    );
    migrate(repo())
        .args(["explain", "ban-drop-column"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("# ban-drop-column"));
    migrate(repo())
        .args(["explain", "ban-drop-colum"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `ban-drop-column`"));
}

#[test]
fn usage_errors_exit_2() {
    migrate(repo())
        .args(["lint", "--format", "xml"])
        .assert()
        .code(2);
}

/// Each directory given is its own history: a table of one is unknown to the other, and
/// linting them together prints what linting each alone prints, one after the other.
#[test]
fn each_directory_is_its_own_history() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |path: &str, sql: &str| {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, sql).unwrap();
    };
    write("a/1_a.sql", "CREATE TABLE t (name varchar(10));\n");
    // widening varchar is free on a known column; on an unknown one it is a rewrite
    write(
        "b/2_b.sql",
        "ALTER TABLE t ALTER COLUMN name TYPE varchar(20);\n",
    );
    let run = |args: &[&str]| {
        let out = migrate(tmp.path())
            .args(["lint", "--format", "gcc"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let together = run(&["a", "b"]);
    assert!(
        together.contains("b/2_b.sql:1:33: error: changing the type of column `name`"),
        "{together}"
    );
    assert_eq!(together, run(&["a"]) + &run(&["b"]));
    // the JSON document of both is one document with both directories' findings
    let out = migrate(tmp.path())
        .args(["lint", "--format", "json", "a", "b"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"a/1_a.sql") && paths.contains(&"b/2_b.sql"),
        "{paths:?}"
    );
    assert_eq!(doc["summary"]["files"], 2);
}

/// Directories are read one ahead of the one being linted: the findings and the warnings
/// still come directory by directory, and a directory that cannot be read fails the run
/// after the findings of the ones before it.
#[test]
fn directories_lint_in_turn_while_the_next_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let write = |p: &str, text: &[u8]| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    for d in ["a", "b", "c"] {
        write(
            &format!("{d}/2024-01-01-000000_rename/up.sql"),
            b"ALTER TABLE t RENAME COLUMN x TO y;\n",
        );
        write(
            &format!("{d}/2024-01-01-000000_rename/down.sql"),
            b"ALTER TABLE t RENAME COLUMN y TO x;\n",
        );
    }
    write("b/stray.sql", b"SELECT 1;\n");
    let lint_abc = || {
        migrate(dir.path())
            .args(["lint", "--format", "gcc", "--dialect", "postgres"])
            .args(["a", "b", "c"])
            .output()
            .unwrap()
    };
    let out = lint_abc();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let dirs: Vec<&str> = stdout.lines().map(|l| &l[..1]).collect();
    assert!(dirs.windows(2).all(|w| w[0] <= w[1]), "{stdout}");
    assert_eq!(
        ["a", "b", "c"].map(|d| dirs.contains(&d)),
        [true; 3],
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.matches("warning: ").count(),
        1,
        "one warning, for b's stray file: {stderr}"
    );
    assert!(stderr.contains("b/stray.sql"), "{stderr}");

    // c cannot be read: a and b are reported, then the error names c's file
    write("c/2024-01-01-000000_rename/up.sql", b"SELECT \xff;\n");
    let out = lint_abc();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.lines().any(|l| l.starts_with("a/")), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("b/")), "{stdout}");
    assert!(!stdout.contains("c/"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("c/2024-01-01-000000_rename/up.sql"),
        "{stderr}"
    );
}
