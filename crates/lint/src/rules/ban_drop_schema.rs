//! ## What it does
//! Flags `DROP SCHEMA` of a schema that existed before this change.
//!
//! ## Why is this bad?
//! The old code still queries the tables, views and functions in the schema; every one of those
//! queries fails once the schema is gone, and a rollback to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! DROP SCHEMA reporting CASCADE;
//! ```
//!
//! ## Use instead
//! Stop using the schema in code, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;

use super::drop_existing;

pub struct BanDropSchema;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-schema",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping an existing schema breaks the code that still uses it",
    help: "stop using the schema in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-schema.md"),
};

impl Rule for BanDropSchema {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        drop_existing(
            cx,
            &[ObjectKind::Schema],
            "breaks the running code that still uses the objects in it",
            None,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-schema";

    #[test]
    fn flags_drop_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP SCHEMA reporting CASCADE;");
        assert_eq!(
            found,
            [
                "2:1 dropping schema `reporting` breaks the running code that still uses the objects in it"
            ]
        );
    }

    #[test]
    fn passes_in_contract_in_down_and_when_created_in_the_script() {
        lint_ok(RULE, Case::new("DROP SCHEMA reporting CASCADE;").contract());
        lint_ok(RULE, Case::new("DROP SCHEMA reporting CASCADE;").down());
        lint_ok(
            RULE,
            "CREATE SCHEMA reporting;\nDROP SCHEMA reporting CASCADE;",
        );
        lint_ok(RULE, "DROP TABLE reporting.t;");
    }
}
