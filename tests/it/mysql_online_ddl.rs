//! The MySQL lint verdicts checked against a real MariaDB 10.11 (scripts/test.sh starts it):
//! for each `ALTER TABLE` on a table the history created, what `mysql-requires-table-copy` and
//! `mysql-pin-algorithm` say must be what the server does. INSTANT means the statement runs
//! with `ALGORITHM=INSTANT`; INPLACE that the server refuses `ALGORITHM=INSTANT` and runs it
//! with `ALGORITHM=INPLACE, LOCK=NONE`; a
//! table copy that the server refuses `ALGORITHM=INPLACE, LOCK=NONE` (and runs it with
//! `ALGORITHM=COPY`).

use crate::common::Scratch;
use sluice::lint::{LintSettings, lint_change_set};
use sluice::source;
use sluice::sql::Dialect;

const HISTORY: &str = "DROP TABLE IF EXISTS items;
DROP TABLE IF EXISTS orgs;
DROP TABLE IF EXISTS tags;
DROP TABLE IF EXISTS notes;
CREATE TABLE orgs (id INT PRIMARY KEY);
CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(50), tag VARCHAR(20), KEY notes_tag (tag)) DEFAULT CHARSET=utf8mb3;
CREATE TABLE tags (name VARCHAR(50) NOT NULL PRIMARY KEY) DEFAULT CHARSET=utf8mb4;
CREATE TABLE items (
  id INT PRIMARY KEY,
  name VARCHAR(50),
  code VARCHAR(50) CHARACTER SET latin1,
  code2 VARCHAR(200) CHARACTER SET latin1,
  qty INT,
  status ENUM('new','active'),
  org_id INT,
  legacy INT,
  handle VARCHAR(100),
  email VARCHAR(100),
  slug VARCHAR(100) COLLATE utf8mb4_bin,
  body TEXT,
  title VARCHAR(50) CHARACTER SET utf8mb3,
  label VARCHAR(80) CHARACTER SET utf8,
  UNIQUE KEY items_email (email),
  KEY items_body (body(20)),
  KEY items_title (title)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;";

#[derive(Debug, PartialEq)]
enum Verdict {
    Instant,
    Inplace,
    Copy,
}

/// What the linter says about `stmt` after `HISTORY`, on MariaDB 10.11.
fn lint_verdict(stmt: &str) -> Verdict {
    let dir = crate::common::tree(&[
        ("1_history.up.sql", HISTORY),
        ("2_change.up.sql", &format!("{stmt};\n")),
    ]);
    let load = |name: &str| source::load_file(&dir.path().join(name), None).expect("loads");
    let settings = LintSettings {
        dialect: Dialect::Mysql,
        mariadb: true,
        server_version: 1011,
        ..LintSettings::default()
    };
    let report = lint_change_set(
        &settings,
        &[load("1_history.up.sql")],
        &[load("2_change.up.sql")],
    );
    let found = |rule: &str| {
        report
            .diagnostics
            .iter()
            .find(|d| d.rule == rule)
            .map(|d| d.message.clone())
    };
    if found("mysql-requires-table-copy").is_some() {
        return Verdict::Copy;
    }
    match found("mysql-pin-algorithm") {
        Some(m) if m.contains("pin `ALGORITHM=INSTANT`") => Verdict::Instant,
        Some(m) if m.contains("pin `ALGORITHM=INPLACE, LOCK=NONE`") => Verdict::Inplace,
        other => panic!("{stmt}: no verdict from the linter ({other:?})"),
    }
}

#[test]
fn lint_verdicts_match_mariadb() {
    let db = Scratch::mysql();
    let cases = [
        ("ALTER TABLE items ADD COLUMN note TEXT", Verdict::Instant),
        ("ALTER TABLE items ADD COLUMN n INT FIRST", Verdict::Instant),
        ("ALTER TABLE items DROP COLUMN legacy", Verdict::Instant),
        (
            "ALTER TABLE items ALTER COLUMN name SET DEFAULT 'x'",
            Verdict::Instant,
        ),
        (
            "ALTER TABLE items CHANGE name full_name VARCHAR(50)",
            Verdict::Instant,
        ),
        // utf8mb4: 63 x 4 = 252 bytes, one length byte; 64 x 4 = 256 bytes crosses it
        (
            "ALTER TABLE items MODIFY name VARCHAR(63)",
            Verdict::Instant,
        ),
        ("ALTER TABLE items MODIFY name VARCHAR(64)", Verdict::Copy),
        // latin1: 255 bytes still one length byte
        (
            "ALTER TABLE items MODIFY code VARCHAR(255) CHARACTER SET latin1",
            Verdict::Instant,
        ),
        // MariaDB grows a column of at most 127 bytes past 255 instantly (MySQL copies)
        (
            "ALTER TABLE items MODIFY code VARCHAR(256) CHARACTER SET latin1",
            Verdict::Instant,
        ),
        (
            "ALTER TABLE items MODIFY code2 VARCHAR(300) CHARACTER SET latin1",
            Verdict::Copy,
        ),
        ("ALTER TABLE items MODIFY code VARCHAR(50)", Verdict::Copy),
        ("ALTER TABLE items MODIFY qty BIGINT", Verdict::Copy),
        (
            "ALTER TABLE items MODIFY status ENUM('new','active','banned')",
            Verdict::Instant,
        ),
        (
            "ALTER TABLE items MODIFY status ENUM('active','new')",
            Verdict::Copy,
        ),
        (
            "ALTER TABLE items MODIFY org_id INT NOT NULL",
            Verdict::Inplace,
        ),
        (
            "ALTER TABLE items ADD INDEX items_qty (qty)",
            Verdict::Inplace,
        ),
        (
            "ALTER TABLE items ADD CONSTRAINT items_org FOREIGN KEY (org_id) REFERENCES orgs (id)",
            Verdict::Copy,
        ),
        (
            "ALTER TABLE items ADD CONSTRAINT qty_positive CHECK (qty >= 0)",
            Verdict::Copy,
        ),
        (
            "ALTER TABLE items ADD COLUMN q INT AS (qty + 1) STORED",
            Verdict::Copy,
        ),
        // MariaDB creates the FK of an inline REFERENCES: checked rows, a copy
        (
            "ALTER TABLE items ADD COLUMN o INT REFERENCES orgs (id)",
            Verdict::Copy,
        ),
        ("ALTER TABLE items ENGINE=InnoDB", Verdict::Inplace),
        (
            "ALTER TABLE items CONVERT TO CHARACTER SET latin1",
            Verdict::Copy,
        ),
        // a collation change: instant outside any index; an index rebuilt in place (10.6+);
        // a copy for a prefix-indexed TEXT, an ENUM and the PRIMARY KEY
        (
            "ALTER TABLE items MODIFY handle VARCHAR(100) COLLATE utf8mb4_bin",
            Verdict::Instant,
        ),
        (
            "ALTER TABLE items MODIFY email VARCHAR(100) COLLATE utf8mb4_bin",
            Verdict::Inplace,
        ),
        (
            "ALTER TABLE items MODIFY body TEXT COLLATE utf8mb4_bin",
            Verdict::Copy,
        ),
        (
            "ALTER TABLE items MODIFY status ENUM('new','active') COLLATE utf8mb4_bin",
            Verdict::Copy,
        ),
        (
            "ALTER TABLE tags MODIFY name VARCHAR(50) NOT NULL COLLATE utf8mb4_bin",
            Verdict::Copy,
        ),
        // the BINARY attribute (a statement the parser cannot read; kratos writes it) is the
        // charset's _bin collation
        (
            "ALTER TABLE items MODIFY email VARCHAR(100) BINARY",
            Verdict::Inplace,
        ),
        (
            "ALTER TABLE items MODIFY handle VARCHAR(100) BINARY",
            Verdict::Instant,
        ),
        // the collation spelled out as the table's default changes nothing
        (
            "ALTER TABLE items MODIFY handle VARCHAR(100) COLLATE utf8mb4_general_ci",
            Verdict::Instant,
        ),
        // MODIFY without COLLATE takes the table's default again: slug loses utf8mb4_bin
        (
            "ALTER TABLE items MODIFY slug VARCHAR(100) NOT NULL",
            Verdict::Inplace,
        ),
        // utf8mb3 -> utf8mb4 under the same-named collation: instant, indexed too ...
        (
            "ALTER TABLE items MODIFY title VARCHAR(50) CHARACTER SET utf8mb4",
            Verdict::Instant,
        ),
        // ... another collation rebuilds the index ...
        (
            "ALTER TABLE items MODIFY title VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            Verdict::Inplace,
        ),
        // ... and 80 x 3 = 240 bytes growing to 80 x 4 = 320 crosses the length prefix
        (
            "ALTER TABLE items MODIFY label VARCHAR(80) CHARACTER SET utf8mb4",
            Verdict::Copy,
        ),
        (
            "ALTER TABLE items MODIFY code VARCHAR(50) CHARACTER SET utf8mb4",
            Verdict::Copy,
        ),
        // CONVERT TO judged column by column: nothing to change, utf8mb3 widened, a collation
        // an index has to follow, the primary key's collation
        (
            "ALTER TABLE tags CONVERT TO CHARACTER SET utf8mb4",
            Verdict::Instant,
        ),
        (
            "ALTER TABLE notes CONVERT TO CHARACTER SET utf8mb4",
            Verdict::Instant,
        ),
        (
            "ALTER TABLE notes CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            Verdict::Inplace,
        ),
        (
            "ALTER TABLE notes ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb3",
            Verdict::Inplace,
        ),
        (
            "ALTER TABLE tags CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            Verdict::Copy,
        ),
    ];
    let mut problems = Vec::new();
    for (stmt, expected) in cases {
        let verdict = lint_verdict(stmt);
        if verdict != expected {
            problems.push(format!(
                "{stmt}: linter says {verdict:?}, expected {expected:?}"
            ));
            continue;
        }
        db.exec(HISTORY);
        let pinned = |clauses: &str| db.try_exec(&format!("{stmt}, {clauses}"));
        let server = match verdict {
            Verdict::Instant => pinned("ALGORITHM=INSTANT").map_err(|e| format!("INSTANT: {e}")),
            // and not better: the server refuses INSTANT
            Verdict::Inplace => match pinned("ALGORITHM=INSTANT") {
                Ok(()) => Err("the server ran it with ALGORITHM=INSTANT".into()),
                Err(_) => {
                    pinned("ALGORITHM=INPLACE, LOCK=NONE").map_err(|e| format!("INPLACE: {e}"))
                }
            },
            Verdict::Copy => match pinned("ALGORITHM=INPLACE, LOCK=NONE") {
                Ok(()) => Err("the server ran it with ALGORITHM=INPLACE, LOCK=NONE".into()),
                // the statement itself is fine: only a copy can run it
                Err(_) => pinned("ALGORITHM=COPY").map_err(|e| format!("COPY: {e}")),
            },
        };
        if let Err(e) = server {
            problems.push(format!("{stmt} ({verdict:?}): {e}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
