//! ## What it does
//! Flags `DROP INDEX` without `CONCURRENTLY` (PostgreSQL).
//!
//! ## Why is this bad?
//! A plain `DROP INDEX` takes ACCESS EXCLUSIVE on the index's table: while it waits for
//! running queries to finish, every later read and write of the table queues behind it.
//!
//! ## Example
//! ```sql
//! DROP INDEX users_email_idx;
//! ```
//!
//! ## Use instead
//! `DROP INDEX CONCURRENTLY`, outside a transaction.

use crate::context::ScriptCx;
use crate::lock::LockInfo;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct RequireConcurrentIndexDeletion;

static META: RuleMeta = RuleMeta {
    id: "require-concurrent-index-deletion",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table",
    help: "use `DROP INDEX CONCURRENTLY` outside a transaction (`-- sluice:no-transaction`)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/require-concurrent-index-deletion.md"),
};

impl Rule for RequireConcurrentIndexDeletion {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::DropIndex {
                names,
                table,
                concurrently: false,
                ..
            } = op
            else {
                continue;
            };
            if table.as_ref().is_some_and(|t| cx.is_new_table(t, st.index)) {
                continue;
            }
            for name in names.iter().filter(|n| !created_earlier(cx, n, st.index)) {
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "dropping index `{name}` without CONCURRENTLY blocks reads and writes of its table until the drop commits"
                        ),
                    )
                    .span(cx.find_in(st, "drop"))
                    .lock(LockInfo::ACCESS_EXCLUSIVE_BRIEF),
                );
            }
        }
    }
}

/// Was index `name` created earlier in this script (on a table nobody uses yet, or just now)?
fn created_earlier(
    cx: &ScriptCx<'_>,
    name: &sluice_core::sql::ops::ObjName,
    before: usize,
) -> bool {
    cx.ops().any(|(st, op)| {
        st.index < before
            && matches!(op, Operation::CreateIndex { name: Some(n), .. } if *n == name.name)
    })
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "require-concurrent-index-deletion";

    #[test]
    fn flags_plain_drop_index() {
        let found = lint_errors(RULE, "SELECT 1;\n  DROP INDEX IF EXISTS users_email_idx;");
        assert_eq!(
            found,
            [
                "2:3 dropping index `users_email_idx` without CONCURRENTLY blocks reads and writes of its table until the drop commits"
            ]
        );
    }

    #[test]
    fn passes_concurrently_and_same_script_indexes() {
        let sql = "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;";
        lint_ok(RULE, sql);
        // sqlparser reads it only without CONCURRENTLY (`sql::parse_known_gap`): read, and
        // still concurrent
        assert!(Case::new(sql).findings("unparsed-statement").is_empty());
        lint_ok(
            RULE,
            "CREATE INDEX tmp_idx ON users (email);\nDROP INDEX tmp_idx;",
        );
        lint_ok(
            RULE,
            Case::new("DROP INDEX users_email_idx ON users;").mysql(),
        );
    }
}
