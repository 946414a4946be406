//! ## What it does
//! Flags a statement that takes a SHARE or stronger lock on an existing table when no
//! `statement_timeout` was set earlier in the file and the runner does not set one (the
//! sluice runner always does). Opt-in.
//!
//! ## Why is this bad?
//! Once such a statement has its lock, it keeps it until it finishes: an index build, a
//! constraint scan or a rewrite that runs far longer than planned (a bigger table than in
//! staging, a slow disk) blocks the application for as long as it runs, with nothing to stop
//! it.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0);
//! ```
//!
//! ## Use instead
//! `SET statement_timeout = '5min';` (an upper bound you accept for the lock) first, next to
//! `SET lock_timeout`.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::common::{on_table, strongest_existing_lock};

pub struct RequireStatementTimeout;

static META: RuleMeta = RuleMeta {
    id: "require-statement-timeout",
    aliases: &[],
    default: DefaultLevel::OptIn,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "a statement taking SHARE or stronger on an existing table with no statement_timeout set",
    help: "add `SET statement_timeout = '5min';` (the longest you accept the lock held) before it (the sluice runner sets one)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/require-statement-timeout.md"),
};

impl Rule for RequireStatementTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in cx.statements.iter().filter(|s| !s.statement_timeout_set) {
            let Some((table, lock)) = strongest_existing_lock(cx, st) else {
                continue;
            };
            let on = on_table(table);
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "this statement takes {} on {on} with no statement_timeout set: nothing bounds how long it blocks {}",
                        lock.mode.name(),
                        lock.mode.blocks()
                    ),
                )
                .lock(lock),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::settings::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "require-statement-timeout";

    fn foreign(sql: &str) -> Case {
        Case::new(sql).runner(Runner::GolangMigrate).enable(RULE)
    }

    #[test]
    fn flags_locking_statements_without_statement_timeout() {
        let sql = "SET lock_timeout = '2s';\nALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0);\nCREATE INDEX users_nick_idx ON users (nickname);";
        let found = lint_errors(RULE, foreign(sql));
        assert_eq!(
            found,
            [
                "2:1 this statement takes ACCESS EXCLUSIVE on `users` with no statement_timeout set: nothing bounds how long it blocks reads and writes",
                "3:1 this statement takes SHARE on `users` with no statement_timeout set: nothing bounds how long it blocks writes",
            ]
        );
        let d = foreign(sql).diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold)),
            Some((LockMode::AccessExclusive, LockHold::Scan))
        );
    }

    #[test]
    fn is_opt_in() {
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN x;").runner(Runner::GolangMigrate),
        );
    }

    #[test]
    fn passes_after_set_statement_timeout_and_under_sluice() {
        lint_ok(
            RULE,
            foreign("SET statement_timeout = '5min';\nALTER TABLE users DROP COLUMN x;"),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN x;")
                .runner(Runner::Sluice)
                .enable(RULE),
        );
        lint_ok(RULE, foreign("ALTER TABLE users VALIDATE CONSTRAINT c;"));
        lint_ok(
            RULE,
            foreign("CREATE TABLE t (a int);\nCREATE INDEX ON t (a);"),
        );
    }
}
