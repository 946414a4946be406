//! MySQL / MariaDB recipes of column changes: a redefinition, a rename or a retype through
//! a shadow column or a table copy, a new column, a column dropped softly.

use serde_json::json;
use sqlparser::ast::Statement as Ast;

use sluice_core::catalog::Table;
use sluice_core::sql::ops::{ColumnSpec, ObjName};
use sluice_core::sql::{Dialect, quote};
use sluice_lint::mysql::{self as facts, Algorithm};
use sluice_lint::settings::MysqlServer;

use super::super::super::{Cost, PlanPhase, Strategy, names};
use super::super::{Builder, Src, StepSpec, dropped, in_schema, tname};
use super::{
    Def, Shadow, drop_instant, encodings, index_rename_instant, lock, on_new_row, pinned,
    rename_instant, usable,
};

/// `MODIFY` / `CHANGE c c ..`: as written when the server does it without a copy, else a
/// shadow column.
pub(super) fn modify(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    server: &MysqlServer,
    table: &ObjName,
    column: &str,
    spec: &ColumnSpec,
) -> Result<(), String> {
    let t = src.table(table)?;
    let Some(old) = t.column(column) else {
        return Err(format!("column {column} is not known on table {table}"));
    };
    Src::known_columns(t, table, column)?;
    if spec.serial && !old.serial {
        return Err(format!(
            "making {column} AUTO_INCREMENT is a table copy: run it through an online schema change tool"
        ));
    }
    if spec.generated.is_some() || old.generated.is_some() {
        return Err(format!(
            "{column} is or becomes a generated column: the shadow column recipe cannot keep it in sync"
        ));
    }
    let (from_enc, to_enc) = encodings(server, t, old, spec);
    let ix = facts::indexed(src.cat, table, column);
    let to_type = sluice_core::catalog::SqlType::parse(&spec.data_type);
    match facts::type_change(server, &old.sql_type(), &from_enc, &to_type, &to_enc, ix) {
        Ok(algorithm) => {
            // no copy: as written, pinned; NULL <-> NOT NULL rebuilds in place
            let algorithm = if old.not_null != spec.not_null {
                algorithm.max(Algorithm::Inplace)
            } else if old.default != spec.default && algorithm == Algorithm::Instant {
                Algorithm::Instant
            } else {
                algorithm
            };
            // the way back must not be a copy either (a shrink, a prefix class crossed)
            let back =
                facts::type_change(server, &to_type, &to_enc, &old.sql_type(), &from_enc, ix);
            let down = match back {
                Ok(_) => Some(b.sql(
                    "mysql/modify_column.sql",
                    Def::of(old).modify(table, column, old.not_null, true),
                )?),
                Err(_) => None,
            };
            // NOT NULL restricts what the old code may write: after the rollout
            let phase = if spec.not_null && !old.not_null {
                PlanPhase::Contract
            } else {
                PlanPhase::Expand
            };
            pinned(b, src, algorithm, phase, down)
        }
        Err(_copy) => {
            let shadow = names::fit("", column, "_sluice_new");
            let old = usable(t, column, &shadow)?;
            let s = Shadow {
                old,
                new: shadow,
                def: Def::of_spec(spec),
                final_name: Some(column.to_owned()),
                two_way: false,
                recipe: "change-column-type",
            };
            rename_or_retype(b, src, server, table, t, &s)
        }
    }
}

/// New column + BEFORE INSERT / BEFORE UPDATE triggers + batched backfill + a swap under a
/// short `LOCK TABLES` at contract; the old column is soft-dropped.
pub(super) fn rename_or_retype(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    server: &MysqlServer,
    table: &ObjName,
    t: &Table,
    s: &Shadow<'_>,
) -> Result<(), String> {
    Src::known_columns(t, table, &s.old.name)?;
    let key = Src::key(t)?;
    let tn = tname(table);
    let (old, new, recipe) = (s.old.name.as_str(), s.new.as_str(), s.recipe);
    let q = |c: &str| quote::ident_min(Dialect::Mysql, c);
    let mut copies = Vec::new();
    for i in src.cat.indexes_on(table) {
        if !i.columns.iter().any(|c| c == old) {
            continue;
        }
        if i.unique || i.partial || i.columns.iter().any(|c| t.column(c).is_none()) {
            return Err(format!(
                "index {} on {old} is unique or on an expression: the shadow column recipe cannot copy it; use an online schema change tool",
                i.name
            ));
        }
        copies.push(i);
    }

    // ---- expand: the new column, the triggers, copies of the indexes
    let add_instant = facts::instant_add_column(server, false);
    let up = b.sql(
        "mysql/add_column.sql",
        json!({ "table": tn, "column": new, "type": s.def.data_type, "charset": s.def.charset, "collation": s.def.collation, "instant": add_instant }),
    )?;
    let down = b.sql(
        "mysql/drop_column.sql",
        json!({ "table": tn, "column": new, "instant": drop_instant(server) }),
    )?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::ShadowColumnSwap,
            summary: format!("add {new} ({}) to {table}, nullable", s.def.data_type),
            lock: if add_instant {
                lock::MDL_BRIEF
            } else {
                lock::MDL_ONLINE
            },
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        None,
    );
    let base = format!("{}_{new}", table.name);
    let ins = names::fit("sluice_sync_", &base, "_bi");
    let upd = names::fit("sluice_sync_", &base, "_bu");
    let triggers = json!({
        "table": tn, "old": old, "new": new, "two_way": s.two_way,
        "insert_trigger": in_schema(table, &ins), "update_trigger": in_schema(table, &upd),
        "triggers": [in_schema(table, &ins), in_schema(table, &upd)],
    });
    let create = b.sql("mysql/sync_triggers.sql", triggers.clone())?;
    let drop = b.sql("mysql/drop_triggers.sql", triggers)?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::ShadowColumnSwap,
            summary: format!("BEFORE INSERT / UPDATE triggers keeping {old} and {new} equal"),
            lock: lock::MDL_BRIEF,
            cost: Cost::Metadata,
            up: create.clone(),
            down: Some(drop.clone()),
        },
        None,
    );
    let mut index_swaps = Vec::new();
    for i in &copies {
        let copy = names::fit("", &i.name, "_sluice_new");
        let cols: Vec<&str> = i
            .columns
            .iter()
            .map(|c| if c == old { new } else { c.as_str() })
            .collect();
        let up = b.sql(
            "mysql/add_index.sql",
            json!({ "table": tn, "name": copy, "columns": cols, "unique": false, "primary": false }),
        )?;
        let down = b.sql(
            "mysql/drop_index.sql",
            json!({ "table": tn, "name": copy, "primary": false }),
        )?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Expand,
                strategy: Strategy::ShadowColumnSwap,
                summary: format!("copy index {} onto {new} (INPLACE, LOCK=NONE)", i.name),
                lock: lock::MDL_ONLINE,
                cost: Cost::IndexBuild,
                up,
                down: Some(down),
            },
            None,
        );
        index_swaps.push((i.name.clone(), copy));
    }

    // ---- backfill
    b.backfill(
        src,
        recipe,
        table,
        key,
        new,
        q(old),
        format!("{} IS NULL AND {} IS NOT NULL", q(new), q(old)),
    )?;

    // ---- contract. Only the new code runs now; each statement commits on its own, so
    // each state between them must work for it.
    let contract_from = b.steps().len();
    // 1. the new column takes its final NOT NULL / DEFAULT (the triggers keep filling it)
    if s.def.not_null {
        let why = format!("the backfill and the triggers filled {new}: NOT NULL holds");
        let mut up_ctx = s.def.modify(table, new, true, true);
        up_ctx["why"] = json!(why);
        let up = b.sql("mysql/modify_column.sql", up_ctx)?;
        let down = b.sql(
            "mysql/modify_column.sql",
            s.def.modify(table, new, false, false),
        )?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::ShadowColumnSwap,
                summary: format!("{new} becomes NOT NULL (an online rebuild, LOCK=NONE)"),
                lock: lock::MDL_ONLINE,
                cost: Cost::Scan,
                up,
                down: Some(down),
            },
            None,
        );
    } else if s.def.default.is_some() {
        let up = b.sql(
            "mysql/set_default.sql",
            json!({ "table": tn, "column": new, "default": s.def.default }),
        )?;
        let down = b.sql(
            "mysql/set_default.sql",
            json!({ "table": tn, "column": new, "default": null }),
        )?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::ShadowColumnSwap,
                summary: format!("{new} takes its default"),
                lock: lock::MDL_BRIEF,
                cost: Cost::Metadata,
                up,
                down: Some(down),
            },
            None,
        );
    }
    // 2. the old column stops being required (it keeps its default): once soft-dropped,
    // the new code's inserts leave it out
    if s.old.not_null {
        let old_def = Def::of(s.old);
        let up = b.sql(
            "mysql/modify_column.sql",
            old_def.modify(table, old, false, true),
        )?;
        let down = b.sql(
            "mysql/modify_column.sql",
            old_def.modify(table, old, true, true),
        )?;
        b.add(
            src,
            recipe,
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::ShadowColumnSwap,
                summary: format!("{old} becomes nullable before its soft drop"),
                lock: lock::MDL_ONLINE,
                cost: Cost::Scan,
                up,
                down: Some(down),
            },
            None,
        );
    }
    // (down only) rows written since the contract get the old column's value back
    let sync_back = b.sql(
        "mysql/sync_back.sql",
        json!({ "table": tn, "old": old, "new": new }),
    )?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::ShadowColumnSwap,
            summary: format!("the old column {old} gets its values back (down only)"),
            lock: lock::ROW_BATCHES,
            cost: Cost::Batched,
            up: String::new(),
            down: Some(sync_back),
        },
        None,
    );
    // 3. the swap: triggers gone and names swapped under one short table lock, so no
    // write lands between the two
    let soft = dropped(b, old);
    let mut columns = vec![json!({ "from": old, "to": soft })];
    if let Some(f) = &s.final_name {
        columns.push(json!({ "from": new, "to": f }));
    }
    let mut back = Vec::new();
    if let Some(f) = &s.final_name {
        back.push(json!({ "from": f, "to": new }));
    }
    back.push(json!({ "from": soft, "to": old }));
    let mut indexes = Vec::new();
    let mut indexes_back = Vec::new();
    for (orig, copy) in &index_swaps {
        let gone = dropped(b, orig);
        indexes.push(json!({ "from": orig, "to": gone }));
        indexes.push(json!({ "from": copy, "to": orig }));
        indexes_back.push(json!({ "from": orig, "to": copy }));
        indexes_back.push(json!({ "from": gone, "to": orig }));
    }
    let instant =
        rename_instant(server) && (index_swaps.is_empty() || index_rename_instant(server));
    let up = b.sql(
        "mysql/swap.sql",
        json!({ "table": tn, "before": drop, "after": "", "columns": columns, "indexes": indexes, "instant": instant }),
    )?;
    let down = b.sql(
        "mysql/swap.sql",
        json!({ "table": tn, "before": "", "after": create, "columns": back, "indexes": indexes_back, "instant": instant }),
    )?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::ShadowColumnSwap,
            summary: format!(
                "drop the triggers, soft-drop {old} as {soft}{} in one short table lock",
                s.final_name
                    .as_ref()
                    .map(|f| format!(", {new} takes the name {f}"))
                    .unwrap_or_default()
            ),
            lock: lock::TABLE_WRITE_BRIEF,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        None,
    );
    b.contract_before_earlier_triggers(table, src.line, contract_from);
    Ok(())
}

/// `ADD COLUMN`: pinned as written, or (NOT NULL without a default) nullable + fill trigger +
/// backfill + NOT NULL at contract.
pub(super) fn add_column(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    server: &MysqlServer,
    table: &ObjName,
    c: &ColumnSpec,
) -> Result<(), String> {
    if c.primary_key || c.unique || c.references.is_some() || c.check {
        return Err(format!(
            "column {} is added with an inline constraint: add the column, then the index or key in its own statement",
            c.name
        ));
    }
    let algorithm = facts::add_column(server, c).map_err(|why| {
        format!(
            "the statement {why}: a table copy that blocks writes; run it through an online schema change tool"
        )
    })?;
    let tn = tname(table);
    let drop = b.sql(
        "mysql/drop_column.sql",
        json!({ "table": tn, "column": c.name, "instant": drop_instant(server) }),
    )?;
    if !c.not_null || c.default.is_some() {
        return pinned(b, src, algorithm, PlanPhase::Expand, Some(drop));
    }
    let Some(expr) = &src.backfill_expr else {
        return Err(format!(
            "NOT NULL column {} without a DEFAULT breaks the running code's inserts: put `-- sluice:backfill <expression>` above the statement (the value existing and old-code rows get), or give it a DEFAULT",
            c.name
        ));
    };
    if algorithm == Algorithm::Instant
        && facts::literal_default(server, &c.data_type)
        && let Some(value) = super::super::constant::literal(Dialect::Mysql, expr)
        && let Some(Ast::AlterTable(alter)) = src
            .ast
            .and_then(|a| super::super::constant::with_default(a, value, false))
    {
        return constant_default(b, src, table, &c.name, &alter, expr);
    }
    let t = src.table(table)?;
    let key = Src::key(t)?;
    let col = &c.name;
    let recipe = "add-not-null-column";
    let def = Def::of_spec(c);
    let up = b.sql(
        "mysql/add_column.sql",
        json!({ "table": tn, "column": col, "type": def.data_type, "charset": def.charset, "collation": def.collation, "position": c.position, "instant": algorithm == Algorithm::Instant }),
    )?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::BatchedBackfill,
            summary: format!("add {col} to {table} as a nullable column"),
            lock: lock::MDL_BRIEF,
            cost: Cost::Metadata,
            up,
            down: Some(drop),
        },
        None,
    );
    let trigger = names::fit("sluice_fill_", &format!("{}_{col}", table.name), "_bi");
    let ctx = json!({
        "table": tn, "column": col, "expr": on_new_row(expr)?,
        "trigger": in_schema(table, &trigger), "triggers": [in_schema(table, &trigger)],
    });
    let create = b.sql("mysql/fill_trigger.sql", ctx.clone())?;
    let drop_trigger = b.sql("mysql/drop_triggers.sql", ctx)?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::BatchedBackfill,
            summary: format!(
                "BEFORE INSERT trigger giving {col} its value on rows the old code writes"
            ),
            lock: lock::MDL_BRIEF,
            cost: Cost::Metadata,
            up: create.clone(),
            down: Some(drop_trigger.clone()),
        },
        None,
    );
    b.backfill(
        src,
        recipe,
        table,
        key,
        col,
        expr.clone(),
        format!("{} IS NULL", quote::ident_min(Dialect::Mysql, col)),
    )?;
    // contract: NOT NULL first (the trigger still fills), then the trigger goes; through a
    // tool the trigger goes first (pt-online-schema-change refuses a table with triggers)
    let tool = b.fold_tool.clone();
    let mut up_ctx = def.modify(table, col, true, false);
    up_ctx["why"] = json!(format!(
        "the backfill and the trigger filled {col}: NOT NULL holds"
    ));
    up_ctx["tool"] = json!(tool);
    let up = b.sql("mysql/modify_column.sql", up_ctx)?;
    let down = b.sql(
        "mysql/modify_column.sql",
        def.modify(table, col, false, false),
    )?;
    let not_null = StepSpec {
        phase: PlanPhase::Contract,
        strategy: Strategy::BatchedBackfill,
        summary: match &tool {
            Some(t) => format!("{col} becomes NOT NULL (a copy of the table by {t})"),
            None => format!("{col} becomes NOT NULL (an online rebuild, LOCK=NONE)"),
        },
        lock: if tool.is_some() {
            lock::TOOL_COPY
        } else {
            lock::MDL_ONLINE
        },
        cost: Cost::Scan,
        up,
        down: Some(down),
    };
    let no_trigger = StepSpec {
        phase: PlanPhase::Contract,
        strategy: Strategy::BatchedBackfill,
        summary: format!("drop the fill trigger of {col}"),
        lock: lock::MDL_BRIEF,
        cost: Cost::Metadata,
        up: drop_trigger,
        down: Some(create),
    };
    let contract = if tool.is_some() {
        [no_trigger, not_null]
    } else {
        [not_null, no_trigger]
    };
    let contract_from = b.steps().len();
    for step in contract {
        b.add(src, recipe, step, None);
    }
    b.contract_before_earlier_triggers(table, src.line, contract_from);
    Ok(())
}

/// The NOT NULL column with a constant value (see [`super::super::constant`]): added INSTANT with it
/// as DEFAULT in expand, the DEFAULT dropped (INSTANT) in contract.
pub(super) fn constant_default(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    col: &str,
    add: &sqlparser::ast::AlterTable,
    value: &str,
) -> Result<(), String> {
    let server = b.settings.mysql_server();
    let drop = b.sql(
        "mysql/drop_column.sql",
        json!({ "table": tname(table), "column": col, "instant": drop_instant(&server) }),
    )?;
    let spelling = super::super::constant::Spelling {
        add: Ast::AlterTable(facts::pinned(add, Algorithm::Instant)).to_string(),
        drop,
        set_default: "mysql/set_default.sql",
        lock: lock::MDL_BRIEF,
        how: "INSTANT",
    };
    super::super::constant::steps(b, src, table, col, value, spelling)
}

/// `DROP COLUMN` -> renamed to `_sluice_dropped_<col>_<version>` at contract (nullable first
/// when it is NOT NULL without a default, so the new code's inserts may leave it out).
pub(super) fn soft_drop_column(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    server: &MysqlServer,
    table: &ObjName,
    column: &str,
) -> Result<(), String> {
    let t = src.table(table)?;
    let Some(c) = t.column(column) else {
        return Err(format!("column {column} is not known on table {table}"));
    };
    let def = Def::of(c);
    if c.not_null && c.default.is_none() {
        let up = b.sql(
            "mysql/modify_column.sql",
            def.modify(table, column, false, true),
        )?;
        let mut down_ctx = def.modify(table, column, true, true);
        down_ctx["why"] =
            json!("rows written since the contract have no value here: fill them before this runs");
        let down = b.sql("mysql/modify_column.sql", down_ctx)?;
        b.add(
            src,
            "soft-drop-column",
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::SoftDrop,
                summary: format!("{table}.{column} becomes nullable before its soft drop"),
                lock: lock::MDL_ONLINE,
                cost: Cost::Scan,
                up,
                down: Some(down),
            },
            None,
        );
    }
    let to = dropped(b, column);
    // indexes of this column alone go with it (a DROP COLUMN drops them), keeping their
    // names free for the new code's migrations
    let mut indexes = Vec::new();
    let mut indexes_back = Vec::new();
    for i in src.cat.indexes_on(table) {
        if i.columns.len() == 1 && i.columns[0] == column && !i.unique {
            let gone = dropped(b, &i.name);
            indexes.push(json!({ "from": i.name, "to": gone }));
            indexes_back.push(json!({ "from": gone, "to": i.name }));
        }
    }
    let instant = rename_instant(server) && (indexes.is_empty() || index_rename_instant(server));
    let up = b.sql(
        "mysql/soft_drop_column.sql",
        json!({ "table": tname(table), "column": column, "to": to, "indexes": indexes, "instant": instant }),
    )?;
    let down = b.sql(
        "mysql/rename_column.sql",
        json!({ "table": tname(table), "from": to, "to": column, "indexes": indexes_back, "instant": instant }),
    )?;
    b.add(
        src,
        "soft-drop-column",
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::SoftDrop,
            summary: format!("soft-drop {table}.{column} as {to}"),
            lock: lock::MDL_BRIEF,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        None,
    );
    Ok(())
}
