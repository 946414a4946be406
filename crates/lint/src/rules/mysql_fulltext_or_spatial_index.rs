//! ## What it does
//! Flags a FULLTEXT or SPATIAL index added to an existing MySQL / MariaDB table
//! (`ALTER TABLE .. ADD FULLTEXT INDEX`, `CREATE FULLTEXT INDEX`, and the SPATIAL forms).
//!
//! ## Why is this bad?
//! InnoDB builds these indexes in place but only with `LOCK=SHARED`: writes to the table
//! wait for the whole build. The first FULLTEXT index of a table also rebuilds the table to
//! add its hidden `FTS_DOC_ID` column.
//!
//! ## Example
//! ```sql
//! ALTER TABLE posts ADD FULLTEXT INDEX posts_body_ft (body);
//! ```
//!
//! ## Use instead
//! Build it with an online schema change tool (`-- sluice:strategy pt-osc` or `gh-ost`), or in
//! a maintenance window; or create the index together with the table.

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct MysqlFulltextOrSpatialIndex;

static META: RuleMeta = RuleMeta {
    id: "mysql-fulltext-or-spatial-index",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Mysql,
    phase: PhaseScope::Any,
    dialects: Dialects::Mysql,
    summary: "a FULLTEXT or SPATIAL index on an existing table: built with LOCK=SHARED (writes blocked)",
    help: "build it through an online schema change tool (`-- sluice:strategy pt-osc` or `gh-ost`) or in a maintenance window",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/mysql-fulltext-or-spatial-index.md"),
};

impl Rule for MysqlFulltextOrSpatialIndex {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::CreateIndex {
                table,
                fulltext_or_spatial: true,
                name,
                ..
            } = op
            else {
                continue;
            };
            if cx.is_new_table(table, st.index) || mysql::strategy(cx, st).is_some() {
                continue;
            }
            let name = name.as_ref().map(|n| format!(" `{n}`")).unwrap_or_default();
            let kind = if cx.text(st).to_ascii_uppercase().contains("SPATIAL") {
                "SPATIAL"
            } else {
                "FULLTEXT"
            };
            let span = cx.find_in(st, kind);
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "building the {kind} index{name} on `{table}` needs LOCK=SHARED: writes to `{table}` wait for the whole build"
                    ),
                )
                .span(span)
                .lock(LockInfo::new(LockMode::Share, LockHold::IndexBuild)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "mysql-fulltext-or-spatial-index";

    #[test]
    fn flags_fulltext_and_spatial_on_existing_tables() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE posts ADD FULLTEXT INDEX ft (body);").mysql()
            ),
            [
                "1:23 building the FULLTEXT index `ft` on `posts` needs LOCK=SHARED: writes to `posts` wait for the whole build"
            ]
        );
        let found = lint_errors(
            RULE,
            Case::new("CREATE FULLTEXT INDEX ft ON posts (body);").mariadb("10.11"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE places ADD SPATIAL INDEX sp (location);").mysql(),
        );
        assert!(found[0].contains("SPATIAL index `sp`"), "{found:?}");
    }

    #[test]
    fn passes_plain_indexes_and_new_tables() {
        for sql in [
            "ALTER TABLE posts ADD INDEX i (title), ALGORITHM=INPLACE, LOCK=NONE;",
            "CREATE INDEX i ON posts (title);",
            "CREATE TABLE posts (id INT, body TEXT, FULLTEXT KEY ft (body));",
            "CREATE TABLE posts (id INT, body TEXT);\nALTER TABLE posts ADD FULLTEXT INDEX ft (body);",
            "-- sluice:strategy gh-ost\nALTER TABLE posts ADD FULLTEXT INDEX ft (body);",
        ] {
            lint_ok(RULE, Case::new(sql).mysql());
        }
    }
}
