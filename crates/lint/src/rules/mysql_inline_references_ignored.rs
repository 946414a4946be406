//! ## What it does
//! Flags an inline `REFERENCES other(col)` in a column definition (`CREATE TABLE` or
//! `ADD COLUMN`) on MySQL before 9.0. MariaDB creates the foreign key since 10.5, MySQL since
//! 9.0; the rule follows `server_version` and `flavour`.
//!
//! ## Why is this bad?
//! MySQL 8 parses the clause and throws it away: no foreign key is created, no error or
//! warning is raised, and the schema silently lacks the integrity check its author wrote.
//!
//! ## Example
//! ```sql
//! CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES users (id));
//! ```
//!
//! ## Use instead
//! A table constraint: `FOREIGN KEY (user_id) REFERENCES users (id)`.

use crate::context::ScriptCx;
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::declared_columns;

pub struct MysqlInlineReferencesIgnored;

static META: RuleMeta = RuleMeta {
    id: "mysql-inline-references-ignored",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "inline REFERENCES in a column definition: MySQL 8 ignores it, no foreign key is created",
    help: "declare the foreign key as a table constraint: `FOREIGN KEY (col) REFERENCES other (id)`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/mysql-inline-references-ignored.md"),
};

impl Rule for MysqlInlineReferencesIgnored {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let server = cx.settings.mysql_server();
        if mysql::inline_references_create_fk(&server) {
            return;
        }
        for d in declared_columns(cx) {
            let Some(target) = &d.column.references else {
                continue;
            };
            let span = {
                let r = cx.find_in(d.stmt, "references");
                if r == d.stmt.range { d.span(cx) } else { r }
            };
            out.push(
                Hit::new(
                    d.stmt.index,
                    format!(
                        "{server} ignores the inline `REFERENCES {target}` of column `{}` of `{}`: no foreign key is created",
                        d.column.name, d.table
                    ),
                )
                .span(span)
                .help(format!(
                    "declare it as a table constraint: `FOREIGN KEY ({}) REFERENCES {target} (..)`",
                    d.column.name
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-inline-references-ignored";

    #[test]
    fn flags_inline_references_on_mysql_8() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new(
                    "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES users (id));"
                )
                .mysql()
            ),
            [
                "1:60 MySQL 8.0 ignores the inline `REFERENCES users` of column `user_id` of `orders`: no foreign key is created"
            ]
        );
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE orders ADD COLUMN shop_id INT REFERENCES shops (id);")
                .mysql_version("8.4"),
        );
        assert!(found[0].contains("MySQL 8.4 ignores"), "{found:?}");
        lint_errors(
            RULE,
            Case::new("CREATE TABLE o (u INT REFERENCES users (id));").mariadb("10.4"),
        );
    }

    #[test]
    fn passes_table_constraints_mariadb_10_5_and_mysql_9() {
        lint_ok(
            RULE,
            Case::new("CREATE TABLE orders (id BIGINT, user_id BIGINT, FOREIGN KEY (user_id) REFERENCES users (id));")
                .mysql(),
        );
        let inline = "CREATE TABLE orders (user_id BIGINT REFERENCES users (id));";
        lint_ok(RULE, Case::new(inline).mariadb("10.11"));
        lint_ok(RULE, Case::new(inline).mariadb("10.5"));
        lint_ok(RULE, Case::new(inline).mysql_version("9.0"));
    }
}
