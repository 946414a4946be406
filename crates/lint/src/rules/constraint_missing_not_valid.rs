//! ## What it does
//! Flags `ADD CONSTRAINT .. CHECK` and `.. FOREIGN KEY` on an existing table without
//! `NOT VALID`, and `ADD COLUMN .. REFERENCES` (an inline foreign key, always validated).
//!
//! ## Why is this bad?
//! PostgreSQL validates the new constraint against every row while holding the lock: a CHECK
//! holds ACCESS EXCLUSIVE (reads and writes blocked) for the whole scan; a FOREIGN KEY holds
//! SHARE ROW EXCLUSIVE on *both* tables (writes to either blocked) for the whole scan.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
//! ```
//!
//! ## Use instead
//! Add it `NOT VALID` (brief lock, new rows checked), then `VALIDATE CONSTRAINT` in a separate
//! transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan).

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{ConstraintKind, ObjName};

pub struct ConstraintMissingNotValid;

static META: RuleMeta = RuleMeta {
    id: "constraint-missing-not-valid",
    aliases: &["adding-foreign-key-constraint"],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "ADD CONSTRAINT CHECK / FOREIGN KEY without NOT VALID scans an existing table under a blocking lock",
    help: "add the constraint `NOT VALID`, then `VALIDATE CONSTRAINT` in a separate transaction",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/constraint-missing-not-valid.md"),
};

const FK_LOCK: LockInfo = LockInfo::new(LockMode::ShareRowExclusive, LockHold::Scan);

impl Rule for ConstraintMissingNotValid {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            match op {
                Operation::AddConstraint { table, constraint }
                    if !constraint.not_valid && !cx.is_new_table(table, st.index) =>
                {
                    let name = constraint
                        .name
                        .as_ref()
                        .map_or_else(String::new, |n| format!(" `{n}`"));
                    let (msg, lock, needle) = match constraint.kind {
                        ConstraintKind::Check => (
                            format!(
                                "adding CHECK constraint{name} to `{table}` without NOT VALID scans the whole table while blocking its reads and writes"
                            ),
                            LockInfo::ACCESS_EXCLUSIVE_SCAN,
                            "check",
                        ),
                        ConstraintKind::ForeignKey => (
                            format!(
                                "adding foreign key{name} to `{table}` without NOT VALID scans it while blocking writes to {}",
                                both(table, constraint.references.as_ref())
                            ),
                            FK_LOCK,
                            "foreign",
                        ),
                        _ => continue,
                    };
                    let span = match &constraint.name {
                        Some(_) => cx.find_in(st, "constraint"),
                        None => cx.find_in(st, needle),
                    };
                    out.push(Hit::new(st.index, msg).span(span).lock(lock));
                }
                Operation::AddColumn { table, column, .. }
                    if column.references.is_some() && !cx.is_new_table(table, st.index) =>
                {
                    out.push(
                        Hit::new(
                            st.index,
                            format!(
                                "adding column `{}` with an inline REFERENCES validates the foreign key while blocking writes to {}",
                                column.name,
                                both(table, column.references.as_ref())
                            ),
                        )
                        .span(cx.find_in(st, "references"))
                        .lock(FK_LOCK)
                        .help("add the column without REFERENCES, then `ADD CONSTRAINT .. FOREIGN KEY .. NOT VALID` and `VALIDATE CONSTRAINT` in a separate transaction"),
                    );
                }
                _ => {}
            }
        }
    }
}

/// "`orders` and `users`" (or just "`orders`" for a self-reference).
fn both(table: &ObjName, referenced: Option<&ObjName>) -> String {
    match referenced {
        Some(r) if !r.matches(table) => format!("`{table}` and `{r}`"),
        _ => format!("`{table}`"),
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::LockMode;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "constraint-missing-not-valid";

    #[test]
    fn flags_foreign_key_on_both_tables() {
        let sql = "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);";
        let found = lint_errors(RULE, sql);
        assert_eq!(
            found,
            [
                "1:24 adding foreign key `orders_user_fk` to `orders` without NOT VALID scans it while blocking writes to `orders` and `users`"
            ]
        );
        let d = Case::new(sql).diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(lock.map(|l| l.mode), Some(LockMode::ShareRowExclusive));
    }

    #[test]
    fn flags_check_and_inline_references() {
        let found = lint_errors(
            RULE,
            "ALTER TABLE users ADD CHECK (age >= 0);\nALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);",
        );
        assert_eq!(
            found,
            [
                "1:23 adding CHECK constraint to `users` without NOT VALID scans the whole table while blocking its reads and writes",
                "2:46 adding column `user_id` with an inline REFERENCES validates the foreign key while blocking writes to `orders` and `users`",
            ]
        );
    }

    #[test]
    fn alias_is_honoured_in_ignores() {
        lint_ok(
            RULE,
            "-- squawk-ignore adding-foreign-key-constraint\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);",
        );
    }

    #[test]
    fn passes_not_valid_new_tables_and_unique() {
        lint_ok(
            RULE,
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;",
        );
        lint_ok(
            RULE,
            "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID;",
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int, u bigint);\nALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id);",
        );
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN note text;");
    }
}
