//! Recipes: one naive statement in, steps for expand / backfill / contract out.
//!
//! Each recipe returns `Err(reason)` when it cannot make the statement safe; the planner
//! collects those as refusals.

mod builder;
mod column;
mod constant;
mod constraint;
mod fill;
pub(super) mod fold;
mod fresh;
mod index;
mod inline;
mod mysql;
mod passthrough;
mod shadow;
mod soft_drop;
mod table;
mod unparsed;
mod update;
mod view_rename;

use serde_json::{Value, json};
use sqlparser::ast::Statement as Ast;

use sluice_core::catalog::Catalog;
use sluice_core::source::directives::{self, Directive};
use sluice_core::sql;
use sluice_core::sql::ops::{ConstraintKind, ObjName, ObjectKind, Operation, TxControl};
use sluice_lint::context::{Parsed, ScriptCx, Stmt};

use super::{PlanPhase, names};

pub(super) use builder::Builder;
use builder::{Shadowed, Src, StepSpec};
use fill::Join;

/// Locks, as the plan reports them.
pub(super) mod lock {
    pub const BRIEF_EXCLUSIVE: &str =
        "ACCESS EXCLUSIVE, brief: catalog only, under lock_timeout with retries";
    pub const SHARE_UPDATE_EXCLUSIVE: &str = "SHARE UPDATE EXCLUSIVE: reads and writes continue";
    pub const SHARE_ROW_EXCLUSIVE_BRIEF: &str =
        "SHARE ROW EXCLUSIVE on both tables, brief (no scan)";
    pub const ROW_EXCLUSIVE_BATCHES: &str = "ROW EXCLUSIVE, row locks of one batch at a time";
    pub const NONE: &str = "none";
}

/// The JSON a template gets for a table name.
pub(super) fn tname(t: &ObjName) -> Value {
    json!({ "schema": t.schema, "name": t.name })
}

/// A name in the table's schema (functions, indexes).
pub(super) fn in_schema(t: &ObjName, name: &str) -> Value {
    json!({ "schema": t.schema, "name": name })
}

/// Plan one statement of the naive script.
pub(super) fn plan_statement(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
) -> Result<(), String> {
    let line = cx.file().line_col(st.range.start).line;
    let asts = match &st.parsed {
        Parsed::Ok(asts) => asts,
        Parsed::ClientCommand => return Ok(()),
        Parsed::SyntaxError(e) => return Err(format!("syntax error: {}", e.kind.message())),
        Parsed::Unparsed(f) => {
            let text = as_written(b, cx, st);
            let first = b.steps.len();
            let plan_rest = |b: &mut Builder<'_>, rest: &str| {
                let asts = sql::parse(b.settings.dialect, rest).map_err(|e| {
                    format!(
                        "the statement without its deferrals does not parse either ({})",
                        e.message
                    )
                })?;
                plan_each(b, cx, st, cx.catalog(st.index), line, &asts, None, None)
            };
            unparsed::plan(
                b,
                line,
                &text,
                cx.catalog(0),
                |t| cx.is_new_table(t, st.index),
                plan_rest,
            )
            .map_err(|why| {
                format!(
                    "the SQL parser cannot read this statement ({}); {why}",
                    f.message
                )
            })?;
            return keep_directives(b, first, line, None, &written(cx, st).ignores);
        }
    };
    let Written {
        backfill: backfill_expr,
        strategy,
        ignores,
    } = written(cx, st);
    trigger_on_shadowed(b, asts)?;
    reads_shadowed(b, cx, st)?;
    let cat = cx.catalog(st.index);
    let first = b.steps.len();
    let first_fill = b.fills.len();
    b.tool_forced = matches!(strategy.as_deref(), Some("pt-osc" | "gh-ost"));
    b.default_set_later = fold::default_set_later(cx, st);
    let planned = plan_each(
        b,
        cx,
        st,
        cat,
        line,
        asts,
        strategy.as_deref(),
        backfill_expr,
    );
    b.tool_forced = false;
    b.default_set_later = false;
    planned?;
    trigger_created_later(b, cx, st, first_fill)?;
    keep_directives(b, first, line, strategy.as_deref(), &ignores)
}

/// An `INSERT` (`.. SELECT`) that names a column an earlier statement renamed or retyped
/// through a shadow column, and its table (an `UPDATE` becomes a backfill, whose order the
/// backfill recipe checks): in the expand the shadow
/// column holds NULL for the old rows until the backfill after the expand fills it, so the
/// write would read NULLs where the naive statement read values (lemmy's
/// `add_modlog_combined_table`: `when_` renamed to `published`, then `INSERT INTO
/// modlog_combined .. SELECT published FROM ..`, refused by a NOT NULL; `migrate verify
/// --naive` found it). Names are matched by word, so a same-named column of another table in
/// the statement refuses it too.
fn reads_shadowed(b: &Builder<'_>, cx: &ScriptCx<'_>, st: &Stmt) -> Result<(), String> {
    if b.shadowed.is_empty()
        || !st
            .ops
            .iter()
            .any(|op| matches!(op, Operation::Insert { .. }))
    {
        return Ok(());
    }
    let words = unparsed::words(b.settings.dialect, cx.text(st));
    let named = |w: &str| words.iter().any(|x| x == w);
    match b
        .shadowed
        .iter()
        .find(|s| named(&s.table.name) && named(&s.column))
    {
        Some(s) => Err(format!(
            "this statement names column {} of {}, which line {} of this migration renames or retypes through a shadow column: in the expand the shadow column holds NULL for the existing rows until the backfill after it fills them, so the statement would read NULLs; write the rows in a later migration",
            s.column, s.table, s.line
        )),
        None => Ok(()),
    }
}

/// A trigger bound to a column (`UPDATE OF c`, `OLD.c` in its `WHEN`) an earlier statement
/// renames or retypes through a shadow column: created in the expand, it is bound to the old column, which the contract's
/// swap soft-drops, so after the contract it fires on updates of the soft-dropped column
/// (crates.io's `timezones`: `trigger_crates_tsvector_update` on `updated_at`).
fn trigger_on_shadowed(b: &Builder<'_>, asts: &[Ast]) -> Result<(), String> {
    for ast in asts {
        let Ast::CreateTrigger(t) = ast else { continue };
        let table = sluice_core::sql::classify::obj_name(&t.table_name);
        let (update_of, when) = sluice_core::catalog::trigger_columns(t);
        let bound = update_of
            .iter()
            .map(|c| (c, format!("fires on UPDATE OF {c}")))
            .chain(
                when.iter()
                    .map(|c| (c, format!("names OLD.{c} / NEW.{c} in its WHEN"))),
            );
        for (c, how) in bound {
            if let Some(s) = b.shadowed_column(&table, c) {
                return Err(format!(
                    "trigger {} {how}, which line {} of this migration renames or retypes through a shadow column: created in the expand, the trigger stays bound to the old column, which the contract's swap soft-drops; change the column in a migration of its own and create the trigger again in the migration after the contract",
                    t.name, s.line
                ));
            }
        }
    }
    Ok(())
}

/// A statement planned with a backfill (the fills from `first_fill` on) on a table a later
/// statement of the migration puts a trigger on: the backfill's UPDATEs run after the whole
/// expand, so they fire that trigger, where the naive statement filled the rows before it
/// existed (crates.io's `token_generated_at`, set for every old invitation by its trigger
/// `BEFORE UPDATE OF token`: `migrate verify --naive` found it).
fn trigger_created_later(
    b: &Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    first_fill: usize,
) -> Result<(), String> {
    for f in &b.fills[first_fill..] {
        let later = cx
            .statements
            .iter()
            .skip_while(|s| s.index != st.index)
            .skip(1)
            .find_map(|s| {
                s.ops.iter().find_map(|op| match op {
                    Operation::CreateTrigger { table, name } if *table == f.table => {
                        Some((s, name))
                    }
                    _ => None,
                })
            });
        // a trigger the migration drops and creates again was there before it: the naive
        // statement's rows met it as well, and the backfill's UPDATEs meet it as they would
        // meet any trigger of the table (crates.io's `timezones`: `trigger_crates_tsvector_update`)
        let replaced = |name: &str| {
            cx.statements.iter().any(|x| {
                x.ops.iter().any(|o| {
                    matches!(o, Operation::DropObject { kind: ObjectKind::Trigger, names, .. }
                        if names.iter().any(|n| n.name == name))
                })
            })
        };
        if let Some((s, name)) = later.filter(|(_, name)| !replaced(name)) {
            return Err(format!(
                "the backfill of {}.{} runs after the expand, which creates trigger {name} on {} (line {}): its UPDATEs fire the trigger, where this statement fills the rows before the trigger exists; create the trigger in a later migration (the backfill then runs without it), or fill the column in the statement itself",
                f.table,
                f.column,
                f.table,
                cx.file().line_col(s.range.start).line
            ));
        }
    }
    Ok(())
}

/// The directives written with a statement of the naive script.
struct Written<'t> {
    backfill: Option<String>,
    strategy: Option<String>,
    /// `-- sluice:ignore` above the statement or at the end of its line, as written.
    ignores: Vec<&'t str>,
}

fn written<'t>(cx: &'t ScriptCx<'_>, st: &Stmt) -> Written<'t> {
    let text = &cx.file().text;
    let leading: Vec<Directive> = st
        .leading_comments
        .iter()
        .filter_map(|c| directives::parse(text, c))
        .collect();
    Written {
        backfill: leading.iter().find_map(|d| match d {
            Directive::Backfill(e) => Some(e.clone()),
            _ => None,
        }),
        strategy: leading.iter().find_map(|d| match d {
            Directive::Strategy(s) => Some(s.clone()),
            _ => None,
        }),
        ignores: st
            .leading_comments
            .iter()
            .chain(&st.trailing_comments)
            .filter(|c| matches!(directives::parse(text, c), Some(Directive::Ignore { .. })))
            .map(|c| text[c.range.clone()].trim_end())
            .collect(),
    }
}

/// Each statement of `asts` (one naive statement's), by its recipes or as `strategy` says.
#[allow(clippy::too_many_arguments)]
fn plan_each(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    asts: &[Ast],
    strategy: Option<&str>,
    backfill_expr: Option<String>,
) -> Result<(), String> {
    for ast in asts {
        match strategy {
            // as written: no recipe either
            Some("plain") => plan_as_written(b, cx, st, cat, line, ast)?,
            // forced: whole (a tool takes every clause of an ALTER TABLE at once)
            Some(_) => plan_ast(b, cx, st, cat, line, ast, backfill_expr.clone())?,
            // one ALTER TABLE with several actions: plan each action on its own
            None => match ast {
                // PostgreSQL: a column's inline constraints become statements of their own
                Ast::AlterTable(alter)
                    if b.settings.dialect == sluice_core::sql::Dialect::Postgres
                        && inline::has_inline_constraint(alter) =>
                {
                    let pieces = inline::pieces(alter, cat)?;
                    plan_pieces(b, cx, st, cat, line, &pieces, backfill_expr.clone())?;
                }
                Ast::AlterTable(alter) if alter.operations.len() > 1 => {
                    let pieces: Vec<Ast> = alter
                        .operations
                        .iter()
                        .map(|op| {
                            let mut single = alter.clone();
                            single.operations = vec![op.clone()];
                            Ast::AlterTable(single)
                        })
                        .collect();
                    plan_pieces(b, cx, st, cat, line, &pieces, backfill_expr.clone())?;
                }
                _ => plan_ast(b, cx, st, cat, line, ast, backfill_expr.clone())?,
            },
        }
    }
    Ok(())
}

/// The actions of one statement, each planned on the schema the ones before it leave (a
/// constraint on a column the statement adds finds the column).
fn plan_pieces(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    pieces: &[Ast],
    backfill_expr: Option<String>,
) -> Result<(), String> {
    let mut scratch = cat.clone();
    for one in pieces {
        plan_ast(b, cx, st, &scratch, line, one, backfill_expr.clone())?;
        let ops = sql::classify::classify(b.settings.dialect, one);
        scratch.apply_statement(Some(std::slice::from_ref(one)), &ops, false);
    }
    Ok(())
}

/// A statement as written, in the phase its operation belongs to.
fn plan_as_written(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    ast: &Ast,
) -> Result<(), String> {
    let (ops, text) = ops_and_text(b, cx, st, ast);
    let [op] = ops.as_slice() else {
        return passthrough::statement(b, line, &text, PlanPhase::Expand, None);
    };
    let src = Src {
        line,
        text,
        ast: Some(ast),
        op,
        cat,
        new_table: on_new_table(cx, st, cat, op),
        new_columns: fresh::on_new_columns(cx, op),
        freed_name: fresh::freed_index_name(cx, cat, op),
        replaced: fresh::replaced_trigger(cx, st, op),
        backfill_expr: None,
    };
    passthrough::op(b, &src)
}

/// `st` as written, without its terminator and the comments after it.
fn as_written(b: &Builder<'_>, cx: &ScriptCx<'_>, st: &Stmt) -> String {
    sql::without_trailing_comments(b.settings.dialect, cx.text(st).trim())
        .trim_end_matches(';')
        .trim_end()
        .to_owned()
}

/// The operations and text of one tree of `st`. The text is the statement as written when
/// the tree is the whole statement (sqlparser's printing drops what it does not model and,
/// in 0.64, leaves the quote of `COMMENT ON .. IS 'it''s'` unescaped); a tree the planner
/// made (one action of an `ALTER TABLE` with several) prints itself. For a statement
/// sqlparser reads only without a keyword (`sql::parse_known_gap`: `DROP INDEX
/// CONCURRENTLY`) the operations are the linter's, which keep it.
fn ops_and_text(
    b: &Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    ast: &Ast,
) -> (Vec<Operation>, String) {
    let ops = sql::classify::classify(b.settings.dialect, ast);
    let whole =
        matches!(&st.parsed, Parsed::Ok(a) if a.len() == 1 && std::ptr::eq(&raw const a[0], ast));
    if !whole {
        return (ops, ast.to_string());
    }
    let text = as_written(b, cx, st);
    let drop_index = matches!(
        ast,
        Ast::Drop {
            object_type: sqlparser::ast::ObjectType::Index,
            ..
        }
    );
    if drop_index && st.ops != ops {
        return (st.ops.clone(), text);
    }
    (ops, text)
}

/// Whether `op` works on a table this change set creates (nothing running uses it yet).
pub(super) fn on_new_table(cx: &ScriptCx<'_>, st: &Stmt, cat: &Catalog, op: &Operation) -> bool {
    op.table().is_some_and(|t| {
        cx.is_new_table(t, st.index)
            || cat
                .table(t)
                .is_some_and(|t| t.origin == sluice_core::catalog::Origin::ChangeSet)
    })
}

/// The statement's own directives on the steps planned from it (`b.steps[first..]`). Kept
/// where the statement passes through as written: `-- sluice:strategy` (the runner applies it
/// with that strategy) and `-- sluice:ignore` (the generated file's lint, and the runner's
/// apply check, honour it). A statement the planner rewrites into steps of its own has no
/// single statement left to force: a strategy is refused, an ignore left out with a note.
fn keep_directives(
    b: &mut Builder<'_>,
    first: usize,
    line: usize,
    strategy: Option<&str>,
    ignores: &[&str],
) -> Result<(), String> {
    if strategy.is_none() && ignores.is_empty() || b.steps.len() == first {
        return Ok(());
    }
    if let Some(rewritten) = b.steps[first..]
        .iter()
        .map(|s| s.recipe)
        .find(|r| *r != passthrough::RECIPE)
    {
        if let Some(strategy) = strategy {
            return Err(format!(
                "`-- sluice:strategy {strategy}` forces how the runner applies this statement, but the planner rewrites it ({rewritten}: already online, in steps of its own): remove the directive to take the plan, or keep the statement as written in a hand-written phased migration"
            ));
        }
        b.note(format!(
            "line {line}: `-- sluice:ignore` left out: the statement is rewritten ({rewritten}), and the rewrite's statements are linted on their own"
        ));
        return Ok(());
    }
    let mut head: Vec<String> = ignores.iter().map(|i| (*i).to_owned()).collect();
    if let Some(strategy) = strategy {
        head.push(format!("-- sluice:strategy {strategy}"));
        b.note(format!(
            "line {line}: `-- sluice:strategy {strategy}` kept above the statement: the runner applies it with that strategy"
        ));
    }
    let head = head.join("\n");
    for step in &mut b.steps[first..] {
        step.up = format!("{head}\n{}", step.up);
    }
    Ok(())
}

/// Plan an `ADD COLUMN` folded with its UPDATE and NOT NULL (see [`fold`]): the column as
/// NOT NULL, the UPDATE's value as its backfill.
///
/// Directives written with the three statements: on MySQL, `-- sluice:strategy pt-osc |
/// gh-ost` above the NOT NULL statement runs the contract's rebuild through that tool; any
/// other strategy is refused (the planner writes the steps itself), and an ignore is left
/// out with a note (the recipe's statements are linted on their own).
pub(super) fn plan_not_null_fold(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    value: &str,
    parts: Option<[usize; 2]>,
) -> Result<(), String> {
    let Some(ast) = fold::with_not_null(st) else {
        return plan_statement(b, cx, st);
    };
    let line = cx.file().line_col(st.range.start).line;
    let mysql = b.settings.dialect == sluice_core::sql::Dialect::Mysql;
    let not_null = parts.map(|[_, n]| n);
    for i in std::iter::once(st.index).chain(parts.into_iter().flatten()) {
        let Some(part) = cx.statements.iter().find(|s| s.index == i) else {
            continue;
        };
        let at = cx.file().line_col(part.range.start).line;
        let w = written(cx, part);
        if !w.ignores.is_empty() {
            b.note(format!(
                "line {at}: `-- sluice:ignore` left out: the statement is part of the NOT NULL column recipe of line {line}, whose statements are linted on their own"
            ));
        }
        match w.strategy.as_deref() {
            None => {}
            Some(tool @ ("pt-osc" | "gh-ost")) if mysql && Some(i) == not_null => {
                b.fold_tool = Some(tool.to_owned());
                b.note(format!(
                    "line {at}: `-- sluice:strategy {tool}` kept above the contract's NOT NULL rebuild: the runner copies the table with {tool}, after dropping the fill trigger (pt-online-schema-change refuses a table with triggers)"
                ));
            }
            Some(s) => {
                b.fold_tool = None;
                return Err(format!(
                    "`-- sluice:strategy {s}` (line {at}) forces how the runner applies a statement the planner folds into the NOT NULL column recipe of line {line} (add-not-null-column: already online, in steps of its own){}: remove the directive to take the plan, or keep the statements as written in a hand-written phased migration",
                    if mysql {
                        "; only the contract's NOT NULL rebuild can go through a tool, with pt-osc or gh-ost above the statement that makes the column NOT NULL"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    b.default_set_later = fold::default_set_later(cx, st);
    let first_fill = b.fills.len();
    let planned = plan_ast(
        b,
        cx,
        st,
        cx.catalog(st.index),
        line,
        &ast,
        Some(value.to_owned()),
    );
    b.fold_tool = None;
    b.default_set_later = false;
    planned?;
    trigger_created_later(b, cx, st, first_fill)
}

fn plan_ast(
    b: &mut Builder<'_>,
    cx: &ScriptCx<'_>,
    st: &Stmt,
    cat: &Catalog,
    line: usize,
    ast: &Ast,
    backfill_expr: Option<String>,
) -> Result<(), String> {
    let (ops, text) = ops_and_text(b, cx, st, ast);
    // on MySQL too, a renamed or dropped table or column keeps its name until the contract
    // (authelia's `WebAuthnAttestationType`: `attestation_type` renamed, then added again)
    if let Some(reason) = fresh::reused_name(cx, cat, &ops)
        .or_else(|| fresh::unique_after_delete(cx, st, &ops))
        .or_else(|| fresh::write_after_dropped_constraint(cx, st, ast, &ops))
    {
        return Err(reason);
    }
    if b.settings.dialect == sluice_core::sql::Dialect::Mysql {
        return mysql::plan_ast(b, cx, st, cat, line, ast, ops, backfill_expr);
    }
    if ops.is_empty() {
        return passthrough::statement(b, line, &text, PlanPhase::Expand, None);
    }
    if let Some(reason) =
        fresh::reused_view(cx, st, cat, ast).or_else(|| fresh::reused_function(cx, st, ast))
    {
        return Err(reason);
    }
    if ops.len() > 1 {
        // several operations that are not ALTER TABLE actions (e.g. CREATE TABLE with
        // inline constraints): fine on a new object, otherwise let the linter judge
        return passthrough::statement(b, line, &text, PlanPhase::Expand, None);
    }
    let op = &ops[0];
    let new_table = on_new_table(cx, st, cat, op);
    let view_replaced = fresh::replaced_view(cx, st, op)
        .map(|created| (created, "replace-view"))
        .or_else(|| fresh::replaced_function(cx, st, op).map(|c| (c, "replace-function")));
    if let Some((created, recipe)) = view_replaced {
        b.view_spans.push((line, created, recipe));
    }
    let src = Src {
        line,
        text,
        ast: Some(ast),
        op,
        cat,
        new_table,
        new_columns: fresh::on_new_columns(cx, op),
        freed_name: fresh::freed_index_name(cx, cat, op),
        replaced: fresh::replaced_trigger(cx, st, op) || view_replaced.is_some(),
        backfill_expr,
    };
    match op {
        Operation::Transaction(tx) => {
            let what = match tx {
                TxControl::Begin => "BEGIN",
                TxControl::Commit => "COMMIT",
                _ => "transaction control",
            };
            b.note(format!(
                "line {line}: {what} of the naive file left out: the plan sets its own transactions"
            ));
            Ok(())
        }
        Operation::SetVariable { name, .. } if is_runner_setting(name) => {
            b.note(format!(
                "line {line}: SET {name} left out: the runner sets lock_timeout and statement_timeout itself"
            ));
            Ok(())
        }
        // the statement creates nothing: as written, its down leaves what was there
        Operation::CreateTable { .. } | Operation::AddColumn { .. }
            if fresh::found_by_if_not_exists(&src).is_some() =>
        {
            passthrough::op(b, &src)
        }
        _ if src.new_table => passthrough::op(b, &src),
        Operation::RenameColumn { table, from, to } => {
            view_rename::rename_column(b, cx, &src, table, from, to)
        }
        Operation::AlterColumnType {
            table,
            column,
            new_type,
            using,
        } => shadow::change_type(b, &src, table, column, new_type, using.as_deref()),
        Operation::AddColumn { table, column, .. } => column::add_column(b, &src, table, column),
        Operation::SetDefault { table, column, default, .. }
            if b.shadowed_column(table, column).is_some() =>
        {
            shadow::default_of_shadowed(b, &src, table, column, default)
        }
        Operation::SetNotNull { table, column } => constraint::set_not_null(b, &src, table, column),
        Operation::AddConstraint { table, constraint } => match constraint.kind {
            ConstraintKind::ForeignKey | ConstraintKind::Check => {
                constraint::add_checked(b, &src, table, constraint)
            }
            ConstraintKind::Unique | ConstraintKind::PrimaryKey => {
                index::add_unique(b, &src, table, constraint)
            }
            // PostgreSQL 18's NOT NULL NOT VALID is already the safe form
            ConstraintKind::NotNull => passthrough::op(b, &src),
            ConstraintKind::Exclude => Err(
                "an exclusion constraint cannot be built without blocking writes (no USING INDEX form): create it in a maintenance window or on a new table".into(),
            ),
        },
        Operation::CreateIndex { table, columns, .. } => {
            shadow::index_on_retyped(b, &src, table, columns)?;
            index::create_index(b, &src)
        }
        Operation::DropIndex { .. } => index::drop_index(b, &src),
        Operation::DropColumn { table, column, .. } => soft_drop::column(b, &src, table, column),
        Operation::DropTable { tables, .. } => soft_drop::tables(b, &src, tables),
        Operation::RenameTable { from, to } => {
            if let Some(why) = table::changed_later_by_earlier_lines(b, cx, st, from) {
                return Err(why);
            }
            table::rename_table(b, &src, from, to)
        }
        Operation::Update { table, .. } => update::batched_update(b, &src, table),
        _ => passthrough::op(b, &src),
    }
}

fn is_runner_setting(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "lock_timeout",
        "statement_timeout",
        "lock_wait_timeout",
        "innodb_lock_wait_timeout",
    ]
    .iter()
    .any(|s| n.ends_with(s))
}

/// The soft-drop name of `name` in this migration.
pub(super) fn dropped(b: &Builder<'_>, name: &str) -> String {
    names::soft_drop(name, &b.version)
}
