//! ## What it does
//! Flags `ALTER TABLE .. DROP COLUMN` on a table that existed before this change.
//!
//! ## Why is this bad?
//! During a rolling deploy the old code still selects and inserts the column; it fails as
//! soon as the column is gone. The statement also takes an ACCESS EXCLUSIVE lock.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users DROP COLUMN nickname;
//! ```
//!
//! ## Use instead
//! Stop using the column in code, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::lock::LockInfo;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct BanDropColumn;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-column",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "DROP COLUMN on an existing table breaks the code that still reads it",
    help: "stop using the column in code, deploy, then drop it in a contract migration (soft drop: `migrate plan`)",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/ban-drop-column.md"),
};

impl Rule for BanDropColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::DropColumn { table, column, .. } = op
                && !cx.is_new_table(table, st.index)
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!("dropping column `{column}` of `{table}` breaks the running code that still uses it"),
                    )
                    .span(cx.find_in(st, "drop"))
                    .lock(LockInfo::ACCESS_EXCLUSIVE_BRIEF),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-column";

    #[test]
    fn flags_drop_column_in_expand() {
        let found = lint_errors(RULE, "ALTER TABLE users DROP COLUMN nickname;");
        assert_eq!(
            found,
            [
                "1:19 dropping column `nickname` of `users` breaks the running code that still uses it"
            ]
        );
    }

    #[test]
    fn passes_in_contract_and_on_new_tables() {
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;").contract(),
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;",
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;").down(),
        );
    }

    #[test]
    fn ignore_comment_suppresses() {
        lint_ok(
            RULE,
            "-- sluice:ignore ban-drop-column -- unused since v12\nALTER TABLE users DROP COLUMN nickname;",
        );
        lint_ok(
            RULE,
            "ALTER TABLE users DROP COLUMN nickname; -- squawk-ignore ban-drop-column",
        );
    }

    #[test]
    fn mysql_drop_column() {
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname, ALGORITHM=INSTANT;").mysql(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("`nickname` of `users`"), "{found:?}");
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users DROP nickname;").mariadb("10.11"),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .mariadb("10.11")
                .contract(),
        );
        lint_ok(
            RULE,
            Case::new("CREATE TABLE t (a INT, b INT);\nALTER TABLE t DROP COLUMN b;").mysql(),
        );
    }
}
