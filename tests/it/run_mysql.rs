//! The runner against a real MariaDB / MySQL: each test on its own scratch database.

use std::time::Duration;

use crate::common::{
    Scratch, apply_concurrently, block_on, copy_dir, repo, run, states, status_json, tree,
};
use sluice::run::RunError;
use sluice::run::driver;
use sluice::run::lock;
use sluice::run::url::DbUrl;
use sqlx::{Connection, Executor};

fn example() -> std::path::PathBuf {
    repo().join("migrations-example/mysql")
}

#[test]
fn example_round_trip_with_contract_gate() {
    let s = Scratch::mysql();
    let dir = example();
    let r = run(s.migrate(&dir).args(["apply", ".", "--phase", "all"]));
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("applied "))
            .count(),
        5,
        "{r:?}"
    );
    assert!(
        r.stdout.contains("migrate rollout complete --release ID"),
        "{r:?}"
    );
    assert!(s.table_exists("users") && s.table_exists("orders"));

    let r = run(s
        .migrate(&dir)
        .args(["rollout", "complete", "--release", "r1"]));
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(s.migrate(&dir).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(r.code, 0, "{r:?}");
    let st = status_json(&s, &dir);
    assert!(
        states(&st).iter().all(|l| l.ends_with(" applied")),
        "{st:#}"
    );

    let r = run(s.migrate(&dir).args(["rollback", ".", "--to", "0"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.matches("rolled back ").count(), 6, "{r:?}");
    let st = status_json(&s, &dir);
    assert!(
        states(&st).iter().all(|l| l.ends_with(" pending")),
        "{st:#}"
    );
    assert!(!s.table_exists("users") && !s.table_exists("orders"));
}

#[test]
fn failed_second_statement_is_recorded_and_resumed() {
    let s = Scratch::mysql();
    let up = "CREATE TABLE first (id INT);\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE third (id INT);\n";
    let dir = tree(&[
        ("1_three/expand.up.sql", up),
        (
            "1_three/expand.down.sql",
            "DROP TABLE IF EXISTS third;\nDROP TABLE IF EXISTS second;\nDROP TABLE IF EXISTS first;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("1_three/expand.up.sql:2: statement 2 of 3")
            && r.stderr.contains("MySQL error 1146")
            && r.stderr.contains("statements 1-1 ran"),
        "{r:?}"
    );
    assert!(s.table_exists("first"));
    let st = status_json(&s, dir.path());
    assert_eq!(st["migrations"][0]["state"], "failed");
    assert_eq!(st["migrations"][0]["statements_done"], 1);

    // rollback recovers too: the stored down runs, the row is rolled back
    let r = run(s.migrate(dir.path()).args(["rollback", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("first"));
    assert_eq!(states(&status_json(&s, dir.path())), ["1 expand pending"]);

    // fail again, fix, and re-run: it continues at statement 2
    assert_eq!(run(s.migrate(dir.path()).args(["apply", "."])).code, 2);
    std::fs::write(
        dir.path().join("1_three/expand.up.sql"),
        up.replace(
            "INSERT INTO missing_table VALUES (1)",
            "CREATE TABLE second (id INT)",
        ),
    )
    .unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("continued after statement 1"), "{r:?}");
    assert!(s.table_exists("second") && s.table_exists("third"));
    assert_eq!(states(&status_json(&s, dir.path())), ["1 expand applied"]);
}

#[test]
fn edited_applied_migration_is_refused_until_repaired() {
    let s = Scratch::mysql();
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&example(), tmp.path());
    let dir = tmp.path();
    assert_eq!(run(s.migrate(dir).args(["apply", "."])).code, 0);
    let file = dir.join("20240101090000_create_users/expand.up.sql");
    let mut text = std::fs::read_to_string(&file).unwrap();
    let old = sluice::source::text::checksum(&text);
    text.push_str("-- edited\n");
    std::fs::write(&file, &text).unwrap();
    let r = run(s.migrate(dir).args(["apply", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("20240101090000_create_users/expand.up.sql")
            && r.stderr.contains(&old)
            && r.stderr.contains(&sluice::source::text::checksum(&text)),
        "{r:?}"
    );
    assert_eq!(run(s.migrate(dir).args(["repair", "--dir", "."])).code, 0);
    assert_eq!(run(s.migrate(dir).args(["apply", "."])).code, 0);
    let kinds = s.strings("SELECT kind FROM sluice_events ORDER BY id");
    assert_eq!(kinds, ["drift-refused", "repair"]);
}

#[test]
fn concurrent_runners_apply_each_migration_once() {
    let s = Scratch::mysql();
    let mut files = Vec::new();
    for i in 1..=5 {
        files.push((
            format!("{i}_t{i}/expand.up.sql"),
            format!("CREATE TABLE t{i} (id INT);\nALTER TABLE t{i} ADD INDEX t{i}_id (id), ALGORITHM=INPLACE, LOCK=NONE;\n"),
        ));
        files.push((
            format!("{i}_t{i}/expand.down.sql"),
            format!("DROP TABLE t{i};\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tree(&refs);
    let applied = apply_concurrently(&s, dir.path(), 8);
    assert_eq!(applied, 5, "each migration applied exactly once");
}

#[test]
fn lock_wait_timeout_retries_then_names_the_blocker() {
    let s = Scratch::mysql();
    s.exec("CREATE TABLE hot (id INT); INSERT INTO hot VALUES (1)");
    let dir = tree(&[
        (
            "sluice.toml",
            "dialect = \"mysql\"\n[run]\nlock_timeout = \"1s\"\nlock_retries = 2\n",
        ),
        (
            "migrations/1_alter/expand.up.sql",
            "ALTER TABLE hot ADD COLUMN note TEXT;\n",
        ),
        (
            "migrations/1_alter/expand.down.sql",
            "ALTER TABLE hot DROP COLUMN note;\n",
        ),
    ]);
    let url = s.url.clone();
    let path = dir.path().to_owned();
    let (holder_id, r, s) = block_on(async move {
        let mut holder = sqlx::MySqlConnection::connect(&url).await.unwrap();
        holder.execute("BEGIN").await.unwrap();
        holder.execute("SELECT * FROM hot").await.unwrap();
        let id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
            .fetch_one(&mut holder)
            .await
            .unwrap();
        let r = run(s.migrate(&path).args(["apply"]));
        holder.execute("ROLLBACK").await.unwrap();
        (id, r, s)
    });
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("after 3 attempts") && r.stderr.contains(&format!("pid {holder_id} (")),
        "{r:?}"
    );
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn lock_is_released_when_the_body_fails() {
    let s = Scratch::mysql();
    let url = DbUrl::parse(&s.url).unwrap();
    block_on(async move {
        let mut a = driver::connect(&url).await.unwrap();
        let mut b = driver::connect(&url).await.unwrap();
        lock::acquire(a.as_mut(), "t", Duration::from_secs(1), &|_| {})
            .await
            .unwrap();
        let body: Result<(), RunError> = Err(RunError::Failed("boom".into()));
        let r = lock::release(a.as_mut(), "t", body).await;
        assert!(matches!(r, Err(RunError::Failed(_))));
        assert!(b.try_lock("t").await.unwrap());
        let r = lock::acquire(a.as_mut(), "t", Duration::from_millis(300), &|_| {}).await;
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("another `migrate` holds the migration lock"),
            "{e}"
        );
        b.unlock("t").await.unwrap();
    });
}
