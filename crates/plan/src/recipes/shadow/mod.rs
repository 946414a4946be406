//! Rename column and change column type: a second column kept equal to the first by a
//! trigger (old code writes one, new code the other), filled in batches, then swapped in one
//! short transaction at contract; the old column is soft-dropped.

mod build;

use serde_json::json;

use sluice_core::catalog::{Column, SqlType, Table, binary_coercible};
use sluice_core::sql::ops::{ConstraintKind, ObjName};
use sluice_core::sql::quote;

use super::super::{Cost, PlanPhase, Strategy, names};
use super::{Builder, Src, StepSpec, lock, tname};
use build::build;

/// The two columns and how a value crosses between them.
struct Shadow<'a> {
    table: &'a ObjName,
    old: &'a Column,
    /// The column the new code uses during the transition.
    new: String,
    new_type: String,
    /// SQL of the new value from the old column, in row context (`"a"`) and on a trigger's
    /// `NEW` row.
    forward: String,
    forward_new: String,
    backward: String,
    backward_new: String,
    /// After the swap, the new column is renamed to this (type change: the old name).
    final_name: Option<String>,
    /// Both columns are written by running code (rename); a type change's shadow is only
    /// written by the trigger until the swap.
    two_way: bool,
    /// `backward` can run: the server casts the new type back to the old one.
    casts_back: bool,
    /// The trigger may skip rows whose columns already agree: `forward_new` is plain (a trigger's
    /// `WHEN` takes no subquery) and the type has `=`.
    guard: bool,
    recipe: &'static str,
}

pub(super) fn rename_column(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    from: &str,
    to: &str,
) -> Result<(), String> {
    let t = src.table(table)?;
    shadowed_before(b, table, from)?;
    let old = usable_column(t, from, to)?;
    let q = |c: &str| quote::ident_min(b.r.dialect, c);
    let s = Shadow {
        table,
        old,
        new: to.to_owned(),
        new_type: old.data_type.clone(),
        forward: q(from),
        forward_new: format!("NEW.{}", q(from)),
        backward: q(to),
        backward_new: format!("NEW.{}", q(to)),
        final_name: None,
        casts_back: true,
        two_way: true,
        guard: old.sql_type().has_equality(),
        recipe: "rename-column",
    };
    build(b, src, t, &s)?;
    b.shadowed.push(super::Shadowed {
        table: table.clone(),
        column: to.to_owned(),
        shadow: to.to_owned(),
        had_default: s.old.default.is_some(),
        old: s.old.name.clone(),
        line: src.line,
    });
    Ok(())
}

pub(super) fn change_type(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    column: &str,
    new_type: &str,
    using: Option<&str>,
) -> Result<(), String> {
    let t = src.table(table)?;
    let Some(old) = t.column(column) else {
        return Err(format!("column {column} is not known on table {table}"));
    };
    shadowed_before(b, table, column)?;
    if binary_coercible(&old.sql_type(), &SqlType::parse(new_type)) {
        // no rewrite, no scan: a brief lock only
        return super::passthrough::op(b, src);
    }
    let shadow = names::fit("", column, "_sluice_new");
    let old = usable_column(t, column, &shadow)?;
    let q = |c: &str| quote::ident_min(b.r.dialect, c);
    let forward = match using {
        Some(u) => u.to_owned(),
        None => format!("CAST({} AS {new_type})", q(column)),
    };
    let forward_new = match using {
        Some(u) => super::column::row_expr(u),
        None => format!("CAST(NEW.{} AS {new_type})", q(column)),
    };
    let s = Shadow {
        table,
        old,
        new: shadow.clone(),
        new_type: new_type.to_owned(),
        forward,
        forward_new,
        backward: format!("CAST({} AS {})", q(&shadow), old.data_type),
        backward_new: format!("CAST(NEW.{} AS {})", q(&shadow), old.data_type),
        final_name: Some(column.to_owned()),
        casts_back: casts_back(src.cat, &old.data_type, new_type),
        two_way: false,
        guard: using.is_none() && SqlType::parse(new_type).has_equality(),
        recipe: "change-column-type",
    };
    build(b, src, t, &s)?;
    b.shadowed.push(super::Shadowed {
        table: table.clone(),
        column: column.to_owned(),
        shadow,
        had_default: s.old.default.is_some(),
        old: s.old.name.clone(),
        line: src.line,
    });
    Ok(())
}

/// The default a type change's shadow column takes: the old column's, as PostgreSQL keeps it
/// through `ALTER .. TYPE` (the stored expression, of the old type, coerced to the new one).
/// A string literal was stored as a constant of the old type, so it is written typed so
/// (`'2020-01-01'::timestamp`); as written, on a `timestamptz` column it would become an
/// instant fixed in the planning session's time zone, unlike the naive migration's default.
/// The type's modifiers are left out, as PostgreSQL shows the constant (`'x'::varchar`).
fn default_of_old_type(default: &str, old_type: &str) -> String {
    use sqlparser::ast::{Expr, Value};
    let string = matches!(
        super::constant::literal(sluice_core::sql::Dialect::Postgres, default),
        Some(Expr::Value(v)) if matches!(
            v.value,
            Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_)
        )
    );
    if !string {
        return default.to_owned();
    }
    let mut base = String::new();
    let mut depth = 0usize;
    for ch in old_type.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => base.push(ch),
            _ => {}
        }
    }
    format!("{default}::{}", base.trim())
}

/// Why column `column` of `table` cannot be renamed or retyped again: an earlier statement of
/// the migration did (lemmy's `private-community`: `pending` retyped, then renamed to `state`;
/// the second shadow column was synced with the first one's old column, of the old type, and
/// the backfill failed with "CASE types community_follower_state and boolean cannot be
/// matched").
fn shadowed_before(b: &Builder<'_>, table: &ObjName, column: &str) -> Result<(), String> {
    match b.shadowed_column(table, column) {
        Some(s) => Err(format!(
            "line {} of this migration already renames or retypes column {column} of {table} through a shadow column, which takes over only in the contract's swap; change it again in a migration of its own, after this one",
            s.line
        )),
        None => Ok(()),
    }
}

/// Why an index cannot be built on `columns` of `table` (or a predicate naming them): one of
/// them an earlier statement retyped, and until the contract's swap its name is the old
/// column's, of the old type (lemmy's `community-hidden-visibility`: a partial index on
/// `visibility = 'Unlisted'`, a label only the new enum has; built on the old column, the
/// index went with it at the contract).
pub(super) fn index_on_retyped(
    b: &Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    columns: &[String],
) -> Result<(), String> {
    match b.shadowed.iter().find(|s| {
        s.table == *table
            && s.shadow != s.column
            && (columns.contains(&s.column)
                || sluice_lint::context::contains_word(&src.text, &s.column))
    }) {
        Some(s) => Err(format!(
            "the index is on column {} of {table}, whose type line {} of this migration changes through a shadow column: until the contract's swap the name is the old column's, of the old type; create the index in a later migration",
            s.column, s.line
        )),
        None => Ok(()),
    }
}

/// Whether PostgreSQL casts `new` back to `old`: not from an enum the catalog knows to
/// anything but text, nor from anything but text to such an enum (they have no casts but
/// their text form's).
fn casts_back(cat: &sluice_core::catalog::Catalog, old: &str, new: &str) -> bool {
    let is_enum = |t: &str| cat.enum_of_type(t).is_some();
    let is_text = |t: &str| {
        matches!(
            SqlType::parse(t).base.as_str(),
            "text" | "varchar" | "char" | "name" | "citext"
        )
    };
    let (old_enum, new_enum) = (is_enum(old), is_enum(new));
    !(new_enum && !old_enum && !is_text(old) || old_enum && !new_enum && !is_text(new))
}

/// `ALTER COLUMN c SET DEFAULT ..` after this migration renamed `c` or changed its type
/// through a shadow column (lemmy's enums: `DROP DEFAULT`, `TYPE sort_type_enum USING ..`,
/// `SET DEFAULT 'Active'`): the default is the new column's, so it goes on the shadow column
/// in the expand, which the swap makes `c`. (Set on the old column, it met the old type:
/// "invalid input syntax for type smallint".) The contract's swap then leaves the default as
/// it is, instead of giving the new column the old one's.
pub(super) fn default_of_shadowed(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    column: &str,
    default: &str,
) -> Result<(), String> {
    let Some(s) = b.shadowed_column(table, column).cloned() else {
        return super::passthrough::op(b, src);
    };
    // the swap would give the new column the old one's default, over this one
    if s.had_default {
        b.drop_swap_default(&s);
    }
    let shadow = s.shadow;
    let tn = tname(table);
    let up = b.sql(
        "set_default.sql",
        json!({ "table": tn, "column": shadow, "default": default }),
    )?;
    let down = b.sql(
        "set_default.sql",
        json!({ "table": tn, "column": shadow, "default": null }),
    )?;
    b.add(
        src,
        "change-column-type",
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::Plain,
            summary: format!("default of {shadow}, which becomes {column} in the contract"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        None,
    );
    Ok(())
}

/// The column to shadow, refused when the recipe cannot carry what hangs on it.
pub(super) fn usable_column<'t>(t: &'t Table, col: &str, new: &str) -> Result<&'t Column, String> {
    let Some(c) = t.column(col) else {
        return Err(format!("column {col} is not known on table {}", t.name));
    };
    if t.column(new).is_some() {
        return Err(format!("table {} already has a column {new}", t.name));
    }
    if c.generated.is_some() {
        return Err(format!(
            "column {col} is generated: the shadow column recipe cannot keep it in sync"
        ));
    }
    // PostgreSQL binds a trigger's `UPDATE OF` and `WHEN` columns by number: the naive
    // statement keeps the trigger on the column, the shadow column's swap leaves it on the
    // soft-dropped one
    if let Some(tr) = t
        .triggers
        .iter()
        .find(|tr| tr.columns.iter().any(|x| x == col))
    {
        return Err(format!(
            "trigger {} on {} is bound to column {col} (UPDATE OF, or OLD.{col} / NEW.{col} in its WHEN): the shadow column's swap would leave it on the soft-dropped column; drop the trigger in a migration before this one and create it again after its contract",
            tr.name, t.name
        ));
    }
    if c.serial
        || c.default
            .as_deref()
            .is_some_and(|d| d.to_lowercase().contains("nextval("))
    {
        return Err(format!(
            "column {col} owns a sequence: the soft-dropped column would keep it; move the sequence by hand (ALTER SEQUENCE .. OWNED BY) in a migration of its own first"
        ));
    }
    for k in &t.constraints {
        if !k.columns.iter().any(|x| x == col) {
            continue;
        }
        match k.kind {
            // its index is copied, and the copy attached as the constraint in the swap
            ConstraintKind::Unique if k.name.is_some() && k.index == k.name => {}
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclude => {
                return Err(format!(
                    "column {col} is part of {} constraint {}: the shadow column recipe cannot move it; use a shadow table (copy) instead",
                    kind_name(k.kind),
                    k.name.as_deref().unwrap_or("(unnamed)")
                ));
            }
            // copied onto the new column by `build`, when its definition is known
            ConstraintKind::ForeignKey if k.name.is_some() && k.fk_clause.is_some() => {}
            ConstraintKind::ForeignKey => {
                return Err(format!(
                    "column {col} has foreign key {}, whose definition the earlier migrations do not show: plan with --schema-from <DATABASE_URL>, or drop and re-add it around this change",
                    k.name.as_deref().unwrap_or("(unnamed)")
                ));
            }
            ConstraintKind::Check | ConstraintKind::NotNull => {}
        }
    }
    Ok(c)
}

fn kind_name(k: ConstraintKind) -> &'static str {
    match k {
        ConstraintKind::PrimaryKey => "primary key",
        ConstraintKind::Unique => "unique",
        ConstraintKind::Exclude => "exclusion",
        ConstraintKind::ForeignKey => "foreign key",
        ConstraintKind::Check => "check",
        ConstraintKind::NotNull => "not null",
    }
}

#[cfg(test)]
mod tests;
