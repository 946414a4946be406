//! `RENAME TABLE t TO u` -> rename plus a view named `t` the old code reads and writes
//! through (a plain view of the table's columns is automatically updatable); contract drops
//! the view.

use serde_json::json;

use sluice_core::sql::ops::ObjName;

use super::super::{Cost, PlanPhase, Strategy};
use super::{Builder, Src, StepSpec, lock, tname};

pub(super) fn rename_table(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    from: &ObjName,
    to: &ObjName,
) -> Result<(), String> {
    let columns: Vec<&str> = src
        .table(from)?
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let renamed = ObjName::new(from.schema.as_deref().or(to.schema.as_deref()), &to.name);
    let view = b.sql(
        "compat_view.sql",
        json!({ "view": tname(from), "table": tname(&renamed), "columns": columns }),
    )?;
    let drop_view = b.sql("drop_view.sql", json!({ "view": tname(from) }))?;
    let up = format!(
        "-- sluice:ignore renaming-table -- the old name stays as a view until contract\n{}\n{view}",
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
