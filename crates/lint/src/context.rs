//! What rules see: a script split into statements, each parsed, classified, and placed in
//! its transaction and session state.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use sqlparser::ast::Statement as Ast;

use sluice_core::catalog::{Catalog, Origin};
use sluice_core::source::split::{self, Chunk, Comment, SplitError, SplitOptions};
use sluice_core::source::{Direction, Layout, Migration, Phase, Script, SourceFile, Version};
use sluice_core::sql::ops::{ObjName, RewriteKind, TxControl};
use sluice_core::sql::{self, Dialect, Operation, ParseFailure};

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
    /// Inside the implicit transaction block PostgreSQL runs a multi-statement query in: the
    /// runner sends the whole file as one query ([`Runner::sends_file_as_one_query`]). A
    /// `COMMIT` in the file does not end it: the statements after it form a new one.
    Implicit,
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
    /// The runner sends the script, several statements, as one query (PostgreSQL): the
    /// statements outside the runner's and the file's explicit transactions (after a
    /// `COMMIT`, or all of them when it does not wrap) run in implicit ones ([`Tx::Implicit`]).
    pub one_query: bool,
    /// Comments not attached to any statement (after the last one).
    pub orphan_comments: Vec<Comment>,
    /// Tables created in this script: name and the statement index that created them.
    created: Vec<(ObjName, usize)>,
    /// Catalog state before the script (`None`: not tracked, an empty catalog).
    start: Option<Arc<Catalog>>,
    /// Catalog state before each statement (`[i]` before statement `i`) and after the script
    /// (the last entry), replayed from `start` on first use. Statements that leave the
    /// catalog alone share one state.
    catalogs: OnceLock<Vec<Arc<Catalog>>>,
    /// The catalog after the whole change set (history included); `None`: after the script.
    final_catalog: Option<Arc<Catalog>>,
    /// What the other scripts of the change set do, for cross-file rules.
    change_set: Arc<ChangeSet>,
    /// Linted before the rest of the change set is replayed: [`Self::final_catalog`] and
    /// [`Self::change_set`] are not known yet, and asking for them marks the script for a
    /// second lint once they are (the engine streams every other script).
    provisional: bool,
    asked_final: AtomicBool,
}

/// A replayed script waiting for its second lint ([`ScriptCx::park`]).
pub(crate) struct Parked<'a> {
    settings: &'a LintSettings,
    migration: &'a Migration,
    script: &'a Script,
    start: Option<Arc<Catalog>>,
}

impl<'a> Parked<'a> {
    /// The script parsed again on the state it was replayed on.
    pub(crate) fn unpark(self) -> ScriptCx<'a> {
        let mut cx = ScriptCx::parse(self.settings, self.migration, self.script);
        cx.start = self.start;
        cx
    }
}

/// One statement of the change set touching a table (and maybe a column), for rules that
/// look across files (contract-before-expand).
#[derive(Debug, Clone)]
pub struct ObjectUse {
    pub version: Version,
    pub phase: Phase,
    pub table: ObjName,
    /// Columns the statement's operations name.
    pub columns: Vec<String>,
    /// The file and the statement's range in it: the text holds names the operations do not
    /// (`UPDATE t SET a = b`).
    pub file: Arc<SourceFile>,
    pub range: Range<usize>,
    /// 1-based position of the statement.
    pub line: usize,
    pub column: usize,
}

impl ObjectUse {
    /// The statement's text.
    pub fn text(&self) -> &str {
        &self.file.text[self.range.clone()]
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

/// Summary of the up scripts of the change set.
#[derive(Debug, Default)]
pub struct ChangeSet {
    pub uses: Vec<ObjectUse>,
}

impl<'a> ScriptCx<'a> {
    /// Build a script on its own: the catalog starts empty and everything it creates is new.
    pub fn build(settings: &'a LintSettings, migration: &'a Migration, script: &'a Script) -> Self {
        let mut catalog = Catalog::new(settings.dialect);
        catalog.set_origin(Origin::ChangeSet);
        let mut cx = Self::build_on(settings, migration, script, &mut catalog, true);
        cx.final_catalog = Some(Arc::new(catalog));
        cx
    }

    /// Build a script whose statements run on `catalog`, and apply them to it. With
    /// `snapshots`, rules can ask for the state before each statement (change-set scripts);
    /// without, the script is only replayed (history).
    pub fn build_on(
        settings: &'a LintSettings,
        migration: &'a Migration,
        script: &'a Script,
        catalog: &mut Catalog,
        snapshots: bool,
    ) -> Self {
        let mut cx = Self::parse(settings, migration, script);
        cx.replay(catalog, snapshots);
        cx
    }

    /// Apply the parsed statements to `catalog`, keeping the state before them when
    /// `snapshots` (see [`Self::build_on`]). Parsing needs no catalog: the engine parses
    /// scripts in parallel and replays them in order.
    pub(crate) fn replay(&mut self, catalog: &mut Catalog, snapshots: bool) {
        if snapshots {
            self.start = Some(Arc::new(catalog.clone()));
        }
        for st in &self.statements {
            st.apply_to(catalog);
        }
    }

    /// The per-statement states, replayed from `start`.
    fn snapshots(&self) -> &[Arc<Catalog>] {
        self.catalogs.get_or_init(|| {
            let Some(start) = &self.start else {
                return Vec::new();
            };
            let mut out = Vec::with_capacity(self.statements.len() + 1);
            let mut current = start.clone();
            let mut catalog: Catalog = (**start).clone();
            for st in &self.statements {
                out.push(current.clone());
                if st.apply_to(&mut catalog) {
                    current = Arc::new(catalog.clone());
                }
            }
            out.push(current);
            out
        })
    }

    pub(crate) fn parse(
        settings: &'a LintSettings,
        migration: &'a Migration,
        script: &'a Script,
    ) -> Self {
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
                    Err(failure) => match sql::parse_known_gap(settings.dialect, sql_text) {
                        Some((asts, ops)) => (Parsed::Ok(asts), ops, false),
                        None => {
                            let ops = sql::tokscan::scan(settings.dialect, sql_text);
                            (Parsed::Unparsed(failure), ops, true)
                        }
                    },
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
        let one_query = sent_as_one_query(settings, migration, &statements);
        let mut cx = ScriptCx {
            settings,
            migration,
            script,
            statements,
            wrapped,
            one_query,
            orphan_comments,
            created: Vec::new(),
            start: None,
            catalogs: OnceLock::new(),
            final_catalog: None,
            change_set: Arc::default(),
            provisional: false,
            asked_final: AtomicBool::new(false),
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

    /// Is `table` new at statement `before`: created earlier in this script, or anywhere
    /// earlier in the change set (the catalog says so)? Tables of the history, and tables
    /// the catalog does not know, are existing.
    pub fn is_new_table(&self, table: &ObjName, before: usize) -> bool {
        // the state before the script plus this script's CREATE TABLEs answer it without
        // replaying the script to `before` (cheap: most rules ask for most statements)
        // a table renamed earlier in the script is as new as it was under its old name
        let mut renamed: Option<ObjName> = None;
        for st in self.statements.iter().take(before).rev() {
            for op in st.ops.iter().rev() {
                if let Operation::RenameTable { from, to } = op
                    && to.matches(renamed.as_ref().unwrap_or(table))
                {
                    renamed = Some(from.clone());
                }
            }
        }
        let table = renamed.as_ref().unwrap_or(table);
        self.created
            .iter()
            .any(|(t, at)| *at < before && t.matches(table))
            || match &self.start {
                Some(start) => start.is_new_table(table),
                None => false,
            }
    }

    /// The catalog just before statement `stmt` (after the script for an index past the
    /// end): the history, the change set's earlier migrations and this script's earlier
    /// statements.
    pub fn catalog(&self, stmt: usize) -> &Catalog {
        let snapshots = self.snapshots();
        match snapshots.get(stmt).or(snapshots.last()) {
            Some(c) => c,
            None => empty_catalog(self.settings.dialect),
        }
    }

    /// The catalog after the whole change set: for questions like "is there an index by
    /// the end of this change?".
    pub fn final_catalog(&self) -> &Catalog {
        self.note_final();
        match &self.final_catalog {
            Some(c) => c,
            None => self.catalog(usize::MAX),
        }
    }

    /// What the change set's up scripts touch.
    pub fn change_set(&self) -> &ChangeSet {
        self.note_final();
        &self.change_set
    }

    fn note_final(&self) {
        if self.provisional {
            self.asked_final.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) fn set_change_set(&mut self, final_catalog: Arc<Catalog>, cs: Arc<ChangeSet>) {
        self.final_catalog = Some(final_catalog);
        self.change_set = cs;
        self.provisional = false;
    }

    /// Lint before the change set's end is known (see `provisional`).
    pub(crate) fn set_provisional(&mut self) {
        self.provisional = true;
        self.asked_final.store(false, Ordering::Relaxed);
    }

    /// Did a rule ask for the end of the change set during a provisional lint?
    pub(crate) fn asked_final(&self) -> bool {
        self.asked_final.load(Ordering::Relaxed)
    }

    /// Keep what a second lint needs and let the rest go: a script waiting for the end of
    /// the change set is parsed again rather than holding its syntax trees (about 50 times
    /// its text) and per-statement states.
    pub(crate) fn park(self) -> Parked<'a> {
        Parked {
            settings: self.settings,
            migration: self.migration,
            script: self.script,
            start: self.start,
        }
    }

    /// The tables and columns each statement of this script touches.
    pub fn object_uses(&self) -> Vec<ObjectUse> {
        let mut out = Vec::new();
        for st in &self.statements {
            let pos = self.file().line_col(st.range.start);
            for op in &st.ops {
                let Some(table) = op.table() else { continue };
                out.push(ObjectUse {
                    version: self.migration.version.clone(),
                    phase: self.phase(),
                    table: table.clone(),
                    columns: op_columns(op),
                    file: self.script.file.clone(),
                    range: st.range.clone(),
                    line: pos.line,
                    column: pos.column,
                });
            }
        }
        out
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
        // a COMMIT or ROLLBACK ends the runner's transaction too
        let mut wrapped = self.wrapped;
        let mut lock_timeout = runner_sets_timeout;
        let mut statement_timeout = runner_sets_timeout;
        for st in &mut self.statements {
            st.tx = if explicit {
                Tx::Explicit
            } else if wrapped {
                Tx::Wrapped
            } else if self.one_query {
                Tx::Implicit
            } else {
                Tx::None
            };
            st.lock_timeout_set = lock_timeout;
            st.statement_timeout_set = statement_timeout;
            for op in &st.ops {
                match op {
                    Operation::Transaction(TxControl::Begin) => explicit = true,
                    Operation::Transaction(TxControl::Commit | TxControl::Rollback) => {
                        explicit = false;
                        wrapped = false;
                    }
                    Operation::SetVariable { name, value, .. } => {
                        let on = !matches!(value.trim(), "0" | "" | "default" | "DEFAULT");
                        // `@@session.x` is the server's x, `foo.lock_timeout` a custom setting;
                        // innodb_lock_wait_timeout bounds row locks, not the metadata lock
                        match setting_name(name).as_str() {
                            "lock_timeout" | "lock_wait_timeout" => lock_timeout = on,
                            "statement_timeout" | "max_execution_time" => statement_timeout = on,
                            _ => {}
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

/// A `SET` target as the server reads it: lower case, without MySQL's `@@` / `@@session.` /
/// `session.` / `local.` scope prefixes (`@@global.` stays: it does not bind this session).
fn setting_name(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase();
    let n = n.strip_prefix("@@").unwrap_or(&n);
    ["session.", "local."]
        .iter()
        .find_map(|p| n.strip_prefix(p))
        .unwrap_or(n)
        .to_owned()
}

/// An empty catalog, for scripts built without one.
fn empty_catalog(dialect: Dialect) -> &'static Catalog {
    static PG: OnceLock<Catalog> = OnceLock::new();
    static MY: OnceLock<Catalog> = OnceLock::new();
    match dialect {
        Dialect::Postgres => PG.get_or_init(|| Catalog::new(Dialect::Postgres)),
        Dialect::Mysql => MY.get_or_init(|| Catalog::new(Dialect::Mysql)),
    }
}

/// Operations that leave the catalog as it is.
fn catalog_neutral(op: &Operation) -> bool {
    match op {
        Operation::SetVariable { name, .. } => !name.eq_ignore_ascii_case("search_path"),
        Operation::Transaction(_)
        | Operation::Update { .. }
        | Operation::Delete { .. }
        | Operation::Insert { .. }
        | Operation::Truncate { .. }
        | Operation::Vacuum
        | Operation::Reindex { .. }
        | Operation::TableRewrite { .. }
        | Operation::AlterTableOptions { .. } => true,
        Operation::Other { kind } => {
            let k = kind.to_ascii_uppercase();
            // COMMENT ON COLUMN: the catalog keeps a column's comment for its copies
            !(k.starts_with("CREATE") || k.starts_with("ALTER") || k.starts_with("COMMENT"))
        }
        _ => false,
    }
}

/// Columns an operation names.
fn op_columns(op: &Operation) -> Vec<String> {
    use Operation as Op;
    match op {
        Op::AddColumn { column, .. } | Op::RedefineColumn { column, .. } => {
            vec![column.name.clone()]
        }
        Op::DropColumn { column, .. }
        | Op::AlterColumnType { column, .. }
        | Op::SetNotNull { column, .. }
        | Op::DropNotNull { column, .. }
        | Op::SetDefault { column, .. }
        | Op::DropDefault { column, .. }
        | Op::AlterIdentity { column, .. }
        | Op::DropExpression { column, .. } => vec![column.clone()],
        Op::RenameColumn { from, .. } => vec![from.clone()],
        Op::AddConstraint { constraint, .. } => constraint.columns.clone(),
        Op::CreateIndex { columns, .. } => columns.clone(),
        _ => Vec::new(),
    }
}

/// Does `text` contain `word` as a whole identifier (ASCII case-insensitive)?
pub fn contains_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let hay = text.to_ascii_lowercase();
    let w = word.to_ascii_lowercase();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = hay.as_bytes();
    let mut from = 0;
    while let Some(i) = hay[from..].find(&w) {
        let start = from + i;
        let end = start + w.len();
        let before_ok = start == 0 || !is_ident(bytes[start - 1]);
        let after_ok = end >= bytes.len() || !is_ident(bytes[end]);
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
        while from < hay.len() && !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

impl Stmt {
    /// Apply this statement to `catalog`; false when it cannot change it.
    fn apply_to(&self, catalog: &mut Catalog) -> bool {
        if !self.token_scan && self.ops.iter().all(catalog_neutral) {
            return false;
        }
        let asts = match &self.parsed {
            Parsed::Ok(a) => Some(a.as_slice()),
            _ => None,
        };
        catalog.apply_statement(asts, &self.ops, self.token_scan);
        true
    }

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

/// Does Flyway's PostgreSQL parser take `stmt` for one that cannot run in a transaction? It
/// matches the statement's text: `CREATE [UNIQUE] INDEX CONCURRENTLY`, `DROP INDEX
/// CONCURRENTLY`, `VACUUM` (and database, tablespace, subscription and system statements
/// migrations do not hold); not `REINDEX .. CONCURRENTLY` nor `DETACH PARTITION ..
/// CONCURRENTLY`, which Flyway wraps and PostgreSQL then refuses.
#[must_use]
pub fn flyway_non_transactional(stmt: &Stmt) -> bool {
    stmt.ops.iter().any(|op| {
        matches!(
            op,
            Operation::CreateIndex {
                concurrently: true,
                ..
            } | Operation::DropIndex {
                concurrently: true,
                ..
            } | Operation::Vacuum
                | Operation::TableRewrite {
                    kind: RewriteKind::VacuumFull,
                    ..
                }
        )
    })
}

/// Does the runner send this script to PostgreSQL as one query of several statements
/// (inside its own `BEGIN` or not)? PostgreSQL runs the statements outside an explicit
/// transaction in one implicit transaction block: a `CONCURRENTLY` among them fails, even
/// after a `COMMIT`; a failure undoes the earlier ones; locks are held to the end. One
/// statement alone is not a block.
fn sent_as_one_query(settings: &LintSettings, migration: &Migration, stmts: &[Stmt]) -> bool {
    settings.dialect == Dialect::Postgres
        && settings
            .runner
            .effective(migration.layout)
            .sends_file_as_one_query()
        && stmts.len() > 1
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
        Runner::GolangMigrate | Runner::GolangMigrateMultiStatement => false,
        // Sluice runs statements PostgreSQL refuses in a transaction outside one, by itself
        Runner::Sluice => !stmts
            .iter()
            .any(|s| s.ops.iter().any(Operation::needs_no_transaction)),
        // Flyway's PostgreSQL parser runs a script outside a transaction when one of its
        // statements cannot run in one; with transactional statements beside it, Flyway
        // refuses the script (`mixed = false`), which the rules report as if wrapped
        Runner::Flyway => {
            let detected = stmts.iter().filter(|s| flyway_non_transactional(s)).count();
            detected == 0 || detected < stmts.len()
        }
        _ => true,
    }
}
