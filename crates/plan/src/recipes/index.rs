//! Indexes and index-backed constraints: built CONCURRENTLY in expand; UNIQUE / PRIMARY KEY
//! attached with `USING INDEX` in contract.

use serde_json::json;
use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, Statement as Ast};

use sluice_core::catalog::Index;
use sluice_core::sql::ops::{ConstraintKind, ConstraintSpec, IndexShape, ObjName, Operation};

use super::super::{Cost, PlanPhase, Strategy, names};
use super::{Builder, Src, StepSpec, constraint, in_schema, lock, tname};

/// PostgreSQL's own name for an unnamed index or constraint: `<table>_<cols>_<suffix>`.
pub(super) fn pg_default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut base = table.to_owned();
    for c in columns {
        base.push('_');
        base.push_str(c);
    }
    names::fit("", &base, &format!("_{suffix}"))
}

/// `CREATE INDEX` on an existing table -> `CREATE INDEX CONCURRENTLY` in expand.
pub(super) fn create_index(b: &mut Builder<'_>, src: &Src<'_>) -> Result<(), String> {
    let Operation::CreateIndex {
        name,
        table,
        columns,
        unique,
        ..
    } = src.op
    else {
        return Err("internal error: not an index".into());
    };
    let Some(Ast::CreateIndex(ci)) = src.ast else {
        return Err("internal error: no statement".into());
    };
    let mut ci = ci.clone();
    ci.concurrently = true;
    let name = if let Some(n) = name {
        n.clone()
    } else {
        let n = pg_default_name(&table.name, columns, "idx");
        let parts = vec![ObjectNamePart::Identifier(Ident::with_quote(
            '"',
            n.clone(),
        ))];
        ci.name = Some(ObjectName(parts));
        n
    };
    // the name is the old index's until the contract drops it: build under another, which
    // takes the name after the drop
    let built = if src.freed_name {
        let built = names::fit("", &name, "_sluice_new");
        ci.name = Some(ObjectName(vec![ObjectNamePart::Identifier(
            Ident::with_quote('"', built.clone()),
        )]));
        built
    } else {
        name.clone()
    };
    let up = b.sql(
        "add_index.sql",
        json!({ "statement": Ast::CreateIndex(ci).to_string() }),
    )?;
    let down = match super::fresh::found_by_if_not_exists(src) {
        Some(what) => {
            b.note(super::passthrough::found_note(src.line, &what));
            String::new()
        }
        None => b.sql(
            "drop_index.sql",
            json!({ "index": in_schema(table, &built) }),
        )?,
    };
    b.add(
        src,
        "add-index",
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::ConcurrentIndex,
            summary: format!(
                "build {}index {built} on {table} concurrently",
                if *unique { "unique " } else { "" }
            ),
            lock: lock::SHARE_UPDATE_EXCLUSIVE,
            cost: Cost::IndexBuild,
            up,
            down: Some(down),
        },
        None,
    );
    if built != name {
        let up = b.sql(
            "rename_index.sql",
            json!({ "index": in_schema(table, &built), "to": name }),
        )?;
        let down = b.sql(
            "rename_index.sql",
            json!({ "index": in_schema(table, &name), "to": built }),
        )?;
        b.add(
            src,
            "add-index",
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::Plain,
                summary: format!(
                    "index {built} takes the name {name} (the old index is dropped before it)"
                ),
                lock: lock::SHARE_UPDATE_EXCLUSIVE,
                cost: Cost::Metadata,
                up,
                down: Some(down),
            },
            None,
        );
    }
    Ok(())
}

/// `DROP INDEX` -> `DROP INDEX CONCURRENTLY` in contract; the down rebuilds it when the
/// catalog knows how it was built.
pub(super) fn drop_index(b: &mut Builder<'_>, src: &Src<'_>) -> Result<(), String> {
    let Operation::DropIndex { names: idx, .. } = src.op else {
        return Err("internal error: not a drop index".into());
    };
    for n in idx {
        let up = b.sql("drop_index.sql", json!({ "index": in_schema(n, &n.name) }))?;
        let down = match src.cat.index(n) {
            Some(i) => rebuild(b, src, i)?,
            None => None,
        };
        b.add(
            src,
            "drop-index",
            StepSpec {
                phase: PlanPhase::Contract,
                strategy: Strategy::ConcurrentIndex,
                summary: format!("drop index {n} concurrently"),
                lock: lock::SHARE_UPDATE_EXCLUSIVE,
                cost: Cost::Metadata,
                up,
                down,
            },
            None,
        );
    }
    Ok(())
}

/// `CREATE INDEX CONCURRENTLY` of index `i` as it was built: method, keys, options and
/// predicate as written, or its plain columns; None when the catalog does not know.
fn rebuild(b: &Builder<'_>, src: &Src<'_>, i: &Index) -> Result<Option<String>, String> {
    let table = ObjName::new(
        Some(i.table.0.as_str()).filter(|s| !s.is_empty()),
        &i.table.1,
    );
    let keys = match &i.shape {
        IndexShape::Written(text) => text.clone(),
        IndexShape::Columns
            if !i.partial
                && src
                    .cat
                    .table(&table)
                    .is_some_and(|t| i.columns.iter().all(|c| t.column(c).is_some())) =>
        {
            let cols: Vec<String> = i.columns.iter().map(|c| b.ident(c)).collect();
            format!("({})", cols.join(", "))
        }
        _ => return Ok(None),
    };
    let statement = format!(
        "CREATE {}INDEX CONCURRENTLY IF NOT EXISTS {} ON {} {keys}",
        if i.unique { "UNIQUE " } else { "" },
        b.ident(&i.name),
        sluice_core::sql::quote::qualified(b.r.dialect, &table),
    );
    b.sql("add_index.sql", json!({ "statement": statement }))
        .map(Some)
}

/// `ADD UNIQUE / PRIMARY KEY` -> unique index CONCURRENTLY in expand, `USING INDEX` in
/// contract (a primary key first proves its columns NOT NULL with validated CHECKs).
pub(super) fn add_unique(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    c: &ConstraintSpec,
) -> Result<(), String> {
    if c.using_index.is_some() {
        return super::passthrough::op(b, src);
    }
    let t = src.table(table)?;
    for col in &c.columns {
        if t.column(col).is_none() {
            return Err(format!("column {col} is not known on table {table}"));
        }
    }
    let pk = c.kind == ConstraintKind::PrimaryKey;
    if pk
        && t.constraints
            .iter()
            .any(|k| k.kind == ConstraintKind::PrimaryKey)
    {
        return Err(format!("table {table} already has a primary key"));
    }
    let name = c.name.clone().unwrap_or_else(|| {
        if pk {
            names::fit("", &table.name, "_pkey")
        } else {
            pg_default_name(&table.name, &c.columns, "key")
        }
    });
    let cols: Vec<String> = c.columns.iter().map(|x| b.ident(x)).collect();
    let build = format!(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})",
        b.ident(&name),
        sluice_core::sql::quote::qualified(b.r.dialect, table),
        cols.join(", ")
    );
    let up = b.sql("add_index.sql", json!({ "statement": build }))?;
    let drop = b.sql(
        "drop_index.sql",
        json!({ "index": in_schema(table, &name) }),
    )?;
    let recipe = if pk { "add-primary-key" } else { "add-unique" };
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::ConcurrentIndex,
            summary: format!("build unique index {name} on {table} concurrently"),
            lock: lock::SHARE_UPDATE_EXCLUSIVE,
            cost: Cost::IndexBuild,
            up: up.clone(),
            down: Some(drop),
        },
        None,
    );
    if pk {
        for col in &c.columns {
            if !t.column(col).is_some_and(|x| x.not_null) {
                constraint::prove_not_null(b, src, recipe, table, col)?;
            }
        }
    }
    let kind = if pk { "PRIMARY KEY" } else { "UNIQUE" };
    let attach = b.sql(
        "unique_using_index.sql",
        json!({ "table": tname(table), "name": name, "kind": kind, "index": name }),
    )?;
    // dropping the constraint drops its index: build it again so the state is expand's
    let detach = format!(
        "{}\n{}",
        b.sql(
            "drop_constraint.sql",
            json!({ "table": tname(table), "name": name })
        )?,
        up
    );
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::ConcurrentIndex,
            summary: format!("attach {name} as the {kind} of {table}"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: attach,
            down: Some(detach),
        },
        None,
    );
    Ok(())
}
