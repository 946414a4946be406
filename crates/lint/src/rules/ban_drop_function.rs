//! ## What it does
//! Flags `DROP FUNCTION` and `DROP PROCEDURE` of a routine that existed before this change.
//!
//! ## Why is this bad?
//! The old code still calls the function (directly, or through a default, trigger or view); those
//! calls fail once it is gone, and a rollback to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! DROP FUNCTION order_total(bigint);
//! ```
//!
//! ## Use instead
//! Stop calling the function in code, deploy, then drop it in a **contract** migration.
//! To change a function, create a new one beside it and switch the code over.
//!
//! A function dropped and created again under its name in the same transaction (to change its
//! return type, which `CREATE OR REPLACE` cannot), with only other functions' drops and
//! creations between, passes: its callers never find it missing. The old code must accept
//! what the new definition returns.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;

use super::drop_existing_except;

pub struct BanDropFunction;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-function",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping an existing function breaks the code that still uses it",
    help: "stop using the function in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-function.md"),
};

impl Rule for BanDropFunction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        drop_existing_except(
            cx,
            &[ObjectKind::Function, ObjectKind::Procedure],
            "breaks the running code that still calls it",
            None,
            out,
            // created again in the same transaction: a replacement
            |st, name| crate::replace::in_one_transaction(cx, st, ObjectKind::Function, name),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-function";

    #[test]
    fn flags_drop_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP FUNCTION order_total(bigint);");
        assert_eq!(
            found,
            ["2:1 dropping function `order_total` breaks the running code that still calls it"]
        );
    }

    #[test]
    fn passes_in_contract_in_down_and_when_created_in_the_script() {
        lint_ok(
            RULE,
            Case::new("DROP FUNCTION order_total(bigint);").contract(),
        );
        lint_ok(RULE, Case::new("DROP FUNCTION order_total(bigint);").down());
        lint_ok(
            RULE,
            "CREATE FUNCTION order_total(id bigint) RETURNS int LANGUAGE sql AS 'SELECT 1';\nDROP FUNCTION order_total(bigint);",
        );
        lint_ok(RULE, "DROP VIEW v;");
    }

    #[test]
    fn passes_a_replacement_in_one_transaction() {
        let replace = "DROP FUNCTION order_total(bigint);\nCREATE FUNCTION order_total(id bigint) RETURNS numeric LANGUAGE sql AS 'SELECT 1.0';";
        lint_ok(RULE, replace);
        // autocommit: callers can find it missing between the two
        assert_eq!(
            lint_errors(
                RULE,
                Case::new(replace).runner(crate::settings::Runner::GolangMigrateMultiStatement)
            )
            .len(),
            1
        );
    }
}
