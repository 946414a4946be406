//! `RENAME COLUMN a TO b` through a view (PostgreSQL, `--rename-column view`): the expand
//! renames the table out of the way, renames its column, and puts a view under the table's
//! name that shows the column under both names; old code reads and writes `a`, new code `b`,
//! and no row is copied. The contract drops the view and gives the table its name back.
//!
//! Instant at any size (three catalog changes under one brief lock), where the copy (a shadow
//! column kept equal by a trigger and filled in batches) writes every row. The price is a
//! view where the application had a table during the rollout: `COPY`, `TRUNCATE`, `LOCK`
//! and DDL on it fail, so it is the operator's choice, not the default.

use serde_json::{Value, json};

use sluice_core::catalog::Table;
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::{ObjName, Operation};
use sluice_core::sql::quote;
use sluice_lint::context::{ScriptCx, Stmt};

use super::super::{Cost, PlanPhase, Strategy, names};
use super::{Builder, Src, StepSpec, lock, tname, unparsed};

pub(super) const RECIPE: &str = "rename-column-view";

/// Why the view cannot carry this rename (the copy does it instead), or `None`.
pub(super) fn unsuitable(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    t: &Table,
    table: &ObjName,
) -> Option<String> {
    if t.stub || t.uncertain {
        return Some(format!(
            "the earlier migrations do not show all of {table}'s columns, which the view must list"
        ));
    }
    if let Some(trigger) = t.triggers.first() {
        // a trigger stays on the table, whose column is renamed while the old code runs: a
        // function that reads NEW.a would fail
        return Some(format!(
            "{table} has triggers ({}), whose functions may name the column: they stay on the renamed table",
            trigger.name
        ));
    }
    let line_of = |s: &Stmt| cx.file().line_col(s.range.start).line;
    let other = cx.statements.iter().find(|s| {
        s.index != st.index
            && !s.ops.iter().all(|op| {
                matches!(
                    op,
                    Operation::Transaction(_) | Operation::SetVariable { .. }
                )
            })
            && unparsed::words(cx.settings.dialect, &cx.file().text[s.range.clone()])
                .contains(&table.name)
    })?;
    Some(format!(
        "line {} names {table} too (during the rollout {table} is the view, so that statement would meet it)",
        line_of(other)
    ))
}

/// The table's columns as the view shows them, read from the table as it is when the view is
/// made (`renamed`: the column has its new name already): each under its own name, the
/// renamed one under its old name in its place and again under its new name last (the old
/// code's `*` keeps its order up to the added column).
fn view_columns(t: &Table, from: &str, to: &str, renamed: bool) -> Vec<Value> {
    let now = if renamed { to } else { from };
    let mut columns: Vec<Value> = t
        .columns
        .iter()
        .map(|c| {
            if c.name == from {
                json!({ "column": now, "alias": (now != from).then_some(from) })
            } else {
                json!({ "column": c.name })
            }
        })
        .collect();
    columns.push(json!({ "column": now, "alias": (now != to).then_some(to) }));
    columns
}

pub(super) fn rename_column(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    t: &Table,
    table: &ObjName,
    from: &str,
    to: &str,
) -> Result<(), String> {
    let base_name = names::fit(
        "_sluice_renaming_",
        &table.name,
        &format!("_{}", names::version_tag(&b.version)),
    );
    let base = ObjName::new(table.schema.as_deref(), &base_name);
    let invoker = b.settings.pg_at_least(15);
    let made = |b: &Builder<'_>, renamed: bool| {
        let twice = if renamed { (to, from) } else { (from, to) };
        compat_view(
            b,
            table,
            table,
            view_columns(t, from, to, renamed),
            invoker,
            Some(twice),
        )
    };
    let (view_before, placed) = made(b, false)?;
    let (view_after, _) = made(b, true)?;
    let drop_view = b.sql("drop_view.sql", json!({ "view": tname(table) }))?;
    let to_base = b.sql(
        "rename_table.sql",
        json!({ "table": tname(table), "to": base_name }),
    )?;
    let back = b.sql(
        "rename_table.sql",
        json!({ "table": tname(&base), "to": table.name }),
    )?;
    let col = |f: &str, t: &str| {
        b.sql(
            "rename_column.sql",
            json!({ "table": tname(&base), "from": f, "to": t }),
        )
    };
    let (forward, backward) = (col(from, to)?, col(to, from)?);
    let aside = format!(
        "-- sluice:ignore renaming-table -- the old name stays as a view until the contract\n{to_base}"
    );
    // the view and its privileges first, the table's lock (from the rename on) only for the
    // three renames: the queries queued behind it wait about a millisecond
    let expand_up = format!(
        "{view_before}\n{aside}\n-- sluice:ignore renaming-column -- the view shows the column under both names\n{forward}\n{placed}"
    );
    let expand_down = format!("{drop_view}\n{backward}\n{back}");
    let contract_up = format!(
        "{drop_view}\n-- sluice:ignore renaming-table -- the table gets its name back from the view\n{back}"
    );
    let contract_down = format!("{view_after}\n{aside}\n{placed}");
    let g = b.group();
    b.add(
        src,
        RECIPE,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::Plain,
            summary: format!(
                "rename column {from} to {to} on {table} without copying it: the table steps aside as {base_name} and a view named {table} shows the column under both names"
            ),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: expand_up,
            down: Some(expand_down),
        },
        Some(g),
    );
    // one transaction: between the drop and the rename no relation has the name
    let contract_group = b.group();
    b.add(
        src,
        RECIPE,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::Plain,
            summary: format!("drop the view {table} and give the table its name back"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: contract_up,
            down: Some(contract_down),
        },
        Some(contract_group),
    );
    if !invoker {
        b.note(format!(
            "line {}: before PostgreSQL 15 a view reads its table with its owner's rights: row-level security policies of {table} do not apply to queries through the view until the contract",
            src.line
        ));
    }
    Ok(())
}

/// The view the old code uses under a table's old name, made before the table's brief lock:
/// created under a temporary name over `table` as it is (a view follows its table by
/// identity, not by name, through the renames after it), with the table's privileges.
/// Returns that SQL and the statement that puts it in place as `view` (under the lock,
/// after the table has left the name). `twice`: (column, second name) of a column the view
/// shows twice, whose column privileges go to both.
pub(super) fn compat_view(
    b: &Builder<'_>,
    view: &ObjName,
    table: &ObjName,
    columns: Vec<Value>,
    invoker: bool,
    twice: Option<(&str, &str)>,
) -> Result<(String, String), String> {
    let temp = ObjName::new(
        view.schema.as_deref(),
        &names::fit(
            "_sluice_view_",
            &view.name,
            &format!("_{}", names::version_tag(&b.version)),
        ),
    );
    let q = |n: &ObjName| quote::qualified(Dialect::Postgres, n);
    let created = b.sql(
        "compat_view.sql",
        json!({ "view": tname(&temp), "table": tname(table), "columns": columns, "invoker": invoker }),
    )?;
    let grants = b.sql(
        "copy_grants.sql",
        json!({
            "table": q(table),
            "view": q(&temp),
            "renamed": twice.map(|(column, _)| column),
            "alias": twice.map(|(_, second)| second),
        }),
    )?;
    let placed = b.sql(
        "rename_table.sql",
        json!({ "table": tname(&temp), "to": view.name }),
    )?;
    Ok((
        format!("{created}\n{grants}"),
        format!(
            "-- sluice:ignore renaming-table -- the view made above takes the old name\n{placed}"
        ),
    ))
}
