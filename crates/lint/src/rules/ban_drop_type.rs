//! ## What it does
//! Flags `DROP TYPE` of a type that existed before this change.
//!
//! ## Why is this bad?
//! The old code still casts to the type or writes its values; those statements fail once it is
//! gone, and a rollback to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! DROP TYPE order_status;
//! ```
//!
//! ## Use instead
//! Stop using the type in code, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;

use super::drop_existing;

pub struct BanDropType;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-type",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping an existing type breaks the code that still uses it",
    help: "stop using the type in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-type.md"),
};

impl Rule for BanDropType {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        drop_existing(
            cx,
            &[ObjectKind::Type],
            "breaks the running code that still uses it",
            None,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-type";

    #[test]
    fn flags_drop_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP TYPE order_status;");
        assert_eq!(
            found,
            ["2:1 dropping type `order_status` breaks the running code that still uses it"]
        );
    }

    #[test]
    fn passes_in_contract_in_down_and_when_created_in_the_script() {
        lint_ok(RULE, Case::new("DROP TYPE order_status;").contract());
        lint_ok(RULE, Case::new("DROP TYPE order_status;").down());
        lint_ok(
            RULE,
            "CREATE TYPE order_status AS ENUM ('new', 'paid');\nDROP TYPE order_status;",
        );
        lint_ok(RULE, "DROP DOMAIN d;");
    }
}
