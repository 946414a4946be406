//! ## What it does
//! Flags `ALTER COLUMN .. DROP NOT NULL` on an existing table; on MySQL, a `MODIFY` /
//! `CHANGE` that leaves out the `NOT NULL` of a column the catalog knows to be NOT NULL (MySQL
//! replaces the whole definition, so the column becomes nullable).
//!
//! ## Why is this bad?
//! Once the column accepts NULL, new code may write NULLs; the old code, still running during the
//! deploy (and again after a rollback), assumes the column always has a value and breaks on them.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
//! ```
//!
//! ## Use instead
//! First ship code that handles NULL in the column everywhere it is read, then drop the
//! constraint.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct BanDropNotNull;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-not-null",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "DROP NOT NULL lets new code write NULLs that the running code cannot handle",
    help: "keep the column NOT NULL until no running code reads it; or make every reader handle NULL first",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-not-null.md"),
};

impl Rule for BanDropNotNull {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::RedefineColumn { table, column } = op
                && !column.not_null
                && !column.primary_key
                && !cx.is_new_table(table, st.index)
                && mysql::column_before(cx, st, table, &column.name).is_some_and(|c| c.not_null)
            {
                let span = ["modify", "change"]
                    .iter()
                    .map(|k| cx.find_in(st, k))
                    .find(|r| *r != st.range)
                    .unwrap_or(st.range.clone());
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "this redefinition of column `{}` of `{table}` leaves out NOT NULL, so the column becomes nullable: new writes may store NULLs the running code does not expect",
                            column.name
                        ),
                    )
                    .span(span)
                    .help("repeat `NOT NULL` in the MODIFY / CHANGE definition, unless every reader handles NULL already")
                    .lock(exclusive(cx, LockHold::Rewrite)),
                );
            }
            if let Operation::DropNotNull { table, column, .. } = op
                && !cx.is_new_table(table, st.index)
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!("dropping NOT NULL on column `{column}` of `{table}` lets new writes store NULLs the running code does not expect"),
                    )
                    .span(cx.find_in(st, "drop not null")).lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-not-null";

    #[test]
    fn flags_drop_not_null() {
        assert_eq!(
            lint_errors(RULE, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;"),
            [
                "1:38 dropping NOT NULL on column `email` of `users` lets new writes store NULLs the running code does not expect"
            ]
        );
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE users ALTER email DROP NOT NULL;").contract()
            )
            .len(),
            1
        );
    }

    #[test]
    fn passes_on_new_tables_and_other_changes() {
        lint_ok(
            RULE,
            "CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
        );
        lint_ok(RULE, "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';");
    }

    #[test]
    fn mysql_modify_that_leaves_out_not_null() {
        let history =
            "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL, bio TEXT)";
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users MODIFY email VARCHAR(200);")
                .mysql()
                .history(history),
        );
        assert_eq!(
            found,
            [
                "1:19 this redefinition of column `email` of `users` leaves out NOT NULL, so the column becomes nullable: new writes may store NULLs the running code does not expect"
            ]
        );
        for sql in [
            "ALTER TABLE users MODIFY email VARCHAR(200) NOT NULL;",
            "ALTER TABLE users MODIFY bio MEDIUMTEXT;",
            "ALTER TABLE users MODIFY unknown_col INT;",
        ] {
            lint_ok(RULE, Case::new(sql).mariadb("10.11").history(history));
        }
    }
}
