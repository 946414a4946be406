//! The fault suite on PostgreSQL (issue 18): a phased change set under load, a fault at a
//! random moment, recovery through `migrate` alone (see `common::faults`). SIGKILL of the
//! runner and killed sessions run on the shared server (each run on a scratch database); the
//! server restarts on a private server this test starts and stops.
//!
//! Sized down by default (CI); `SLUICE_FAULTS_FULL=1` runs the full suite (1M rows; 50
//! kills, 10 restarts, 20 session kills).

use sluice::sql::Dialect;

use crate::common::faults::{Fault, Server, Suite, size};

fn suite(server: &mut Server, fault: Fault) {
    let suite = Suite::new(server, size(fault));
    let r = suite.runs(server, fault);
    let unexplained = r.unexplained();
    assert!(
        unexplained.is_empty(),
        "{}: runs that did not recover: {unexplained:#?}",
        fault.name()
    );
}

#[test]
fn runner_sigkill_at_a_random_moment_then_apply_or_rollback_recovers() {
    suite(&mut Server::shared(Dialect::Postgres), Fault::RunnerKill);
}

#[test]
fn runner_session_killed_server_side_then_apply_or_rollback_recovers() {
    suite(
        &mut Server::shared(Dialect::Postgres),
        Fault::ConnectionKill,
    );
}

#[test]
fn server_crash_and_restart_then_apply_or_rollback_recovers() {
    let Some(mut server) = Server::private(Dialect::Postgres) else {
        eprintln!("no PostgreSQL server programs (initdb, pg_ctl) installed: skipped");
        return;
    };
    suite(&mut server, Fault::ServerRestart);
}

/// A killed runner's session runs its statement to its end, while the migration lock, on a
/// session of its own, is free at once: the next run waits for that statement (in the fault
/// suite, a rollback's DROP met it on a catalog row: `tuple concurrently updated`), and,
/// past `--lock-wait`, stops without touching anything and names the session. A session of
/// the runner's `application_name` sleeping stands in for the statement.
#[test]
fn a_killed_runs_statement_still_running_is_waited_for() {
    use std::time::{Duration, Instant};

    use sqlx::{Connection, Executor};

    use crate::common::{Scratch, block_on, run, tree};

    let s = Scratch::pg();
    s.exec("CREATE TABLE t (id int PRIMARY KEY)");
    let orphan = |secs: f64| {
        let url = format!("{}?application_name=sluice", s.url);
        let sql = format!("SELECT pg_sleep({secs})");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            block_on(async move {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                ready_tx.send(()).unwrap();
                c.execute(sql.as_str()).await.unwrap();
            });
        });
        ready_rx.recv().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.strings("SELECT count(*)::text FROM pg_stat_activity WHERE state = 'active' AND application_name = 'sluice' AND query LIKE 'SELECT pg_sleep(%'") != ["1"] {
            assert!(Instant::now() < deadline, "the stand-in did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        t
    };
    let dir = tree(&[
        ("m/1_x/expand.up.sql", "ALTER TABLE t ADD COLUMN x int;\n"),
        ("m/1_x/expand.down.sql", "ALTER TABLE t DROP COLUMN x;\n"),
        ("m/2_y/expand.up.sql", "ALTER TABLE t ADD COLUMN y int;\n"),
        ("m/2_y/expand.down.sql", "ALTER TABLE t DROP COLUMN y;\n"),
    ]);
    let columns = || {
        s.strings("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 't'")
    };
    // waited for, then applied
    let sleeper = orphan(1.5);
    let t0 = Instant::now();
    let r = run(s
        .migrate(dir.path())
        .args(["-v", "apply", "m", "--to", "1"]));
    let took = t0.elapsed();
    sleeper.join().unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("a statement of an earlier run still runs; waiting for it to end")
            && r.stderr.contains("SELECT pg_sleep(1.5)"),
        "{r:?}"
    );
    assert!(took >= Duration::from_millis(800), "{took:?} {r:?}");
    assert_eq!(columns(), ["id,x"]);
    // past --lock-wait: nothing runs, and the way out names the session
    let sleeper = orphan(3.0);
    let r = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--lock-wait", "300ms"]));
    let pid = s.strings("SELECT pid::text FROM pg_stat_activity WHERE application_name = 'sluice' AND query LIKE 'SELECT pg_sleep(%'");
    sleeper.join().unwrap();
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("a statement of an earlier run still runs on the server")
            && r.stderr.contains(&format!("pg_cancel_backend({})", pid[0])),
        "{r:?}"
    );
    assert_eq!(columns(), ["id,x"]);
    assert_eq!(
        s.strings("SELECT string_agg(version || ' ' || state, ',' ORDER BY version) FROM sluice_migrations"),
        ["1 applied"]
    );
}
