//! ## What it does
//! Flags a table, column, index, constraint, sequence or view created or renamed with a name over
//! 63 bytes (PostgreSQL) or 64 characters (MySQL); on MySQL also such a name where a statement
//! only refers to an object (the table it alters, what it drops).
//!
//! ## Why is this bad?
//! PostgreSQL silently truncates such a name to 63 bytes: the name in the catalog is not the one
//! written, tools that compare names see a difference, and two long names with the same first 63
//! bytes collide. MySQL rejects the statement.
//!
//! ## Example
//! ```sql
//! CREATE INDEX customer_notification_preferences_by_channel_and_locale_overrides_idx ON t (a);
//! ```
//!
//! ## Use instead
//! A name of at most 63 bytes: abbreviate.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ObjectKind;
use sluice_core::sql::{Dialect, Operation};

use super::created_objects;

pub struct IdentifierTooLong;

static META: RuleMeta = RuleMeta {
    id: "identifier-too-long",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "an identifier over 63 bytes (PostgreSQL truncates it silently) or 64 characters (MySQL rejects it)",
    help: "shorten the name to at most 63 bytes (PostgreSQL) / 64 characters (MySQL)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/identifier-too-long.md"),
};

impl Rule for IdentifierTooLong {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let mut names: Vec<(usize, &str)> = Vec::new();
        for (st, op) in cx.ops() {
            let i = st.index;
            match op {
                Operation::CreateTable {
                    table,
                    columns,
                    constraints,
                    ..
                } => {
                    names.push((i, &table.name));
                    names.extend(columns.iter().map(|c| (i, c.name.as_str())));
                    names.extend(
                        constraints
                            .iter()
                            .filter_map(|c| c.name.as_deref())
                            .map(|n| (i, n)),
                    );
                }
                Operation::AddColumn { column, .. } => names.push((i, &column.name)),
                Operation::CreateIndex { name: Some(n), .. } => names.push((i, n)),
                Operation::AddConstraint { constraint, .. } => {
                    names.extend(constraint.name.as_deref().map(|n| (i, n)));
                }
                Operation::RenameTable { to, .. } => names.push((i, &to.name)),
                Operation::RenameColumn { to, .. } => names.push((i, to)),
                Operation::RenameObject { kind, to, .. } if *kind != ObjectKind::EnumValue => {
                    names.push((i, to));
                }
                _ => {}
            }
        }
        let created = created_objects(cx);
        names.extend(
            created
                .iter()
                .filter(|(k, _, _)| {
                    matches!(
                        k,
                        ObjectKind::View | ObjectKind::MaterializedView | ObjectKind::Sequence
                    )
                })
                .map(|(_, n, i)| (*i, n.name.as_str())),
        );
        if cx.dialect() == Dialect::Mysql {
            // MySQL also refuses an over-long name where it only refers to an object (no such
            // object can exist); PostgreSQL truncates it there as it did at creation
            for (st, op) in cx.ops() {
                names.extend(referenced(op).into_iter().map(|n| (st.index, n)));
            }
        }
        // a created table is also the one its statement acts on: report it once
        names.sort_unstable();
        names.dedup();
        for (i, name) in names {
            let st = &cx.statements[i];
            let message = match cx.dialect() {
                Dialect::Postgres if name.len() > 63 => format!(
                    "identifier `{name}` is {} bytes long: PostgreSQL silently truncates it to 63 bytes, so the catalog name differs from the written one and names sharing that prefix collide",
                    name.len()
                ),
                Dialect::Mysql if name.chars().count() > 64 => format!(
                    "identifier `{name}` is {} characters long: MySQL rejects identifiers over 64 characters, so this statement fails",
                    name.chars().count()
                ),
                _ => continue,
            };
            out.push(Hit::new(i, message).span(cx.find_in(st, name)));
        }
    }
}

/// Names of existing objects `op` refers to: the table it acts on, and what it drops.
fn referenced(op: &Operation) -> Vec<&str> {
    let mut names: Vec<&str> = op.table().map(|t| t.name.as_str()).into_iter().collect();
    match op {
        Operation::DropTable { tables, .. } | Operation::Truncate { tables, .. } => {
            names.extend(tables.iter().map(|t| t.name.as_str()));
        }
        Operation::DropIndex {
            names: n, table, ..
        } => {
            names.extend(n.iter().chain(table).map(|t| t.name.as_str()));
        }
        Operation::DropObject { names: n, .. } => names.extend(n.iter().map(|t| t.name.as_str())),
        Operation::DropColumn { column, .. } => names.push(column),
        _ => {}
    }
    names
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "identifier-too-long";

    #[test]
    fn flags_long_names_on_postgres() {
        let long = "a".repeat(64);
        let ok = "b".repeat(63);
        let sql = format!(
            "CREATE TABLE {ok} ({long} int, CONSTRAINT {long}_c CHECK (true));\nCREATE VIEW {long} AS SELECT 1;\nALTER TABLE t RENAME COLUMN x TO {long};"
        );
        let m = |n: usize, s: &str| {
            format!(
                "identifier `{s}` is {n} bytes long: PostgreSQL silently truncates it to 63 bytes, so the catalog name differs from the written one and names sharing that prefix collide"
            )
        };
        assert_eq!(
            lint_errors(RULE, sql.as_str()),
            [
                format!("1:79 {}", m(64, &long)),
                format!("1:160 {}", m(66, &format!("{long}_c"))),
                format!("2:13 {}", m(64, &long)),
                format!("3:34 {}", m(64, &long)),
            ]
        );
        // multi-byte characters count in bytes
        let accents = "é".repeat(32);
        assert_eq!(
            lint_errors(
                RULE,
                format!("CREATE INDEX \"{accents}\" ON t (a);").as_str()
            ),
            [format!("1:15 {}", m(64, &accents))]
        );
    }

    #[test]
    fn mysql_counts_characters_up_to_64() {
        lint_ok(
            RULE,
            Case::new(&format!("CREATE TABLE {} (a int);", "a".repeat(64))).mysql(),
        );
        let long = "a".repeat(65);
        assert_eq!(
            lint_errors(
                RULE,
                Case::new(&format!("ALTER TABLE t ADD COLUMN {long} int;")).mysql()
            ),
            [format!(
                "1:26 identifier `{long}` is 65 characters long: MySQL rejects identifiers over 64 characters, so this statement fails"
            )]
        );
    }

    #[test]
    fn mysql_refuses_long_names_it_only_refers_to() {
        // MariaDB 10.11: `DROP TABLE IF EXISTS <65 characters>` -> ERROR 1103 Incorrect table name
        let long = "t".repeat(65);
        let m = |s: &str| Case::new(s).mysql();
        let msg = format!(
            "identifier `{long}` is 65 characters long: MySQL rejects identifiers over 64 characters, so this statement fails"
        );
        assert_eq!(
            lint_errors(RULE, m(&format!("DROP TABLE IF EXISTS {long};"))),
            [format!("1:22 {msg}")]
        );
        assert_eq!(
            lint_errors(RULE, m(&format!("ALTER TABLE {long} ADD COLUMN a int;"))),
            [format!("1:13 {msg}")]
        );
        assert_eq!(
            lint_errors(RULE, m(&format!("ALTER TABLE t DROP COLUMN {long};"))),
            [format!("1:27 {msg}")]
        );
        // a created table is the one its statement acts on too: one finding
        assert_eq!(
            lint_errors(RULE, m(&format!("CREATE TABLE {long} (a int);"))).len(),
            1
        );
        lint_ok(RULE, m(&format!("DROP TABLE {};", "t".repeat(64))));
    }

    #[test]
    fn passes_on_short_names_and_references() {
        lint_ok(
            RULE,
            format!("CREATE INDEX i ON t ({});", "c".repeat(70)).as_str(),
        );
        lint_ok(RULE, "CREATE TABLE orders (id bigint);");
    }

    #[test]
    fn differences_from_squawk() {
        // `drop_table_long_name_err`: PostgreSQL truncates the name in the DROP as it did in
        // the CREATE, so the drop finds the table: nothing to fix there
        let sql = "drop table table_very_long_very_long_very_long_very_long_very_long_very_long;";
        lint_ok(RULE, sql);
        // MySQL refuses the name in a DROP too (the case agrees there)
        assert_eq!(lint_errors(RULE, Case::new(sql).mysql()).len(), 1);
    }
}
