//! Statement splitter with exact spans.
//!
//! The splitter is a small lexer that knows only what decides where a statement ends:
//! quotes (`'..'`, `E'..'`, `"..."`, backticks), dollar quotes (`$$`, `$tag$`), comments
//! (`--`, nested `/* */`, MySQL `#`), MySQL `DELIMITER`, goose statement blocks, and the
//! compound bodies whose inner `;` do not end a statement ([`blocks`]: MySQL stored
//! programs, PostgreSQL `BEGIN ATOMIC`).
//! Its output partitions the input: every byte belongs to exactly one [`Chunk`], so a
//! statement's span is always exact and nothing is lost.

mod blocks;

use std::ops::Range;

use blocks::{Blocks, Tok};

/// Which lexical rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SplitOptions {
    /// MySQL / MariaDB: backticks, `#` comments, backslash escapes, `"` strings, `DELIMITER`.
    pub mysql: bool,
    /// goose files: `-- +goose StatementBegin` / `StatementEnd` make one statement of a block.
    pub goose: bool,
}

impl SplitOptions {
    /// The lexer of `dialect`'s files (goose blocks for goose files).
    pub fn new(dialect: crate::sql::Dialect, goose: bool) -> SplitOptions {
        SplitOptions {
            mysql: dialect == crate::sql::Dialect::Mysql,
            goose,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    /// `-- ...` or `# ...`
    Line,
    /// `/* ... */`
    Block,
}

/// A comment, with the text between its markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub kind: CommentKind,
    /// Byte range of the whole comment, markers included.
    pub range: Range<usize>,
    /// Byte range of the comment's content (without `--`, `/*`, `*/`).
    pub body: Range<usize>,
}

/// Why some input cannot be SQL at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    UnterminatedString,
    UnterminatedQuotedIdentifier,
    UnterminatedDollarQuote,
    UnterminatedBlockComment,
    UnbalancedOpenParen,
    UnbalancedCloseParen,
    UnterminatedGooseBlock,
    /// MySQL: a BEGIN / IF / CASE / loop of a stored program without its END.
    UnterminatedBlock,
    /// PostgreSQL: `BEGIN ATOMIC` without its END.
    UnterminatedAtomicBlock,
}

impl SyntaxErrorKind {
    pub fn message(self) -> &'static str {
        match self {
            Self::UnterminatedString => {
                "unterminated string literal: the quote opened here is never closed"
            }
            Self::UnterminatedQuotedIdentifier => {
                "unterminated quoted identifier: the quote opened here is never closed"
            }
            Self::UnterminatedDollarQuote => {
                "unterminated dollar-quoted string: the tag opened here is never closed"
            }
            Self::UnterminatedBlockComment => "unterminated block comment: `/*` is never closed",
            Self::UnbalancedOpenParen => {
                "unbalanced parentheses: `(` is never closed in this statement"
            }
            Self::UnbalancedCloseParen => "unbalanced parentheses: `)` has no matching `(`",
            Self::UnterminatedGooseBlock => {
                "`-- +goose StatementBegin` without a matching `-- +goose StatementEnd`"
            }
            Self::UnterminatedBlock => {
                "unterminated compound statement: the block (BEGIN, IF, CASE, LOOP, WHILE, REPEAT or FOR) opened here is never closed by its END, so every later `;` belongs to it; close the block, or put the statement between `DELIMITER //` and `DELIMITER ;` lines"
            }
            Self::UnterminatedAtomicBlock => {
                "unterminated `BEGIN ATOMIC` body: the BEGIN here is never closed by END, so every later `;` belongs to this CREATE FUNCTION / PROCEDURE"
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitError {
    pub kind: SyntaxErrorKind,
    /// Byte offset of the offending token (the opening quote, the unmatched paren...).
    pub offset: usize,
}

/// One piece of the input: leading trivia, then at most one statement and its terminator,
/// then comments that follow the terminator on the same line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The whole chunk. Chunks are contiguous and cover the input exactly.
    pub range: Range<usize>,
    /// The statement text without leading trivia and terminator; `None` for trivia only.
    pub stmt: Option<Range<usize>>,
    /// The terminator (`;` or the current MySQL delimiter), when present.
    pub terminator: Option<Range<usize>>,
    /// Comments before the statement (and, for the final chunk, after the last one).
    pub leading_comments: Vec<Comment>,
    /// Comments after the terminator on the statement's last line.
    pub trailing_comments: Vec<Comment>,
    /// Comments inside the statement text.
    pub inner_comments: Vec<Comment>,
    /// Set when the statement cannot be SQL (the rest of the file may be swallowed by it).
    pub error: Option<SplitError>,
    /// This chunk is a MySQL `DELIMITER` command, not SQL.
    pub delimiter_command: bool,
    /// The statement came from a goose `StatementBegin`/`StatementEnd` block.
    pub goose_block: bool,
}

impl Chunk {
    fn new(start: usize) -> Self {
        Chunk {
            range: start..start,
            stmt: None,
            terminator: None,
            leading_comments: Vec::new(),
            trailing_comments: Vec::new(),
            inner_comments: Vec::new(),
            error: None,
            delimiter_command: false,
            goose_block: false,
        }
    }
}

/// Split `text` into chunks. Never panics; never loses or duplicates a byte.
pub fn split(text: &str, opts: SplitOptions) -> Vec<Chunk> {
    Splitter {
        src: text.as_bytes(),
        text,
        pos: 0,
        opts,
        delimiter: ";".to_owned(),
        chunks: Vec::new(),
    }
    .run()
}

struct Splitter<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    opts: SplitOptions,
    delimiter: String,
    chunks: Vec<Chunk>,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl Splitter<'_> {
    fn run(mut self) -> Vec<Chunk> {
        while self.pos < self.src.len() {
            let start = self.pos;
            let mut chunk = Chunk::new(start);
            self.leading_trivia(&mut chunk);
            if let Some(c) = chunk.leading_comments.last()
                && self.comment_unterminated(c)
            {
                chunk.error = Some(SplitError {
                    kind: SyntaxErrorKind::UnterminatedBlockComment,
                    offset: c.range.start,
                });
            } else if self.pos < self.src.len() {
                self.statement(&mut chunk);
            }
            chunk.range = start..self.pos;
            if chunk.range.is_empty() {
                break; // defensive: never loop without progress
            }
            self.chunks.push(chunk);
        }
        self.chunks
    }

    fn peek(&self, off: usize) -> Option<u8> {
        self.src.get(self.pos + off).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.src[self.pos..].starts_with(s.as_bytes())
    }

    /// Whitespace and comments before a statement. Goose block markers are handled here.
    fn leading_trivia(&mut self, chunk: &mut Chunk) {
        loop {
            while self.peek(0).is_some_and(|b| b.is_ascii_whitespace()) {
                self.pos += 1;
            }
            match self.comment() {
                Some(c) => {
                    let goose_begin = self.opts.goose
                        && c.kind == CommentKind::Line
                        && goose_marker(&self.text[c.body.clone()]) == Some(GooseMarker::Begin);
                    chunk.leading_comments.push(c);
                    if goose_begin {
                        self.goose_block(chunk);
                        return;
                    }
                }
                None => return,
            }
        }
    }

    /// Lex a comment at `pos`, if one starts there.
    fn comment(&mut self) -> Option<Comment> {
        let start = self.pos;
        let line_comment =
            self.starts_with("--") || (self.opts.mysql && self.peek(0) == Some(b'#'));
        if line_comment {
            let marker = if self.peek(0) == Some(b'#') { 1 } else { 2 };
            let end = self.src[start..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(self.src.len(), |p| start + p);
            self.pos = end;
            return Some(Comment {
                kind: CommentKind::Line,
                range: start..end,
                body: start + marker..end,
            });
        }
        if self.starts_with("/*") {
            let mut depth = 0usize;
            while self.pos < self.src.len() {
                if self.starts_with("/*") && (depth == 0 || !self.opts.mysql) {
                    depth += 1;
                    self.pos += 2;
                } else if self.starts_with("*/") {
                    depth -= 1;
                    self.pos += 2;
                    if depth == 0 {
                        return Some(Comment {
                            kind: CommentKind::Block,
                            range: start..self.pos,
                            body: start + 2..self.pos - 2,
                        });
                    }
                } else {
                    self.pos += 1;
                }
            }
            // Unterminated: the caller records the error via `pending_error`.
            return Some(Comment {
                kind: CommentKind::Block,
                range: start..self.pos,
                body: (start + 2).min(self.pos)..self.pos,
            });
        }
        None
    }

    fn comment_unterminated(&self, c: &Comment) -> bool {
        // `/*/` ends with `*/` but is still open
        c.kind == CommentKind::Block
            && (c.range.len() < 4 || !self.text[c.range.clone()].ends_with("*/"))
    }

    /// A goose `StatementBegin` .. `StatementEnd` block is one statement, whatever it holds.
    fn goose_block(&mut self, chunk: &mut Chunk) {
        chunk.goose_block = true;
        // the statement starts on the line after the marker
        while self.peek(0).is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        let body_start = self.pos;
        let mut search = self.pos;
        loop {
            let Some(rel) = self.text[search..].find("-- +goose") else {
                chunk.stmt = Some(body_start..self.src.len());
                chunk.error = Some(SplitError {
                    kind: SyntaxErrorKind::UnterminatedGooseBlock,
                    offset: chunk
                        .leading_comments
                        .last()
                        .map_or(body_start, |c| c.range.start),
                });
                self.pos = self.src.len();
                return;
            };
            let at = search + rel;
            let line_end = self.text[at..]
                .find('\n')
                .map_or(self.src.len(), |p| at + p);
            if goose_marker(&self.text[at + 2..line_end]) == Some(GooseMarker::End) {
                let body_end = trim_end_ws(self.text, body_start, at);
                // the block's own trailing `;` is part of the statement text for goose; drop it
                let (stmt_end, term) = if self.text[body_start..body_end].ends_with(';') {
                    (body_end - 1, Some(body_end - 1..body_end))
                } else {
                    (body_end, None)
                };
                chunk.stmt = Some(body_start..trim_end_ws(self.text, body_start, stmt_end));
                chunk.terminator = term;
                chunk.trailing_comments.push(Comment {
                    kind: CommentKind::Line,
                    range: at..line_end,
                    body: at + 2..line_end,
                });
                self.pos = line_end;
                return;
            }
            search = line_end.max(at + 1);
        }
    }

    fn statement(&mut self, chunk: &mut Chunk) {
        if chunk.goose_block {
            return;
        }
        let start = self.pos;
        if self.opts.mysql && self.at_delimiter_command() {
            let end = self.text[start..]
                .find('\n')
                .map_or(self.src.len(), |p| start + p);
            let arg = self.text[start + "delimiter".len()..end].trim();
            if !arg.is_empty() {
                self.delimiter = arg.to_owned();
            }
            chunk.delimiter_command = true;
            chunk.stmt = Some(start..trim_end_ws(self.text, start, end));
            self.pos = end;
            return;
        }
        let mut parens: Vec<usize> = Vec::new();
        let mut extra_close: Option<usize> = None;
        let mut blocks = Blocks::new(self.text, self.opts.mysql, self.delimiter == ";");
        while self.pos < self.src.len() {
            if self.starts_with(&self.delimiter) && blocks.inside() {
                // a `;` inside a stored-program body or a BEGIN ATOMIC body
                blocks.semicolon();
                self.pos += self.delimiter.len();
                continue;
            }
            if self.starts_with(&self.delimiter) {
                let stmt_end = trim_end_ws(self.text, start, self.pos);
                chunk.stmt = Some(start..stmt_end.max(start));
                chunk.terminator = Some(self.pos..self.pos + self.delimiter.len());
                self.pos += self.delimiter.len();
                self.trailing(chunk);
                Self::paren_error(chunk, &parens, extra_close);
                return;
            }
            let b = self.src[self.pos];
            let tok_start = self.pos;
            let depth = parens.len();
            let tok = match b {
                b'\'' => {
                    let backslash = self.opts.mysql || self.is_escape_string_prefix(start);
                    if !self.quoted(b'\'', backslash) {
                        return self.unterminated(
                            chunk,
                            start,
                            tok_start,
                            SyntaxErrorKind::UnterminatedString,
                        );
                    }
                    Some(Tok::Str)
                }
                b'"' => {
                    let kind = if self.opts.mysql {
                        SyntaxErrorKind::UnterminatedString
                    } else {
                        SyntaxErrorKind::UnterminatedQuotedIdentifier
                    };
                    if !self.quoted(b'"', self.opts.mysql) {
                        return self.unterminated(chunk, start, tok_start, kind);
                    }
                    Some(if self.opts.mysql { Tok::Str } else { Tok::Name })
                }
                b'`' if self.opts.mysql => {
                    if !self.quoted(b'`', false) {
                        return self.unterminated(
                            chunk,
                            start,
                            tok_start,
                            SyntaxErrorKind::UnterminatedQuotedIdentifier,
                        );
                    }
                    Some(Tok::Name)
                }
                b'$' if !self.opts.mysql && self.dollar_tag().is_some() => {
                    let tag = self.dollar_tag().unwrap_or_default();
                    let body_start = self.pos + tag.len();
                    match self.text[body_start..].find(&tag) {
                        Some(p) => self.pos = body_start + p + tag.len(),
                        None => {
                            return self.unterminated(
                                chunk,
                                start,
                                tok_start,
                                SyntaxErrorKind::UnterminatedDollarQuote,
                            );
                        }
                    }
                    Some(Tok::Str)
                }
                b'-' | b'/' | b'#' => match self.comment() {
                    Some(c) => {
                        let bad = self.comment_unterminated(&c);
                        chunk.inner_comments.push(c);
                        if bad {
                            return self.unterminated(
                                chunk,
                                start,
                                tok_start,
                                SyntaxErrorKind::UnterminatedBlockComment,
                            );
                        }
                        continue;
                    }
                    None => {
                        self.pos += 1;
                        Some(Tok::Punct {
                            byte: b,
                            at: tok_start,
                        })
                    }
                },
                b'(' => {
                    parens.push(self.pos);
                    self.pos += 1;
                    Some(Tok::Open)
                }
                b')' => {
                    if parens.pop().is_none() && extra_close.is_none() {
                        extra_close = Some(self.pos);
                    }
                    self.pos += 1;
                    Some(Tok::Close)
                }
                _ => {
                    // skip a whole UTF-8 sequence / identifier run at once, but stop at the
                    // delimiter: MySQL's `DELIMITER $$` ends `END$$` although `$` is an ident byte
                    self.pos += 1;
                    while self.pos < self.src.len()
                        && is_ident_byte(self.src[self.pos])
                        && is_ident_byte(b)
                        && !self.starts_with(&self.delimiter)
                    {
                        self.pos += 1;
                    }
                    self.word_token(b, tok_start)
                }
            };
            if let Some(tok) = tok {
                blocks.token(tok, depth);
            }
        }
        // end of input without terminator
        let stmt_end = trim_end_ws(self.text, start, self.src.len());
        chunk.stmt = Some(start..stmt_end);
        if let Some(offset) = blocks.unclosed() {
            let kind = if self.opts.mysql {
                SyntaxErrorKind::UnterminatedBlock
            } else {
                SyntaxErrorKind::UnterminatedAtomicBlock
            };
            chunk.error = Some(SplitError { kind, offset });
        }
        // Trailing comments of an unterminated last statement belong to the statement text;
        // leave them as inner comments.
        Self::paren_error(chunk, &parens, extra_close);
    }

    /// What the block tracker sees of a run the catch-all arm consumed.
    fn word_token(&self, b: u8, at: usize) -> Option<Tok<'_>> {
        if b.is_ascii_whitespace() {
            None
        } else if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            Some(Tok::Word {
                text: self.text.get(at..self.pos).unwrap_or(""),
                at,
                attached: at > 0 && matches!(self.src[at - 1], b'.' | b'@'),
            })
        } else if b.is_ascii_digit() || b == b'$' {
            Some(Tok::Name)
        } else {
            Some(Tok::Punct { byte: b, at })
        }
    }

    fn paren_error(chunk: &mut Chunk, parens: &[usize], extra_close: Option<usize>) {
        if chunk.error.is_some() {
            return;
        }
        if let Some(off) = extra_close {
            chunk.error = Some(SplitError {
                kind: SyntaxErrorKind::UnbalancedCloseParen,
                offset: off,
            });
        } else if let Some(off) = parens.first() {
            chunk.error = Some(SplitError {
                kind: SyntaxErrorKind::UnbalancedOpenParen,
                offset: *off,
            });
        }
    }

    fn unterminated(&mut self, chunk: &mut Chunk, start: usize, at: usize, kind: SyntaxErrorKind) {
        self.pos = self.src.len();
        chunk.stmt = Some(start..trim_end_ws(self.text, start, self.src.len()));
        chunk.error = Some(SplitError { kind, offset: at });
    }

    /// Comments after the terminator on the same line stay with this statement.
    fn trailing(&mut self, chunk: &mut Chunk) {
        loop {
            let save = self.pos;
            while matches!(self.peek(0), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
            if self.starts_with("--") || (self.opts.mysql && self.peek(0) == Some(b'#')) {
                if let Some(c) = self.comment() {
                    chunk.trailing_comments.push(c);
                }
                return;
            }
            if self.starts_with("/*") {
                // only a block comment that ends on this line (`/*/` or a nested `/*` only
                // look like one: they are left to the next chunk, which reports them)
                let rest = &self.text[self.pos..];
                let line_end = self.pos + rest.find('\n').unwrap_or(rest.len());
                if let Some(c) = self.comment()
                    && !self.comment_unterminated(&c)
                    && c.range.end <= line_end
                {
                    chunk.trailing_comments.push(c);
                    continue;
                }
            }
            self.pos = save;
            return;
        }
    }

    /// `E'..'` / `e'..'` (PostgreSQL escape string): the quote is preceded by a lone E.
    fn is_escape_string_prefix(&self, stmt_start: usize) -> bool {
        let p = self.pos;
        p > stmt_start
            && matches!(self.src[p - 1], b'E' | b'e')
            && (p - 1 == stmt_start || !is_ident_byte(self.src[p - 2]))
    }

    /// Consume a quoted token starting at `pos`; false when it never closes.
    fn quoted(&mut self, q: u8, backslash: bool) -> bool {
        self.pos += 1;
        while self.pos < self.src.len() {
            let b = self.src[self.pos];
            if backslash && b == b'\\' {
                self.pos += 2;
                continue;
            }
            if b == q {
                if self.peek(1) == Some(q) {
                    self.pos += 2;
                    continue;
                }
                self.pos += 1;
                return true;
            }
            self.pos += 1;
        }
        self.pos = self.src.len();
        false
    }

    /// `$tag$` or `$$` at `pos`, not a `$1` parameter nor part of an identifier.
    fn dollar_tag(&self) -> Option<String> {
        if self.pos > 0 && is_ident_byte(self.src[self.pos - 1]) {
            return None;
        }
        let rest = &self.src[self.pos + 1..];
        let len = rest
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80))?;
        if rest.get(len) != Some(&b'$') {
            return None;
        }
        if len > 0 && rest[0].is_ascii_digit() {
            return None;
        }
        Some(self.text[self.pos..self.pos + len + 2].to_owned())
    }

    fn at_delimiter_command(&self) -> bool {
        let rest = &self.src[self.pos..];
        rest.len() > 9
            && rest[..9].eq_ignore_ascii_case(b"delimiter")
            && matches!(rest[9], b' ' | b'\t')
    }
}

fn trim_end_ws(text: &str, floor: usize, end: usize) -> usize {
    let trimmed = text[floor..end].trim_end();
    floor + trimmed.len()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GooseMarker {
    Up,
    Down,
    Begin,
    End,
    NoTransaction,
}

/// Parse the body of a `-- +goose ...` comment (the text after `--`).
pub fn goose_marker(comment_body: &str) -> Option<GooseMarker> {
    let rest = comment_body.trim().strip_prefix("+goose")?.trim();
    let word = rest.split_whitespace().next()?;
    Some(match word.to_ascii_lowercase().as_str() {
        "up" => GooseMarker::Up,
        "down" => GooseMarker::Down,
        "statementbegin" => GooseMarker::Begin,
        "statementend" => GooseMarker::End,
        "no" if rest.to_ascii_lowercase().split_whitespace().nth(1) == Some("transaction") => {
            GooseMarker::NoTransaction
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(text: &str, opts: SplitOptions) -> Vec<&str> {
        split(text, opts)
            .into_iter()
            .filter_map(|c| c.stmt.map(|r| &text[r]))
            .collect()
    }

    fn pg(text: &str) -> Vec<&str> {
        stmts(text, SplitOptions::default())
    }

    #[test]
    fn splits_on_top_level_semicolons() {
        assert_eq!(pg("select 1; select 2;\n"), ["select 1", "select 2"]);
        assert_eq!(pg("select 1;select 2"), ["select 1", "select 2"]);
    }

    #[test]
    fn quotes_hide_semicolons() {
        assert_eq!(
            pg("select 'a;b'; select 'it''s;'"),
            ["select 'a;b'", "select 'it''s;'"]
        );
        assert_eq!(
            pg(r"select E'\';'; select 2"),
            [r"select E'\';'", "select 2"]
        );
        assert_eq!(pg(r#"select "a;""b"; x"#), [r#"select "a;""b""#, "x"]);
        // a backslash in a standard string is just a character
        assert_eq!(pg(r"select '\'; select 2"), [r"select '\'", "select 2"]);
    }

    #[test]
    fn dollar_quotes() {
        let sql = "create function f() returns int as $$ select 1; $$ language sql; select $1;";
        assert_eq!(pg(sql).len(), 2);
        let sql = "do $body$ begin perform 1; $x$ ; $x$ end $body$; select 2";
        assert_eq!(
            pg(sql),
            [
                "do $body$ begin perform 1; $x$ ; $x$ end $body$",
                "select 2"
            ]
        );
        // identifiers may contain $
        assert_eq!(pg("select a$b$c; select 2"), ["select a$b$c", "select 2"]);
    }

    #[test]
    fn comments() {
        let sql = "-- a; b\n/* c; /* nested; */ d; */ select 1; -- trailing; x\nselect 2;";
        let chunks = split(sql, SplitOptions::default());
        assert_eq!(&sql[chunks[0].stmt.clone().unwrap()], "select 1");
        assert_eq!(chunks[0].leading_comments.len(), 2);
        assert_eq!(chunks[0].trailing_comments.len(), 1);
        assert_eq!(&sql[chunks[1].stmt.clone().unwrap()], "select 2");
    }

    #[test]
    fn mysql_backticks_hash_and_delimiter() {
        let opts = SplitOptions {
            mysql: true,
            goose: false,
        };
        let sql = "select `a;b` # c;\n;\nDELIMITER //\ncreate procedure p() begin select 1; end//\nDELIMITER ;\nselect 'x\\';';";
        let s = stmts(sql, opts);
        assert_eq!(
            s,
            [
                "select `a;b` # c;",
                "DELIMITER //",
                "create procedure p() begin select 1; end",
                "DELIMITER ;",
                "select 'x\\';'"
            ]
        );
    }

    #[test]
    fn mysql_delimiter_right_after_an_identifier() {
        let opts = SplitOptions {
            mysql: true,
            goose: false,
        };
        let sql =
            "DELIMITER $$\ncreate procedure p() begin select 1; END$$\nDELIMITER ;\nselect 2;";
        assert_eq!(
            stmts(sql, opts),
            [
                "DELIMITER $$",
                "create procedure p() begin select 1; END",
                "DELIMITER ;",
                "select 2"
            ]
        );
    }

    fn my(text: &str) -> Vec<&str> {
        stmts(
            text,
            SplitOptions {
                mysql: true,
                goose: false,
            },
        )
    }

    #[test]
    fn mysql_procedure_body_is_one_statement() {
        // authelia V0007: `IF EXISTS(..) THEN .. END IF;` inside BEGIN .. END
        let sql = "DROP PROCEDURE IF EXISTS p;\n\
            CREATE PROCEDURE p(IN t VARCHAR(64))\nBEGIN\n  IF EXISTS(SELECT * FROM x WHERE a = t)\n  THEN\n    SET @q = CONCAT('ALTER TABLE ', t, ';');\n    PREPARE s FROM @q;\n    EXECUTE s;\n  END IF;\nEND;\n\
            CALL p('a');\n";
        let s = my(sql);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s[1].starts_with("CREATE PROCEDURE") && s[1].ends_with("END IF;\nEND"));
        assert_eq!(s[2], "CALL p('a')");
    }

    #[test]
    fn mysql_nested_blocks_loops_handlers_and_labels() {
        let sql = "CREATE DEFINER=`root`@`%` PROCEDURE p()\nBEGIN\n\
            DECLARE i INT DEFAULT 0;\n\
            DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;\n\
            DECLARE CONTINUE HANDLER FOR NOT FOUND SET i = 1;\n\
            outer_loop: LOOP\n  IF i > 3 THEN LEAVE outer_loop; END IF;\n  SET i = i + 1;\nEND LOOP outer_loop;\n\
            WHILE i < 10 DO SET i = i + 1; END WHILE;\n\
            REPEAT SET i = i - 1; UNTIL i = 0 END REPEAT;\n\
            CASE i WHEN 1 THEN SELECT 1; ELSE SELECT CASE WHEN i THEN IF(i, 1, 2) ELSE 0 END; END CASE;\n\
            SELECT start, end FROM t FOR UPDATE;\n\
            blk: BEGIN SELECT REPEAT('a', 2); END blk;\n\
            BEGIN END;\n\
            END;\nSELECT 2;";
        let s = my(sql);
        assert_eq!(s.len(), 2, "{s:#?}");
        assert_eq!(s[1], "SELECT 2");
    }

    #[test]
    fn mysql_functions_triggers_events() {
        let sql = "CREATE FUNCTION f(a INT) RETURNS INT DETERMINISTIC RETURN IF(a > 0, 1, 0);\n\
            CREATE FUNCTION g() RETURNS INT DETERMINISTIC BEGIN DECLARE x INT DEFAULT 0; RETURN x; END;\n\
            CREATE FUNCTION h(a INT) RETURNS INT RETURN CASE WHEN a THEN 1 ELSE 2 END;\n\
            CREATE TRIGGER t1 BEFORE INSERT ON x FOR EACH ROW SET NEW.a = IF(NEW.b, 1, 2);\n\
            CREATE TRIGGER t2 BEFORE INSERT ON x FOR EACH ROW IF NEW.a IS NULL THEN SET NEW.a = 1; END IF;\n\
            CREATE OR REPLACE TRIGGER IF NOT EXISTS t3 AFTER UPDATE ON x FOR EACH ROW BEGIN UPDATE y SET n = n + 1; END;\n\
            CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END;\n\
            CREATE PROCEDURE IF NOT EXISTS q() COMMENT 'c' SELECT 1;\n\
            SELECT 9;";
        let s = my(sql);
        assert_eq!(s.len(), 9, "{s:#?}");
        assert_eq!(s[8], "SELECT 9");
    }

    #[test]
    fn mariadb_compound_statements_outside_programs() {
        let sql = "BEGIN NOT ATOMIC\n  DECLARE i INT DEFAULT 0;\n  FOR r IN 1..3 DO SET i = i + r; END FOR;\nEND;\n\
            IF (SELECT COUNT(*) FROM t) = 0 THEN INSERT INTO t VALUES (1); END IF;\n\
            REPEAT SET @i = 1; UNTIL 1 END REPEAT;\n\
            BEGIN;\nSELECT 1;\nCOMMIT;\nSET @a := 1;";
        let s = my(sql);
        assert_eq!(s.len(), 7, "{s:#?}");
        assert_eq!(&s[3..], ["BEGIN", "SELECT 1", "COMMIT", "SET @a := 1"]);
    }

    #[test]
    fn mysql_unclosed_block_is_an_error_at_its_opener() {
        let sql = "SELECT 1;\nCREATE PROCEDURE p() BEGIN SELECT 1;\nSELECT 2;";
        let chunks = split(
            sql,
            SplitOptions {
                mysql: true,
                goose: false,
            },
        );
        let err = chunks.iter().find_map(|c| c.error).unwrap();
        assert_eq!(err.kind, SyntaxErrorKind::UnterminatedBlock);
        assert_eq!(err.offset, sql.find("BEGIN").unwrap());
        // with a DELIMITER the file says where statements end: no block tracking
        let sql = "DELIMITER //\nCREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END//\nDELIMITER ;\nSELECT 2;";
        assert_eq!(my(sql).len(), 4);
    }

    #[test]
    fn pg_begin_atomic_bodies_follow_psql() {
        let sql = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN a > 0 THEN 1 END;\nEND;\n\
            CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n\
            CREATE FUNCTION g() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;\n\
            CREATE FUNCTION h() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END;\n\
            BEGIN;\nSELECT 2;\nEND;";
        let s = pg(sql);
        assert_eq!(s.len(), 7, "{s:#?}");
        assert!(s[0].ends_with("END"), "{}", s[0]);
        assert_eq!(&s[4..], ["BEGIN", "SELECT 2", "END"]);
        let chunks = split(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;",
            SplitOptions::default(),
        );
        assert_eq!(
            chunks[0].error.map(|e| e.kind),
            Some(SyntaxErrorKind::UnterminatedAtomicBlock)
        );
    }

    #[test]
    fn trailing_block_comment_must_end_on_its_line() {
        // `/*/` contains `*/` but opens a comment that never closes: report it, do not
        // silently swallow the next statement as a trailing comment
        let chunks = split("select 1; /*/\nselect 2;", SplitOptions::default());
        assert!(chunks[0].trailing_comments.is_empty());
        assert_eq!(
            chunks[1].error.map(|e| e.kind),
            Some(SyntaxErrorKind::UnterminatedBlockComment)
        );
        assert_eq!(
            pg("select 1; /* a /* b */\nc */ select 2;"),
            ["select 1", "select 2"]
        );
    }

    #[test]
    fn goose_blocks() {
        let opts = SplitOptions {
            mysql: false,
            goose: true,
        };
        let sql = "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() AS 'a;' ; select 1;\n-- +goose StatementEnd\nselect 3;\n";
        let s = stmts(sql, opts);
        assert_eq!(s, ["CREATE FUNCTION f() AS 'a;' ; select 1", "select 3"]);
    }

    #[test]
    fn unterminated_things_are_errors() {
        for (sql, kind) in [
            ("select 1; select 'abc", SyntaxErrorKind::UnterminatedString),
            (
                "select 1; select $$abc",
                SyntaxErrorKind::UnterminatedDollarQuote,
            ),
            (
                "select 1; select \"abc",
                SyntaxErrorKind::UnterminatedQuotedIdentifier,
            ),
            (
                "select 1; /* abc",
                SyntaxErrorKind::UnterminatedBlockComment,
            ),
            (
                "select 1; select (1; select 2;",
                SyntaxErrorKind::UnbalancedOpenParen,
            ),
            (
                "select 1); select 2;",
                SyntaxErrorKind::UnbalancedCloseParen,
            ),
        ] {
            let chunks = split(sql, SplitOptions::default());
            let errs: Vec<_> = chunks.iter().filter_map(|c| c.error).collect();
            assert_eq!(errs.len(), 1, "{sql}");
            assert_eq!(errs[0].kind, kind, "{sql}");
        }
        // the unbalanced statement does not swallow the next one
        assert_eq!(pg("select (1; select 2;"), ["select (1", "select 2"]);
    }

    #[test]
    fn goose_markers() {
        assert_eq!(goose_marker(" +goose Up"), Some(GooseMarker::Up));
        assert_eq!(
            goose_marker(" +goose NO TRANSACTION"),
            Some(GooseMarker::NoTransaction)
        );
        assert_eq!(goose_marker(" +goose StatementEnd"), Some(GooseMarker::End));
        assert_eq!(goose_marker(" goose Up"), None);
    }
}
