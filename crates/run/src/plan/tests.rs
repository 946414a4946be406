//! Tests of the run planning.

use super::*;
use crate::ledger::{self, BackfillRow, Event, State};
use crate::{ApplyRequest, OutOfOrder, PhaseSel, RollbackRequest};
use chrono::DateTime;
use sluice_core::source::{Direction, LayoutChoice, Migration, discover};
use sluice_core::sql::Dialect;

fn migrations(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Migration>) {
    let dir = tempfile::tempdir().unwrap();
    for (p, text) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let found = discover(dir.path(), LayoutChoice::Auto).unwrap();
    (dir, found.migrations)
}

fn row(m: &Migration, phase: Phase, finished: i64) -> LedgerRow {
    let s = m.script(phase, Direction::Up).unwrap();
    LedgerRow {
        version: m.version.raw.clone(),
        phase,
        name: m.name.clone(),
        checksum: script_checksum(s),
        state: State::Applied,
        statements_done: 1,
        statements_total: 1,
        started_at: None,
        finished_at: DateTime::from_timestamp(finished, 0),
        duration_ms: Some(1),
        down_sql: None,
        release: None,
        applied_by: "t@h".into(),
        error: None,
    }
}

fn rollout(at: i64) -> Event {
    Event {
        id: at,
        kind: ledger::EVENT_ROLLOUT.into(),
        version: None,
        phase: None,
        release: Some("r".into()),
        detail: String::new(),
        source: "cli".into(),
        at: DateTime::from_timestamp(at, 0).unwrap(),
    }
}

fn req(phase: PhaseSel) -> ApplyRequest {
    ApplyRequest {
        phase,
        to: None,
        release: None,
        dry_run: false,
        no_backfill: false,
    }
}

const PHASED: &[(&str, &str)] = &[
    ("1_a/expand.up.sql", "CREATE TABLE a (id int);\n"),
    ("1_a/expand.down.sql", "DROP TABLE a;\n"),
    ("1_a/contract.up.sql", "ALTER TABLE a DROP COLUMN x;\n"),
    ("1_a/contract.down.sql", "ALTER TABLE a ADD COLUMN x int;\n"),
    ("2_b/expand.up.sql", "CREATE TABLE b (id int);\n"),
    ("2_b/expand.down.sql", "DROP TABLE b;\n"),
];

#[test]
fn drift_is_refused_with_both_checksums() {
    let (_d, ms) = migrations(PHASED);
    let mut r = row(&ms[0], Phase::Expand, 10);
    r.checksum = "0000".into();
    let e = plan(&ms, &[r], &[], &[], &req(PhaseSel::All), OutOfOrder::Strict).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RunError::Drift(_)));
    assert!(
        msg.contains("1_a/expand.up.sql: migration 1 (expand) was edited"),
        "{msg}"
    );
    assert!(
        msg.contains("ledger checksum 0000, file checksum "),
        "{msg}"
    );
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn out_of_order_policies() {
    let (_d, ms) = migrations(PHASED);
    let rows = [row(&ms[1], Phase::Expand, 10)];
    let e = plan(
        &ms,
        &rows,
        &[],
        &[],
        &req(PhaseSel::Expand),
        OutOfOrder::Strict,
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.to_string()
            .contains("migration 1 is pending but older than the newest applied migration 2 (b)")
    );
    let p = plan(
        &ms,
        &rows,
        &[],
        &[],
        &req(PhaseSel::Expand),
        OutOfOrder::Warn,
    )
    .unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.warnings.len(), 1);
    let p = plan(
        &ms,
        &rows,
        &[],
        &[],
        &req(PhaseSel::Expand),
        OutOfOrder::Allow,
    )
    .unwrap();
    assert!(p.warnings.is_empty());
}

/// `migrate plan` into a single-phase layout: the expand migration holds the backfill,
/// the contract is a later migration of its own and waits for that backfill.
#[test]
fn separate_contract_migration_waits_for_the_earlier_backfill() {
    let (_d, ms) = migrations(&[
        ("1_init.up.sql", "CREATE TABLE t (id int, a int);\n"),
        (
            "2_fill.up.sql",
            "-- sluice:phase expand\nALTER TABLE t ADD b int;\n",
        ),
        ("2_fill.backfill.toml", "table = 't'\n"),
        (
            "3_fill_contract.up.sql",
            "-- sluice:phase contract\nALTER TABLE t DROP COLUMN a;\n",
        ),
    ]);
    assert!(ms[1].backfill.is_some() && ms[2].script(Phase::Contract, Direction::Up).is_some());
    let rows = [
        row(&ms[0], Phase::Expand, 100),
        row(&ms[1], Phase::Expand, 100),
    ];
    let fill = |state| BackfillRow {
        version: "2".into(),
        name: "fill".into(),
        checksum: String::new(),
        state,
        last_key: None,
        rows_done: 7,
        batches: 1,
        batch_size: 1000,
        started_at: None,
        finished_at: None,
        duration_ms: None,
        applied_by: "t@h".into(),
        error: None,
    };
    let contract = |fills: &[BackfillRow]| {
        plan(
            &ms,
            &rows,
            &[rollout(150)],
            fills,
            &req(PhaseSel::Contract),
            OutOfOrder::Strict,
        )
        .unwrap()
    };
    let p = contract(&[fill(State::Failed)]);
    assert!(p.items.is_empty());
    assert!(
        p.waiting[0]
            .reason
            .contains("the backfill of 2 fill is not complete"),
        "{}",
        p.waiting[0].reason
    );
    let p = contract(&[]);
    assert!(p.waiting[0].reason.contains("it has not started"));
    let p = contract(&[fill(State::Applied)]);
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].0.version.raw, "3");
}

/// The planned contract of a single-phase layout waits for its gate while later
/// migrations' expands apply: it is not out of order then, only behind a later contract.
#[test]
fn separate_contract_migration_is_not_out_of_order_behind_later_expands() {
    let (_d, ms) = migrations(&[
        ("V1__init.sql", "CREATE TABLE t (id int, a int);\n"),
        (
            "V2.1__c.sql",
            "-- sluice:phase contract\nALTER TABLE t DROP COLUMN a;\n",
        ),
        ("V3__later.sql", "CREATE TABLE later (id int);\n"),
    ]);
    let mut rows = vec![
        row(&ms[0], Phase::Expand, 100),
        row(&ms[2], Phase::Expand, 100),
    ];
    let contract = |rows: &[LedgerRow]| {
        let req = req(PhaseSel::Contract);
        plan(&ms, rows, &[rollout(150)], &[], &req, OutOfOrder::Strict)
    };
    let p = contract(&rows).unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].0.version.raw, "2.1");
    // behind a later applied contract it is late
    let mut later = row(&ms[2], Phase::Expand, 120);
    later.phase = Phase::Contract;
    rows.push(later);
    let err = contract(&rows).unwrap_err();
    assert!(
        err.to_string().contains("older than the newest applied"),
        "{err}"
    );
}

#[test]
fn contract_waits_for_expand_and_a_later_rollout() {
    let (_d, ms) = migrations(PHASED);
    // expand not applied: contract waits for it
    let p = plan(
        &ms,
        &[],
        &[],
        &[],
        &req(PhaseSel::Contract),
        OutOfOrder::Strict,
    )
    .unwrap();
    assert!(p.items.is_empty());
    assert!(p.waiting[0].reason.contains("migrate apply --phase expand"));
    let rows = [
        row(&ms[0], Phase::Expand, 100),
        row(&ms[1], Phase::Expand, 100),
    ];
    // a rollout recorded before the expand finished does not count
    let p = plan(
        &ms,
        &rows,
        &[rollout(50)],
        &[],
        &req(PhaseSel::Contract),
        OutOfOrder::Strict,
    )
    .unwrap();
    assert!(p.items.is_empty());
    assert!(
        p.waiting[0]
            .reason
            .contains("migrate rollout complete --release ID")
    );
    let p = plan(
        &ms,
        &rows,
        &[rollout(150)],
        &[],
        &req(PhaseSel::Contract),
        OutOfOrder::Strict,
    )
    .unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].1.phase, Phase::Contract);
    assert!(p.waiting.is_empty());
}

#[test]
fn statements_split_and_transactions_decided() {
    let (_d, ms) = migrations(&[
        (
            "1_a/expand.up.sql",
            "CREATE TABLE a (id int);\n\nCREATE INDEX CONCURRENTLY a_i ON a (id);\n",
        ),
        ("1_a/expand.down.sql", "DROP TABLE a;\n"),
    ]);
    let s = ms[0].script(Phase::Expand, Direction::Up).unwrap();
    let p = prepare(Dialect::Postgres, &ms[0], s).unwrap();
    assert!(!p.transactional);
    assert_eq!(p.statements.len(), 2);
    assert_eq!(p.statements[1].line, 3);
    assert_eq!(p.down_sql.as_deref(), Some("DROP TABLE a;\n"));
    let p = prepare(Dialect::Mysql, &ms[0], s).unwrap();
    assert!(!p.transactional);
}

/// crates.io: `migrate rollback --steps 1` rolled back `20170820180453` (2017) instead of
/// the newest migration, because the dashed diesel versions were dropped from the order.
#[test]
fn crates_io_rollback_steps_1_rolls_back_the_newest_diesel_version() {
    let (_d, ms) = migrations(&[
        (
            "20170820180453_readme_rendering_tracking/up.sql",
            "SELECT 1;\n",
        ),
        (
            "20170820180453_readme_rendering_tracking/down.sql",
            "SELECT 1;\n",
        ),
        ("2017-09-23-182408_add_x/up.sql", "SELECT 2;\n"),
        ("2017-09-23-182408_add_x/down.sql", "SELECT 2;\n"),
        (
            "2026-07-30-140000-0000_add_users_username_index/up.sql",
            "SELECT 3;\n",
        ),
        (
            "2026-07-30-140000-0000_add_users_username_index/down.sql",
            "SELECT 3;\n",
        ),
    ]);
    let rows: Vec<LedgerRow> = ms.iter().map(|m| row(m, Phase::Expand, 1)).collect();
    let req = |steps, to: Option<&str>| RollbackRequest {
        steps,
        to: to.map(|t| Version::parse_any(t).unwrap()),
        phase: PhaseSel::All,
        dry_run: false,
    };
    let versions = |r: &RollbackRequest| -> Vec<String> {
        rollback_targets(&rows, r)
            .unwrap()
            .iter()
            .map(|r| r.version.clone())
            .collect()
    };
    assert_eq!(
        versions(&req(Some(1), None)),
        ["2026-07-30-140000-0000"],
        "the newest first"
    );
    assert_eq!(
        versions(&req(None, Some("0"))),
        [
            "2026-07-30-140000-0000",
            "2017-09-23-182408",
            "20170820180453"
        ],
        "all of them, in reverse apply order"
    );
    assert_eq!(
        versions(&req(None, Some("00000000000000"))).len(),
        3,
        "`--to 0` is everything"
    );
    assert_eq!(
        versions(&req(None, Some("20170820180453"))),
        ["2026-07-30-140000-0000", "2017-09-23-182408"]
    );
    // apply sees the same order: nothing is out of order, nothing pending
    let plan = plan(&ms, &rows, &[], &[], &req_all(), OutOfOrder::Strict).unwrap();
    assert!(plan.items.is_empty() && plan.warnings.is_empty());
}

#[test]
fn a_ledger_version_that_cannot_be_ordered_is_an_error_not_skipped() {
    let (_d, ms) = migrations(&[
        ("1_a/up.sql", "SELECT 1;\n"),
        ("1_a/down.sql", "SELECT 1;\n"),
    ]);
    let mut odd = row(&ms[0], Phase::Expand, 2);
    odd.version = "release-2".into();
    let rows = vec![row(&ms[0], Phase::Expand, 1), odd];
    let req = RollbackRequest {
        steps: Some(1),
        to: None,
        phase: PhaseSel::All,
        dry_run: false,
    };
    let e = rollback_targets(&rows, &req).unwrap_err().to_string();
    assert!(e.contains("`release-2`"), "{e}");
    assert!(check_versions(&rows).is_err());
    assert!(plan(&ms, &rows, &[], &[], &req_all(), OutOfOrder::Strict).is_err());
    assert!(status_report(String::new(), true, &ms, &rows, &[], Vec::new()).is_err());
}

fn req_all() -> ApplyRequest {
    req(PhaseSel::All)
}

/// chirpstack and lemmy: `migrate rollback --to 0` left `00000000000000_initial` applied
/// (version 0 is not newer than 0), where cli.md says `--to 0` rolls everything back.
#[test]
fn rollback_to_0_rolls_back_a_version_0_migration() {
    let (_d, ms) = migrations(&[
        ("00000000000000_initial/up.sql", "SELECT 1;\n"),
        ("00000000000000_initial/down.sql", "SELECT 1;\n"),
        ("2022-01-01-000000_next/up.sql", "SELECT 2;\n"),
        ("2022-01-01-000000_next/down.sql", "SELECT 2;\n"),
    ]);
    let rows: Vec<LedgerRow> = ms.iter().map(|m| row(m, Phase::Expand, 1)).collect();
    let req = RollbackRequest {
        steps: None,
        to: Version::parse("0"),
        phase: PhaseSel::All,
        dry_run: false,
    };
    let got: Vec<&str> = rollback_targets(&rows, &req)
        .unwrap()
        .iter()
        .map(|r| r.version.as_str())
        .collect();
    assert_eq!(got, ["2022-01-01-000000", "00000000000000"]);
}
