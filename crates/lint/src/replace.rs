//! A view or a function dropped and created again in one script: a replacement, when the
//! running code keeps what it uses. A view: every column of the old view is in the new one
//! and only other views' drops and creations come between (lemmy's views over `*`, created
//! again whenever a table gains a column). A function: only other functions' drops and
//! creations come between (lemmy's `hot_rank`, created again with another return type).
//! `ban-drop-view` and `contract-before-expand` pass such a drop when the pair runs in one
//! transaction; the planner keeps the pair in the expand, in one transaction.

use sluice_core::sql::ops::{ObjName, ObjectKind};
use sluice_core::sql::{self, Operation};

use crate::context::{Parsed, ScriptCx, Stmt, Tx};

/// The statement creating view `name` again after `drop`, when the pair is a replacement the
/// running code can read; why not otherwise (for a refusal's message).
pub fn view<'s>(cx: &'s ScriptCx<'_>, drop: &Stmt, name: &ObjName) -> Result<&'s Stmt, String> {
    const OTHER_NAME: &str = "create the new definition under another name (the new code reads it), and drop the old one in a later migration";
    let cascade = matches!(&drop.parsed, Parsed::Ok(asts)
        if asts.iter().any(|a| matches!(a, sqlparser::ast::Statement::Drop { cascade: true, .. })));
    if cascade {
        return Err(format!(
            "its drop is CASCADE, which drops views the migration does not name; drop the dependent views by name, or {OTHER_NAME}"
        ));
    }
    let creates =
        |s: &Stmt| create_view(s).is_some_and(|v| sql::classify::obj_name(&v.name) == *name);
    let Some(create) = cx.statements[drop.index + 1..].iter().find(|s| creates(s)) else {
        return Err(format!(
            "it is not created again after line {}",
            line(cx, drop)
        ));
    };
    if let Some(other) = cx.statements[drop.index + 1..create.index]
        .iter()
        .find(|s| !is_view_statement(s))
    {
        return Err(format!(
            "line {} comes between the drop and the creation, and a view is replaced in one transaction with only view statements (the running code must never find it missing); drop and create it right after that statement, or {OTHER_NAME}",
            line(cx, other)
        ));
    }
    let old = cx.catalog(drop.index).view_columns(name);
    let new = create_view(create)
        .and_then(|v| sluice_core::catalog::view_columns::of_view(cx.catalog(create.index), v));
    let (Some(old), Some(new)) = (old, new) else {
        return Err(format!(
            "the columns of the old or the new definition are not known here (a `*` over a relation the earlier migrations do not show), so the running code's columns cannot be shown to stay; {OTHER_NAME}"
        ));
    };
    let lost: Vec<&str> = old
        .iter()
        .filter(|c| !new.contains(c))
        .map(String::as_str)
        .collect();
    if !lost.is_empty() {
        return Err(format!(
            "the new definition has no column {}, which the running code may read; keep {} in the new view until the code that reads {} is gone, or {OTHER_NAME}",
            lost.join(", "),
            if lost.len() == 1 { "it" } else { "them" },
            if lost.len() == 1 { "it" } else { "them" },
        ));
    }
    Ok(create)
}

/// The `CREATE VIEW` (not materialized) `s` is.
pub fn create_view(s: &Stmt) -> Option<&sqlparser::ast::CreateView> {
    let Parsed::Ok(asts) = &s.parsed else {
        return None;
    };
    match asts.as_slice() {
        [sqlparser::ast::Statement::CreateView(v)] if !v.materialized => Some(v),
        _ => None,
    }
}

/// A view's drop or (non-materialized) creation.
fn is_view_statement(s: &Stmt) -> bool {
    create_view(s).is_some()
        || (!s.ops.is_empty()
            && s.ops.iter().all(|op| {
                matches!(
                    op,
                    Operation::DropObject {
                        kind: ObjectKind::View,
                        ..
                    }
                )
            }))
}

/// The line `s` starts on.
pub fn line(cx: &ScriptCx<'_>, s: &Stmt) -> usize {
    cx.file().line_col(s.range.start).line
}

/// The statement creating function `name` again after `drop`, with only other functions'
/// drops and creations between.
pub fn function<'s>(cx: &'s ScriptCx<'_>, drop: &Stmt, name: &ObjName) -> Option<&'s Stmt> {
    let created = |s: &Stmt| match &s.parsed {
        Parsed::Ok(asts) => match asts.as_slice() {
            [sqlparser::ast::Statement::CreateFunction(f)] => {
                Some(sql::classify::obj_name(&f.name))
            }
            _ => None,
        },
        _ => None,
    };
    for later in &cx.statements[drop.index + 1..] {
        match created(later) {
            Some(n) if n == *name => return Some(later),
            Some(_) => {}
            None if !later.ops.is_empty()
                && later.ops.iter().all(|o| {
                    matches!(
                        o,
                        Operation::DropObject {
                            kind: ObjectKind::Function,
                            ..
                        }
                    )
                }) => {}
            None => return None,
        }
    }
    None
}

/// Whether `drop` drops view or function `name` as a replacement ([`view`], [`function`])
/// that runs in one transaction with its creation: the running code never finds it missing.
pub fn in_one_transaction(
    cx: &ScriptCx<'_>,
    drop: &Stmt,
    kind: ObjectKind,
    name: &ObjName,
) -> bool {
    let create = match kind {
        ObjectKind::View => view(cx, drop, name).ok(),
        ObjectKind::Function => function(cx, drop, name),
        _ => None,
    };
    drop.tx != Tx::None && create.is_some_and(|c| c.tx != Tx::None)
}
