//! ## What it does
//! Flags a column named twice in one statement: assigned twice by `UPDATE .. SET`, listed twice
//! in `INSERT INTO t (..)`, declared twice in `CREATE TABLE`, or named twice by `CREATE VIEW`
//! (PostgreSQL).
//!
//! ## Why is this bad?
//! PostgreSQL rejects the statement (`multiple assignments to same column`, `column specified
//! more than once`): the migration fails when it is deployed, often after a copy-paste
//! that left the second value meant for another column.
//!
//! ## Example
//! ```sql
//! UPDATE accounts SET plan = 'free', seats = 1, plan = 'trial';
//! ```
//!
//! ## Use instead
//! One assignment per column: `UPDATE accounts SET plan = 'trial', seats = 1;`

use std::collections::BTreeMap;

use sqlparser::ast::{
    AssignmentTarget, ObjectName, ObjectNamePart, SelectItem, SetExpr, Statement as Ast,
};

use crate::context::{Parsed, ScriptCx};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::classify::ident;

use super::word_span;

pub struct BanDuplicateColumnAssignments;

static META: RuleMeta = RuleMeta {
    id: "ban-duplicate-column-assignments",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "a column assigned, listed or declared twice in one statement: PostgreSQL rejects it",
    help: "name each column once: keep the assignment you meant and remove the other",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-duplicate-column-assignments.md"),
};

/// A column named by a statement; `partial` for a field or element of it (`a.x`, `a[1]`).
struct Named {
    column: String,
    partial: bool,
}

impl Named {
    /// PostgreSQL's name for it: quotes off, unquoted folded, at most 63 bytes.
    fn new(name: String, partial: bool) -> Self {
        let column = sluice_core::names::pg_stored(&name).to_owned();
        Named { column, partial }
    }

    fn target(name: &ObjectName) -> Self {
        let first = match name.0.first() {
            Some(ObjectNamePart::Identifier(id)) => ident(id),
            Some(ObjectNamePart::Function(f)) => ident(&f.name),
            None => String::new(),
        };
        Named::new(first, name.0.len() > 1)
    }
}

impl Rule for BanDuplicateColumnAssignments {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in &cx.statements {
            let Parsed::Ok(asts) = &st.parsed else {
                continue;
            };
            for ast in asts {
                let (named, what) = named_columns(ast);
                for column in duplicates(&named) {
                    out.push(
                        Hit::new(
                            st.index,
                            format!("column `{column}` is {what} more than once: PostgreSQL rejects this statement"),
                        )
                        .span(word_span(cx, st, &column)),
                    );
                }
            }
        }
    }
}

/// The columns a statement names where each may appear once, and how it names them.
fn named_columns(ast: &Ast) -> (Vec<Named>, &'static str) {
    match ast {
        Ast::Update(u) => {
            let mut named = Vec::new();
            for a in &u.assignments {
                match &a.target {
                    AssignmentTarget::ColumnName(n) => named.push(Named::target(n)),
                    AssignmentTarget::Tuple(ns) => named.extend(ns.iter().map(Named::target)),
                }
            }
            (named, "assigned")
        }
        Ast::Insert(i) => (i.columns.iter().map(Named::target).collect(), "listed"),
        Ast::CreateTable(ct) => (
            ct.columns
                .iter()
                .map(|c| Named::new(ident(&c.name), false))
                .collect(),
            "declared",
        ),
        Ast::CreateView(v) if !v.columns.is_empty() => (
            v.columns
                .iter()
                .map(|c| Named::new(ident(&c.name), false))
                .collect(),
            "named",
        ),
        // without a column list, the select list names the view's columns
        Ast::CreateView(v) => match v.query.body.as_ref() {
            SetExpr::Select(s) => (
                s.projection
                    .iter()
                    .filter_map(|item| match item {
                        SelectItem::ExprWithAlias { alias, .. } => {
                            Some(Named::new(ident(alias), false))
                        }
                        _ => None,
                    })
                    .collect(),
                "named",
            ),
            _ => (Vec::new(), "named"),
        },
        _ => (Vec::new(), ""),
    }
}

/// Columns named twice, unless every mention is a part of it (`a.x = 1, a.y = 2`).
fn duplicates(named: &[Named]) -> Vec<String> {
    let mut by_name: BTreeMap<&str, Vec<&Named>> = BTreeMap::new();
    for n in named {
        by_name.entry(&n.column).or_default().push(n);
    }
    let mut out: Vec<(usize, String)> = by_name
        .into_iter()
        .filter(|(_, ns)| ns.len() > 1 && !ns.iter().all(|n| n.partial))
        .map(|(c, _)| {
            let first = named.iter().position(|n| n.column == c).unwrap_or(0);
            (first, c.to_owned())
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-duplicate-column-assignments";

    #[test]
    fn flags_columns_named_twice() {
        assert_eq!(
            lint_errors(
                RULE,
                "update k\nset\n  a = 1,\n  b = 2,\n  a = 3,\n  a = 4,\n  c = 5;\nUPDATE k SET (a, b) = (1, 2), b = 3;\nUPDATE k SET a = row(1, 2), a.x = 1;\nUPDATE k SET \"a\" = 1, A = 2;"
            ),
            [
                "3:3 column `a` is assigned more than once: PostgreSQL rejects this statement",
                "8:18 column `b` is assigned more than once: PostgreSQL rejects this statement",
                "9:14 column `a` is assigned more than once: PostgreSQL rejects this statement",
                "10:15 column `a` is assigned more than once: PostgreSQL rejects this statement",
            ]
        );
        assert_eq!(
            lint_errors(
                RULE,
                "INSERT INTO t (a, b, a) VALUES (1, 2, 3);\nCREATE TABLE t2 (a int, a text);\nCREATE VIEW v (a, a) AS SELECT 1, 2;\nCREATE VIEW w AS SELECT 1 AS a, 2 AS a;"
            ),
            [
                "1:16 column `a` is listed more than once: PostgreSQL rejects this statement",
                "2:18 column `a` is declared more than once: PostgreSQL rejects this statement",
                "3:16 column `a` is named more than once: PostgreSQL rejects this statement",
                "4:30 column `a` is named more than once: PostgreSQL rejects this statement",
            ]
        );
        // squawk's case (`fix_preserves_comments_between_assignments`)
        lint_errors(
            RULE,
            "update k\nset\n  a = 1 /* some comment */,\n  -- another comment\n  b = 2,\n  a = 3;",
        );
    }

    #[test]
    fn passes_distinct_and_partial_assignments() {
        // squawk's `distinct_and_partial_assignments_ok`
        lint_ok(
            RULE,
            "update k set a = 1, b = 2;\nupdate k set a.x = 1, a.y = 2;\nupdate k set a[1] = 1, a[2] = 2;\nupdate k set \"A\" = 1, A = 2;\ninsert into k (a, b) values (1, 2);\ncreate table t (a int, b int);\ncreate view v (a, b) as select 1 a, 2 a;\ncreate view inferred_v as select 1 a, 2 b;\ninsert into k (a.x, a.y) values (1, 2);",
        );
        lint_ok(RULE, Case::new("UPDATE t SET a = 1, a = 2;").mysql());
    }
}
