//! `RENAME COLUMN a TO b` through a view (PostgreSQL, `--rename-column view`): the expand
//! renames the table out of the way, renames its column, and puts a view under the table's
//! name that shows the column under both names; old code reads and writes `a`, new code `b`,
//! and no row is copied. The contract drops the view and gives the table its name back.
//!
//! Instant at any size (three catalog changes under one brief lock), where the copy (a shadow
//! column kept equal by a trigger and filled in batches) writes every row. The price is a
//! view where the application had a table during the rollout: `COPY`, `TRUNCATE`, `LOCK`,
//! DDL and `ON CONFLICT ON CONSTRAINT` on it fail, so it is the operator's choice, not the
//! default.

use crate::RENAMING_PREFIX;
use serde_json::{Value, json};

use sluice_core::catalog::Table;
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::{ObjName, Operation};
use sluice_core::sql::quote;
use sluice_lint::context::ScriptCx;

use super::super::{Cost, PlanPhase, Strategy, names};
use super::{Builder, Src, StepSpec, lock, shadow, tname, unparsed};

pub(super) const RECIPE: &str = "rename-column-view";

/// Plan a PostgreSQL `RENAME COLUMN`: through the view when the plan asks for it and a view
/// can serve (every rename of the table with the first one), else through the copy
/// ([`shadow::rename_column`]), with a note saying why, or, on a table a live schema shows
/// large, what the view would save.
pub(super) fn rename_column(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    src: &Src<'_>,
    table: &ObjName,
    from: &str,
    to: &str,
) -> Result<(), String> {
    let line = src.line;
    if !b.rename_view {
        // sizes come from a live schema (`--schema-from`); the largest table of the name
        if let Some(rows) = b
            .settings
            .table_rows
            .iter()
            .filter(|(name, _)| name.matches(table))
            .map(|(_, &rows)| rows)
            .max()
            .filter(|&n| n >= b.settings.large_table_rows)
        {
            b.note(format!(
                "line {line}: {table} has about {rows} rows, each of which the copy writes twice (backfill and trigger); `migrate plan --rename-column view` renames without writing any (the application meets a view during the rollout: see the README's recipes)"
            ));
        }
        return shadow::rename_column(b, src, table, from, to);
    }
    if let Some((_, first)) = b.view_renamed.iter().find(|(t, _)| t == table) {
        b.note(format!(
            "line {line}: column {from} renamed with line {first}: one view shows every renamed column of {table}"
        ));
        return Ok(());
    }
    let t = src.table(table)?;
    match renames(cx, t, table).and_then(|renames| rename_columns(b, src, t, table, &renames)) {
        Ok(()) => {
            b.view_renamed.push((table.clone(), line));
            Ok(())
        }
        Err(why) => {
            b.note(format!(
                "line {line}: column {from} renamed through a copy, not a view: {why}"
            ));
            shadow::rename_column(b, src, table, from, to)
        }
    }
}

/// One column the view shows under two names: its name before the migration and after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Renamed {
    pub old: String,
    pub new: String,
}

/// The column renames of `table` this migration makes, statement by statement, when the view
/// can carry them all (every statement naming the table is one of them: the first plans
/// them together); else why the copy does it instead.
fn renames(cx: &ScriptCx<'_>, t: &Table, table: &ObjName) -> Result<Vec<(String, String)>, String> {
    if t.stub || t.uncertain {
        return Err(format!(
            "the earlier migrations do not show all of {table}'s columns, which the view must list"
        ));
    }
    if let Some(trigger) = t.triggers.first() {
        // a trigger stays on the table, whose column is renamed while the old code runs: a
        // function that reads NEW.a would fail
        return Err(format!(
            "{table} has triggers ({}), whose functions may name the column: they stay on the renamed table",
            trigger.name
        ));
    }
    let mut out = Vec::new();
    for s in &cx.statements {
        let only_session = s.ops.iter().all(|op| {
            matches!(
                op,
                Operation::Transaction(_) | Operation::SetVariable { .. }
            )
        });
        if only_session
            || !unparsed::words(cx.settings.dialect, &cx.file().text[s.range.clone()])
                .contains(&table.name)
        {
            continue;
        }
        match s.ops.as_slice() {
            [
                Operation::RenameColumn {
                    table: on,
                    from,
                    to,
                },
            ] if on == table => {
                out.push((from.clone(), to.clone()));
            }
            _ => {
                return Err(format!(
                    "line {} names {table} too (during the rollout {table} is the view, so that statement would meet it)",
                    cx.file().line_col(s.range.start).line
                ));
            }
        }
    }
    Ok(out)
}

/// Each renamed column of `t` with its name before and after `renames` (in the table's
/// order), or why the view cannot show them (a column renamed back, or given a name another
/// column had: the view would show that name twice).
fn renamed_columns(t: &Table, renames: &[(String, String)]) -> Result<Vec<Renamed>, String> {
    let mut now: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
    for (from, to) in renames {
        let Some(i) = now.iter().position(|c| c == from) else {
            return Err(format!("{} has no column {from}", t.name));
        };
        now[i].clone_from(to);
    }
    let mut out = Vec::new();
    for (c, new) in t.columns.iter().zip(now) {
        if c.name == new {
            continue;
        }
        if t.columns.iter().any(|o| o.name == new) {
            return Err(format!(
                "column {} takes the name {new}, which a column of {} has before the migration: the view cannot show it twice",
                c.name, t.name
            ));
        }
        out.push(Renamed {
            old: c.name.clone(),
            new,
        });
    }
    if out.is_empty() {
        return Err(format!(
            "the renames leave {}'s columns as they were",
            t.name
        ));
    }
    Ok(out)
}

/// The table's columns as the view shows them, read from the table as it is when the view is
/// made (`after`: the columns have their new names already): each under its name before the
/// migration, in its place, and each renamed one again under its new name, last (the old
/// code's `*` keeps its order up to the added columns).
fn view_columns(t: &Table, renamed: &[Renamed], after: bool) -> Vec<Value> {
    let find = |c: &str| renamed.iter().find(|r| r.old == c);
    let mut columns: Vec<Value> = t
        .columns
        .iter()
        .map(|c| match find(&c.name) {
            Some(r) if after => json!({ "column": r.new, "alias": r.old }),
            _ => json!({ "column": c.name }),
        })
        .collect();
    columns.extend(renamed.iter().map(|r| {
        if after {
            json!({ "column": r.new })
        } else {
            json!({ "column": r.old, "alias": r.new })
        }
    }));
    columns
}

/// Plan every rename of `renames` (the migration's renames of `table`, from line `src.line`
/// on) through one view; `Err` with why when the view cannot show them.
fn rename_columns(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    t: &Table,
    table: &ObjName,
    renames: &[(String, String)],
) -> Result<(), String> {
    let renamed = renamed_columns(t, renames)?;
    let base_name = names::fit(
        RENAMING_PREFIX,
        &table.name,
        &format!("_{}", names::version_tag(&b.version)),
    );
    let base = ObjName::new(table.schema.as_deref(), &base_name);
    let invoker = b.settings.pg_at_least(15);
    // the view over the table as it is before the renames (the expand) and after them (the
    // contract's down): each renamed column shown twice, its privileges going to both names
    let made = |after: bool| {
        let twice: Vec<(String, String)> = renamed
            .iter()
            .map(|r| {
                if after {
                    (r.new.clone(), r.old.clone())
                } else {
                    (r.old.clone(), r.new.clone())
                }
            })
            .collect();
        compat_view(
            b,
            table,
            table,
            view_columns(t, &renamed, after),
            invoker,
            &twice,
        )
    };
    let (view_before, placed) = made(false)?;
    let (view_after, _) = made(true)?;
    let drop_view = b.sql("drop_view.sql", json!({ "view": tname(table) }))?;
    let to_base = b.sql(
        "rename_table.sql",
        json!({ "table": tname(table), "to": base_name }),
    )?;
    let back = b.sql(
        "rename_table.sql",
        json!({ "table": tname(&base), "to": table.name }),
    )?;
    let col = |f: &str, t: &str| {
        b.sql(
            "rename_column.sql",
            json!({ "table": tname(&base), "from": f, "to": t }),
        )
    };
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    for (from, to) in renames {
        forward.push(format!(
            "-- sluice:ignore renaming-column -- the view shows the column under both names\n{}",
            col(from, to)?
        ));
        backward.push(col(to, from)?);
    }
    backward.reverse();
    let (forward, backward) = (forward.join("\n"), backward.join("\n"));
    let aside = format!(
        "-- sluice:ignore renaming-table -- the old name stays as a view until the contract\n{to_base}"
    );
    // the view and its privileges first, the table's lock (from the rename on) only for the
    // renames: the queries queued behind it wait about a millisecond
    let expand_up = format!("{view_before}\n{aside}\n{forward}\n{placed}");
    let expand_down = format!("{drop_view}\n{backward}\n{back}");
    let contract_up = format!(
        "{drop_view}\n-- sluice:ignore renaming-table -- the table gets its name back from the view\n{back}"
    );
    let contract_down = format!("{view_after}\n{aside}\n{placed}");
    let names: Vec<String> = renamed
        .iter()
        .map(|r| format!("{} to {}", r.old, r.new))
        .collect();
    let g = b.group();
    b.add(
        src,
        RECIPE,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::Plain,
            summary: format!(
                "rename column {} of {table} without copying: the table steps aside as {base_name} and a view named {table} shows each column under both names",
                names.join(", ")
            ),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: expand_up,
            down: Some(expand_down),
        },
        Some(g),
    );
    // one transaction: between the drop and the rename no relation has the name
    let contract_group = b.group();
    b.add(
        src,
        RECIPE,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::Plain,
            summary: format!("drop the view {table} and give the table its name back"),
            lock: lock::BRIEF_EXCLUSIVE,
            cost: Cost::Metadata,
            up: contract_up,
            down: Some(contract_down),
        },
        Some(contract_group),
    );
    b.note(format!(
        "line {}: until the contract {table} is a view: a later migration that changes the table runs after this one's contract (`migrate apply` orders them, or refuses the later one until the contract can run)",
        src.line
    ));
    if !invoker {
        b.note(format!(
            "line {}: before PostgreSQL 15 a view reads its table with its owner's rights: row-level security policies of {table} do not apply to queries through the view until the contract",
            src.line
        ));
    }
    Ok(())
}

/// The view the old code uses under a table's old name, made before the table's brief lock:
/// created under a temporary name over `table` as it is (a view follows its table by
/// identity, not by name, through the renames after it), with the table's privileges.
/// Returns that SQL and the statement that puts it in place as `view` (under the lock,
/// after the table has left the name). `twice`: (column, second name) of each column the
/// view shows twice, whose column privileges go to both.
pub(super) fn compat_view(
    b: &Builder<'_>,
    view: &ObjName,
    table: &ObjName,
    columns: Vec<Value>,
    invoker: bool,
    twice: &[(String, String)],
) -> Result<(String, String), String> {
    let temp = ObjName::new(
        view.schema.as_deref(),
        &names::fit(
            "_sluice_view_",
            &view.name,
            &format!("_{}", names::version_tag(&b.version)),
        ),
    );
    let q = |n: &ObjName| quote::qualified(Dialect::Postgres, n);
    let created = b.sql(
        "compat_view.sql",
        json!({ "view": tname(&temp), "table": tname(table), "columns": columns, "invoker": invoker }),
    )?;
    let grants = b.sql(
        "copy_grants.sql",
        json!({
            "table": q(table),
            "view": q(&temp),
            "renamed": twice.iter().map(|(column, _)| column).collect::<Vec<_>>(),
            "alias": twice.iter().map(|(_, second)| second).collect::<Vec<_>>(),
        }),
    )?;
    let placed = b.sql(
        "rename_table.sql",
        json!({ "table": tname(&temp), "to": view.name }),
    )?;
    Ok((
        format!("{created}\n{grants}"),
        format!(
            "-- sluice:ignore renaming-table -- the view made above takes the old name\n{placed}"
        ),
    ))
}
