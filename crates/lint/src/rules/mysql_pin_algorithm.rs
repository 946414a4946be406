//! ## What it does
//! Flags an `ALTER TABLE` (or `CREATE INDEX`) of an existing MySQL / MariaDB table that does
//! not pin its algorithm: `ALGORITHM=INSTANT`, or `ALGORITHM=INPLACE` (MariaDB also `NOCOPY`)
//! with `LOCK=NONE`; and `ALGORITHM=INSTANT` pinned on a change the server cannot make
//! instantly (it would be refused). Statements that need a table copy are left to
//! mysql-requires-table-copy.
//!
//! ## Why is this bad?
//! Without the clauses the server silently picks the best algorithm it has, and when that
//! turns out to be a table copy (an unexpected type difference, an older server in one
//! environment) writes are blocked for the whole copy. Pinned, the statement fails at once
//! instead.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD INDEX users_email (email);
//! ```
//!
//! ## Use instead
//! ```sql
//! ALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INPLACE, LOCK=NONE;
//! ```

use crate::context::ScriptCx;
use crate::mysql::{self, Algorithm};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct MysqlPinAlgorithm;

static META: RuleMeta = RuleMeta {
    id: "mysql-pin-algorithm",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "an ALTER TABLE on an existing table without ALGORITHM=INSTANT or ALGORITHM=INPLACE, LOCK=NONE",
    help: "add `, ALGORITHM=INSTANT` or `, ALGORITHM=INPLACE, LOCK=NONE` so an unexpected table copy fails at once instead of blocking writes",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/mysql-pin-algorithm.md"),
};

impl Rule for MysqlPinAlgorithm {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for alter in mysql::alters(cx) {
            let (algorithm, lock) = (alter.algorithm.as_deref(), alter.lock.as_deref());
            // explicit COPY / SHARED / EXCLUSIVE have rules of their own
            if algorithm == Some("COPY") || matches!(lock, Some("SHARED" | "EXCLUSIVE")) {
                continue;
            }
            let pinned = match algorithm {
                Some("INSTANT") => true,
                Some("INPLACE" | "NOCOPY") => lock == Some("NONE"),
                _ => false,
            };
            if mysql::strategy(cx, alter.st).is_some() {
                continue;
            }
            let v = mysql::verdict(cx, alter.st);
            // INSTANT pinned on a change that cannot be instant: the statement will be refused
            // (only judged for typed actions; untyped ones may well be instant)
            let typed = !alter
                .st
                .ops
                .iter()
                .any(|o| matches!(o, Operation::Other { .. } | Operation::TableRewrite { .. }));
            if algorithm == Some("INSTANT") && v.algorithm == Algorithm::Inplace && typed {
                out.push(
                    Hit::new(
                        alter.st.index,
                        format!(
                            "`ALGORITHM=INSTANT` is refused for this change of `{}` on {}: pin `ALGORITHM=INPLACE, LOCK=NONE`",
                            alter.table,
                            cx.settings.mysql_server()
                        ),
                    )
                    .span(cx.find_in(alter.st, "algorithm"))
                    .help("replace `ALGORITHM=INSTANT` by `ALGORITHM=INPLACE, LOCK=NONE`"),
                );
                continue;
            }
            if pinned {
                continue;
            }
            // copies: mysql-requires-table-copy; FULLTEXT: mysql-fulltext-or-spatial-index
            if v.algorithm == Algorithm::Copy || v.lock_shared {
                continue;
            }
            let clauses = match v.algorithm {
                Algorithm::Instant => "ALGORITHM=INSTANT",
                _ => "ALGORITHM=INPLACE, LOCK=NONE",
            };
            let found = match (algorithm, lock) {
                (None, None) => "no ALGORITHM or LOCK clause".to_owned(),
                (a, l) => format!(
                    "ALGORITHM={}, LOCK={}",
                    a.unwrap_or("DEFAULT"),
                    l.unwrap_or("DEFAULT")
                ),
            };
            out.push(
                Hit::new(
                    alter.st.index,
                    format!(
                        "this change of `{}` has {found}: pin `{clauses}` so that an unexpected table copy fails at once instead of blocking writes",
                        alter.table
                    ),
                )
                .span(cx.find_in(alter.st, "alter"))
                .help(format!("append `, {clauses}` to the statement")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-pin-algorithm";

    #[test]
    fn flags_unpinned_alters_with_the_clauses_to_add() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE users ADD INDEX users_email (email);").mysql()
            ),
            [
                "1:1 this change of `users` has no ALGORITHM or LOCK clause: pin `ALGORITHM=INPLACE, LOCK=NONE` so that an unexpected table copy fails at once instead of blocking writes"
            ]
        );
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN note TEXT;").mysql(),
        );
        assert!(found[0].contains("pin `ALGORITHM=INSTANT`"), "{found:?}");
        // INPLACE without LOCK=NONE may still lock
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users ADD INDEX i (a), ALGORITHM=INPLACE;").mysql(),
        );
        assert!(
            found[0].contains("has ALGORITHM=INPLACE, LOCK=DEFAULT"),
            "{found:?}"
        );
        // MySQL 8.0.28 cannot add a column FIRST instantly: INPLACE is the pin
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN note TEXT FIRST;").mysql_version("8.0.28"),
        );
        assert!(
            found[0].contains("pin `ALGORITHM=INPLACE, LOCK=NONE`"),
            "{found:?}"
        );
        lint_errors(
            RULE,
            Case::new("CREATE INDEX i ON users (a);").mariadb("10.11"),
        );
    }

    #[test]
    fn flags_instant_pinned_where_the_server_refuses_it() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE users ADD INDEX i (a), ALGORITHM=INSTANT;").mariadb("10.11")
            ),
            [
                "1:36 `ALGORITHM=INSTANT` is refused for this change of `users` on MariaDB 10.11: pin `ALGORITHM=INPLACE, LOCK=NONE`"
            ]
        );
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN a INT AFTER id, ALGORITHM=INSTANT;")
                .mysql_version("8.0.28"),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN a INT AFTER id, ALGORITHM=INSTANT;")
                .mysql_version("8.0.29"),
        );
        // untyped actions are not judged
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users COMMENT = 'x', ALGORITHM=INSTANT;").mysql(),
        );
    }

    #[test]
    fn passes_pinned_new_copy_and_postgres() {
        for sql in [
            "ALTER TABLE users ADD INDEX i (a), ALGORITHM=INPLACE, LOCK=NONE;",
            "ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INSTANT;",
            "ALTER TABLE users ALGORITHM=INSTANT, ADD COLUMN note TEXT;",
            "CREATE INDEX i ON users (a) ALGORITHM=INPLACE LOCK=NONE;",
            "CREATE TABLE t (a INT);\nALTER TABLE t ADD INDEX i (a);",
            "RENAME TABLE a TO b;",
            // copies and explicit COPY have their own rules
            "ALTER TABLE users ADD COLUMN seq INT AUTO_INCREMENT UNIQUE;",
            "ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=COPY;",
            "ALTER TABLE users ADD FULLTEXT INDEX ft (body);",
        ] {
            lint_ok(RULE, Case::new(sql).mysql());
        }
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD INDEX i (a), ALGORITHM=NOCOPY, LOCK=NONE;")
                .mariadb("10.11"),
        );
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN note text;");
        // clauses of statements the parser cannot read
        lint_ok(
            RULE,
            Case::new("DROP INDEX i ON users ALGORITHM=INPLACE LOCK=NONE;").mysql(),
        );
        lint_errors(RULE, Case::new("DROP INDEX i ON users;").mysql());
    }
}
