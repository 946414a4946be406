//! Scripts split into statements and prepared for running, their online strategies applied.

use std::path::PathBuf;

use crate::RunError;
use crate::driver;
use crate::ledger::LedgerRow;
use crate::strategies::{self, Action, Facts};
use sluice_core::source::directives::{self, Directive};
use sluice_core::source::split::{self, SplitOptions};
use sluice_core::source::{Direction, Layout, Migration, Phase, Script};
use sluice_core::sql::ops::TxControl;
use sluice_core::sql::{self, Dialect, Operation};

/// What kind of step a statement of a prepared script is: how the executor runs it.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// SQL sent as written (or as a strategy rewrote it).
    Sql,
    /// `CREATE INDEX CONCURRENTLY` of this index (schema, name): a failed build leaves it
    /// INVALID, and it must go before the statement runs again.
    ConcurrentIndex(Option<String>, String),
    /// `BEGIN` / `COMMIT` / `ROLLBACK` written in the file: a block the runner retries whole.
    Tx(TxControl),
    /// MySQL `LOCK TABLES` (true) / `UNLOCK TABLES` (false): the planner's column swap. The
    /// ledger cannot be written while tables are locked, so the block is one step.
    TableLock(bool),
    /// An external tool run instead of SQL (pg_repack, pt-online-schema-change, gh-ost).
    Tool(strategies::Tool),
    /// A shadow-table copy run instead of SQL (`run::shadow`).
    Shadow(Box<strategies::shadow_table::ShadowTable>),
    /// A batched delete run instead of the statement (`run::batched_delete`).
    BatchedDelete(Box<strategies::batched_delete::BatchedDelete>),
}

/// A statement ready to send, with its place in the file. `sql` is what a dry run shows:
/// the statement, or a tool's command line, or a copy's steps.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) line: usize,
    pub(crate) step: Step,
    /// `-- sluice:strategy <name>` above the statement (read by `apply_strategies`).
    pub(crate) forced_strategy: Option<String>,
}

impl Stmt {
    pub(crate) fn is_sql(&self) -> bool {
        matches!(self.step, Step::Sql)
    }

    fn new(sql: String, line: usize, step: Step) -> Stmt {
        Stmt {
            sql,
            line,
            step,
            forced_strategy: None,
        }
    }

    pub(crate) fn tx(&self) -> Option<TxControl> {
        match self.step {
            Step::Tx(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn table_lock(&self) -> Option<bool> {
        match self.step {
            Step::TableLock(on) => Some(on),
            _ => None,
        }
    }

    /// Runs something other than its SQL text (a tool, a copy).
    pub(crate) fn external(&self) -> bool {
        matches!(
            self.step,
            Step::Tool(_) | Step::Shadow(_) | Step::BatchedDelete(_)
        )
    }
}

/// A script split and classified for running.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) version: String,
    pub(crate) name: String,
    pub(crate) phase: Phase,
    pub(crate) path: PathBuf,
    pub(crate) checksum: String,
    pub(crate) statements: Vec<Stmt>,
    pub(crate) transactional: bool,
    pub(crate) down_sql: Option<String>,
    /// The online strategy chosen for each rewritten statement (line, choice).
    pub(crate) choices: Vec<(usize, strategies::Choice)>,
}

impl Prepared {
    pub(crate) fn label(&self) -> String {
        format!("{} {} ({})", self.version, self.name, self.phase.name())
    }
}

/// SHA-256 of the script's own text: the file's checksum for whole-file scripts, the
/// section's for dbmate / goose sections.
pub fn script_checksum(script: &Script) -> String {
    if script.range == (0..script.file.text.len()) {
        script.file.checksum().to_owned()
    } else {
        sluice_core::source::text::checksum(script.text())
    }
}

/// Split `text` (which starts at `base` in `file_text`) into statements; decide whether
/// PostgreSQL may wrap them in one transaction.
fn split_statements(
    backend: Dialect,
    goose: bool,
    text: &str,
    line_of: impl Fn(usize) -> usize,
    path: &std::path::Path,
    no_tx_marker: bool,
) -> Result<(Vec<Stmt>, bool), RunError> {
    let d = backend;
    let db = driver::database(d);
    let chunks = split::split(text, SplitOptions::new(d, goose));
    let mut out = Vec::new();
    let mut needs_no_tx = no_tx_marker;
    for c in chunks {
        if let Some(err) = c.error {
            return Err(RunError::Input(format!(
                "{}:{}: {}; fix the file before running it",
                path.display(),
                line_of(err.offset),
                err.kind.message()
            )));
        }
        if c.delimiter_command {
            continue;
        }
        let Some(r) = c.stmt.filter(|r| !r.is_empty()) else {
            continue;
        };
        let sql_text = &text[r.clone()];
        let ops = match sql::parse(d, sql_text) {
            Ok(asts) => asts
                .iter()
                .flat_map(|a| sql::classify::classify(d, a))
                .collect::<Vec<_>>(),
            Err(_) => sql::tokscan::scan(d, sql_text),
        };
        // CONCURRENTLY & co. cannot run in a transaction block; a script with its own
        // BEGIN/COMMIT keeps its own grouping
        if ops
            .iter()
            .any(|o| o.needs_no_transaction() || matches!(o, Operation::Transaction(_)))
        {
            needs_no_tx = true;
        }
        let concurrent_index = ops.iter().find_map(|o| match o {
            Operation::CreateIndex {
                name: Some(name),
                table,
                concurrently: true,
                ..
            } => Some(Step::ConcurrentIndex(table.schema.clone(), name.clone())),
            _ => None,
        });
        let tx = ops.iter().find_map(|o| match o {
            Operation::Transaction(t) => Some(Step::Tx(*t)),
            _ => None,
        });
        let step = tx
            .or_else(|| db.table_lock(sql_text).map(Step::TableLock))
            .or(concurrent_index)
            .unwrap_or(Step::Sql);
        let forced_strategy = c
            .leading_comments
            .iter()
            .filter_map(|cm| directives::parse(text, cm))
            .find_map(|d| match d {
                Directive::Strategy(name) => Some(name),
                _ => None,
            });
        out.push(Stmt {
            forced_strategy,
            ..Stmt::new(sql_text.to_owned(), line_of(r.start), step)
        });
    }
    let transactional = db.transactional_ddl() && !needs_no_tx;
    Ok((out, transactional))
}

pub(crate) fn prepare(
    backend: Dialect,
    m: &Migration,
    script: &Script,
) -> Result<Prepared, RunError> {
    let base = script.range.start;
    let (statements, transactional) = split_statements(
        backend,
        m.layout == Layout::Goose,
        script.text(),
        |off| script.file.line_col(base + off).line,
        &script.file.path,
        script.no_transaction_marker,
    )?;
    Ok(Prepared {
        version: m.version.raw.clone(),
        name: m.name.clone(),
        phase: script.phase,
        path: script.file.path.clone(),
        checksum: script_checksum(script),
        statements,
        transactional,
        down_sql: m
            .script(script.phase, Direction::Down)
            .map(|d| d.text().to_owned()),
        choices: Vec::new(),
    })
}

/// Rewrite `p`'s statements by their online strategies (see [`strategies`]): statements
/// inside a `BEGIN .. COMMIT` block of the file stay as written; a strategy that cannot run
/// in a transaction makes the script run statement by statement. Pure.
pub(crate) fn apply_strategies(
    backend: Dialect,
    p: &mut Prepared,
    facts: &Facts,
) -> Result<(), RunError> {
    let d = backend;
    let mut out = Vec::with_capacity(p.statements.len());
    let mut created: Vec<String> = Vec::new();
    let mut in_block = false;
    let mut no_tx = false;
    for st in std::mem::take(&mut p.statements) {
        match (st.tx(), st.table_lock()) {
            (Some(TxControl::Begin), _) | (_, Some(true)) => in_block = true,
            (Some(TxControl::Commit | TxControl::Rollback), _) | (_, Some(false)) => {
                in_block = false
            }
            _ => {}
        }
        let ops = sql::parse(d, &st.sql)
            .map(|a| {
                a.iter()
                    .flat_map(|x| sql::classify::classify(d, x))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let created_here = ops
            .iter()
            .filter_map(|o| o.table())
            .any(|t| created.contains(&t.to_string()));
        for o in &ops {
            if let Operation::CreateTable { table, .. } = o {
                created.push(table.to_string());
            }
        }
        if in_block || st.tx().is_some() || st.table_lock().is_some() {
            if st.forced_strategy.is_some() {
                return Err(RunError::Input(format!(
                    "{}:{}: `-- sluice:strategy` inside a BEGIN .. COMMIT block of the file: online strategies run outside transactions; move the statement out of the block",
                    p.path.display(),
                    st.line
                )));
            }
            out.push(st);
            continue;
        }
        let chosen = strategies::choose(
            backend,
            &st.sql,
            created_here,
            st.forced_strategy.as_deref(),
            facts,
        )
        .map_err(|e| RunError::Input(format!("{}:{}: {e}", p.path.display(), st.line)))?;
        let Some(actions) = chosen.actions else {
            if chosen.choice.forced
                || chosen.choice.reason.contains("rows (below")
                || chosen
                    .choice
                    .reason
                    .ends_with(strategies::batched_delete::DECLINED)
            {
                p.choices.push((st.line, chosen.choice));
            }
            out.push(st);
            continue;
        };
        p.choices.push((st.line, chosen.choice));
        for a in actions {
            match a {
                Action::Sql { sql, no_tx: n } => {
                    no_tx |= n;
                    let step = concurrent_index_of(d, &sql).map_or(Step::Sql, |(schema, name)| {
                        Step::ConcurrentIndex(schema, name)
                    });
                    out.push(Stmt::new(sql, st.line, step));
                }
                Action::Tool(r) => {
                    no_tx = true;
                    out.push(Stmt::new(r.display(), st.line, Step::Tool(r)));
                }
                Action::ShadowTable(mut sh) => {
                    no_tx = true;
                    sh.version = p.version.clone();
                    out.push(Stmt::new(sh.display(), st.line, Step::Shadow(sh)));
                }
                Action::BatchedDelete(d) => {
                    no_tx = true;
                    out.push(Stmt::new(d.display(), st.line, Step::BatchedDelete(d)));
                }
            }
        }
    }
    p.statements = out;
    if no_tx {
        p.transactional = false;
    }
    Ok(())
}

/// Tables a prepared script's statements act on (schema, name), sorted, once each.
pub(crate) fn tables_of(d: Dialect, p: &Prepared) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = p
        .statements
        .iter()
        .filter_map(|st| sql::parse(d, &st.sql).ok())
        .flat_map(|asts| {
            asts.iter()
                .flat_map(|a| sql::classify::classify(d, a))
                .filter_map(|o| o.table().map(|t| (t.schema.clone(), t.name.clone())))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Tables a prepared script creates (a later phase of the run sees them as new).
pub(crate) fn created_tables(d: Dialect, p: &Prepared) -> Vec<sluice_core::sql::ops::ObjName> {
    p.statements
        .iter()
        .filter_map(|st| sql::parse(d, &st.sql).ok())
        .flat_map(|asts| {
            asts.iter()
                .flat_map(|a| sql::classify::classify(d, a))
                .filter_map(|o| match o {
                    Operation::CreateTable { table, .. } => Some(table),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn concurrent_index_of(d: Dialect, sql_text: &str) -> Option<(Option<String>, String)> {
    let asts = sql::parse(d, sql_text).ok()?;
    asts.iter()
        .flat_map(|a| sql::classify::classify(d, a))
        .find_map(|o| match o {
            Operation::CreateIndex {
                name: Some(name),
                table,
                concurrently: true,
                ..
            } => Some((table.schema.clone(), name)),
            _ => None,
        })
}

/// Prepare a stored down script.
pub(crate) fn prepare_down(
    backend: Dialect,
    row: &LedgerRow,
    down: &str,
) -> Result<Prepared, RunError> {
    let path = PathBuf::from(format!(
        "<down SQL of {} ({}) in the ledger>",
        row.version,
        row.phase.name()
    ));
    let line_of = |off: usize| down[..off.min(down.len())].matches('\n').count() + 1;
    let (statements, transactional) = split_statements(
        backend,
        down.contains("+goose StatementBegin"),
        down,
        line_of,
        &path,
        down.contains("sluice:no-transaction") || down.contains("+goose NO TRANSACTION"),
    )?;
    Ok(Prepared {
        version: row.version.clone(),
        name: row.name.clone(),
        phase: row.phase,
        path,
        checksum: row.checksum.clone(),
        statements,
        transactional,
        down_sql: None,
        choices: Vec::new(),
    })
}
