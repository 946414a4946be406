//! ## What it does
//! Flags `DROP SEQUENCE` of a sequence that existed before this change.
//!
//! ## Why is this bad?
//! The old code (or a column default) still calls `nextval()` on the sequence; those inserts fail
//! once it is gone, and a rollback to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! DROP SEQUENCE invoice_numbers;
//! ```
//!
//! ## Use instead
//! Stop using the sequence in code and defaults, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;

use super::{drop_existing, exclusive};

pub struct BanDropSequence;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-sequence",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping an existing sequence breaks the code that still uses it",
    help: "stop using the sequence in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-sequence.md"),
};

impl Rule for BanDropSequence {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        drop_existing(
            cx,
            &[ObjectKind::Sequence],
            "breaks the running code that still takes values from it",
            Some(exclusive(cx, LockHold::Brief)),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-sequence";

    #[test]
    fn flags_drop_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP SEQUENCE invoice_numbers;");
        assert_eq!(
            found,
            [
                "2:1 dropping sequence `invoice_numbers` breaks the running code that still takes values from it"
            ]
        );
    }

    #[test]
    fn passes_in_contract_in_down_and_when_created_in_the_script() {
        lint_ok(RULE, Case::new("DROP SEQUENCE invoice_numbers;").contract());
        lint_ok(RULE, Case::new("DROP SEQUENCE invoice_numbers;").down());
        lint_ok(
            RULE,
            "CREATE SEQUENCE invoice_numbers;\nDROP SEQUENCE invoice_numbers;",
        );
        lint_ok(RULE, "DROP TYPE t;");
    }
}
