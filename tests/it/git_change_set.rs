//! `migrate lint --base <ref>` on a temporary git repository: the change set is what the
//! branch (and the working tree) changed since the ref, the rest is history; the
//! deploy-boundary rules see which application code changed and what it still references.

use std::path::Path;

use assert_cmd::Command;

use crate::common::git;

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository whose first commit holds the users table and some code.
fn repo(config: &str, code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "sluice.toml", config);
    write(
        d,
        "migrations/0001_users.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, nickname text);\n\
         CREATE INDEX users_email_idx ON users (email);\n",
    );
    write(d, "migrations/0001_users.down.sql", "DROP TABLE users;\n");
    write(d, "src/users.rs", code);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    git(d, &["tag", "base"]);
    dir
}

const DROP: &str = "-- sluice:phase contract\nSET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN IF EXISTS nickname;\n";
const DROP_DOWN: &str =
    "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;\n";

fn lint(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("migrate")
        .expect("binary built")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SLUICE_LOG")
        .args(["lint", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn rules(doc: &serde_json::Value) -> Vec<String> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["rule"].as_str().unwrap(),
                d["path"].as_str().unwrap()
            )
        })
        .collect()
}

const CONFIG: &str = "[migrations]\ndir = \"migrations\"\n";

#[test]
fn a_drop_with_a_code_change_is_destructive() {
    let dir = repo(CONFIG, "pub fn name() {}\n");
    let d = dir.path();
    write(d, "migrations/0002_drop_nickname.up.sql", DROP);
    write(d, "migrations/0002_drop_nickname.down.sql", DROP_DOWN);
    write(
        d,
        "src/users.rs",
        "pub fn name() { /* no more nicknames */ }\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "drop nickname"]);

    let (code, doc) = lint(d, &["--base", "base", "migrations"]);
    let found = rules(&doc);
    assert_eq!(code, 1, "{found:?}");
    assert!(
        found.contains(&"destructive-change-with-code migrations/0002_drop_nickname.up.sql".into()),
        "{found:?}"
    );
    // the history is replayed, not reported: its plain CREATE INDEX is not flagged
    assert!(found.iter().all(|f| !f.contains("0001_users")), "{found:?}");
    let d0 = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "destructive-change-with-code")
        .unwrap();
    assert_eq!(d0["related"][0]["path"], "src/users.rs", "{d0}");
}

#[test]
fn the_drop_alone_in_a_contract_migration_passes() {
    let dir = repo(CONFIG, "pub fn name() {}\n");
    let d = dir.path();
    git(d, &["checkout", "-q", "-b", "drop"]);
    // uncommitted and untracked changes count too
    write(d, "migrations/0002_drop_nickname.up.sql", DROP);
    write(d, "migrations/0002_drop_nickname.down.sql", DROP_DOWN);

    let (code, doc) = lint(d, &["--base", "base", "migrations"]);
    let found = rules(&doc);
    assert_eq!(code, 0, "{found:?}");
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(doc["summary"]["files"].as_u64(), Some(2), "{doc}");
}

#[test]
fn a_remaining_reference_in_code_is_reported_with_file_and_line() {
    let config =
        format!("{CONFIG}[lint]\ncode_paths = [\"src\"]\ncode_ignore = [\"src/generated/**\"]\n");
    let code = "pub fn load() {\n    let q = \"SELECT id, email\";\n    let n = row.nickname;\n}\n";
    let dir = repo(&config, code);
    let d = dir.path();
    write(
        d,
        "src/generated/schema.rs",
        "pub const NICK: &str = \"nickname\";\n",
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "generated"]);
    git(d, &["tag", "-f", "base"]);
    write(d, "migrations/0002_drop_nickname.up.sql", DROP);
    write(d, "migrations/0002_drop_nickname.down.sql", DROP_DOWN);

    let (code, doc) = lint(d, &["--base", "base", "migrations"]);
    let found = rules(&doc);
    assert_eq!(code, 1, "{found:?}");
    assert_eq!(
        found,
        ["dropped-object-still-referenced migrations/0002_drop_nickname.up.sql"],
        "no code changed, so not destructive-change-with-code"
    );
    let diag = &doc["diagnostics"][0];
    let related = diag["related"].as_array().unwrap();
    assert_eq!(related.len(), 1, "{diag}");
    assert_eq!(related[0]["path"], "src/users.rs");
    assert_eq!(related[0]["line"], 3);
    assert_eq!(related[0]["column"], 17);

    // SARIF carries the references as related locations
    let out = Command::cargo_bin("migrate")
        .expect("binary built")
        .current_dir(d)
        .args(["lint", "--format", "sarif", "--base", "base", "migrations"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    let loc = &result["relatedLocations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/users.rs", "{result}");
    assert_eq!(loc["region"]["startLine"], 3, "{result}");
}

#[test]
fn explicit_files_get_the_earlier_migrations_as_history() {
    let dir = repo(CONFIG, "");
    let d = dir.path();
    write(
        d,
        "migrations/0002_index.up.sql",
        "CREATE INDEX users_nick_idx ON users (nickname);\n\
         ALTER TABLE users ALTER COLUMN email TYPE varchar(100);\n",
    );
    write(
        d,
        "migrations/0002_index.down.sql",
        "DROP INDEX users_nick_idx;\n",
    );
    let (_, doc) = lint(d, &["migrations/0002_index.up.sql"]);
    let found: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["rule"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    // users comes from the history: existing, so the plain CREATE INDEX is flagged, and the
    // type change knows the current type
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("require-concurrent-index-creation")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f
            .contains("changing the type of column `email` of `users` from text to VARCHAR(100)")),
        "{found:?}"
    );
    // a table created in an earlier file of the change set is new
    write(d, "migrations/0003_t.up.sql", "CREATE TABLE t (a int);\n");
    write(d, "migrations/0003_t.down.sql", "DROP TABLE t;\n");
    write(
        d,
        "migrations/0004_t_idx.up.sql",
        "CREATE INDEX t_a ON t (a);\n",
    );
    write(d, "migrations/0004_t_idx.down.sql", "DROP INDEX t_a;\n");
    let (_, doc) = lint(
        d,
        &["migrations/0003_t.up.sql", "migrations/0004_t_idx.up.sql"],
    );
    assert!(
        rules(&doc)
            .iter()
            .all(|r| !r.starts_with("require-concurrent-index-creation")),
        "{doc}"
    );
}

#[test]
fn base_outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "migrations/0001_a.up.sql", "SELECT 1;\n");
    let out = Command::cargo_bin("migrate")
        .expect("binary built")
        .current_dir(dir.path())
        .args(["lint", "--base", "main", "migrations"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("git"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The replayed history is cached between runs (`SLUICE_CACHE_DIR`): a committed edit of a
/// history file is seen at once, and a corrupt entry is replayed again and rewritten.
#[test]
fn a_cached_history_follows_edits_and_survives_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "sluice.toml", CONFIG);
    let nullable = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n";
    let not_null = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n";
    write(d, "migrations/0001_users.up.sql", nullable);
    write(d, "migrations/0001_users.down.sql", "DROP TABLE users;\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    write(
        d,
        "migrations/0002_nn.up.sql",
        "SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
    );
    write(
        d,
        "migrations/0002_nn.down.sql",
        "SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n",
    );
    let run = || {
        let out = Command::cargo_bin("migrate")
            .expect("binary built")
            .current_dir(d)
            .env("NO_COLOR", "1")
            .env("SLUICE_CACHE_DIR", cache.path())
            .args(["lint", "--format", "gcc", "--base", "HEAD"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let entries = || {
        let mut v: Vec<_> = std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    let on_nullable = run();
    assert!(
        on_nullable.contains("[adding-not-nullable-field]"),
        "{on_nullable}"
    );
    assert_eq!(entries().len(), 1);
    assert_eq!(run(), on_nullable, "read from the cache");

    // the history changes: the column is NOT NULL already, nothing to report
    write(d, "migrations/0001_users.up.sql", not_null);
    git(d, &["commit", "-q", "-am", "not null"]);
    let on_not_null = run();
    assert!(
        !on_not_null.contains("adding-not-nullable-field"),
        "{on_not_null}"
    );
    assert_eq!(entries().len(), 2);

    // every entry corrupt: replayed again, same findings, entries rewritten
    for e in entries() {
        std::fs::write(&e, "{\"format\":1,").unwrap();
    }
    write(d, "migrations/0001_users.up.sql", nullable);
    git(d, &["commit", "-q", "-am", "nullable again"]);
    assert_eq!(run(), on_nullable);
    assert!(
        entries()
            .iter()
            .any(|e| std::fs::read(e).unwrap().len() > 100),
        "the corrupt entry is rewritten"
    );
}
