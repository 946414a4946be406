//! ## What it does
//! Flags `ALTER TABLE .. RENAME TO` and MySQL `RENAME TABLE` of an existing table.
//!
//! ## Why is this bad?
//! The old code still queries the table by its old name and fails as soon as the rename
//! commits; a rollback to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users RENAME TO accounts;
//! ```
//!
//! ## Use instead
//! Rename and create a view with the old name in an expand migration (PostgreSQL: a simple
//! view is updatable, so old code keeps reading and writing through it), drop the view in a
//! contract migration. `migrate plan` writes both.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct RenamingTable;

static META: RuleMeta = RuleMeta {
    id: "renaming-table",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "renaming a table breaks the running code that still uses the old name",
    help: "rename and create a compatibility view with the old name, drop the view in a contract migration: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/renaming-table.md"),
};

impl Rule for RenamingTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::RenameTable { from, to } = op
                && !cx.is_new_table(from, st.index)
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "renaming table `{from}` to `{to}` breaks the running code that still uses the old name"
                        ),
                    )
                    .span(cx.find_in(st, "rename"))
                    .lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "renaming-table";

    #[test]
    fn flags_alter_table_rename_to() {
        let found = lint_errors(RULE, "ALTER TABLE users RENAME TO accounts;");
        assert_eq!(
            found,
            [
                "1:19 renaming table `users` to `accounts` breaks the running code that still uses the old name"
            ]
        );
    }

    #[test]
    fn flags_mysql_rename_table() {
        let found = lint_errors(RULE, Case::new("RENAME TABLE users TO accounts;").mysql());
        assert_eq!(
            found,
            [
                "1:1 renaming table `users` to `accounts` breaks the running code that still uses the old name"
            ]
        );
    }

    #[test]
    fn passes_on_new_tables_and_column_renames() {
        lint_ok(RULE, "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;");
        lint_ok(RULE, "ALTER TABLE users RENAME COLUMN a TO b;");
        lint_ok(
            RULE,
            Case::new("ALTER TABLE accounts RENAME TO users;").down(),
        );
    }

    #[test]
    fn mysql_alter_table_rename_and_new_tables() {
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users RENAME TO accounts;").mariadb("10.11"),
        );
        let found = lint_errors(RULE, Case::new("RENAME TABLE a TO b, c TO d;").mysql());
        assert_eq!(found.len(), 2, "{found:?}");
        lint_ok(
            RULE,
            Case::new("CREATE TABLE t (a INT);\nRENAME TABLE t TO u;").mysql(),
        );
    }
}
