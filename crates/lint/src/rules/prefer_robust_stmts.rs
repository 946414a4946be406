//! ## What it does
//! In a migration that runs outside a transaction (not wrapped by the runner and with no
//! `BEGIN`), flags `CREATE` without `IF NOT EXISTS` (or `OR REPLACE`) and `DROP` without
//! `IF EXISTS`, including `ALTER TABLE .. ADD COLUMN` / `DROP COLUMN` / `DROP CONSTRAINT`, and
//! `ADD CONSTRAINT` not preceded by a `DROP CONSTRAINT IF EXISTS` of it (PostgreSQL). An
//! unnamed index or constraint is reported too (a retry builds a copy); temporary tables
//! dropped on commit are not.
//!
//! ## Why is this bad?
//! Without a transaction, each statement commits on its own. When a later statement fails,
//! the earlier ones stay applied, and running the migration again stops at the first of
//! them: "already exists" or "does not exist". Someone has to repair the database by hand.
//!
//! ## Example
//! ```sql
//! -- sluice:no-transaction
//! CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
//! ```
//!
//! ## Use instead
//! `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, `DROP INDEX CONCURRENTLY IF EXISTS`,
//! `ADD COLUMN IF NOT EXISTS`, `CREATE OR REPLACE VIEW`, ...

use sqlparser::ast::{OnCommit, Statement as Ast};

use crate::context::{Parsed, ScriptCx, Stmt, Tx};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{ObjName, TxControl};

use super::word_span;

pub struct PreferRobustStmts;

static META: RuleMeta = RuleMeta {
    id: "prefer-robust-stmts",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "in a non-transactional migration, CREATE / DROP without IF [NOT] EXISTS (or ADD CONSTRAINT without a DROP .. IF EXISTS first) breaks a retry",
    help: "add `IF NOT EXISTS` / `IF EXISTS` (or `OR REPLACE`) so that the migration can be run again after a partial failure",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/prefer-robust-stmts.md"),
};

/// `CREATE` statements that PostgreSQL accepts with `IF NOT EXISTS` or `OR REPLACE`.
const CREATE_KINDS: &[&str] = &[
    "CREATE SEQUENCE",
    "CREATE SCHEMA",
    "CREATE EXTENSION",
    "CREATE VIEW",
    "CREATE MATERIALIZED VIEW",
    "CREATE FUNCTION",
    "CREATE PROCEDURE",
];

impl Rule for PreferRobustStmts {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let transactional = cx.statements.iter().any(|s| {
            s.tx != Tx::None
                || s.ops
                    .iter()
                    .any(|o| matches!(o, Operation::Transaction(TxControl::Begin)))
        });
        if transactional {
            return;
        }
        // constraints dropped IF EXISTS earlier (and not added back since): adding them is robust
        let mut dropped: Vec<(&ObjName, &str)> = Vec::new();
        for (st, op) in cx.ops() {
            match op {
                Operation::DropConstraint {
                    table,
                    name,
                    if_exists: true,
                } => dropped.push((table, name)),
                Operation::AddConstraint { table, constraint } => {
                    let again = constraint.name.as_deref().and_then(|name| {
                        dropped
                            .iter()
                            .position(|(t, n)| t.matches(table) && *n == name)
                    });
                    match (again, &constraint.name) {
                        (Some(i), _) => {
                            dropped.remove(i);
                        }
                        (None, Some(name)) => out.push(
                            Hit::new(
                                st.index,
                                format!("`ADD CONSTRAINT {name}` in a migration that runs outside a transaction: after a partial failure, running it again fails here (the constraint exists)"),
                            )
                            .span(word_span(cx, st, "add"))
                            .help(format!("drop it first in the same migration: `ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}, ADD CONSTRAINT {name} ..`")),
                        ),
                        (None, None) => out.push(
                            Hit::new(
                                st.index,
                                "an unnamed constraint added in a migration that runs outside a transaction: after a partial failure, running it again adds a second copy (a PRIMARY KEY fails)",
                            )
                            .span(word_span(cx, st, "add"))
                            .help("name the constraint and drop it first: `DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c ..`"),
                        ),
                    }
                    continue;
                }
                _ => {}
            }
            let robust = || {
                let text = cx.text(st).to_ascii_lowercase();
                let words: Vec<&str> = text.split_whitespace().collect();
                words.windows(3).any(|w| w == ["if", "not", "exists"])
                    || words.windows(2).any(|w| w == ["or", "replace"])
            };
            let (what, fix, needle) = match op {
                Operation::CreateTable {
                    if_not_exists: false,
                    ..
                } if !temporary_dropped_on_commit(st) => {
                    ("`CREATE TABLE`", "IF NOT EXISTS", "create")
                }
                Operation::CreateIndex {
                    if_not_exists: false,
                    ..
                } => ("`CREATE INDEX`", "IF NOT EXISTS", "create"),
                Operation::AddColumn {
                    if_not_exists: false,
                    ..
                } => ("`ADD COLUMN`", "IF NOT EXISTS", "add"),
                Operation::DropTable {
                    if_exists: false, ..
                } => ("`DROP TABLE`", "IF EXISTS", "drop"),
                Operation::DropIndex {
                    if_exists: false, ..
                } => ("`DROP INDEX`", "IF EXISTS", "drop"),
                Operation::DropColumn {
                    if_exists: false, ..
                } => ("`DROP COLUMN`", "IF EXISTS", "drop"),
                Operation::DropConstraint {
                    if_exists: false, ..
                } => ("`DROP CONSTRAINT`", "IF EXISTS", "drop"),
                Operation::DropObject {
                    if_exists: false, ..
                } => ("this `DROP`", "IF EXISTS", "drop"),
                Operation::CreateTrigger { .. } if !robust() => {
                    ("`CREATE TRIGGER`", "OR REPLACE", "create")
                }
                Operation::Other { kind } if CREATE_KINDS.contains(&kind.as_str()) && !robust() => {
                    let fix = if kind.ends_with("VIEW") && !kind.contains("MATERIALIZED")
                        || kind.ends_with("FUNCTION")
                        || kind.ends_with("PROCEDURE")
                    {
                        "OR REPLACE"
                    } else {
                        "IF NOT EXISTS"
                    };
                    out.push(hit(cx, st, &format!("`{kind}`"), fix, "create"));
                    continue;
                }
                _ => continue,
            };
            if matches!(op, Operation::CreateIndex { name: None, .. }) {
                // PostgreSQL names it anew on every run: a retry does not fail, it builds a copy
                out.push(
                    Hit::new(
                        st.index,
                        "`CREATE INDEX` without a name in a migration that runs outside a transaction: after a partial failure, running it again builds a second copy of the index",
                    )
                    .span(cx.find_in(st, needle))
                    .help("name the index: `IF NOT EXISTS` needs a name (`CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON ..`)"),
                );
                continue;
            }
            out.push(hit(cx, st, what, fix, needle));
        }
    }
}

/// `CREATE TEMP TABLE .. ON COMMIT DROP`: gone at the end of its transaction, so a retry
/// creates it afresh.
fn temporary_dropped_on_commit(st: &Stmt) -> bool {
    let Parsed::Ok(asts) = &st.parsed else {
        return false;
    };
    asts.iter().any(|a| {
        matches!(a, Ast::CreateTable(ct) if ct.temporary && ct.on_commit == Some(OnCommit::Drop))
    })
}

fn hit(cx: &ScriptCx<'_>, st: &Stmt, what: &str, fix: &str, needle: &str) -> Hit {
    Hit::new(
        st.index,
        format!(
            "{what} without {fix} in a migration that runs outside a transaction: after a partial failure, running it again fails here"
        ),
    )
    .span(cx.find_in(st, needle))
}

#[cfg(test)]
mod tests {
    use crate::settings::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "prefer-robust-stmts";

    #[test]
    fn flags_fragile_statements_outside_a_transaction() {
        let found = lint_errors(
            RULE,
            Case::new(
                "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCREATE TABLE t (a int);\nALTER TABLE users ADD COLUMN nick text, DROP COLUMN old;\nDROP INDEX CONCURRENTLY old_idx;\nDROP VIEW v;\nCREATE VIEW w AS SELECT 1;\nCREATE SEQUENCE s;",
            )
            .no_transaction(),
        );
        assert_eq!(
            found,
            [
                "1:1 `CREATE INDEX` without IF NOT EXISTS in a migration that runs outside a transaction: after a partial failure, running it again fails here",
                "2:1 `CREATE TABLE` without IF NOT EXISTS in a migration that runs outside a transaction: after a partial failure, running it again fails here",
                "3:19 `ADD COLUMN` without IF NOT EXISTS in a migration that runs outside a transaction: after a partial failure, running it again fails here",
                "3:41 `DROP COLUMN` without IF EXISTS in a migration that runs outside a transaction: after a partial failure, running it again fails here",
                "4:1 `DROP INDEX` without IF EXISTS in a migration that runs outside a transaction: after a partial failure, running it again fails here",
                "5:1 this `DROP` without IF EXISTS in a migration that runs outside a transaction: after a partial failure, running it again fails here",
                "6:1 `CREATE VIEW` without OR REPLACE in a migration that runs outside a transaction: after a partial failure, running it again fails here",
                "7:1 `CREATE SEQUENCE` without IF NOT EXISTS in a migration that runs outside a transaction: after a partial failure, running it again fails here",
            ]
        );
        // the sluice runner runs a file with CONCURRENTLY outside a transaction by itself
        let found = lint_errors(
            RULE,
            "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
        );
        assert_eq!(found.len(), 1);
        let d = Case::new("CREATE INDEX CONCURRENTLY ON users (email);").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert!(d.help.starts_with("name the index"), "{}", d.help);
        // so does golang-migrate, always
        let found = lint_errors(
            RULE,
            Case::new("DROP TABLE old;").runner(Runner::GolangMigrate),
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn passes_robust_statements_and_transactions() {
        lint_ok(
            RULE,
            Case::new(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users (email);\nCREATE TABLE IF NOT EXISTS t (a int);\nALTER TABLE users ADD COLUMN IF NOT EXISTS nick text;\nDROP INDEX CONCURRENTLY IF EXISTS old_idx;\nCREATE OR REPLACE VIEW w AS SELECT 1;\nCREATE SEQUENCE IF NOT EXISTS s;\nCREATE TYPE e AS ENUM ('a');",
            )
            .no_transaction(),
        );
        // wrapped by the runner, or an explicit transaction: all or nothing
        lint_ok(RULE, "CREATE TABLE t (a int);\nDROP TABLE old;");
        lint_ok(
            RULE,
            Case::new("BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;").runner(Runner::GolangMigrate),
        );
        lint_ok(RULE, Case::new("DROP TABLE old;").mysql().no_transaction());
    }

    #[test]
    fn constraints_need_a_drop_if_exists_first() {
        // squawk's `double_add_after_drop_err`
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE app_email DROP CONSTRAINT IF EXISTS email_uniq;\nALTER TABLE app_email ADD CONSTRAINT email_uniq UNIQUE USING INDEX email_idx;\nALTER TABLE app_email ADD CONSTRAINT email_uniq UNIQUE USING INDEX email_idx;").no_transaction(),
        );
        assert_eq!(
            found,
            [
                "3:23 `ADD CONSTRAINT email_uniq` in a migration that runs outside a transaction: after a partial failure, running it again fails here (the constraint exists)"
            ]
        );
        lint_errors(
            RULE,
            Case::new("SELECT 1;\nALTER TABLE t ADD CHECK (a > 0);").no_transaction(),
        );
        // squawk's `drop_before_add_foreign_key_ok`: one statement or two
        lint_ok(
            RULE,
            Case::new("ALTER TABLE e DROP CONSTRAINT IF EXISTS fk, ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;\nALTER TABLE e VALIDATE CONSTRAINT fk;").no_transaction(),
        );
    }

    #[test]
    fn temporary_tables_dropped_on_commit_are_robust() {
        lint_ok(
            RULE,
            Case::new("SELECT 1;\nCREATE TEMP TABLE t (id int) ON COMMIT DROP;\nCREATE TEMPORARY TABLE u (id int) ON COMMIT DROP;").no_transaction(),
        );
        // not temporary, or kept after commit
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("CREATE TEMP TABLE t (id int);\nCREATE TABLE u (id int) ON COMMIT DROP;")
                    .no_transaction()
            )
            .len(),
            2
        );
    }

    #[test]
    fn differences_from_squawk() {
        // `create_index_concurrently_unnamed_ok`: a retry builds a second copy of the index
        assert_eq!(
            lint_errors(
                RULE,
                Case::new(
                    "select 1;\nCREATE INDEX CONCURRENTLY ON \"table_name\" (\"field_name\");"
                )
                .no_transaction()
            ),
            [
                "2:1 `CREATE INDEX` without a name in a migration that runs outside a transaction: after a partial failure, running it again builds a second copy of the index"
            ]
        );
        // `alter_column_set_not_null`, `enable_row_level_security_err`,
        // `enable_row_level_security_without_exists_check_err`, `disable_row_level_security_err`:
        // running these again succeeds
        lint_ok(
            RULE,
            Case::new("select 1;\nalter table t alter column c set not null;\nALTER TABLE IF EXISTS t ENABLE ROW LEVEL SECURITY;\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nALTER TABLE IF EXISTS t DISABLE ROW LEVEL SECURITY;").no_transaction(),
        );
    }
}
