//! ## What it does
//! Flags `REINDEX` without `CONCURRENTLY` (PostgreSQL).
//!
//! ## Why is this bad?
//! A plain `REINDEX` holds a SHARE lock on the table for the whole rebuild, so every
//! `INSERT`, `UPDATE` and `DELETE` waits, and an ACCESS EXCLUSIVE lock on each index being
//! rebuilt, so queries that would use it wait too.
//!
//! ## Example
//! ```sql
//! REINDEX INDEX users_email_idx;
//! ```
//!
//! ## Use instead
//! `REINDEX INDEX CONCURRENTLY` (PostgreSQL 12+), outside a transaction
//! (`-- sluice:no-transaction`, or let the sluice runner detect it).

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct RequireConcurrentReindex;

static META: RuleMeta = RuleMeta {
    id: "require-concurrent-reindex",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "REINDEX without CONCURRENTLY blocks writes to the table for the whole rebuild",
    help: "use `REINDEX .. CONCURRENTLY` (PostgreSQL 12+) outside a transaction (`-- sluice:no-transaction`)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/require-concurrent-reindex.md"),
};

const LOCK: LockInfo = LockInfo::new(LockMode::Share, LockHold::IndexBuild);

impl Rule for RequireConcurrentReindex {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::Reindex {
                target,
                concurrently: false,
            } = op
            else {
                continue;
            };
            if target
                .as_ref()
                .is_some_and(|t| cx.is_new_table(t, st.index))
            {
                continue;
            }
            let what = match target {
                Some(t) => format!("`{t}`"),
                None => "its indexes".to_owned(),
            };
            let mut hit = Hit::new(
                st.index,
                format!(
                    "reindexing {what} without CONCURRENTLY blocks writes to the table, and reads through the index, for the whole rebuild"
                ),
            )
            .span(cx.find_in(st, "reindex"))
            .lock(LOCK);
            if cx.settings.server_version < 12 {
                hit = hit.help(format!(
                    "`REINDEX .. CONCURRENTLY` needs PostgreSQL 12+ (server_version is {}): run the REINDEX in a maintenance window, or build a new index with `CREATE INDEX CONCURRENTLY` and drop the old one with `DROP INDEX CONCURRENTLY`",
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

    const RULE: &str = "require-concurrent-reindex";

    #[test]
    fn flags_plain_reindex() {
        let found = lint_errors(
            RULE,
            "REINDEX INDEX users_email_idx;\n  REINDEX (VERBOSE) TABLE users;",
        );
        assert_eq!(
            found,
            [
                "1:1 reindexing `users_email_idx` without CONCURRENTLY blocks writes to the table, and reads through the index, for the whole rebuild",
                "2:3 reindexing `users` without CONCURRENTLY blocks writes to the table, and reads through the index, for the whole rebuild",
            ]
        );
        let d = Case::new("REINDEX TABLE users;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        let lock = d.lock.expect("lock");
        assert_eq!(
            (lock.mode, lock.hold),
            (LockMode::Share, LockHold::IndexBuild)
        );
        assert!(d.help.contains("PostgreSQL 12+"), "{}", d.help);
    }

    #[test]
    fn help_says_so_below_pg12() {
        let d = Case::new("REINDEX TABLE users;")
            .server_version(11)
            .diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert!(
            d.help.starts_with(
                "`REINDEX .. CONCURRENTLY` needs PostgreSQL 12+ (server_version is 11)"
            ),
            "{}",
            d.help
        );
    }

    #[test]
    fn passes_concurrently_and_mysql() {
        lint_ok(
            RULE,
            Case::new("REINDEX INDEX CONCURRENTLY users_email_idx;").no_transaction(),
        );
        lint_ok(RULE, "REINDEX TABLE CONCURRENTLY users;");
        lint_ok(RULE, Case::new("REINDEX TABLE users;").mysql());
    }

    #[test]
    fn reads_option_lists_and_system_catalogs() {
        // squawk's `reindex_options_concurrently_ok` and `reindex_system_ok` (the system
        // catalogs cannot be rebuilt concurrently)
        lint_ok(
            RULE,
            Case::new("REINDEX (CONCURRENTLY) TABLE foo;\nREINDEX (VERBOSE, CONCURRENTLY on) INDEX i;\nREINDEX SYSTEM mydb;").no_transaction(),
        );
        lint_errors(RULE, "REINDEX (CONCURRENTLY false) INDEX idx;");
    }
}
