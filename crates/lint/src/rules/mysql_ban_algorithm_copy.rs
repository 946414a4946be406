//! ## What it does
//! Flags an explicit `ALGORITHM=COPY` on an existing MySQL / MariaDB table.
//!
//! ## Why is this bad?
//! It forces a full table copy even where the server could change the table in place or
//! instantly; writes are blocked until the copy ends.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=COPY;
//! ```
//!
//! ## Use instead
//! `ALGORITHM=INSTANT` or `ALGORITHM=INPLACE, LOCK=NONE`; where a copy is really needed, an
//! online schema change tool (`-- sluice:strategy pt-osc` or `gh-ost`).

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

pub struct MysqlBanAlgorithmCopy;

static META: RuleMeta = RuleMeta {
    id: "mysql-ban-algorithm-copy",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "explicit ALGORITHM=COPY: a full table copy with writes blocked",
    help: "use `ALGORITHM=INSTANT` or `ALGORITHM=INPLACE, LOCK=NONE`; where a copy is needed, an online schema change tool (`-- sluice:strategy pt-osc` or `gh-ost`)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/mysql-ban-algorithm-copy.md"),
};

impl Rule for MysqlBanAlgorithmCopy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for alter in mysql::alters(cx) {
            if alter.algorithm.as_deref() == Some("COPY") {
                out.push(
                    Hit::new(
                        alter.st.index,
                        format!(
                            "`ALGORITHM=COPY` copies all of `{}` and blocks writes to it until the copy ends",
                            alter.table
                        ),
                    )
                    .span(cx.find_in(alter.st, "algorithm"))
                    .lock(LockInfo::new(LockMode::Share, LockHold::Rewrite)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-ban-algorithm-copy";

    #[test]
    fn flags_algorithm_copy() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=COPY;").mysql()
            ),
            [
                "1:41 `ALGORITHM=COPY` copies all of `users` and blocks writes to it until the copy ends"
            ]
        );
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users ALGORITHM = copy, LOCK=SHARED, DROP COLUMN a;")
                .mariadb("10.11"),
        );
    }

    #[test]
    fn passes_other_algorithms_and_new_tables() {
        for sql in [
            "ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INSTANT;",
            "ALTER TABLE users ADD INDEX i (a), ALGORITHM=INPLACE, LOCK=NONE;",
            "ALTER TABLE users ADD COLUMN note TEXT;",
            "CREATE TABLE t (a INT);\nALTER TABLE t ADD COLUMN b INT, ALGORITHM=COPY;",
        ] {
            lint_ok(RULE, Case::new(sql).mysql());
        }
    }
}
