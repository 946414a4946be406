//! A whole-table `UPDATE` on an existing table -> the migration's batched backfill: the
//! same assignments and condition, run in short key-range transactions after expand.

use sqlparser::ast::{AssignmentTarget, Statement as Ast, TableFactor, UpdateTableFromKind};

use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;

use super::{Builder, Join, Src};

pub(super) fn batched_update(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
) -> Result<(), String> {
    let Some(Ast::Update(u)) = src.ast else {
        return Err("internal error: not an UPDATE".into());
    };
    let pg = b.r.dialect == Dialect::Postgres;
    if u.returning.is_some()
        || !u.table.joins.is_empty()
        || u.limit.is_some()
        || (u.from.is_some() && !pg)
    {
        return Err(
            "an UPDATE with joins, RETURNING or LIMIT (or, on MySQL, a multi-table UPDATE) cannot be split into key-range batches automatically: write backfill.toml by hand".into(),
        );
    }
    // PostgreSQL's `UPDATE t AS a SET .. FROM f WHERE ..`: each batch is the same UPDATE
    // with the key range (lemmy's aggregates and person rows, ente's key attributes)
    let mut join = Join::default();
    if let TableFactor::Table { alias: Some(a), .. } = &u.table.relation {
        if !pg || !a.columns.is_empty() {
            return Err(
                "an UPDATE with a table alias cannot be batched automatically here: drop the alias"
                    .into(),
            );
        }
        join.alias = Some(sluice_core::sql::classify::ident(&a.name));
    }
    if let Some(UpdateTableFromKind::BeforeSet(f) | UpdateTableFromKind::AfterSet(f)) = &u.from {
        join.from = Some(
            f.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    // lemmy's `UPDATE pg_index SET indisready = false`: no data to fill, and no table of the
    // history; say what it is rather than "not known"
    let system = table.schema.as_deref() == Some("pg_catalog")
        || (table.schema.is_none()
            && table.name.starts_with("pg_")
            && src.cat.table(table).is_none());
    if system && b.r.dialect == sluice_core::sql::Dialect::Postgres {
        return Err(format!(
            "an UPDATE of the system catalog {table} changes PostgreSQL's own bookkeeping, not the application's rows: it cannot be batched or phased; apply it from a hand-written phased migration (and prefer the supported command, e.g. REINDEX CONCURRENTLY or DROP INDEX CONCURRENTLY)"
        ));
    }
    let t = src.table(table)?;
    let key = Src::key(t)?;
    if !t.has_primary_key() {
        // no sync trigger here: a row the application moves behind the walk keeps its value
        b.note(format!(
            "line {}: {table} has no primary key: the backfill walks its unique key ({}); a row whose key the application changes while the backfill runs can be passed over, so keep key changes out of that window or check the rows after it",
            src.line,
            key.join(", ")
        ));
    }
    let mut columns = Vec::new();
    for a in &u.assignments {
        let AssignmentTarget::ColumnName(name) = &a.target else {
            return Err(
                "a tuple assignment cannot be batched automatically: assign each column on its own"
                    .into(),
            );
        };
        let Some(ident) = name.0.last().and_then(|p| p.as_ident()) else {
            return Err(format!("cannot read the assigned column {name}"));
        };
        let col = if ident.quote_style.is_some() {
            ident.value.clone()
        } else {
            ident.value.to_lowercase()
        };
        if key.contains(&col) {
            return Err(format!(
                "the UPDATE assigns the key column {col} the batches walk: it cannot run in key-range batches"
            ));
        }
        columns.push((col, a.value.to_string()));
    }
    let todo = u.selection.as_ref().map(ToString::to_string);
    for (col, expr) in columns {
        b.backfill_update(src, table, &join, key.clone(), &col, expr, todo.clone())?;
    }
    Ok(())
}
