//! ## What it does
//! Flags `ALTER COLUMN .. DROP DEFAULT` on a NOT NULL column of an existing table (as the
//! schema catalog knows it, or made NOT NULL earlier in the change).
//!
//! ## Why is this bad?
//! The running code may insert rows without naming the column, relying on the default. Once
//! the default is gone those inserts fail with a NOT NULL violation.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;
//! ```
//!
//! ## Use instead
//! Ship code that always writes the column, then drop the default in a contract migration.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct BanDropDefault;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-default",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "DROP DEFAULT on a NOT NULL column breaks running code that inserts without the column",
    help: "ship code that always writes the column, then drop the default in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-default.md"),
};

impl Rule for BanDropDefault {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        // columns made NOT NULL earlier in this script (the catalog may not know the table)
        let mut set_not_null = Vec::new();
        for (st, op) in cx.ops() {
            if let Operation::SetNotNull { table, column } = op {
                set_not_null.push((table, column));
            }
            // MySQL MODIFY / CHANGE without DEFAULT drops the column's default
            if let Operation::RedefineColumn { table, column } = op
                && column.default.is_none()
                && (column.not_null || column.primary_key)
                && !column.serial
                && !cx.is_new_table(table, st.index)
                && mysql::column_before(cx, st, table, &column.name)
                    .is_some_and(|c| c.default.is_some())
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "this redefinition of NOT NULL column `{}` of `{table}` leaves out its DEFAULT, so inserts that omit it fail",
                            column.name
                        ),
                    )
                    .span(cx.find_in(st, &column.name))
                    .help("repeat the `DEFAULT` in the MODIFY / CHANGE definition, or ship code that always writes the column first")
                    .lock(exclusive(cx, LockHold::Rewrite)),
                );
            }
            let Operation::DropDefault { table, column } = op else {
                continue;
            };
            if cx.is_new_table(table, st.index) {
                continue;
            }
            // only a NOT NULL column makes old inserts fail; unknown columns are not guessed at
            let not_null = cx
                .catalog(st.index)
                .column(table, column)
                .is_some_and(|c| c.not_null)
                || set_not_null
                    .iter()
                    .any(|(t, c)| t.matches(table) && *c == column);
            if not_null {
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "dropping the default of NOT NULL column `{column}` of `{table}` makes inserts that omit it fail"
                        ),
                    )
                    .span(cx.find_in(st, "drop default"))
                    .lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-default";

    const HISTORY: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'placed', note text DEFAULT '');";

    #[test]
    fn flags_not_null_column_from_history() {
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;").history(HISTORY),
        );
        assert_eq!(
            found,
            [
                "1:40 dropping the default of NOT NULL column `status` of `orders` makes inserts that omit it fail"
            ]
        );
    }

    #[test]
    fn passes_nullable_unknown_contract_and_new() {
        lint_ok(
            RULE,
            Case::new("ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;").history(HISTORY),
        );
        lint_ok(
            RULE,
            "ALTER TABLE unknown_table ALTER COLUMN x DROP DEFAULT;",
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;")
                .history(HISTORY)
                .contract(),
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int NOT NULL DEFAULT 1);\nALTER TABLE t ALTER COLUMN a DROP DEFAULT;",
        );
    }

    #[test]
    fn mysql_modify_that_leaves_out_the_default() {
        let history = "CREATE TABLE orders (id BIGINT PRIMARY KEY, status VARCHAR(20) NOT NULL DEFAULT 'placed', note TEXT)";
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE orders MODIFY status VARCHAR(30) NOT NULL;")
                .mysql()
                .history(history),
        );
        assert_eq!(
            found,
            [
                "1:27 this redefinition of NOT NULL column `status` of `orders` leaves out its DEFAULT, so inserts that omit it fail"
            ]
        );
        for sql in [
            "ALTER TABLE orders MODIFY status VARCHAR(30) NOT NULL DEFAULT 'placed';",
            "ALTER TABLE orders MODIFY note MEDIUMTEXT;",
        ] {
            lint_ok(RULE, Case::new(sql).mysql().history(history));
        }
        lint_ok(
            RULE,
            Case::new("ALTER TABLE orders MODIFY status VARCHAR(30) NOT NULL;")
                .mysql()
                .history(history)
                .contract(),
        );
    }
}
