//! SQL understanding: dialects, parsing with `sqlparser`, classification into [`Operation`]s,
//! and a token-scan fallback for statements the parser cannot read.

pub mod classify;
mod known_gap;
pub mod ops;
pub mod quote;
pub mod rename;
pub mod tokscan;
pub mod volatility;

pub use known_gap::parse_known_gap;
pub use ops::Operation;

use serde::{Deserialize, Serialize};
use sqlparser::ast::Statement;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Tokenizer;

/// The SQL dialect migrations are written in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        }
    }

    fn parser_dialect(self) -> Box<dyn sqlparser::dialect::Dialect> {
        match self {
            Dialect::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
            Dialect::Mysql => Box::new(sqlparser::dialect::MySqlDialect {}),
        }
    }
}

/// Why sqlparser could not parse a statement, with the position it reported
/// (1-based, relative to the statement text) when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Parse one statement's text (it may, rarely, hold several).
pub fn parse(dialect: Dialect, sql: &str) -> Result<Vec<Statement>, ParseFailure> {
    let d = dialect.parser_dialect();
    // The token buffer sized up front: grown by doubling it was copied about once over, a few
    // percent of a lint's instructions. One token per 2 bytes covers SQL as written (every
    // space is a token).
    let mut tokens = Vec::with_capacity(sql.len() / 2 + 8);
    Tokenizer::new(d.as_ref(), sql)
        .tokenize_with_location_into_buf(&mut tokens)
        .map_err(|e| failure_from(&ParserError::from(e).to_string()))?;
    // sqlparser recurses per nesting level; guard against pathological input
    Parser::new(d.as_ref())
        .with_recursion_limit(64)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| failure_from(&e.to_string()))
}

/// `sql` without the comments after its last token (a file's last statement, written without
/// `;`, holds the comments that follow it), or `sql` itself when it does not tokenize.
pub fn without_trailing_comments(dialect: Dialect, sql: &str) -> &str {
    use sqlparser::tokenizer::Token;
    let d = dialect.parser_dialect();
    let Ok(tokens) = Tokenizer::new(d.as_ref(), sql).tokenize_with_location() else {
        return sql;
    };
    let Some(last) = tokens
        .iter()
        .rev()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))
    else {
        return sql;
    };
    // the end location is 1-based (line, column in characters), just past the token
    let (line, column) = (last.span.end.line, last.span.end.column);
    let (Ok(line), Ok(column)) = (usize::try_from(line), usize::try_from(column)) else {
        return sql;
    };
    let line_start: usize = sql
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &sql[line_start..];
    let end = line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
    sql.get(..end).unwrap_or(sql)
}

fn failure_from(msg: &str) -> ParseFailure {
    // sqlparser appends " at Line: N, Column: M"
    let (mut line, mut column) = (None, None);
    let mut message = msg.to_owned();
    if let Some(i) = msg.rfind(" at Line: ") {
        let tail = &msg[i + " at Line: ".len()..];
        let mut parts = tail.split(", Column: ");
        line = parts.next().and_then(|s| s.trim().parse().ok());
        column = parts.next().and_then(|s| s.trim().parse().ok());
        if line.is_some() {
            message.truncate(i);
        }
    }
    let message = message
        .trim_start_matches("sql parser error: ")
        .trim()
        .to_owned();
    ParseFailure {
        message,
        line,
        column,
    }
}

/// Byte offsets of sqlparser's token locations (1-based lines and chars) in `sql`.
pub struct Offsets<'a> {
    sql: &'a str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    pub fn new(sql: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        Offsets { sql, starts }
    }

    /// The byte offset of `l`; `None` past the text.
    pub fn of(&self, l: sqlparser::tokenizer::Location) -> Option<usize> {
        let start = *self.starts.get((l.line as usize).checked_sub(1)?)?;
        let col = (l.column as usize).checked_sub(1)?;
        self.sql[start..]
            .char_indices()
            .map(|(i, _)| start + i)
            .chain(std::iter::once(self.sql.len()))
            .nth(col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_comments_are_cut() {
        let pg = |s| without_trailing_comments(Dialect::Postgres, s);
        assert_eq!(
            pg("comment on column t.c is 'it''s'\n\n-- later:\n-- update t set c = 1;\n"),
            "comment on column t.c is 'it''s'"
        );
        assert_eq!(pg("select 'é' /* x */ -- y"), "select 'é'");
        assert_eq!(pg("select 1\n  + 2"), "select 1\n  + 2");
        assert_eq!(pg("select '--not a comment'"), "select '--not a comment'");
        assert_eq!(pg("select 'unterminated"), "select 'unterminated");
    }

    #[test]
    fn parse_failure_carries_position() {
        let err = parse(Dialect::Postgres, "ALTER TABLE t FROBNICATE x").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.column.is_some());
        assert!(!err.message.contains("at Line"));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let sql = format!("select {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse(Dialect::Postgres, &sql).is_err());
    }
}
