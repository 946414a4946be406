//! `DROP COLUMN` / `DROP TABLE` -> a soft drop in contract: renamed to
//! `_sluice_dropped_<name>_<version>`, so the down brings it back with its data;
//! `migrate purge --older-than` drops it for real later.

use serde_json::json;

use sluice_core::catalog::Column;
use sluice_core::sql::ops::{Generated, ObjName};
use sluice_core::sql::quote;

use super::super::{Cost, PlanPhase, Strategy};
use super::{Builder, Src, StepSpec, dropped, lock, tname};

pub(super) fn column(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    column: &str,
) -> Result<(), String> {
    let t = src.table(table)?;
    let Some(c) = t.column(column) else {
        return Err(format!("column {column} is not known on table {table}"));
    };
    if matches!(c.generated, Some(Generated::Stored | Generated::Virtual)) {
        return generated_column(b, src, table, c);
    }
    let to = dropped(b, column);
    let tn = tname(table);
    let up = b.sql(
        "soft_drop_column.sql",
        json!({
            "table": tn, "column": column, "to": to,
            "had_default": c.default.is_some(), "was_not_null": c.not_null,
        }),
    )?;
    let down = b.sql(
        "restore_column.sql",
        json!({ "table": tn, "column": column, "from": to, "default": c.default, "was_not_null": c.not_null }),
    )?;
    let g = b.group();
    b.add(
        src,
        "soft-drop-column",
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::SoftDrop,
            summary: format!("soft-drop {table}.{column} as {to}"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        Some(g),
    );
    Ok(())
}

/// A generated column is dropped for real in the contract: its values come from the other
/// columns, so there is nothing to keep, and a soft-dropped copy would hold on to what its
/// expression uses (a later `DROP FUNCTION` of the migration failed on it: crates.io's
/// `remove-semver-no-prerelease-column`). The down adds it again from its expression.
fn generated_column(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    c: &Column,
) -> Result<(), String> {
    let up = b.sql(
        "drop_column.sql",
        json!({ "table": tname(table), "column": c.name }),
    )?;
    // a rollback: the column comes back as it was, which (STORED) rewrites the table once
    let down = match &c.generation {
        Some(expr) => Some(format!(
            "{}{}",
            if c.generated == Some(Generated::Stored) {
                "-- sluice:ignore adding-field-with-default -- the down of a generated column's drop: it comes back as it was, computed for every row\n"
            } else {
                ""
            },
            b.sql(
                "passthrough.sql",
                json!({ "statement": format!(
                "ALTER TABLE {} ADD COLUMN {} {} GENERATED ALWAYS AS ({expr}){}{}",
                quote::qualified(b.r.dialect, table),
                b.ident(&c.name),
                c.data_type,
                if c.generated == Some(Generated::Stored) { " STORED" } else { "" },
                if c.not_null { " NOT NULL" } else { "" },
            ) }),
            )?
        )),
        None => None,
    };
    b.add(
        src,
        "drop-generated-column",
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::Plain,
            summary: format!(
                "drop generated column {table}.{} (its values come from the other columns)",
                c.name
            ),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up,
            down,
        },
        None,
    );
    Ok(())
}

pub(super) fn tables(b: &mut Builder<'_>, src: &Src<'_>, tables: &[ObjName]) -> Result<(), String> {
    for table in tables {
        src.table(table)?;
        let to = dropped(b, &table.name);
        let up = format!(
            "-- sluice:ignore renaming-table -- a soft drop: `migrate purge` drops it after the retention period\n{}",
            b.sql(
                "rename_table.sql",
                json!({ "table": tname(table), "to": to })
            )?
        );
        let back = ObjName::new(table.schema.as_deref(), &to);
        let down = b.sql(
            "rename_table.sql",
            json!({ "table": tname(&back), "to": table.name }),
        )?;
        b.add(
            src,
            "soft-drop-table",
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::SoftDrop,
                summary: format!("soft-drop table {table} as {to}"),
                lock: lock::BRIEF_EXCLUSIVE,
                cost: Cost::Metadata,
                up,
                down: Some(down),
            },
            None,
        );
    }
    Ok(())
}
