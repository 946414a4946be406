//! ## What it does
//! Flags a `BEGIN` / `START TRANSACTION` with no `COMMIT` or `ROLLBACK` after it in the file.
//!
//! ## Why is this bad?
//! The transaction stays open after the file ends: depending on the runner its changes are
//! silently rolled back when the connection closes, or committed together with whatever runs
//! next, and every lock it took is held until then.
//!
//! ## Example
//! ```sql
//! BEGIN;
//! ALTER TABLE users ADD COLUMN nickname text;
//! ```
//!
//! ## Use instead
//! End the transaction in the same file with `COMMIT`.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::TxControl;

pub struct BanUncommittedTransaction;

static META: RuleMeta = RuleMeta {
    id: "ban-uncommitted-transaction",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "BEGIN without COMMIT or ROLLBACK by the end of the file",
    help: "end the transaction with `COMMIT;` in the same file",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-uncommitted-transaction.md"),
};

impl Rule for BanUncommittedTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let mut open = None;
        for (st, op) in cx.ops() {
            match op {
                Operation::Transaction(TxControl::Begin) => {
                    open.get_or_insert(st);
                }
                Operation::Transaction(TxControl::Commit | TxControl::Rollback) => open = None,
                _ => {}
            }
        }
        if let Some(st) = open {
            let r = cx.find_in(st, "begin");
            let span = if r == st.range {
                cx.find_in(st, "start")
            } else {
                r
            };
            out.push(
                Hit::new(
                    st.index,
                    "this transaction is never committed: no COMMIT or ROLLBACK follows it in the file",
                )
                .span(span),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-uncommitted-transaction";

    #[test]
    fn flags_begin_without_commit() {
        let found = lint_errors(
            RULE,
            "BEGIN;\nSELECT 1;\nCOMMIT;\n\nSTART TRANSACTION;\nALTER TABLE users ADD COLUMN nickname text;",
        );
        assert_eq!(
            found,
            [
                "5:1 this transaction is never committed: no COMMIT or ROLLBACK follows it in the file"
            ]
        );
        let found = lint_errors(RULE, Case::new("SELECT 1;\n BEGIN;\nSELECT 2;").mysql());
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("2:2 "), "{found:?}");
    }

    #[test]
    fn passes_committed_or_rolled_back() {
        lint_ok(RULE, "BEGIN;\nSELECT 1;\nCOMMIT;");
        lint_ok(RULE, "BEGIN;\nSELECT 1;\nROLLBACK;");
        lint_ok(RULE, "SELECT 1;");
    }

    #[test]
    fn mysql_start_transaction_without_commit() {
        lint_errors(
            RULE,
            Case::new("START TRANSACTION;\nINSERT INTO t (a) VALUES (1);").mysql(),
        );
        lint_ok(
            RULE,
            Case::new("START TRANSACTION;\nINSERT INTO t (a) VALUES (1);\nCOMMIT;").mysql(),
        );
    }
}
