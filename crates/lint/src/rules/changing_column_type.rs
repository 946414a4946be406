//! ## What it does
//! Flags `ALTER TABLE .. ALTER COLUMN .. TYPE` (MySQL `MODIFY` / `CHANGE` with a type) on an
//! existing table.
//!
//! ## Why is this bad?
//! Most type changes rewrite the whole table and its indexes while holding ACCESS EXCLUSIVE
//! (reads and writes blocked for the whole rewrite), and the running code may not handle the
//! new type. A few changes are binary-coercible and cheap (`varchar(n)` to a longer
//! `varchar`, `varchar` to `text`); telling them apart needs the column's current type from
//! the schema catalog, so until then every type change is reported.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ALTER COLUMN id TYPE bigint;
//! ```
//!
//! ## Use instead
//! A shadow column of the new type kept in sync by a trigger, a batched backfill, and a swap
//! in a contract migration. `migrate plan` writes it.

use crate::context::{ScriptCx, Stmt};
use crate::lock::LockHold;
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::catalog::{SqlType, binary_coercible};
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::{Dialect, Operation};

use super::exclusive;

pub struct ChangingColumnType;

static META: RuleMeta = RuleMeta {
    id: "changing-column-type",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "a column type change that rewrites an existing table and may break running code",
    help: "add a shadow column of the new type with a sync trigger, backfill in batches, swap in a contract migration: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/changing-column-type.md"),
};

impl Rule for ChangingColumnType {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::AlterColumnType {
                table,
                column,
                new_type,
                ..
            } = op
                && !cx.is_new_table(table, st.index)
            {
                if cx.dialect() == Dialect::Mysql {
                    mysql_change(cx, st, table, column, new_type, out);
                    continue;
                }
                let current = cx
                    .catalog(st.index)
                    .column(table, column)
                    .filter(|_| {
                        // a statement the catalog could not read may have changed it
                        !cx.catalog(st.index)
                            .table(table)
                            .is_some_and(|t| t.uncertain)
                    })
                    .map(|c| c.data_type.clone());
                if cx.dialect() == Dialect::Postgres
                    && let Some(cur) = &current
                    && binary_coercible(&SqlType::parse(cur), &SqlType::parse(new_type))
                {
                    continue;
                }
                let from = match &current {
                    Some(cur) => format!("from {} ", SqlType::parse(cur)),
                    None => String::new(),
                };
                let unknown = if current.is_none() {
                    " (current type unknown)"
                } else {
                    ""
                };
                let span = ["type", "modify", "change"]
                    .iter()
                    .map(|k| cx.find_in(st, k))
                    .find(|r| *r != st.range)
                    .unwrap_or(st.range.clone());
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "changing the type of column `{column}` of `{table}` {from}to {new_type}{unknown} rewrites the table under an exclusive lock and may break the running code"
                        ),
                    )
                    .span(span)
                    .lock(exclusive(cx, LockHold::Rewrite)),
                );
            }
        }
    }
}

/// MySQL: a change InnoDB does without a copy (same type, VARCHAR growth within its
/// length-prefix class, ENUM members appended) keeps the running code working; anything
/// else copies the table and may break it.
fn mysql_change(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    table: &ObjName,
    column: &str,
    new_type: &str,
    out: &mut Vec<Hit>,
) {
    let verdict = mysql::column_change(cx, st, table, column, new_type);
    let why = match verdict {
        Some(Ok(_)) => return,
        Some(Err(why)) => format!("({why})"),
        None => format!("to {new_type} (current type unknown)"),
    };
    let span = ["modify", "change", "type"]
        .iter()
        .map(|k| cx.find_in(st, k))
        .find(|r| *r != st.range)
        .unwrap_or(st.range.clone());
    out.push(
        Hit::new(
            st.index,
            format!(
                "changing the type of column `{column}` of `{table}` {why} copies the table with writes blocked (LOCK=SHARED) and may break the running code"
            ),
        )
        .span(span)
        .lock(exclusive(cx, LockHold::Rewrite)),
    );
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "changing-column-type";

    #[test]
    fn flags_alter_column_type() {
        let found = lint_errors(RULE, "ALTER TABLE orders ALTER COLUMN id TYPE bigint;");
        assert_eq!(
            found,
            [
                "1:36 changing the type of column `id` of `orders` to BIGINT (current type unknown) rewrites the table under an exclusive lock and may break the running code"
            ]
        );
        let d = Case::new("ALTER TABLE orders ALTER COLUMN id TYPE bigint;").diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert!(lock.is_some_and(|l| l.rewrite), "{lock:?}");
    }

    #[test]
    fn flags_mysql_modify_in_any_phase() {
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE orders MODIFY total DECIMAL(12,2) NOT NULL;")
                .mysql()
                .contract(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("1:20 changing the type of column `total` of `orders`"));
    }

    #[test]
    fn binary_coercible_changes_pass_given_the_catalog() {
        let history =
            "CREATE TABLE users (id int, name varchar(50), v varchar(20), n numeric(10,2))";
        for ok in [
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);",
            "ALTER TABLE users ALTER COLUMN name TYPE text;",
            "ALTER TABLE users ALTER COLUMN v TYPE varchar;",
            "ALTER TABLE users ALTER COLUMN n TYPE numeric(12,2);",
        ] {
            lint_ok(RULE, Case::new(ok).history(history));
        }
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users ALTER COLUMN id TYPE bigint;").history(history),
        );
        assert_eq!(
            found,
            [
                "1:35 changing the type of column `id` of `users` from integer to BIGINT rewrites the table under an exclusive lock and may break the running code"
            ]
        );
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users ALTER COLUMN name TYPE varchar(20);").history(history),
        );
        // the catalog follows earlier changes of the change set
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ALTER COLUMN name TYPE varchar(200);")
                .history(history)
                .before("ALTER TABLE users ALTER COLUMN name TYPE varchar(100);"),
        );
    }

    #[test]
    fn mysql_varchar_growth_depends_on_charset_and_length_prefix() {
        let history = "CREATE TABLE users (id INT, name VARCHAR(50), code VARCHAR(50) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4";
        let my = |sql: &str| Case::new(sql).mysql().history(history);
        // utf8mb4: 63 chars = 252 bytes stays in the 1-byte class, 64 = 256 bytes crosses it
        lint_ok(RULE, my("ALTER TABLE users MODIFY name VARCHAR(63);"));
        let found = lint_errors(RULE, my("ALTER TABLE users MODIFY name VARCHAR(64);"));
        assert_eq!(
            found,
            [
                "1:19 changing the type of column `name` of `users` (grows varchar(50) to varchar(64) across the 255-byte length prefix, 200 to 256 bytes in utf8mb4) copies the table with writes blocked (LOCK=SHARED) and may break the running code"
            ]
        );
        // latin1 column: 255 chars still fit
        lint_ok(
            RULE,
            my("ALTER TABLE users MODIFY code VARCHAR(255) CHARACTER SET latin1;"),
        );
        // MODIFY without the charset falls back to the table's (utf8mb4): a charset change
        let found = lint_errors(RULE, my("ALTER TABLE users MODIFY code VARCHAR(60);"));
        assert!(
            found[0].contains("charset from latin1 to utf8mb4"),
            "{found:?}"
        );
        // a table whose default is latin1
        let latin = "CREATE TABLE t (s VARCHAR(100)) ENGINE=InnoDB DEFAULT CHARSET=latin1";
        lint_ok(
            RULE,
            Case::new("ALTER TABLE t MODIFY s VARCHAR(200);")
                .mysql()
                .history(latin),
        );
        lint_errors(
            RULE,
            Case::new("ALTER TABLE t MODIFY s VARCHAR(300);")
                .mysql()
                .history(latin),
        );
        lint_errors(RULE, my("ALTER TABLE users MODIFY id BIGINT;"));
        // same type, only NOT NULL / rename: no type change
        lint_ok(RULE, my("ALTER TABLE users MODIFY id INT(11) NOT NULL;"));
        lint_ok(
            RULE,
            my("ALTER TABLE users CHANGE name full_name VARCHAR(50);"),
        );
        lint_ok(
            RULE,
            my("ALTER TABLE users CHANGE COLUMN name full_name VARCHAR(60);"),
        );
        lint_errors(RULE, my("ALTER TABLE users CHANGE name full_name TEXT;"));
        // the same holds on MariaDB
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users MODIFY name VARCHAR(60);")
                .mariadb("10.11")
                .history(history),
        );
    }

    #[test]
    fn passes_on_new_tables() {
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
        );
        lint_ok(RULE, "ALTER TABLE orders ALTER COLUMN id SET DEFAULT 1;");
    }
}
