//! ## What it does
//! Flags `ALTER TABLE .. DETACH PARTITION` without `CONCURRENTLY` (PostgreSQL).
//!
//! ## Why is this bad?
//! A plain detach takes ACCESS EXCLUSIVE on the partitioned (parent) table: every read and
//! write of the whole partitioned table waits, and while the detach itself waits for the
//! lock, every later query on the parent queues behind it.
//!
//! ## Example
//! ```sql
//! ALTER TABLE events DETACH PARTITION events_2023;
//! ```
//!
//! ## Use instead
//! `DETACH PARTITION .. CONCURRENTLY` (PostgreSQL 14+), outside a transaction: it takes only
//! SHARE UPDATE EXCLUSIVE on the parent.

use crate::context::ScriptCx;
use crate::lock::LockInfo;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct RequireConcurrentPartitionDetach;

static META: RuleMeta = RuleMeta {
    id: "require-concurrent-partition-detach",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table",
    help: "use `DETACH PARTITION .. CONCURRENTLY` (PostgreSQL 14+) outside a transaction (`-- sluice:no-transaction`)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/require-concurrent-partition-detach.md"),
};

impl Rule for RequireConcurrentPartitionDetach {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            // FINALIZE completes an interrupted CONCURRENTLY detach, under the same weak lock
            let Operation::DetachPartition {
                table,
                concurrently: false,
                finalize: false,
            } = op
            else {
                continue;
            };
            if cx.is_new_table(table, st.index) {
                continue;
            }
            let mut hit = Hit::new(
                st.index,
                format!(
                    "detaching a partition of `{table}` without CONCURRENTLY blocks reads and writes of all of `{table}`"
                ),
            )
            .span(cx.find_in(st, "detach"))
            .lock(LockInfo::ACCESS_EXCLUSIVE_BRIEF);
            if cx.settings.server_version < 14 {
                hit = hit.help(format!(
                    "`DETACH PARTITION .. CONCURRENTLY` needs PostgreSQL 14+ (server_version is {}): until then, detach under a short `lock_timeout` with retries",
                    cx.settings.server_version
                ));
            }
            out.push(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "require-concurrent-partition-detach";

    #[test]
    fn flags_plain_detach() {
        let found = lint_errors(RULE, "ALTER TABLE events DETACH PARTITION events_2023;");
        assert_eq!(
            found,
            [
                "1:20 detaching a partition of `events` without CONCURRENTLY blocks reads and writes of all of `events`"
            ]
        );
        let d = Case::new("ALTER TABLE events DETACH PARTITION events_2023;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert_eq!(d.severity, crate::Severity::Warning);
        let lock = d.lock.expect("lock");
        assert_eq!(
            (lock.mode, lock.hold),
            (LockMode::AccessExclusive, LockHold::Brief)
        );
    }

    #[test]
    fn help_says_so_below_pg14() {
        let d = Case::new("ALTER TABLE events DETACH PARTITION events_2023;")
            .server_version(13)
            .diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert!(
            d.help.starts_with(
                "`DETACH PARTITION .. CONCURRENTLY` needs PostgreSQL 14+ (server_version is 13)"
            ),
            "{}",
            d.help
        );
    }

    #[test]
    fn passes_concurrently_new_tables_and_mysql() {
        lint_ok(
            RULE,
            Case::new("ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;")
                .no_transaction(),
        );
        lint_ok(
            RULE,
            "CREATE TABLE ev (a int) PARTITION BY RANGE (a);\nALTER TABLE ev DETACH PARTITION ev_1;",
        );
        // completes an interrupted CONCURRENTLY detach, under SHARE UPDATE EXCLUSIVE
        lint_ok(
            RULE,
            "ALTER TABLE events DETACH PARTITION events_2023 FINALIZE;",
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE events DETACH PARTITION events_2023;").mysql(),
        );
    }
}
