//! Constraints that scan: added NOT VALID, validated in a transaction of their own; NOT NULL
//! proven by a validated CHECK first (PostgreSQL 12+ then skips the scan).

use sqlparser::ast::{AlterTableOperation, Statement as Ast};

use sluice_core::catalog::NotNullProof;
use sluice_core::sql::ops::{ConstraintKind, ConstraintSpec, ObjName};

use super::super::{Cost, PlanPhase, Strategy, names, statements};
use super::{Builder, Src, StepSpec, index, lock};

/// A step validating constraint `name` of `t` in a transaction of its own (in the phase
/// [`checked_phase`] gives the statement): a scan
/// under SHARE UPDATE EXCLUSIVE, reads and writes go on; nothing to undo.
pub(super) fn validate_step(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    recipe: &'static str,
    t: &ObjName,
    name: &str,
    summary: String,
) -> Result<(), String> {
    let validate = statements::validate(b.r, t, name)?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: checked_phase(src),
            strategy: Strategy::NotValidValidate,
            summary,
            lock: lock::SHARE_UPDATE_EXCLUSIVE,
            cost: Cost::Scan,
            up: validate,
            down: Some(String::new()),
        },
        None,
    );
    Ok(())
}

/// Where a constraint that scans goes: the contract (it restricts what the running code may
/// write), or the expand when it is on columns only this migration adds (nothing running
/// writes them; it holds from then on, as the naive statement's would).
fn checked_phase(src: &Src<'_>) -> PlanPhase {
    if src.new_columns {
        PlanPhase::Expand
    } else {
        PlanPhase::Contract
    }
}

/// Contract steps adding `CHECK (column IS NOT NULL) NOT VALID` and validating it in its own
/// transaction; the check's name, for the step that sets NOT NULL and drops it.
pub(super) fn validated_not_null_check(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    recipe: &'static str,
    table: &ObjName,
    column: &str,
) -> Result<String, String> {
    let check = names::not_null_check(&table.name, column);
    let add = statements::not_null_check(b.r, table, &check, column)?;
    let drop = statements::drop_constraint(b.r, table, &check)?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::NotValidValidate,
            summary: format!("CHECK ({column} IS NOT NULL) NOT VALID on {table}"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: add,
            down: Some(drop),
        },
        None,
    );
    validate_step(
        b,
        src,
        recipe,
        table,
        &check,
        format!("validate the NOT NULL check of {table}.{column}"),
    )?;
    Ok(check)
}

/// PostgreSQL 18 catalogs NOT NULL constraints and adds them NOT VALID: the CHECK detour
/// is not needed there.
pub(super) fn native_not_null(b: &Builder<'_>) -> bool {
    b.settings.server_version >= 18
}

/// PostgreSQL 18+ contract steps: `ADD CONSTRAINT .. NOT NULL col NOT VALID` (a brief lock,
/// new rows held to it at once), then `VALIDATE CONSTRAINT` (a scan that lets writes run).
/// The column is NOT NULL once validated; its down drops the NOT NULL (and the constraint).
pub(super) fn native_not_null_steps(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    recipe: &'static str,
    table: &ObjName,
    column: &str,
) -> Result<(), String> {
    let name = names::pg_not_null(&table.name, column);
    let add = statements::not_null_not_valid(b.r, table, &name, column)?;
    let unset = statements::drop_not_null(b.r, table, column)?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::NotValidValidate,
            summary: format!("NOT NULL {column} NOT VALID on {table} (PostgreSQL 18)"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: add,
            down: Some(unset),
        },
        None,
    );
    validate_step(
        b,
        src,
        recipe,
        table,
        &name,
        format!("validate the NOT NULL constraint of {table}.{column}"),
    )?;
    Ok(())
}

/// Contract steps proving `column` NOT NULL without a long lock: CHECK NOT VALID, VALIDATE,
/// then (in one transaction) SET NOT NULL and drop the CHECK; on PostgreSQL 18 the NOT NULL
/// constraint itself, NOT VALID then validated.
pub(super) fn prove_not_null(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    recipe: &'static str,
    table: &ObjName,
    column: &str,
) -> Result<(), String> {
    if native_not_null(b) {
        return native_not_null_steps(b, src, recipe, table, column);
    }
    let check = validated_not_null_check(b, src, recipe, table, column)?;
    let drop = statements::drop_constraint(b.r, table, &check)?;
    let g = b.group();
    let set = statements::set_not_null(b.r, table, column)?;
    let unset = statements::drop_not_null(b.r, table, column)?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::NotValidValidate,
            summary: format!(
                "SET NOT NULL on {table}.{column} (the validated check spares the scan)"
            ),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: format!("{set}\n{drop}"),
            down: Some(unset),
        },
        Some(g),
    );
    Ok(())
}

/// `ALTER COLUMN .. SET NOT NULL` on an existing table.
pub(super) fn set_not_null(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    column: &str,
) -> Result<(), String> {
    let t = src.table(table)?;
    if t.column(column).is_none() {
        return Err(format!("column {column} is not known on table {table}"));
    }
    let proven = src.cat.not_null_proof(table, column);
    if proven == NotNullProof::NotNull {
        return Ok(());
    }
    if proven == NotNullProof::ValidatedCheck && b.settings.server_version >= 12 {
        return super::passthrough::op(b, src);
    }
    prove_not_null(b, src, "set-not-null", table, column)
}

/// `ADD FOREIGN KEY / CHECK` on an existing table: NOT VALID, then VALIDATE on its own.
pub(super) fn add_checked(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    c: &ConstraintSpec,
) -> Result<(), String> {
    let Some(Ast::AlterTable(alter)) = src.ast else {
        return Err("internal error: not an ALTER TABLE".into());
    };
    let Some(AlterTableOperation::AddConstraint { constraint, .. }) = alter.operations.first()
    else {
        return Err("internal error: not ADD CONSTRAINT".into());
    };
    src.table(table)?;
    let fk = c.kind == ConstraintKind::ForeignKey;
    let definition = constraint.to_string();
    // an unnamed constraint gets PostgreSQL's own name, so VALIDATE and the down can name it
    let (name, named_in_definition) = match &c.name {
        Some(n) => (n.clone(), true),
        None if fk => (
            index::pg_default_name(&table.name, &c.columns, "fkey"),
            false,
        ),
        None => {
            let first = check_column(c).unwrap_or_default();
            let cols: Vec<String> = Some(first).filter(|s| !s.is_empty()).into_iter().collect();
            (index::pg_default_name(&table.name, &cols, "check"), false)
        }
    };
    let recipe = if fk { "add-foreign-key" } else { "add-check" };
    let add = statements::not_valid(
        b.r,
        table,
        Some(name.as_str()).filter(|_| !named_in_definition),
        &definition,
    )?;
    let drop = statements::drop_constraint(b.r, table, &name)?;
    if c.not_valid {
        // already NOT VALID as written: pass it through as the first half
        return super::passthrough::op(b, src);
    }
    b.add(
        src,
        recipe,
        StepSpec {
            phase: checked_phase(src),
            strategy: Strategy::NotValidValidate,
            summary: format!(
                "add {name} NOT VALID: new writes are checked, old rows are not scanned"
            ),
            lock: if fk {
                lock::SHARE_ROW_EXCLUSIVE_BRIEF
            } else {
                lock::BRIEF_EXCLUSIVE
            },
            cost: Cost::Metadata,
            up: add,
            down: Some(drop),
        },
        None,
    );
    validate_step(
        b,
        src,
        recipe,
        table,
        &name,
        format!("validate {name} in its own transaction (reads and writes continue)"),
    )?;
    Ok(())
}

/// The first column a CHECK names (PostgreSQL names an unnamed check after it).
fn check_column(c: &ConstraintSpec) -> Option<String> {
    if let Some(first) = c.columns.first() {
        return Some(first.clone());
    }
    let expr = c.check_expr.as_deref()?;
    let parsed = sluice_core::sql::parse(
        sluice_core::sql::Dialect::Postgres,
        &format!("SELECT {expr}"),
    )
    .ok()?;
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(&parsed, |e| {
        if let sqlparser::ast::Expr::Identifier(id) = e {
            found = Some(if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            });
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}
