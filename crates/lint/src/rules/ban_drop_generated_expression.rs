//! ## What it does
//! Flags `ALTER COLUMN .. DROP EXPRESSION` on an existing table.
//!
//! ## Why is this bad?
//! The column stops being computed: new rows written by the running code (which never writes a
//! generated column) get NULL in it, and readers that trusted the computed value get wrong data.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ALTER COLUMN total DROP EXPRESSION;
//! ```
//!
//! ## Use instead
//! Add a plain column beside the generated one, backfill it, move the code over, and drop the
//! generated column in a **contract** migration.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct BanDropGeneratedExpression;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-generated-expression",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "DROP EXPRESSION turns a generated column into a plain one the running code never writes",
    help: "keep the generated column until no running code reads it; add a plain column beside it instead",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-generated-expression.md"),
};

impl Rule for BanDropGeneratedExpression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::DropExpression { table, column, .. } = op
                && !cx.is_new_table(table, st.index)
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!("dropping the generation expression of column `{column}` of `{table}` leaves it NULL in the rows the running code inserts from now on"),
                    )
                    .span(cx.find_in(st, "drop expression")).lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "ban-drop-generated-expression";

    #[test]
    fn flags_drop_expression() {
        assert_eq!(
            lint_errors(
                RULE,
                "SELECT 1;\nALTER TABLE orders ALTER COLUMN total DROP EXPRESSION;"
            ),
            [
                "2:39 dropping the generation expression of column `total` of `orders` leaves it NULL in the rows the running code inserts from now on"
            ]
        );
    }

    #[test]
    fn passes_on_new_tables() {
        lint_ok(
            RULE,
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);\nALTER TABLE t ALTER COLUMN b DROP EXPRESSION;",
        );
        lint_ok(RULE, "ALTER TABLE orders ALTER COLUMN total DROP DEFAULT;");
    }
}
