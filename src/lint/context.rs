//! What rules see: a script split into statements, each parsed, classified, and placed in
//! its transaction and session state.

use std::ops::Range;

use sqlparser::ast::Statement as Ast;

use crate::source::split::{self, Chunk, Comment, SplitError, SplitOptions};
use crate::source::{Direction, Layout, Migration, Phase, Script, SourceFile};
use crate::sql::ops::{ObjName, TxControl};
use crate::sql::{self, Dialect, Operation, ParseFailure};

use super::settings::{LintSettings, Runner};

/// How far the parser got with a statement.
#[derive(Debug)]
pub enum Parsed {
    Ok(Vec<Ast>),
    /// Tokenizes but sqlparser cannot parse it; operations come from the token scan.
    Unparsed(ParseFailure),
    /// Cannot be SQL at all (unterminated quote, unbalanced parentheses).
    SyntaxError(SplitError),
    /// A client command, not SQL (MySQL `DELIMITER`).
    ClientCommand,
}

/// Transaction state a statement runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tx {
    /// Autocommit.
    None,
    /// Inside an explicit `BEGIN` of the file.
    Explicit,
    /// Inside the transaction the runner wraps the file in.
    Wrapped,
}

#[derive(Debug)]
pub struct Stmt {
    pub index: usize,
    /// Absolute byte range of the statement text in the file (no terminator).
    pub range: Range<usize>,
    pub parsed: Parsed,
    pub ops: Vec<Operation>,
    /// The operations come from the token scan, not the parser.
    pub token_scan: bool,
    /// Transaction state while this statement runs.
    pub tx: Tx,
    /// `lock_timeout` / `lock_wait_timeout` set earlier in the script (or by the runner).
    pub lock_timeout_set: bool,
    pub statement_timeout_set: bool,
    /// Comments above the statement and after its terminator on the same line.
    pub leading_comments: Vec<Comment>,
    pub trailing_comments: Vec<Comment>,
}

/// One script being linted, with everything rules may ask.
pub struct ScriptCx<'a> {
    pub settings: &'a LintSettings,
    pub migration: &'a Migration,
    pub script: &'a Script,
    pub statements: Vec<Stmt>,
    /// The runner wraps the whole script in one transaction.
    pub wrapped: bool,
    /// Comments not attached to any statement (after the last one).
    pub orphan_comments: Vec<Comment>,
    /// Tables created in this script: name and the statement index that created them.
    created: Vec<(ObjName, usize)>,
}

impl<'a> ScriptCx<'a> {
    pub fn build(settings: &'a LintSettings, migration: &'a Migration, script: &'a Script) -> Self {
        let text = script.text();
        let base = script.range.start;
        let opts = SplitOptions {
            mysql: settings.dialect == Dialect::Mysql,
            goose: migration.layout == Layout::Goose,
        };
        let chunks = split::split(text, opts);
        let mut statements = Vec::new();
        let mut orphan_comments = Vec::new();
        for chunk in chunks {
            let Chunk {
                stmt,
                leading_comments,
                trailing_comments,
                error,
                delimiter_command,
                ..
            } = chunk;
            let shift = |c: Comment| shift_comment(c, base);
            let Some(range) = stmt.filter(|r| !r.is_empty()) else {
                orphan_comments.extend(leading_comments.into_iter().map(shift));
                orphan_comments.extend(trailing_comments.into_iter().map(shift));
                if let Some(err) = error {
                    // an unterminated comment: report it on an empty statement
                    statements.push(Stmt::new(
                        statements.len(),
                        base + err.offset..base + text.len(),
                        Parsed::SyntaxError(shift_err(err, base)),
                    ));
                }
                continue;
            };
            let sql_text = &text[range.clone()];
            let abs = base + range.start..base + range.end;
            let (parsed, ops, token_scan) = if let Some(err) = error {
                (Parsed::SyntaxError(shift_err(err, base)), Vec::new(), false)
            } else if delimiter_command {
                (Parsed::ClientCommand, Vec::new(), false)
            } else {
                match sql::parse(settings.dialect, sql_text) {
                    Ok(asts) => {
                        let ops = asts
                            .iter()
                            .flat_map(|a| sql::classify::classify(settings.dialect, a))
                            .collect();
                        (Parsed::Ok(asts), ops, false)
                    }
                    Err(failure) => {
                        let ops = sql::tokscan::scan(settings.dialect, sql_text);
                        (Parsed::Unparsed(failure), ops, true)
                    }
                }
            };
            let mut st = Stmt::new(statements.len(), abs, parsed);
            st.ops = ops;
            st.token_scan = token_scan;
            st.leading_comments = leading_comments.into_iter().map(shift).collect();
            st.trailing_comments = trailing_comments.into_iter().map(shift).collect();
            statements.push(st);
        }

        let wrapped = runner_wraps(settings, migration, script, &statements);
        let mut cx = ScriptCx {
            settings,
            migration,
            script,
            statements,
            wrapped,
            orphan_comments,
            created: Vec::new(),
        };
        cx.track_state();
        cx
    }

    pub fn file(&self) -> &SourceFile {
        &self.script.file
    }

    pub fn text(&self, stmt: &Stmt) -> &str {
        &self.script.file.text[stmt.range.clone()]
    }

    pub fn phase(&self) -> Phase {
        self.script.phase
    }

    pub fn direction(&self) -> Direction {
        self.script.direction
    }

    pub fn dialect(&self) -> Dialect {
        self.settings.dialect
    }

    /// Was `table` created earlier in this script than statement `before`?
    /// (Across files this question goes to the schema catalog.)
    pub fn is_new_table(&self, table: &ObjName, before: usize) -> bool {
        self.created
            .iter()
            .any(|(t, at)| *at < before && t.matches(table))
    }

    /// Every (statement, operation) pair in order.
    pub fn ops(&self) -> impl Iterator<Item = (&Stmt, &Operation)> {
        self.statements
            .iter()
            .flat_map(|s| s.ops.iter().map(move |o| (s, o)))
    }

    /// Byte range of the first occurrence of `needle` (case-insensitive, ASCII) in the
    /// statement, for a tighter caret; the whole statement when not found.
    pub fn find_in(&self, stmt: &Stmt, needle: &str) -> Range<usize> {
        let hay = self.text(stmt).to_ascii_lowercase();
        match hay.find(&needle.to_ascii_lowercase()) {
            Some(i) => stmt.range.start + i..stmt.range.start + i + needle.len(),
            None => stmt.range.clone(),
        }
    }

    /// Walk statements in order to fill transaction state, session settings and new tables.
    fn track_state(&mut self) {
        let runner_sets_timeout = self
            .settings
            .runner
            .effective(self.migration.layout)
            .sets_lock_timeout();
        let mut explicit = false;
        let mut lock_timeout = runner_sets_timeout;
        let mut statement_timeout = runner_sets_timeout;
        for st in &mut self.statements {
            st.tx = if explicit {
                Tx::Explicit
            } else if self.wrapped {
                Tx::Wrapped
            } else {
                Tx::None
            };
            st.lock_timeout_set = lock_timeout;
            st.statement_timeout_set = statement_timeout;
            for op in &st.ops {
                match op {
                    Operation::Transaction(TxControl::Begin) => explicit = true,
                    Operation::Transaction(TxControl::Commit | TxControl::Rollback) => {
                        explicit = false
                    }
                    Operation::SetVariable { name, value, .. } => {
                        let n = name.to_ascii_lowercase();
                        let on = !matches!(value.trim(), "0" | "" | "default" | "DEFAULT");
                        if n.ends_with("lock_timeout") || n.ends_with("lock_wait_timeout") {
                            lock_timeout = on;
                        } else if n.ends_with("statement_timeout")
                            || n.ends_with("max_execution_time")
                        {
                            statement_timeout = on;
                        }
                    }
                    Operation::CreateTable { table, .. } => {
                        self.created.push((table.clone(), st.index));
                    }
                    _ => {}
                }
            }
        }
    }
}

impl Stmt {
    fn new(index: usize, range: Range<usize>, parsed: Parsed) -> Self {
        Stmt {
            index,
            range,
            parsed,
            ops: Vec::new(),
            token_scan: false,
            tx: Tx::None,
            lock_timeout_set: false,
            statement_timeout_set: false,
            leading_comments: Vec::new(),
            trailing_comments: Vec::new(),
        }
    }

    pub fn in_transaction(&self) -> bool {
        self.tx != Tx::None
    }
}

fn shift_comment(mut c: Comment, base: usize) -> Comment {
    c.range = c.range.start + base..c.range.end + base;
    c.body = c.body.start + base..c.body.end + base;
    c
}

fn shift_err(mut e: SplitError, base: usize) -> SplitError {
    e.offset += base;
    e
}

/// Does the runner wrap this script in one transaction?
fn runner_wraps(
    settings: &LintSettings,
    migration: &Migration,
    script: &Script,
    stmts: &[Stmt],
) -> bool {
    if settings.dialect == Dialect::Mysql {
        return false; // MySQL DDL commits implicitly; nothing wraps it
    }
    if script.no_transaction_marker {
        return false;
    }
    match settings.runner.effective(migration.layout) {
        Runner::GolangMigrate => false,
        // Sluice runs statements PostgreSQL refuses in a transaction outside one, by itself
        Runner::Sluice => !stmts
            .iter()
            .any(|s| s.ops.iter().any(Operation::needs_no_transaction)),
        _ => true,
    }
}
