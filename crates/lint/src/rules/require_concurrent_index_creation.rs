//! ## What it does
//! Flags `CREATE INDEX` on an existing table without `CONCURRENTLY` (PostgreSQL).
//!
//! ## Why is this bad?
//! A plain index build holds a SHARE lock on the table for the whole build: reads continue,
//! but every `INSERT`, `UPDATE` and `DELETE` waits until the index is built, minutes on a
//! large table.
//!
//! ## Example
//! ```sql
//! CREATE INDEX users_email_idx ON users (email);
//! ```
//!
//! ## Use instead
//! `CREATE INDEX CONCURRENTLY`, outside a transaction (`-- sluice:no-transaction`, or let the
//! sluice runner detect it). If the build fails it leaves an INVALID index: drop it with
//! `DROP INDEX CONCURRENTLY` and retry.

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct RequireConcurrentIndexCreation;

static META: RuleMeta = RuleMeta {
    id: "require-concurrent-index-creation",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build",
    help: "use `CREATE INDEX CONCURRENTLY` outside a transaction (`-- sluice:no-transaction`)",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/require-concurrent-index-creation.md"),
};

impl Rule for RequireConcurrentIndexCreation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::CreateIndex {
                name,
                table,
                concurrently: false,
                ..
            } = op
                && !cx.is_new_table(table, st.index)
            {
                let what = match name {
                    Some(n) => format!("index `{n}`"),
                    None => "an index".to_owned(),
                };
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "creating {what} on `{table}` without CONCURRENTLY blocks writes to `{table}` for the whole build"
                        ),
                    )
                    .span(cx.find_in(st, "index"))
                    .lock(LockInfo::new(LockMode::Share, LockHold::IndexBuild)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "require-concurrent-index-creation";

    #[test]
    fn flags_plain_create_index() {
        let found = lint_errors(
            RULE,
            "CREATE UNIQUE INDEX users_email_idx ON users (email);",
        );
        assert_eq!(
            found,
            [
                "1:15 creating index `users_email_idx` on `users` without CONCURRENTLY blocks writes to `users` for the whole build"
            ]
        );
        let d = Case::new("CREATE INDEX ON users (email);").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert_eq!(
            d.message,
            "creating an index on `users` without CONCURRENTLY blocks writes to `users` for the whole build"
        );
        let lock = d.lock.expect("lock");
        assert_eq!(
            (lock.mode, lock.hold),
            (LockMode::Share, LockHold::IndexBuild)
        );
    }

    #[test]
    fn tables_new_in_the_change_set_across_files() {
        // created in an earlier file of the change set: new
        lint_ok(
            RULE,
            Case::new("CREATE INDEX t_a_idx ON t (a);").before("CREATE TABLE t (a int);"),
        );
        // created in the history: existing
        let found = lint_errors(
            RULE,
            Case::new("CREATE INDEX t_a_idx ON t (a);").history("CREATE TABLE t (a int);"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        // dropped and re-created in the change set: new
        lint_ok(
            RULE,
            Case::new("CREATE INDEX t_a_idx ON t (a);")
                .history("CREATE TABLE t (a int);")
                .before("DROP TABLE t;\nCREATE TABLE t (a int, b int);"),
        );
        // renamed: as new or existing as before
        lint_ok(
            RULE,
            Case::new("ALTER TABLE t RENAME TO u;\nCREATE INDEX u_a_idx ON u (a);")
                .before("CREATE TABLE t (a int);"),
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;\nCREATE INDEX u_a_idx ON u (a);",
        );
        // renamed in the change set: still existing
        lint_errors(
            RULE,
            Case::new("CREATE INDEX u_a_idx ON u (a);")
                .history("CREATE TABLE t (a int);")
                .before("ALTER TABLE t RENAME TO u;"),
        );
    }

    #[test]
    fn passes_concurrently_new_tables_and_mysql() {
        lint_ok(
            RULE,
            "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);",
        );
        lint_ok(
            RULE,
            Case::new("CREATE INDEX users_email_idx ON users (email);").mysql(),
        );
    }
}
