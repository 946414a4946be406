//! ## What it does
//! Flags `TRUNCATE` of a table that existed before this change, with or without `CASCADE`.
//!
//! ## Why is this bad?
//! It deletes every row at once, under an ACCESS EXCLUSIVE lock, while the running code still
//! reads and writes the table; `CASCADE` also empties every table with a foreign key to it. The
//! data cannot be restored by a rollback.
//!
//! ## Example
//! ```sql
//! TRUNCATE TABLE sessions CASCADE;
//! ```
//!
//! ## Use instead
//! Delete the rows in batches in a backfill step, or stop using the table, deploy, and drop it in a
//! **contract** migration.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::exclusive;

pub struct BanTruncate;

static META: RuleMeta = RuleMeta {
    id: "ban-truncate",
    aliases: &["ban-truncate-cascade"],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "TRUNCATE of an existing table deletes every row while running code still uses it",
    help: "delete the rows in batches (a backfill step), or stop using the table and drop it in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-truncate.md"),
};

impl Rule for BanTruncate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::Truncate { tables, cascade } = op else {
                continue;
            };
            for table in tables.iter().filter(|t| !cx.is_new_table(t, st.index)) {
                let message = if *cascade {
                    format!(
                        "truncating `{table}` with CASCADE deletes every row of it and of every table with a foreign key to it, under the running code"
                    )
                } else {
                    format!(
                        "truncating `{table}` deletes every row under the running code that still uses it"
                    )
                };
                out.push(
                    Hit::new(st.index, message)
                        .span(cx.find_in(st, "truncate"))
                        .lock(exclusive(cx, LockHold::Brief)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-truncate";

    #[test]
    fn flags_truncate_and_cascade() {
        assert_eq!(
            lint_errors(RULE, "TRUNCATE sessions, audit.log;"),
            [
                "1:1 truncating `audit.log` deletes every row under the running code that still uses it",
                "1:1 truncating `sessions` deletes every row under the running code that still uses it",
            ]
        );
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("SELECT 1;\nTRUNCATE TABLE users CASCADE;").contract()
            ),
            [
                "2:1 truncating `users` with CASCADE deletes every row of it and of every table with a foreign key to it, under the running code"
            ]
        );
    }

    #[test]
    fn squawk_alias_suppresses() {
        lint_ok(
            RULE,
            "-- squawk-ignore ban-truncate-cascade\nTRUNCATE users CASCADE;",
        );
    }

    #[test]
    fn passes_on_new_tables_and_in_down() {
        lint_ok(RULE, "CREATE TABLE tmp (a int);\nTRUNCATE tmp;");
        lint_ok(RULE, Case::new("TRUNCATE sessions;").down());
        lint_ok(RULE, "DELETE FROM sessions WHERE id < 1000;");
    }

    #[test]
    fn attaches_the_lock() {
        let d = Case::new("TRUNCATE sessions;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        let lock = d.lock.expect("lock attached");
        assert_eq!(lock.mode, crate::lock::LockMode::AccessExclusive);
        assert!(d.help.contains("batches"), "{}", d.help);
        let d = Case::new("TRUNCATE sessions;").mysql().diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert_eq!(
            d.lock.expect("lock").mode,
            crate::lock::LockMode::MetadataExclusive
        );
    }

    #[test]
    fn differences_from_squawk() {
        // `ban_truncate_cascade.rs` `ok`: a plain TRUNCATE empties the table the running
        // code still uses, too
        // one finding per table
        assert_eq!(lint_errors(RULE, "truncate a, b, c;\ntruncate a;").len(), 4);
    }
}
