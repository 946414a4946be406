//! `--dry-run` shows exactly what a live run sends: the same executor runs both (the dry
//! one on a transcript connection), and a recording live run on a fresh database sends the
//! dry run's statements, in order, on PostgreSQL and MariaDB.

use sluice::run::url::DbUrl;
use sluice::run::{ApplyRequest, Engine, PhaseSel, RollbackRequest, Settings};
use sluice::source;
use sluice::sql::Dialect;

use crate::common::{Scratch, block_on, repo};

/// The statements sent, without the dry run's comments, with durations zeroed (a dry run
/// records 0 ms).
fn sent(sql: &[String]) -> Vec<String> {
    let ms = regex::Regex::new(r"duration_ms = \d+").unwrap();
    sql.iter()
        .filter(|s| !s.starts_with("--"))
        .map(|s| ms.replace_all(s, "duration_ms = 0").into_owned())
        .collect()
}

fn same_as_dry_run(dialect: Dialect) {
    let dir = repo().join("migrations-example").join(match dialect {
        Dialect::Postgres => "postgres",
        Dialect::Mysql => "mysql",
    });
    let migrations = source::discover_for(&dir, source::LayoutChoice::Auto, dialect)
        .unwrap()
        .migrations;
    let dry_db = Scratch::new(dialect);
    let live_db = Scratch::new(dialect);
    let apply = |dry_run| ApplyRequest {
        phase: PhaseSel::All,
        to: None,
        release: None,
        dry_run,
        no_backfill: false,
    };
    let rollback = |dry_run| RollbackRequest {
        steps: Some(3),
        to: None,
        phase: PhaseSel::All,
        dry_run,
    };
    block_on(async {
        let dry = Engine::new(DbUrl::parse(&dry_db.url).unwrap(), Settings::default());
        let live =
            Engine::new(DbUrl::parse(&live_db.url).unwrap(), Settings::default()).recording();
        let planned = dry.apply(&migrations, &apply(true)).await.unwrap();
        let ran = live.apply(&migrations, &apply(false)).await.unwrap();
        assert!(
            !ran.done.is_empty() && ran.done.len() == planned.done.len(),
            "{ran:?}"
        );
        let (planned, ran) = (sent(&planned.sql), sent(&ran.sql));
        assert!(planned.len() > 20, "{planned:#?}");
        assert_eq!(planned, ran, "a dry run shows what the live apply sends");
        // the same for a rollback, now of what the live database has applied
        let planned = live.rollback(&migrations, &rollback(true)).await.unwrap();
        let ran = live.rollback(&migrations, &rollback(false)).await.unwrap();
        assert_eq!(ran.done.len(), 3, "{ran:?}");
        assert_eq!(sent(&planned.sql), sent(&ran.sql));
        // the dry run's database is untouched: not even the ledger exists
        let probe = Engine::new(DbUrl::parse(&dry_db.url).unwrap(), Settings::default());
        assert!(!probe.status(&migrations).await.unwrap().ledger_exists);
    });
}

#[test]
fn postgres_dry_run_sends_what_the_live_run_sends() {
    same_as_dry_run(Dialect::Postgres);
}

#[test]
fn mariadb_dry_run_sends_what_the_live_run_sends() {
    same_as_dry_run(Dialect::Mysql);
}
