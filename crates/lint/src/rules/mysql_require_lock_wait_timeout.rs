//! ## What it does
//! Flags DDL on an existing MySQL / MariaDB table when no `lock_wait_timeout` was set earlier
//! in the file and the runner does not set one (the sluice runner does; golang-migrate, Flyway,
//! dbmate, goose and others do not).
//!
//! ## Why is this bad?
//! Every `ALTER TABLE`, even an INSTANT one, takes the table's exclusive metadata lock for a
//! moment. Behind one long transaction it waits, and every query on the table that arrives
//! after it queues behind it. The default `lock_wait_timeout` is one year.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname VARCHAR(50), ALGORITHM=INSTANT;
//! ```
//!
//! ## Use instead
//! `SET SESSION lock_wait_timeout = 5;` first, and retry the migration when it times out.

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::common::{on_table, strongest_existing_lock};

pub struct MysqlRequireLockWaitTimeout;

static META: RuleMeta = RuleMeta {
    id: "mysql-require-lock-wait-timeout",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "DDL on an existing table with no lock_wait_timeout set (the default is one year)",
    help: "add `SET SESSION lock_wait_timeout = 5;` before it and retry on timeout (the sluice runner does both)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/mysql-require-lock-wait-timeout.md"),
};

impl Rule for MysqlRequireLockWaitTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in cx.statements.iter().filter(|s| !s.lock_timeout_set) {
            let Some((table, _)) = strongest_existing_lock(cx, st) else {
                continue;
            };
            let on = on_table(table);
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "this statement takes the exclusive metadata lock on {on} with no lock_wait_timeout set: while it waits (up to a year by default), every query on {on} queues behind it"
                    ),
                )
                .lock(LockInfo::new(LockMode::MetadataExclusive, LockHold::Brief)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::Runner;
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-require-lock-wait-timeout";

    fn foreign(sql: &str) -> Case {
        Case::new(sql).mysql().runner(Runner::GolangMigrate)
    }

    #[test]
    fn flags_ddl_without_lock_wait_timeout_under_foreign_runners() {
        let found = lint_errors(
            RULE,
            foreign("ALTER TABLE users ADD COLUMN nickname VARCHAR(50);\nRENAME TABLE a TO b;"),
        );
        assert_eq!(
            found,
            [
                "1:1 this statement takes the exclusive metadata lock on `users` with no lock_wait_timeout set: while it waits (up to a year by default), every query on `users` queues behind it",
                "2:1 this statement takes the exclusive metadata lock on `a` with no lock_wait_timeout set: while it waits (up to a year by default), every query on `a` queues behind it",
            ]
        );
        // innodb_lock_wait_timeout bounds row locks, not metadata locks
        lint_errors(
            RULE,
            foreign("SET SESSION innodb_lock_wait_timeout = 5;\nALTER TABLE users DROP COLUMN a;")
                .mariadb("10.11"),
        );
    }

    #[test]
    fn passes_after_set_under_sluice_and_on_new_tables() {
        lint_ok(
            RULE,
            foreign("SET SESSION lock_wait_timeout = 5;\nALTER TABLE users ADD COLUMN n INT;"),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN n INT;")
                .mysql()
                .runner(Runner::Sluice),
        );
        lint_ok(
            RULE,
            foreign("CREATE TABLE t (a INT);\nALTER TABLE t ADD COLUMN b INT;"),
        );
        lint_ok(RULE, foreign("INSERT INTO users (id) VALUES (1);"));
        // PostgreSQL has require-lock-timeout
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN n int;").runner(Runner::GolangMigrate),
        );
    }
}
