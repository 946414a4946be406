//! ## What it does
//! Flags `ALTER TABLE .. DROP CONSTRAINT` (CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY) on an existing
//! table.
//!
//! ## Why is this bad?
//! The running code may rely on what the constraint guarantees (`ON CONFLICT` on a unique key,
//! cascading deletes, values it never validates itself). Once it is gone new writes can break that
//! guarantee, and putting the constraint back on a rollback fails on those rows.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
//! ```
//!
//! ## Use instead
//! Stop relying on the constraint in code, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct BanDropConstraint;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-constraint",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping a constraint removes a guarantee that running code may rely on",
    help: "stop relying on the constraint in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-constraint.md"),
};

impl Rule for BanDropConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::DropConstraint { table, name, .. } = op
                && !cx.is_new_table(table, st.index)
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!("dropping constraint `{name}` of `{table}` removes a guarantee the running code may rely on, and rows written without it can block re-adding it"),
                    )
                    .span(cx.find_in(st, "drop")).lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-constraint";

    #[test]
    fn flags_drop_constraint_in_expand() {
        assert_eq!(
            lint_errors(
                RULE,
                "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_check;"
            ),
            [
                "1:20 dropping constraint `orders_total_check` of `orders` removes a guarantee the running code may rely on, and rows written without it can block re-adding it"
            ]
        );
    }

    #[test]
    fn passes_in_contract_on_new_tables_and_in_down() {
        lint_ok(
            RULE,
            Case::new("ALTER TABLE orders DROP CONSTRAINT orders_total_check;").contract(),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE orders DROP CONSTRAINT orders_total_check;").down(),
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int CONSTRAINT c CHECK (a > 0));\nALTER TABLE t DROP CONSTRAINT c;",
        );
    }

    #[test]
    fn mysql_drop_foreign_key_check_and_primary_key() {
        for sql in [
            "ALTER TABLE orders DROP FOREIGN KEY orders_user_fk;",
            "ALTER TABLE orders DROP CHECK positive_total;",
            "ALTER TABLE orders DROP PRIMARY KEY;",
        ] {
            lint_errors(RULE, Case::new(sql).mysql());
            lint_ok(RULE, Case::new(sql).mariadb("10.11").contract());
        }
    }
}
