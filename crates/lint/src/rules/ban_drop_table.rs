//! ## What it does
//! Flags `DROP TABLE` of a table that existed before this change.
//!
//! ## Why is this bad?
//! During a rolling deploy the old code still reads and writes the table; every one of its
//! queries fails once the table is gone, and a rollback to the old code fails the same way.
//! The drop also takes an ACCESS EXCLUSIVE lock on the table.
//!
//! ## Example
//! ```sql
//! DROP TABLE legacy_sessions;
//! ```
//!
//! ## Use instead
//! Stop using the table in code, deploy, then drop it in a **contract** migration.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct BanDropTable;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-table",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::ContractOnly,
    dialects: Dialects::All,
    summary: "DROP TABLE of an existing table breaks the code that still uses it",
    help: "stop using the table in code, deploy, then drop it in a contract migration (soft drop: `migrate plan`)",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/ban-drop-table.md"),
};

impl Rule for BanDropTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::DropTable { tables, .. } = op else {
                continue;
            };
            for table in tables.iter().filter(|t| !cx.is_new_table(t, st.index)) {
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "dropping table `{table}` breaks the running code that still uses it"
                        ),
                    )
                    .span(cx.find_in(st, "drop"))
                    .lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-table";

    #[test]
    fn flags_each_existing_table_in_expand() {
        let found = lint_errors(RULE, "SELECT 1;\nDROP TABLE IF EXISTS sessions, audit.log;");
        assert_eq!(
            found,
            [
                "2:1 dropping table `audit.log` breaks the running code that still uses it",
                "2:1 dropping table `sessions` breaks the running code that still uses it",
            ]
        );
    }

    #[test]
    fn attaches_the_lock() {
        let d = Case::new("DROP TABLE sessions;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        let lock = d.lock.expect("lock attached");
        assert_eq!(lock.mode, crate::lock::LockMode::AccessExclusive);
        assert!(d.help.contains("contract migration"), "{}", d.help);
    }

    #[test]
    fn passes_in_contract_on_new_tables_and_in_down() {
        lint_ok(RULE, Case::new("DROP TABLE sessions;").contract());
        lint_ok(RULE, "CREATE TABLE tmp (a int);\nDROP TABLE tmp;");
        lint_ok(RULE, Case::new("DROP TABLE sessions;").down());
        lint_ok(RULE, "DROP VIEW sessions_v;");
    }

    #[test]
    fn mysql_drop_table() {
        let found = lint_errors(
            RULE,
            Case::new("DROP TABLE IF EXISTS `sessions`, audit;").mariadb("10.11"),
        );
        assert_eq!(found.len(), 2, "{found:?}");
        lint_ok(RULE, Case::new("DROP TABLE sessions;").mysql().contract());
    }
}
