//! The tokens the scan reads: sqlparser's tokens without whitespace, and a cursor over them.

use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::super::Dialect;
use super::super::ops::ObjName;

/// A significant token: a word (with quoting) or any other token as text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word { value: String, quote: Option<char> },
    Punct(String),
}

impl Tok {
    pub(super) fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word { value, quote: None } if value.eq_ignore_ascii_case(kw))
    }

    pub(super) fn is(&self, p: &str) -> bool {
        matches!(self, Tok::Punct(s) if s == p)
    }

    /// Normalised identifier: unquoted folded to lower case.
    pub(super) fn ident(&self) -> Option<String> {
        match self {
            Tok::Word { value, quote: None } => Some(value.to_lowercase()),
            Tok::Word { value, .. } => Some(value.clone()),
            Tok::Punct(_) => None,
        }
    }

    /// The token as SQL text; `upper` upper-cases unquoted words like sqlparser's Display
    /// does for keywords and type names.
    pub(super) fn sql(&self, upper: bool) -> String {
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

pub(super) fn tokenize(dialect: Dialect, sql: &str) -> Vec<Tok> {
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

pub(super) struct Cursor<'a> {
    pub(super) toks: &'a [Tok],
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos)
    }

    pub(super) fn peek_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub(super) fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.peek_kw(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Consume the whole keyword sequence or nothing.
    pub(super) fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let hit = kws
            .iter()
            .enumerate()
            .all(|(i, kw)| self.toks.get(self.pos + i).is_some_and(|t| t.is_kw(kw)));
        if hit {
            self.pos += kws.len();
        }
        hit
    }

    pub(super) fn eat(&mut self, p: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.is(p));
        if hit {
            self.pos += 1;
        }
        hit
    }

    pub(super) fn ident(&mut self) -> Option<String> {
        let id = self.peek()?.ident()?;
        self.pos += 1;
        Some(id)
    }

    /// `[schema .] name` (a leading catalog part is dropped).
    pub(super) fn name(&mut self) -> Option<ObjName> {
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
    pub(super) fn names(&mut self) -> Vec<ObjName> {
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
    pub(super) fn paren_list(&mut self) -> Vec<String> {
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
    pub(super) fn until_comma(&mut self) -> &'a [Tok] {
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
    pub(super) fn options(&mut self) -> Vec<(String, bool)> {
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
    pub(super) fn contains_kws(&self, kws: &[&str]) -> bool {
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
pub(super) fn render<'a>(toks: impl IntoIterator<Item = &'a Tok>, upper: bool) -> String {
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
