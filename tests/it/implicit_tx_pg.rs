//! The implicit transaction block, checked on the server: a runner that sends a file as one
//! query (golang-migrate; sqlx, dbmate, diesel and pop, wrapped or marked to run outside a
//! transaction) gets PostgreSQL's one-block treatment of a multi-statement query, so a
//! `CONCURRENTLY` statement beside others fails there; runners that send statements one at a
//! time (goose, golang-migrate with `x-multi-statement=true`) run it. For each file and runner,
//! what `ban-concurrent-index-creation-in-transaction` says must be what the server does when
//! the file is sent the way that runner sends it: the server is the reference.

use sluice::lint::settings::Runner;
use sluice::lint::{LintSettings, lint_snippet};
use sqlx::{Connection, Executor, PgConnection};

use crate::common::{Scratch, block_on};

const RULE: &str = "ban-concurrent-index-creation-in-transaction";

const FILES: &[&str] = &[
    "CREATE INDEX CONCURRENTLY t_c_idx ON t (c);",
    "-- one statement, with comments\nCREATE INDEX CONCURRENTLY t_c_idx ON t (c);\n-- done\n",
    "CREATE INDEX CONCURRENTLY t_c_idx ON t (c);\nCREATE INDEX CONCURRENTLY t_d_idx ON t (d);",
    "ALTER TABLE t ADD COLUMN e int;\nCREATE INDEX CONCURRENTLY t_e_idx ON t (e);",
    "SELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY t_c_idx ON t (c);",
    "COMMIT;\nCREATE UNIQUE INDEX CONCURRENTLY t_c_idx ON t (c);\nBEGIN;\nSELECT 1;",
    "BEGIN;\nALTER TABLE t ADD COLUMN e int;\nCOMMIT;",
];

/// How a runner sends a file.
#[derive(Clone, Copy, Debug)]
enum Sends {
    /// The whole file as one query, inside the runner's `BEGIN` .. `COMMIT` or not.
    OneQuery { wrapped: bool },
    /// Each statement on its own, inside the runner's `BEGIN` .. `COMMIT` or not.
    OneByOne { wrapped: bool },
}

const RUNNERS: &[(Runner, Sends)] = &[
    (Runner::GolangMigrate, Sends::OneQuery { wrapped: false }),
    (Runner::Sqlx, Sends::OneQuery { wrapped: true }),
    (
        Runner::GolangMigrateMultiStatement,
        Sends::OneByOne { wrapped: false },
    ),
    (Runner::Goose, Sends::OneByOne { wrapped: true }),
];

fn lint_refuses(runner: Runner, sql: &str) -> bool {
    let settings = LintSettings {
        runner,
        ..Default::default()
    };
    lint_snippet(&settings, "m.sql", sql)
        .diagnostics
        .iter()
        .any(|d| d.rule == RULE)
}

/// Runs `sql` on a fresh table the way `sends` says; `true` when PostgreSQL refused a
/// statement because it ran inside a transaction block.
async fn server_refuses(url: &str, sql: &str, sends: Sends) -> bool {
    let mut c = PgConnection::connect(url).await.unwrap();
    c.execute("DROP TABLE IF EXISTS t; CREATE TABLE t (id int PRIMARY KEY, c int, d int);")
        .await
        .unwrap();
    let wrapped = match sends {
        Sends::OneQuery { wrapped } | Sends::OneByOne { wrapped } => wrapped,
    };
    if wrapped {
        c.execute("BEGIN").await.unwrap();
    }
    let result = match sends {
        // raw_sql: the simple query protocol, the whole text in one Query message
        Sends::OneQuery { .. } => c.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
        Sends::OneByOne { .. } => {
            let mut r = Ok(());
            for stmt in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
                r = c.execute(sqlx::raw_sql(stmt)).await.map(|_| ());
                if r.is_err() {
                    break;
                }
            }
            r
        }
    };
    match result {
        Ok(()) => {
            if wrapped {
                c.execute("COMMIT").await.unwrap();
            }
            false
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("cannot run inside a transaction block"),
                "unexpected error for {sql:?} ({sends:?}): {msg}"
            );
            true
        }
    }
}

#[test]
fn the_lint_verdict_is_what_the_server_does() {
    let s = Scratch::pg();
    let mut refused = Vec::new();
    for &(runner, sends) in RUNNERS {
        let mut n = 0;
        for sql in FILES {
            let server = block_on(server_refuses(&s.url, sql, sends));
            n += usize::from(server);
            assert_eq!(
                lint_refuses(runner, sql),
                server,
                "{runner:?} ({sends:?}) on {sql:?}: the server {} it",
                if server { "refused" } else { "ran" }
            );
        }
        refused.push(n);
    }
    // the cases still tell the runners apart: golang-migrate 4 of 7, sqlx all but the last
    // (wrapped: every CONCURRENTLY is refused), x-multi-statement none, goose the 4 whose
    // CONCURRENTLY is not after a COMMIT
    assert_eq!(refused, [4, 6, 0, 4]);
}
