//! ## What it does
//! Flags `ADD COLUMN .. FIRST` / `AFTER col` on an existing table where the server cannot add
//! a column at a position instantly: MySQL before 8.0.29 and MariaDB before 10.4 (it follows
//! `server_version`; "8.0" means the latest 8.0 release).
//!
//! ## Why is this bad?
//! There, adding the column last is INSTANT (metadata only, since MySQL 8.0.12 / MariaDB
//! 10.3), but a position makes InnoDB rebuild the whole table: long I/O and replication lag on
//! a large table, for a column order nobody needs.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname VARCHAR(50) AFTER name;
//! ```
//!
//! ## Use instead
//! Add the column last (drop `FIRST` / `AFTER`), with `ALGORITHM=INSTANT`.

use crate::context::ScriptCx;
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct MysqlInstantColumnPosition;

static META: RuleMeta = RuleMeta {
    id: "mysql-instant-column-position",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "ADD COLUMN .. FIRST/AFTER rebuilds the table on servers that can only add columns last instantly (MySQL < 8.0.29)",
    help: "add the column last (without FIRST / AFTER) with `ALGORITHM=INSTANT`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/mysql-instant-column-position.md"),
};

impl Rule for MysqlInstantColumnPosition {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let server = cx.settings.mysql_server();
        if mysql::instant_add_column(&server, true) {
            return;
        }
        let last_instant = mysql::instant_add_column(&server, false);
        for (st, op) in cx.ops() {
            let Operation::AddColumn { table, column, .. } = op else {
                continue;
            };
            let Some(position) = &column.position else {
                continue;
            };
            if cx.is_new_table(table, st.index) {
                continue;
            }
            let cure = if last_instant {
                "; added last it would be INSTANT"
            } else {
                ""
            };
            let word = position.split_whitespace().next().unwrap_or("FIRST");
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "`ADD COLUMN {} .. {position}` is not INSTANT on {server}: `{table}` is rebuilt{cure}",
                        column.name
                    ),
                )
                .span(cx.find_in(st, word)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-instant-column-position";
    const SQL: &str = "ALTER TABLE users ADD COLUMN nickname VARCHAR(50) AFTER name;";

    #[test]
    fn flags_positions_before_mysql_8_0_29() {
        assert_eq!(
            lint_errors(RULE, Case::new(SQL).mysql_version("8.0.28")),
            [
                "1:51 `ADD COLUMN nickname .. AFTER name` is not INSTANT on MySQL 8.0.28: `users` is rebuilt; added last it would be INSTANT"
            ]
        );
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE users ADD COLUMN a INT FIRST;").mysql_version("5.7")
            ),
            ["1:36 `ADD COLUMN a .. FIRST` is not INSTANT on MySQL 5.7: `users` is rebuilt"]
        );
        lint_errors(RULE, Case::new(SQL).mariadb("10.3"));
    }

    #[test]
    fn passes_newer_servers_last_position_and_new_tables() {
        lint_ok(RULE, Case::new(SQL).mysql_version("8.0.29"));
        lint_ok(RULE, Case::new(SQL).mysql_version("8.4"));
        // "8.0" without a patch release: the latest 8.0
        lint_ok(RULE, Case::new(SQL).mysql_version("8.0"));
        lint_ok(RULE, Case::new(SQL).mysql());
        lint_ok(RULE, Case::new(SQL).mariadb("10.4"));
        lint_ok(RULE, Case::new(SQL).mariadb("10.11"));
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN nickname VARCHAR(50);").mysql_version("8.0.20"),
        );
        lint_ok(
            RULE,
            Case::new(&format!("CREATE TABLE users (id INT, name TEXT);\n{SQL}"))
                .mysql_version("8.0.20"),
        );
    }
}
