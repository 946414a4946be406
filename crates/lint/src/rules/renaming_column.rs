//! ## What it does
//! Flags `ALTER TABLE .. RENAME COLUMN` (and MySQL `CHANGE old new`) on an existing table.
//!
//! ## Why is this bad?
//! While the new code rolls out, the old code still uses the old name and fails as soon as
//! the rename commits; a rollback to the old code fails the same way. The rename itself takes
//! a brief ACCESS EXCLUSIVE lock.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users RENAME COLUMN name TO full_name;
//! ```
//!
//! ## Use instead
//! Expand/contract: add the new column, keep both in sync with a trigger, backfill, switch the
//! code, and drop the old column in a contract migration. `migrate plan` writes all of it.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct RenamingColumn;

static META: RuleMeta = RuleMeta {
    id: "renaming-column",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "RENAME COLUMN breaks the running code that still uses the old name",
    help: "add the new column with a sync trigger and a backfill, drop the old one in a contract migration: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/renaming-column.md"),
};

impl Rule for RenamingColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::RenameColumn { table, from, to } = op
                && !cx.is_new_table(table, st.index)
            {
                let keyword = if cx.find_in(st, "rename") == st.range {
                    "change"
                } else {
                    "rename"
                };
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "renaming column `{from}` of `{table}` to `{to}` breaks the running code that still uses the old name"
                        ),
                    )
                    .span(cx.find_in(st, keyword))
                    .lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "renaming-column";

    #[test]
    fn flags_rename_column() {
        let found = lint_errors(RULE, "ALTER TABLE users RENAME COLUMN name TO full_name;");
        assert_eq!(
            found,
            [
                "1:19 renaming column `name` of `users` to `full_name` breaks the running code that still uses the old name"
            ]
        );
    }

    #[test]
    fn flags_in_contract_too() {
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users RENAME COLUMN name TO full_name;").contract(),
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn flags_mysql_rename_and_change() {
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users RENAME COLUMN name TO full_name;").mysql(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users CHANGE name full_name varchar(100);").mysql(),
        );
        assert_eq!(
            found,
            [
                "1:19 renaming column `name` of `users` to `full_name` breaks the running code that still uses the old name"
            ]
        );
    }

    #[test]
    fn passes_on_new_tables_and_other_renames() {
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;",
        );
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN full_name text;");
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users RENAME COLUMN full_name TO name;").down(),
        );
    }
}
