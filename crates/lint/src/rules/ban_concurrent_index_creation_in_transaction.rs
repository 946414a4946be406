//! ## What it does
//! Flags a `CONCURRENTLY` statement (`CREATE INDEX`, `DROP INDEX`, `REINDEX`,
//! `DETACH PARTITION`) that runs inside a transaction: after an explicit `BEGIN`, in a file
//! the runner wraps in a transaction, or beside other statements in a file the runner sends
//! as one query (golang-migrate; sqlx, dbmate, diesel and pop for a file marked to run
//! outside a transaction), which PostgreSQL runs as one implicit transaction block.
//!
//! ## Why is this bad?
//! PostgreSQL refuses it (`CREATE INDEX CONCURRENTLY cannot run inside a transaction
//! block`): the migration fails at deploy time, after the statements before it ran.
//!
//! ## Example
//! ```sql
//! BEGIN;
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! COMMIT;
//! ```
//!
//! ## Use instead
//! Run it in a non-transactional migration: no `BEGIN`, and `-- sluice:no-transaction` (or
//! the runner's own marker) when the runner wraps files in a transaction.

use crate::context::{ScriptCx, Tx, flyway_non_transactional};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use crate::settings::Runner;
use sluice_core::sql::Operation;

use super::runner_name;

pub struct BanConcurrentIndexCreationInTransaction;

static META: RuleMeta = RuleMeta {
    id: "ban-concurrent-index-creation-in-transaction",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "a CONCURRENTLY statement inside a transaction, which PostgreSQL refuses",
    help: "run it in a non-transactional migration: remove the BEGIN, or mark the file `-- sluice:no-transaction`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-concurrent-index-creation-in-transaction.md"),
};

impl Rule for BanConcurrentIndexCreationInTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let flyway = cx.settings.runner.effective(cx.migration.layout) == Runner::Flyway;
        for (st, op) in cx.ops() {
            let what = match op {
                Operation::CreateIndex {
                    concurrently: true, ..
                } => "CREATE INDEX CONCURRENTLY",
                Operation::DropIndex {
                    concurrently: true, ..
                } => "DROP INDEX CONCURRENTLY",
                Operation::Reindex {
                    concurrently: true, ..
                } => "REINDEX CONCURRENTLY",
                Operation::DetachPartition {
                    concurrently: true, ..
                } => "DETACH PARTITION CONCURRENTLY",
                _ => continue,
            };
            let (place, help) = match st.tx {
                Tx::None => continue,
                Tx::Explicit => (
                    "after an explicit BEGIN".to_owned(),
                    "move it out of the BEGIN .. COMMIT block, into a migration that does not run in a transaction",
                ),
                // Flyway saw it and still wraps: the script mixes it with transactional ones
                Tx::Wrapped if flyway && flyway_non_transactional(st) => (
                    "in a Flyway script that also holds statements that can run in a transaction: Flyway refuses the mix (`mixed = false`, its default)".to_owned(),
                    "move it to a migration of its own, which Flyway runs outside a transaction, or add `executeInTransaction=false` to the script's `.sql.conf`",
                ),
                Tx::Wrapped => (
                    format!(
                        "in the transaction the {} runner wraps this file in",
                        runner_name(cx)
                    ),
                    "mark the file `-- sluice:no-transaction` (or the runner's own marker) and keep only non-transactional statements in it",
                ),
                Tx::Implicit => (
                    format!(
                        "in a transaction all the same: the {} runner sends this file as one query, and PostgreSQL runs a query of several statements as one transaction block",
                        runner_name(cx)
                    ),
                    "move it to a migration of its own, as its only statement",
                ),
            };
            out.push(
                Hit::new(
                    st.index,
                    format!("`{what}` cannot run inside a transaction, and this one runs {place}"),
                )
                .span(cx.find_in(st, "concurrently"))
                .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-concurrent-index-creation-in-transaction";

    #[test]
    fn flags_explicit_begin() {
        let found = lint_errors(
            RULE,
            "BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;",
        );
        assert_eq!(
            found,
            [
                "2:14 `CREATE INDEX CONCURRENTLY` cannot run inside a transaction, and this one runs after an explicit BEGIN"
            ]
        );
    }

    #[test]
    fn flags_wrapping_runners() {
        let sql = "CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);";
        for runner in [
            Runner::Sqlx,
            Runner::Goose,
            Runner::Dbmate,
            Runner::Diesel,
            Runner::Pop,
        ] {
            let found = lint_errors(RULE, Case::new(sql).runner(runner));
            assert_eq!(found.len(), 1, "{runner:?}");
        }
        let found = lint_errors(RULE, Case::new(sql).runner(Runner::Sqlx));
        assert_eq!(
            found,
            [
                "1:21 `CREATE INDEX CONCURRENTLY` cannot run inside a transaction, and this one runs in the transaction the sqlx runner wraps this file in"
            ]
        );
    }

    #[test]
    fn flyway_runs_a_lone_concurrent_index_outside_a_transaction() {
        // Flyway's parser sees CONCURRENTLY and does not wrap the script
        let lone = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nDROP INDEX CONCURRENTLY old_idx;";
        lint_ok(RULE, Case::new(lone).runner(Runner::Flyway));
        // beside a transactional statement, Flyway refuses the script
        let mixed =
            "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);";
        let found = lint_errors(RULE, Case::new(mixed).runner(Runner::Flyway));
        assert_eq!(
            found,
            [
                "2:14 `CREATE INDEX CONCURRENTLY` cannot run inside a transaction, and this one runs in a Flyway script that also holds statements that can run in a transaction: Flyway refuses the mix (`mixed = false`, its default)"
            ]
        );
        // Flyway's parser does not know REINDEX CONCURRENTLY: it wraps it
        let found = lint_errors(
            RULE,
            Case::new("REINDEX INDEX CONCURRENTLY users_pkey;").runner(Runner::Flyway),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("the flyway runner wraps"), "{found:?}");
        // its script configuration turns the transaction off
        lint_ok(
            RULE,
            Case::new(mixed).runner(Runner::Flyway).no_transaction(),
        );
    }

    #[test]
    fn flags_token_scanned_concurrently_statements() {
        // sqlparser cannot read these; the token scan still finds CONCURRENTLY
        let found = lint_errors(
            RULE,
            "BEGIN;\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nREINDEX INDEX CONCURRENTLY users_pkey;\nCOMMIT;",
        );
        assert_eq!(
            found,
            [
                "2:12 `DROP INDEX CONCURRENTLY` cannot run inside a transaction, and this one runs after an explicit BEGIN",
                "3:15 `REINDEX CONCURRENTLY` cannot run inside a transaction, and this one runs after an explicit BEGIN",
            ]
        );
        lint_ok(RULE, "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;");
    }

    #[test]
    fn passes_outside_transactions() {
        let sql = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);";
        // the sluice runner detects CONCURRENTLY and does not wrap
        lint_ok(RULE, sql);
        lint_ok(RULE, Case::new(sql).runner(Runner::GolangMigrate));
        lint_ok(RULE, Case::new(sql).runner(Runner::Sqlx).no_transaction());
        lint_ok(
            RULE,
            "BEGIN;\nCREATE INDEX users_email_idx ON users (email);\nCOMMIT;",
        );
        lint_ok(
            RULE,
            "BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON users (email);",
        );
    }

    #[test]
    fn differences_from_squawk() {
        // `assuming_in_transaction_ok`: a file whose only statement is CONCURRENTLY still runs
        // in the transaction sqlx wraps it in
        let sql = "-- run index creation in a standalone migration\nCREATE UNIQUE INDEX CONCURRENTLY \"field_name_idx\" ON \"table_name\" (\"field_name\");";
        lint_errors(RULE, Case::new(sql).runner(Runner::Sqlx));
    }

    #[test]
    fn a_commit_ends_the_wrapped_transaction_and_squawks_marker_unwraps() {
        // squawk's `assuming_in_transaction_ok_also`, under goose, which sends the statements
        // one at a time
        let sql = "COMMIT;\nCREATE UNIQUE INDEX CONCURRENTLY i ON t (c);\nBEGIN;\nALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;";
        lint_ok(RULE, Case::new(sql).runner(Runner::Goose));
        // sqlx sends the file as one query: after the COMMIT, PostgreSQL runs the rest in an
        // implicit block (tests/it/implicit_tx_pg.rs checks it on the server)
        assert_eq!(
            lint_errors(RULE, Case::new(sql).runner(Runner::Sqlx)),
            [
                "2:21 `CREATE INDEX CONCURRENTLY` cannot run inside a transaction, and this one runs in a transaction all the same: the sqlx runner sends this file as one query, and PostgreSQL runs a query of several statements as one transaction block"
            ]
        );
        // squawk's `squawk_disable_assume_in_transaction_overrides`: its marker is read like
        // the runner's own "no transaction" marker (a directive of the loaded file)
        let sql = "CREATE INDEX CONCURRENTLY i ON t (c);\nALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;";
        let fired = |runner: Runner, sql: &str| {
            let settings = crate::LintSettings {
                runner,
                ..Default::default()
            };
            crate::lint_snippet(&settings, "m.sql", sql)
                .diagnostics
                .iter()
                .any(|d| d.rule == RULE)
        };
        let unwrapped = format!("-- squawk-disable-assume-in-transaction\n{sql}");
        assert!(fired(Runner::Goose, sql));
        assert!(!fired(Runner::Goose, &unwrapped));
        // sqlx unwrapped still sends both statements as one query
        assert!(fired(Runner::Sqlx, &unwrapped));
    }

    #[test]
    fn runners_that_send_the_file_as_one_query() {
        let two = "CREATE INDEX CONCURRENTLY a ON users (email);\nCREATE INDEX CONCURRENTLY b ON users (name);";
        let found = lint_errors(RULE, Case::new(two).runner(Runner::GolangMigrate));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("the golang-migrate runner sends this file as one query"),
            "{found:?}"
        );
        // one statement is not a transaction block; x-multi-statement sends them one by one
        lint_ok(
            RULE,
            Case::new("CREATE INDEX CONCURRENTLY a ON users (email);")
                .runner(Runner::GolangMigrate),
        );
        lint_ok(
            RULE,
            Case::new(two).runner(Runner::GolangMigrateMultiStatement),
        );
        // sqlx's `-- no-transaction` unwraps the file but still sends it as one query
        let marked = format!("-- no-transaction\n{two}");
        assert_eq!(
            lint_errors(RULE, Case::new(&marked).runner(Runner::Sqlx)).len(),
            2
        );
        // a COMMIT does not end the implicit block
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("SELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY a ON users (email);")
                    .runner(Runner::GolangMigrate)
            )
            .len(),
            1
        );
        // MySQL has no such block
        lint_ok(RULE, Case::new(two).runner(Runner::GolangMigrate).mysql());
    }
}
