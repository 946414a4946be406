//! `ADD COLUMN` on an existing table: safe forms pass through; a NOT NULL column without a
//! default and a column with a volatile default become add-nullable + fill + prove NOT NULL;
//! one whose value is a constant, an add with that DEFAULT and its drop at contract.

use serde_json::json;

use sluice_core::sql::ops::{ColumnSpec, ObjName, Volatility};
use sluice_core::sql::quote;

use super::super::{Cost, PlanPhase, Strategy, names};
use super::{Builder, Src, StepSpec, constant, constraint, in_schema, lock, tname};

pub(super) fn add_column(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    c: &ColumnSpec,
) -> Result<(), String> {
    if c.serial || c.generated.is_some() {
        return Err(format!(
            "adding {} column {} rewrites {table} under an ACCESS EXCLUSIVE lock: add a nullable column, fill it in batches and attach the sequence yourself",
            if c.serial {
                "a serial / identity"
            } else {
                "a generated"
            },
            c.name
        ));
    }
    if c.primary_key || c.unique || c.references.is_some() || c.check {
        return Err(format!(
            "column {} is added with an inline constraint: add the column, then the constraint in its own statement (the planner builds it without blocking writes)",
            c.name
        ));
    }
    let volatile = c.default_volatility == Some(Volatility::Volatile);
    if !volatile && (c.default.is_some() || !c.not_null) {
        // nullable, or a constant default: metadata only since PostgreSQL 11
        return super::passthrough::op(b, src);
    }
    // a constant value: the column gets it as DEFAULT, no backfill (PostgreSQL 11+)
    if !volatile
        && b.settings.server_version >= 11
        && let Some(expr) = &src.backfill_expr
        && let Some(value) = constant::literal(b.r.dialect, expr)
        && let Some(ast) = src.ast.and_then(|a| constant::with_default(a, value, true))
    {
        return constant_default(b, src, table, &c.name, &ast.to_string(), expr);
    }
    let t = src.table(table)?;
    let key = Src::key(t)?;
    let col = &c.name;
    let tn = tname(table);
    let (recipe, fill) = if volatile {
        ("volatile-default", c.default.clone().unwrap_or_default())
    } else {
        let Some(expr) = &src.backfill_expr else {
            return Err(format!(
                "NOT NULL column {col} without a DEFAULT fails on a table with rows and breaks the running code's inserts: put `-- sluice:backfill <expression>` above the statement (the value existing and old-code rows get), or give it a DEFAULT"
            ));
        };
        ("add-not-null-column", expr.clone())
    };
    let add = b.sql(
        "add_column.sql",
        json!({ "table": tn, "column": col, "type": c.data_type }),
    )?;
    let drop = b.sql("drop_column.sql", json!({ "table": tn, "column": col }))?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::BatchedBackfill,
            summary: format!("add {col} to {table} as a nullable column (no rewrite)"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: add,
            down: Some(drop),
        },
        None,
    );
    // rows written while the old code runs need the value too: a DEFAULT when the
    // expression is the column's default, else a trigger computing it
    let function = names::fit("sluice_fill_", &format!("{}_{col}", table.name), "");
    if volatile {
        let set = b.sql(
            "set_default.sql",
            json!({ "table": tn, "column": col, "default": fill }),
        )?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Expand,
                strategy: Strategy::BatchedBackfill,
                summary: format!("new rows get {col}'s default"),
                lock: lock::BRIEF_EXCLUSIVE,
                cost: Cost::Metadata,
                up: set,
                down: Some(String::new()),
            },
            None,
        );
    } else {
        let ctx = json!({
            "table": tn,
            "column": col,
            "function": in_schema(table, &function),
            "trigger": function,
            "expr": row_expr(&fill),
        });
        let g = b.group();
        let create = b.sql("fill_trigger.sql", ctx.clone())?;
        let drop_trigger = b.sql("drop_trigger.sql", ctx.clone())?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Expand,
                strategy: Strategy::BatchedBackfill,
                summary: format!("trigger giving {col} its value on rows the old code writes"),
                lock: "SHARE ROW EXCLUSIVE, brief",
                cost: Cost::Metadata,
                up: create.clone(),
                down: Some(drop_trigger.clone()),
            },
            Some(g),
        );
        // contract: the trigger goes once NOT NULL holds (the down brings it back)
        constraint::prove_not_null(b, src, recipe, table, col)?;
        let g = b.group();
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::BatchedBackfill,
                summary: format!("drop the fill trigger of {col}"),
                lock: "SHARE ROW EXCLUSIVE, brief",
                cost: Cost::Metadata,
                up: drop_trigger,
                down: Some(create),
            },
            Some(g),
        );
    }
    let qcol = quote::ident_min(b.r.dialect, col);
    b.backfill(
        src,
        recipe,
        table,
        key,
        col,
        fill,
        format!("{qcol} IS NULL"),
    )?;
    if volatile && c.not_null {
        constraint::prove_not_null(b, src, recipe, table, col)?;
    }
    Ok(())
}

/// The NOT NULL column with a constant value (see [`constant`]): added with it as DEFAULT in
/// expand, the DEFAULT dropped in contract; catalog changes both.
fn constant_default(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    col: &str,
    add: &str,
    value: &str,
) -> Result<(), String> {
    let drop = b.sql(
        "drop_column.sql",
        json!({ "table": tname(table), "column": col }),
    )?;
    let spelling = constant::Spelling {
        add: add.to_owned(),
        drop,
        set_default: "set_default.sql",
        lock: lock::BRIEF_EXCLUSIVE,
        how: "catalog only",
    };
    constant::steps(b, src, table, col, value, spelling)
}

/// An expression over the row's columns, evaluated on the trigger's `NEW` row.
pub(super) fn row_expr(expr: &str) -> String {
    format!("(SELECT {expr} FROM (SELECT NEW.*) AS _sluice_row)")
}
