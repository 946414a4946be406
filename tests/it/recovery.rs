//! Deterministic regressions of the fault suite's runner bugs (issue 18, docs/faults.md):
//! the change set's phases cut after each statement (committed, its progress not written,
//! as a SIGKILL leaves them), then recovered by `migrate apply` or `migrate rollback`; the
//! result must be the undisturbed reference.

use sluice::sql::Dialect;

use crate::common::faults::{Server, Size, Suite};

/// Small tables: the state is made by hand, the load plays no part.
const SMALL: Size = Size {
    accounts: 200,
    entries: 100,
    runs: 0,
};

fn every_cut(d: Dialect, phase: &'static str) {
    let server = Server::shared(d);
    let suite = Suite::with_copy(&server, SMALL, false);
    let cuts = suite.cuts(phase);
    assert!(cuts.len() > 3, "{phase}: {cuts:?}");
    let mut failures = Vec::new();
    for (i, cut) in cuts.iter().enumerate() {
        // alternately forward and back, both at each block's edges
        for rollback in [i % 2 == 0, i % 2 == 1] {
            if let Err(e) = suite.recover_from(&server, *cut, rollback) {
                failures.push(e);
            }
            if i % 3 != 0 {
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn mysql_expand_cut_after_any_statement_recovers() {
    // the SIGKILL after a CREATE TRIGGER committed (CI failure, "already exists")
    every_cut(Dialect::Mysql, "expand");
}

#[test]
fn mysql_contract_cut_after_any_statement_recovers() {
    // bug E (inside LOCK TABLES .. UNLOCK TABLES) and B's MySQL form
    every_cut(Dialect::Mysql, "contract");
}

#[test]
fn pg_expand_cut_after_any_statement_recovers() {
    every_cut(Dialect::Postgres, "expand");
}

#[test]
fn pg_contract_cut_after_any_statement_recovers() {
    // bug B: the rollback of a contract stopped part-way
    every_cut(Dialect::Postgres, "contract");
}

/// Killed while copying `entries`, then rolled back (bugs C and D: the copy's objects
/// stayed) or applied again.
fn killed_in_copy(d: Dialect, entries: i64) {
    let server = Server::shared(d);
    let suite = Suite::new(
        &server,
        Size {
            accounts: 200,
            entries,
            runs: 0,
        },
    );
    let mut failures = Vec::new();
    // each way out at least twice from a kill inside the copy (a run whose step ended
    // before the copy was seen is checked too, and another one runs)
    for rollback in [true, false] {
        let mut landed = 0;
        for _ in 0..6 {
            match suite.killed_in_copy(&server, rollback) {
                Ok(k) => landed += usize::from(k),
                Err(e) => {
                    failures.push(e);
                    break;
                }
            }
            if landed == 2 {
                break;
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(
            landed == 2,
            "rollback {rollback}: the kill landed inside the copy {landed} times in 6 runs"
        );
    }
}

#[test]
fn pg_killed_in_the_shadow_table_copy_recovers() {
    // the copy takes long enough to be caught in it
    killed_in_copy(Dialect::Postgres, 200_000);
}

#[test]
fn mysql_killed_in_pt_online_schema_change_recovers() {
    killed_in_copy(Dialect::Mysql, 20_000);
}

#[test]
fn mysql_pt_osc_swapped_but_not_recorded_recovers() {
    // pt-online-schema-change swapped, then its sessions were killed (it failed, `failed`
    // with nothing done: the rollback skipped the down and left `entries` changed) or the
    // runner was (`running`: the re-run copied again and left `__entries_old`)
    let server = Server::shared(Dialect::Mysql);
    let suite = Suite::new(&server, SMALL);
    let mut failures = Vec::new();
    for state in ["failed", "running"] {
        for rollback in [true, false] {
            if let Err(e) = suite.pt_osc_swapped_not_recorded(&server, state, rollback) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
