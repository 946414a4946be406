//! Online strategies: per statement, the way to run it that keeps locks short.
//!
//! Pure: a statement, what it does ([`Operation`]s) and [`Facts`] about the database in; the
//! statements to run instead (SQL or an external tool) and the reason out. The engine gathers
//! the facts, applies the choice, and shows it in `--dry-run`.
//!
//! A `-- sluice:strategy <name>` comment above a statement forces a strategy (`plain` opts
//! out). Tables estimated below `[run] large_table_rows` take the plain path: the lock is
//! brief there and the online forms cost more.

pub mod batched_delete;
pub mod mysql;
pub mod osc;
pub mod repack;
pub mod shadow_table;

use std::collections::BTreeMap;

use serde::Serialize;
use sqlparser::ast::{AlterTableOperation, Ident, ObjectName, ObjectNamePart, Statement as Ast};

use sluice_core::names;
use sluice_core::sql::ops::{ObjName, Operation};
use sluice_core::sql::{self, Dialect, quote};
use sluice_lint::rewrites::{self, Rewrite};
use sluice_plan::render::RenderError;
use sluice_plan::statements;

pub use sluice_core::strategy::Strategy;

/// A database's family of online strategies (and the facts they need).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// CONCURRENTLY, NOT VALID + VALIDATE, the shadow-table copy, pg_repack.
    Postgres,
    /// Pinned ALGORITHM / LOCK, pt-online-schema-change, gh-ost.
    Mysql,
}

impl Family {
    pub fn of(d: Dialect) -> Family {
        match d {
            Dialect::Postgres => Family::Postgres,
            Dialect::Mysql => Family::Mysql,
        }
    }
}

/// What the engine knows about the database when it chooses.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Estimated rows by table name as written (lower-cased unless quoted).
    pub rows: BTreeMap<String, u64>,
    /// Tables below this many rows take the plain path.
    pub large_table_rows: u64,
    /// `server_version_num` / 10000 (PostgreSQL) or the major version.
    pub server_major: u32,
    /// A usable `pg_repack` binary (and the server offers the extension).
    pub pg_repack: Option<std::path::PathBuf>,
    /// MySQL / MariaDB: the live schema and the tools (see [`mysql`]).
    pub mysql: Option<mysql::MysqlFacts>,
    /// Per table (as in `rows`): what the shadow-table copy needs to know (PostgreSQL), and
    /// the primary key and columns the batched delete walks (both families).
    pub shadow: BTreeMap<String, shadow_table::TableFacts>,
}

/// A step of a chosen strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// SQL sent as is; `no_tx`: it cannot run inside a transaction block.
    Sql { sql: String, no_tx: bool },
    /// An external tool run against the database.
    Tool(Tool),
    /// A shadow-table copy, run by the engine's executor (`run::shadow`).
    ShadowTable(Box<shadow_table::ShadowTable>),
    /// A batched delete, run by the engine's executor (`run::batched_delete`).
    BatchedDelete(Box<batched_delete::BatchedDelete>),
}

/// The external tools a strategy runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tool {
    Repack(repack::Repack),
    PtOsc(osc::PtOsc),
    GhOst(osc::GhOst),
}

impl Tool {
    /// What `--dry-run` shows.
    pub fn display(&self) -> String {
        match self {
            Tool::Repack(r) => r.display(),
            Tool::PtOsc(o) => o.display(),
            Tool::GhOst(g) => g.display(),
        }
    }
}

/// The choice for one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub strategy: Strategy,
    pub reason: String,
    /// Forced by a `-- sluice:strategy` comment.
    pub forced: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub choice: Choice,
    /// `None`: the statement runs as written.
    pub actions: Option<Vec<Action>>,
}

pub(super) fn plain(reason: impl Into<String>, forced: bool) -> Chosen {
    Chosen {
        choice: Choice {
            strategy: Strategy::Plain,
            reason: reason.into(),
            forced,
        },
        actions: None,
    }
}

/// Choose how to run `sql`. `created_here`: the statement's table is created earlier in the
/// same script (nothing else uses it yet). `forced`: a `-- sluice:strategy` name.
pub fn choose(
    backend: Dialect,
    sql_text: &str,
    created_here: bool,
    forced: Option<&str>,
    facts: &Facts,
) -> Result<Chosen, String> {
    let forced_strategy = match forced {
        Some(name) => Some(Strategy::parse(name).ok_or_else(|| {
            format!(
                "unknown strategy `{name}` in `-- sluice:strategy`; known: {}",
                Strategy::ALL.map(Strategy::name).join(", ")
            )
        })?),
        None => None,
    };
    if forced_strategy == Some(Strategy::Plain) {
        return Ok(plain("forced by `-- sluice:strategy plain`", true));
    }
    if let Some(chosen) = delete(backend, sql_text, created_here, forced_strategy, facts) {
        return chosen;
    }
    if Family::of(backend) == Family::Mysql {
        return mysql::choose(sql_text, created_here, forced_strategy, facts);
    }
    // several operations (type changes at once) or token-scanned ones (SET TABLESPACE)
    let all_ops = match sql::parse(Dialect::Postgres, sql_text) {
        Ok(asts) => asts
            .iter()
            .flat_map(|a| sql::classify::classify(Dialect::Postgres, a))
            .collect(),
        Err(_) => sql::tokscan::scan(Dialect::Postgres, sql_text),
    };
    if forced_strategy == Some(Strategy::ShadowTable)
        || (forced_strategy.is_none() && shadow_table::natural(&all_ops, facts))
    {
        return shadow_table::choose(
            sql_text,
            &all_ops,
            forced_strategy.is_some(),
            created_here,
            facts,
        );
    }
    let Ok(asts) = sql::parse(Dialect::Postgres, sql_text) else {
        return Ok(plain("the parser cannot read it: as written", false));
    };
    let [ast] = asts.as_slice() else {
        return Ok(plain("as written", false));
    };
    let ops = sql::classify::classify(Dialect::Postgres, ast);
    let [op] = ops.as_slice() else {
        return Ok(plain("as written", false));
    };
    let want = match (natural(op, facts), forced_strategy) {
        (Some(w), _) => w,
        (None, Some(f)) => {
            return Err(format!(
                "`-- sluice:strategy {}` does not apply to this statement: it is already safe as written, or the runner has no online form of it (an unnamed constraint cannot be validated by name: name it)",
                f.name()
            ));
        }
        (None, None) => return Ok(plain("no online form: as written", false)),
    };
    if let Some(f) = forced_strategy
        && f != want
    {
        return Err(format!(
            "`-- sluice:strategy {}` does not apply to this statement (it would take {})",
            f.name(),
            want.name()
        ));
    }
    let forced = forced_strategy.is_some();
    if !forced
        && let Some(p) = plain_path(
            op.table(),
            created_here,
            facts,
            "the plain form's lock is brief",
        )
    {
        return Ok(p);
    }
    let actions = match want {
        Strategy::ConcurrentIndex => concurrent_index(ast, op)?,
        Strategy::NotValidValidate => not_valid_validate(ast, op)?,
        Strategy::NotNullCheck => not_null_check(op, facts)?,
        Strategy::OwnTransaction => vec![sql_action(sql_text.trim().to_owned(), true)],
        Strategy::PgRepack => match &facts.pg_repack {
            Some(bin) => repack::actions(bin, op)?,
            None => {
                return Ok(plain(
                    "pg_repack is not installed (Debian: postgresql-15-repack): the rebuild runs as written and holds ACCESS EXCLUSIVE throughout",
                    forced,
                ));
            }
        },
        Strategy::Plain | Strategy::ShadowTable | Strategy::BatchedDelete => {
            return Ok(plain("as written", forced));
        }
        Strategy::Instant | Strategy::Inplace | Strategy::PtOsc | Strategy::GhOst => {
            return Err(format!("`{}` is a MySQL / MariaDB strategy", want.name()));
        }
    };
    Ok(Chosen {
        choice: Choice {
            strategy: want,
            reason: reason(want).to_owned(),
            forced,
        },
        actions: Some(actions),
    })
}

/// A `DELETE` forced to or calling for the batched delete (both families), or a statement
/// forced to it that is none; `None` for the rest.
fn delete(
    backend: Dialect,
    sql_text: &str,
    created_here: bool,
    forced: Option<Strategy>,
    facts: &Facts,
) -> Option<Result<Chosen, String>> {
    let asts = sql::parse(backend, sql_text).ok();
    let one = match asts.as_deref() {
        Some([ast]) => Some(ast),
        _ => None,
    };
    let calls_for = one.is_some_and(|ast| {
        matches!(sql::classify::classify(backend, ast).as_slice(), [op]
            if rewrites::of(backend, facts.server_major, op, true) == Some(Rewrite::BatchedDelete))
    });
    let forced = forced.map(|f| f == Strategy::BatchedDelete);
    match one {
        None if forced == Some(true) => Some(Err(
            "`-- sluice:strategy batched-delete` applies to one DELETE statement the parser reads"
                .into(),
        )),
        Some(ast) if forced == Some(true) || (forced.is_none() && calls_for) => {
            Some(batched_delete::choose(
                backend,
                sql_text,
                ast,
                forced.is_some(),
                created_here,
                facts,
            ))
        }
        _ => None,
    }
}

/// The plain path of a statement not forced online: its table is created earlier in the
/// script (nothing else uses it yet), or estimated below `large_table_rows` (`brief`: why
/// that is enough).
pub(super) fn plain_path(
    table: Option<&ObjName>,
    created_here: bool,
    facts: &Facts,
    brief: &str,
) -> Option<Chosen> {
    if created_here {
        return Some(plain(
            "the table is created earlier in this script: nothing else uses it yet",
            false,
        ));
    }
    let t = table?;
    let rows = facts.rows.get(&t.to_string())?;
    (*rows < facts.large_table_rows).then(|| {
        plain(
            format!(
                "{t} has about {rows} rows (below large_table_rows {}): {brief}",
                facts.large_table_rows
            ),
            false,
        )
    })
}

/// The strategy a statement calls for, if any: the one table of what the runner makes
/// online (`sluice_lint::rewrites`, which lint reads too).
fn natural(op: &Operation, facts: &Facts) -> Option<Strategy> {
    // statements reach here outside a BEGIN .. COMMIT of the file: a VALIDATE may share the
    // runner's transaction with the ADD before it
    Some(
        match rewrites::of(Dialect::Postgres, facts.server_major, op, true)? {
            Rewrite::ConcurrentIndex => Strategy::ConcurrentIndex,
            Rewrite::NotValidValidate => Strategy::NotValidValidate,
            Rewrite::NotNullCheck => Strategy::NotNullCheck,
            Rewrite::OwnTransaction => Strategy::OwnTransaction,
            Rewrite::PgRepack => Strategy::PgRepack,
            Rewrite::BatchedDelete => Strategy::BatchedDelete,
        },
    )
}

pub(super) fn reason(s: Strategy) -> &'static str {
    match s {
        Strategy::ConcurrentIndex => {
            "builds (or drops) the index without blocking writes, outside a transaction"
        }
        Strategy::NotValidValidate => {
            "adds the constraint without a scan under the exclusive lock, then validates it in its own transaction while writes continue"
        }
        Strategy::NotNullCheck => {
            "proves NOT NULL with a CHECK validated while writes continue, then SET NOT NULL skips its scan (PostgreSQL 18: the NOT NULL constraint NOT VALID, then validated)"
        }
        Strategy::OwnTransaction => {
            "validates in a transaction of its own while writes continue (the script runs statement by statement, resumable): an earlier ADD .. NOT VALID has committed, its lock is not held through the scan"
        }
        Strategy::PgRepack => "rebuilds the table online with pg_repack (--no-kill-backend)",
        Strategy::Instant => {
            "metadata only: ALGORITHM=INSTANT pinned, so anything slower fails fast"
        }
        Strategy::Inplace => {
            "in place with concurrent writes: ALGORITHM=INPLACE, LOCK=NONE pinned, so a table copy fails fast"
        }
        Strategy::PtOsc => {
            "needs a table copy: pt-online-schema-change copies in chunks while triggers keep the copy in sync, then swaps"
        }
        Strategy::GhOst => {
            "needs a table copy: gh-ost copies and replays the binlog; the cut-over waits for the contract gate"
        }
        Strategy::ShadowTable => "rewrites the table through a shadow copy",
        Strategy::BatchedDelete => {
            "notes the keys of the rows it matches, then deletes them a short batch at a time, each batch its own transaction"
        }
        Strategy::Plain => "as written",
    }
}

fn sql_action(sql: String, no_tx: bool) -> Action {
    Action::Sql { sql, no_tx }
}

fn concurrent_index(ast: &Ast, op: &Operation) -> Result<Vec<Action>, String> {
    match (ast, op) {
        (Ast::CreateIndex(ci), Operation::CreateIndex { table, columns, .. }) => {
            let mut ci = ci.clone();
            ci.concurrently = true;
            if ci.name.is_none() {
                // named, so a failed build's INVALID leftover can be found and dropped
                let mut base = table.name.clone();
                for c in columns {
                    base.push('_');
                    base.push_str(c);
                }
                let name = names::fit("", &base, "_idx");
                ci.name = Some(ObjectName(vec![ObjectNamePart::Identifier(
                    Ident::with_quote('"', name),
                )]));
            }
            Ok(vec![sql_action(Ast::CreateIndex(ci).to_string(), true)])
        }
        (
            _,
            Operation::DropIndex {
                names, if_exists, ..
            },
        ) => {
            let n = &names[0];
            Ok(vec![sql_action(
                format!(
                    "DROP INDEX CONCURRENTLY {}{}",
                    if *if_exists { "IF EXISTS " } else { "" },
                    quote::qualified(Dialect::Postgres, n)
                ),
                true,
            )])
        }
        _ => Err("internal error: not an index statement".into()),
    }
}

/// A statement of the planner's constraint templates, as the runner runs it (no `;`).
fn template_action(text: Result<String, RenderError>) -> Result<Action, String> {
    let text = text.map_err(String::from)?;
    Ok(sql_action(text.trim_end_matches(';').to_owned(), true))
}

fn not_valid_validate(ast: &Ast, op: &Operation) -> Result<Vec<Action>, String> {
    let (Ast::AlterTable(alter), Operation::AddConstraint { table, constraint }) = (ast, op) else {
        return Err("internal error: not ADD CONSTRAINT".into());
    };
    let Some(AlterTableOperation::AddConstraint { constraint: c, .. }) = alter.operations.first()
    else {
        return Err("internal error: not ADD CONSTRAINT".into());
    };
    let Some(name) = &constraint.name else {
        return Err(
            "the constraint has no name, so VALIDATE cannot name it: name it (ADD CONSTRAINT <name> ..), or force `-- sluice:strategy plain`".into(),
        );
    };
    let r = statements::postgres();
    Ok(vec![
        template_action(statements::not_valid(r, table, None, &c.to_string()))?,
        template_action(statements::validate(r, table, name))?,
    ])
}

fn not_null_check(op: &Operation, facts: &Facts) -> Result<Vec<Action>, String> {
    let Operation::SetNotNull { table, column } = op else {
        return Err("internal error: not SET NOT NULL".into());
    };
    let r = statements::postgres();
    if facts.server_major >= 18 {
        // PostgreSQL 18: the NOT NULL constraint itself, NOT VALID then validated; the name
        // is the one a plain SET NOT NULL gives it
        let name = names::pg_not_null(&table.name, column);
        return Ok(vec![
            template_action(statements::not_null_not_valid(r, table, &name, column))?,
            template_action(statements::validate(r, table, &name))?,
        ]);
    }
    let check = names::not_null_check(&table.name, column);
    Ok(vec![
        template_action(statements::not_null_check(r, table, &check, column))?,
        template_action(statements::validate(r, table, &check))?,
        template_action(statements::set_not_null(r, table, column))?,
        template_action(statements::drop_constraint(r, table, &check))?,
    ])
}

/// The table names (as [`Facts::rows`] keys) a statement may act on, for row estimates.
pub fn tables_of(d: Dialect, sql_text: &str) -> Vec<ObjName> {
    let ops = match sql::parse(d, sql_text) {
        Ok(asts) => asts
            .iter()
            .flat_map(|a| sql::classify::classify(d, a))
            .collect(),
        // SET TABLESPACE and the like: the token scan still names the table
        Err(_) => sql::tokscan::scan(d, sql_text),
    };
    ops.iter().filter_map(|o| o.table().cloned()).collect()
}

#[cfg(test)]
mod tests;
