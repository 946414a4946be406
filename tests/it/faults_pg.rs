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
/// session of its own, is free at once: the next run waits for it (in the fault suite, a
/// rollback's DROP met it on a catalog row: `tuple concurrently updated`).
#[test]
fn a_killed_runs_statement_still_running_is_waited_for() {
    crate::common::faults::orphan_statement_is_waited_for(Dialect::Postgres);
}
