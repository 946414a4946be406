//! Lock facts shared by several rules (pg-locks.md): which table lock an operation takes.

use crate::context::{ScriptCx, Stmt};
use crate::lock::{LockHold, LockInfo, LockMode};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{ConstraintKind, ObjName};

/// Order of lock modes by how much they block (docs table 13.2).
pub(crate) fn strength(mode: LockMode) -> u8 {
    match mode {
        LockMode::RowExclusive => 0,
        LockMode::ShareUpdateExclusive => 1,
        LockMode::Share => 2,
        LockMode::ShareRowExclusive => 3,
        LockMode::Exclusive => 4,
        LockMode::AccessExclusive | LockMode::MetadataExclusive => 5,
    }
}

/// The table lock an operation takes when it is SHARE or stronger (pg-locks.md), with the
/// table when the operation names it.
pub(crate) fn table_lock(op: &Operation) -> Option<(Option<&ObjName>, LockInfo)> {
    use LockHold::{Brief, IndexBuild, Rewrite, Scan};
    use LockMode::{AccessExclusive, Share, ShareRowExclusive};
    let (mode, hold) = match op {
        Operation::AddColumn { .. }
        | Operation::DropColumn { .. }
        | Operation::RenameColumn { .. }
        | Operation::RenameTable { .. }
        | Operation::SetNotNull { .. }
        | Operation::DropNotNull { .. }
        | Operation::SetDefault { .. }
        | Operation::DropDefault { .. }
        | Operation::DropConstraint { .. }
        | Operation::AlterConstraint { .. }
        | Operation::AlterIdentity { .. }
        | Operation::DropExpression { .. } => (AccessExclusive, Brief),
        Operation::AlterColumnType { .. }
        | Operation::TableRewrite { .. }
        | Operation::ConvertCharset { .. } => (AccessExclusive, Rewrite),
        Operation::AddConstraint { constraint, .. } => match constraint.kind {
            ConstraintKind::ForeignKey => (ShareRowExclusive, Scan),
            _ if constraint.not_valid || constraint.using_index.is_some() => {
                (AccessExclusive, Brief)
            }
            ConstraintKind::Check => (AccessExclusive, Scan),
            _ => (AccessExclusive, IndexBuild),
        },
        Operation::CreateIndex {
            concurrently: false,
            ..
        }
        | Operation::Reindex {
            concurrently: false,
            ..
        } => (Share, IndexBuild),
        Operation::DropIndex {
            concurrently: false,
            table,
            ..
        } => return Some((table.as_ref(), LockInfo::new(AccessExclusive, Brief))),
        Operation::DetachPartition {
            concurrently: false,
            finalize: false,
            ..
        } => (AccessExclusive, Brief),
        Operation::CreateTrigger { .. } => (ShareRowExclusive, Brief),
        Operation::DropTable { tables, .. } => {
            return Some((tables.first(), LockInfo::new(AccessExclusive, Brief)));
        }
        Operation::Truncate { tables, .. } => {
            return Some((tables.first(), LockInfo::new(AccessExclusive, Brief)));
        }
        _ => return None,
    };
    Some((op.table(), LockInfo::new(mode, hold)))
}

/// The strongest SHARE-or-stronger lock a statement takes on a table that exists before the
/// script (tables created earlier in the script are new and exempt), with that table when
/// the operation names it.
pub(crate) fn strongest_existing_lock<'s>(
    cx: &ScriptCx<'_>,
    st: &'s Stmt,
) -> Option<(Option<&'s ObjName>, LockInfo)> {
    st.ops
        .iter()
        .filter_map(table_lock)
        .filter(|(t, _)| t.is_none_or(|t| !cx.is_new_table(t, st.index)))
        .max_by_key(|(_, l)| strength(l.mode))
}

/// "`users`", or "its table" when the statement does not name it.
pub(crate) fn on_table(table: Option<&ObjName>) -> String {
    match table {
        Some(t) => format!("`{t}`"),
        None => "its table".to_owned(),
    }
}

/// `ADD CONSTRAINT` of `kind` on an existing table that builds its own index (no
/// `USING INDEX`): the statement, the table, the constraint's name for messages (`` `n` `` with
/// a leading space, or empty) and the span to point at (the constraint name, else `keyword`).
pub(crate) fn index_building_constraints<'a>(
    cx: &'a ScriptCx<'_>,
    kind: ConstraintKind,
    keyword: &'static str,
) -> impl Iterator<Item = (&'a Stmt, &'a ObjName, String, std::ops::Range<usize>)> + 'a {
    cx.ops().filter_map(move |(st, op)| {
        let Operation::AddConstraint { table, constraint } = op else {
            return None;
        };
        if constraint.kind != kind
            || constraint.using_index.is_some()
            || cx.is_new_table(table, st.index)
        {
            return None;
        }
        let (name, span) = match &constraint.name {
            Some(n) => (format!(" `{n}`"), cx.find_in(st, "constraint")),
            None => (String::new(), cx.find_in(st, keyword)),
        };
        Some((st, table, name, span))
    })
}
