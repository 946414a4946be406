//! ## What it does
//! Flags `ALTER TABLE .. ALTER COLUMN .. SET NOT NULL` on an existing table outside a
//! contract migration.
//!
//! ## Why is this bad?
//! The old code may still write NULL into the column and starts failing. PostgreSQL also
//! scans the whole table to prove there is no NULL, holding ACCESS EXCLUSIVE (reads and
//! writes blocked) for the whole scan.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ALTER COLUMN email SET NOT NULL;
//! ```
//!
//! ## Use instead
//! In a contract migration: `ADD CONSTRAINT .. CHECK (email IS NOT NULL) NOT VALID`,
//! `VALIDATE CONSTRAINT`, `SET NOT NULL` (no scan on PostgreSQL 12+ given the validated
//! check), drop the check. `migrate plan` writes it.

use crate::lint::context::ScriptCx;
use crate::lint::lock::LockHold;
use crate::lint::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use crate::sql::Operation;

use super::exclusive;

pub struct AddingNotNullableField;

static META: RuleMeta = RuleMeta {
    id: "adding-not-nullable-field",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "SET NOT NULL on an existing column outside a contract migration",
    help: "in a contract migration: CHECK (col IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL, drop the check: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../lint-rules/adding-not-nullable-field.md"),
};

impl Rule for AddingNotNullableField {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::SetNotNull { table, column } = op
                && !cx.is_new_table(table, st.index)
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "setting column `{column}` of `{table}` NOT NULL breaks the running code that still writes NULL, and scans the table under an exclusive lock"
                        ),
                    )
                    .span(cx.find_in(st, "set not null"))
                    .lock(exclusive(cx, LockHold::Scan)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "adding-not-nullable-field";

    #[test]
    fn flags_set_not_null_in_expand() {
        let found = lint_errors(
            RULE,
            "SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
        assert_eq!(
            found,
            [
                "2:38 setting column `email` of `users` NOT NULL breaks the running code that still writes NULL, and scans the table under an exclusive lock"
            ]
        );
    }

    #[test]
    fn passes_in_contract_and_on_new_tables() {
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ALTER COLUMN email SET NOT NULL;").contract(),
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
        );
        lint_ok(RULE, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;");
    }
}
