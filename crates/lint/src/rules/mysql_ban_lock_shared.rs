//! ## What it does
//! Flags an explicit `LOCK=SHARED` or `LOCK=EXCLUSIVE` on an existing MySQL / MariaDB table.
//!
//! ## Why is this bad?
//! `LOCK=SHARED` blocks every write to the table for the whole statement, `LOCK=EXCLUSIVE`
//! every read as well; on a table the application uses that is an outage for as long as the
//! change runs.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD INDEX users_email (email), LOCK=SHARED;
//! ```
//!
//! ## Use instead
//! `LOCK=NONE` (with `ALGORITHM=INPLACE`), so the statement fails if it cannot run with
//! concurrent writes; where it cannot, an online schema change tool.

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

pub struct MysqlBanLockShared;

static META: RuleMeta = RuleMeta {
    id: "mysql-ban-lock-shared",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "explicit LOCK=SHARED or LOCK=EXCLUSIVE: writes (or all access) blocked for the whole ALTER",
    help: "use `ALGORITHM=INPLACE, LOCK=NONE`; where that is refused, an online schema change tool (`-- sluice:strategy pt-osc` or `gh-ost`)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/mysql-ban-lock-shared.md"),
};

impl Rule for MysqlBanLockShared {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for alter in mysql::alters(cx) {
            let (mode, blocks) = match alter.lock.as_deref() {
                Some("SHARED") => (LockMode::Share, "writes to"),
                Some("EXCLUSIVE") => (LockMode::MetadataExclusive, "reads and writes of"),
                _ => continue,
            };
            let lock = alter.lock.as_deref().unwrap_or_default();
            out.push(
                Hit::new(
                    alter.st.index,
                    format!(
                        "`LOCK={lock}` blocks {blocks} `{}` for the whole statement",
                        alter.table
                    ),
                )
                .span(cx.find_in(alter.st, "lock"))
                .lock(LockInfo::new(mode, LockHold::Rewrite)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-ban-lock-shared";

    #[test]
    fn flags_shared_and_exclusive_locks() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE users ADD INDEX i (email), LOCK=SHARED;").mysql()
            ),
            ["1:40 `LOCK=SHARED` blocks writes to `users` for the whole statement"]
        );
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE users DROP COLUMN a, ALGORITHM=INPLACE, LOCK = exclusive;")
                    .mariadb("10.11")
            ),
            ["1:53 `LOCK=EXCLUSIVE` blocks reads and writes of `users` for the whole statement"]
        );
    }

    #[test]
    fn passes_lock_none_default_and_new_tables() {
        for sql in [
            "ALTER TABLE users ADD INDEX i (email), ALGORITHM=INPLACE, LOCK=NONE;",
            "ALTER TABLE users ADD INDEX i (email), LOCK=DEFAULT;",
            "ALTER TABLE users ADD INDEX i (email);",
            "CREATE TABLE t (a INT);\nALTER TABLE t ADD INDEX i (a), LOCK=SHARED;",
        ] {
            lint_ok(RULE, Case::new(sql).mysql());
        }
    }
}
