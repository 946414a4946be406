//! ## What it does
//! Flags, inside one transaction (an explicit `BEGIN`, or a runner-wrapped file), the first
//! statement that runs after one that took ACCESS EXCLUSIVE on an existing table
//! (PostgreSQL). Transaction control, `SET`, and further brief changes to the same locked
//! table are not counted.
//!
//! ## Why is this bad?
//! Locks are held until the transaction commits. A brief `ALTER TABLE` turns into an outage
//! of its table when the same transaction then runs an `UPDATE`, an index build, or waits
//! for a lock on another table: every read and write of the locked table waits for all of it.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname text;
//! UPDATE users SET nickname = name WHERE id < 1000;
//! ```
//! (in a file the runner wraps in a transaction)
//!
//! ## Use instead
//! Put the ACCESS EXCLUSIVE statement in a migration of its own (or last in its
//! transaction), and run the other statements in separate transactions.

use crate::context::{ScriptCx, Tx};
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{ObjName, TxControl};

use super::common::table_lock;

pub struct StatementsAfterAccessExclusive;

static META: RuleMeta = RuleMeta {
    id: "statements-after-access-exclusive",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "further statements in a transaction that already holds ACCESS EXCLUSIVE on an existing table",
    help: "split the migration: the ACCESS EXCLUSIVE statement alone (or last) in its transaction, the rest in another",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/statements-after-access-exclusive.md"),
};

const LOCK: LockInfo = LockInfo::new(LockMode::AccessExclusive, LockHold::UntilCommit);

impl Rule for StatementsAfterAccessExclusive {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        // tables held ACCESS EXCLUSIVE by the open transaction, with the line that locked them
        let mut held: Vec<(&ObjName, usize)> = Vec::new();
        let mut reported = false;
        for st in &cx.statements {
            if st.tx == Tx::None {
                held.clear();
                reported = false;
            }
            let counts = |op: &Operation| match op {
                Operation::Transaction(_) | Operation::SetVariable { .. } => false,
                _ => !matches!(
                    table_lock(op),
                    Some((Some(t), l))
                        if l.mode == LockMode::AccessExclusive
                            && l.hold == LockHold::Brief
                            && held.iter().any(|(h, _)| h.matches(t))
                ),
            };
            if !held.is_empty() && !reported && st.ops.iter().any(counts) {
                reported = true;
                let line = held[0].1;
                let tables = held
                    .iter()
                    .map(|(t, _)| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "this statement runs while the transaction holds ACCESS EXCLUSIVE on {tables} (taken on line {line}): reads and writes wait until commit"
                        ),
                    )
                    .lock(LOCK),
                );
            }
            for op in &st.ops {
                match op {
                    // a BEGIN ends no transaction: in a file sent as one query it turns the
                    // implicit block into an explicit one, with the locks taken before it
                    Operation::Transaction(TxControl::Commit | TxControl::Rollback) => {
                        held.clear();
                        reported = false;
                    }
                    _ if st.tx != Tx::None => {
                        if let Some((Some(t), l)) = table_lock(op)
                            && l.mode == LockMode::AccessExclusive
                            && !cx.is_new_table(t, st.index)
                            && !held.iter().any(|(h, _)| h.matches(t))
                        {
                            held.push((t, cx.file().line_col(st.range.start).line));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::settings::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "statements-after-access-exclusive";

    #[test]
    fn flags_the_first_statement_after_the_lock() {
        let sql = "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ALTER COLUMN nickname SET DEFAULT '';\nUPDATE users SET nickname = name WHERE id < 1000;\nUPDATE users SET nickname = name WHERE id >= 1000;";
        let found = lint_errors(RULE, sql);
        assert_eq!(
            found,
            [
                "4:1 this statement runs while the transaction holds ACCESS EXCLUSIVE on `users` (taken on line 2): reads and writes wait until commit"
            ]
        );
        let d = Case::new(sql).diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold)),
            Some((LockMode::AccessExclusive, LockHold::UntilCommit))
        );
    }

    #[test]
    fn flags_each_explicit_transaction_once() {
        let found = lint_errors(
            RULE,
            Case::new(
                "BEGIN;\nALTER TABLE users DROP COLUMN a;\nALTER TABLE orders DROP COLUMN b;\nCREATE INDEX i ON orders (c);\nCOMMIT;\nBEGIN;\nALTER TABLE orders DROP COLUMN d;\nSELECT 1;\nCOMMIT;",
            )
            .runner(Runner::GolangMigrate),
        );
        assert_eq!(
            found,
            [
                "3:1 this statement runs while the transaction holds ACCESS EXCLUSIVE on `users` (taken on line 2): reads and writes wait until commit",
                "8:1 this statement runs while the transaction holds ACCESS EXCLUSIVE on `orders` (taken on line 7): reads and writes wait until commit",
            ]
        );
    }

    #[test]
    fn a_begin_keeps_the_locks_of_the_implicit_transaction() {
        // sent as one query, the BEGIN turns the implicit block into an explicit one: the
        // ALTER's lock is held through the index build (checked with psql and pg_locks)
        let sql =
            "ALTER TABLE users ADD COLUMN b int;\nBEGIN;\nCREATE INDEX i ON users (b);\nCOMMIT;";
        assert_eq!(
            lint_errors(RULE, Case::new(sql).runner(Runner::GolangMigrate)),
            [
                "3:1 this statement runs while the transaction holds ACCESS EXCLUSIVE on `users` (taken on line 1): reads and writes wait until commit"
            ]
        );
        // sent statement by statement, the ALTER committed on its own
        lint_ok(
            RULE,
            Case::new(sql).runner(Runner::GolangMigrateMultiStatement),
        );
    }

    #[test]
    fn passes_autocommit_new_tables_and_lone_statements() {
        let sql = "ALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = name WHERE id < 1000;";
        lint_ok(RULE, Case::new(sql).no_transaction());
        lint_ok(
            RULE,
            Case::new(sql).runner(Runner::GolangMigrateMultiStatement),
        );
        // golang-migrate sends the file as one query: one implicit transaction holds the lock
        assert_eq!(
            lint_errors(RULE, Case::new(sql).runner(Runner::GolangMigrate)).len(),
            1
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nINSERT INTO t VALUES (1, 2);",
        );
        lint_ok(
            RULE,
            "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;",
        );
        lint_ok(
            RULE,
            "CREATE INDEX i ON users (email);\nUPDATE users SET a = 1 WHERE id < 10;",
        );
    }
}
