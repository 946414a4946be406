//! Backfills (`backfill.toml`) run by `migrate apply` against real servers, each test on a
//! scratch database of its own.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{Run, Scratch, block_on, run, tree};
use sluice::run::driver;
use sluice::run::url::DbUrl;

/// A table of `n` rows the "application" already has: `n` starts at 0.
fn items(s: &Scratch, n: u32) {
    s.exec(&format!(
        "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL);
         INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, {n}) g;"
    ));
}

const EXPAND_UP: &str = "ALTER TABLE items ADD COLUMN n int NOT NULL DEFAULT 0;\nALTER TABLE items ADD COLUMN doubled bigint;\n";
const EXPAND_DOWN: &str =
    "ALTER TABLE items DROP COLUMN doubled;\nALTER TABLE items DROP COLUMN n;\n";

/// `n = n + 1` is not idempotent: a batch run twice, or a checkpoint lost, shows in the data.
fn fill_toml(extra: &str) -> String {
    format!(
        "table = \"items\"\nkey = [\"id\"]\n{extra}\n[set]\nn = '\"n\" + 1'\ndoubled = '\"id\" * 2'\n"
    )
}

fn checksum(s: &Scratch) -> String {
    s.strings(
        "SELECT md5(string_agg(id || ':' || v || ':' || n || ':' || coalesce(doubled::text, '-'), ',' ORDER BY id)) FROM items",
    )[0]
    .clone()
}

fn fill_row(s: &Scratch) -> Vec<String> {
    s.strings(
        "SELECT state || ' ' || rows_done || ' ' || batches FROM sluice_backfill ORDER BY version",
    )
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn kill_9_mid_backfill_then_rerun_equals_a_reference_run() {
    const ROWS: u32 = 100_000;
    let toml = fill_toml("batch_size = 500\npause = \"15ms\"");
    let files = [
        ("1_fill/expand.up.sql", EXPAND_UP),
        ("1_fill/expand.down.sql", EXPAND_DOWN),
        ("1_fill/backfill.toml", toml.as_str()),
    ];

    // the reference: the same backfill, uninterrupted
    let reference = Scratch::pg();
    items(&reference, ROWS);
    let dir = tree(&files);
    ok(&run(reference
        .migrate(dir.path())
        .args(["apply", ".", "--phase", "all"])));
    let want = checksum(&reference);
    drop(reference);

    let s = Scratch::pg();
    items(&s, ROWS);
    ok(&run(s.migrate(dir.path()).args([
        "apply",
        ".",
        "--no-backfill",
    ])));
    assert_eq!(fill_row(&s), Vec::<String>::new());

    let mut child = s
        .migrate(dir.path())
        .args(["apply", ".", "--phase", "backfill"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // wait for some committed batches, then SIGKILL
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_before_kill = loop {
        let rows: Vec<i64> = s
            .strings("SELECT rows_done::text FROM sluice_backfill")
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect();
        if rows.first().is_some_and(|r| *r >= 5_000) {
            break rows[0];
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backfill ended before it could be killed"
        );
        assert!(Instant::now() < deadline, "no progress within 120 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();

    let after_kill = s.strings("SELECT state || ' ' || rows_done FROM sluice_backfill");
    let (state, rows) = after_kill[0].split_once(' ').unwrap();
    let rows: i64 = rows.parse().unwrap();
    assert_eq!(state, "running", "{after_kill:?}");
    assert!(
        rows >= done_before_kill && rows < i64::from(ROWS),
        "killed mid-way: {rows}"
    );
    // the checkpoint and the data agree: exactly the rows up to the last key are done
    let last: i64 = s.strings("SELECT (last_key::json->>0) FROM sluice_backfill")[0]
        .parse()
        .unwrap();
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        [rows.to_string()]
    );
    assert_eq!(
        s.strings(&format!(
            "SELECT count(*)::text FROM items WHERE id <= {last} AND n <> 1"
        )),
        ["0"]
    );

    let human = run(s.migrate(dir.path()).args(["status", "."]));
    assert!(
        human.stdout.contains(&format!(
            "1        fill  backfill  running: {rows} rows in {} batches, last key [\"{last}\"]",
            rows / 500
        )),
        "{human:?}"
    );

    let r = run(s
        .migrate(dir.path())
        .args(["-v", "apply", ".", "--phase", "backfill"]));
    ok(&r);
    assert!(r.stderr.contains("resuming at key"), "{r:?}");
    assert!(
        r.stdout.contains("backfilled 1 fill (table items)")
            && r.stdout.contains(&format!("resumed at key [\"{last}\"]")),
        "{r:?}"
    );
    // every row updated exactly once over both runs
    assert_eq!(checksum(&s), want);
    let st = fill_row(&s);
    assert!(
        st[0].starts_with(&format!("applied {ROWS} ")),
        "the ledger counts each row once: {st:?}"
    );
}

#[test]
fn composite_key_with_awkward_values() {
    let s = Scratch::pg();
    s.exec(
        "CREATE TABLE pairs (a int, b text, x text, PRIMARY KEY (a, b));
         INSERT INTO pairs (a, b) SELECT g % 7, 'k''' || g || E'\\\\ \"é' FROM generate_series(1, 1000) g;",
    );
    let dir = tree(&[
        ("1_p/expand.up.sql", "SELECT 1;\n"),
        ("1_p/expand.down.sql", "SELECT 1;\n"),
        (
            "1_p/backfill.toml",
            r#"table = "pairs"
key = ["a", "b"]
batch_size = 7
[set]
x = """"a" || '/' || "b""""
"#,
        ),
    ]);
    ok(&run(s.migrate(dir.path()).args(["apply", "."])));
    assert_eq!(
        s.strings("SELECT count(*)::text FROM pairs WHERE x IS DISTINCT FROM a || '/' || b"),
        ["0"]
    );
    // 1000 rows in batches of 7: 142 full ones and the last (6 rows)
    assert_eq!(fill_row(&s), ["applied 1000 143"]);
}

#[test]
fn where_skips_rows_already_done_and_empty_tables_complete() {
    let s = Scratch::pg();
    items(&s, 100);
    // rows the new code already wrote: the backfill must leave them alone
    s.exec(
        "ALTER TABLE items ADD COLUMN n int NOT NULL DEFAULT 0; ALTER TABLE items ADD COLUMN doubled bigint;
         UPDATE items SET doubled = -1 WHERE id % 4 = 0;
         CREATE TABLE empty (id bigint PRIMARY KEY, y int);",
    );
    let dir = tree(&[
        ("1_w/expand.up.sql", "SELECT 1;\n"),
        ("1_w/expand.down.sql", "SELECT 1;\n"),
        (
            "1_w/backfill.toml",
            "table = \"items\"\nkey = \"id\"\nwhere = '\"doubled\" IS NULL'\nbatch_size = 9\n[set]\ndoubled = '\"id\" * 2'\n",
        ),
        ("2_e/expand.up.sql", "SELECT 1;\n"),
        ("2_e/expand.down.sql", "SELECT 1;\n"),
        (
            "2_e/backfill.toml",
            "table = \"empty\"\nkey = \"id\"\n[set]\ny = '1'\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    ok(&r);
    assert!(
        r.stdout
            .contains("backfilled 2 e (table empty): 0 rows in 1 batch"),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE doubled = -1"),
        ["25"]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE doubled = id * 2"),
        ["75"]
    );
    assert_eq!(fill_row(&s), ["applied 75 12", "applied 0 1"]);
}

#[test]
fn missing_key_column_names_backfill_toml() {
    let s = Scratch::pg();
    items(&s, 10);
    let dir = tree(&[
        ("1_k/expand.up.sql", "SELECT 1;\n"),
        ("1_k/expand.down.sql", "SELECT 1;\n"),
        (
            "1_k/backfill.toml",
            "table = \"items\"\nkey = [\"uuid\"]\n[set]\nv = \"'x'\"\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("1_k/backfill.toml:2:1: key column `uuid` does not exist in table `items` (its columns: id, v); fix `key`"),
        "{r:?}"
    );
    // nothing was changed; the backfill is recorded as failed with the reason
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE v = 'x'"),
        ["0"]
    );
    let st = crate::common::status_json(&s, dir.path());
    assert_eq!(st["backfills"][0]["state"], "failed", "{st:#}");
    assert!(
        st["backfills"][0]["error"]
            .as_str()
            .unwrap()
            .contains("`uuid` does not exist")
    );
}

#[test]
fn contract_waits_for_its_backfill_and_rollback_clears_it() {
    let s = Scratch::pg();
    items(&s, 50);
    let toml = fill_toml("batch_size = 20");
    let dir = tree(&[
        ("1_fill/expand.up.sql", EXPAND_UP),
        ("1_fill/expand.down.sql", EXPAND_DOWN),
        ("1_fill/backfill.toml", toml.as_str()),
        (
            "1_fill/contract.up.sql",
            "ALTER TABLE items ALTER COLUMN doubled SET NOT NULL;\n",
        ),
        (
            "1_fill/contract.down.sql",
            "ALTER TABLE items ALTER COLUMN doubled DROP NOT NULL;\n",
        ),
    ]);
    let d = dir.path();
    ok(&run(s.migrate(d).args(["apply", ".", "--no-backfill"])));
    ok(&run(s.migrate(d).args([
        "rollout",
        "complete",
        "--release",
        "r1",
    ])));
    let r = run(s.migrate(d).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout.contains("waiting: 1 fill (contract): its backfill is not complete (it has not started); run `migrate apply --phase backfill` first"),
        "{r:?}"
    );
    let human = run(s.migrate(d).args(["status", "."]));
    assert!(
        human.stdout.contains("1        fill  backfill  pending"),
        "{human:?}"
    );

    // dry run: the batch SQL, nothing runs
    let r = run(s
        .migrate(d)
        .args(["apply", ".", "--phase", "backfill", "--dry-run"]));
    ok(&r);
    assert!(
        // PostgreSQL, one-column key: the upper key inside the UPDATE's statement
        r.stdout.contains(
            "WITH sluice_u AS (SELECT \"id\" FROM \"items\" ORDER BY \"id\" LIMIT 1 OFFSET 19), "
        ) && r.stdout.contains(
            "sluice_d AS (UPDATE \"items\" SET \"doubled\" = \"id\" * 2, \"n\" = \"n\" + 1 WHERE \"id\" <= (SELECT \"id\" FROM sluice_b) RETURNING 1)"
        ) && r.stdout.contains("UPDATE \"sluice_backfill\" SET last_key = "),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        ["0"]
    );

    // `all` runs the backfill, then the contract in the same run
    let r = run(s.migrate(d).args(["apply", ".", "--phase", "all"]));
    ok(&r);
    assert!(
        r.stdout
            .contains("backfilled 1 fill (table items): 50 rows in 3 batches")
            && r.stdout.contains("applied 1 fill (contract)"),
        "{r:?}"
    );
    let human = run(s.migrate(d).args(["status", "."]));
    assert!(
        human
            .stdout
            .contains("1        fill  backfill  applied: 50 rows in 3 batches, finished"),
        "{human:?}"
    );
    let st = crate::common::status_json(&s, d);
    assert_eq!(st["backfills"][0]["rows_done"], 50, "{st:#}");
    assert_eq!(st["backfills"][0]["last_key"], "[\"40\"]", "{st:#}");

    // rolling back the expand forgets the backfill: the next apply runs it again
    ok(&run(s.migrate(d).args(["rollback", ".", "--steps", "2"])));
    assert_eq!(fill_row(&s), Vec::<String>::new());
    let r = run(s.migrate(d).args(["rollback", ".", "--phase", "backfill"]));
    assert_eq!(r.code, 2, "{r:?}");
    ok(&run(s.migrate(d).args(["apply", "."])));
    assert_eq!(fill_row(&s), ["applied 50 3"]);
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        ["50"]
    );
}

#[test]
fn large_backfill_is_followed_by_vacuum_and_lag_is_checked() {
    let s = Scratch::pg();
    items(&s, 300);
    let toml =
        fill_toml("batch_size = 50\nmax_replication_lag = \"1s\"\ntarget_batch_time = \"50ms\"");
    let dir = tree(&[
        ("sluice.toml", "[run]\nlarge_table_rows = 100\n"),
        ("m/1_fill/expand.up.sql", EXPAND_UP),
        ("m/1_fill/expand.down.sql", EXPAND_DOWN),
        ("m/1_fill/backfill.toml", toml.as_str()),
    ]);
    let r = run(s.migrate(dir.path()).args(["-vv", "apply", "m"]));
    ok(&r);
    assert!(
        r.stdout.contains("300 rows") && r.stdout.contains("then VACUUM (ANALYZE)"),
        "{r:?}"
    );
    // not a terminal: progress goes to the log
    assert!(
        r.stderr.contains("backfill progress") && r.stderr.contains("rows_per_s="),
        "{r:?}"
    );
    // no replica on the test server: the lag query ran and found none
    assert!(
        r.stderr
            .contains("no replicas known: no throttling on replication lag"),
        "{r:?}"
    );
    // the WAL the fill writes was weighed against min_wal_size (80 MB here, or more): a
    // small table, so no warning
    let min_wal: u64 = s.strings("SELECT pg_size_bytes(current_setting('min_wal_size'))::text")[0]
        .parse()
        .unwrap();
    assert!(
        r.stderr.contains(&format!("room={min_wal}"))
            && r.stderr
                .contains("log the fill writes, room the server has for it")
            && !r.stderr.contains("more than the"),
        "{r:?}"
    );
    // its session took the setting that writes its pages back as it goes
    assert!(!r.stderr.contains("the VACUUM runs without it"), "{r:?}");
    // the VACUUM runs in the background: the server finishes it after the run returned
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.strings(
        "SELECT (last_vacuum IS NOT NULL)::text FROM pg_stat_user_tables WHERE relname = 'items'",
    ) != ["true"]
    {
        assert!(Instant::now() < deadline, "no VACUUM of items within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        ["300"]
    );
}

#[test]
fn replication_lag_is_none_without_replicas() {
    for s in [Scratch::pg(), Scratch::mysql()] {
        let url = DbUrl::parse(&s.url).unwrap();
        let lag = block_on(async {
            let mut c = driver::connect(&url).await.unwrap();
            let lag = c.replication_lag().await;
            let _ = c.close().await;
            lag
        });
        assert_eq!(lag.unwrap(), None, "{:?}", s.backend);
    }
}

/// PostgreSQL has the write-back setting the batches set; a fork that lacks it answers `0`
/// and its batches go without (`Batches::with_flush_after`).
#[test]
fn postgres_reports_the_write_back_setting_the_batches_set() {
    use sluice::sql::Dialect;
    assert_eq!(
        driver::database(Dialect::Mysql).batch_flush_after_sql(),
        None
    );
    let s = Scratch::pg();
    let probe = driver::database(Dialect::Postgres)
        .batch_flush_after_sql()
        .unwrap();
    assert_eq!(s.strings(probe), ["1"]);
    // the same probe for a name the server does not have answers 0
    assert_eq!(
        s.strings(&probe.replace("backend_flush_after", "no_such_setting")),
        ["0"]
    );
}

#[test]
fn mariadb_backfill_with_composite_key_resumes_from_a_checkpoint() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE pairs (a bigint NOT NULL, b varchar(40) NOT NULL, x varchar(100) NULL, PRIMARY KEY (a, b));
         INSERT INTO pairs (a, b) SELECT seq % 5, CONCAT('k''', seq, ' é') FROM seq_1_to_500;",
    );
    let dir = tree(&[
        ("1_p/expand.up.sql", "SELECT 1;\n"),
        ("1_p/expand.down.sql", "SELECT 1;\n"),
        (
            "1_p/backfill.toml",
            r#"table = "pairs"
key = ["a", "b"]
batch_size = 33
where = '`x` IS NULL'
[set]
x = "CONCAT(`a`, '/', `b`)"
"#,
        ),
    ]);
    ok(&run(s.migrate(dir.path()).args([
        "apply",
        ".",
        "--no-backfill",
    ])));
    // an interrupted earlier run: checkpoint after the first rows with a = 0 ...
    let first: Vec<String> =
        s.strings("SELECT CAST(b AS CHAR) FROM pairs WHERE a = 0 ORDER BY b LIMIT 10");
    let last = &first[9];
    let key = serde_json::to_string(&["0", last.as_str()]).unwrap();
    s.exec(&format!(
        "INSERT INTO sluice_backfill (version, name, checksum, state, last_key, rows_done, batches, batch_size, applied_by) VALUES ('1', 'p', 'x', 'running', '{}', 10, 1, 33, 't')",
        key.replace('\'', "''")
    ));
    // ... whose rows are marked, so a batch before the checkpoint would be seen redone
    s.exec(&format!(
        "UPDATE pairs SET x = 'done before' WHERE a = 0 AND b <= '{}'",
        last.replace('\'', "''")
    ));
    let r = run(s
        .migrate(dir.path())
        .args(["-vv", "apply", ".", "--phase", "backfill"]));
    ok(&r);
    assert!(r.stdout.contains("490 rows"), "{r:?}");
    // the redo the fill writes was weighed against where InnoDB starts flushing harder
    let room = s.strings(
        "SELECT CAST(FLOOR(@@innodb_log_file_size * @@innodb_adaptive_flushing_lwm / 100) AS CHAR)",
    );
    assert!(
        r.stderr.contains(&format!("room={}", room[0]))
            && r.stderr
                .contains("log the fill writes, room the server has for it"),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM pairs WHERE x = 'done before'"),
        ["10"]
    );
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM pairs WHERE x = CONCAT(a, '/', b)"),
        ["490"]
    );
    assert_eq!(
        s.strings("SELECT CAST(CONCAT(state, ' ', rows_done) AS CHAR) FROM sluice_backfill"),
        ["applied 500"]
    );
}

#[test]
fn baseline_marks_the_backfill_done() {
    let s = Scratch::pg();
    items(&s, 10);
    s.exec("ALTER TABLE items ADD COLUMN n int NOT NULL DEFAULT 0; ALTER TABLE items ADD COLUMN doubled bigint;");
    let toml = fill_toml("");
    let dir = tree(&[
        ("1_fill/expand.up.sql", EXPAND_UP),
        ("1_fill/expand.down.sql", EXPAND_DOWN),
        ("1_fill/backfill.toml", toml.as_str()),
    ]);
    let r = run(s.migrate(dir.path()).args(["baseline", "1", "--dir", "."]));
    ok(&r);
    assert!(
        r.stdout.contains("1 fill (backfill) marked applied"),
        "{r:?}"
    );
    let r = run(s.migrate(dir.path()).args(["apply", ".", "--phase", "all"]));
    ok(&r);
    assert!(r.stdout.contains("nothing to apply"), "{r:?}");
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        ["0"]
    );
}

/// A session holding a row lock until told to let go.
struct Blocker {
    release: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Blocker {
    fn hold(s: &Scratch, sql: &str) -> Blocker {
        use sqlx::{Connection, Executor};
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let (url, sql, backend) = (s.url.clone(), sql.to_owned(), s.backend);
        let thread = std::thread::spawn(move || {
            block_on(async move {
                match backend {
                    sluice::sql::Dialect::Postgres => {
                        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                        c.execute("BEGIN").await.unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.unwrap();
                        ready_tx.send(()).unwrap();
                        let _ = release_rx.recv();
                        c.execute("ROLLBACK").await.unwrap();
                    }
                    sluice::sql::Dialect::Mysql => {
                        let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
                        c.execute("BEGIN").await.unwrap();
                        c.execute(sqlx::raw_sql(&sql)).await.unwrap();
                        ready_tx.send(()).unwrap();
                        let _ = release_rx.recv();
                        c.execute("ROLLBACK").await.unwrap();
                    }
                }
            });
        });
        ready_rx.recv().unwrap();
        Blocker { release, thread }
    }

    fn release(self) {
        self.release.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

#[test]
fn locked_rows_are_retried_then_reported_and_resumed() {
    let s = Scratch::pg();
    items(&s, 100);
    let toml = fill_toml("batch_size = 10");
    let files = |retries: &str| {
        tree(&[
            (
                "sluice.toml",
                &format!("[run]\nlock_timeout = \"100ms\"\nlock_retries = {retries}\n"),
            ),
            ("m/1_fill/expand.up.sql", EXPAND_UP),
            ("m/1_fill/expand.down.sql", EXPAND_DOWN),
            ("m/1_fill/backfill.toml", toml.as_str()),
        ])
    };
    let give_up = files("0");
    ok(&run(s.migrate(give_up.path()).args([
        "apply",
        "m",
        "--no-backfill",
    ])));

    // no retries left: the batch holding row 45 fails; the four before it are kept
    let blocker = Blocker::hold(&s, "SELECT 1 FROM items WHERE id = 45 FOR UPDATE");
    let r = run(s
        .migrate(give_up.path())
        .args(["apply", "m", "--phase", "backfill"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("backfill of 1 (\"items\"): the batch after key [\"40\"] failed to take its row locks within lock_timeout 100ms after 1 attempts")
            && r.stderr.contains("it resumes there"),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT state || ' ' || rows_done || ' ' || last_key FROM sluice_backfill"),
        ["failed 40 [\"40\"]"]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        ["40"]
    );

    // with retries: the run waits out the blocker, then finishes
    let patient = files("50");
    let mut child = s
        .migrate(patient.path())
        .args(["apply", "m", "--phase", "backfill"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = line_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no retry within 60 s: {seen:?}");
        match line_rx.recv_timeout(left) {
            Ok(l) => {
                let retry = l.contains("lock timeout; retrying the batch");
                seen.push(l);
                if retry {
                    break;
                }
            }
            Err(e) => panic!("the run ended or stalled without a retry ({e}): {seen:?}"),
        }
    }
    blocker.release();
    let out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("60 rows in 7 batches") && stdout.contains("resumed at key [\"40\"]"),
        "{stdout}"
    );
    assert_eq!(fill_row(&s), ["applied 100 11"]);
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        ["100"]
    );
}

#[test]
fn twenty_kills_in_a_row_then_the_data_equals_a_reference_run() {
    // 100 batches: twenty kills, each after at least one more batch, leave it mid-way
    const ROWS: u32 = 10_000;
    let toml = fill_toml("batch_size = 100\npause = \"10ms\"");
    let dir = tree(&[
        ("1_fill/expand.up.sql", EXPAND_UP),
        ("1_fill/expand.down.sql", EXPAND_DOWN),
        ("1_fill/backfill.toml", toml.as_str()),
    ]);
    let reference = Scratch::pg();
    items(&reference, ROWS);
    ok(&run(reference.migrate(dir.path()).args(["apply", "."])));
    let want = checksum(&reference);
    drop(reference);

    let s = Scratch::pg();
    items(&s, ROWS);
    ok(&run(s.migrate(dir.path()).args([
        "apply",
        ".",
        "--no-backfill",
    ])));
    let rows_done = || -> i64 {
        s.strings("SELECT rows_done::text FROM sluice_backfill")
            .first()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut kills = 0;
    while kills < 20 {
        let before = rows_done();
        let mut child = s
            .migrate(dir.path())
            .args(["apply", ".", "--phase", "backfill"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // kill once it has committed at least one more batch
        let finished = loop {
            if rows_done() > before {
                break false;
            }
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            assert!(Instant::now() < deadline, "no progress: {kills} kills");
            std::thread::sleep(Duration::from_millis(5));
        };
        assert!(!finished, "the backfill finished after {kills} kills");
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
    }
    let mid = rows_done();
    assert!(mid < i64::from(ROWS), "still mid-way after 20 kills");
    eprintln!("{mid} rows done after 20 kills");
    ok(&run(s
        .migrate(dir.path())
        .args(["apply", ".", "--phase", "backfill"])));
    assert_eq!(checksum(&s), want);
    assert!(
        fill_row(&s)[0].starts_with(&format!("applied {ROWS} ")),
        "{:?}",
        fill_row(&s)
    );
}

#[test]
fn mariadb_composite_batches_lock_only_their_range() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE pairs (a bigint NOT NULL, b varchar(40) NOT NULL, x varchar(100) NULL, PRIMARY KEY (a, b));
         INSERT INTO pairs (a, b) SELECT seq % 5, CONCAT('k', LPAD(seq, 4, '0')) FROM seq_1_to_500;",
    );
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlock_timeout = \"1s\"\nlock_retries = 0\n",
        ),
        ("m/1_p/expand.up.sql", "SELECT 1;\n"),
        ("m/1_p/expand.down.sql", "SELECT 1;\n"),
        (
            "m/1_p/backfill.toml",
            "table = \"pairs\"\nkey = [\"a\", \"b\"]\nbatch_size = 50\n[set]\nx = \"CONCAT(`a`, '/', `b`)\"\n",
        ),
    ]);
    // the last row in key order is locked: only the batch holding it may wait for it
    let blocker = Blocker::hold(
        &s,
        "SELECT 1 FROM pairs WHERE a = 4 ORDER BY b DESC LIMIT 1 FOR UPDATE",
    );
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    blocker.release();
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        s.strings("SELECT CAST(CONCAT(state, ' ', rows_done) AS CHAR) FROM sluice_backfill"),
        ["failed 450"],
        "{r:?}"
    );
    ok(&run(s.migrate(dir.path()).args(["apply", "m"])));
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM pairs WHERE x = CONCAT(a, '/', b)"),
        ["500"]
    );
}

/// A row in a batch's range that the batch does not change (already filled), locked by the
/// application: under REPEATABLE READ the batch's UPDATE would wait for it (and, with no
/// retries, fail); its batches run under READ COMMITTED, which skips it without waiting.
#[test]
fn mariadb_batches_do_not_wait_for_rows_they_do_not_change() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE t (id int PRIMARY KEY, x int NULL, note varchar(20) NULL);
         INSERT INTO t (id) SELECT seq FROM seq_1_to_100;
         UPDATE t SET x = 7 WHERE id = 50;",
    );
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlock_timeout = \"1s\"\nlock_retries = 0\n",
        ),
        ("m/1_x/expand.up.sql", "SELECT 1;\n"),
        ("m/1_x/expand.down.sql", "SELECT 1;\n"),
        (
            "m/1_x/backfill.toml",
            "table = \"t\"\nkey = [\"id\"]\nwhere = '`x` IS NULL'\nbatch_size = 30\n[set]\nx = '`id`'\n",
        ),
    ]);
    let dry = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--phase", "all", "--dry-run"]));
    assert!(
        dry.stdout
            .contains("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"),
        "{dry:?}"
    );
    let blocker = Blocker::hold(&s, "UPDATE t SET note = 'app' WHERE id = 50");
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    blocker.release();
    ok(&r);
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM t WHERE x = id"),
        ["99"]
    );
    assert_eq!(
        s.strings("SELECT CAST(x AS CHAR) FROM t WHERE id = 50"),
        ["7"]
    );
}

#[test]
fn mariadb_lag_check_on_a_listed_server_that_replicates_nothing() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE t (id int PRIMARY KEY, x int NULL); INSERT INTO t (id) SELECT seq FROM seq_1_to_30;",
    );
    let config = format!("[run]\nreplicas = [\"{}\"]\n", s.url);
    let dir = tree(&[
        ("sluice.toml", config.as_str()),
        ("m/1_t/expand.up.sql", "SELECT 1;\n"),
        ("m/1_t/expand.down.sql", "SELECT 1;\n"),
        (
            "m/1_t/backfill.toml",
            "table = \"t\"\nkey = \"id\"\nbatch_size = 8\nmax_replication_lag = \"1s\"\n[set]\nx = \"`id` * 3\"\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["-vv", "apply", "m"]));
    ok(&r);
    // SHOW ALL SLAVES STATUS ran on the listed server and found no replication
    assert!(
        r.stderr
            .contains("no replicas known: no throttling on replication lag"),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM t WHERE x = id * 3"),
        ["30"]
    );

    // an unreachable listed replica: the backfill refuses to run blind
    let bad = "[run]\nreplicas = [\"mysql://root:secret@127.0.0.1:1/x\"]\n";
    std::fs::write(dir.path().join("sluice.toml"), bad).unwrap();
    s.exec("DELETE FROM sluice_backfill");
    let r = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--phase", "backfill"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("cannot watch the replica lag") && !r.stderr.contains("secret"),
        "{r:?}"
    );
}

/// Two `[[fill]]` tables: `items`, then `others`, both `n = n + 1` (`n`: the column, quoted
/// for the server), so a batch run twice shows.
fn two_fills_toml(extra: &str, n: &str) -> String {
    format!(
        "[[fill]]\ntable = \"items\"\nkey = [\"id\"]\n{extra}\n[fill.set]\nn = '{n} + 1'\n\n[[fill]]\ntable = \"others\"\nkey = \"id\"\n{extra}\n[fill.set]\nn = '{n} + 1'\n"
    )
}

fn two_tables(s: &Scratch, n: u32) {
    s.exec(&format!(
        "CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
         INSERT INTO items (id) SELECT g FROM generate_series(1, {n}) g;
         CREATE TABLE others (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
         INSERT INTO others (id) SELECT g FROM generate_series(1, {n}) g;"
    ));
}

fn two_checksums(s: &Scratch) -> Vec<String> {
    s.strings(
        "SELECT md5(string_agg(id || ':' || n, ',' ORDER BY id)) FROM items
         UNION ALL SELECT md5(string_agg(id || ':' || n, ',' ORDER BY id)) FROM others",
    )
}

#[test]
fn two_tables_fill_in_order_and_a_kill_in_the_second_resumes_there() {
    const ROWS: u32 = 20_000;
    let toml = two_fills_toml("batch_size = 500\npause = \"15ms\"", "\"n\"");
    let dir = tree(&[
        ("1_fill/expand.up.sql", "SELECT 1;\n"),
        ("1_fill/expand.down.sql", "SELECT 1;\n"),
        ("1_fill/backfill.toml", toml.as_str()),
    ]);
    let s = Scratch::pg();
    two_tables(&s, ROWS);
    ok(&run(s.migrate(dir.path()).args([
        "apply",
        ".",
        "--no-backfill",
    ])));
    // the dry run shows both fills, the first's last batch starting the second
    let dry = run(s
        .migrate(dir.path())
        .args(["apply", ".", "--phase", "backfill", "--dry-run"]));
    ok(&dry);
    assert!(
        dry.stdout.contains("-- fill 1 of 2: items")
            && dry.stdout.contains("-- fill 2 of 2: others")
            && dry.stdout.contains("checkpoints the start of fill 2"),
        "{dry:?}"
    );

    let mut child = s
        .migrate(dir.path())
        .args(["apply", ".", "--phase", "backfill"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // wait for committed batches of the second fill, then SIGKILL
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let at = s.strings("SELECT coalesce(last_key, '') FROM sluice_backfill");
        if at
            .first()
            .is_some_and(|k| k.starts_with("{\"fill\":2,\"key\":[\"") && !k.contains("[\"500\"]"))
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backfill ended before it could be killed in its second fill"
        );
        assert!(Instant::now() < deadline, "no progress within 120 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // the first table is done, the second up to its checkpoint, and the ledger says so
    let row = s.strings(
        "SELECT state || ' ' || rows_done || ' ' || (last_key::json->'key'->>0) FROM sluice_backfill",
    );
    let parts: Vec<&str> = row[0].split(' ').collect();
    assert_eq!(parts[0], "running", "{row:?}");
    let last: u32 = parts[2].parse().unwrap();
    assert!(last > 500 && last < ROWS, "{row:?}");
    assert_eq!(parts[1], (ROWS + last).to_string(), "{row:?}");
    assert_eq!(
        s.strings("SELECT count(*)::text FROM items WHERE n = 1"),
        [ROWS.to_string()]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM others WHERE n = 1"),
        [last.to_string()]
    );

    let r = run(s
        .migrate(dir.path())
        .args(["-v", "apply", ".", "--phase", "backfill"]));
    ok(&r);
    assert!(
        r.stdout.contains("backfilled 1 fill (table items, others)"),
        "{r:?}"
    );
    // every row of both tables updated exactly once over both runs
    assert_eq!(
        s.strings(
            "SELECT (SELECT count(*) FROM items WHERE n = 1) || ' ' || (SELECT count(*) FROM others WHERE n = 1)"
        ),
        [format!("{ROWS} {ROWS}")]
    );
    let reference = Scratch::pg();
    two_tables(&reference, ROWS);
    ok(&run(reference
        .migrate(dir.path())
        .args(["apply", ".", "--phase", "all"])));
    assert_eq!(two_checksums(&s), two_checksums(&reference));
    let st = fill_row(&s);
    assert!(
        st[0].starts_with(&format!("applied {} ", 2 * ROWS)),
        "the ledger counts each row once: {st:?}"
    );
}

#[test]
fn mariadb_two_tables_resume_at_the_second_fills_checkpoint() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE items (id bigint NOT NULL PRIMARY KEY, n int NOT NULL DEFAULT 0);
         INSERT INTO items (id) SELECT seq FROM seq_1_to_300;
         CREATE TABLE others (id bigint NOT NULL PRIMARY KEY, n int NOT NULL DEFAULT 0);
         INSERT INTO others (id) SELECT seq FROM seq_1_to_300;",
    );
    let toml = two_fills_toml("batch_size = 40", "`n`");
    let dir = tree(&[
        ("1_p/expand.up.sql", "SELECT 1;\n"),
        ("1_p/expand.down.sql", "SELECT 1;\n"),
        ("1_p/backfill.toml", toml.as_str()),
    ]);
    ok(&run(s.migrate(dir.path()).args([
        "apply",
        ".",
        "--no-backfill",
    ])));
    // an earlier run filled `items` and `others` up to id 100, and was interrupted there:
    // its rows are marked, so a batch redone before the checkpoint would show
    s.exec(
        "INSERT INTO sluice_backfill (version, name, checksum, state, last_key, rows_done, batches, batch_size, applied_by) VALUES ('1', 'p', 'x', 'running', '{\"fill\":2,\"key\":[\"100\"]}', 400, 10, 40, 't');
         UPDATE items SET n = 7;
         UPDATE others SET n = 7 WHERE id <= 100;",
    );
    let r = run(s
        .migrate(dir.path())
        .args(["-v", "apply", ".", "--phase", "backfill"]));
    ok(&r);
    assert!(r.stdout.contains("200 rows"), "{r:?}");
    assert_eq!(
        s.strings(
            "SELECT CAST(CONCAT((SELECT COUNT(*) FROM items WHERE n = 7), ' ', (SELECT COUNT(*) FROM others WHERE n = 7), ' ', (SELECT COUNT(*) FROM others WHERE n = 1 AND id > 100)) AS CHAR)"
        ),
        ["300 100 200"]
    );
    assert_eq!(
        s.strings("SELECT CAST(CONCAT(state, ' ', rows_done) AS CHAR) FROM sluice_backfill"),
        ["applied 600"]
    );
}

/// A uuid key (kratos' `identity_login_codes`): the last batch looks for the largest key,
/// which `max()` cannot do for uuid ("function max(uuid) does not exist").
#[test]
fn uuid_key_walks_to_the_last_row() {
    let s = Scratch::pg();
    s.exec(
        "CREATE TABLE codes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n int NOT NULL DEFAULT 0);
         INSERT INTO codes (n) SELECT 0 FROM generate_series(1, 1000);",
    );
    let dir = tree(&[
        ("1_u/expand.up.sql", "SELECT 1;\n"),
        ("1_u/expand.down.sql", "SELECT 1;\n"),
        (
            "1_u/backfill.toml",
            "table = \"codes\"\nkey = \"id\"\nbatch_size = 64\n[set]\nn = '\"n\" + 1'\n",
        ),
    ]);
    ok(&run(s.migrate(dir.path()).args(["apply", "."])));
    assert_eq!(
        s.strings("SELECT n::text || ' ' || count(*) FROM codes GROUP BY n"),
        ["1 1000"]
    );
    // 15 full batches and the last (40 rows)
    assert_eq!(fill_row(&s), ["applied 1000 16"]);
}

/// `from` (PostgreSQL's `UPDATE .. FROM`) in a MariaDB backfill: refused before any batch,
/// naming the file and the way out; no row changed.
#[test]
fn mariadb_backfill_refuses_from() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE people (id bigint PRIMARY KEY, admin int NULL);
         CREATE TABLE users (id bigint PRIMARY KEY, person_id bigint NOT NULL, admin int NOT NULL);
         INSERT INTO people (id) SELECT seq FROM seq_1_to_20;
         INSERT INTO users SELECT seq, seq, 1 FROM seq_1_to_20;",
    );
    let dir = tree(&[
        ("1_p/expand.up.sql", "SELECT 1;\n"),
        ("1_p/expand.down.sql", "SELECT 1;\n"),
        (
            "1_p/backfill.toml",
            "table = \"people\"\nkey = [\"id\"]\nalias = \"p\"\nfrom = \"users u\"\nwhere = \"p.id = u.person_id\"\n[set]\nadmin = \"u.admin\"\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "."]));
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("backfill.toml")
            && r.stderr.contains("`from` is PostgreSQL's UPDATE .. FROM"),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM people WHERE admin IS NOT NULL"),
        ["0"]
    );
}
