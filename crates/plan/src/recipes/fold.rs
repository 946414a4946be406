//! The three-statement NOT NULL column: `ADD COLUMN c` (nullable), `UPDATE t SET c = <value>`
//! (the whole table), then `SET NOT NULL` (MySQL: `MODIFY c <same type> NOT NULL`). Planned one
//! by one, the rows the old code inserts between the backfill and the contract keep a NULL
//! and the contract's NOT NULL fails. Folded, it is the NOT NULL column recipe with the
//! UPDATE's value as `-- sluice:backfill`: a fill trigger gives old-code rows the value too.

use std::collections::BTreeMap;

use sqlparser::ast::{
    AlterTableOperation, AssignmentTarget, ColumnOption, ColumnOptionDef, Expr, Statement as Ast,
    TableFactor,
};

use sluice_core::catalog::Origin;
use sluice_core::sql::ops::{ColumnSpec, ObjName, Operation};
use sluice_lint::context::{Parsed, ScriptCx, Stmt};

/// What the planner does differently for a script.
#[derive(Debug, Default)]
pub(crate) struct Folds {
    /// Statement index of an `ADD COLUMN` -> the value its rows get (the UPDATE's).
    pub add: BTreeMap<usize, String>,
    /// Statement index of a folded UPDATE / NOT NULL -> the line of its `ADD COLUMN`.
    pub folded: BTreeMap<usize, usize>,
    /// Statement index of an `ADD COLUMN` -> its UPDATE's and its NOT NULL's.
    pub parts: BTreeMap<usize, [usize; 2]>,
}

pub(crate) fn not_null_columns(cx: &ScriptCx<'_>) -> Folds {
    let mut folds = Folds::default();
    for (i, st) in cx.statements.iter().enumerate() {
        let [Operation::AddColumn { table, column, .. }] = st.ops.as_slice() else {
            continue;
        };
        if !plain_nullable(column) || !existing(cx, st, table) {
            continue;
        }
        let mut update = None;
        for later in &cx.statements[i + 1..] {
            match &update {
                None => {
                    if let Some(expr) = whole_table_update(later, table, &column.name) {
                        update = Some((later.index, expr));
                    }
                }
                Some((u, expr)) => {
                    if sets_not_null(later, table, column) {
                        let line = cx.file().line_col(st.range.start).line;
                        folds.add.insert(st.index, expr.clone());
                        folds.folded.insert(*u, line);
                        folds.folded.insert(later.index, line);
                        folds.parts.insert(st.index, [*u, later.index]);
                        break;
                    }
                }
            }
        }
    }
    folds
}

/// `ALTER TABLE t ADD COLUMN c` with `NOT NULL` added (`st` is one such statement).
pub(crate) fn with_not_null(st: &Stmt) -> Option<Ast> {
    let Parsed::Ok(asts) = &st.parsed else {
        return None;
    };
    let [Ast::AlterTable(alter)] = asts.as_slice() else {
        return None;
    };
    let mut alter = alter.clone();
    let [AlterTableOperation::AddColumn { column_def, .. }] = alter.operations.as_mut_slice()
    else {
        return None;
    };
    column_def.options.push(ColumnOptionDef {
        name: None,
        option: ColumnOption::NotNull,
    });
    Some(Ast::AlterTable(alter))
}

/// Whether a statement after `st`, an `ADD COLUMN`, sets or drops the added column's DEFAULT
/// (ente's `is_two_factor_enabled`: added, filled, NOT NULL, then `SET DEFAULT FALSE`).
pub(crate) fn default_set_later(cx: &ScriptCx<'_>, st: &Stmt) -> bool {
    let [Operation::AddColumn { table, column, .. }] = st.ops.as_slice() else {
        return false;
    };
    cx.statements
        .iter()
        .skip_while(|s| s.index != st.index)
        .skip(1)
        .flat_map(|s| &s.ops)
        .any(|op| match op {
            Operation::SetDefault {
                table: t,
                column: c,
                ..
            }
            | Operation::DropDefault {
                table: t,
                column: c,
                ..
            } => t == table && *c == column.name,
            _ => false,
        })
}

/// A nullable column without default or constraints: the form the fold turns NOT NULL.
fn plain_nullable(c: &ColumnSpec) -> bool {
    !c.not_null
        && c.default.is_none()
        && !c.serial
        && c.generated.is_none()
        && !c.primary_key
        && !c.unique
        && c.references.is_none()
        && !c.check
}

/// The table existed before this migration (the running code uses it).
fn existing(cx: &ScriptCx<'_>, st: &Stmt, table: &ObjName) -> bool {
    !cx.is_new_table(table, st.index)
        && cx
            .catalog(st.index)
            .table(table)
            .is_some_and(|t| t.origin != Origin::ChangeSet)
}

/// `UPDATE table SET column = <expr>` over every row (or every row where it is NULL): the
/// expression.
fn whole_table_update(st: &Stmt, table: &ObjName, column: &str) -> Option<String> {
    let [Operation::Update { table: t, .. }] = st.ops.as_slice() else {
        return None;
    };
    let Parsed::Ok(asts) = &st.parsed else {
        return None;
    };
    let [Ast::Update(u)] = asts.as_slice() else {
        return None;
    };
    if t != table
        || u.from.is_some()
        || u.returning.is_some()
        || !u.table.joins.is_empty()
        || u.limit.is_some()
        || !matches!(u.table.relation, TableFactor::Table { alias: None, .. })
    {
        return None;
    }
    let [a] = u.assignments.as_slice() else {
        return None;
    };
    let AssignmentTarget::ColumnName(name) = &a.target else {
        return None;
    };
    let ident = name.0.last().and_then(|p| p.as_ident())?;
    if !same_name(&ident.value, ident.quote_style.is_some(), column) {
        return None;
    }
    match &u.selection {
        None => {}
        Some(Expr::IsNull(e)) if matches!(&**e, Expr::Identifier(i) if same_name(&i.value, i.quote_style.is_some(), column)) =>
            {}
        Some(_) => return None,
    }
    Some(a.value.to_string())
}

fn same_name(written: &str, quoted: bool, column: &str) -> bool {
    if quoted {
        written == column
    } else {
        written.eq_ignore_ascii_case(column)
    }
}

/// `ALTER COLUMN c SET NOT NULL`, or MySQL's `MODIFY c <the added type> NOT NULL` (nothing else
/// redefined, the column not moved).
fn sets_not_null(st: &Stmt, table: &ObjName, added: &ColumnSpec) -> bool {
    let ops: Vec<&Operation> = st
        .ops
        .iter()
        .filter(|o| !matches!(o, Operation::AlterTableOptions { .. }))
        .collect();
    match ops.as_slice() {
        [Operation::SetNotNull { table: t, column }] => t == table && *column == added.name,
        [
            Operation::AlterColumnType {
                table: t, column, ..
            },
            Operation::RedefineColumn { column: def, .. },
        ] => {
            t == table
                && *column == added.name
                && def.name == added.name
                && def.not_null
                && def.data_type.eq_ignore_ascii_case(&added.data_type)
                // MODIFY without FIRST / AFTER leaves the column where ADD put it
                && def.position.is_none()
                && ColumnSpec {
                    not_null: false,
                    position: added.position.clone(),
                    ..def.clone()
                } == *added
        }
        _ => false,
    }
}
