//! ## What it does
//! Flags `ALTER TABLE .. VALIDATE CONSTRAINT c` that runs in the same transaction as the
//! `ADD CONSTRAINT c .. NOT VALID` that added it: after an explicit `BEGIN`, or in a file the
//! runner wraps in one transaction (PostgreSQL).
//!
//! ## Why is this bad?
//! `NOT VALID` exists so that the scan runs under the weak lock of `VALIDATE` (SHARE UPDATE
//! EXCLUSIVE). But the `ADD` already holds ACCESS EXCLUSIVE on the table (SHARE ROW EXCLUSIVE
//! on both tables for a foreign key) until the transaction commits, so validating in the
//! same transaction scans the whole table under that lock: as blocking as adding the
//! constraint without `NOT VALID`.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
//! ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
//! ```
//! (in a file the runner wraps in a transaction)
//!
//! ## Use instead
//! Commit between the two: `VALIDATE CONSTRAINT` in a later migration, or in a file marked
//! `-- sluice:no-transaction`.

use crate::context::{ScriptCx, Tx};
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{ConstraintKind, ObjName, TxControl};

pub struct ValidateInSameTransaction;

static META: RuleMeta = RuleMeta {
    id: "validate-in-same-transaction",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "VALIDATE CONSTRAINT in the same transaction as its ADD .. NOT VALID scans under the ADD's lock",
    help: "commit between them: `VALIDATE CONSTRAINT` in a later migration, or mark the file `-- sluice:no-transaction`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/validate-in-same-transaction.md"),
};

/// A constraint added `NOT VALID` in the open transaction.
struct Added<'a> {
    table: &'a ObjName,
    name: &'a str,
    foreign_key: bool,
    line: usize,
}

impl Rule for ValidateInSameTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let mut added: Vec<Added<'_>> = Vec::new();
        for st in &cx.statements {
            if st.tx == Tx::None {
                // autocommit: every earlier statement has committed
                added.clear();
            }
            for op in &st.ops {
                match op {
                    // a BEGIN ends no transaction (in a file sent as one query the statements
                    // before it join the explicit one)
                    Operation::Transaction(TxControl::Commit | TxControl::Rollback) => {
                        added.clear()
                    }
                    Operation::AddConstraint { table, constraint }
                        if constraint.not_valid
                            && st.tx != Tx::None
                            && !cx.is_new_table(table, st.index) =>
                    {
                        if let Some(name) = &constraint.name {
                            added.push(Added {
                                table,
                                name,
                                foreign_key: constraint.kind == ConstraintKind::ForeignKey,
                                line: cx.file().line_col(st.range.start).line,
                            });
                        }
                    }
                    Operation::ValidateConstraint { table, name } => {
                        let Some(a) = added
                            .iter()
                            .find(|a| a.name == name && a.table.matches(table))
                        else {
                            continue;
                        };
                        let (lock, held) = if a.foreign_key {
                            (
                                LockInfo::new(LockMode::ShareRowExclusive, LockHold::Scan),
                                "SHARE ROW EXCLUSIVE",
                            )
                        } else {
                            (LockInfo::ACCESS_EXCLUSIVE_SCAN, "ACCESS EXCLUSIVE")
                        };
                        out.push(
                            Hit::new(
                                st.index,
                                format!(
                                    "validating `{name}` in the transaction that added it on line {} scans `{table}` under the {held} lock the ADD still holds",
                                    a.line
                                ),
                            )
                            .span(cx.find_in(st, "validate"))
                            .lock(lock),
                        );
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

    const RULE: &str = "validate-in-same-transaction";

    const FK: &str = "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;";

    #[test]
    fn flags_validate_in_a_wrapped_file() {
        let found = lint_errors(RULE, FK);
        assert_eq!(
            found,
            [
                "2:20 validating `orders_user_fk` in the transaction that added it on line 1 scans `orders` under the SHARE ROW EXCLUSIVE lock the ADD still holds"
            ]
        );
        let d = Case::new(FK).diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold)),
            Some((LockMode::ShareRowExclusive, LockHold::Scan))
        );
    }

    #[test]
    fn flags_validate_in_an_explicit_transaction() {
        let found = lint_errors(
            RULE,
            Case::new(
                "BEGIN;\nALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT age_ok;\nCOMMIT;",
            )
            .runner(Runner::GolangMigrate),
        );
        assert_eq!(
            found,
            [
                "3:19 validating `age_ok` in the transaction that added it on line 2 scans `users` under the ACCESS EXCLUSIVE lock the ADD still holds"
            ]
        );
    }

    #[test]
    fn a_begin_keeps_the_implicit_transaction_going() {
        let sql = "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID;\nBEGIN;\nALTER TABLE users VALIDATE CONSTRAINT age_ok;\nCOMMIT;";
        assert_eq!(
            lint_errors(RULE, Case::new(sql).runner(Runner::GolangMigrate)).len(),
            1
        );
        lint_ok(
            RULE,
            Case::new(sql).runner(Runner::GolangMigrateMultiStatement),
        );
    }

    #[test]
    fn passes_separate_transactions() {
        lint_ok(RULE, Case::new(FK).no_transaction());
        lint_ok(
            RULE,
            Case::new(FK).runner(Runner::GolangMigrateMultiStatement),
        );
        // golang-migrate sends the file as one query: ADD and VALIDATE share its implicit
        // transaction
        assert_eq!(
            lint_errors(RULE, Case::new(FK).runner(Runner::GolangMigrate)).len(),
            1
        );
        lint_ok(
            RULE,
            Case::new(
                "BEGIN;\nALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE users VALIDATE CONSTRAINT age_ok;\nCOMMIT;",
            )
            .runner(Runner::GolangMigrate),
        );
        // another constraint, or another table
        lint_ok(
            RULE,
            "ALTER TABLE users ADD CONSTRAINT a CHECK (age >= 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT b;\nALTER TABLE orders VALIDATE CONSTRAINT a;",
        );
        lint_ok(
            RULE,
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
        );
    }
}
