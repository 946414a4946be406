//! ## What it does
//! Flags `CREATE TRIGGER` on an existing table (PostgreSQL). Opt-in.
//!
//! ## Why is this bad?
//! `CREATE TRIGGER` takes SHARE ROW EXCLUSIVE on the table: brief, but while it waits for
//! the lock (behind any long-running write) every later write to the table queues behind
//! it. And the trigger's function then runs inside every matching write of the running
//! application, adding work (and failure modes) it was not tested with.
//!
//! ## Example
//! ```sql
//! CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();
//! ```
//!
//! ## Use instead
//! Create it under a short `lock_timeout` with retries (the sluice runner does this), in a
//! migration of its own, after measuring the function's cost on the write path.

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct AddingTriggerOnExistingTable;

static META: RuleMeta = RuleMeta {
    id: "adding-trigger-on-existing-table",
    aliases: &[],
    default: DefaultLevel::OptIn,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "CREATE TRIGGER on an existing table takes SHARE ROW EXCLUSIVE and adds work to every write",
    help: "create it under a short `lock_timeout` with retries, in a migration of its own, after measuring the trigger's cost on writes",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/adding-trigger-on-existing-table.md"),
};

const LOCK: LockInfo = LockInfo::new(LockMode::ShareRowExclusive, LockHold::Brief);

impl Rule for AddingTriggerOnExistingTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::CreateTrigger { table, name } = op else {
                continue;
            };
            if cx.is_new_table(table, st.index) {
                continue;
            }
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "creating trigger `{name}` on `{table}` takes SHARE ROW EXCLUSIVE, queueing writes to `{table}` while it waits, and runs on every matching write from then on"
                    ),
                )
                .span(cx.find_in(st, "trigger"))
                .lock(LOCK),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "adding-trigger-on-existing-table";

    const SQL: &str =
        "CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();";

    #[test]
    fn flags_trigger_on_an_existing_table() {
        let found = lint_errors(RULE, Case::new(SQL).enable(RULE));
        assert_eq!(
            found,
            [
                "1:8 creating trigger `users_audit` on `users` takes SHARE ROW EXCLUSIVE, queueing writes to `users` while it waits, and runs on every matching write from then on"
            ]
        );
        let d = Case::new(SQL).enable(RULE).diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold)),
            Some((LockMode::ShareRowExclusive, LockHold::Brief))
        );
    }

    #[test]
    fn is_opt_in_and_passes_new_tables() {
        lint_ok(RULE, SQL);
        lint_ok(
            RULE,
            Case::new(
                "CREATE TABLE t (a int);\nCREATE TRIGGER t_audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit();",
            )
            .enable(RULE),
        );
    }
}
