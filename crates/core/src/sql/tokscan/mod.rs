//! Token-scan fallback for statements sqlparser cannot parse.
//!
//! Recognises the schema-changing statements rules care about by keyword sequences. String
//! and dollar-quoted literals are single tokens, so SQL inside a `DO $$ .. $$` body is never
//! mistaken for a statement.

use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;
use super::classify::statement_kind;
use super::ops::{
    ColumnSpec, ConstraintKind, ConstraintSpec, Generated, IndexShape, ObjName, ObjectKind,
    Operation, RewriteKind, TxControl,
};
use super::volatility;

/// A significant token: a word (with quoting) or any other token as text.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word { value: String, quote: Option<char> },
    Punct(String),
}

impl Tok {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word { value, quote: None } if value.eq_ignore_ascii_case(kw))
    }

    fn is(&self, p: &str) -> bool {
        matches!(self, Tok::Punct(s) if s == p)
    }

    /// Normalised identifier: unquoted folded to lower case.
    fn ident(&self) -> Option<String> {
        match self {
            Tok::Word { value, quote: None } => Some(value.to_lowercase()),
            Tok::Word { value, .. } => Some(value.clone()),
            Tok::Punct(_) => None,
        }
    }

    /// The token as SQL text; `upper` upper-cases unquoted words like sqlparser's Display
    /// does for keywords and type names.
    fn sql(&self, upper: bool) -> String {
        match self {
            Tok::Word {
                value,
                quote: Some(q),
            } => {
                let close = if *q == '[' { ']' } else { *q };
                format!("{q}{value}{close}")
            }
            Tok::Word { value, .. } if upper => value.to_uppercase(),
            Tok::Word { value, .. } => value.clone(),
            Tok::Punct(s) => s.clone(),
        }
    }
}

/// Best-effort operations found by scanning the tokens of an unparsable statement.
pub fn scan(dialect: Dialect, sql: &str) -> Vec<Operation> {
    let toks = tokenize(dialect, sql);
    let mut c = Cursor {
        toks: &toks,
        pos: 0,
    };
    let ops = statement(dialect, &mut c);
    if ops.is_empty() {
        vec![Operation::Other {
            kind: leading_kind(&toks),
        }]
    } else {
        ops
    }
}

fn tokenize(dialect: Dialect, sql: &str) -> Vec<Tok> {
    let result = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize(),
        Dialect::Mysql => Tokenizer::new(&MySqlDialect {}, sql).tokenize(),
    };
    match result {
        Ok(tokens) => tokens
            .into_iter()
            .filter_map(|t| match t {
                Token::Whitespace(_) | Token::EOF => None,
                Token::Word(w) => Some(Tok::Word {
                    value: w.value,
                    quote: w.quote_style,
                }),
                other => Some(Tok::Punct(other.to_string())),
            })
            .collect(),
        Err(_) => split_words(sql),
    }
}

/// Whitespace split with punctuation peeled off, for text the tokenizer rejects.
fn split_words(sql: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for chunk in sql.split_whitespace() {
        let mut word = String::new();
        for ch in chunk.chars() {
            if matches!(ch, '(' | ')' | ',' | ';' | '.' | '=') {
                if !word.is_empty() {
                    out.push(word_tok(std::mem::take(&mut word)));
                }
                out.push(Tok::Punct(ch.to_string()));
            } else {
                word.push(ch);
            }
        }
        if !word.is_empty() {
            out.push(word_tok(word));
        }
    }
    out
}

fn word_tok(w: String) -> Tok {
    match w.chars().next() {
        Some(q @ ('"' | '`')) if w.len() >= 2 && w.ends_with(q) => Tok::Word {
            value: w[1..w.len() - 1].to_owned(),
            quote: Some(q),
        },
        _ => Tok::Word {
            value: w,
            quote: None,
        },
    }
}

fn leading_kind(toks: &[Tok]) -> String {
    let words: Vec<String> = toks
        .iter()
        .take_while(|t| matches!(t, Tok::Word { quote: None, .. }))
        .take(8)
        .map(|t| t.sql(true))
        .collect();
    statement_kind(&words.join(" "))
}

struct Cursor<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.peek_kw(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Consume the whole keyword sequence or nothing.
    fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let hit = kws
            .iter()
            .enumerate()
            .all(|(i, kw)| self.toks.get(self.pos + i).is_some_and(|t| t.is_kw(kw)));
        if hit {
            self.pos += kws.len();
        }
        hit
    }

    fn eat(&mut self, p: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.is(p));
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn ident(&mut self) -> Option<String> {
        let id = self.peek()?.ident()?;
        self.pos += 1;
        Some(id)
    }

    /// `[schema .] name` (a leading catalog part is dropped).
    fn name(&mut self) -> Option<ObjName> {
        let mut parts = vec![self.ident()?];
        while self.peek().is_some_and(|t| t.is(".")) {
            self.pos += 1;
            match self.ident() {
                Some(p) => parts.push(p),
                None => break,
            }
        }
        let name = parts.pop().unwrap_or_default();
        Some(ObjName {
            schema: parts.pop(),
            name,
        })
    }

    /// Comma-separated names.
    fn names(&mut self) -> Vec<ObjName> {
        let mut out = Vec::new();
        while let Some(n) = self.name() {
            out.push(n);
            if !self.eat(",") {
                break;
            }
        }
        out
    }

    /// `( a, b )` as identifiers (expressions as their text).
    fn paren_list(&mut self) -> Vec<String> {
        if !self.eat("(") {
            return Vec::new();
        }
        let mut items = Vec::new();
        let mut cur: Vec<&Tok> = Vec::new();
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            self.pos += 1;
            if t.is("(") {
                depth += 1;
            } else if t.is(")") {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            } else if t.is(",") && depth == 0 {
                items.push(item_text(&cur));
                cur.clear();
                continue;
            }
            cur.push(t);
        }
        if !cur.is_empty() {
            items.push(item_text(&cur));
        }
        items
    }

    /// Tokens up to (not including) the first top-level comma, `;` or unbalanced `)`.
    fn until_comma(&mut self) -> &'a [Tok] {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            if t.is("(") || t.is("[") {
                depth += 1;
            } else if (t.is(")") || t.is("]")) && depth > 0 {
                depth -= 1;
            } else if (t.is(",") || t.is(";") || t.is(")")) && depth == 0 {
                break;
            }
            self.pos += 1;
        }
        &self.toks[start..self.pos]
    }

    /// A parenthesised utility option list, `(FULL, CONCURRENTLY false, VERBOSE on)`: each
    /// option's name in lower case and whether it is on (no value, or not false/off/0/no).
    fn options(&mut self) -> Vec<(String, bool)> {
        if !self.eat("(") {
            return Vec::new();
        }
        let mut out = Vec::new();
        loop {
            let item = self.until_comma();
            if let Some(name) = item.first().and_then(Tok::ident) {
                let off = item.get(1).is_some_and(|v| {
                    let v = v.sql(false).to_ascii_lowercase();
                    matches!(v.trim_matches('\''), "false" | "off" | "0" | "no")
                });
                out.push((name, !off));
            }
            if !self.eat(",") {
                break;
            }
        }
        self.eat(")");
        out
    }

    /// Whether a keyword sequence occurs anywhere after the cursor.
    fn contains_kws(&self, kws: &[&str]) -> bool {
        self.toks[self.pos.min(self.toks.len())..]
            .windows(kws.len())
            .any(|w| w.iter().zip(kws).all(|(t, kw)| t.is_kw(kw)))
    }
}

/// One index column or expression: a bare identifier normalised, else the SQL text.
fn item_text(toks: &[&Tok]) -> String {
    match toks {
        [t @ Tok::Word { .. }] => t.ident().unwrap_or_default(),
        // `a ASC`, `a DESC NULLS LAST`, `a text_pattern_ops`: the column is what counts
        [t @ Tok::Word { .. }, rest @ ..]
            if rest
                .iter()
                .all(|r| matches!(r, Tok::Word { quote: None, .. })) =>
        {
            t.ident().unwrap_or_default()
        }
        _ => render(toks.iter().copied(), false),
    }
}

/// Tokens back to SQL text, spaced like sqlparser's Display where it matters.
fn render<'a>(toks: impl IntoIterator<Item = &'a Tok>, upper: bool) -> String {
    let mut out = String::new();
    let mut prev: Option<&Tok> = None;
    for t in toks {
        let glue = prev.is_none_or(|p| p.is("(") || p.is(".") || p.is("::"))
            || t.is("(") && prev.is_some_and(|p| matches!(p, Tok::Word { .. }))
            || t.is(")")
            || t.is(",")
            || t.is(".")
            || t.is("::");
        if !glue {
            out.push(' ');
        }
        out.push_str(&t.sql(upper));
        prev = Some(t);
    }
    out
}

fn statement(dialect: Dialect, c: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    if c.eat_kw("ALTER") {
        if c.eat_kw("TABLE") {
            return alter_table(c);
        }
        return alter_other(c);
    }
    if c.eat_kw("CREATE") {
        return create(c);
    }
    if c.eat_kw("DROP") {
        return drop(c);
    }
    if c.eat_kw("REINDEX") {
        let options = c.options();
        // the system catalogs have no concurrent rebuild: nothing to ask for
        if c.eat_kw("SYSTEM") {
            return vec![Op::Other {
                kind: "REINDEX SYSTEM".into(),
            }];
        }
        let _ =
            c.eat_kw("INDEX") || c.eat_kw("TABLE") || c.eat_kw("SCHEMA") || c.eat_kw("DATABASE");
        let concurrently =
            c.eat_kw("CONCURRENTLY") || options.iter().any(|(o, on)| o == "concurrently" && *on);
        return vec![Op::Reindex {
            target: c.name(),
            concurrently,
        }];
    }
    if c.eat_kw("TRUNCATE") {
        c.eat_kw("TABLE");
        c.eat_kw("ONLY");
        let tables = c.names();
        let cascade = c.contains_kws(&["CASCADE"]);
        return vec![Op::Truncate { tables, cascade }];
    }
    if c.eat_kw("VACUUM") {
        let mut full = c.eat_kw("FULL");
        full |= c.options().iter().any(|(o, on)| o == "full" && *on);
        while c.eat_kw("FREEZE") || c.eat_kw("VERBOSE") || c.eat_kw("ANALYZE") {}
        let table = c.name();
        return vec![if full {
            Op::TableRewrite {
                table,
                kind: RewriteKind::VacuumFull,
            }
        } else {
            Op::Vacuum
        }];
    }
    if c.eat_kw("CLUSTER") {
        c.eat_kw("VERBOSE");
        return vec![Op::TableRewrite {
            table: c.name(),
            kind: RewriteKind::Cluster,
        }];
    }
    // MariaDB's `BEGIN NOT ATOMIC .. END` is a compound statement, not a transaction
    let compound = c
        .toks
        .get(c.pos..c.pos + 3)
        .is_some_and(|w| w[0].is_kw("BEGIN") && w[1].is_kw("NOT") && w[2].is_kw("ATOMIC"));
    if !compound && c.eat_kw("BEGIN") || c.eat_kws(&["START", "TRANSACTION"]) {
        return vec![Op::Transaction(TxControl::Begin)];
    }
    // a bare END, not a procedure body's `END IF`
    if c.eat_kw("COMMIT") || (c.peek_kw("END") && c.toks.len() <= 3 && !c.contains_kws(&["IF"])) {
        return vec![Op::Transaction(TxControl::Commit)];
    }
    if c.eat_kw("ROLLBACK") {
        return vec![Op::Transaction(if c.contains_kws(&["TO"]) {
            TxControl::RollbackToSavepoint
        } else {
            TxControl::Rollback
        })];
    }
    if dialect == Dialect::Mysql && c.eat_kws(&["RENAME", "TABLE"]) {
        let mut ops = Vec::new();
        while let Some(from) = c.name() {
            if !c.eat_kw("TO") {
                break;
            }
            let Some(mut to) = c.name() else { break };
            if to.schema.is_none() {
                to.schema = from.schema.clone();
            }
            ops.push(Op::RenameTable { from, to });
            if !c.eat(",") {
                break;
            }
        }
        return ops;
    }
    Vec::new()
}

fn create(c: &mut Cursor) -> Vec<Operation> {
    if c.eat_kw("TABLE") {
        return create_table(c);
    }
    // `CREATE DOMAIN d AS t [COLLATE ..] [DEFAULT ..] [CONSTRAINT c] CHECK (..) | NOT NULL`
    if c.eat_kw("DOMAIN") {
        let Some(domain) = c.name() else {
            return Vec::new();
        };
        let constrained = c.contains_kws(&["CHECK"])
            || c.contains_kws(&["NOT", "NULL"])
            || c.contains_kws(&["CONSTRAINT"]);
        return if constrained {
            vec![Operation::DomainConstraint {
                domain,
                create: true,
                not_valid: false,
            }]
        } else {
            Vec::new()
        };
    }
    let unique = c.eat_kw("UNIQUE");
    let fulltext_or_spatial = c.eat_kw("FULLTEXT") || c.eat_kw("SPATIAL");
    if !c.eat_kw("INDEX") {
        return Vec::new();
    }
    let concurrently = c.eat_kw("CONCURRENTLY");
    let if_not_exists = c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name = if c.peek_kw("ON") {
        None
    } else {
        c.name().map(|n| n.name)
    };
    if !c.eat_kw("ON") {
        return Vec::new();
    }
    c.eat_kw("ONLY");
    let Some(table) = c.name() else {
        return Vec::new();
    };
    if c.eat_kw("USING") {
        c.ident();
    }
    vec![Operation::CreateIndex {
        name,
        table,
        columns: c.paren_list(),
        unique,
        concurrently,
        if_not_exists,
        fulltext_or_spatial,
        // the scanner skips the method, options and predicate
        shape: IndexShape::Unknown,
        partial: false,
    }]
}

fn drop(c: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    if c.eat_kw("TABLE") {
        let if_exists = c.eat_kws(&["IF", "EXISTS"]);
        let tables = c.names();
        let cascade = c.eat_kw("CASCADE");
        return vec![Op::DropTable {
            tables,
            if_exists,
            cascade,
        }];
    }
    if c.eat_kw("INDEX") {
        let concurrently = c.eat_kw("CONCURRENTLY");
        let if_exists = c.eat_kws(&["IF", "EXISTS"]);
        let names = c.names();
        let table = if c.eat_kw("ON") { c.name() } else { None };
        return vec![Op::DropIndex {
            names,
            table,
            concurrently,
            if_exists,
        }];
    }
    let kind = if c.eat_kws(&["MATERIALIZED", "VIEW"]) {
        ObjectKind::MaterializedView
    } else if let Some(kind) = object_kind(c) {
        kind
    } else {
        return Vec::new();
    };
    let if_exists = c.eat_kws(&["IF", "EXISTS"]);
    vec![Op::DropObject {
        kind,
        names: c.names(),
        if_exists,
    }]
}

fn object_kind(c: &mut Cursor) -> Option<ObjectKind> {
    const KINDS: &[(&str, ObjectKind)] = &[
        ("VIEW", ObjectKind::View),
        ("INDEX", ObjectKind::Index),
        ("SEQUENCE", ObjectKind::Sequence),
        ("SCHEMA", ObjectKind::Schema),
        ("DATABASE", ObjectKind::Database),
        ("FUNCTION", ObjectKind::Function),
        ("PROCEDURE", ObjectKind::Procedure),
        ("TYPE", ObjectKind::Type),
        ("DOMAIN", ObjectKind::Domain),
        ("EXTENSION", ObjectKind::Extension),
        ("TRIGGER", ObjectKind::Trigger),
    ];
    let kind = KINDS.iter().find(|(kw, _)| c.peek_kw(kw))?.1;
    c.pos += 1;
    Some(kind)
}

/// `ALTER INDEX|VIEW|SEQUENCE|TYPE|... name RENAME TO x | SET SCHEMA s | ADD VALUE ..`.
fn alter_other(c: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    let kind = if c.eat_kws(&["MATERIALIZED", "VIEW"]) {
        ObjectKind::MaterializedView
    } else if let Some(kind) = object_kind(c) {
        kind
    } else {
        return Vec::new();
    };
    c.eat_kws(&["IF", "EXISTS"]);
    let Some(name) = c.name() else {
        return Vec::new();
    };
    if kind == ObjectKind::Type && c.eat_kws(&["ADD", "VALUE"]) {
        return vec![Op::AddEnumValue {
            type_name: name,
            positioned: c.contains_kws(&["BEFORE"]) || c.contains_kws(&["AFTER"]),
        }];
    }
    if kind == ObjectKind::Domain && c.eat_kw("ADD") {
        return vec![Op::DomainConstraint {
            domain: name,
            create: false,
            not_valid: c.contains_kws(&["NOT", "VALID"]),
        }];
    }
    if c.eat_kws(&["RENAME", "TO"]) {
        if let Some(to) = c.ident() {
            return vec![Op::RenameObject {
                kind,
                from: name,
                to,
            }];
        }
    } else if c.eat_kws(&["SET", "SCHEMA"])
        && let Some(schema) = c.ident()
    {
        return vec![Op::SetSchema { kind, name, schema }];
    }
    Vec::new()
}

fn alter_table(c: &mut Cursor) -> Vec<Operation> {
    c.eat_kws(&["IF", "EXISTS"]);
    c.eat_kw("ONLY");
    let Some(table) = c.name() else {
        return Vec::new();
    };
    c.eat("*");
    let mut ops = Vec::new();
    let (mut algorithm, mut lock) = (None, None);
    let mut unread = false;
    loop {
        let action = c.until_comma();
        let mut a = Cursor {
            toks: action,
            pos: 0,
        };
        if a.eat_kw("ALGORITHM") {
            a.eat("=");
            algorithm = a.peek().map(|t| t.sql(true));
        } else if a.eat_kw("LOCK") {
            a.eat("=");
            lock = a.peek().map(|t| t.sql(true));
        } else if !action.is_empty() {
            let op = alter_action(&table, &mut a);
            unread |= op.is_empty();
            ops.extend(op);
        }
        if !c.eat(",") {
            break;
        }
    }
    if algorithm.is_some() || lock.is_some() {
        ops.push(Operation::AlterTableOptions {
            table,
            algorithm,
            lock,
        });
    }
    // an action the scan cannot type: said, so that nothing counts the statement as read
    if ops.is_empty() || unread {
        ops.push(Operation::Other {
            kind: "ALTER TABLE".into(),
        });
    }
    ops
}

/// `ALTER CONSTRAINT n` and its timing; anything else in the action (PostgreSQL 18's
/// `[NOT] ENFORCED`, `[NO] INHERIT`) is not typed.
fn alter_constraint(table: &ObjName, a: &mut Cursor) -> Vec<Operation> {
    let Some(name) = a.ident() else {
        return Vec::new();
    };
    let (mut deferrable, mut initially_deferred) = (None, None);
    while !a.at_end() {
        if a.eat_kws(&["NOT", "DEFERRABLE"]) {
            deferrable = Some(false);
        } else if a.eat_kw("DEFERRABLE") {
            deferrable = Some(true);
        } else if a.eat_kws(&["INITIALLY", "DEFERRED"]) {
            initially_deferred = Some(true);
        } else if a.eat_kws(&["INITIALLY", "IMMEDIATE"]) {
            initially_deferred = Some(false);
        } else {
            return Vec::new();
        }
    }
    if deferrable.is_none() && initially_deferred.is_none() {
        return Vec::new();
    }
    vec![Operation::AlterConstraint {
        table: table.clone(),
        name,
        deferrable,
        initially_deferred,
    }]
}

fn alter_action(table: &ObjName, a: &mut Cursor) -> Vec<Operation> {
    use Operation as Op;
    let t = || table.clone();
    let rewrite = |kind| {
        vec![Op::TableRewrite {
            table: Some(table.clone()),
            kind,
        }]
    };
    if a.eat_kw("ADD") {
        // PG 18 `ADD CONSTRAINT n NOT NULL col` is a SET NOT NULL with a name
        if a.peek_kw("CONSTRAINT")
            && a.toks.get(a.pos + 2).is_some_and(|t| t.is_kw("NOT"))
            && a.toks.get(a.pos + 3).is_some_and(|t| t.is_kw("NULL"))
        {
            let name = a.toks.get(a.pos + 1).and_then(Tok::ident);
            a.pos += 4;
            let Some(column) = a.ident() else {
                return Vec::new();
            };
            if a.eat_kws(&["NOT", "VALID"]) {
                return vec![Op::AddConstraint {
                    table: t(),
                    constraint: ConstraintSpec {
                        name,
                        kind: ConstraintKind::NotNull,
                        columns: vec![column],
                        references: None,
                        fk_clause: None,
                        not_valid: true,
                        using_index: None,
                        check_expr: None,
                    },
                }];
            }
            return vec![Op::SetNotNull { table: t(), column }];
        }
        if let Some(constraint) = constraint(a) {
            return vec![Op::AddConstraint {
                table: t(),
                constraint,
            }];
        }
        let fulltext_or_spatial = a.eat_kw("FULLTEXT") || a.eat_kw("SPATIAL");
        if a.eat_kw("INDEX") || a.eat_kw("KEY") || fulltext_or_spatial {
            let _ = a.eat_kw("INDEX") || a.eat_kw("KEY");
            let name = if a.peek().is_some_and(|t| t.is("(")) {
                None
            } else {
                a.ident()
            };
            return vec![Op::CreateIndex {
                name,
                table: t(),
                columns: a.paren_list(),
                unique: false,
                concurrently: false,
                if_not_exists: false,
                fulltext_or_spatial,
                shape: IndexShape::Unknown,
                partial: false,
            }];
        }
        a.eat_kw("COLUMN");
        let if_not_exists = a.eat_kws(&["IF", "NOT", "EXISTS"]);
        return match column(a) {
            Some(column) => vec![Op::AddColumn {
                table: t(),
                column,
                if_not_exists,
            }],
            None => Vec::new(),
        };
    }
    if a.eat_kw("DROP") {
        if a.eat_kw("CONSTRAINT") {
            let if_exists = a.eat_kws(&["IF", "EXISTS"]);
            return a
                .ident()
                .map(|name| Op::DropConstraint {
                    table: t(),
                    name,
                    if_exists,
                })
                .into_iter()
                .collect();
        }
        if a.eat_kws(&["PRIMARY", "KEY"]) {
            return vec![Op::DropConstraint {
                table: t(),
                name: "primary".into(),
                if_exists: false,
            }];
        }
        if a.eat_kws(&["FOREIGN", "KEY"]) || a.eat_kw("CHECK") {
            return a
                .ident()
                .map(|name| Op::DropConstraint {
                    table: t(),
                    name,
                    if_exists: false,
                })
                .into_iter()
                .collect();
        }
        if a.eat_kw("INDEX") || a.eat_kw("KEY") {
            return a
                .ident()
                .map(|n| Op::DropIndex {
                    names: vec![ObjName::new(None, &n)],
                    table: Some(t()),
                    concurrently: false,
                    if_exists: false,
                })
                .into_iter()
                .collect();
        }
        a.eat_kw("COLUMN");
        let if_exists = a.eat_kws(&["IF", "EXISTS"]);
        return a
            .ident()
            .map(|column| Op::DropColumn {
                table: t(),
                column,
                if_exists,
            })
            .into_iter()
            .collect();
    }
    if a.eat_kw("RENAME") {
        if a.eat_kw("TO") || a.eat_kw("AS") {
            return a
                .name()
                .map(|mut to| {
                    if to.schema.is_none() {
                        to.schema = table.schema.clone();
                    }
                    Op::RenameTable { from: t(), to }
                })
                .into_iter()
                .collect();
        }
        if a.eat_kw("CONSTRAINT") {
            let from = a.ident();
            a.eat_kw("TO");
            if let (Some(from), Some(to)) = (from, a.ident()) {
                return vec![Op::RenameObject {
                    kind: ObjectKind::Constraint,
                    from: ObjName::new(None, &from),
                    to,
                }];
            }
            return Vec::new();
        }
        // MySQL `RENAME new_name`: the table, without TO
        if a.toks.len() == a.pos + 1 {
            return a
                .name()
                .map(|mut to| {
                    to.schema = table.schema.clone();
                    Op::RenameTable { from: t(), to }
                })
                .into_iter()
                .collect();
        }
        let is_index = a.eat_kw("INDEX") || a.eat_kw("KEY");
        a.eat_kw("COLUMN");
        let from = a.ident();
        a.eat_kw("TO");
        return match (from, a.ident()) {
            (Some(from), Some(to)) if is_index => vec![Op::RenameObject {
                kind: ObjectKind::Index,
                from: ObjName::new(table.schema.as_deref(), &from),
                to,
            }],
            (Some(from), Some(to)) => vec![Op::RenameColumn {
                table: t(),
                from,
                to,
            }],
            _ => Vec::new(),
        };
    }
    if a.eat_kws(&["ALTER", "CONSTRAINT"]) {
        return alter_constraint(table, a);
    }
    if a.eat_kw("ALTER") {
        a.eat_kw("COLUMN");
        let Some(column) = a.ident() else {
            return Vec::new();
        };
        if a.eat_kws(&["SET", "DATA", "TYPE"]) || a.eat_kw("TYPE") {
            let rest = a.until_comma();
            let using_at = rest.iter().position(|t| t.is_kw("USING"));
            let (ty, using) = match using_at {
                Some(i) => (&rest[..i], Some(render(&rest[i + 1..], false))),
                None => (rest, None),
            };
            return vec![Op::AlterColumnType {
                table: t(),
                column,
                new_type: render(ty, true),
                using,
            }];
        }
        if a.eat_kws(&["SET", "NOT", "NULL"]) {
            return vec![Op::SetNotNull { table: t(), column }];
        }
        if a.eat_kws(&["DROP", "NOT", "NULL"]) {
            return vec![Op::DropNotNull { table: t(), column }];
        }
        if a.eat_kws(&["SET", "DEFAULT"]) {
            let default = render(a.until_comma(), false);
            let volatility = volatility::of_expr(&default);
            return vec![Op::SetDefault {
                table: t(),
                column,
                default,
                volatility,
            }];
        }
        if a.eat_kws(&["DROP", "DEFAULT"]) {
            return vec![Op::DropDefault { table: t(), column }];
        }
        if a.eat_kws(&["DROP", "EXPRESSION"]) {
            return vec![Op::DropExpression { table: t(), column }];
        }
        if a.eat_kws(&["ADD", "GENERATED"])
            || a.eat_kws(&["DROP", "IDENTITY"])
            || a.eat_kws(&["SET", "GENERATED"])
            || a.peek_kw("RESTART")
        {
            return vec![Op::AlterIdentity { table: t(), column }];
        }
        return Vec::new();
    }
    if a.eat_kws(&["VALIDATE", "CONSTRAINT"]) {
        return a
            .ident()
            .map(|name| Op::ValidateConstraint { table: t(), name })
            .into_iter()
            .collect();
    }
    if a.eat_kw("SET") {
        if a.eat_kw("TABLESPACE") {
            return rewrite(RewriteKind::SetTablespace);
        }
        if a.eat_kw("LOGGED") {
            return rewrite(RewriteKind::SetLogged);
        }
        if a.eat_kw("UNLOGGED") {
            return rewrite(RewriteKind::SetUnlogged);
        }
        if a.eat_kws(&["ACCESS", "METHOD"]) {
            return rewrite(RewriteKind::SetAccessMethod);
        }
        if a.eat_kw("SCHEMA") {
            return a
                .ident()
                .map(|schema| Op::SetSchema {
                    kind: ObjectKind::Table,
                    name: t(),
                    schema,
                })
                .into_iter()
                .collect();
        }
        return Vec::new();
    }
    if a.eat_kws(&["CONVERT", "TO"]) {
        // `CHARACTER SET cs [COLLATE c]`; `CHARACTER SET DEFAULT` names no charset
        let _ = a.eat_kws(&["CHARACTER", "SET"]) || a.eat_kw("CHARSET");
        a.eat("=");
        let charset = a
            .ident()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c != "default");
        let collation = if a.eat_kw("COLLATE") {
            a.eat("=");
            a.ident().map(|c| c.to_ascii_lowercase())
        } else {
            None
        };
        return match charset {
            Some(charset) => vec![Op::ConvertCharset {
                table: t(),
                charset,
                collation,
            }],
            None => rewrite(RewriteKind::Rebuild),
        };
    }
    if a.eat_kw("ENGINE") || a.eat_kw("FORCE") {
        return rewrite(RewriteKind::Rebuild);
    }
    if a.eat_kw("MODIFY") || a.eat_kw("CHANGE") {
        let change = a.toks[0].is_kw("CHANGE");
        a.eat_kw("COLUMN");
        let Some(from) = a.ident() else {
            return Vec::new();
        };
        let mut ops = Vec::new();
        let mut column = from.clone();
        let mut def_at = a.pos - 1;
        if change && let Some(to) = a.ident() {
            def_at = a.pos - 1;
            if to != from {
                ops.push(Op::RenameColumn {
                    table: t(),
                    from,
                    to: to.clone(),
                });
            }
            column = to;
        }
        let ty = column_type(a);
        ops.push(Op::AlterColumnType {
            table: t(),
            column,
            new_type: render(ty, true),
            using: None,
        });
        let mut def = Cursor {
            toks: a.toks,
            pos: def_at,
        };
        if let Some(column) = self::column(&mut def) {
            ops.push(Op::RedefineColumn { table: t(), column });
        }
        return ops;
    }
    if a.eat_kws(&["DETACH", "PARTITION"]) {
        a.name();
        return vec![Op::DetachPartition {
            table: t(),
            concurrently: a.eat_kw("CONCURRENTLY"),
            finalize: a.eat_kw("FINALIZE"),
        }];
    }
    if a.eat_kws(&["ATTACH", "PARTITION"]) {
        return vec![Op::AttachPartition { table: t() }];
    }
    Vec::new()
}

/// `CREATE TABLE [IF NOT EXISTS] name (columns and constraints)`.
fn create_table(c: &mut Cursor) -> Vec<Operation> {
    let if_not_exists = c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let Some(table) = c.name() else {
        return Vec::new();
    };
    let (mut columns, mut constraints) = (Vec::new(), Vec::new());
    let from_query = !c.eat("(");
    if !from_query {
        loop {
            let item = c.until_comma();
            let mut a = Cursor { toks: item, pos: 0 };
            if let Some(k) = constraint(&mut a) {
                constraints.push(k);
            } else if !["INDEX", "KEY", "FULLTEXT", "SPATIAL", "LIKE"]
                .iter()
                .any(|kw| a.peek_kw(kw))
                && let Some(col) = column(&mut a)
            {
                columns.push(col);
            }
            if !c.eat(",") {
                break;
            }
        }
    }
    vec![Operation::CreateTable {
        table,
        columns,
        constraints,
        if_not_exists,
        from_query,
    }]
}

/// `[CONSTRAINT name] CHECK (..) | FOREIGN KEY (..) REFERENCES t | UNIQUE .. | PRIMARY KEY ..`
fn constraint(a: &mut Cursor) -> Option<ConstraintSpec> {
    let start = a.pos;
    let name = if a.eat_kw("CONSTRAINT") {
        a.ident()
    } else {
        None
    };
    let mut spec = ConstraintSpec {
        name,
        kind: ConstraintKind::Check,
        columns: Vec::new(),
        references: None,
        fk_clause: None,
        not_valid: a.contains_kws(&["NOT", "VALID"]),
        using_index: None,
        check_expr: None,
    };
    if a.eat_kw("CHECK") {
        // the expression inside the parentheses; a statement cut after CHECK has none
        if a.peek().is_some_and(|t| t.is("(")) {
            let body_start = a.pos + 1;
            a.paren_list();
            let closed = a.pos > body_start && a.toks[a.pos - 1].is(")");
            let body_end = if closed { a.pos - 1 } else { a.pos };
            spec.check_expr = Some(render(&a.toks[body_start..body_end], false));
        }
    } else if a.eat_kws(&["FOREIGN", "KEY"]) {
        spec.kind = ConstraintKind::ForeignKey;
        spec.columns = a.paren_list();
        if a.eat_kw("REFERENCES") {
            spec.references = a.name();
        }
    } else if a.eat_kw("UNIQUE") || a.eat_kws(&["PRIMARY", "KEY"]) {
        spec.kind = if a.toks[a.pos - 1].is_kw("UNIQUE") {
            ConstraintKind::Unique
        } else {
            ConstraintKind::PrimaryKey
        };
        // MySQL `UNIQUE [KEY|INDEX] [name] (cols)`
        if a.eat_kw("KEY") || a.eat_kw("INDEX") {
            let idx = a.ident();
            spec.name = spec.name.or(idx);
        }
        let _ = a.eat_kws(&["NULLS", "NOT", "DISTINCT"]) || a.eat_kws(&["NULLS", "DISTINCT"]);
        if a.eat_kws(&["USING", "INDEX"]) {
            spec.using_index = a.ident();
        } else {
            spec.columns = a.paren_list();
        }
    } else if a.eat_kw("EXCLUDE") {
        spec.kind = ConstraintKind::Exclude;
    } else {
        a.pos = start;
        return None;
    }
    Some(spec)
}

/// The type tokens of a column definition: up to the first constraint keyword.
fn column_type<'a>(a: &mut Cursor<'a>) -> &'a [Tok] {
    const STOP: &[&str] = &[
        "NOT",
        "NULL",
        "DEFAULT",
        "PRIMARY",
        "UNIQUE",
        "REFERENCES",
        "CHECK",
        "CONSTRAINT",
        "GENERATED",
        "COLLATE",
        "AUTO_INCREMENT",
        "COMMENT",
        "FIRST",
        "AFTER",
        "CHARACTER",
        "CHARSET",
        "ON",
        "AS",
        "USING",
        "INVISIBLE",
        "VISIBLE",
    ];
    let toks = a.toks;
    let start = a.pos;
    let mut depth = 0usize;
    while let Some(t) = a.peek() {
        if t.is("(") {
            depth += 1;
        } else if t.is(")") {
            depth = depth.saturating_sub(1);
        } else if depth == 0
            && (STOP.iter().any(|kw| t.is_kw(kw)) || (a.pos > start && t.is_kw("BINARY")))
        {
            // `CHARACTER VARYING` is a type, `CHARACTER SET` is not
            if !(t.is_kw("CHARACTER") && toks.get(a.pos + 1).is_some_and(|n| n.is_kw("VARYING"))) {
                break;
            }
        }
        a.pos += 1;
    }
    &toks[start..a.pos]
}

/// `name type [constraints]` of ADD COLUMN.
fn column(a: &mut Cursor) -> Option<ColumnSpec> {
    let name = a.ident()?;
    let data_type = render(column_type(a), true);
    let mut spec = ColumnSpec {
        name,
        serial: super::classify::is_serial(&data_type),
        data_type,
        not_null: false,
        default: None,
        default_volatility: None,
        generated: None,
        primary_key: false,
        unique: false,
        references: None,
        fk_clause: None,
        fk_name: None,
        generation: None,
        check: false,
        position: None,
        charset: None,
        collation: None,
    };
    while !a.at_end() {
        if a.eat_kws(&["NOT", "NULL"]) {
            spec.not_null = true;
        } else if a.eat_kw("DEFAULT") {
            let start = a.pos;
            // the default runs to the next column-constraint keyword
            let mut depth = 0usize;
            while let Some(t) = a.peek() {
                if t.is("(") {
                    depth += 1;
                } else if t.is(")") {
                    depth = depth.saturating_sub(1);
                } else if depth == 0
                    && a.pos > start
                    && [
                        "NOT",
                        "NULL",
                        "PRIMARY",
                        "UNIQUE",
                        "REFERENCES",
                        "CHECK",
                        "CONSTRAINT",
                    ]
                    .iter()
                    .chain(&["GENERATED", "COLLATE", "COMMENT", "FIRST", "AFTER", "ON"])
                    .any(|kw| t.is_kw(kw))
                {
                    break;
                }
                a.pos += 1;
            }
            let text = render(&a.toks[start..a.pos], false);
            spec.default_volatility = Some(volatility::of_expr(&text));
            spec.default = Some(text);
        } else if a.eat_kws(&["PRIMARY", "KEY"]) {
            spec.primary_key = true;
            spec.not_null = true;
        } else if a.eat_kw("UNIQUE") {
            spec.unique = true;
        } else if a.eat_kw("REFERENCES") {
            spec.references = a.name();
        } else if a.eat_kw("CHECK") {
            spec.check = true;
            a.paren_list();
        } else if a.eat_kw("AUTO_INCREMENT") {
            spec.serial = true;
        } else if a.eat_kw("GENERATED") {
            let rest: Vec<&Tok> = a.toks[a.pos..].iter().collect();
            a.pos = a.toks.len();
            let has = |kw: &str| rest.iter().any(|t| t.is_kw(kw));
            spec.generated = Some(if has("IDENTITY") {
                Generated::Identity
            } else if has("STORED") {
                Generated::Stored
            } else {
                Generated::Virtual
            });
        } else if a.eat_kws(&["CHARACTER", "SET"]) || a.eat_kw("CHARSET") {
            a.eat("=");
            spec.charset = a.ident().map(|c| c.to_ascii_lowercase());
        } else if a.eat_kw("COLLATE") {
            a.eat("=");
            let c = a.ident().map(|c| c.to_ascii_lowercase());
            if spec.charset.is_none() {
                spec.charset = c
                    .as_deref()
                    .and_then(crate::sql::classify::charset_of_collation);
            }
            spec.collation = c;
        } else if a.eat_kw("BINARY") {
            spec.collation = Some(super::ops::BINARY_ATTRIBUTE.into());
        } else if a.eat_kw("FIRST") {
            spec.position = Some("FIRST".into());
        } else if a.eat_kw("AFTER") {
            spec.position = a.peek().map(|t| format!("AFTER {}", t.sql(false)));
            a.pos += 1;
        } else {
            a.pos += 1;
        }
    }
    Some(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ops::{BINARY_ATTRIBUTE, Operation as Op, Volatility};

    fn pg(sql: &str) -> Vec<Operation> {
        scan(Dialect::Postgres, sql)
    }

    fn t(name: &str) -> ObjName {
        ObjName::new(None, name)
    }

    #[test]
    fn drop_index_concurrently_if_exists() {
        assert_eq!(
            pg("DROP INDEX CONCURRENTLY IF EXISTS idx"),
            vec![Op::DropIndex {
                names: vec![t("idx")],
                table: None,
                concurrently: true,
                if_exists: true,
            }]
        );
    }

    #[test]
    fn reindex_concurrently() {
        assert_eq!(
            pg("REINDEX INDEX CONCURRENTLY i"),
            vec![Op::Reindex {
                target: Some(t("i")),
                concurrently: true,
            }]
        );
        assert_eq!(
            pg("REINDEX (VERBOSE) TABLE s.t"),
            vec![Op::Reindex {
                target: Some(ObjName::new(Some("s"), "t")),
                concurrently: false,
            }]
        );
        for (sql, concurrently) in [
            ("REINDEX (CONCURRENTLY) TABLE foo", true),
            ("REINDEX (VERBOSE, CONCURRENTLY true) TABLE foo", true),
            ("REINDEX (CONCURRENTLY false) TABLE foo", false),
            ("REINDEX (CONCURRENTLY off, VERBOSE) TABLE foo", false),
        ] {
            assert_eq!(
                pg(sql),
                vec![Op::Reindex {
                    target: Some(t("foo")),
                    concurrently,
                }],
                "{sql}"
            );
        }
        assert_eq!(
            pg("REINDEX SYSTEM mydb"),
            vec![Op::Other {
                kind: "REINDEX SYSTEM".into()
            }]
        );
    }

    #[test]
    fn check_cut_before_its_expression() {
        // found by the `sql` and `lint` fuzz targets: the body was sliced past the tokens
        let check = |name: &str, check_expr: Option<&str>| Op::AddConstraint {
            table: t("storage_bonus"),
            constraint: ConstraintSpec {
                name: Some(name.into()),
                kind: ConstraintKind::Check,
                columns: Vec::new(),
                references: None,
                fk_clause: None,
                not_valid: false,
                using_index: None,
                check_expr: check_expr.map(str::to_owned),
            },
        };
        for d in [Dialect::Postgres, Dialect::Mysql] {
            assert_eq!(
                scan(
                    d,
                    "ALTER TABLE storage_bonus\n    ADD CONSTRAINT storage_bonus CHECK "
                ),
                vec![check("storage_bonus", None)]
            );
            assert_eq!(
                scan(d, "ALTER TABLE storage_bonus ADD CONSTRAINT c CHECK ("),
                vec![check("c", Some(""))]
            );
            assert_eq!(
                scan(d, "ALTER TABLE storage_bonus ADD CONSTRAINT c CHECK (a > 0"),
                vec![check("c", Some("a > 0"))]
            );
        }
    }

    #[test]
    fn deferrable_unique_constraint() {
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT c UNIQUE (a) DEFERRABLE INITIALLY DEFERRED"),
            vec![Op::AddConstraint {
                table: t("t"),
                constraint: ConstraintSpec {
                    name: Some("c".into()),
                    kind: ConstraintKind::Unique,
                    columns: vec!["a".into()],
                    references: None,
                    fk_clause: None,
                    not_valid: false,
                    using_index: None,
                    check_expr: None,
                },
            }]
        );
    }

    #[test]
    fn mariadb_begin_not_atomic_is_not_a_transaction() {
        let my = |sql| scan(Dialect::Mysql, sql);
        assert_eq!(
            my("BEGIN NOT ATOMIC DECLARE i INT; SET i = 1; END"),
            vec![Op::Other {
                kind: "BEGIN".into()
            }]
        );
        assert_eq!(my("BEGIN"), vec![Op::Transaction(TxControl::Begin)]);
        assert_eq!(my("BEGIN WORK"), vec![Op::Transaction(TxControl::Begin)]);
        // a stored program's body holds no transaction control of the file
        let ops = my("CREATE PROCEDURE p() BEGIN START TRANSACTION; COMMIT; END");
        assert!(
            !ops.iter().any(|o| matches!(o, Op::Transaction(_))),
            "{ops:?}"
        );
    }

    #[test]
    fn do_block_body_is_not_scanned() {
        let ops = pg("DO $$ begin alter table x drop column y; end $$");
        assert_eq!(ops, vec![Op::Other { kind: "DO".into() }]);
    }

    #[test]
    fn alter_table_actions() {
        let ops = pg("ALTER TABLE IF EXISTS ONLY \"Foo\" \
             ADD COLUMN n int NOT NULL DEFAULT 0, \
             ADD COLUMN u uuid DEFAULT gen_random_uuid(), \
             ALTER COLUMN a SET DATA TYPE varchar(20) USING a::text, \
             ALTER b SET NOT NULL, ALTER COLUMN c DROP EXPRESSION, \
             RENAME x TO y, DROP CONSTRAINT IF EXISTS k, \
             ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES s.u (id) NOT VALID, \
             VALIDATE CONSTRAINT fk2, SET TABLESPACE fast, SET SCHEMA other");
        let foo = t("Foo");
        let add = |name: &str, ty: &str, not_null, default: &str, v| Op::AddColumn {
            table: foo.clone(),
            column: ColumnSpec {
                name: name.into(),
                data_type: ty.into(),
                not_null,
                default: Some(default.into()),
                default_volatility: Some(v),
                serial: false,
                generated: None,
                primary_key: false,
                unique: false,
                references: None,
                fk_clause: None,
                fk_name: None,
                generation: None,
                check: false,
                position: None,
                charset: None,
                collation: None,
            },
            if_not_exists: false,
        };
        assert_eq!(
            ops,
            vec![
                add("n", "INT", true, "0", Volatility::Immutable),
                add(
                    "u",
                    "UUID",
                    false,
                    "gen_random_uuid()",
                    Volatility::Volatile
                ),
                Op::AlterColumnType {
                    table: foo.clone(),
                    column: "a".into(),
                    new_type: "VARCHAR(20)".into(),
                    using: Some("a::text".into()),
                },
                Op::SetNotNull {
                    table: foo.clone(),
                    column: "b".into(),
                },
                Op::DropExpression {
                    table: foo.clone(),
                    column: "c".into(),
                },
                Op::RenameColumn {
                    table: foo.clone(),
                    from: "x".into(),
                    to: "y".into(),
                },
                Op::DropConstraint {
                    table: foo.clone(),
                    name: "k".into(),
                    if_exists: true,
                },
                Op::AddConstraint {
                    table: foo.clone(),
                    constraint: ConstraintSpec {
                        name: Some("fk".into()),
                        kind: ConstraintKind::ForeignKey,
                        columns: vec!["a".into()],
                        references: Some(ObjName::new(Some("s"), "u")),
                        fk_clause: None,
                        not_valid: true,
                        using_index: None,
                        check_expr: None,
                    },
                },
                Op::ValidateConstraint {
                    table: foo.clone(),
                    name: "fk2".into(),
                },
                Op::TableRewrite {
                    table: Some(foo.clone()),
                    kind: RewriteKind::SetTablespace,
                },
                Op::SetSchema {
                    kind: ObjectKind::Table,
                    name: foo,
                    schema: "other".into(),
                },
            ]
        );
    }

    #[test]
    fn create_index_variants() {
        assert_eq!(
            pg(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t USING btree (a, lower(b)) NULLS NOT DISTINCT"
            ),
            vec![Op::CreateIndex {
                name: Some("i".into()),
                table: ObjName::new(Some("s"), "t"),
                columns: vec!["a".into(), "lower(b)".into()],
                unique: true,
                concurrently: true,
                if_not_exists: true,
                fulltext_or_spatial: false,
                shape: IndexShape::Unknown,
                partial: false,
            }]
        );
        match scan(Dialect::Mysql, "CREATE FULLTEXT INDEX ft ON posts (body)").as_slice() {
            [
                Op::CreateIndex {
                    fulltext_or_spatial: true,
                    table,
                    ..
                },
            ] => assert_eq!(table, &t("posts")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mysql_actions() {
        assert_eq!(
            scan(
                Dialect::Mysql,
                "ALTER TABLE `t` ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE"
            ),
            vec![
                Op::TableRewrite {
                    table: Some(t("t")),
                    kind: RewriteKind::Rebuild,
                },
                Op::AlterTableOptions {
                    table: t("t"),
                    algorithm: Some("INPLACE".into()),
                    lock: Some("NONE".into()),
                },
            ]
        );
        assert_eq!(
            scan(
                Dialect::Mysql,
                "ALTER TABLE t CHANGE a b VARCHAR(10) NOT NULL"
            ),
            vec![
                Op::RenameColumn {
                    table: t("t"),
                    from: "a".into(),
                    to: "b".into(),
                },
                Op::AlterColumnType {
                    table: t("t"),
                    column: "b".into(),
                    new_type: "VARCHAR(10)".into(),
                    using: None,
                },
                Op::RedefineColumn {
                    table: t("t"),
                    column: ColumnSpec {
                        name: "b".into(),
                        data_type: "VARCHAR(10)".into(),
                        not_null: true,
                        default: None,
                        default_volatility: None,
                        serial: false,
                        generated: None,
                        primary_key: false,
                        unique: false,
                        references: None,
                        fk_clause: None,
                        fk_name: None,
                        generation: None,
                        check: false,
                        position: None,
                        charset: None,
                        collation: None,
                    },
                },
            ]
        );
    }

    #[test]
    fn other_statements() {
        assert_eq!(
            pg("CREATE STATISTICS s (dependencies) ON a, b FROM t"),
            vec![Op::Other {
                kind: "CREATE STATISTICS".into()
            }]
        );
        assert_eq!(
            pg("VACUUM (FULL, ANALYZE) t"),
            vec![Op::TableRewrite {
                table: Some(t("t")),
                kind: RewriteKind::VacuumFull,
            }]
        );
        assert_eq!(pg("VACUUM (FULL FALSE) t"), vec![Op::Vacuum]);
        assert_eq!(
            pg("ALTER DOMAIN s.d ADD CONSTRAINT c CHECK (value > 0) NOT VALID"),
            vec![Op::DomainConstraint {
                domain: ObjName::new(Some("s"), "d"),
                create: false,
                not_valid: true,
            }]
        );
        assert_eq!(
            pg("CREATE DOMAIN d AS t CHECK (value > 0) NOT NULL"),
            vec![Op::DomainConstraint {
                domain: t("d"),
                create: true,
                not_valid: false,
            }]
        );
        for sql in [
            "ALTER DOMAIN d SET NOT NULL",
            "ALTER DOMAIN d VALIDATE CONSTRAINT c",
            "ALTER DOMAIN d DROP CONSTRAINT c",
            "CREATE DOMAIN d AS int DEFAULT 0 NULL COLLATE \"C\"",
        ] {
            assert!(
                !pg(sql)
                    .iter()
                    .any(|o| matches!(o, Op::DomainConstraint { .. })),
                "{sql}"
            );
        }
        assert_eq!(pg("VACUUM (ANALYZE, FULL off) t"), vec![Op::Vacuum]);
        assert_eq!(
            pg("CLUSTER t USING i"),
            vec![Op::TableRewrite {
                table: Some(t("t")),
                kind: RewriteKind::Cluster,
            }]
        );
        assert_eq!(
            pg("ALTER SEQUENCE s RENAME TO s2"),
            vec![Op::RenameObject {
                kind: ObjectKind::Sequence,
                from: t("s"),
                to: "s2".into(),
            }]
        );
    }

    #[test]
    fn pg18_named_not_null_and_mysql_rename() {
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT t_a_not_null NOT NULL a"),
            vec![Op::SetNotNull {
                table: t("t"),
                column: "a".into(),
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a NOT VALID"),
            vec![Op::AddConstraint {
                table: t("t"),
                constraint: ConstraintSpec {
                    name: Some("t_a_nn".into()),
                    kind: ConstraintKind::NotNull,
                    columns: vec!["a".into()],
                    references: None,
                    fk_clause: None,
                    not_valid: true,
                    using_index: None,
                    check_expr: None,
                },
            }]
        );
        assert_eq!(
            scan(Dialect::Mysql, "ALTER TABLE a RENAME b"),
            vec![Op::RenameTable {
                from: t("a"),
                to: t("b"),
            }]
        );
        assert_eq!(
            scan(Dialect::Mysql, "END IF"),
            vec![Op::Other { kind: "END".into() }]
        );
    }

    #[test]
    fn create_table_fallback() {
        let ops = pg(
            "CREATE TABLE IF NOT EXISTS s (a int REFERENCES comment ON UPDATE CASCADE, \
             b text NOT NULL DEFAULT 'x', PRIMARY KEY (a, b))",
        );
        match ops.as_slice() {
            [
                Op::CreateTable {
                    table,
                    columns,
                    constraints,
                    if_not_exists: true,
                    from_query: false,
                },
            ] => {
                assert_eq!(table, &t("s"));
                assert_eq!(columns.len(), 2);
                assert_eq!(columns[0].references, Some(t("comment")));
                assert!(columns[1].not_null);
                assert_eq!(columns[1].default.as_deref(), Some("'x'"));
                assert_eq!(constraints[0].kind, ConstraintKind::PrimaryKey);
                assert_eq!(constraints[0].columns, vec!["a", "b"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mysql_convert_to_names_its_charset() {
        let my = |sql| scan(Dialect::Mysql, sql);
        assert_eq!(
            my(
                "ALTER TABLE `a` ENGINE=InnoDB, CONVERT TO CHARACTER SET UTF8MB4 COLLATE utf8mb4_unicode_520_ci"
            ),
            vec![
                Operation::TableRewrite {
                    table: Some(t("a")),
                    kind: RewriteKind::Rebuild,
                },
                Operation::ConvertCharset {
                    table: t("a"),
                    charset: "utf8mb4".into(),
                    collation: Some("utf8mb4_unicode_520_ci".into()),
                },
            ]
        );
        // the BINARY attribute of a text type is a collation, not part of the type
        match my("ALTER TABLE a MODIFY COLUMN code VARCHAR(32) BINARY NOT NULL").as_slice() {
            [
                Operation::AlterColumnType { new_type, .. },
                Operation::RedefineColumn { column, .. },
            ] => {
                assert_eq!(new_type, "VARCHAR(32)");
                assert_eq!(column.collation.as_deref(), Some(BINARY_ATTRIBUTE));
                assert!(column.not_null);
            }
            other => panic!("{other:?}"),
        }
        // an action the scan cannot type is said, not dropped
        assert_eq!(
            my("ALTER TABLE a ENGINE=InnoDB, SOMETHING NEW"),
            vec![
                Operation::TableRewrite {
                    table: Some(t("a")),
                    kind: RewriteKind::Rebuild,
                },
                Operation::Other {
                    kind: "ALTER TABLE".into(),
                },
            ]
        );
        // no charset named: a rebuild, nothing known about the result
        assert_eq!(
            my("ALTER TABLE a CONVERT TO CHARACTER SET DEFAULT"),
            vec![Operation::TableRewrite {
                table: Some(t("a")),
                kind: RewriteKind::Rebuild,
            }]
        );
    }

    #[test]
    fn never_panics_on_junk() {
        for sql in [
            "",
            ";",
            "ALTER",
            "ALTER TABLE",
            "ALTER TABLE t ADD",
            "ALTER TABLE t ADD CONSTRAINT",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (",
            "ALTER TABLE t ALTER COLUMN",
            "ALTER TABLE t CHANGE",
            "ALTER TABLE t ADD COLUMN a int AFTER",
            "CREATE INDEX ON",
            "DROP INDEX",
            "REINDEX",
            "'unterminated",
            "ALTER TABLE t RENAME CONSTRAINT",
            ")))(((",
        ] {
            let _ = pg(sql);
            let _ = scan(Dialect::Mysql, sql);
        }
    }

    #[test]
    fn alter_constraint_timing() {
        let timing = |sql: &str| match pg(sql).as_slice() {
            [
                Op::AlterConstraint {
                    table,
                    name,
                    deferrable,
                    initially_deferred,
                },
            ] => Some((
                table.name.clone(),
                name.clone(),
                *deferrable,
                *initially_deferred,
            )),
            _ => None,
        };
        assert_eq!(
            timing(
                "ALTER TABLE comment_aggregates ALTER CONSTRAINT comment_aggregates_comment_id_fkey NOT DEFERRABLE"
            ),
            Some((
                "comment_aggregates".into(),
                "comment_aggregates_comment_id_fkey".into(),
                Some(false),
                None
            ))
        );
        assert_eq!(
            timing("alter table t alter constraint \"Fk\" deferrable initially deferred"),
            Some(("t".into(), "Fk".into(), Some(true), Some(true)))
        );
        assert_eq!(
            timing("ALTER TABLE t ALTER CONSTRAINT k INITIALLY IMMEDIATE"),
            Some(("t".into(), "k".into(), None, Some(false)))
        );
        // not typed: said as such
        for sql in [
            "ALTER TABLE t ALTER CONSTRAINT k NOT ENFORCED",
            "ALTER TABLE t ALTER CONSTRAINT k",
            "ALTER TABLE t ALTER CONSTRAINT k DEFERRABLE NO INHERIT",
        ] {
            let ops = pg(sql);
            assert!(
                ops.iter().any(|o| matches!(o, Op::Other { .. }))
                    && !ops.iter().any(|o| matches!(o, Op::AlterConstraint { .. })),
                "{sql}: {ops:?}"
            );
        }
    }
}
