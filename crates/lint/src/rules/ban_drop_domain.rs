//! ## What it does
//! Flags `DROP DOMAIN` of a domain that existed before this change.
//!
//! ## Why is this bad?
//! The old code still casts to the domain; those statements fail once it is gone, and a rollback
//! to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! DROP DOMAIN email_address;
//! ```
//!
//! ## Use instead
//! Stop using the domain in code, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;

use super::drop_existing;

pub struct BanDropDomain;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-domain",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping an existing domain breaks the code that still uses it",
    help: "stop using the domain in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-domain.md"),
};

impl Rule for BanDropDomain {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        drop_existing(
            cx,
            &[ObjectKind::Domain],
            "breaks the running code that still uses it",
            None,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-domain";

    #[test]
    fn flags_drop_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP DOMAIN email_address;");
        assert_eq!(
            found,
            ["2:1 dropping domain `email_address` breaks the running code that still uses it"]
        );
    }

    #[test]
    fn passes_in_contract_in_down_and_when_created_in_the_script() {
        lint_ok(RULE, Case::new("DROP DOMAIN email_address;").contract());
        lint_ok(RULE, Case::new("DROP DOMAIN email_address;").down());
        lint_ok(
            RULE,
            "CREATE DOMAIN email_address AS text;\nDROP DOMAIN email_address;",
        );
        lint_ok(RULE, "DROP SCHEMA s;");
    }
}
