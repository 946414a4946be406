//! ## What it does
//! Flags `CREATE TABLE`, `ALTER TABLE` and `DROP TABLE` of a table name without a schema
//! (PostgreSQL). Temporary tables are exempt. Opt-in.
//!
//! ## Why is this bad?
//! An unqualified name resolves through `search_path`, which depends on the role, the
//! database and the session that runs the migration. The same file can create the table in
//! one schema on the developer's machine and in another in production, or alter a
//! same-named table of another schema.
//!
//! ## Example
//! ```sql
//! CREATE TABLE accounts (id bigint PRIMARY KEY);
//! ```
//!
//! ## Use instead
//! `CREATE TABLE public.accounts (id bigint PRIMARY KEY);`

use sqlparser::ast::{ObjectName, ObjectType, Statement as Ast};

use crate::context::{Parsed, ScriptCx, Stmt};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::classify::obj_name;
use sluice_core::sql::ops::ObjName;

use super::word_span;

pub struct RequireTableSchema;

static META: RuleMeta = RuleMeta {
    id: "require-table-schema",
    aliases: &[],
    default: DefaultLevel::OptIn,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "CREATE / ALTER / DROP TABLE of a name without a schema: it resolves through search_path",
    help: "qualify the table with its schema: `public.accounts`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/require-table-schema.md"),
};

impl Rule for RequireTableSchema {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in &cx.statements {
            for table in unqualified_tables(st) {
                let name = &table.name;
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "table `{name}` has no schema: it resolves through search_path, which depends on the role and session that run the migration"
                        ),
                    )
                    .span(word_span(cx, st, name)),
                );
            }
        }
    }
}

/// The tables a CREATE (not temporary), ALTER or DROP TABLE names without a schema: from the
/// AST, or from the token scan's operations when the statement did not parse.
fn unqualified_tables(st: &Stmt) -> Vec<ObjName> {
    let unqualified = |n: &ObjectName| (n.0.len() < 2).then(|| obj_name(n));
    match &st.parsed {
        Parsed::Ok(asts) => asts
            .iter()
            .flat_map(|a| match a {
                Ast::CreateTable(ct) if !ct.temporary => {
                    unqualified(&ct.name).into_iter().collect()
                }
                Ast::AlterTable(at) => unqualified(&at.name).into_iter().collect(),
                Ast::Drop {
                    object_type: ObjectType::Table,
                    names,
                    ..
                } => names.iter().filter_map(unqualified).collect(),
                _ => Vec::new(),
            })
            .collect(),
        Parsed::Unparsed(_) => {
            let mut out: Vec<ObjName> = Vec::new();
            for op in &st.ops {
                let tables: Vec<&ObjName> = match op {
                    Operation::DropTable { tables, .. } => tables.iter().collect(),
                    Operation::CreateIndex { .. } | Operation::Insert { .. } => Vec::new(),
                    Operation::Update { .. } | Operation::Delete { .. } => Vec::new(),
                    Operation::CreateTrigger { .. } => Vec::new(),
                    other => other.table().into_iter().collect(),
                };
                for t in tables {
                    if t.schema.is_none() && !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "require-table-schema";

    #[test]
    fn flags_unqualified_tables_when_enabled() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("CREATE TABLE my_table (id int);\nALTER TABLE my_table ADD COLUMN name text;\nDROP TABLE my_table, public.other;\nCREATE TABLE t2 AS SELECT 1;").enable(RULE)
            ),
            [
                "1:14 table `my_table` has no schema: it resolves through search_path, which depends on the role and session that run the migration",
                "2:13 table `my_table` has no schema: it resolves through search_path, which depends on the role and session that run the migration",
                "3:12 table `my_table` has no schema: it resolves through search_path, which depends on the role and session that run the migration",
                "4:14 table `t2` has no schema: it resolves through search_path, which depends on the role and session that run the migration",
            ]
        );
    }

    #[test]
    fn passes_qualified_and_temporary_tables_and_is_off_by_default() {
        lint_ok(
            RULE,
            Case::new("CREATE TABLE public.my_table (id int);\nALTER TABLE public.my_table ADD COLUMN name text;\nDROP TABLE public.my_table;\nCREATE TABLE public.t AS SELECT 1;\nCREATE TEMP TABLE temp_mapping_table (id int4) ON COMMIT DROP;\nCREATE TEMPORARY TABLE other_temp (id int4);\nCREATE TEMP TABLE t3 AS SELECT 1;").enable(RULE),
        );
        lint_ok(RULE, "CREATE TABLE my_table (id int);");
    }
}
