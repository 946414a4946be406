//! `migrate purge` against a real PostgreSQL: soft-dropped objects go once their contract
//! is older than the retention; others are listed with the reason.

use crate::common::{Scratch, run, tree};

#[test]
fn purge_drops_old_soft_drops_and_explains_the_rest() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "1_t/expand.up.sql",
            "CREATE TABLE t (id int PRIMARY KEY, name text, nick text);\nCREATE TABLE old_orders (id int);\nINSERT INTO t VALUES (1, 'a', 'b');\n",
        ),
        (
            "1_t/expand.down.sql",
            "DROP TABLE old_orders;\nDROP TABLE t;\n",
        ),
        (
            "1_t/contract.up.sql",
            "ALTER TABLE t RENAME COLUMN nick TO _sluice_dropped_nick_1;\nALTER TABLE old_orders RENAME TO _sluice_dropped_old_orders_1;\n",
        ),
        (
            "1_t/contract.down.sql",
            "ALTER TABLE _sluice_dropped_old_orders_1 RENAME TO old_orders;\nALTER TABLE t RENAME COLUMN _sluice_dropped_nick_1 TO nick;\n",
        ),
    ]);
    let d = dir.path();
    assert_eq!(run(s.migrate(d).args(["apply", "."])).code, 0);
    assert_eq!(
        run(s
            .migrate(d)
            .args(["rollout", "complete", "--release", "r1"]))
        .code,
        0
    );
    let r = run(s.migrate(d).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(r.code, 0, "{r:?}");
    // a prefixed object no contract of the ledger made
    s.exec("CREATE TABLE _sluice_dropped_mine_99 (id int);");

    // within the retention: nothing goes
    let r = run(s.migrate(d).args(["purge", "--older-than", "1h"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("skipped column public.t._sluice_dropped_nick_1: the contract of 1 t finished ")
            && r.stdout.contains("less than 1h ago")
            && r.stdout.contains("skipped table public._sluice_dropped_mine_99: no applied contract in the ledger soft-dropped it"),
        "{r:?}"
    );
    assert!(r.stdout.lines().all(|l| l.starts_with("skipped ")), "{r:?}");

    // dry run: says what and how, drops nothing
    let r = run(s
        .migrate(d)
        .args(["purge", "--older-than", "0s", "--dry-run"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("would drop table public._sluice_dropped_old_orders_1: soft-dropped by the contract of 1 t")
            && r.stdout.contains(
                "  ALTER TABLE \"public\".\"t\" DROP COLUMN \"_sluice_dropped_nick_1\";"
            ),
        "{r:?}"
    );
    assert!(s.table_exists("_sluice_dropped_old_orders_1"));

    let r = run(s.migrate(d).args(["purge", "--older-than", "0s"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains(
            "dropped column public.t._sluice_dropped_nick_1: soft-dropped by the contract of 1 t"
        ) && r
            .stdout
            .contains("dropped table public._sluice_dropped_old_orders_1")
            && r.stdout
                .contains("skipped table public._sluice_dropped_mine_99"),
        "{r:?}"
    );
    assert!(!s.table_exists("_sluice_dropped_old_orders_1"));
    assert!(s.table_exists("_sluice_dropped_mine_99"));
    assert_eq!(
        s.strings("SELECT string_agg(column_name::text, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 't'"),
        ["id,name"]
    );
    // one ledger event per drop
    assert_eq!(
        s.strings("SELECT version || ' ' || detail FROM sluice_events WHERE kind = 'purge' ORDER BY id"),
        [
            "1 dropped table public._sluice_dropped_old_orders_1: soft-dropped by the contract of 1 t, finished ",
            "1 dropped column public.t._sluice_dropped_nick_1: soft-dropped by the contract of 1 t, finished ",
        ]
        .iter()
        .zip(s.strings("SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' FROM sluice_migrations WHERE phase = 'contract'").iter().cycle())
        .map(|(a, b)| format!("{a}{b}"))
        .collect::<Vec<_>>()
    );
    // nothing left to purge but the foreign one
    let r = run(s.migrate(d).args(["purge", "--older-than", "0s"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.lines().count(), 1, "{r:?}");
}

#[test]
fn purge_needs_a_duration() {
    let s = Scratch::pg();
    let dir = tree(&[]);
    let r = run(s.migrate(dir.path()).args(["purge"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--older-than"), "{r:?}");
    let r = run(s
        .migrate(dir.path())
        .args(["purge", "--older-than", "soon"]));
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(s.migrate(dir.path()).args(["purge", "--older-than", "1d"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("nothing to purge"), "{r:?}");
}

#[test]
fn purge_on_mariadb_lists_prefixed_objects_without_a_contract() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE t (id int PRIMARY KEY, _sluice_dropped_nick_5 text);
         CREATE TABLE _sluice_dropped_old_5 (id int);
         CREATE TABLE sluice_x (id int);",
    );
    let dir = tree(&[]);
    let r = run(s.migrate(dir.path()).args(["purge", "--older-than", "0s"]));
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{r:?}");
    assert!(
        lines[0].starts_with(&format!(
            "skipped table {}._sluice_dropped_old_5: no applied contract",
            s.name
        )) && lines[1].starts_with(&format!(
            "skipped column {}.t._sluice_dropped_nick_5: no applied contract",
            s.name
        )),
        "{r:?}"
    );
    assert!(s.table_exists("_sluice_dropped_old_5"));
}
