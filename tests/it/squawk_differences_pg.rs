//! The server facts behind the documented differences from squawk (tests/it/squawk_cases.rs
//! lists them, each rule page's "Differences from squawk" section says why), checked on the
//! live PostgreSQL server rather than taken on trust: what each statement locks, whether the
//! application's queries queue behind it while it waits, and what running it again does.

use sqlx::{Connection, Executor, PgConnection};

use crate::common::{Scratch, block_on};

const TABLE: &str = "CREATE TABLE t (id int PRIMARY KEY, c int, d text);
                     INSERT INTO t SELECT g, g, 'x' FROM generate_series(1, 100) g;";

async fn connect(s: &Scratch) -> PgConnection {
    PgConnection::connect(&s.url).await.unwrap()
}

async fn strings(c: &mut PgConnection, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(c)
        .await
        .unwrap()
}

/// The lock modes `sql` holds on `t`, read inside its own transaction.
async fn locks_on_t(s: &Scratch, sql: &str) -> Vec<String> {
    let mut c = connect(s).await;
    c.execute(sqlx::raw_sql(&format!("BEGIN; {sql};")))
        .await
        .unwrap();
    let modes = strings(
        &mut c,
        "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 't'::regclass ORDER BY mode",
    )
    .await;
    c.execute("ROLLBACK").await.unwrap();
    modes
}

/// Does a plain read and write of `t` queue behind `sql` while `sql` waits for its lock? The
/// lock is held by a transaction holding SHARE UPDATE EXCLUSIVE (what autovacuum, `ANALYZE`
/// or `CREATE INDEX CONCURRENTLY` hold); the application's statements run with a
/// `lock_timeout`, so one that queues fails instead of hanging the test.
fn app_queues_behind(s: &Scratch, sql: &str) -> bool {
    block_on(async {
        let mut holder = connect(s).await;
        holder
            .execute("BEGIN; LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE;")
            .await
            .unwrap();
        let mut waiter = connect(s).await;
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut waiter)
            .await
            .unwrap();
        let owned = sql.to_owned();
        let waiting = tokio::spawn(async move {
            let r = waiter.execute(sqlx::raw_sql(&owned)).await.map(|_| ());
            (waiter, r)
        });
        let mut app = connect(s).await;
        // until the statement waits for its lock (a wait, not a timed assertion)
        let mut waits = false;
        for _ in 0..1000 {
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted")
                    .bind(pid)
                    .fetch_one(&mut app)
                    .await
                    .unwrap();
            if n > 0 {
                waits = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(waits, "`{sql}` never waited behind SHARE UPDATE EXCLUSIVE");
        let queued = app
            .execute(sqlx::raw_sql(
                "SET lock_timeout = '1s'; SELECT count(*) FROM t; UPDATE t SET c = c + 1 WHERE id = 1;",
            ))
            .await
            .map_err(|e| e.to_string());
        let queued = match queued {
            Ok(_) => false,
            Err(e) if e.contains("lock timeout") => true,
            Err(e) => panic!("the application's statements failed: {e}"),
        };
        holder.execute("ROLLBACK").await.unwrap();
        let (_, r) = waiting.await.unwrap();
        r.unwrap();
        queued
    })
}

fn fresh() -> Scratch {
    let s = Scratch::pg();
    s.exec(TABLE);
    s
}

/// `require_timeout_settings.rs` cases (lint-rules/require-lock-timeout.md): Sluice asks for a
/// `lock_timeout` only where the application's queries would queue behind the waiting statement.
#[test]
fn statements_without_lock_timeout_findings_do_not_make_queries_queue() {
    let s = fresh();
    // `err_comment_on_explains_lock_impact`
    assert_eq!(
        block_on(locks_on_t(&s, "COMMENT ON COLUMN t.c IS 'an opaque id'")),
        ["ShareUpdateExclusiveLock"]
    );
    assert!(!app_queues_behind(
        &s,
        "COMMENT ON COLUMN t.c IS 'an opaque id'"
    ));
    // `err_vacuum_full_false_uses_non_full_lock`
    assert!(!app_queues_behind(&s, "VACUUM (FULL false) t"));
    // `err_lock_access_share_uses_correct_article`: conflicts with ACCESS EXCLUSIVE only
    assert_eq!(
        block_on(locks_on_t(&s, "LOCK TABLE t IN ACCESS SHARE MODE")),
        ["AccessShareLock"]
    );
    // `err_other_ddl_operations`: no lock on any table of the schema
    let mut modes = block_on(async {
        let mut c = connect(&s).await;
        c.execute("BEGIN; CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');")
            .await
            .unwrap();
        strings(
            &mut c,
            "SELECT l.mode FROM pg_locks l JOIN pg_class r ON r.oid = l.relation \
             WHERE l.pid = pg_backend_pid() AND r.relnamespace = 'public'::regnamespace",
        )
        .await
    });
    modes.sort();
    assert!(modes.is_empty(), "{modes:?}");

    // the statements Sluice does report: the application queues behind them
    assert!(app_queues_behind(&s, "ALTER TABLE t ADD COLUMN e text"));
    assert!(app_queues_behind(&s, "VACUUM FULL t"));
}

/// `prefer_repack.rs` `cluster_below_pg19_ok`, `vacuum_full_below_pg19_ok`
/// (lint-rules/ban-table-rewrite.md): a rewrite under ACCESS EXCLUSIVE on any version.
#[test]
fn cluster_and_vacuum_full_rewrite_under_access_exclusive() {
    let s = fresh();
    assert!(
        block_on(locks_on_t(&s, "CLUSTER t USING t_pkey")).contains(&"AccessExclusiveLock".into())
    );
    let node = "SELECT pg_relation_filenode('t')::text";
    // squawk's `CLUSTER foo` reclusters on the index a first `CLUSTER .. USING` chose
    for sql in ["CLUSTER t USING t_pkey", "CLUSTER t", "VACUUM FULL t"] {
        let before = s.strings(node);
        s.exec(sql);
        assert_ne!(s.strings(node), before, "{sql} rewrote the table");
    }
    let before = s.strings(node);
    s.exec("VACUUM (FULL false) t");
    assert_eq!(s.strings(node), before);
}

/// `prefer_robust_stmts.rs` cases (lint-rules/prefer-robust-stmts.md): what a rerun after a
/// partial failure does.
#[test]
fn reruns_of_the_statements_prefer_robust_stmts_judges_differently() {
    let s = fresh();
    // `alter_column_set_not_null`, `*_row_level_security_*`: a second run succeeds
    for sql in [
        "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
        "ALTER TABLE IF EXISTS t ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE IF EXISTS t DISABLE ROW LEVEL SECURITY",
    ] {
        s.exec(sql);
        s.try_exec(sql)
            .unwrap_or_else(|e| panic!("`{sql}` run again: {e}"));
    }
    // `create_index_concurrently_unnamed_ok`: a second run builds a second index
    for _ in 0..2 {
        s.exec("CREATE INDEX CONCURRENTLY ON t (d)");
    }
    assert_eq!(
        s.strings("SELECT indexname::text FROM pg_indexes WHERE tablename = 't' AND indexdef LIKE '%(d)' ORDER BY 1"),
        ["t_d_idx", "t_d_idx1"]
    );
}

/// `identifier_too_long.rs` `drop_table_long_name_err` (lint-rules/identifier-too-long.md) and
/// `ban_concurrent_index_creation_in_transaction.rs` `assuming_in_transaction_ok`.
#[test]
fn long_name_drop_and_concurrent_index_in_a_transaction() {
    let s = Scratch::pg();
    let long = "table_very_long_very_long_very_long_very_long_very_long_very_long";
    s.exec(&format!("CREATE TABLE {long} (a int)"));
    assert_eq!(
        s.strings("SELECT count(*)::text FROM pg_class WHERE relname LIKE 'table_very_long%'"),
        ["1"]
    );
    s.exec(&format!("DROP TABLE {long}"));
    assert_eq!(
        s.strings("SELECT count(*)::text FROM pg_class WHERE relname LIKE 'table_very_long%'"),
        ["0"]
    );
    // what sqlx does with a file without `-- no-transaction`, one statement or many
    s.exec("CREATE TABLE table_name (field_name int)");
    let err = s
        .try_exec("BEGIN; CREATE UNIQUE INDEX CONCURRENTLY field_name_idx ON table_name (field_name); COMMIT;")
        .unwrap_err();
    assert!(
        err.contains("cannot run inside a transaction block"),
        "{err}"
    );
}
