//! ## What it does
//! Flags `ALTER COLUMN .. ADD GENERATED .. AS IDENTITY`, `SET GENERATED`, `DROP IDENTITY` and
//! `RESTART` on an existing table.
//!
//! ## Why is this bad?
//! The running code's inserts depend on the column's identity: with `GENERATED ALWAYS` an insert
//! that supplies the id fails, without an identity one that omits it fails (or gets NULL), and
//! `RESTART` can hand out ids that already exist.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ALTER COLUMN id DROP IDENTITY;
//! ```
//!
//! ## Use instead
//! Decide the identity when the column is created. To change it, add a new column beside the old
//! one and move the code over.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct BanAlterIdentity;

static META: RuleMeta = RuleMeta {
    id: "ban-alter-identity",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "changing a column's identity changes how the running code's inserts get their ids",
    help: "add identity only to new columns; leave existing identity columns unchanged while old code runs",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-alter-identity.md"),
};

impl Rule for BanAlterIdentity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::AlterIdentity { table, column, .. } = op
                && !cx.is_new_table(table, st.index)
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!("changing the identity of column `{column}` of `{table}` changes how the running code's inserts get their values"),
                    )
                    .span(cx.find_in(st, "alter column")).lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "ban-alter-identity";

    #[test]
    fn flags_identity_changes() {
        assert_eq!(
            lint_errors(
                RULE,
                "ALTER TABLE orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;\nALTER TABLE orders ALTER COLUMN id DROP IDENTITY;"
            ),
            [
                "1:20 changing the identity of column `id` of `orders` changes how the running code's inserts get their values",
                "2:20 changing the identity of column `id` of `orders` changes how the running code's inserts get their values",
            ]
        );
    }

    #[test]
    fn passes_on_new_tables() {
        lint_ok(
            RULE,
            "CREATE TABLE t (id bigint);\nALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;",
        );
        lint_ok(RULE, "ALTER TABLE orders ALTER COLUMN id SET NOT NULL;");
    }
}
