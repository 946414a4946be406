//! ## What it does
//! Flags `DROP EXTENSION` of an extension that existed before this change.
//!
//! ## Why is this bad?
//! The old code still calls the functions and uses the types and operators the extension
//! provides; those statements fail once it is gone, and a rollback to the old code fails the
//! same way.
//!
//! ## Example
//! ```sql
//! DROP EXTENSION pg_trgm;
//! ```
//!
//! ## Use instead
//! Stop using the extension in code, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;

use super::drop_existing;

pub struct BanDropExtension;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-extension",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping an existing extension breaks the code that still uses it",
    help: "stop using the extension in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-extension.md"),
};

impl Rule for BanDropExtension {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        drop_existing(
            cx,
            &[ObjectKind::Extension],
            "breaks the running code that still uses its types and functions",
            None,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-extension";

    #[test]
    fn flags_drop_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP EXTENSION pg_trgm;");
        assert_eq!(
            found,
            [
                "2:1 dropping extension `pg_trgm` breaks the running code that still uses its types and functions"
            ]
        );
    }

    #[test]
    fn passes_in_contract_in_down_and_when_created_in_the_script() {
        lint_ok(RULE, Case::new("DROP EXTENSION pg_trgm;").contract());
        lint_ok(RULE, Case::new("DROP EXTENSION pg_trgm;").down());
        lint_ok(RULE, "CREATE EXTENSION pg_trgm;\nDROP EXTENSION pg_trgm;");
        lint_ok(RULE, "DROP FUNCTION f();");
    }
}
