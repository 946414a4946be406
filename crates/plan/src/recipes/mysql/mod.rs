//! MySQL / MariaDB recipes. DDL is not transactional there: every statement commits on its
//! own, so the steps are ordered so that each intermediate state works for the code running
//! at that point (old and new code after expand, new code only during contract). Every
//! `ALTER TABLE` pins `ALGORITHM=` (and `LOCK=NONE` when not INSTANT), chosen from the
//! online DDL facts of `lint::mysql` for the configured server, so an unexpected table copy
//! fails fast instead of blocking writes.

use serde_json::{Value, json};
use sqlparser::ast::{AlterTableOperation, Expr, Ident, Statement as Ast};

use sluice_core::catalog::{Catalog, Column, Table};
use sluice_core::sql::ops::{ColumnSpec, ConstraintKind, ObjName, Operation, TxControl};
use sluice_core::sql::{self, Dialect};
use sluice_lint::context::{ScriptCx, Stmt};
use sluice_lint::mysql::{self as facts, Algorithm};
use sluice_lint::settings::MysqlServer;

mod columns;
mod tables;

use columns::{add_column, modify, rename_or_retype, soft_drop_column};
use tables::{add_foreign_key, add_index, drop_index, rename_table, soft_drop_tables};

use super::super::{Cost, PlanPhase, Strategy};
use super::{Builder, Src, StepSpec, is_runner_setting, tname};

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
