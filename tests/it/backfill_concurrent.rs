//! A backfill under application writes to the very rows it fills, on both servers: no
//! application write is overwritten, every row ends filled; and a batch that meets an
//! application's row lock gives way within milliseconds instead of waiting.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Scratch, block_on, run, run_until, tree};
use sluice::sql::Dialect;

const ROWS: i32 = 3000;
/// Rows whose id is a multiple of this get the new code's own value (-1) in `copy`; the
/// others get `v` bumped, `copy` kept in step (`v * 10`) as the new code writes both.
const OWN: i32 = 7;

fn setup(s: &Scratch) {
    match s.backend {
        Dialect::Postgres => s.exec(&format!(
            "CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL, copy bigint);
             INSERT INTO acct (id, v) SELECT g, g FROM generate_series(1, {ROWS}) g;"
        )),
        Dialect::Mysql => s.exec(&format!(
            "CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL, copy bigint NULL);
             INSERT INTO acct (id, v) SELECT seq, seq FROM seq_1_to_{ROWS};"
        )),
    }
}

fn fill_dir(s: &Scratch) -> tempfile::TempDir {
    let (copy, v) = match s.backend {
        Dialect::Postgres => ("\"copy\"", "\"v\""),
        Dialect::Mysql => ("`copy`", "`v`"),
    };
    let toml = format!(
        "table = \"acct\"\nkey = [\"id\"]\nwhere = '{copy} IS NULL'\nbatch_size = 40\npause = \"3ms\"\n[set]\ncopy = '{v} * 10'\n"
    );
    tree(&[
        ("m/1_fill/expand.up.sql", "SELECT 1;\n"),
        ("m/1_fill/expand.down.sql", "SELECT 1;\n"),
        ("m/1_fill/backfill.toml", toml.as_str()),
    ])
}

/// What the application did: committed bumps of `v` per id, ids given their own `copy`.
#[derive(Default)]
struct Done {
    bumps: BTreeMap<i32, i32>,
    own: std::collections::BTreeSet<i32>,
    errors: Vec<String>,
}

/// `clients` application sessions writing random rows, each write in a transaction that holds
/// its row a few milliseconds, until `stop`.
fn app(s: &Scratch, clients: u64, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<Done>> {
    (0..clients)
        .map(|_| {
            let (url, backend, stop) = (s.url.clone(), s.backend, stop.clone());
            std::thread::spawn(move || block_on(app_client(url, backend, stop)))
        })
        .collect()
}

async fn app_client(url: String, backend: Dialect, stop: Arc<AtomicBool>) -> Done {
    use sqlx::{Connection, Executor};
    let mut done = Done::default();
    macro_rules! work {
        ($c:expr) => {{
            let c = $c;
            while !stop.load(Ordering::SeqCst) {
                let id = rand::random_range(1..=ROWS);
                let own = id % OWN == 0;
                let sql = if own {
                    format!("UPDATE acct SET copy = -1 WHERE id = {id}")
                } else {
                    // MySQL assigns left to right: `copy` first, from the old `v`
                    format!("UPDATE acct SET copy = (v + 1) * 10, v = v + 1 WHERE id = {id}")
                };
                let hold = Duration::from_millis(rand::random_range(1..=8));
                let r = async {
                    c.execute("BEGIN").await?;
                    c.execute(sql.as_str()).await?;
                    tokio::time::sleep(hold).await;
                    c.execute("COMMIT").await
                }
                .await;
                match r {
                    Ok(_) if own => {
                        done.own.insert(id);
                    }
                    Ok(_) => *done.bumps.entry(id).or_insert(0) += 1,
                    Err(e) => {
                        let _ = c.execute("ROLLBACK").await;
                        done.errors.push(format!("{sql}: {e}"));
                    }
                }
            }
        }};
    }
    match backend {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            work!(&mut c);
        }
        Dialect::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
            work!(&mut c);
        }
    }
    done
}

fn concurrent_writes_are_kept(s: &Scratch) {
    setup(s);
    let dir = fill_dir(s);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = app(s, 4, stop.clone());
    // the application is writing before the backfill starts and until it ends
    std::thread::sleep(Duration::from_millis(200));
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::SeqCst);
    let mut done = Done::default();
    for c in clients {
        let d = c.join().unwrap();
        for (id, n) in d.bumps {
            *done.bumps.entry(id).or_insert(0) += n;
        }
        done.own.extend(d.own);
        done.errors.extend(d.errors);
    }
    assert_eq!(r.code, 0, "{r:?}");
    assert!(done.errors.is_empty(), "{:?}", done.errors);
    let writes = done.bumps.values().map(|n| *n as usize).sum::<usize>() + done.own.len();
    assert!(writes >= 100, "only {writes} application writes");

    let rows = s.strings(match s.backend {
        Dialect::Postgres => {
            "SELECT id || ' ' || v || ' ' || coalesce(copy::text, 'NULL') FROM acct ORDER BY id"
        }
        Dialect::Mysql => {
            "SELECT CONCAT(id, ' ', v, ' ', COALESCE(copy, 'NULL')) FROM acct ORDER BY id"
        }
    });
    assert_eq!(rows.len(), ROWS as usize);
    let mut wrong = Vec::new();
    for line in &rows {
        let f: Vec<&str> = line.split(' ').collect();
        let id: i32 = f[0].parse().unwrap();
        let v: i64 = f[1].parse().unwrap();
        let want_v = i64::from(id + done.bumps.get(&id).copied().unwrap_or(0));
        let want_copy = if done.own.contains(&id) {
            "-1".to_owned()
        } else {
            (want_v * 10).to_string()
        };
        if v != want_v || f[2] != want_copy {
            wrong.push(format!("{line} (want v {want_v}, copy {want_copy})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {ROWS} rows differ from the application's writes: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    assert_eq!(
        s.strings("SELECT state FROM sluice_backfill"),
        ["applied"],
        "{r:?}"
    );
}

#[test]
fn pg_application_writes_during_the_backfill_are_kept() {
    concurrent_writes_are_kept(&Scratch::pg());
}

#[test]
fn mariadb_application_writes_during_the_backfill_are_kept() {
    concurrent_writes_are_kept(&Scratch::mysql());
}

/// A row of a batch held by the application: the batch gives way (rolls back, releasing the
/// rows it had taken) within milliseconds and tries again, instead of queueing behind it for
/// `lock_timeout`; once the row is free it fills it. PostgreSQL: the transaction's own
/// `lock_timeout`; MariaDB: the UPDATE under `SET STATEMENT innodb_lock_wait_timeout = 0`.
fn batch_gives_way_to_an_application_row_lock(s: &Scratch) {
    setup(s);
    let dir = fill_dir(s);
    // MySQL assigns left to right: its `copy` sees the new `v`
    let held = s.hold(match s.backend {
        Dialect::Postgres => "UPDATE acct SET v = v + 1, copy = (v + 1) * 10 WHERE id = 1500",
        Dialect::Mysql => "UPDATE acct SET v = v + 1, copy = v * 10 WHERE id = 1500",
    });
    let t0 = Instant::now();
    // the batch is still trying once it gave way: let it have the row
    let (gave_way, out) = run_until(
        s.migrate(dir.path()).args(["-vv", "apply", "m"]),
        "giving way",
        Duration::from_secs(60),
        || held.commit(),
    );
    let log = &out.stderr;
    assert!(gave_way, "no batch gave way in {:?}: {log}", t0.elapsed());
    assert_eq!(out.code, 0, "{out:?}");
    // it never fell back to waiting out lock_timeout
    assert!(!log.contains("lock timeout; retrying the batch"), "{log}");
    assert!(
        crate::common::logged_number(log, "backfill complete", "yields") >= 1,
        "{log}"
    );
    let text = |e: &str| match s.backend {
        Dialect::Postgres => format!("({e})::text"),
        Dialect::Mysql => format!("CAST({e} AS CHAR)"),
    };
    assert_eq!(
        s.strings(&format!(
            "SELECT {} FROM acct WHERE copy = v * 10",
            text("count(*)")
        )),
        [ROWS.to_string()]
    );
    assert_eq!(
        s.strings(&format!("SELECT {} FROM acct WHERE id = 1500", text("v"))),
        ["1501"]
    );
}

#[test]
fn pg_batch_gives_way_to_an_application_row_lock() {
    batch_gives_way_to_an_application_row_lock(&Scratch::pg());
}

#[test]
fn mariadb_batch_gives_way_to_an_application_row_lock() {
    batch_gives_way_to_an_application_row_lock(&Scratch::mysql());
}

/// The VACUUM after a large backfill runs in the background; a later phase waits for it
/// (its DDL would queue behind it, and the application behind the DDL), and so does a
/// rollback (after a killed run, its down met the VACUUM on a catalog row: `tuple
/// concurrently updated`).
#[test]
fn pg_phase_and_rollback_wait_for_a_background_vacuum() {
    let s = Scratch::pg();
    setup(&s);
    let dir = tree(&[
        (
            "m/1_x/expand.up.sql",
            "ALTER TABLE acct ADD COLUMN x int;\n",
        ),
        ("m/1_x/expand.down.sql", "ALTER TABLE acct DROP COLUMN x;\n"),
    ]);
    let x_columns = "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'acct' AND column_name = 'x'";
    for (args, columns) in [
        (&["-v", "apply", "m"][..], "1"),
        (&["-v", "rollback", "m", "--steps", "1"][..], "0"),
    ] {
        // a session running a statement with the runner's background mark: a long VACUUM
        let (sleeper, _) = s.running(
            &s.url,
            "SELECT pg_sleep(1.5) /* sluice: background */",
            "SELECT pid::text FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(1.5)%'",
        );
        let t0 = Instant::now();
        let r = run(s.migrate(dir.path()).args(args));
        let took = t0.elapsed();
        sleeper.join().unwrap();
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        assert!(
            r.stderr
                .contains("waiting for the VACUUM after the backfill"),
            "{args:?}: {r:?}"
        );
        assert!(
            took >= Duration::from_millis(800),
            "{args:?}: {took:?} {r:?}"
        );
        assert_eq!(s.strings(x_columns), [columns], "{args:?}");
    }
}
