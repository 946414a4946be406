//! The shadow column's steps: the expand's column, trigger and copies of what hangs on the
//! old column, the backfill, and the contract's swap.

use serde_json::json;

use sluice_core::catalog::Table;
use sluice_core::sql::ops::{ConstraintKind, IndexShape, ObjName};
use sluice_core::sql::quote;

use super::super::super::{Cost, PlanPhase, Strategy, names};
use super::super::{Builder, Src, StepSpec, constraint, dropped, in_schema, lock, tname};
use super::{Shadow, default_of_old_type};

pub(super) fn build(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    t: &Table,
    s: &Shadow<'_>,
) -> Result<(), String> {
    let key = Src::key(t)?;
    let table = s.table;
    let tn = tname(table);
    let old = &s.old.name;
    let new = &s.new;
    let recipe = s.recipe;
    let q = |c: &str| quote::ident_min(b.r.dialect, c);

    // what hangs on the old column and must exist on the new one
    // (index, the keys of its copy)
    let mut indexes = Vec::new();
    for i in src.cat.indexes_on(table) {
        let keys = match &i.shape {
            IndexShape::Columns if i.columns.iter().all(|c| c != old) => continue,
            IndexShape::Columns
                if !i.partial && i.columns.iter().all(|c| t.column(c).is_some()) =>
            {
                let cols: Vec<String> = i
                    .columns
                    .iter()
                    .map(|c| b.ident(if c == old { new } else { c }))
                    .collect();
                format!("({})", cols.join(", "))
            }
            IndexShape::Written(text) => {
                match sluice_core::sql::rename::column_in_index_keys(text, old, new) {
                    Some(keys) if keys == *text => continue,
                    Some(keys) => keys,
                    None => {
                        return Err(format!(
                            "index {} on {old} could not be read again ({text}): drop it before this change and re-create it after",
                            i.name
                        ));
                    }
                }
            }
            _ if i.columns.iter().all(|c| !c.contains(old.as_str())) => continue,
            _ => {
                return Err(format!(
                    "index {} on {old}: how it was built is not known (a statement the parser could not read, or a column it names renamed since), so the planner cannot copy it; drop it before this change and re-create it after",
                    i.name
                ));
            }
        };
        // an index on a column an earlier statement of the migration also shadows: each
        // recipe would copy it onto its own new column only, and both swaps soft-drop it
        // under one name (lemmy's `scaled_rank`: a partial index on `hot_rank` and
        // `hot_rank_active`, both retyped)
        if let Some(other) = b.shadowed.iter().find(|o| {
            o.table == *table
                && o.old != *old
                && match &i.shape {
                    IndexShape::Written(text) => {
                        sluice_core::sql::rename::column_in_index_keys(text, &o.old, "x")
                            .is_none_or(|k| k != *text)
                    }
                    _ => i.columns.contains(&o.old),
                }
        }) {
            return Err(format!(
                "index {} is on {old} and on {}, which line {} of this migration also renames or retypes: each change would copy the index onto its own new column only; change the two columns in separate migrations, or drop the index before and create it again after",
                i.name, other.old, other.line
            ));
        }
        indexes.push((i, keys));
    }
    // unique constraints of the old column: their index is among the copies, attached as the
    // constraint in the swap; a foreign key that references the table depends on the old
    // index (and would stay on the soft-dropped column)
    let uniques: Vec<&str> = t
        .constraints
        .iter()
        .filter(|k| k.kind == ConstraintKind::Unique && k.columns.iter().any(|c| c == old))
        .filter_map(|k| k.name.as_deref())
        .collect();
    if !uniques.is_empty() {
        let referencing = src.cat.tables().find_map(|o| {
            o.constraints
                .iter()
                .find(|k| {
                    k.kind == ConstraintKind::ForeignKey
                        && k.references
                            .as_ref()
                            .is_some_and(|r| r.matches(table) || table.matches(r))
                })
                .map(|k| (o.name.clone(), k.name.clone().unwrap_or_default()))
        });
        if let Some((other, fk)) = referencing {
            return Err(format!(
                "column {old} is part of unique constraint {}, and foreign key {fk} of {other} references {table}: the key depends on the old column's index; use a shadow table (copy) instead",
                uniques[0]
            ));
        }
        if let Some(u) = uniques
            .iter()
            .find(|u| !indexes.iter().any(|(i, _)| i.name == **u))
        {
            return Err(format!(
                "the index of unique constraint {u} on {old} is not known: plan with --schema-from <DATABASE_URL>"
            ));
        }
    }
    let mut checks = Vec::new();
    for k in t
        .constraints
        .iter()
        .filter(|k| k.kind == ConstraintKind::Check)
    {
        let Some(expr) = &k.check_expr else { continue };
        let Some(copy) = sluice_core::sql::rename::column_in_expr(expr, old, new) else {
            return Err(format!(
                "cannot read check constraint {:?} to copy it",
                k.name
            ));
        };
        if copy == *expr || sluice_core::catalog::is_not_null_check(expr, old) {
            continue;
        }
        let Some(name) = &k.name else {
            return Err(format!(
                "check constraint ({expr}) on {old} has no name to copy it by"
            ));
        };
        checks.push((name.clone(), copy, k.validated));
    }

    // foreign keys of the old column
    let fks: Vec<ForeignKey> = t
        .constraints
        .iter()
        .filter(|k| k.kind == ConstraintKind::ForeignKey && k.columns.iter().any(|c| c == old))
        .filter_map(|k| {
            let def = |on: &str| {
                let cols: Vec<String> = k
                    .columns
                    .iter()
                    .map(|c| b.ident(if c == old { on } else { c }))
                    .collect();
                Some(format!(
                    "FOREIGN KEY ({}) {}",
                    cols.join(", "),
                    k.fk_clause.as_ref()?
                ))
            };
            Some(ForeignKey {
                name: k.name.clone()?,
                copy: names::fit("", k.name.as_deref()?, "_sluice_new"),
                on_new: def(new)?,
                on_old: def(old)?,
                validated: k.validated,
            })
        })
        .collect();

    // ---- expand: the new column, the sync trigger, copies of indexes and checks
    let add = b.sql(
        "add_column.sql",
        json!({ "table": tn, "column": new, "type": s.new_type }),
    )?;
    let drop = b.sql("drop_column.sql", json!({ "table": tn, "column": new }))?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::ShadowColumnSwap,
            summary: format!("add {new} ({}) to {table}, nullable", s.new_type),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: add,
            down: Some(drop),
        },
        None,
    );
    // the comment goes with the column's name at the swap (crates.io's `timezones` lost
    // `expiry_notification_at`'s): the new column carries it from the start
    if let Some(comment) = &s.old.comment {
        let up = b.sql(
            "passthrough.sql",
            json!({ "statement": format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                quote::qualified(b.r.dialect, table),
                b.ident(new),
                quote::literal(b.r.dialect, comment)
            ) }),
        )?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Expand,
                strategy: Strategy::ShadowColumnSwap,
                summary: format!("{new} gets the comment of {}", s.old.name),
                lock: "SHARE UPDATE EXCLUSIVE, brief",
                cost: Cost::Metadata,
                up,
                // the expand's down drops the column, comment and all
                down: Some(String::new()),
            },
            None,
        );
    }
    let function = names::fit("sluice_sync_", &format!("{}_{new}", table.name), "");
    let trigger_ctx = json!({
        "table": tn,
        "old": old,
        "new": new,
        "forward": s.forward_new,
        "backward": s.backward_new,
        "function": in_schema(table, &function),
        "trigger": function,
        "two_way": s.two_way,
        "guard": s.guard,
    });
    let create_trigger = b.sql("sync_trigger.sql", trigger_ctx.clone())?;
    let drop_trigger = b.sql("drop_trigger.sql", trigger_ctx)?;
    let g = b.group();
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::ShadowColumnSwap,
            summary: format!("trigger keeping {old} and {new} equal on every write"),
            lock: "SHARE ROW EXCLUSIVE, brief",
            cost: Cost::Metadata,
            up: create_trigger.clone(),
            down: Some(drop_trigger.clone()),
        },
        Some(g),
    );
    let mut renamed_indexes = Vec::new();
    // the copies of unique constraints' indexes, built again by the contract's down
    let mut unique_builds = Vec::new();
    for (i, keys) in &indexes {
        let copy = names::fit("", &i.name, "_sluice_new");
        let build = format!(
            "CREATE {}INDEX CONCURRENTLY IF NOT EXISTS {} ON {} {keys}",
            if i.unique { "UNIQUE " } else { "" },
            b.ident(&copy),
            quote::qualified(b.r.dialect, table),
        );
        let up = b.sql("add_index.sql", json!({ "statement": build }))?;
        if uniques.contains(&i.name.as_str()) {
            unique_builds.push((i.name.clone(), up.clone()));
        }
        let down = b.sql(
            "drop_index.sql",
            json!({ "index": in_schema(table, &copy) }),
        )?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Expand,
                strategy: Strategy::ConcurrentIndex,
                summary: format!("copy index {} onto {new} concurrently", i.name),
                lock: lock::SHARE_UPDATE_EXCLUSIVE,
                cost: Cost::IndexBuild,
                up,
                down: Some(down),
            },
            None,
        );
        renamed_indexes.push((i.name.clone(), copy));
    }
    let mut renamed_checks = Vec::new();
    for (name, expr, _) in &checks {
        let copy = names::fit("", name, "_sluice_new");
        let up = b.sql(
            "not_valid.sql",
            json!({ "table": tn, "name": copy, "definition": format!("CHECK ({expr})") }),
        )?;
        let down = b.sql("drop_constraint.sql", json!({ "table": tn, "name": copy }))?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Expand,
                strategy: Strategy::NotValidValidate,
                summary: format!("copy check {name} onto {new}, NOT VALID"),
                lock: lock::BRIEF_EXCLUSIVE,
                cost: Cost::Metadata,
                up,
                down: Some(down),
            },
            None,
        );
        renamed_checks.push((name.clone(), copy, expr.clone()));
    }

    // ---- backfill
    b.backfill(
        src,
        recipe,
        table,
        key,
        new,
        s.forward.clone(),
        format!("{} IS NULL AND {} IS NOT NULL", q(new), q(old)),
    )?;

    // ---- contract: validate, then swap in one transaction
    let native_not_null = constraint::native_not_null(b);
    if s.old.not_null {
        if native_not_null {
            constraint::native_not_null_steps(b, src, recipe, table, new)?;
        } else {
            constraint::validated_not_null_check(b, src, recipe, table, new)?;
        }
    }
    for (name, copy, expr) in &renamed_checks {
        let up = b.sql("validate.sql", json!({ "table": tn, "name": copy }))?;
        // a validated copy goes back to NOT VALID, as expand left it
        let down = format!(
            "{}\n{}",
            b.sql("drop_constraint.sql", json!({ "table": tn, "name": copy }))?,
            b.sql(
                "not_valid.sql",
                json!({ "table": tn, "name": copy, "definition": format!("CHECK ({expr})") }),
            )?
        );
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::NotValidValidate,
                summary: format!("validate the copy of check {name}"),
                lock: lock::SHARE_UPDATE_EXCLUSIVE,
                cost: Cost::Scan,
                up,
                down: Some(down),
            },
            None,
        );
    }

    // foreign keys: copied once the backfill is done (the old column's keys hold every
    // write until then, through the sync trigger), checked, and swapped in
    copy_foreign_keys(b, src, recipe, table, new, &fks)?;

    // attaching a copy as a unique constraint consumes it: the contract's down drops the
    // constraint with its index, then (this step, outside the swap's transaction) builds the
    // copy again, as the expand left it
    for (name, build) in &unique_builds {
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::ConcurrentIndex,
                summary: format!("(down only) build the copy of {name} again"),
                lock: lock::SHARE_UPDATE_EXCLUSIVE,
                cost: Cost::Metadata,
                up: String::new(),
                down: Some(build.clone()),
            },
            None,
        );
    }

    let g = b.group();
    let swap_or_not = |b: &mut Builder<'_>, summary: String, up: String, down: Option<String>| {
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::ShadowColumnSwap,
                summary,
                lock: lock::BRIEF_EXCLUSIVE,
                cost: Cost::Metadata,
                up,
                down,
            },
            Some(g),
        );
    };
    let swap = |b: &mut Builder<'_>, summary: String, up: String, down: String| {
        swap_or_not(b, summary, up, Some(down));
    };
    // runs last in the down: rows written after the contract only have the new column
    let mut restore_old = b.sql(
        "sync_back.sql",
        json!({ "table": tn, "old": old, "new": new, "backward": s.backward, "forward": s.forward }),
    )?;
    if s.old.not_null {
        restore_old.push('\n');
        restore_old.push_str(&b.sql("set_not_null.sql", json!({ "table": tn, "column": old }))?);
    }
    // no cast back from the new type (an enum to anything but text: lemmy's
    // `show_downvotes_for_others_only`, boolean to an enum, whose contract down failed with
    // "cannot cast type vote_show_enum to boolean"): the contract cannot be undone
    swap_or_not(
        b,
        format!("the old column {old} gets its values back (down only)"),
        String::new(),
        s.casts_back.then_some(restore_old),
    );
    if s.old.not_null && !native_not_null {
        let check = names::not_null_check(&table.name, new);
        let up = format!(
            "{}\n{}",
            b.sql("set_not_null.sql", json!({ "table": tn, "column": new }))?,
            b.sql("drop_constraint.sql", json!({ "table": tn, "name": check }))?
        );
        let down = b.sql("drop_not_null.sql", json!({ "table": tn, "column": new }))?;
        swap(
            b,
            format!("SET NOT NULL on {new} (proven by the validated check)"),
            up,
            down,
        );
    }
    if let Some(default) = &s.old.default {
        let default = if s.final_name.is_some() {
            default_of_old_type(default, &s.old.data_type)
        } else {
            default.clone()
        };
        let up = b.sql(
            "set_default.sql",
            json!({ "table": tn, "column": new, "default": default }),
        )?;
        let down = b.sql(
            "set_default.sql",
            json!({ "table": tn, "column": new, "default": null }),
        )?;
        swap(b, format!("{new} takes the default of {old}"), up, down);
    }
    // before the soft drop, so that its inverse re-creates the trigger once the old column is
    // back: the trigger's `WHEN` names both columns
    swap(
        b,
        "drop the sync trigger".to_owned(),
        drop_trigger,
        create_trigger,
    );
    // the old column's keys go before it is soft-dropped: kept on it, a stale value there
    // would block (or, ON DELETE CASCADE, delete along) the referenced rows
    for fk in &fks {
        let up = b.sql(
            "drop_constraint.sql",
            json!({ "table": tn, "name": fk.name }),
        )?;
        let down = b.sql(
            "not_valid.sql",
            json!({ "table": tn, "name": fk.name, "definition": fk.on_old }),
        )?;
        swap(
            b,
            format!("drop foreign key {} of {old}", fk.name),
            up,
            down,
        );
    }
    let soft = dropped(b, old);
    let up = b.sql(
        "soft_drop_column.sql",
        json!({
            "table": tn, "column": old, "to": soft,
            "had_default": s.old.default.is_some(), "was_not_null": s.old.not_null,
        }),
    )?;
    let down = b.sql(
        "restore_column.sql",
        json!({ "table": tn, "column": old, "from": soft, "default": s.old.default, "was_not_null": false }),
    )?;
    swap(
        b,
        format!("soft-drop {old} as {soft} (`migrate purge` drops it later)"),
        up,
        down,
    );
    if let Some(final_name) = &s.final_name {
        let up = b.sql(
            "swap_rename_column.sql",
            json!({ "table": tn, "from": new, "to": final_name }),
        )?;
        let down = b.sql(
            "rename_column.sql",
            json!({ "table": tn, "from": final_name, "to": new }),
        )?;
        swap(b, format!("{new} takes the name {final_name}"), up, down);
    }
    for (orig, copy) in &renamed_indexes {
        let gone = dropped(b, orig);
        let up = format!(
            "{}\n{}",
            b.sql(
                "rename_index.sql",
                json!({ "index": in_schema(table, orig), "to": gone })
            )?,
            b.sql(
                "rename_index.sql",
                json!({ "index": in_schema(table, copy), "to": orig })
            )?
        );
        // a unique constraint's copy is gone with the constraint's down (just before)
        let unrename = b.sql(
            "rename_index.sql",
            json!({ "index": in_schema(table, orig), "to": copy }),
        )?;
        let unrename = if uniques.contains(&orig.as_str()) {
            unrename.replacen("ALTER INDEX ", "ALTER INDEX IF EXISTS ", 1)
        } else {
            unrename
        };
        let down = format!(
            "{}\n{}",
            unrename,
            b.sql(
                "rename_index.sql",
                json!({ "index": in_schema(table, &gone), "to": orig })
            )?
        );
        swap(
            b,
            format!("the copy of index {orig} takes its name"),
            up,
            down,
        );
    }
    for name in &uniques {
        let up = b.sql(
            "unique_using_index.sql",
            json!({ "table": tn, "name": name, "kind": "UNIQUE", "index": name }),
        )?;
        let down = b.sql("drop_constraint.sql", json!({ "table": tn, "name": name }))?;
        swap(
            b,
            format!("the copy of {name} becomes the unique constraint"),
            up,
            down,
        );
    }
    for (orig, copy, _) in &renamed_checks {
        let gone = dropped(b, orig);
        let up = format!(
            "{}\n{}",
            b.sql(
                "rename_constraint.sql",
                json!({ "table": tn, "from": orig, "to": gone })
            )?,
            b.sql(
                "rename_constraint.sql",
                json!({ "table": tn, "from": copy, "to": orig })
            )?
        );
        let down = format!(
            "{}\n{}",
            b.sql(
                "rename_constraint.sql",
                json!({ "table": tn, "from": orig, "to": copy })
            )?,
            b.sql(
                "rename_constraint.sql",
                json!({ "table": tn, "from": gone, "to": orig })
            )?
        );
        swap(
            b,
            format!("the copy of check {orig} takes its name"),
            up,
            down,
        );
    }
    for fk in &fks {
        let up = b.sql(
            "rename_constraint.sql",
            json!({ "table": tn, "from": fk.copy, "to": fk.name }),
        )?;
        let down = b.sql(
            "rename_constraint.sql",
            json!({ "table": tn, "from": fk.name, "to": fk.copy }),
        )?;
        swap(
            b,
            format!("the copy of foreign key {} takes its name", fk.name),
            up,
            down,
        );
    }
    Ok(())
}

/// A foreign key of the shadowed column, and its copy on the new one.
struct ForeignKey {
    name: String,
    copy: String,
    /// `FOREIGN KEY (..) REFERENCES ..` with the new column, and with the old one.
    on_new: String,
    on_old: String,
    validated: bool,
}

/// The contract's copies of the old column's foreign keys onto `new`: `NOT VALID`, then
/// `VALIDATE` (each in its own transaction), and a step whose down validates the original
/// again once the rollback has put it back.
fn copy_foreign_keys(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    recipe: &'static str,
    table: &ObjName,
    new: &str,
    fks: &[ForeignKey],
) -> Result<(), String> {
    let tn = tname(table);
    for fk in fks {
        let (name, copy) = (&fk.name, &fk.copy);
        let up = b.sql(
            "not_valid.sql",
            json!({ "table": tn, "name": copy, "definition": fk.on_new }),
        )?;
        let down = b.sql("drop_constraint.sql", json!({ "table": tn, "name": copy }))?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::NotValidValidate,
                summary: format!("copy foreign key {name} onto {new}, NOT VALID"),
                lock: lock::SHARE_ROW_EXCLUSIVE_BRIEF,
                cost: Cost::Metadata,
                up,
                down: Some(down),
            },
            None,
        );
        if !fk.validated {
            continue;
        }
        constraint::validate_step(
            b,
            src,
            recipe,
            table,
            copy,
            format!("validate the copy of foreign key {name}"),
        )?;
        // runs after the swap's down has put the original back, NOT VALID
        let down = b.sql("validate.sql", json!({ "table": tn, "name": name }))?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::NotValidValidate,
                summary: format!("validate foreign key {name} again (down only)"),
                lock: lock::SHARE_UPDATE_EXCLUSIVE,
                cost: Cost::Scan,
                up: String::new(),
                down: Some(down),
            },
            None,
        );
    }
    Ok(())
}
