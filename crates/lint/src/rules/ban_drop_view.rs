//! ## What it does
//! Flags `DROP VIEW` and `DROP MATERIALIZED VIEW` of a view that existed before this change.
//!
//! ## Why is this bad?
//! The old code still queries the view and fails as soon as it is gone; a rollback to the old
//! code fails the same way. The drop takes an ACCESS EXCLUSIVE lock on the view.
//!
//! ## Example
//! ```sql
//! DROP VIEW active_users;
//! ```
//!
//! ## Use instead
//! Stop using the view in code, deploy, then drop it in a **contract** migration.
//!
//! A view dropped and created again in the same transaction, the new definition keeping
//! every column of the old one, is a replacement the running code can read (only other views'
//! drops and creations between the two): it passes.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;

use super::{drop_existing_except, exclusive};

pub struct BanDropView;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-view",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "dropping an existing view breaks the code that still uses it",
    help: "stop using the view in code, deploy, then drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-view.md"),
};

impl Rule for BanDropView {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        drop_existing_except(
            cx,
            &[ObjectKind::View, ObjectKind::MaterializedView],
            "breaks the running code that still queries it",
            Some(exclusive(cx, LockHold::Brief)),
            out,
            // created again in the same transaction with every old column: a replacement
            |st, name| crate::replace::in_one_transaction(cx, st, ObjectKind::View, name),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-view";

    #[test]
    fn flags_drop_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP VIEW active_users;");
        assert_eq!(
            found,
            ["2:1 dropping view `active_users` breaks the running code that still queries it"]
        );
    }

    #[test]
    fn passes_in_contract_in_down_and_when_created_in_the_script() {
        lint_ok(RULE, Case::new("DROP VIEW active_users;").contract());
        lint_ok(RULE, Case::new("DROP VIEW active_users;").down());
        lint_ok(
            RULE,
            "CREATE VIEW active_users AS SELECT 1;\nDROP VIEW active_users;",
        );
        lint_ok(RULE, "DROP TABLE IF EXISTS x CASCADE;");
    }

    #[test]
    fn passes_a_replacement_in_one_transaction_that_keeps_every_column() {
        let history = "CREATE TABLE t (id int, a text);\nCREATE VIEW v AS SELECT * FROM t;";
        let replace =
            "ALTER TABLE t ADD COLUMN b text;\nDROP VIEW v;\nCREATE VIEW v AS SELECT * FROM t;";
        lint_ok(RULE, Case::new(replace).history(history));
        let multi = Runner::GolangMigrateMultiStatement;
        lint_ok(
            RULE,
            Case::new(&format!("BEGIN;\n{replace}\nCOMMIT;"))
                .history(history)
                .runner(multi),
        );
        // autocommit: the view is missing between the two statements
        assert_eq!(
            lint_errors(RULE, Case::new(replace).history(history).runner(multi)),
            ["2:1 dropping view `v` breaks the running code that still queries it"]
        );
        // a column of the old view gone
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("DROP VIEW v;\nCREATE VIEW v AS SELECT id FROM t;").history(history)
            ),
            ["1:1 dropping view `v` breaks the running code that still queries it"]
        );
        // not created again
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("DROP VIEW v;\nCREATE VIEW w AS SELECT * FROM t;").history(history)
            ),
            ["1:1 dropping view `v` breaks the running code that still queries it"]
        );
    }

    #[test]
    fn flags_materialized_views_with_the_lock() {
        assert_eq!(
            lint_errors(RULE, "DROP MATERIALIZED VIEW IF EXISTS daily_totals;"),
            [
                "1:1 dropping materialized view `daily_totals` breaks the running code that still queries it"
            ]
        );
        let d = Case::new("DROP VIEW active_users;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        let lock = d.lock.expect("lock attached");
        assert_eq!(lock.mode, crate::lock::LockMode::AccessExclusive);
    }
}
