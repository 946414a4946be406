//! MySQL / MariaDB recipes of indexes, foreign keys and tables: added, dropped, renamed.

use serde_json::json;
use sqlparser::ast::{AlterTableOperation, Statement as Ast, TableConstraint};

use sluice_core::sql::ops::{ConstraintKind, ConstraintSpec, ObjName, Operation};
use sluice_lint::context::{ScriptCx, Stmt};

use super::super::super::{Cost, PlanPhase, Strategy, names};
use super::super::{Builder, Src, StepSpec, dropped, tname};
use super::lock;

/// `ADD [UNIQUE] INDEX` / `CREATE INDEX` / `ADD PRIMARY KEY`: INPLACE, LOCK=NONE pinned. A
/// plain index in expand; a unique one restricts what the old code may write: contract.
pub(super) fn add_index(
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
pub(super) fn drop_index(
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
pub(super) fn add_foreign_key(
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

/// `RENAME TABLE t TO u` (or `ALTER TABLE t RENAME TO u`) -> in the expand, `u` as an
/// updatable view of `t` for the new code while the old code keeps `t`; in the contract, one
/// atomic `RENAME TABLE u TO <parked>, t TO u` and the view dropped. PostgreSQL renames in
/// the expand and keeps the old name as the view, in one transaction; MySQL's DDL commits
/// statement by statement, so the name that exists throughout is the old one, until the
/// multi-table `RENAME` swaps them at once.
pub(super) fn rename_table(
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
pub(super) fn soft_drop_tables(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    tables: &[ObjName],
) -> Result<(), String> {
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
