//! What the migration adds or frees, which the phases must respect: a constraint on columns
//! it adds can hold from the expand on (nothing running writes them); a name it frees (a
//! drop or a rename) and takes again cannot, since the old object keeps the name until the
//! contract.

use sluice_core::catalog::Catalog;
use sluice_core::sql::ops::ConstraintKind;
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::ops::ObjectKind;
use sluice_core::sql::{self, Operation};
use sluice_lint::context::{ScriptCx, Stmt};
use sluice_lint::replace;

use super::Src;

/// Why `ops` cannot be planned: they create a table or add a column under a name the
/// migration freed (the old object keeps it until the contract; a rename's
/// compatibility view holds a table's old name). `cat`: the schema before the statement.
pub(super) fn reused_name(cx: &ScriptCx<'_>, cat: &Catalog, ops: &[Operation]) -> Option<String> {
    // a table the migration drops or renames, then creates again: the new one would be
    // created in the expand while the old name is still held (the table, soft-dropped only
    // in the contract, or the view a rename keeps for the old code; `IF NOT EXISTS` then
    // silently creates nothing)
    if let Some(table) = ops.iter().find_map(|op| match op {
        Operation::CreateTable { table, .. }
            if cx.catalog(0).table(table).is_some() && cat.table(table).is_none() =>
        {
            Some(table)
        }
        _ => None,
    }) {
        return Some(format!(
            "{table} exists before this migration, which drops or renames it and creates it again: the running code uses the old table until the rollout ends, so the new one cannot take its name in the expand; create the new table under another name (the new code uses it), and drop the old one in a later migration"
        ));
    }
    // likewise a column renamed or dropped, then added again under its old name, or another
    // column renamed to it (lemmy's `no-individual-inboxes`: `DROP COLUMN inbox_url`, then
    // `RENAME COLUMN shared_inbox_url TO inbox_url`; the shadow column's `ADD COLUMN IF NOT
    // EXISTS` met the old column, and the contract failed)
    if let Some((table, column)) = ops.iter().find_map(|op| {
        let (table, name) = match op {
            Operation::AddColumn { table, column, .. } => (table, &column.name),
            Operation::RenameColumn { table, to, .. } => (table, to),
            _ => return None,
        };
        let had = |c: &Catalog| c.table(table).is_some_and(|t| t.column(name).is_some());
        (had(cx.catalog(0)) && !had(cat)).then_some((table, name))
    }) {
        return Some(format!(
            "column {column} of {table} exists before this migration, which renames or drops it and gives that name to a column again: the old column keeps the name until the contract (the running code uses it), so the new one cannot take it in the expand; give the new column another name, or do it in a later migration"
        ));
    }
    None
}

/// Why a `CREATE [MATERIALIZED] VIEW` cannot be planned: the migration dropped the view of
/// that name, and the drop waits for the contract (the running code queries the view),
/// unless the two are a [`replaced_view`] pair, planned together in the expand.
pub(super) fn reused_view(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    ast: &sqlparser::ast::Statement,
) -> Option<String> {
    let sqlparser::ast::Statement::CreateView(v) = ast else {
        return None;
    };
    let name = sql::classify::obj_name(&v.name);
    // there before the migration, dropped by it
    if !cx.catalog(0).has_view(&name) || cat.has_view(&name) {
        return None;
    }
    if v.materialized {
        return Some(format!(
            "materialized view {name} exists before this migration, which drops it and creates it again: the drop waits for the contract (the running code queries the view), so the new one cannot take its name in the expand; create the new definition under another name (the new code reads it), and drop the old one in a later migration"
        ));
    }
    let drop = cx.statements[..st.index].iter().rev().find(|d| {
        d.ops.iter().any(|op| {
            matches!(op, Operation::DropObject { kind: ObjectKind::View, names, .. } if names.contains(&name))
        })
    })?;
    match replace::view(cx, drop, &name) {
        Ok(_) => None,
        Err(why) => Some(format!(
            "view {name} exists before this migration, which drops it and creates it again: {why}"
        )),
    }
}

/// Why a unique index or constraint cannot be planned: an earlier `DELETE` of its table in
/// the migration goes to the contract, after the rollout, while the unique index is built in
/// the expand, before it, on rows the `DELETE` would have removed (lemmy's duplicate
/// `ap_id`s, deleted, then made unique: the expand's `CREATE UNIQUE INDEX` failed on them).
pub(super) fn unique_after_delete(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    ops: &[Operation],
) -> Option<String> {
    let table = ops.iter().find_map(|op| match op {
        Operation::CreateIndex {
            unique: true,
            table,
            ..
        } => Some(table),
        Operation::AddConstraint { table, constraint }
            if matches!(
                constraint.kind,
                ConstraintKind::Unique | ConstraintKind::PrimaryKey
            ) =>
        {
            Some(table)
        }
        _ => None,
    })?;
    if cx.is_new_table(table, st.index) {
        return None;
    }
    let delete = cx.statements[..st.index].iter().find(|d| {
        d.ops
            .iter()
            .any(|o| matches!(o, Operation::Delete { table: t, .. } if t == table))
    })?;
    Some(format!(
        "line {} deletes rows of {table}, which waits for the contract (after the rollout), but this unique index is built in the expand, before it, on the rows the DELETE removes; delete them in an earlier migration (applied before this one), then add the unique index",
        replace::line(cx, delete)
    ))
}

/// Why a write cannot be planned: an earlier statement of the migration drops a constraint
/// of its table, a drop that waits for the contract (the old code may rely on it), while the
/// write runs before it and may add rows only the drop lets in (lemmy's
/// `post-or-comment-notification`: `DROP CONSTRAINT comment_reply_recipient_id_comment_id_key`,
/// then an `INSERT` of rows with the same `(recipient_id, comment_id)`; the expand failed on
/// the unique constraint still there).
pub(super) fn write_after_dropped_constraint(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    ast: &sqlparser::ast::Statement,
    ops: &[Operation],
) -> Option<String> {
    let table = ops.iter().find_map(|op| match op {
        Operation::Insert { table } | Operation::Update { table, .. } => Some(table),
        _ => None,
    })?;
    if cx.is_new_table(table, st.index) {
        return None;
    }
    // an UPDATE can break only a constraint on a column it sets (lemmy's `comment_ltrees`
    // drops foreign keys for speed, then sets another column)
    let set: Option<Vec<String>> = match ast {
        sqlparser::ast::Statement::Update(u) => Some(
            u.assignments
                .iter()
                .filter_map(|a| match &a.target {
                    sqlparser::ast::AssignmentTarget::ColumnName(n) => {
                        n.0.last()
                            .and_then(|p| p.as_ident())
                            .map(sql::classify::ident)
                    }
                    sqlparser::ast::AssignmentTarget::Tuple(_) => None,
                })
                .collect(),
        ),
        _ => None,
    };
    let (drop, name) = cx.statements[..st.index].iter().find_map(|d| {
        d.ops.iter().find_map(|o| match o {
            Operation::DropConstraint { table: t, name, .. } if t == table => {
                let columns = cx
                    .catalog(d.index)
                    .table(table)
                    .and_then(|t| t.constraint(name))
                    .map(|c| c.columns.clone())
                    .unwrap_or_default();
                let meets = match &set {
                    None => true,
                    Some(set) => columns.is_empty() || columns.iter().any(|c| set.contains(c)),
                };
                meets.then_some((d, name))
            }
            _ => None,
        })
    })?;
    Some(format!(
        "line {} drops constraint {name} of {table}, which waits for the contract (after the rollout: the running code may rely on it), but this statement writes rows of {table} before then, which the constraint may still refuse; drop the constraint in an earlier migration (applied before this one), then write the rows",
        replace::line(cx, drop)
    ))
}

/// Why a `CREATE FUNCTION` cannot be planned: an earlier statement of the migration drops a
/// function of that name, and not as a [`replaced_function`] pair. The drop waits for the
/// contract (the running code may call it), when the new function exists as well: a
/// `DROP FUNCTION` without argument types then names two functions and fails, or drops the
/// new one (lemmy's `fix-timezones`: `DROP FUNCTION IF EXISTS hot_rank CASCADE` on line 1,
/// `CREATE FUNCTION hot_rank (numeric, timestamptz)` 335 lines later; the contract failed with
/// "function name is not unique").
pub(super) fn reused_function(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    ast: &sqlparser::ast::Statement,
) -> Option<String> {
    let sqlparser::ast::Statement::CreateFunction(f) = ast else {
        return None;
    };
    let name = sql::classify::obj_name(&f.name);
    let drop = cx.statements[..st.index].iter().rev().find(|d| {
        d.ops.iter().any(|op| {
            matches!(op, Operation::DropObject { kind: ObjectKind::Function, names, .. } if names.contains(&name))
        })
    })?;
    if replace::function(cx, drop, &name).is_some_and(|c| c.index == st.index) {
        return None;
    }
    Some(format!(
        "function {name} is dropped by line {} and created again here: the drop waits for the contract (the running code may call the old function), when this one exists too, so the contract's drop would name both or drop the new one; drop and create it with only function statements between (the pair is then replaced in one transaction of the expand), or give the new function another name",
        replace::line(cx, drop)
    ))
}

/// Whether `op` drops views this migration creates again, each a replacement the running
/// code can read (lemmy's views over `*`, dropped and created again when a table gains a
/// column): every column of the old view is in the new one, and between the drop and the
/// creation come only other views' drops and creations. The pair stays in the expand, in
/// one transaction: queries of the view wait for it (catalog only, brief) and never find it
/// missing. Returns the line of the last creation.
pub(super) fn replaced_view(cx: &ScriptCx<'_>, st: &Stmt, op: &Operation) -> Option<usize> {
    let Operation::DropObject {
        kind: ObjectKind::View,
        names,
        ..
    } = op
    else {
        return None;
    };
    let mut last = None;
    for name in names {
        let create = replace::view(cx, st, name).ok()?;
        last = last.max(Some(cx.file().line_col(create.range.start).line));
    }
    last
}

/// Whether `op` drops a function that a later statement of the migration creates again
/// under its name ([`replace::function`]; lemmy's `scaled_rank`: `DROP FUNCTION hot_rank`,
/// then `CREATE OR REPLACE FUNCTION hot_rank` with another return type: the drop went to the
/// contract, and the expand's creation met the old function). The pair stays in the expand,
/// in one transaction: the triggers and views calling the function never find it missing.
/// Returns the line of the creation.
pub(super) fn replaced_function(cx: &ScriptCx<'_>, st: &Stmt, op: &Operation) -> Option<usize> {
    let Operation::DropObject {
        kind: ObjectKind::Function,
        names,
        ..
    } = op
    else {
        return None;
    };
    let [dropped] = names.as_slice() else {
        return None;
    };
    replace::function(cx, st, dropped).map(|create| replace::line(cx, create))
}

/// Whether `op` drops a trigger that a later statement of the migration creates again under
/// its name (crates.io's `timezones`: the drop went to the contract, and the expand's
/// `CREATE TRIGGER` met the old trigger).
pub(super) fn replaced_trigger(cx: &ScriptCx<'_>, st: &Stmt, op: &Operation) -> bool {
    let Operation::DropObject {
        kind: ObjectKind::Trigger,
        names,
        ..
    } = op
    else {
        return false;
    };
    let [dropped] = names.as_slice() else {
        return false;
    };
    cx.statements[st.index + 1..].iter().any(|later| {
        later
            .ops
            .iter()
            .any(|o| matches!(o, Operation::CreateTrigger { name, .. } if *name == dropped.name))
    })
}

/// Whether `op` adds a constraint on columns only this migration adds.
pub(super) fn on_new_columns(cx: &ScriptCx<'_>, op: &Operation) -> bool {
    let Operation::AddConstraint { table, constraint } = op else {
        return false;
    };
    let before = cx.catalog(0).table(table);
    // a CHECK names its columns in its expression
    let columns = match &constraint.check_expr {
        Some(expr) if constraint.columns.is_empty() => identifiers(expr),
        _ => constraint.columns.clone(),
    };
    !columns.is_empty()
        && columns
            .iter()
            .all(|c| before.is_none_or(|t| t.column(c).is_none()))
}

/// The identifiers an expression names (lower-cased unless quoted); none when it does not
/// parse.
pub(super) fn identifiers(expr: &str) -> Vec<String> {
    let Ok(parsed) = sql::parse(sql::Dialect::Postgres, &format!("SELECT {expr}")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let _ = sqlparser::ast::visit_expressions(&parsed, |e| {
        if let sqlparser::ast::Expr::Identifier(id) = e {
            out.push(if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            });
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}

/// Whether `op` builds an index under a name the migration freed (it dropped the index of
/// that name): the old index keeps the name until the contract drops it, so the new one is
/// built under another name in the expand and takes the name in the contract.
pub(super) fn freed_index_name(cx: &ScriptCx<'_>, cat: &Catalog, op: &Operation) -> bool {
    match op {
        Operation::CreateIndex {
            name: Some(name),
            table,
            ..
        } => {
            let index = ObjName {
                schema: table.schema.clone(),
                name: name.clone(),
            };
            cx.catalog(0).index(&index).is_some() && cat.index(&index).is_none()
        }
        _ => false,
    }
}

/// What an `IF NOT EXISTS` statement finds already there (`cat`: the schema before it), so
/// that it creates nothing: its down must not drop it (the object and its data were there
/// before the migration).
pub(super) fn found_by_if_not_exists(src: &Src<'_>) -> Option<String> {
    use sqlparser::ast::{SchemaName, Statement as Ast};
    let cat = src.cat;
    match src.ast {
        Some(Ast::CreateSequence {
            if_not_exists: true,
            name,
            ..
        }) => {
            let name = sql::classify::obj_name(name);
            return cat.has_sequence(&name).then(|| format!("sequence {name}"));
        }
        Some(Ast::CreateSchema {
            if_not_exists: true,
            schema_name: SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _),
            ..
        }) => {
            let name = sql::classify::obj_name(n).name;
            return cat.has_schema(&name).then(|| format!("schema {name}"));
        }
        _ => {}
    }
    match src.op {
        Operation::CreateTable {
            table,
            if_not_exists: true,
            ..
        } if cat.table(table).is_some() => Some(format!("table {table}")),
        Operation::AddColumn {
            table,
            column,
            if_not_exists: true,
        } if cat.column(table, &column.name).is_some() => {
            Some(format!("column {} of {table}", column.name))
        }
        Operation::CreateIndex {
            name: Some(name),
            table,
            if_not_exists: true,
            ..
        } => {
            let index = ObjName {
                schema: table.schema.clone(),
                name: name.clone(),
            };
            cat.index(&index)
                .is_some()
                .then(|| format!("index {index}"))
        }
        _ => None,
    }
}
