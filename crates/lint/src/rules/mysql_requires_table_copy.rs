//! ## What it does
//! Flags an `ALTER TABLE` of an existing MySQL / MariaDB table whose best algorithm on the
//! configured server is COPY: a column type change (given the column's current type and
//! charset from the catalog), VARCHAR growth across the 255-byte length prefix, a charset
//! or collation change where the server copies for it, `ADD FOREIGN KEY` with `foreign_key_checks` on, a CHECK constraint, an engine or
//! partitioning change, ENUM/SET members reordered or removed, a STORED generated or an
//! `AUTO_INCREMENT` column.
//!
//! ## Why is this bad?
//! InnoDB copies the whole table into a new one while holding a shared lock: every write to
//! the table waits (or fails) for as long as the copy takes, minutes to hours on a large
//! table.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders MODIFY id BIGINT NOT NULL;
//! ```
//!
//! ## Use instead
//! An online schema change tool (`-- sluice:strategy pt-osc` or `gh-ost` above the
//! statement), or the expand/contract steps `migrate plan` writes (new column, triggers,
//! batched backfill, swap in a contract migration).

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::mysql::{self, Algorithm};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

pub struct MysqlRequiresTableCopy;

static META: RuleMeta = RuleMeta {
    id: "mysql-requires-table-copy",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "an ALTER TABLE that MySQL can only run as a table copy, blocking writes throughout",
    help: "run it through an online schema change tool (`-- sluice:strategy pt-osc` or `gh-ost`), or use the expand/contract steps `migrate plan` writes",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/mysql-requires-table-copy.md"),
};

impl Rule for MysqlRequiresTableCopy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for alter in mysql::alters(cx) {
            let st = alter.st;
            // an online strategy forced for this statement copies without blocking writes
            if mysql::strategy(cx, st).is_some() {
                continue;
            }
            let v = mysql::verdict(cx, st);
            if v.algorithm != Algorithm::Copy {
                continue;
            }
            // the current column is unknown (an unreadable statement touched the table) but
            // the statement pins a non-copy algorithm: the server refuses rather than copies
            let pinned = matches!(
                alter.algorithm.as_deref(),
                Some("INSTANT" | "INPLACE" | "NOCOPY")
            );
            if pinned
                && v.copy_reasons
                    .iter()
                    .all(|r| r.contains("(current type unknown)"))
            {
                continue;
            }
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "this ALTER of `{}` is a table copy on {} ({}): writes to the table are blocked while it is copied",
                        alter.table,
                        cx.settings.mysql_server(),
                        v.copy_reasons.join("; ")
                    ),
                )
                .span(cx.find_in(st, "alter"))
                .lock(LockInfo::new(LockMode::Share, LockHold::Rewrite)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-requires-table-copy";
    const HISTORY: &str = "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50), code VARCHAR(50) CHARACTER SET latin1, status ENUM('new','active'), org_id INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

    fn my(sql: &str) -> Case {
        Case::new(sql).mysql().history(HISTORY)
    }

    #[test]
    fn unknown_columns_under_a_pinned_algorithm_are_not_copies() {
        // RENAME INDEX is unreadable to the parser: the column is unknown afterwards
        let swap =
            "ALTER TABLE users RENAME COLUMN name TO n2, RENAME INDEX a TO b, ALGORITHM=INSTANT;\n";
        lint_ok(
            RULE,
            my(&format!(
                "{swap}ALTER TABLE users MODIFY n2 VARCHAR(50) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;"
            )),
        );
        assert_eq!(
            lint_errors(
                RULE,
                my(&format!(
                    "{swap}ALTER TABLE users MODIFY n2 VARCHAR(50) NOT NULL;"
                ))
            )
            .len(),
            1
        );
    }

    #[test]
    fn flags_type_changes_that_copy() {
        assert_eq!(
            lint_errors(RULE, my("ALTER TABLE users MODIFY id BIGINT NOT NULL;")),
            [
                "1:1 this ALTER of `users` is a table copy on MySQL 8.0 (changes the column type from integer to bigint): writes to the table are blocked while it is copied"
            ]
        );
        let found = lint_errors(RULE, my("ALTER TABLE users MODIFY name VARCHAR(100);"));
        assert!(
            found[0].contains("across the 255-byte length prefix, 200 to 400 bytes in utf8mb4"),
            "{found:?}"
        );
        let found = lint_errors(
            RULE,
            my("ALTER TABLE users MODIFY status ENUM('active','new');").mariadb("10.11"),
        );
        assert!(
            found[0].contains("table copy on MariaDB 10.11 (reorders or removes ENUM members)"),
            "{found:?}"
        );
        let found = lint_errors(RULE, my("ALTER TABLE users MODIFY code VARCHAR(50);"));
        assert!(
            found[0].contains("charset from latin1 to utf8mb4"),
            "{found:?}"
        );
    }

    #[test]
    fn collation_changes_by_server_and_index() {
        let history = "CREATE TABLE ids (id INT PRIMARY KEY, identifier VARCHAR(255) NOT NULL, note VARCHAR(255) COLLATE utf8mb4_bin, UNIQUE KEY ids_identifier (identifier)) DEFAULT CHARSET=utf8mb4";
        let case = |sql: &str| Case::new(sql).mysql().history(history);
        let rebin = "ALTER TABLE ids MODIFY identifier VARCHAR(255) COLLATE utf8mb4_bin NOT NULL;";
        // MySQL copies the table for any collation change
        let found = lint_errors(RULE, case(rebin));
        assert!(
            found[0].contains("changes the collation from utf8mb4_0900_ai_ci to utf8mb4_bin"),
            "{found:?}"
        );
        // MariaDB 10.6+ rebuilds the UNIQUE index in place; 10.5 copies
        lint_ok(RULE, case(rebin).mariadb("10.11"));
        let found = lint_errors(RULE, case(rebin).mariadb("10.5"));
        assert!(
            found[0].contains("utf8mb4_general_ci to utf8mb4_bin of an indexed column"),
            "{found:?}"
        );
        // a MODIFY without COLLATE drops the column's own: a change too
        let found = lint_errors(
            RULE,
            case("ALTER TABLE ids MODIFY note VARCHAR(255) NOT NULL;"),
        );
        assert!(
            found[0].contains("changes the collation from utf8mb4_bin to utf8mb4_0900_ai_ci"),
            "{found:?}"
        );
        lint_ok(
            RULE,
            case("ALTER TABLE ids MODIFY note VARCHAR(255) COLLATE utf8mb4_bin NOT NULL;"),
        );
        // the BINARY attribute (kratos), read by the token scan: the charset's _bin collation
        let binary = "ALTER TABLE ids MODIFY COLUMN identifier VARCHAR(255) BINARY NOT NULL;";
        let found = lint_errors(RULE, case(binary));
        assert!(
            found[0].contains("changes the collation from utf8mb4_0900_ai_ci to utf8mb4_bin"),
            "{found:?}"
        );
        lint_ok(RULE, case(binary).mariadb("10.11"));
    }

    #[test]
    fn passes_changes_without_a_copy() {
        for sql in [
            // 63 x 4 = 252 bytes: the length prefix stays one byte
            "ALTER TABLE users MODIFY name VARCHAR(63);",
            "ALTER TABLE users MODIFY code VARCHAR(255) CHARACTER SET latin1;",
            "ALTER TABLE users MODIFY status ENUM('new','active','banned');",
            "ALTER TABLE users CHANGE name full_name VARCHAR(50);",
            "ALTER TABLE users MODIFY org_id INT NOT NULL;",
            "ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INSTANT;",
            "ALTER TABLE users ADD INDEX users_org (org_id), ALGORITHM=INPLACE, LOCK=NONE;",
            "ALTER TABLE users DROP COLUMN code;",
            "ALTER TABLE users ENGINE=InnoDB;",
            "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x';",
        ] {
            lint_ok(RULE, my(sql));
            lint_ok(RULE, my(sql).mariadb("10.11"));
        }
        // new tables are not copied under load
        lint_ok(
            RULE,
            Case::new("CREATE TABLE t (a INT);\nALTER TABLE t MODIFY a BIGINT;").mysql(),
        );
        // an online strategy is forced for the statement
        lint_ok(
            RULE,
            my("-- sluice:strategy pt-osc\nALTER TABLE users MODIFY id BIGINT NOT NULL;"),
        );
    }

    #[test]
    fn flags_other_copies() {
        for (sql, why) in [
            (
                "ALTER TABLE users ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id);",
                "adds a FOREIGN KEY with foreign_key_checks on",
            ),
            (
                "ALTER TABLE users ADD COLUMN seq INT AUTO_INCREMENT UNIQUE;",
                "adds an AUTO_INCREMENT column",
            ),
            (
                "ALTER TABLE users ADD COLUMN id2 INT AS (id * 2) STORED;",
                "adds a STORED generated column",
            ),
            (
                "ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;",
                "converts the table to utf8mb4",
            ),
            (
                "ALTER TABLE users ENGINE=MyISAM;",
                "changes the storage engine to MYISAM",
            ),
            (
                "ALTER TABLE users PARTITION BY HASH (id) PARTITIONS 4;",
                "changes the table's partitioning",
            ),
            (
                "ALTER TABLE users ADD CONSTRAINT positive CHECK (id > 0);",
                "adds a CHECK constraint",
            ),
        ] {
            let found = lint_errors(RULE, my(sql));
            assert!(found[0].contains(why), "{sql}: {found:?}");
        }
        // MariaDB converts column by column: latin1 `code` is copied
        let found = lint_errors(
            RULE,
            my("ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;").mariadb("10.11"),
        );
        assert!(
            found[0].contains(
                "converts the table to utf8mb4: column `code` changes the column's charset from latin1 to utf8mb4"
            ),
            "{found:?}"
        );
        // the catalog follows the conversion (a statement the parser cannot read, typed whole
        // by the token scan): the next MODIFY is judged on known columns
        let found = lint_errors(
            RULE,
            my("ALTER TABLE users ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4;\nALTER TABLE users MODIFY code VARCHAR(60) NOT NULL;")
                .mariadb("10.11"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("1:1 "), "{found:?}");
        // MariaDB 10.5+ creates the FK of an inline REFERENCES; MySQL 8 ignores it
        let inline = "ALTER TABLE users ADD COLUMN shop_id INT REFERENCES shops (id);";
        lint_errors(RULE, my(inline).mariadb("10.11"));
        lint_ok(RULE, my(inline));
        // with foreign_key_checks off the FK is added in place (its rows are not validated)
        lint_ok(
            RULE,
            my(
                "SET foreign_key_checks = 0;\nALTER TABLE users ADD CONSTRAINT fk_org FOREIGN KEY (org_id) REFERENCES orgs (id);\nSET foreign_key_checks = 1;",
            ),
        );
    }

    #[test]
    fn unknown_current_type_is_reported_as_such() {
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE orders MODIFY total DECIMAL(12,2);").mysql(),
        );
        assert!(found[0].contains("(current type unknown)"), "{found:?}");
    }
}
