//! The runner against a real PostgreSQL: each test on its own scratch database.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{
    Scratch, apply_concurrently, block_on, copy_dir, repo, run, states, status_json, tree,
};
use sluice::run::RunError;
use sluice::run::driver;
use sluice::run::lock;
use sluice::run::url::DbUrl;
use sqlx::{Connection, Executor};

fn example() -> std::path::PathBuf {
    repo().join("migrations-example/postgres")
}

#[test]
fn example_round_trip_with_contract_gate() {
    let s = Scratch::pg();
    let dir = example();
    let r = run(s
        .migrate(&dir)
        .args(["apply", ".", "--phase", "all", "--release", "r1"]));
    // expands applied; the contract waits for a recorded rollout
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
        r.stdout
            .contains("waiting: 20240201090000 orders_status (contract)")
            && r.stdout.contains("migrate rollout complete --release ID"),
        "{r:?}"
    );
    assert!(s.table_exists("users") && s.table_exists("orders"));

    let r = run(s.migrate(&dir).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stdout.contains("`recorded` gate"), "{r:?}");

    let r = run(s
        .migrate(&dir)
        .args(["rollout", "complete", "--release", "r1"]));
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(s.migrate(&dir).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("applied 20240201090000 orders_status (contract)"),
        "{r:?}"
    );

    let st = status_json(&s, &dir);
    assert!(
        states(&st).iter().all(|l| l.ends_with(" applied")),
        "{st:#}"
    );
    let human = run(s.migrate(&dir).args(["status", "."]));
    assert!(
        human
            .stdout
            .contains("orders_status      contract  applied"),
        "{human:?}"
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
fn dry_run_prints_sql_and_changes_nothing() {
    let s = Scratch::pg();
    let r = run(s.migrate(&example()).args(["apply", ".", "--dry-run"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("SET lock_timeout = '2000ms';"), "{r:?}");
    assert!(
        r.stdout
            .contains("CREATE TABLE IF NOT EXISTS \"sluice_migrations\"")
    );
    assert!(
        r.stdout
            .contains("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key")
    );
    assert!(r.stdout.contains("INSERT INTO \"sluice_migrations\""));
    assert!(!s.table_exists("sluice_migrations") && !s.table_exists("users"));
}

#[test]
fn edited_applied_migration_is_refused_until_repaired() {
    let s = Scratch::pg();
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&example(), tmp.path());
    let dir = tmp.path();
    assert_eq!(run(s.migrate(dir).args(["apply", "."])).code, 0);

    let file = dir.join("20240108090000_create_orders/expand.up.sql");
    let old = sluice::source::text::checksum(&std::fs::read_to_string(&file).unwrap());
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("-- edited after the fact\n");
    std::fs::write(&file, &text).unwrap();
    let new = sluice::source::text::checksum(&text);

    let r = run(s.migrate(dir).args(["apply", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("20240108090000_create_orders/expand.up.sql")
            && r.stderr.contains(&old)
            && r.stderr.contains(&new)
            && r.stderr.contains("migrate repair --version 20240108090000"),
        "{r:?}"
    );
    let st = run(s.migrate(dir).args(["status", "."]));
    assert!(st.stdout.contains("EDITED since applied"), "{st:?}");

    let r = run(s.migrate(dir).args(["repair", "--dir", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("accepted the edited file"), "{r:?}");
    let r = run(s.migrate(dir).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    let kinds = s.strings("SELECT kind FROM sluice_events ORDER BY id");
    assert_eq!(kinds, ["drift-refused", "repair"]);
}

#[test]
fn transactional_failure_leaves_nothing() {
    let s = Scratch::pg();
    let dir = tree(&[
        ("1_ok/expand.up.sql", "CREATE TABLE ok1 (id int);\n"),
        ("1_ok/expand.down.sql", "DROP TABLE ok1;\n"),
        (
            "2_bad/expand.up.sql",
            "CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE never (id int);\n",
        ),
        ("2_bad/expand.down.sql", "DROP TABLE half;\n"),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("2_bad/expand.up.sql:2: statement 2 of 3")
            && r.stderr.contains("missing_table")
            && r.stderr.contains("nothing of this migration phase remains"),
        "{r:?}"
    );
    assert!(s.table_exists("ok1"));
    assert!(!s.table_exists("half") && !s.table_exists("never"));
    let st = status_json(&s, dir.path());
    assert_eq!(states(&st), ["1 expand applied", "2 expand failed"]);

    // the lock was released on the error path: the next run takes it at once
    let t = Instant::now();
    let r = run(s
        .migrate(dir.path())
        .args(["apply", ".", "--lock-wait", "0s"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(!r.stderr.contains("lock"), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn non_transactional_failure_resumes_after_the_fix() {
    let s = Scratch::pg();
    let up = "-- sluice:no-transaction\nCREATE TABLE first (id int);\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE third (id int);\n";
    let dir = tree(&[
        ("1_nt/expand.up.sql", up),
        (
            "1_nt/expand.down.sql",
            "DROP TABLE IF EXISTS third;\nDROP TABLE IF EXISTS second;\nDROP TABLE IF EXISTS first;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("statements 1-1 ran") && r.stderr.contains("continues at statement 2"),
        "{r:?}"
    );
    assert!(s.table_exists("first") && !s.table_exists("third"));
    let st = status_json(&s, dir.path());
    let m = &st["migrations"][0];
    assert_eq!(m["state"], "failed");
    assert_eq!(m["statements_done"], 1);
    assert_eq!(m["statements_total"], 3);
    let human = run(s.migrate(dir.path()).args(["status", "."]));
    assert!(
        human.stdout.contains("failed: 1 of 3 statements done"),
        "{human:?}"
    );

    // fix statement 2; the re-run continues at it (statement 1 would fail if re-run)
    std::fs::write(
        dir.path().join("1_nt/expand.up.sql"),
        up.replace(
            "INSERT INTO missing_table VALUES (1)",
            "CREATE TABLE second (id int)",
        ),
    )
    .unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("continued after statement 1"), "{r:?}");
    assert!(s.table_exists("second") && s.table_exists("third"));
    assert_eq!(states(&status_json(&s, dir.path())), ["1 expand applied"]);

    let r = run(s.migrate(dir.path()).args(["rollback", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("first"));
}

#[test]
fn concurrent_runners_apply_each_migration_once() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "1_items/expand.up.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, sku text);\nINSERT INTO items SELECT g, 'sku' || g FROM generate_series(1, 20000) g;\n",
        ),
        ("1_items/expand.down.sql", "DROP TABLE items;\n"),
        (
            "2_items_sku/expand.up.sql",
            "CREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);\n",
        ),
        (
            "2_items_sku/expand.down.sql",
            "DROP INDEX CONCURRENTLY items_sku_idx;\n",
        ),
        ("3_tags/expand.up.sql", "CREATE TABLE tags (id int);\n"),
        ("3_tags/expand.down.sql", "DROP TABLE tags;\n"),
        (
            "4_tags_idx/expand.up.sql",
            "CREATE INDEX CONCURRENTLY tags_id_idx ON tags (id);\n",
        ),
        (
            "4_tags_idx/expand.down.sql",
            "DROP INDEX CONCURRENTLY tags_id_idx;\n",
        ),
    ]);
    let applied = apply_concurrently(&s, dir.path(), 8);
    assert_eq!(applied, 4, "each migration applied exactly once");
    let st = status_json(&s, dir.path());
    assert!(
        states(&st).iter().all(|l| l.ends_with(" applied")),
        "{st:#}"
    );
    let valid = s.strings(
        "SELECT count(*)::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('items_sku_idx', 'tags_id_idx') AND i.indisvalid",
    );
    assert_eq!(valid, ["2"]);
}

#[test]
fn lock_queue_stays_short_and_the_blocker_is_named() {
    let s = Scratch::pg();
    s.exec("CREATE TABLE hot (id int); INSERT INTO hot VALUES (1)");
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlock_timeout = \"500ms\"\nlock_retries = 3\n",
        ),
        (
            "migrations/1_alter/expand.up.sql",
            "ALTER TABLE hot ADD COLUMN note text;\n",
        ),
        (
            "migrations/1_alter/expand.down.sql",
            "ALTER TABLE hot DROP COLUMN note;\n",
        ),
    ]);
    let url = s.url.clone();
    let path = dir.path().to_owned();
    let (blocker_pid, max_wait, r) = block_on(async move {
        // the blocker: an open transaction that read the table (ACCESS SHARE)
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        holder.execute("BEGIN").await.unwrap();
        holder.execute("SELECT * FROM hot").await.unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut holder)
            .await
            .unwrap();
        let child = s
            .migrate(&path)
            .args(["apply"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut child = child;
        // a plain reader keeps querying while apply waits and retries
        let mut reader = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut max_wait = Duration::ZERO;
        while child.try_wait().unwrap().is_none() {
            let t = Instant::now();
            let _: i64 = sqlx::query_scalar("SELECT count(*) FROM hot")
                .fetch_one(&mut reader)
                .await
                .unwrap();
            max_wait = max_wait.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let out = child.wait_with_output().unwrap();
        holder.execute("ROLLBACK").await.unwrap();
        let r = crate::common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        (pid, max_wait, (r, s))
    });
    let (r, s) = r;
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("could not take its lock within lock_timeout 500ms after 4 attempts")
            && r.stderr
                .contains(&format!("pid {blocker_pid} (idle in transaction")),
        "{r:?}"
    );
    assert!(
        max_wait < Duration::from_millis(1500),
        "a plain SELECT waited {max_wait:?} behind the DDL (lock_timeout 500ms)"
    );
    // once the blocker is gone the same apply goes through
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
}

/// A deadlock the server breaks rolls the whole block back, like a lock timeout: the block is
/// retried from its BEGIN rather than failing the migration. (Seen on PostgreSQL 18: a
/// down script renaming an index, then creating a trigger, against autovacuum.)
#[test]
fn deadlock_inside_a_block_is_retried_from_its_begin() {
    let s = Scratch::pg();
    s.exec(DEADLOCK_TABLES);
    let dir = tree(&[
        DEADLOCK_CONFIG,
        (
            "migrations/1_dl/expand.up.sql",
            "BEGIN;\nUPDATE b SET n = n + 1 WHERE id = 1;\nLOCK TABLE a IN SHARE MODE;\nCOMMIT;\n",
        ),
        ("migrations/1_dl/expand.down.sql", "SELECT 1;\n"),
    ]);
    let (r, s) = deadlock_cycle(s, dir.path(), &["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("deadlock detected"), "{r:?}");
    // the block ran once in the end: its increment on top of the other side's
    assert_eq!(s.strings("SELECT n::text FROM b WHERE id = 1"), ["11"]);
}

/// The same in a rollback: a block of a down script run outside a phase transaction is retried
/// whole (retrying its failed statement alone would meet the aborted transaction).
#[test]
fn deadlock_inside_a_down_block_is_retried_from_its_begin() {
    let s = Scratch::pg();
    s.exec(DEADLOCK_TABLES);
    let dir = tree(&[
        DEADLOCK_CONFIG,
        (
            "migrations/1_dl/expand.up.sql",
            "ALTER TABLE a ADD COLUMN x int;\n",
        ),
        (
            "migrations/1_dl/expand.down.sql",
            "-- sluice:no-transaction\nBEGIN;\nUPDATE b SET n = n + 1 WHERE id = 1;\nLOCK TABLE a IN SHARE MODE;\nALTER TABLE a DROP COLUMN x;\nCOMMIT;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    let (r, s) = deadlock_cycle(s, dir.path(), &["rollback", "--steps", "1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("deadlock detected"), "{r:?}");
    assert_eq!(s.strings("SELECT n::text FROM b WHERE id = 1"), ["11"]);
    assert!(
        s.strings("SELECT attname::text FROM pg_attribute WHERE attrelid = 'a'::regclass AND attname = 'x' AND NOT attisdropped")
            .is_empty()
    );
}

/// Lock waits long enough for the server's deadlock check (1 s) to break the cycle first.
const DEADLOCK_CONFIG: (&str, &str) = (
    "sluice.toml",
    "[run]\nlock_timeout = \"20s\"\nlock_retries = 3\n",
);

const DEADLOCK_TABLES: &str = "CREATE TABLE a (id int); CREATE TABLE b (id int PRIMARY KEY, n int); INSERT INTO b VALUES (1, 0)";

/// Runs `migrate ARGS` on `dir` while another session closes a deadlock cycle with the
/// migration's block (which updates row 1 of `b`, then locks `a`): the other session holds
/// `a`, and once the block waits for it, asks for the block's row. Its long deadlock_timeout
/// leaves the detection to the block. Tables: [`DEADLOCK_TABLES`].
fn deadlock_cycle(s: Scratch, dir: &Path, args: &[&str]) -> (crate::common::Run, Scratch) {
    let url = s.url.clone();
    let path = dir.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    block_on(async move {
        let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
        other
            .execute("SET deadlock_timeout = '60s'; BEGIN; INSERT INTO a VALUES (1)")
            .await
            .unwrap();
        let child = s
            .migrate(&path)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut watch = sqlx::PgConnection::connect(&url).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'a'::regclass",
            )
            .fetch_one(&mut watch)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the block never waited for `a`");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // returns once the server broke the deadlock by rolling the block back
        other
            .execute("UPDATE b SET n = n + 10 WHERE id = 1")
            .await
            .unwrap();
        other.execute("COMMIT").await.unwrap();
        let out = child.wait_with_output().unwrap();
        let r = crate::common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        (r, s)
    })
}

#[test]
fn lock_is_released_when_the_body_fails() {
    let s = Scratch::pg();
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
        // `a` is still connected: only an explicit release lets `b` in
        assert!(b.try_lock("t").await.unwrap());
        // and while `b` holds it, `a` waits and gives up with a clear message
        let r = lock::acquire(a.as_mut(), "t", Duration::from_millis(300), &|_| {}).await;
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("another `migrate` holds the migration lock (held by session"),
            "{e}"
        );
        b.unlock("t").await.unwrap();
    });
}

#[test]
fn password_is_redacted_everywhere() {
    let s = Scratch::pg();
    // trust auth ignores the password, so the URL works and still carries a secret
    let with_pw = s.url.replacen("postgres@", "postgres:hunter2@", 1);
    assert!(with_pw.contains("hunter2"), "{with_pw}");
    let r = run(s
        .migrate(&example())
        .env("DATABASE_URL", &with_pw)
        .args(["-vv", "status", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("postgres:***@"), "{r:?}");
    assert!(
        !r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"),
        "{r:?}"
    );

    let bad = with_pw.replace(&s.name, "sluice_no_such_db");
    let r = run(s
        .migrate(&example())
        .env("DATABASE_URL", &bad)
        .args(["apply", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("postgres:***@"), "{r:?}");
    assert!(!r.stderr.contains("hunter2"), "{r:?}");
}

#[test]
fn out_of_order_is_refused_by_default() {
    let s = Scratch::pg();
    let dir = tree(&[
        ("2_b/expand.up.sql", "CREATE TABLE b (id int);\n"),
        ("2_b/expand.down.sql", "DROP TABLE b;\n"),
    ]);
    assert_eq!(run(s.migrate(dir.path()).args(["apply", "."])).code, 0);
    std::fs::create_dir_all(dir.path().join("1_a")).unwrap();
    std::fs::write(
        dir.path().join("1_a/expand.up.sql"),
        "CREATE TABLE a (id int);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("1_a/expand.down.sql"), "DROP TABLE a;\n").unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("migration 1 is pending but older than the newest applied migration 2 (b)"),
        "{r:?}"
    );
    let _ = Path::new(".");
}

#[test]
fn baseline_marks_applied_without_running() {
    let s = Scratch::pg();
    let dir = example();
    let r = run(s
        .migrate(&dir)
        .args(["baseline", "20240108090000", "--dir", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("users"));
    let st = status_json(&s, &dir);
    assert_eq!(
        &states(&st)[..3],
        [
            "20240101090000 expand applied",
            "20240108090000 expand applied",
            "20240115090000 expand pending"
        ]
    );
    assert_eq!(s.strings("SELECT kind FROM sluice_events"), ["baseline"]);
}

#[test]
fn apply_wait_polls_the_gate() {
    let s = Scratch::pg();
    let dir = example();
    assert_eq!(run(s.migrate(&dir).args(["apply", "."])).code, 0);
    let child = s
        .migrate(&dir)
        .args(["apply", ".", "--phase", "contract", "--wait", "60s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        run(s
            .migrate(&dir)
            .args(["rollout", "complete", "--release", "r2"]))
        .code,
        0
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("waiting up to 1m for the gate of 20240201090000"),
        "{stderr}"
    );
    assert!(
        stdout.contains("applied 20240201090000 orders_status (contract)"),
        "{stdout}"
    );
}

#[test]
fn dbmate_and_goose_sections_run_and_roll_back() {
    let s = Scratch::pg();
    let dbmate = tree(&[
        (
            "20240101000000_items.sql",
            "-- migrate:up\nCREATE TABLE items (id int, sku text);\n\n-- migrate:down\nDROP TABLE items;\n",
        ),
        (
            "20240102000000_items_sku.sql",
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY items_sku_idx;\n",
        ),
    ]);
    let r = run(s.migrate(dbmate.path()).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(s.table_exists("items"));
    // the checksum is the up section's: editing the down section is not drift
    let f = dbmate.path().join("20240101000000_items.sql");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(
        &f,
        text.replace("DROP TABLE items;", "DROP TABLE IF EXISTS items;"),
    )
    .unwrap();
    assert_eq!(run(s.migrate(dbmate.path()).args(["apply", "."])).code, 0);
    let r = run(s
        .migrate(dbmate.path())
        .args(["rollback", ".", "--to", "0"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("items"));

    let s = Scratch::pg();
    let goose = tree(&[(
        "00001_fn.sql",
        "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION one() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION one();\n",
    )]);
    let r = run(s.migrate(goose.path()).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(s.strings("SELECT one()::text"), ["1"]);
    let r = run(s.migrate(goose.path()).args(["rollback", "."]));
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn ledger_in_its_own_schema_and_apply_to_a_version() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "sluice.toml",
            "[migrations]\ndir = \"db\"\n[run]\nledger_schema = \"ops\"\nledger_table = \"history\"\n",
        ),
        ("db/1_a/expand.up.sql", "CREATE TABLE a (id int);\n"),
        ("db/1_a/expand.down.sql", "DROP TABLE a;\n"),
        ("db/2_b/expand.up.sql", "CREATE TABLE b (id int);\n"),
        ("db/2_b/expand.down.sql", "DROP TABLE b;\n"),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "--to", "1"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(s.table_exists("a") && !s.table_exists("b"));
    assert_eq!(s.strings("SELECT version FROM ops.history"), ["1"]);
    s.strings("SELECT kind FROM ops.history_events");
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("sluice_migrations"));
    let r = run(s.migrate(dir.path()).args(["rollback", "--steps", "2"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("a") && !s.table_exists("b"));
}

#[test]
fn sigterm_stops_cleanly_and_frees_the_lock() {
    let s = Scratch::pg();
    s.exec("CREATE TABLE hot (id int)");
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlock_timeout = \"1s\"\nlock_retries = 50\n",
        ),
        (
            "migrations/1_alter/expand.up.sql",
            "ALTER TABLE hot ADD COLUMN note text;\n",
        ),
        (
            "migrations/1_alter/expand.down.sql",
            "ALTER TABLE hot DROP COLUMN note;\n",
        ),
    ]);
    let url = s.url.clone();
    let path = dir.path().to_owned();
    let (r, s) = block_on(async move {
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        holder.execute("BEGIN").await.unwrap();
        holder.execute("SELECT * FROM hot").await.unwrap();
        let child = s
            .migrate(&path)
            .args(["apply"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        holder.execute("ROLLBACK").await.unwrap();
        let r = crate::common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        (r, s)
    });
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("interrupted by SIGTERM"), "{r:?}");
    let r = run(s.migrate(dir.path()).args(["apply", "--lock-wait", "0s"]));
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn invalid_index_left_by_a_failed_concurrent_build_is_rebuilt() {
    let s = Scratch::pg();
    s.exec("CREATE TABLE dup (c int); INSERT INTO dup VALUES (1), (1)");
    // a failed unique build leaves an INVALID index behind
    let url = s.url.clone();
    std::thread::spawn(move || {
        block_on(async move {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            assert!(
                c.execute("CREATE UNIQUE INDEX CONCURRENTLY dup_c_idx ON dup (c)")
                    .await
                    .is_err()
            );
        });
    })
    .join()
    .unwrap();
    let validity = || {
        s.strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'dup_c_idx'::regclass")
    };
    assert_eq!(validity(), ["false"]);
    let dir = tree(&[
        (
            "1_idx/expand.up.sql",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS dup_c_idx ON dup (c);\n",
        ),
        (
            "1_idx/expand.down.sql",
            "DROP INDEX CONCURRENTLY dup_c_idx;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("dropping the INVALID index"), "{r:?}");
    assert_eq!(validity(), ["true"]);
}

#[test]
fn rollback_without_stored_down_uses_the_file_or_refuses() {
    let s = Scratch::pg();
    let dir = tree(&[("1_a.up.sql", "CREATE TABLE a (id int);\n")]);
    assert_eq!(run(s.migrate(dir.path()).args(["apply", "."])).code, 0);
    let r = run(s.migrate(dir.path()).args(["rollback", "."]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("has no down script"), "{r:?}");
    std::fs::write(dir.path().join("1_a.down.sql"), "DROP TABLE a;\n").unwrap();
    let r = run(s.migrate(dir.path()).args(["rollback", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("a"));
}

/// A `BEGIN .. COMMIT` block of a statement-by-statement script (the planner's swaps) is
/// retried whole on a lock timeout: a timeout inside it rolls the block back, so nothing of
/// it stays half-done, and the next attempt starts at its BEGIN.
#[test]
fn transaction_block_is_retried_whole_on_lock_timeout() {
    let s = Scratch::pg();
    s.exec("CREATE TABLE hot (id int, a text); CREATE TABLE other (id int); INSERT INTO hot VALUES (1, 'x')");
    let script = "-- sluice:no-transaction\nALTER TABLE other ADD COLUMN before_block int;\nBEGIN;\nALTER TABLE other ADD COLUMN in_block int;\n-- sluice:ignore renaming-column -- no code reads hot.a\nALTER TABLE hot RENAME COLUMN a TO b;\nCOMMIT;\n";
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlock_timeout = \"300ms\"\nlock_retries = 2\n",
        ),
        ("migrations/1_swap/expand.up.sql", script),
        (
            "migrations/1_swap/expand.down.sql",
            "-- sluice:irreversible test\nSELECT 1;\n",
        ),
    ]);
    let url = s.url.clone();
    let path = dir.path().to_owned();
    // retries run out while the table stays locked: the block is rolled back whole
    let (r, s) = block_on(async move {
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        holder.execute("BEGIN").await.unwrap();
        holder.execute("SELECT * FROM hot").await.unwrap();
        let r = run(s.migrate(&path).args(["apply"]));
        holder.execute("ROLLBACK").await.unwrap();
        (r, s)
    });
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("lock_timeout"), "{r:?}");
    let cols = s.strings("SELECT string_agg(column_name::text, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name IN ('hot', 'other')");
    assert_eq!(
        cols,
        ["a,before_block,id,id"],
        "the block must leave nothing behind"
    );
    let done = s.strings("SELECT statements_done::text FROM sluice_migrations WHERE version = '1'");
    assert_eq!(done, ["1"], "progress stops before the block's BEGIN");

    // a lock released during the retries: the re-run goes through, block applied once
    let url = s.url.clone();
    let path = dir.path().to_owned();
    let (r, s) = block_on(async move {
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        holder.execute("BEGIN").await.unwrap();
        holder.execute("SELECT * FROM hot").await.unwrap();
        let child = s
            .migrate(&path)
            .args(["apply"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        holder.execute("ROLLBACK").await.unwrap();
        let out = child.wait_with_output().unwrap();
        (
            crate::common::Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            },
            s,
        )
    });
    assert_eq!(r.code, 0, "{r:?}");
    let cols = s.strings("SELECT string_agg(column_name::text, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name IN ('hot', 'other')");
    assert_eq!(cols, ["b,before_block,id,id,in_block"]);
}

/// A forced shadow-table copy of a table with generated columns (PostgreSQL 18: VIRTUAL,
/// its default, beside a STORED one; earlier servers: STORED only) keeps them generated and
/// their values, and the soft-dropped old table lets go of their expressions.
#[test]
fn shadow_table_copy_keeps_generated_columns() {
    let s = Scratch::pg();
    let major: u32 = s.strings("SELECT (current_setting('server_version_num')::int / 10000)::text")
        [0]
    .parse()
    .unwrap();
    // no keyword: VIRTUAL on 18; before 18 the keyword is required and only STORED exists
    let twice = if major >= 18 { "" } else { " STORED" };
    s.exec(&format!(
        "CREATE TABLE g (id int PRIMARY KEY, a int NOT NULL, twice int GENERATED ALWAYS AS (a * 2){twice}, plus int GENERATED ALWAYS AS (a + 1) STORED);
         INSERT INTO g (id, a) SELECT x, x FROM generate_series(1, 3000) x;
         ANALYZE g;"
    ));
    let content = "SELECT sum(id)::text || ' ' || sum(twice)::text || ' ' || sum(plus)::text || ' ' || count(*)::text FROM g";
    let kinds = "SELECT string_agg(attname::text || ':' || attgenerated::text, ',' ORDER BY attname) FROM pg_attribute WHERE attrelid = 'g'::regclass AND attgenerated <> ''";
    let before = (s.strings(content), s.strings(kinds));
    assert_eq!(
        before.1,
        [if major >= 18 {
            "plus:s,twice:v"
        } else {
            "plus:s,twice:s"
        }]
    );
    let dir = tree(&[
        ("sluice.toml", "[run]\nlarge_table_rows = 1000\n"),
        (
            "migrations/4_rebuild/expand.up.sql",
            "-- sluice:strategy shadow-table\nALTER TABLE g ALTER COLUMN id TYPE bigint;\n-- sluice:strategy shadow-table\nVACUUM FULL g;\n",
        ),
        (
            "migrations/4_rebuild/expand.down.sql",
            "-- sluice:irreversible a rewrite test\nSELECT 1;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!((s.strings(content), s.strings(kinds)), before);
    assert_eq!(
        s.strings("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'g'::regclass AND attname = 'id'"),
        ["bigint"]
    );
    // the soft-dropped copies hold no generated expression (nothing ties them to functions)
    assert_eq!(
        s.strings("SELECT count(*)::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname LIKE '\\_sluice\\_dropped\\_g%' AND a.attgenerated <> ''"),
        ["0"]
    );
}

/// A `BEGIN` .. `COMMIT` block commits without waiting for the WAL flush, so the brief
/// ACCESS EXCLUSIVE lock it holds is let go as soon as the commit is written (the queue of
/// application queries behind it waits no fsync); the phase's end is written with a flush.
#[test]
fn a_transaction_block_lets_its_locks_go_before_the_flush() {
    let s = Scratch::pg();
    s.exec("CREATE TABLE seen (stage text, setting text)");
    let script = "-- sluice:no-transaction\n\
                  INSERT INTO seen SELECT 'alone', current_setting('synchronous_commit');\n\
                  BEGIN;\n\
                  INSERT INTO seen SELECT 'block', current_setting('synchronous_commit');\n\
                  COMMIT;\n";
    let dir = tree(&[
        ("migrations/1_seen/expand.up.sql", script),
        (
            "migrations/1_seen/expand.down.sql",
            "-- sluice:irreversible test\nSELECT 1;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings("SELECT stage || '=' || setting FROM seen ORDER BY stage"),
        ["alone=on", "block=off"]
    );
}
