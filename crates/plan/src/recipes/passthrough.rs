//! Statements that are safe as written (or whose safety the linter judges on the generated
//! files): they pass into expand, or contract when they remove or restrict, with their
//! inverse when one is known.

use serde_json::json;
use sqlparser::ast::Statement as Ast;

use sluice_core::sql::ops::{ObjectKind, Operation};

use super::super::{Cost, PlanPhase, Strategy};
use super::{Builder, Src, StepSpec, in_schema, lock, tname};

pub(super) const RECIPE: &str = "pass-through";

/// A whole statement with a given phase and inverse.
pub(super) fn statement(
    b: &mut Builder<'_>,
    line: usize,
    text: &str,
    phase: PlanPhase,
    down: Option<String>,
) -> Result<(), String> {
    let op = Operation::Other {
        kind: String::new(),
    };
    let cat = sluice_core::catalog::Catalog::new(b.settings.dialect);
    let src = Src {
        line,
        text: text.to_owned(),
        ast: None,
        op: &op,
        cat: &cat,
        new_table: false,
        new_columns: false,
        freed_name: false,
        replaced: false,
        backfill_expr: None,
    };
    let up = b.sql("passthrough.sql", json!({ "statement": text }))?;
    b.add(
        &src,
        RECIPE,
        StepSpec {
            phase,
            strategy: Strategy::Plain,
            summary: super::super::one_line(text),
            lock: lock::NONE,
            cost: Cost::AsWritten,
            up,
            down,
        },
        None,
    );
    Ok(())
}

/// One classified operation as written.
pub(super) fn op(b: &mut Builder<'_>, src: &Src<'_>) -> Result<(), String> {
    let phase = phase_of(src.op, src.new_table || src.replaced);
    if let Some(what) = super::fresh::found_by_if_not_exists(src) {
        b.note(found_note(src.line, &what));
    }
    if !src.new_table
        && sluice_lint::rewrites::of(b.settings.dialect, 0, src.op, false)
            == Some(sluice_lint::rewrites::Rewrite::BatchedDelete)
    {
        b.note(format!(
            "line {}: the DELETE goes to the contract as written; `migrate apply` runs it in batches on a table of at least `[run] large_table_rows` rows (strategy batched-delete: the keys it matches noted, then deleted a short transaction each; `--dry-run` shows the statements)",
            src.line
        ));
    }
    let down = inverse(b, src)?;
    let up = b.sql("passthrough.sql", json!({ "statement": src.text }))?;
    b.add(
        src,
        RECIPE,
        StepSpec {
            phase,
            strategy: Strategy::Plain,
            summary: super::super::one_line(&src.text),
            lock: lock::NONE,
            cost: Cost::AsWritten,
            up,
            down,
        },
        None,
    );
    Ok(())
}

/// Removals and restrictions wait for the rollout; everything else is additive.
fn phase_of(op: &Operation, new_table: bool) -> PlanPhase {
    if new_table {
        return PlanPhase::Expand;
    }
    match op {
        Operation::DropTable { .. }
        | Operation::DropColumn { .. }
        | Operation::DropConstraint { .. }
        | Operation::DropIndex { .. }
        | Operation::DropObject { .. }
        | Operation::DropDefault { .. }
        | Operation::SetNotNull { .. }
        | Operation::AddConstraint { .. }
        | Operation::ValidateConstraint { .. }
        | Operation::Truncate { .. }
        | Operation::Delete { .. } => PlanPhase::Contract,
        _ => PlanPhase::Expand,
    }
}

/// The statement undoing `src`, when it can be derived; `None` otherwise.
fn inverse(b: &Builder<'_>, src: &Src<'_>) -> Result<Option<String>, String> {
    let r = |tpl: &str, v| b.sql(tpl, v).map(Some);
    if super::fresh::found_by_if_not_exists(src).is_some() {
        return Ok(Some(String::new()));
    }
    match src.op {
        Operation::CreateTable { table, .. } => r(
            "passthrough.sql",
            json!({ "statement": format!("DROP TABLE IF EXISTS {}", sluice_core::sql::quote::qualified(b.r.dialect, table)) }),
        ),
        Operation::AddColumn { table, column, .. } => r(
            "drop_column.sql",
            json!({ "table": tname(table), "column": column.name }),
        ),
        Operation::CreateIndex {
            name: Some(name),
            table,
            ..
        } => r("drop_index.sql", json!({ "index": in_schema(table, name) })),
        Operation::SetDefault { table, column, .. } | Operation::DropDefault { table, column } => {
            let old = src
                .cat
                .column(table, column)
                .and_then(|c| c.default.clone());
            r(
                "set_default.sql",
                json!({ "table": tname(table), "column": column, "default": old }),
            )
        }
        Operation::DropNotNull { table, column } => {
            let was = src.cat.column(table, column).is_some_and(|c| c.not_null);
            if was {
                r(
                    "set_not_null.sql",
                    json!({ "table": tname(table), "column": column }),
                )
            } else {
                Ok(Some(String::new()))
            }
        }
        Operation::SetNotNull { table, column } => r(
            "drop_not_null.sql",
            json!({ "table": tname(table), "column": column }),
        ),
        Operation::AddConstraint { table, constraint } => match &constraint.name {
            Some(n) => r(
                "drop_constraint.sql",
                json!({ "table": tname(table), "name": n }),
            ),
            None => Ok(None),
        },
        Operation::ValidateConstraint { .. } => Ok(Some(String::new())),
        Operation::AlterColumnType { table, column, .. } => match src.cat.column(table, column) {
            Some(c) => r(
                "passthrough.sql",
                json!({ "statement": format!(
                        "ALTER TABLE {} ALTER COLUMN {} TYPE {}",
                        sluice_core::sql::quote::qualified(b.r.dialect, table),
                        b.ident(column),
                        c.data_type
                    ) }),
            ),
            None => Ok(None),
        },
        Operation::CreateTrigger { table, name } => r(
            "passthrough.sql",
            json!({ "statement": format!("DROP TRIGGER IF EXISTS {} ON {}", b.ident(name), sluice_core::sql::quote::qualified(b.r.dialect, table)) }),
        ),
        Operation::Other { .. } | Operation::DropObject { .. } => Ok(created_object_drop(b, src)),
        Operation::RenameObject { kind, from, to } if *kind == ObjectKind::Index => r(
            "rename_index.sql",
            json!({ "index": in_schema(from, to), "to": from.name }),
        ),
        _ => Ok(None),
    }
}

/// The note of a statement whose `IF NOT EXISTS` finds `what` there already.
pub(super) fn found_note(line: usize, what: &str) -> String {
    format!(
        "line {line}: `IF NOT EXISTS` finds {what} there already (the earlier migrations made it): the statement creates nothing, and the down leaves it"
    )
}

/// `CREATE VIEW / SEQUENCE / TYPE / SCHEMA / EXTENSION x` -> `DROP ... IF EXISTS x`.
fn created_object_drop(b: &Builder<'_>, src: &Src<'_>) -> Option<String> {
    let q = |n: &sqlparser::ast::ObjectName| n.to_string();
    let stmt = match src.ast? {
        Ast::CreateView(v) => format!(
            "DROP {}VIEW IF EXISTS {}",
            if v.materialized { "MATERIALIZED " } else { "" },
            q(&v.name)
        ),
        Ast::CreateSequence { name, .. } => format!("DROP SEQUENCE IF EXISTS {}", q(name)),
        Ast::CreateType { name, .. } => format!("DROP TYPE IF EXISTS {}", q(name)),
        Ast::CreateSchema { schema_name, .. } => format!("DROP SCHEMA IF EXISTS {schema_name}"),
        Ast::CreateExtension(e) => format!("DROP EXTENSION IF EXISTS {}", e.name),
        _ => return None,
    };
    b.sql("passthrough.sql", json!({ "statement": stmt })).ok()
}
