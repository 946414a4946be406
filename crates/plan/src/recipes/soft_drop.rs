//! `DROP COLUMN` / `DROP TABLE` -> a soft drop in contract: renamed to
//! `_sluice_dropped_<name>_<version>`, so the down brings it back with its data;
//! `migrate purge --older-than` drops it for real later.

use serde_json::json;

use sluice_core::catalog::Column;
use sluice_core::sql::ops::{ConstraintKind, Generated, ObjName};
use sluice_core::sql::quote;

use super::super::{Cost, PlanPhase, Strategy};
use super::{Builder, Src, StepSpec, dropped, in_schema, lock, tname};

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
    let mut up = b.sql(
        "soft_drop_column.sql",
        json!({
            "table": tn, "column": column, "to": to,
            "had_default": c.default.is_some(), "was_not_null": c.not_null,
        }),
    )?;
    let mut down = String::new();
    // what a DROP COLUMN drops with the column, renamed with it: the names are free for
    // later migrations, as after the naive drop (ente's `users_email_key` and
    // `users_email_index` kept theirs on the soft-dropped column)
    let (constraints, indexes) = dependents(src, table, column);
    // each rename: its template, its context there and back
    let mut renames = Vec::new();
    for name in &constraints {
        let gone = dropped(b, name);
        renames.push((
            "rename_constraint.sql",
            json!({ "table": tn, "from": name, "to": gone }),
            json!({ "table": tn, "from": gone, "to": name }),
        ));
    }
    for name in &indexes {
        let gone = dropped(b, name);
        renames.push((
            "rename_index.sql",
            json!({ "index": in_schema(table, name), "to": gone }),
            json!({ "index": in_schema(table, &gone), "to": name }),
        ));
    }
    // a serial's sequence, owned by the column, goes with it too (crates.io's
    // `version_downloads_id_seq`), under the name PostgreSQL gave it (IF EXISTS: a name
    // taken at the time gets a number)
    if c.serial {
        let seq = sluice_core::names::pg_object_name(&table.name, column, "seq");
        let gone = dropped(b, &seq);
        renames.push((
            "rename_sequence.sql",
            json!({ "sequence": in_schema(table, &seq), "to": gone }),
            json!({ "sequence": in_schema(table, &gone), "to": seq }),
        ));
    }
    for (template, there, back) in renames {
        up.push('\n');
        up.push_str(&b.sql(template, there)?);
        down.push_str(&b.sql(template, back)?);
        down.push('\n');
    }
    down.push_str(&b.sql(
        "restore_column.sql",
        json!({ "table": tn, "column": column, "from": to, "default": c.default, "was_not_null": c.not_null }),
    )?);
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

/// The named constraints (not the primary key) and the indexes on `column` alone or with
/// others, which PostgreSQL drops with the column; a unique constraint's own index goes
/// with the constraint's rename.
fn dependents(src: &Src<'_>, table: &ObjName, column: &str) -> (Vec<String>, Vec<String>) {
    let Some(t) = src.cat.table(table) else {
        return (Vec::new(), Vec::new());
    };
    let mut constraints = Vec::new();
    let mut owned = Vec::new();
    for c in &t.constraints {
        // a CHECK names its columns in its expression
        let columns = match &c.check_expr {
            Some(expr) if c.columns.is_empty() => super::fresh::identifiers(expr),
            _ => c.columns.clone(),
        };
        if c.kind == ConstraintKind::PrimaryKey || !columns.iter().any(|x| x == column) {
            continue;
        }
        // an unnamed UNIQUE is known by the index it owns, whose name it takes
        let Some(name) = c.name.clone().or_else(|| c.index.clone()) else {
            continue;
        };
        owned.extend(c.index.clone());
        owned.push(name.clone());
        constraints.push(name);
    }
    let indexes = src
        .cat
        .indexes_on(table)
        .into_iter()
        .filter(|i| i.columns.iter().any(|x| x == column) && !owned.contains(&i.name))
        .map(|i| i.name.clone())
        .collect();
    (constraints, indexes)
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
