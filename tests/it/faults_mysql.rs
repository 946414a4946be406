//! The fault suite on MariaDB (issue 18): a phased change set under load, a fault at a
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
    suite(&mut Server::shared(Dialect::Mysql), Fault::RunnerKill);
}

#[test]
fn runner_session_killed_server_side_then_apply_or_rollback_recovers() {
    suite(&mut Server::shared(Dialect::Mysql), Fault::ConnectionKill);
}

#[test]
fn server_crash_and_restart_then_apply_or_rollback_recovers() {
    let Some(mut server) = Server::private(Dialect::Mysql) else {
        eprintln!("no MariaDB server (mariadbd) installed: skipped");
        return;
    };
    suite(&mut server, Fault::ServerRestart);
}

/// The crash tests' scratch databases go away even when a crash left a file no table owns
/// (as MariaDB's crash recovery now and then does: `DROP DATABASE` then fails with errno 39).
#[test]
fn a_scratch_database_with_a_crash_orphan_is_still_dropped() {
    let Some(server) = Server::private(Dialect::Mysql) else {
        eprintln!("no MariaDB server (mariadbd) installed: skipped");
        return;
    };
    let Some(crate::common::servers::Private::Mariadb(m)) = &server.private else {
        unreachable!("a private MariaDB server");
    };
    let s = server.scratch();
    s.exec("CREATE TABLE t (id int PRIMARY KEY)");
    let dir = m.data().join(&s.name);
    for orphan in ["#sql-alter-1f-2.ibd", "_t_new.ibd"] {
        std::fs::write(dir.join(orphan), b"").unwrap();
    }
    drop(s);
    assert!(!dir.exists(), "{} is still there", dir.display());
}

/// A killed runner's DDL runs to its end on MariaDB too, while the lock (`GET_LOCK`, on a
/// session of its own) is free at once: the next run waits for it.
#[test]
fn a_killed_runs_statement_still_running_is_waited_for() {
    crate::common::faults::orphan_statement_is_waited_for(Dialect::Mysql);
}
