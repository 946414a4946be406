//! `RENAME TABLE t TO u` -> rename plus a view named `t` the old code reads and writes
//! through (a plain view of the table's columns is automatically updatable); contract drops
//! the view.

use serde_json::json;

use sluice_core::sql::ops::ObjName;
use sluice_lint::context::{ScriptCx, Stmt};

use super::super::{Cost, PlanPhase, Strategy};
use super::{Builder, Src, StepSpec, lock, tname};

/// Why table `from` cannot be renamed here: an earlier statement of the migration changes it
/// in the backfill or the contract (lemmy's `sticky_local`: a column renamed, then the
/// table). Those steps name `from` and run after the expand's rename, when `from` is the
/// compatibility view, which shows the columns of the naive schema, not the ones the
/// expand keeps for the old code.
pub(super) fn changed_later_by_earlier_lines(
    b: &Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    from: &ObjName,
) -> Option<String> {
    let line_of = |s: &Stmt| cx.file().line_col(s.range.start).line;
    let (line, phase) = cx.statements[..st.index]
        .iter()
        .filter(|s| s.ops.iter().any(|op| op.table() == Some(from)))
        .find_map(|s| {
            let line = line_of(s);
            b.steps()
                .iter()
                .find(|step| step.source_line == line && step.phase != PlanPhase::Expand)
                .map(|step| (line, step.phase))
        })?;
    Some(format!(
        "line {line} changes table {from} in the {} (its steps name {from} and run after this rename, when {from} is the view the old code reads through), so the table cannot be renamed in the same migration; rename it in a migration of its own, after this one",
        phase.name()
    ))
}

pub(super) fn rename_table(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    from: &ObjName,
    to: &ObjName,
) -> Result<(), String> {
    let columns: Vec<_> = src
        .table(from)?
        .columns
        .iter()
        .map(|c| json!({ "column": c.name }))
        .collect();
    let renamed = ObjName::new(from.schema.as_deref().or(to.schema.as_deref()), &to.name);
    let invoker = b.settings.pg_at_least(15);
    // the view is made over the table before the rename (it follows the table), so the
    // table's lock covers only the two renames
    let (made, placed) =
        super::view_rename::compat_view(b, from, from, columns.clone(), invoker, &[])?;
    let (made_after, _) =
        super::view_rename::compat_view(b, from, &renamed, columns, invoker, &[])?;
    let view = format!("{made_after}\n{placed}");
    let drop_view = b.sql("drop_view.sql", json!({ "view": tname(from) }))?;
    let up = format!(
        "{made}\n-- sluice:ignore renaming-table -- the old name stays as a view until contract\n{}\n{placed}",
        b.sql(
            "rename_table.sql",
            json!({ "table": tname(from), "to": to.name })
        )?
    );
    let down = format!(
        "{drop_view}\n{}",
        b.sql(
            "rename_table.sql",
            json!({ "table": tname(&renamed), "to": from.name })
        )?
    );
    let g = b.group();
    b.add(
        src,
        "rename-table",
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::Plain,
            summary: format!(
                "rename {from} to {} and keep {from} as an updatable view",
                to.name
            ),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        Some(g),
    );
    b.add(
        src,
        "rename-table",
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::Plain,
            summary: format!("drop the compatibility view {from}"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: drop_view,
            down: Some(view),
        },
        None,
    );
    Ok(())
}
