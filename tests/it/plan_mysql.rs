//! `migrate plan` acceptance on real MariaDB, one test per MySQL recipe (mirrors
//! `tests/plan_pg.rs`).
//!
//! For each recipe: the naive SQL runs on one scratch database, the plan (`migrate plan`,
//! then `migrate apply` phase by phase) on another. Checked:
//! - expand then its down leaves schema (an `information_schema` dump) and data as before;
//! - after expand and while the backfill runs, the old and the new application's queries
//!   succeed, and what one writes the other reads (trigger sync);
//! - after contract the new application works, and schema and data equal the naive run's
//!   (soft-dropped objects and column order aside);
//! - contract then its down leaves schema and data as before the contract.

use std::path::Path;

use crate::common::{RecipeDirs, Scratch, recipe_dirs, run};

const CONFIG: &str = "dialect = \"mysql\"\nflavour = \"mariadb\"\nserver_version = \"10.11\"\n";

const INIT: &str = "
CREATE TABLE owners (id BIGINT PRIMARY KEY, label VARCHAR(100));
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    owner_id BIGINT,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(100),
    balance INT NOT NULL DEFAULT 0,
    note VARCHAR(100)
) DEFAULT CHARSET=utf8mb4;
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE TABLE events (id BIGINT NOT NULL, kind VARCHAR(20));
";

const ROWS: i64 = 15_000;

fn seed(s: &Scratch) {
    s.exec(&format!(
        "INSERT INTO owners SELECT seq, CONCAT('owner ', seq) FROM seq_1_to_100;
         INSERT INTO accounts SELECT seq, seq % 100 + 1, CONCAT('name ', seq), CONCAT('e', seq, '@x'), seq % 1000, CONCAT('note ', seq)
           FROM seq_1_to_{ROWS};
         INSERT INTO events SELECT seq, 'k' FROM seq_1_to_1000;"
    ));
}

struct Case {
    naive: &'static str,
    /// The naive change on a table with rows, when the naive SQL alone differs there.
    reference: Option<&'static str>,
    old_app: &'static [&'static str],
    new_app: &'static [&'static str],
    new_app_after: &'static [&'static str],
    seen_by_new: &'static [(&'static str, &'static str)],
    seen_by_old: &'static [(&'static str, &'static str)],
    table: &'static str,
    skip_columns: &'static [&'static str],
}

const BASE: Case = Case {
    naive: "",
    reference: None,
    old_app: &[],
    new_app: &[],
    new_app_after: &[],
    seen_by_new: &[],
    seen_by_old: &[],
    table: "accounts",
    skip_columns: &[],
};

/// Schema as sorted lines: columns (by name, with type, nullability, default), tables,
/// indexes, constraints, foreign keys, triggers. `soft` keeps soft-dropped objects.
fn dump(s: &Scratch, soft: bool) -> String {
    let keep = if soft {
        "TRUE".to_owned()
    } else {
        "NOT (x LIKE '\\_sluice\\_dropped\\_%' OR rel LIKE '\\_sluice\\_dropped\\_%')".to_owned()
    };
    let q = format!(
        "SELECT CAST(line AS CHAR) FROM (
           SELECT CONCAT('column ', TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE,
                         IF(IS_NULLABLE = 'NO', ' not null', ''),
                         COALESCE(CONCAT(' default ', COLUMN_DEFAULT), '')) AS line,
                  COLUMN_NAME AS x, TABLE_NAME AS rel
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
           UNION ALL
           SELECT CONCAT('table ', TABLE_TYPE, ' ', TABLE_NAME), TABLE_NAME, TABLE_NAME
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
           UNION ALL
           SELECT CONCAT('index ', TABLE_NAME, ' ', INDEX_NAME, IF(NON_UNIQUE = 0, ' unique', ''), ' (',
                         GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX), ')'), INDEX_NAME, TABLE_NAME
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
            GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE
           UNION ALL
           SELECT CONCAT('constraint ', TABLE_NAME, ' ', CONSTRAINT_NAME, ' ', CONSTRAINT_TYPE),
                  CONSTRAINT_NAME, TABLE_NAME
             FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
           UNION ALL
           SELECT CONCAT('fk ', TABLE_NAME, ' ', CONSTRAINT_NAME, ' -> ', REFERENCED_TABLE_NAME),
                  CONSTRAINT_NAME, TABLE_NAME
             FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
           UNION ALL
           SELECT CONCAT('trigger ', TRIGGER_NAME, ' ', ACTION_TIMING, ' ', EVENT_MANIPULATION, ' on ',
                         EVENT_OBJECT_TABLE), TRIGGER_NAME, EVENT_OBJECT_TABLE
             FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
         ) AS dumped WHERE {keep} AND rel NOT LIKE 'sluice\\_%' ORDER BY 1"
    );
    s.strings(&q).join("\n")
}

/// A checksum of `table`'s rows 101..=ROWS (the application tests write elsewhere), over
/// its columns by name, soft-dropped and skipped ones left out.
fn digest(s: &Scratch, table: &str, skip: &[&str]) -> String {
    let cols = s.strings(&format!(
        "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'
            AND COLUMN_NAME NOT LIKE '\\_sluice\\_dropped\\_%'
          ORDER BY COLUMN_NAME"
    ));
    let cols: Vec<String> = cols
        .into_iter()
        .filter(|c| !skip.contains(&c.as_str()))
        .map(|c| format!("COALESCE(CAST(`{c}` AS CHAR), '<null>')"))
        .collect();
    assert!(!cols.is_empty(), "table {table} has no columns");
    s.strings(&format!(
        "SELECT CAST(CONCAT(SUM(CRC32(CONCAT_WS('|', id, {}))), ' ', COUNT(*)) AS CHAR)
           FROM `{table}` WHERE id > 100 AND id <= {ROWS}",
        cols.join(", ")
    ))
    .join("")
}

fn ok(s: &Scratch, dir: &Path, args: &[&str]) -> String {
    let r = run(s.migrate(dir).args(args));
    assert_eq!(r.code, 0, "migrate {args:?}: {r:?}");
    r.stdout
}

fn app(s: &Scratch, who: &str, statements: &[&str]) {
    for st in statements {
        if let Err(e) = s.try_exec(st) {
            panic!("{who} app failed on `{st}`: {e}");
        }
    }
}

fn expect(s: &Scratch, checks: &[(&str, &str)]) {
    for (q, want) in checks {
        let got = s.strings(q).join(",");
        assert_eq!(got, *want, "{q}");
    }
}

/// Kill the child if an assertion fails while it runs.
struct Guard(std::process::Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

/// `naive` as the newest migration after `INIT`, planned into `0002_change` by `migrate plan`.
fn planned(s: &Scratch, naive: &str) -> RecipeDirs {
    let dirs = recipe_dirs(
        INIT,
        "DROP TABLE events; DROP TABLE accounts; DROP TABLE owners;",
        naive,
        Some(CONFIG),
    );
    let planned = run(s
        .migrate(&dirs.naive)
        .args(["plan", "0002_change.sql", "--out"])
        .arg(dirs.migrations.join("0002_change")));
    assert_eq!(planned.code, 0, "plan: {planned:?}");
    dirs
}

fn check_recipe(c: &Case) {
    // the naive run, for the reference end state
    let naive = Scratch::mysql();
    naive.exec(INIT);
    seed(&naive);
    naive.exec(c.reference.unwrap_or(c.naive));

    // the plan
    let s = Scratch::mysql();
    let dirs = planned(&s, c.naive);
    let migs = dirs.migrations.as_path();
    ok(&s, migs, &["apply", ".", "--to", "1"]);
    seed(&s);
    let before = dump(&s, true);
    let data_before = digest(&s, c.table, c.skip_columns);

    // expand, then its down: as before
    if migs.join("0002_change/expand.up.sql").exists() {
        ok(
            &s,
            migs,
            &["apply", ".", "--phase", "expand", "--no-backfill"],
        );
        ok(&s, migs, &["rollback", ".", "--steps", "1"]);
        assert_eq!(
            dump(&s, true),
            before,
            "expand.down must restore the schema"
        );
        assert_eq!(digest(&s, c.table, c.skip_columns), data_before);
    }

    // expand again; both applications work, before and while the backfill runs
    ok(
        &s,
        migs,
        &["apply", ".", "--phase", "expand", "--no-backfill"],
    );
    app(&s, "old", c.old_app);
    app(&s, "new", c.new_app);
    let mut backfill = Guard(
        s.migrate(migs)
            .args(["apply", ".", "--phase", "backfill"])
            .spawn()
            .unwrap(),
    );
    app(&s, "old (during backfill)", c.old_app);
    app(&s, "new (during backfill)", c.new_app);
    let status = backfill.0.wait().unwrap();
    assert!(status.success(), "backfill failed");
    expect(&s, c.seen_by_old);

    // contract after the rollout
    ok(&s, migs, &["rollout", "complete", "--release", "r2"]);
    let before_contract = dump(&s, true);
    let data_before_contract = digest(&s, c.table, c.skip_columns);
    ok(&s, migs, &["apply", ".", "--phase", "contract"]);
    app(&s, "new (after contract)", c.new_app);
    app(&s, "new (after contract)", c.new_app_after);
    expect(&s, c.seen_by_new);
    assert_eq!(
        dump(&s, false),
        dump(&naive, false),
        "after contract the schema must equal the naive change's"
    );
    assert_eq!(
        digest(&s, c.table, c.skip_columns),
        digest(&naive, c.table, c.skip_columns),
        "after contract the data must equal the naive change's"
    );

    // contract's down: back to the state before it
    ok(
        &s,
        migs,
        &["rollback", ".", "--steps", "1", "--phase", "contract"],
    );
    assert_eq!(
        dump(&s, true),
        before_contract,
        "contract.down must restore the schema"
    );
    assert_eq!(digest(&s, c.table, c.skip_columns), data_before_contract);
    app(&s, "old (after contract.down)", c.old_app);
}

#[test]
fn rename_column() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts RENAME COLUMN name TO full_name;",
        old_app: &[
            "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON DUPLICATE KEY UPDATE name = 'old'",
            "UPDATE accounts SET name = 'old write' WHERE id = 5",
            "SELECT name FROM accounts WHERE id = 5",
        ],
        new_app: &[
            "INSERT INTO accounts (id, full_name) VALUES (900002, 'new') ON DUPLICATE KEY UPDATE full_name = 'new'",
            "UPDATE accounts SET full_name = 'new write' WHERE id = 6",
            "SELECT full_name FROM accounts WHERE id = 6",
        ],
        seen_by_new: &[
            ("SELECT full_name FROM accounts WHERE id = 900001", "old"),
            ("SELECT full_name FROM accounts WHERE id = 5", "old write"),
        ],
        seen_by_old: &[
            ("SELECT name FROM accounts WHERE id = 900002", "new"),
            ("SELECT name FROM accounts WHERE id = 6", "new write"),
            (
                "SELECT CAST(COUNT(*) AS CHAR) FROM accounts WHERE NOT (full_name <=> name)",
                "0",
            ),
        ],
        ..BASE
    });
}

#[test]
fn rename_column_by_change() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts CHANGE email mail VARCHAR(100);",
        old_app: &["UPDATE accounts SET email = 'old@x' WHERE id = 5"],
        new_app: &["UPDATE accounts SET mail = 'new@x' WHERE id = 6"],
        seen_by_new: &[("SELECT mail FROM accounts WHERE id = 5", "old@x")],
        seen_by_old: &[("SELECT email FROM accounts WHERE id = 6", "new@x")],
        ..BASE
    });
}

#[test]
fn change_column_type() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts MODIFY balance BIGINT NOT NULL DEFAULT 0;",
        old_app: &[
            "INSERT INTO accounts (id, name, balance) VALUES (900001, 'old', 5) ON DUPLICATE KEY UPDATE balance = balance",
            "UPDATE accounts SET balance = balance + 1 WHERE id = 5",
            "INSERT INTO accounts (id, name) VALUES (900003, 'old default') ON DUPLICATE KEY UPDATE name = name",
        ],
        new_app: &["UPDATE accounts SET balance = 77 WHERE id = 6"],
        // a value only BIGINT holds, then back: the down cannot narrow values that do not fit
        new_app_after: &[
            "UPDATE accounts SET balance = 3000000000 WHERE id = 7",
            "UPDATE accounts SET balance = 7 WHERE id = 7",
            "INSERT INTO accounts (id, name) VALUES (900004, 'new default') ON DUPLICATE KEY UPDATE name = name",
        ],
        seen_by_new: &[
            (
                "SELECT CAST(balance AS CHAR) FROM accounts WHERE id = 900001",
                "5",
            ),
            (
                "SELECT CAST(balance AS CHAR) FROM accounts WHERE id = 5",
                "7",
            ),
            (
                "SELECT CAST(balance AS CHAR) FROM accounts WHERE id = 6",
                "77",
            ),
            (
                "SELECT CAST(balance AS CHAR) FROM accounts WHERE id = 900004",
                "0",
            ),
            (
                "SELECT CAST(DATA_TYPE AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'balance'",
                "bigint",
            ),
        ],
        seen_by_old: &[(
            "SELECT CAST(COUNT(*) AS CHAR) FROM accounts WHERE NOT (balance <=> balance_sluice_new)",
            "0",
        )],
        ..BASE
    });
}

/// The apps of the NOT NULL column cases: old code inserts without the column, new code
/// with its own value; after contract the old code's row has the fill value.
const NOT_NULL_APPS: Case = Case {
    old_app: &[
        "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON DUPLICATE KEY UPDATE name = name",
    ],
    new_app: &[
        "INSERT INTO accounts (id, name, handle) VALUES (900002, 'new', 'mine') ON DUPLICATE KEY UPDATE name = name",
    ],
    seen_by_new: &[
        ("SELECT handle FROM accounts WHERE id = 900001", "h-900001"),
        ("SELECT handle FROM accounts WHERE id = 900002", "mine"),
    ],
    ..BASE
};

#[test]
fn add_not_null_column() {
    check_recipe(&Case {
        naive: "-- sluice:backfill CONCAT('h-', id)\nALTER TABLE accounts ADD COLUMN handle VARCHAR(50) NOT NULL;",
        reference: Some(
            "ALTER TABLE accounts ADD COLUMN handle VARCHAR(50); UPDATE accounts SET handle = CONCAT('h-', id); ALTER TABLE accounts MODIFY handle VARCHAR(50) NOT NULL;",
        ),
        ..NOT_NULL_APPS
    });
}

/// The three-statement form (add, UPDATE, MODIFY .. NOT NULL) is planned as one NOT NULL
/// column, so the row the old code inserts after expand gets the value.
#[test]
fn add_update_modify_not_null_column() {
    const NAIVE: &str = "ALTER TABLE accounts ADD COLUMN handle VARCHAR(50);\nUPDATE accounts SET handle = CONCAT('h-', id);\nALTER TABLE accounts MODIFY handle VARCHAR(50) NOT NULL;";
    check_recipe(&Case {
        naive: NAIVE,
        reference: Some(NAIVE),
        ..NOT_NULL_APPS
    });
}

/// A constant fill: added INSTANT with it as DEFAULT (no backfill, no trigger, no rebuild
/// at contract), the DEFAULT dropped INSTANT at contract; the end state is the naive one.
#[test]
fn add_update_modify_not_null_constant_column() {
    const NAIVE: &str = "ALTER TABLE accounts ADD COLUMN tier INT AFTER name;\nUPDATE accounts SET tier = 3;\nALTER TABLE accounts MODIFY tier INT NOT NULL;";
    check_recipe(&Case {
        naive: NAIVE,
        reference: Some(NAIVE),
        old_app: &[
            "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON DUPLICATE KEY UPDATE name = name",
        ],
        new_app: &[
            "INSERT INTO accounts (id, name, tier) VALUES (900002, 'new', 7) ON DUPLICATE KEY UPDATE name = name",
        ],
        seen_by_new: &[
            (
                "SELECT CAST(tier AS CHAR) FROM accounts WHERE id = 900001",
                "3",
            ),
            (
                "SELECT CAST(tier AS CHAR) FROM accounts WHERE id = 900002",
                "7",
            ),
            (
                "SELECT CAST(count(*) AS CHAR) FROM accounts WHERE id <= 100000 AND tier <> 3",
                "0",
            ),
        ],
        ..BASE
    });
}

#[test]
fn add_index() {
    check_recipe(&Case {
        naive: "CREATE INDEX accounts_owner_idx ON accounts (owner_id);",
        old_app: &["UPDATE accounts SET owner_id = 2 WHERE id = 5"],
        new_app: &["SELECT COUNT(*) FROM accounts WHERE owner_id = 2"],
        ..BASE
    });
}

#[test]
fn add_unique_index() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ADD UNIQUE INDEX accounts_email_key (email);",
        old_app: &[
            "INSERT INTO accounts (id, name, email) VALUES (900001, 'old', 'unique-old@x') ON DUPLICATE KEY UPDATE name = name",
        ],
        new_app: &["SELECT id FROM accounts WHERE email = 'e5@x'"],
        ..BASE
    });
}

#[test]
fn add_foreign_key() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);",
        old_app: &["UPDATE accounts SET owner_id = 3 WHERE id = 5"],
        new_app: &[
            "INSERT INTO accounts (id, name, owner_id) VALUES (900002, 'new', 4) ON DUPLICATE KEY UPDATE name = name",
        ],
        ..BASE
    });
}

#[test]
fn soft_drop_column() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts DROP COLUMN name;",
        old_app: &["SELECT name FROM accounts WHERE id = 5"],
        new_app: &["SELECT email FROM accounts WHERE id = 5"],
        // the new code inserts without the dropped NOT NULL column; the row goes again so
        // that contract.down can make the column NOT NULL again
        new_app_after: &[
            "INSERT INTO accounts (id, email) VALUES (900002, 'new@x')",
            "DELETE FROM accounts WHERE id = 900002",
        ],
        skip_columns: &["name"],
        ..BASE
    });
}

#[test]
fn soft_drop_table() {
    check_recipe(&Case {
        naive: "DROP TABLE events;",
        old_app: &["SELECT kind FROM events WHERE id = 5"],
        new_app: &["SELECT 1"],
        ..BASE
    });
}

/// `-- sluice:strategy pt-osc` above the naive statement survives the plan: the contract's
/// NOT NULL rebuild runs through pt-online-schema-change (whose old table is kept under the
/// soft-drop name; MariaDB's own INPLACE rebuild would leave none), not INPLACE.
#[test]
fn a_forced_strategy_reaches_the_runner_through_the_plan() {
    assert!(
        run(std::process::Command::new("sh").args(["-c", "command -v pt-online-schema-change"]))
            .code
            == 0,
        "pt-online-schema-change is missing: scripts/test.sh installs percona-toolkit"
    );
    let s = Scratch::mysql();
    let dirs = planned(
        &s,
        "-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY note VARCHAR(100) NOT NULL;",
    );
    let migs = dirs.migrations.as_path();
    let contract = std::fs::read_to_string(migs.join("0002_change/contract.up.sql")).unwrap();
    assert!(
        contract.contains("-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY COLUMN note VARCHAR(100) NOT NULL;"),
        "{contract}"
    );
    ok(&s, migs, &["apply", ".", "--to", "1"]);
    seed(&s);
    ok(&s, migs, &["apply", ".", "--phase", "expand"]);
    ok(&s, migs, &["rollout", "complete", "--release", "r2"]);
    ok(&s, migs, &["apply", ".", "--phase", "contract"]);
    expect(
        &s,
        &[
            (
                "SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'note'",
                "NO",
            ),
            (
                "SELECT CAST(count(*) AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_sluice\\_dropped\\_accounts%'",
                "1",
            ),
            (
                "SELECT CAST(count(*) AS CHAR) FROM accounts",
                &ROWS.to_string(),
            ),
        ],
    );
}

/// The folded NOT NULL column with pt-osc above its `MODIFY`: the contract's rebuild goes
/// through the tool (its old table is left soft-dropped) after the fill trigger is dropped.
#[test]
fn a_tool_above_a_folded_not_null_column_runs_the_contract_rebuild() {
    let s = Scratch::mysql();
    let dirs = planned(
        &s,
        "ALTER TABLE accounts ADD COLUMN tier int;\n\
         UPDATE accounts SET tier = id % 4;\n\
         -- sluice:strategy pt-osc\n\
         ALTER TABLE accounts MODIFY tier int NOT NULL;",
    );
    let migs = dirs.migrations.as_path();
    ok(&s, migs, &["apply", ".", "--to", "1"]);
    seed(&s);
    ok(&s, migs, &["apply", ".", "--phase", "expand"]);
    ok(&s, migs, &["apply", ".", "--phase", "backfill"]);
    ok(&s, migs, &["rollout", "complete", "--release", "r2"]);
    ok(&s, migs, &["apply", ".", "--phase", "contract"]);
    expect(
        &s,
        &[
            (
                "SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'tier'",
                "NO",
            ),
            (
                "SELECT CAST(count(*) AS CHAR) FROM accounts WHERE tier = id % 4",
                &ROWS.to_string(),
            ),
            (
                "SELECT CAST(count(*) AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_sluice\\_dropped\\_accounts%'",
                "1",
            ),
            (
                "SELECT CAST(count(*) AS CHAR) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
                "0",
            ),
        ],
    );
}
