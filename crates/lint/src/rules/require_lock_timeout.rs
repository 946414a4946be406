//! ## What it does
//! Flags a statement that takes a SHARE or stronger lock on an existing table when no
//! `lock_timeout` was set earlier in the file and the runner does not set one (the sluice
//! runner always does; golang-migrate, sqlx, Flyway, dbmate, goose and diesel do not).
//!
//! ## Why is this bad?
//! A DDL statement that *waits* for its lock (behind one long-running transaction) makes
//! every later query on the table that conflicts with it, even a plain `SELECT` behind an
//! ACCESS EXCLUSIVE request, queue behind it: a brief schema change becomes an outage.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname text;
//! ```
//!
//! ## Use instead
//! `SET lock_timeout = '2s';` first, and retry the migration when it times out.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::common::{on_table, strongest_existing_lock};

pub struct RequireLockTimeout;

static META: RuleMeta = RuleMeta {
    id: "require-lock-timeout",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "a statement taking SHARE or stronger on an existing table with no lock_timeout set",
    help: "add `SET lock_timeout = '2s';` before it and retry on timeout (the sluice runner does both)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/require-lock-timeout.md"),
};

impl Rule for RequireLockTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in cx.statements.iter().filter(|s| !s.lock_timeout_set) {
            let Some((table, lock)) = strongest_existing_lock(cx, st) else {
                continue;
            };
            let on = on_table(table);
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "this statement takes {} on {on} with no lock_timeout set: while it waits for the lock, every conflicting query on {on} queues behind it",
                        lock.mode.name()
                    ),
                )
                .lock(lock),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::LockMode;
    use crate::settings::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "require-lock-timeout";

    #[test]
    fn flags_ddl_without_lock_timeout_under_foreign_runners() {
        let sql = "ALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX users_nick_idx ON users (nickname);";
        let found = lint_errors(RULE, Case::new(sql).runner(Runner::GolangMigrate));
        assert_eq!(
            found,
            [
                "1:1 this statement takes ACCESS EXCLUSIVE on `users` with no lock_timeout set: while it waits for the lock, every conflicting query on `users` queues behind it",
                "2:1 this statement takes SHARE on `users` with no lock_timeout set: while it waits for the lock, every conflicting query on `users` queues behind it",
            ]
        );
        let d = Case::new(sql).runner(Runner::Sqlx).diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(lock.map(|l| l.mode), Some(LockMode::AccessExclusive));
    }

    /// `ALTER CONSTRAINT .. DEFERRABLE`, which sqlparser cannot read, takes ACCESS EXCLUSIVE
    /// (checked on PostgreSQL 15 and 18): the token scan names it.
    #[test]
    fn flags_an_alter_constraint_the_parser_cannot_read() {
        let sql = "ALTER TABLE comments ALTER CONSTRAINT comments_post_id_fkey NOT DEFERRABLE;";
        let found = lint_errors(RULE, Case::new(sql).runner(Runner::GolangMigrate));
        assert_eq!(
            found,
            [
                "1:1 this statement takes ACCESS EXCLUSIVE on `comments` with no lock_timeout set: while it waits for the lock, every conflicting query on `comments` queues behind it"
            ]
        );
    }

    #[test]
    fn passes_after_set_lock_timeout() {
        lint_ok(
            RULE,
            Case::new("SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;")
                .runner(Runner::Flyway),
        );
        // set back to 0 turns it off again
        let found = lint_errors(
            RULE,
            Case::new(
                "SET lock_timeout = '2s';\nSET lock_timeout = 0;\nALTER TABLE users DROP COLUMN x;",
            )
            .runner(Runner::Flyway),
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("3:1 "), "{found:?}");
    }

    #[test]
    fn passes_under_the_sluice_runner_weak_locks_and_new_tables() {
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN nickname text;");
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN nickname text;").runner(Runner::Sluice),
        );
        let foreign = |sql: &str| Case::new(sql).runner(Runner::GolangMigrate);
        lint_ok(
            RULE,
            foreign("CREATE INDEX CONCURRENTLY i ON users (email);"),
        );
        lint_ok(RULE, foreign("ALTER TABLE users VALIDATE CONSTRAINT c;"));
        lint_ok(RULE, foreign("UPDATE users SET a = 1 WHERE id < 100;"));
        lint_ok(
            RULE,
            foreign(
                "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nCREATE INDEX ON t (a);",
            ),
        );
    }

    #[test]
    fn differences_from_squawk() {
        // squawk wants both timeouts before any statement that may be slow; these take no lock
        // that makes application queries queue: `err_other_ddl_operations`,
        // `err_comment_on_explains_lock_impact`, `err_vacuum_full_false_uses_non_full_lock`,
        // `err_lock_access_share_uses_correct_article`, `fix_multiple_ddl_statements`
        for sql in [
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');",
            "COMMENT ON COLUMN t.c IS 'an opaque id';",
            "VACUUM (FULL false) t;",
            "LOCK TABLE t IN ACCESS SHARE MODE;",
            "CREATE TABLE users (id SERIAL);\nALTER TABLE users ADD COLUMN email TEXT;",
        ] {
            lint_ok(RULE, Case::new(sql).runner(Runner::GolangMigrate));
        }
    }

    #[test]
    fn a_custom_setting_named_like_it_is_not_lock_timeout() {
        // squawk's `err_timeouts_using_schema`
        lint_errors(
            RULE,
            Case::new("SET foo.lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c BOOLEAN;")
                .runner(Runner::GolangMigrate),
        );
        lint_ok(
            RULE,
            Case::new("SET Lock_Timeout = '1s';\nALTER TABLE t ADD COLUMN c BOOLEAN;")
                .runner(Runner::GolangMigrate),
        );
    }
}
