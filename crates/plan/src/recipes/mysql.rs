//! MySQL / MariaDB recipes. DDL is not transactional there: every statement commits on its
//! own, so the steps are ordered so that each intermediate state works for the code running
//! at that point (old and new code after expand, new code only during contract). Every
//! `ALTER TABLE` pins `ALGORITHM=` (and `LOCK=NONE` when not INSTANT), chosen from the
//! online DDL facts of `lint::mysql` for the configured server, so an unexpected table copy
//! fails fast instead of blocking writes.

use serde_json::{Value, json};
use sqlparser::ast::{AlterTableOperation, Expr, Ident, Statement as Ast, TableConstraint};

use sluice_core::catalog::{Catalog, Column, Table};
use sluice_core::sql::ops::{
    ColumnSpec, ConstraintKind, ConstraintSpec, ObjName, Operation, TxControl,
};
use sluice_core::sql::{self, Dialect, quote};
use sluice_lint::context::{ScriptCx, Stmt};
use sluice_lint::mysql::{self as facts, Algorithm};
use sluice_lint::settings::MysqlServer;

use super::super::{Cost, PlanPhase, Strategy, names};
use super::{Builder, Src, StepSpec, dropped, in_schema, is_runner_setting, tname};

/// Locks as the plan reports them on MySQL.
mod lock {
    pub const MDL_BRIEF: &str =
        "exclusive metadata lock, brief: INSTANT, under lock_wait_timeout with retries";
    pub const MDL_ONLINE: &str = "exclusive metadata lock at start and end only: INPLACE, LOCK=NONE (reads and writes continue)";
    pub const TOOL_COPY: &str = "the tool's: brief metadata locks for its triggers and its RENAME swap; each chunk's source rows while it copies them";
    pub const TABLE_WRITE_BRIEF: &str =
        "LOCK TABLES .. WRITE, brief: triggers and renames only (writes wait for it)";
    pub const ROW_BATCHES: &str = "row locks of one batch at a time";
}

/// Plan one statement (one `ALTER TABLE` action at a time) on MySQL / MariaDB.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_ast(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    ast: &Ast,
    ops: Vec<Operation>,
    backfill_expr: Option<String>,
) -> Result<(), String> {
    // the plan pins its own ALGORITHM / LOCK: the naive statement's are left out
    let had_pins = ops
        .iter()
        .any(|o| matches!(o, Operation::AlterTableOptions { .. }));
    let ops: Vec<Operation> = ops
        .into_iter()
        .filter(|o| !matches!(o, Operation::AlterTableOptions { .. }))
        .collect();
    let ast = without_pins(ast);
    if had_pins {
        b.note(format!(
            "line {line}: ALGORITHM / LOCK clauses of the naive statement left out: the plan pins its own per step"
        ));
    }
    let Some(op) = ops.first() else {
        if had_pins {
            return Ok(());
        }
        return super::passthrough::statement(b, line, &ast.to_string(), PlanPhase::Expand, None);
    };
    let new_table = super::on_new_table(cx, st, cat, op);
    let src = Src {
        line,
        text: ast.to_string(),
        ast: Some(&ast),
        op,
        cat,
        new_table,
        new_columns: false,
        freed_name: false,
        replaced: false,
        backfill_expr,
    };
    let server = b.settings.mysql_server();
    match ops.as_slice() {
        [Operation::Transaction(tx)] => {
            let what = match tx {
                TxControl::Begin => "BEGIN",
                TxControl::Commit => "COMMIT",
                _ => "transaction control",
            };
            b.note(format!(
                "line {line}: {what} of the naive file left out: MySQL commits every DDL statement on its own"
            ));
            Ok(())
        }
        [Operation::SetVariable { name, .. }] if is_runner_setting(name) => {
            b.note(format!(
                "line {line}: SET {name} left out: the runner sets lock_wait_timeout itself"
            ));
            Ok(())
        }
        _ if src.new_table => super::passthrough::op(b, &src),
        [Operation::RenameColumn { table, from, to }] => {
            let t = src.table(table)?;
            let old = usable(t, from, to)?;
            if b.rename_view {
                // a MySQL view that shows a column twice takes no INSERT
                b.note(format!(
                    "line {line}: column {from} renamed through a copy: a rename through a view is PostgreSQL's (a MySQL view showing a column under two names is not insertable)"
                ));
            }
            rename_or_retype(b, &src, &server, table, t, &Shadow::rename(old, to))
        }
        [
            Operation::RenameColumn { table, from, to },
            Operation::AlterColumnType { .. },
            Operation::RedefineColumn { column: spec, .. },
        ] => {
            let t = src.table(table)?;
            let old = usable(t, from, to)?;
            if !same_definition(&server, t, old, spec) {
                return Err(format!(
                    "CHANGE {from} {to} renames and redefines the column at once: split it into RENAME COLUMN and MODIFY in two migrations, each gets its own recipe"
                ));
            }
            rename_or_retype(b, &src, &server, table, t, &Shadow::rename(old, to))
        }
        [
            Operation::AlterColumnType { table, column, .. },
            Operation::RedefineColumn { column: spec, .. },
        ] => modify(b, &src, &server, table, column, spec),
        [Operation::AddColumn { table, column, .. }] => add_column(b, &src, &server, table, column),
        [
            Operation::CreateIndex {
                name,
                table,
                columns,
                unique,
                fulltext_or_spatial,
                ..
            },
        ] => {
            if *fulltext_or_spatial {
                return Err(
                    "a FULLTEXT / SPATIAL index is built with LOCK=SHARED (writes blocked for the whole build): build it through an online schema change tool or in a maintenance window".into(),
                );
            }
            let name = name.clone().unwrap_or_else(|| {
                columns.first().cloned().unwrap_or_else(|| "idx".to_owned())
            });
            add_index(b, &src, table, Some(&name), columns, *unique, false)
        }
        [Operation::AddConstraint { table, constraint }] => match constraint.kind {
            ConstraintKind::ForeignKey => add_foreign_key(b, &src, table, constraint),
            ConstraintKind::Unique | ConstraintKind::PrimaryKey => {
                let pk = constraint.kind == ConstraintKind::PrimaryKey;
                let name = constraint
                    .name
                    .clone()
                    .or_else(|| constraint.columns.first().cloned());
                add_index(
                    b,
                    &src,
                    table,
                    name.as_deref(),
                    &constraint.columns,
                    true,
                    pk,
                )
            }
            ConstraintKind::Check | ConstraintKind::Exclude | ConstraintKind::NotNull => Err(
                "adding a CHECK constraint checks every row through a table copy on MySQL / MariaDB (writes blocked for its length): run it through an online schema change tool or in a maintenance window".into(),
            ),
        },
        [Operation::DropIndex { names, table, .. }] => drop_index(b, &src, names, table.as_ref()),
        [Operation::DropColumn { table, column, .. }] => {
            soft_drop_column(b, &src, &server, table, column)
        }
        [Operation::DropTable { tables, .. }] => soft_drop_tables(b, &src, tables),
        [Operation::RenameTable { from, to }] => rename_table(b, cx, st, &src, from, to),
        [Operation::Update { table, .. }] => super::update::batched_update(b, &src, table),
        [Operation::SetDefault { table, column, .. } | Operation::DropDefault {
table, column }] => {
            let old = src.cat.column(table, column).and_then(|c| c.default.clone());
            let down = b.sql(
                "mysql/set_default.sql",
                json!({ "table": tname(table), "column": column, "default": old }),
            )?;
            let phase = if matches!(op, Operation::DropDefault { .. }) {
                PlanPhase::Contract
            } else {
                PlanPhase::Expand
            };
            pinned(b, &src, Algorithm::Instant, phase, Some(down))
        }
        _ => super::passthrough::op(b, &src),
    }
}

/// The statement without its `ALGORITHM=` / `LOCK=` clauses.
fn without_pins(ast: &Ast) -> Ast {
    let mut ast = ast.clone();
    if let Ast::AlterTable(a) = &mut ast {
        a.operations.retain(|o| {
            !matches!(
                o,
                AlterTableOperation::Algorithm { .. } | AlterTableOperation::Lock { .. }
            )
        });
    }
    ast
}

/// An `ALTER TABLE` as written, with `ALGORITHM=<a>` (and `LOCK=NONE` unless INSTANT).
fn pinned(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    algorithm: Algorithm,
    phase: PlanPhase,
    down: Option<String>,
) -> Result<(), String> {
    let Some(Ast::AlterTable(alter)) = src.ast else {
        return Err("internal error: not an ALTER TABLE".into());
    };
    let text = if b.tool_forced {
        src.text.clone()
    } else {
        Ast::AlterTable(facts::pinned(alter, algorithm)).to_string()
    };
    let up = b.sql("passthrough.sql", json!({ "statement": text }))?;
    b.add(
        src,
        super::passthrough::RECIPE,
        StepSpec {
            phase,
            strategy: Strategy::Plain,
            summary: if b.tool_forced {
                format!(
                    "{} (the forced tool copies the table)",
                    super::super::one_line(&src.text)
                )
            } else {
                format!(
                    "{} (ALGORITHM={})",
                    super::super::one_line(&src.text),
                    algorithm.name()
                )
            },
            lock: if b.tool_forced {
                lock::TOOL_COPY
            } else if algorithm == Algorithm::Instant {
                lock::MDL_BRIEF
            } else {
                lock::MDL_ONLINE
            },
            cost: Cost::AsWritten,
            up,
            down,
        },
        None,
    );
    Ok(())
}

/// Whether `ALTER TABLE .. RENAME COLUMN` is INSTANT on this server.
fn rename_instant(server: &MysqlServer) -> bool {
    server.mysql_at_least(8, 0, 28) || server.mariadb_at_least(10, 3)
}

/// Whether `ALTER TABLE .. RENAME INDEX` may be pinned INSTANT (checked on MariaDB; MySQL
/// gets INPLACE, metadata only all the same).
fn index_rename_instant(server: &MysqlServer) -> bool {
    server.mariadb_at_least(10, 5)
}

/// Whether `ALTER TABLE .. DROP COLUMN` is INSTANT on this server.
fn drop_instant(server: &MysqlServer) -> bool {
    server.mysql_at_least(8, 0, 29) || server.mariadb_at_least(10, 4)
}

/// A column definition as the MySQL templates print it.
#[derive(Debug, Clone, PartialEq)]
struct Def {
    data_type: String,
    charset: Option<String>,
    collation: Option<String>,
    not_null: bool,
    default: Option<String>,
}

impl Def {
    fn of(c: &Column) -> Def {
        Def {
            data_type: c.data_type.clone(),
            charset: c.charset.clone(),
            collation: c.collation.clone(),
            not_null: c.not_null,
            default: c.default.clone(),
        }
    }

    fn of_spec(c: &ColumnSpec) -> Def {
        Def {
            data_type: c.data_type.clone(),
            charset: c.charset.clone(),
            collation: c.collation.clone(),
            not_null: c.not_null,
            default: c.default.clone(),
        }
    }

    /// `MODIFY COLUMN` template context.
    fn modify(&self, table: &ObjName, column: &str, not_null: bool, default: bool) -> Value {
        json!({
            "table": tname(table),
            "column": column,
            "type": self.data_type,
            "charset": self.charset,
            "collation": self.collation,
            "not_null": not_null,
            "default": if default { self.default.clone() } else { None },
            "instant": false,
        })
    }
}

/// Does `CHANGE old new <spec>` keep the column's definition (a pure rename)?
fn same_definition(server: &MysqlServer, t: &Table, old: &Column, spec: &ColumnSpec) -> bool {
    let (from, to) = encodings(server, t, old, spec);
    // any index: a pure rename keeps the collation, and so the index
    facts::type_change(
        server,
        &old.sql_type(),
        &from,
        &sluice_core::catalog::SqlType::parse(&spec.data_type),
        &to,
        facts::Indexed::Primary,
    ) == Ok(Algorithm::Instant)
        && from == to
        && old.sql_type() == sluice_core::catalog::SqlType::parse(&spec.data_type)
        && old.not_null == spec.not_null
        && old.default == spec.default
        && !spec.serial
        && spec.generated.is_none()
}

/// The encodings of `old` and of its redefinition `spec` (which takes the table's defaults
/// again where it names none).
fn encodings(
    server: &MysqlServer,
    t: &Table,
    old: &Column,
    spec: &ColumnSpec,
) -> (facts::Encoding, facts::Encoding) {
    facts::Encoding::redefined(
        server,
        &facts::Encoding::of_catalog_table(server, Some(t)),
        (old.charset.as_deref(), old.collation.as_deref()),
        Some(spec),
    )
}

/// The column to shadow, refused when the recipe cannot carry what hangs on it.
fn usable<'t>(t: &'t Table, col: &str, new: &str) -> Result<&'t Column, String> {
    let c = super::shadow::usable_column(t, col, new)?;
    for k in &t.constraints {
        if k.kind == ConstraintKind::Check
            && k.check_expr.as_deref().is_some_and(|e| mentions(e, col))
        {
            return Err(format!(
                "column {col} is used by CHECK constraint {}: copying it onto the new column is a table copy on MySQL / MariaDB; drop the check around this change",
                k.name.as_deref().unwrap_or("(unnamed)")
            ));
        }
    }
    Ok(c)
}

/// Does the SQL expression `expr` name column `col` (case-insensitive, as MySQL)?
fn mentions(expr: &str, col: &str) -> bool {
    let Ok(parsed) = sql::parse(Dialect::Mysql, &format!("SELECT {expr}")) else {
        return true;
    };
    let mut found = false;
    let _ = sqlparser::ast::visit_expressions(&parsed, |e| {
        let id = match e {
            Expr::Identifier(id) => Some(id),
            Expr::CompoundIdentifier(ids) => ids.last(),
            _ => None,
        };
        if id.is_some_and(|id| id.value.eq_ignore_ascii_case(col)) {
            found = true;
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

/// `expr` over the row's columns, on a trigger's `NEW` row (`a + 1` -> `NEW.a + 1`).
fn on_new_row(expr: &str) -> Result<String, String> {
    use sqlparser::ast::{SelectItem, SetExpr};
    let mut parsed = sql::parse(Dialect::Mysql, &format!("SELECT {expr}")).map_err(|e| {
        format!(
            "cannot read the backfill expression `{expr}`: {}",
            e.message
        )
    })?;
    let _ = sqlparser::ast::visit_expressions_mut(&mut parsed, |e| {
        if let Expr::Identifier(id) = e {
            *e = Expr::CompoundIdentifier(vec![Ident::new("NEW"), id.clone()]);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    let Some(Ast::Query(q)) = parsed.first() else {
        return Err(format!("cannot read the backfill expression `{expr}`"));
    };
    match q.body.as_ref() {
        SetExpr::Select(sel) => match sel.projection.as_slice() {
            [SelectItem::UnnamedExpr(e)] => Ok(e.to_string()),
            _ => Err(format!(
                "the backfill expression `{expr}` must be one expression"
            )),
        },
        _ => Err(format!("cannot read the backfill expression `{expr}`")),
    }
}

/// The shadow column of a rename or a type change.
struct Shadow<'a> {
    old: &'a Column,
    /// The column the transition adds.
    new: String,
    /// Its definition at the end (type, NOT NULL, default).
    def: Def,
    /// After the swap, the new column takes this name (type change: the old one).
    final_name: Option<String>,
    /// Both columns are written by running code (rename).
    two_way: bool,
    recipe: &'static str,
}

impl<'a> Shadow<'a> {
    fn rename(old: &'a Column, to: &str) -> Shadow<'a> {
        Shadow {
            old,
            new: to.to_owned(),
            def: Def::of(old),
            final_name: None,
            two_way: true,
            recipe: "rename-column",
        }
    }
}

/// `MODIFY` / `CHANGE c c ..`: as written when the server does it without a copy, else a
/// shadow column.
fn modify(
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
fn rename_or_retype(
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
fn add_column(
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
        && let Some(value) = super::constant::literal(Dialect::Mysql, expr)
        && let Some(Ast::AlterTable(alter)) = src
            .ast
            .and_then(|a| super::constant::with_default(a, value, false))
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

/// The NOT NULL column with a constant value (see [`super::constant`]): added INSTANT with it
/// as DEFAULT in expand, the DEFAULT dropped (INSTANT) in contract.
fn constant_default(
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
    let spelling = super::constant::Spelling {
        add: Ast::AlterTable(facts::pinned(add, Algorithm::Instant)).to_string(),
        drop,
        set_default: "mysql/set_default.sql",
        lock: lock::MDL_BRIEF,
        how: "INSTANT",
    };
    super::constant::steps(b, src, table, col, value, spelling)
}

/// `ADD [UNIQUE] INDEX` / `CREATE INDEX` / `ADD PRIMARY KEY`: INPLACE, LOCK=NONE pinned. A
/// plain index in expand; a unique one restricts what the old code may write: contract.
fn add_index(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    name: Option<&str>,
    columns: &[String],
    unique: bool,
    primary: bool,
) -> Result<(), String> {
    let t = src.table(table)?;
    if let Some(c) = columns.iter().find(|c| t.column(c).is_none()) {
        return Err(format!(
            "index column {c} is not a known column of {table} (expressions and prefixes are not planned): write this index by hand with ALGORITHM=INPLACE, LOCK=NONE"
        ));
    }
    if primary
        && t.constraints
            .iter()
            .any(|k| k.kind == ConstraintKind::PrimaryKey)
    {
        return Err(format!("table {table} already has a primary key"));
    }
    let name = name.unwrap_or("idx");
    let ctx = json!({ "table": tname(table), "name": name, "columns": columns, "unique": unique, "primary": primary });
    let up = b.sql("mysql/add_index.sql", ctx.clone())?;
    let down = b.sql("mysql/drop_index.sql", ctx)?;
    let (recipe, phase) = match (primary, unique) {
        (true, _) => ("add-primary-key", PlanPhase::Contract),
        (_, true) => ("add-unique", PlanPhase::Contract),
        _ => ("add-index", PlanPhase::Expand),
    };
    b.add(
        src,
        recipe,
        StepSpec {
            phase,
            strategy: Strategy::Plain,
            summary: format!(
                "build {} on {table} online (ALGORITHM=INPLACE, LOCK=NONE)",
                if primary {
                    "the primary key".to_owned()
                } else {
                    format!("{}index {name}", if unique { "unique " } else { "" })
                }
            ),
            lock: lock::MDL_ONLINE,
            cost: Cost::IndexBuild,
            up,
            down: Some(down),
        },
        None,
    );
    Ok(())
}

/// `DROP INDEX`: contract, INPLACE; the down rebuilds it when the catalog knows it.
fn drop_index(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    idx: &[ObjName],
    table: Option<&ObjName>,
) -> Result<(), String> {
    for n in idx {
        let known = src.cat.index(n).or_else(|| {
            table.and_then(|t| {
                src.cat
                    .indexes_on(t)
                    .into_iter()
                    .find(|i| i.name.eq_ignore_ascii_case(&n.name))
            })
        });
        let table = match (table, known) {
            (Some(t), _) => t.clone(),
            (None, Some(i)) => ObjName::new(
                Some(i.table.0.as_str()).filter(|s| !s.is_empty()),
                &i.table.1,
            ),
            (None, None) => {
                return Err(format!(
                    "index {n}: its table is unknown; write DROP INDEX {} ON <table>",
                    n.name
                ));
            }
        };
        let primary = n.name.eq_ignore_ascii_case("PRIMARY");
        let up = b.sql(
            "mysql/drop_index.sql",
            json!({ "table": tname(&table), "name": n.name, "primary": primary }),
        )?;
        let down = match known {
            Some(i) if !i.partial => Some(b.sql(
                "mysql/add_index.sql",
                json!({ "table": tname(&table), "name": i.name, "columns": i.columns, "unique": i.unique, "primary": primary }),
            )?),
            _ => None,
        };
        b.add(
            src,
            "drop-index",
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::Plain,
                summary: format!("drop index {} of {table} (INPLACE, LOCK=NONE)", n.name),
                lock: lock::MDL_ONLINE,
                cost: Cost::Metadata,
                up,
                down,
            },
            None,
        );
    }
    Ok(())
}

/// `ADD FOREIGN KEY`: INPLACE with `foreign_key_checks=0`, so the existing rows are not
/// validated (the generated comment says so and gives the query finding violations).
fn add_foreign_key(
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
    let TableConstraint::ForeignKey(fk) = constraint else {
        return Err("internal error: not a foreign key".into());
    };
    src.table(table)?;
    let Some(parent) = &c.references else {
        return Err("internal error: a foreign key without its table".into());
    };
    let name = if let Some(n) = &c.name {
        n.clone()
    } else {
        let n = names::fit(
            "",
            &format!("{}_{}", table.name, c.columns.join("_")),
            "_fk",
        );
        b.note(format!(
            "line {}: the foreign key is named {n} (the plan needs a name to drop it in the down)",
            src.line
        ));
        n
    };
    let mut unnamed = fk.clone();
    unnamed.name = None;
    let definition = TableConstraint::ForeignKey(unnamed).to_string();
    let referred: Vec<String> = fk
        .referred_columns
        .iter()
        .map(|i| i.value.clone())
        .collect();
    if referred.len() != c.columns.len() {
        return Err(
            "the foreign key must name the referenced columns: REFERENCES parent (col, ..)".into(),
        );
    }
    let pairs: Vec<(String, String)> = c.columns.iter().cloned().zip(referred).collect();
    let up = b.sql(
        "mysql/add_foreign_key.sql",
        json!({
            "table": tname(table), "parent": tname(parent), "name": name,
            "definition": definition, "columns": c.columns, "pairs": pairs,
        }),
    )?;
    // InnoDB creates an index named after the key when no index leads with its columns
    let creates_index = src.cat.covering_indexes(table, &c.columns).is_empty()
        && !src.cat.table(table).is_some_and(|t| {
            t.constraints.iter().any(|k| {
                matches!(k.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                    && k.columns.len() >= c.columns.len()
                    && k.columns[..c.columns.len()] == c.columns[..]
            })
        });
    let down = b.sql(
        "mysql/drop_foreign_key.sql",
        json!({ "table": tname(table), "name": name, "index": if creates_index { Some(&name) } else { None } }),
    )?;
    b.add(
        src,
        "add-foreign-key",
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::Plain,
            summary: format!(
                "add {name} INPLACE with foreign_key_checks=0: new writes are checked, existing rows are NOT validated"
            ),
            lock: lock::MDL_ONLINE,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        None,
    );
    Ok(())
}

/// `DROP COLUMN` -> renamed to `_sluice_dropped_<col>_<version>` at contract (nullable first
/// when it is NOT NULL without a default, so the new code's inserts may leave it out).
fn soft_drop_column(
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

/// `RENAME TABLE t TO u` (or `ALTER TABLE t RENAME TO u`) -> in the expand, `u` as an
/// updatable view of `t` for the new code while the old code keeps `t`; in the contract, one
/// atomic `RENAME TABLE u TO <parked>, t TO u` and the view dropped. PostgreSQL renames in
/// the expand and keeps the old name as the view, in one transaction; MySQL's DDL commits
/// statement by statement, so the name that exists throughout is the old one, until the
/// multi-table `RENAME` swaps them at once.
fn rename_table(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    src: &Src<'_>,
    from: &ObjName,
    to: &ObjName,
) -> Result<(), String> {
    let t = src.table(from)?;
    if from.schema != to.schema {
        return Err(format!(
            "RENAME TABLE {from} TO {to} moves the table to another database: a view cannot stand in for it there; move it in a maintenance window"
        ));
    }
    // until the contract `to` is a view: another statement of the migration on either name
    // would meet the view, or a table its steps do not expect
    let line_of = |s: &Stmt| cx.file().line_col(s.range.start).line;
    if let Some(other) = cx.statements.iter().find(|s| {
        s.index != st.index
            && s.ops.iter().any(|op| {
                op.table().is_some_and(|n| n.matches(from) || n.matches(to))
                    || matches!(op, Operation::RenameTable { to: t2, .. } if t2.matches(from) || t2.matches(to))
            })
    }) {
        return Err(format!(
            "line {} of this migration also changes {from} or {to}: until the contract {to} is a view of {from} (MySQL cannot rename a table and keep its old name at once), so rename the table in a migration of its own",
            line_of(other)
        ));
    }
    let columns: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    let parked = ObjName::new(to.schema.as_deref(), &dropped(b, &to.name));
    let create_view = b.sql(
        "mysql/view_of_table.sql",
        json!({ "view": tname(to), "table": tname(from), "columns": columns }),
    )?;
    let drop_view = b.sql("drop_view.sql", json!({ "view": tname(to) }))?;
    b.add(
        src,
        "rename-table",
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::Plain,
            summary: format!(
                "{} as an updatable view of {from} for the new code; the old code keeps {from}",
                to.name
            ),
            lock: lock::MDL_BRIEF,
            cost: Cost::Metadata,
            up: create_view.clone(),
            down: Some(drop_view),
        },
        None,
    );
    let ctx = |up: bool| json!({ "up": up, "view": tname(to), "table": tname(from), "parked": tname(&parked), "create_view": create_view });
    let up = b.sql("mysql/swap_view.sql", ctx(true))?;
    let down = b.sql("mysql/swap_view.sql", ctx(false))?;
    b.add(
        src,
        "rename-table",
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::Plain,
            summary: format!(
                "{from} takes the name {} in one atomic RENAME; the view goes",
                to.name
            ),
            lock: lock::MDL_BRIEF,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        None,
    );
    Ok(())
}

/// `DROP TABLE` -> `RENAME TABLE t TO _sluice_dropped_t_<version>` at contract.
fn soft_drop_tables(b: &mut Builder<'_>, src: &Src<'_>, tables: &[ObjName]) -> Result<(), String> {
    for table in tables {
        src.table(table)?;
        let to = ObjName::new(table.schema.as_deref(), &dropped(b, &table.name));
        let up = b.sql(
            "mysql/rename_table.sql",
            json!({ "table": tname(table), "to": tname(&to), "soft": true }),
        )?;
        let down = b.sql(
            "mysql/rename_table.sql",
            json!({ "table": tname(&to), "to": tname(table), "soft": false }),
        )?;
        b.add(
            src,
            "soft-drop-table",
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::SoftDrop,
                summary: format!("soft-drop table {table} as {}", to.name),
                lock: lock::MDL_BRIEF,
                cost: Cost::Metadata,
                up,
                down: Some(down),
            },
            None,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backfill_expressions_read_the_new_row() {
        assert_eq!(
            on_new_row("CONCAT('h-', id)").unwrap(),
            "CONCAT('h-', NEW.id)"
        );
        assert_eq!(on_new_row("a + `b c`").unwrap(), "NEW.a + NEW.`b c`");
        assert!(on_new_row("1, 2").is_err());
    }

    #[test]
    fn check_expressions_mention_columns() {
        assert!(mentions("balance >= 0", "BALANCE"));
        assert!(!mentions("total >= 0", "balance"));
    }
}
