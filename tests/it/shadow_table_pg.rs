//! The shadow-table strategy on real PostgreSQL: the copy under concurrent writes equals
//! the naive ALTER, survives kill -9 anywhere in its copy, shows its steps in `--dry-run`,
//! and is refused for tables other tables' foreign keys point at.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Run, Scratch, block_on, run, snapshot, tree};
use sqlx::{Connection, Executor};

const ROWS: i64 = 100_000;

const DOWN: &str = "-- sluice:irreversible a rewrite test\nSELECT 1;\n";

fn accounts(s: &Scratch) {
    s.exec(&format!(
        "CREATE TABLE accounts (id serial PRIMARY KEY, a int NOT NULL, b int, note text NOT NULL, n int NOT NULL DEFAULT 0, u int NOT NULL UNIQUE);
         INSERT INTO accounts (a, b, note, u) SELECT g, g % 97, 'note ' || g, g FROM generate_series(1, {ROWS}) g;
         CREATE INDEX accounts_a_idx ON accounts (a);
         ALTER TABLE accounts SET (fillfactor = 90);
         GRANT SELECT, UPDATE ON accounts TO PUBLIC;
         COMMENT ON TABLE accounts IS 'the ''accounts''';
         ANALYZE;"
    ));
}

/// Content and shape of `accounts`: equal between two databases when the change did the same.
fn checksum(s: &Scratch) -> (String, String) {
    let content = s.strings(
        "SELECT md5(string_agg(id || ':' || a || ':' || coalesce(b::text, '-') || ':' || note || ':' || n || ':' || u, ',' ORDER BY id)) || ' ' || count(*) FROM accounts",
    )[0]
    .clone();
    let shape = s.strings(
        "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attnum > 0 AND NOT attisdropped",
    )[0]
    .clone();
    (content, shape)
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "{r:?}");
}

/// An application writing to `accounts` on its own connection: inserts, updates, deletes
/// and moves of a unique value from one row to another (a copied row's value then belongs
/// to a row copied later), in a fixed order, each recorded so a reference database can
/// replay them.
struct Writer {
    stop: Arc<AtomicBool>,
    count: Arc<AtomicU64>,
    handle: std::thread::JoinHandle<(Vec<String>, Vec<String>)>,
}

impl Writer {
    fn start(url: &str) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let (st, ct, url) = (stop.clone(), count.clone(), url.to_owned());
        let handle = std::thread::spawn(move || {
            block_on(async move {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                let (mut done, mut failed) = (Vec::new(), Vec::new());
                let mut i: i64 = 0;
                while !st.load(Ordering::SeqCst) {
                    let sql = match i % 4 {
                        0 => format!(
                            "INSERT INTO accounts (id, a, b, note, u) VALUES ({id}, {i}, {}, 'w{i}', {id})",
                            i % 5,
                            id = 10 * ROWS + i,
                        ),
                        3 => {
                            let v = (i * 7919) % ROWS + 1;
                            format!(
                                "UPDATE accounts SET u = {} WHERE u = {v}; UPDATE accounts SET u = {v} WHERE id = {} AND NOT EXISTS (SELECT 1 FROM accounts WHERE u = {v})",
                                3 * ROWS + i,
                                (i * 31) % ROWS + 1
                            )
                        }
                        1 => format!(
                            "UPDATE accounts SET n = n + 1, b = b + 1, note = note || '+' WHERE id = {}",
                            (i * 7919) % ROWS + 1
                        ),
                        _ => format!(
                            "DELETE FROM accounts WHERE id = {}",
                            (i * 104_729) % ROWS + 1
                        ),
                    };
                    match c.execute(sqlx::raw_sql(&sql)).await {
                        Ok(_) => done.push(sql),
                        Err(e) => failed.push(format!("{sql}: {e}")),
                    }
                    ct.fetch_add(1, Ordering::SeqCst);
                    i += 1;
                    // an application's pace, not a flood: the copy must be able to catch up
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                (done, failed)
            })
        });
        Writer {
            stop,
            count,
            handle,
        }
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Stop; the writes that succeeded, and the failures.
    fn finish(self) -> (Vec<String>, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

/// The reference: same data, the naive statements, then the same writes in the same order.
fn reference(naive: &str, writes: &[String]) -> (String, String) {
    let r = Scratch::pg();
    accounts(&r);
    r.exec(naive);
    for chunk in writes.chunks(500) {
        r.exec(&chunk.join(";\n"));
    }
    checksum(&r)
}

/// The latest copy's state and rows copied; `None` before the runner made its ledger table.
fn shadow_state(s: &Scratch) -> Option<(String, i64)> {
    let url = s.url.clone();
    let row: Option<String> = std::thread::spawn(move || {
        block_on(async move {
            let mut c = sqlx::PgConnection::connect(&url).await.ok()?;
            sqlx::query_scalar(
                "SELECT state || ' ' || rows_done FROM sluice_shadow ORDER BY statement DESC LIMIT 1",
            )
            .fetch_optional(&mut c)
            .await
            .ok()
            .flatten()
        })
    })
    .join()
    .unwrap();
    row.and_then(|v| {
        let (a, b) = v.split_once(' ')?;
        Some((a.to_owned(), b.parse().ok()?))
    })
}

fn wait_for<T>(what: &str, deadline: Instant, mut f: impl FnMut() -> Option<T>) -> T {
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

const WIDEN: &str = "ALTER TABLE accounts ALTER COLUMN id TYPE bigint;\nALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;\n";

#[test]
fn key_and_two_type_changes_under_writes_equal_the_naive_alter() {
    let s = Scratch::pg();
    accounts(&s);
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlarge_table_rows = 1000\nshadow_batch_time = \"20ms\"\nshadow_pause = \"10ms\"\n",
        ),
        ("migrations/1_widen/expand.up.sql", WIDEN),
        ("migrations/1_widen/expand.down.sql", DOWN),
    ]);
    let writer = Writer::start(&s.url);
    let child = s
        .migrate(dir.path())
        .args(["apply", "-v"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // the application keeps writing while the copy runs
    wait_for("the copy to start", deadline, || {
        shadow_state(&s).filter(|(st, _)| st == "copying")
    });
    let w0 = writer.count();
    let during = wait_for("writes during the copy", deadline, || {
        (writer.count() >= w0 + 100).then(|| shadow_state(&s))
    });
    let out = child.wait_with_output().unwrap();
    let (writes, failed) = writer.finish();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    ok(&r);
    assert!(r.stderr.contains("shadow-table"), "{r:?}");
    assert!(
        during.as_ref().is_some_and(|(st, _)| st == "copying"),
        "100 writes happened while the first copy ran: {during:?}"
    );
    assert_eq!(failed, Vec::<String>::new(), "no application write fails");
    assert!(writes.len() > 100, "{} writes", writes.len());

    let naive = "ALTER TABLE accounts ALTER COLUMN id TYPE bigint; ALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;";
    let got = checksum(&s);
    assert_eq!(got, reference(naive, &writes));
    assert!(
        got.1
            .contains("id bigint not null, a bigint not null, b bigint"),
        "{got:?}"
    );

    // the old tables wait for `migrate purge`; the copies' machinery is gone
    assert_eq!(
        s.strings("SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relname LIKE '\\_sluice%' ORDER BY 1"),
        ["_sluice_dropped_accounts_1", "_sluice_dropped_accounts_2_1"]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"),
        ["0"]
    );
    assert_eq!(
        s.strings("SELECT state || ' ' || statement FROM sluice_shadow ORDER BY statement"),
        ["applied 1", "applied 2"]
    );
    // privileges and storage parameters came along
    assert_eq!(
        s.strings("SELECT (SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM aclexplode(relacl) WHERE grantee = 0) || ' ' || array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'accounts'::regclass"),
        ["SELECT,UPDATE fillfactor=90"]
    );
    assert_eq!(
        s.strings("SELECT obj_description('accounts'::regclass, 'pg_class')"),
        ["the 'accounts'"]
    );
    // index names moved over, and the serial column's sequence belongs to the new table
    assert_eq!(
        s.strings("SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = 'accounts'::regclass"),
        ["accounts_a_idx,accounts_pkey,accounts_u_key"]
    );
    assert_eq!(
        s.strings("SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype <> 'n'"),
        ["accounts_pkey,accounts_u_key"]
    );
    assert_eq!(
        s.strings("SELECT pg_get_serial_sequence('accounts', 'id')"),
        ["public.accounts_id_seq"]
    );
    s.exec("DROP TABLE _sluice_dropped_accounts_1, _sluice_dropped_accounts_2_1");
    s.exec("INSERT INTO accounts (a, note, u) VALUES (-1, 'after', -1)");
    assert_eq!(
        s.strings("SELECT id::text FROM accounts WHERE a = -1"),
        ["100001"],
        "the sequence survived dropping the old tables"
    );
}

#[test]
fn kill_9_mid_copy_twenty_times_then_the_rerun_equals_the_reference() {
    let s = Scratch::pg();
    accounts(&s);
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlarge_table_rows = 1000\nshadow_batch_time = \"10ms\"\nshadow_pause = \"20ms\"\n",
        ),
        (
            "migrations/1_widen/expand.up.sql",
            "ALTER TABLE accounts ALTER COLUMN id TYPE bigint, ALTER COLUMN b TYPE bigint;\n",
        ),
        ("migrations/1_widen/expand.down.sql", DOWN),
    ]);
    let writer = Writer::start(&s.url);
    let rows_done = || shadow_state(&s).map_or(-1, |(_, n)| n);
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut kills = 0;
    while kills < 20 {
        let before = rows_done();
        let mut child = s
            .migrate(dir.path())
            .args(["apply"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // kill once it has committed at least one more copy batch
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
        assert!(!finished, "the apply ended after {kills} kills");
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
    }
    let (state, mid) = shadow_state(&s).unwrap();
    assert_eq!(state, "copying", "still mid-copy after 20 kills");
    assert!(mid > 0 && mid < ROWS, "{mid} rows copied");
    eprintln!("{mid} rows copied after 20 kills");
    ok(&run(s.migrate(dir.path()).args(["apply"])));
    let (writes, failed) = writer.finish();
    assert_eq!(failed, Vec::<String>::new(), "no application write fails");
    assert_eq!(
        checksum(&s),
        reference(
            "ALTER TABLE accounts ALTER COLUMN id TYPE bigint, ALTER COLUMN b TYPE bigint;",
            &writes
        )
    );
    assert_eq!(s.strings("SELECT state FROM sluice_shadow"), ["applied"]);
    assert_eq!(
        s.strings("SELECT state FROM sluice_migrations"),
        ["applied"]
    );
}

#[test]
fn dry_run_shows_the_steps_and_inbound_foreign_keys_refuse_it() {
    let s = Scratch::pg();
    accounts(&s);
    let dir = tree(&[
        ("sluice.toml", "[run]\nlarge_table_rows = 1000\n"),
        (
            "migrations/3_widen/expand.up.sql",
            "ALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;\n-- sluice:strategy shadow-table\nALTER TABLE accounts SET TABLESPACE pg_default;\n",
        ),
        ("migrations/3_widen/expand.down.sql", DOWN),
    ]);
    let dry = run(s.migrate(dir.path()).args(["apply", "--dry-run"]));
    ok(&dry);
    for want in [
        "-- line 1: strategy shadow-table: rewrites accounts into a shadow copy",
        "-- line 3: strategy shadow-table (forced)",
        "CREATE TABLE _sluice_shadow_accounts (LIKE accounts INCLUDING ALL); ALTER TABLE _sluice_shadow_accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint",
        "ALTER TABLE _sluice_shadow_accounts SET TABLESPACE pg_default",
        "trigger _sluice_shadow_accounts_trg AFTER INSERT OR UPDATE OR DELETE ON accounts FOR EACH ROW",
        "batched copy in key order",
        "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE",
        "ALTER TABLE accounts RENAME TO _sluice_dropped_accounts_3",
        "stays as _sluice_dropped_accounts_3 until `migrate purge`",
    ] {
        assert!(
            dry.stdout.contains(want),
            "dry run lacks `{want}`:\n{}",
            dry.stdout
        );
    }
    assert!(
        s.strings("SELECT relname::text FROM pg_class WHERE relname LIKE '\\_sluice\\_shadow%'")
            .is_empty(),
        "a dry run changes nothing"
    );

    s.exec(
        "CREATE TABLE orders (id int PRIMARY KEY, account_id int CONSTRAINT orders_account_fk REFERENCES accounts (id)); ANALYZE orders;",
    );
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("expand.up.sql:1: the shadow-table copy of accounts is refused: foreign key orders_account_fk on orders references it")
            && r.stderr.contains("sluice:strategy plain"),
        "{r:?}"
    );
    assert_eq!(
        checksum(&s).1,
        "id integer not null, a integer not null, b integer, note text not null, n integer not null, u integer not null",
        "nothing ran"
    );
    assert!(
        s.strings("SELECT relname::text FROM pg_class WHERE relname LIKE '\\_sluice\\_shadow%'")
            .is_empty()
    );
}

#[test]
fn forced_rebuild_and_tablespace_move_keep_the_content() {
    let s = Scratch::pg();
    accounts(&s);
    s.exec(
        "DELETE FROM accounts WHERE id % 2 = 0;
         CREATE TABLE ids (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int);
         INSERT INTO ids (v) SELECT g FROM generate_series(1, 5000) g;
         ANALYZE;",
    );
    let before = checksum(&s);
    let node = s.strings("SELECT pg_relation_filenode('accounts')::text");
    let dir = tree(&[
        ("sluice.toml", "[run]\nlarge_table_rows = 1000\n"),
        (
            "migrations/4_rebuild/expand.up.sql",
            "-- sluice:strategy shadow-table\nVACUUM FULL accounts;\nALTER TABLE accounts SET TABLESPACE pg_default;\n-- sluice:strategy shadow-table\nVACUUM FULL ids;\n",
        ),
        ("migrations/4_rebuild/expand.down.sql", DOWN),
    ]);
    let dry = run(s.migrate(dir.path()).args(["apply", "--dry-run"]));
    ok(&dry);
    assert!(
        dry.stdout
            .contains("-- line 2: strategy shadow-table (forced)")
            && dry
                .stdout
                .contains("-- line 3: strategy shadow-table: rewrites accounts")
            && dry.stdout.contains("(VACUUM FULL, key \"id\")"),
        "{}",
        dry.stdout
    );
    ok(&run(s.migrate(dir.path()).args(["apply"])));
    assert_eq!(checksum(&s), before);
    assert_ne!(
        s.strings("SELECT pg_relation_filenode('accounts')::text"),
        node,
        "a new table"
    );
    assert_eq!(
        s.strings("SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relname LIKE '\\_sluice\\_dropped%' ORDER BY 1"),
        ["_sluice_dropped_accounts_2_4", "_sluice_dropped_accounts_4", "_sluice_dropped_ids_4"]
    );
    // the identity column's new sequence continues where the old one stopped
    s.exec("INSERT INTO ids (v) VALUES (-1)");
    assert_eq!(
        s.strings("SELECT id::text || ' ' || count(*) OVER () FROM ids WHERE v = -1"),
        ["5001 1"]
    );
}

/// A session holding a lock on `accounts` in an open transaction until released.
struct Holder {
    release: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Holder {
    fn hold(s: &Scratch, sql: &str) -> Holder {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let (url, sql) = (s.url.clone(), sql.to_owned());
        let thread = std::thread::spawn(move || {
            block_on(async move {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                c.execute("BEGIN").await.unwrap();
                c.execute(sqlx::raw_sql(&sql)).await.unwrap();
                ready_tx.send(()).unwrap();
                let _ = release_rx.recv();
                c.execute("ROLLBACK").await.unwrap();
            });
        });
        ready_rx.recv().unwrap();
        Holder { release, thread }
    }

    fn release(self) {
        self.release.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

#[test]
fn a_held_lock_makes_the_swap_retry_then_give_up_and_the_rerun_finishes() {
    let s = Scratch::pg();
    accounts(&s);
    let up = "ALTER TABLE accounts ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;\n";
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlarge_table_rows = 1000\nlock_timeout = \"300ms\"\nlock_retries = 1\n",
        ),
        ("migrations/1_widen/expand.up.sql", up),
        ("migrations/1_widen/expand.down.sql", DOWN),
    ]);
    // a long reader: the copy runs beside it, the swap's ACCESS EXCLUSIVE cannot
    let reader = Holder::hold(&s, "SELECT count(*) FROM accounts");
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("expand.up.sql:1: statement 1 of 1")
            && r.stderr
                .contains("could not take its lock within lock_timeout 300ms after 2 attempts")
            && r.stderr.contains("SELECT count(*) FROM accounts")
            && r.stderr.contains("a re-run of `migrate apply` continues it; to abandon it instead: DROP TRIGGER _sluice_shadow_accounts_trg ON accounts; DROP FUNCTION _sluice_shadow_accounts_fn(); DROP TABLE _sluice_shadow_accounts, _sluice_shadow_accounts_log"),
        "the message names the blocking session: {r:?}"
    );
    assert_eq!(
        shadow_state(&s).map(|(st, _)| st).as_deref(),
        Some("replaying"),
        "copied, waiting for the swap"
    );
    // the application keeps writing meanwhile, captured by the trigger
    s.exec("UPDATE accounts SET n = 7 WHERE id <= 10; DELETE FROM accounts WHERE id = 11;");
    reader.release();
    ok(&run(s.migrate(dir.path()).args(["apply"])));
    let writes = [
        "UPDATE accounts SET n = 7 WHERE id <= 10".to_owned(),
        "DELETE FROM accounts WHERE id = 11".to_owned(),
    ];
    assert_eq!(checksum(&s), reference(up, &writes));
    assert_eq!(s.strings("SELECT state FROM sluice_shadow"), ["applied"]);
}

/// lemmy: after the shadow-table copy of `post_aggregates` (2023-08-23-182533_scaled_rank),
/// 2023-10-24-030352's `ALTER TABLE post_aggregates DROP COLUMN id` failed with "default
/// value for column id of table _sluice_dropped_post_aggregates_.. depends on sequence
/// post_aggregates_id_seq". The soft-dropped copy must hold nothing later DDL trips over
/// (its defaults, generated expressions and CHECKs go), and the schema must equal the plain
/// statements' (the copy aside), index names included: the type change rewrites the partial
/// index's predicate, which must not keep it from getting its name back.
#[test]
fn lemmy_drop_column_id_after_a_copy_is_not_held_back_by_the_soft_dropped_table() {
    let (plain, sluice) = (Scratch::pg(), Scratch::pg());
    let setup = "CREATE FUNCTION positive(x float) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT x >= 0';
        CREATE FUNCTION half(x float) RETURNS float LANGUAGE sql IMMUTABLE AS 'SELECT x / 2';
        CREATE TABLE post_aggregates (
            id serial PRIMARY KEY, post_id int NOT NULL UNIQUE,
            hot_rank int NOT NULL DEFAULT 1728 CHECK (positive(hot_rank)),
            half_post float GENERATED ALWAYS AS (half(post_id)) STORED);
        CREATE INDEX idx_post_aggregates_published ON post_aggregates (post_id DESC);
        CREATE INDEX idx_post_aggregates_nonzero_hotrank ON post_aggregates (post_id DESC) WHERE hot_rank <> 0;
        INSERT INTO post_aggregates (post_id) SELECT g FROM generate_series(1, 100) g;
        ANALYZE post_aggregates;";
    let rank = "ALTER TABLE post_aggregates ALTER COLUMN hot_rank TYPE float, ALTER COLUMN hot_rank SET DEFAULT 0.1728;\n";
    let keys = "ALTER TABLE post_aggregates DROP COLUMN id, ADD PRIMARY KEY (post_id), DROP CONSTRAINT post_aggregates_post_id_key;\n\
        ALTER TABLE post_aggregates DROP COLUMN half_post, DROP CONSTRAINT post_aggregates_hot_rank_check;\n\
        DROP FUNCTION positive(float);\nDROP FUNCTION half(float);\n";
    for s in [&plain, &sluice] {
        s.exec(setup);
    }
    plain.exec(rank);
    plain.exec(keys);
    let dir = tree(&[
        (
            "migrations/1_rank/expand.up.sql",
            &format!("-- sluice:strategy shadow-table\n{rank}"),
        ),
        ("migrations/1_rank/expand.down.sql", DOWN),
        ("migrations/2_keys/expand.up.sql", keys),
        ("migrations/2_keys/expand.down.sql", DOWN),
    ]);
    ok(&run(sluice.migrate(dir.path()).args(["apply"])));
    assert_eq!(
        sluice.strings(
            "SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relname LIKE '\\_sluice\\_dropped%'"
        ),
        ["_sluice_dropped_post_aggregates_1"],
        "the copy ran and its old table stays"
    );
    let d = sluice::run::snapshot::diff(&snapshot(&plain), &snapshot(&sluice));
    assert!(
        d.is_empty(),
        "the schema differs from the plain statements':\n{d}"
    );
}
