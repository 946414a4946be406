//! ## What it does
//! Flags `BEGIN` / `START TRANSACTION` inside a transaction: after an earlier `BEGIN` of the
//! file, or in a file the runner already wraps in a transaction. Also `COMMIT` / `ROLLBACK`
//! outside the file's own `BEGIN` (PostgreSQL): with no transaction open, or ending the
//! runner's.
//!
//! ## Why is this bad?
//! PostgreSQL ignores the inner `BEGIN` with a warning, and the file's `COMMIT` then commits
//! the runner's transaction: the runner's own bookkeeping (the history row) ends up outside
//! it, and a later failure can no longer roll the whole migration back. MySQL silently commits
//! the open transaction.
//!
//! ## Example
//! ```sql
//! BEGIN;
//! ALTER TABLE users ADD COLUMN nickname text;
//! COMMIT;
//! ```
//! (run by a runner that wraps each file in a transaction)
//!
//! ## Use instead
//! Leave transaction control to the runner, or mark the file `-- sluice:no-transaction` and
//! manage the transaction yourself.

use crate::context::{ScriptCx, Tx};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::TxControl;
use sluice_core::sql::{Dialect, Operation};

use super::runner_name;

pub struct TransactionNesting;

static META: RuleMeta = RuleMeta {
    id: "transaction-nesting",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "BEGIN inside a transaction (an earlier BEGIN, or a runner-wrapped file), or COMMIT / ROLLBACK outside the file's own BEGIN",
    help: "remove the BEGIN/COMMIT and let the runner wrap the file, or mark it `-- sluice:no-transaction`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/transaction-nesting.md"),
};

impl Rule for TransactionNesting {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let mut opened_at = None;
        for (st, op) in cx.ops() {
            let Operation::Transaction(ctl) = op else {
                continue;
            };
            match ctl {
                TxControl::Begin => {
                    let kw = if cx
                        .text(st)
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("start")
                    {
                        "START TRANSACTION"
                    } else {
                        "BEGIN"
                    };
                    let msg = match (st.tx, opened_at) {
                        // in a multi-statement query, BEGIN turns the implicit block into
                        // an explicit one
                        (Tx::None | Tx::Implicit, _) => None,
                        (Tx::Explicit, Some(line)) => Some(format!(
                            "`{kw}` inside the transaction opened on line {line}: the first COMMIT ends both"
                        )),
                        (Tx::Explicit, None) => Some(format!(
                            "`{kw}` inside a transaction that is already open: the first COMMIT ends both"
                        )),
                        (Tx::Wrapped, _) => Some(format!(
                            "`{kw}` inside the transaction the {} runner wraps this file in: its COMMIT ends the runner's transaction early",
                            runner_name(cx)
                        )),
                    };
                    if let Some(msg) = msg {
                        out.push(Hit::new(st.index, msg).span(begin_span(cx, st)));
                    }
                    if opened_at.is_none() {
                        opened_at = Some(cx.file().line_col(st.range.start).line);
                    }
                }
                TxControl::Commit | TxControl::Rollback => {
                    opened_at = None;
                    let kw = if *ctl == TxControl::Commit {
                        "COMMIT"
                    } else {
                        "ROLLBACK"
                    };
                    // MySQL: `SET autocommit = 0` opens transactions no BEGIN shows
                    let msg = match st.tx {
                        _ if cx.dialect() == Dialect::Mysql => None,
                        Tx::Explicit => None,
                        Tx::None | Tx::Implicit => Some(format!(
                            "`{kw}` with no transaction open: PostgreSQL only warns, so a missing `BEGIN` or a second `{kw}` goes unnoticed"
                        )),
                        Tx::Wrapped => Some(format!(
                            "`{kw}` ends the transaction the {} runner wraps this file in: the statements after it run outside a transaction, and a failure can no longer undo the earlier ones",
                            runner_name(cx)
                        )),
                    };
                    if let Some(msg) = msg {
                        out.push(
                            Hit::new(st.index, msg).span(cx.find_in(st, &kw.to_ascii_lowercase())),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

fn begin_span(cx: &ScriptCx<'_>, st: &crate::context::Stmt) -> std::ops::Range<usize> {
    let r = cx.find_in(st, "begin");
    if r == st.range {
        cx.find_in(st, "start")
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "transaction-nesting";

    #[test]
    fn flags_begin_inside_begin() {
        let found = lint_errors(
            RULE,
            Case::new("BEGIN;\nSELECT 1;\n  BEGIN;\nSELECT 2;\nCOMMIT;")
                .runner(Runner::GolangMigrate),
        );
        assert_eq!(
            found,
            ["3:3 `BEGIN` inside the transaction opened on line 1: the first COMMIT ends both"]
        );
        let found = lint_errors(RULE, "SELECT 1;\nstart transaction;\nCOMMIT;");
        assert_eq!(
            found,
            [
                "2:1 `START TRANSACTION` inside the transaction the sluice runner wraps this file in: its COMMIT ends the runner's transaction early"
            ]
        );
    }

    #[test]
    fn flags_begin_in_a_wrapped_file() {
        let found = lint_errors(
            RULE,
            Case::new("BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;")
                .runner(Runner::Flyway),
        );
        assert_eq!(
            found,
            [
                "1:1 `BEGIN` inside the transaction the flyway runner wraps this file in: its COMMIT ends the runner's transaction early"
            ]
        );
    }

    #[test]
    fn passes_sequential_transactions_and_unwrapped_files() {
        let sql = "BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;";
        lint_ok(RULE, Case::new(sql).runner(Runner::GolangMigrate));
        lint_ok(RULE, Case::new(sql).runner(Runner::Sqlx).no_transaction());
        lint_ok(RULE, Case::new(sql).mysql());
    }

    #[test]
    fn flags_commit_outside_the_files_own_transaction() {
        // squawk's `commit_repeated_err`
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("BEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;").runner(Runner::GolangMigrate)
            ),
            [
                "4:1 `COMMIT` with no transaction open: PostgreSQL only warns, so a missing `BEGIN` or a second `COMMIT` goes unnoticed"
            ]
        );
        // squawk's `commit_with_assume_in_transaction_err` and the ROLLBACK one
        assert_eq!(
            lint_errors(RULE, Case::new("SELECT 1;\nROLLBACK;").runner(Runner::Sqlx)),
            [
                "2:1 `ROLLBACK` ends the transaction the sqlx runner wraps this file in: the statements after it run outside a transaction, and a failure can no longer undo the earlier ones"
            ]
        );
        lint_errors(RULE, Case::new("SELECT 1;\nCOMMIT;").runner(Runner::Sqlx));
        // squawk's `squawk_disable_assume_in_transaction_allows_begin_commit`: the marker is
        // a directive of the loaded file, like sqlx's `-- no-transaction`
        let settings = crate::LintSettings {
            runner: Runner::Sqlx,
            ..Default::default()
        };
        let fired = |sql: &str| {
            crate::lint_snippet(&settings, "m.sql", sql)
                .diagnostics
                .iter()
                .any(|d| d.rule == RULE)
        };
        let sql = "BEGIN;\nSELECT 1;\nCOMMIT;";
        assert!(fired(sql));
        assert!(!fired(&format!(
            "-- squawk-disable-assume-in-transaction\n{sql}"
        )));
        // MySQL: `SET autocommit = 0` opens transactions no BEGIN shows
        lint_ok(
            RULE,
            Case::new("SET autocommit = 0;\nUPDATE t SET a = 1 WHERE id = 1;\nCOMMIT;").mysql(),
        );
    }
}
