//! Compound-statement blocks: where a `;` does not end the statement.
//!
//! MySQL / MariaDB: the body of `CREATE PROCEDURE | FUNCTION | TRIGGER | EVENT` and MariaDB's
//! top-level compound statements (`BEGIN NOT ATOMIC .. END`, `IF .. END IF`, loops; labels
//! only inside them, as the server allows)
//! are one statement for the server, whatever `;` they hold. The server parses them fully;
//! here a block stack follows the openers (`BEGIN`, `IF`, `CASE`, `LOOP`, `WHILE`, `REPEAT`,
//! `FOR`) and the `END` closing each, which is enough to find where the statement ends.
//! Only while the delimiter is `;`: after `DELIMITER //` the file says where statements end.
//!
//! PostgreSQL: psql's own rule for SQL-standard bodies (`CREATE FUNCTION .. BEGIN ATOMIC ..
//! END`): in a statement that starts with `CREATE [OR REPLACE] FUNCTION | PROCEDURE`, at
//! parenthesis depth 0, `BEGIN` opens, `CASE` opens inside an open block, `END` closes.
//! The same rule as the plain client, so both split a file alike.

/// A significant token of the statement, as the splitter lexes it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Tok<'t> {
    /// A bare word (keyword or identifier) starting at `at`; `attached` when it follows `.`
    /// or `@` directly (a qualified name or a variable: never a keyword).
    Word {
        text: &'t str,
        at: usize,
        attached: bool,
    },
    /// A number, a quoted identifier: a name, never a keyword.
    Name,
    /// A string or dollar-quoted literal.
    Str,
    Open,
    Close,
    /// Any other single character (`,`, `=`, `:`, `@`, ...) at `at`.
    Punct {
        byte: u8,
        at: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing seen yet.
    Start,
    /// MySQL: `CREATE` and the words that may precede the object kind.
    MaybeProgram,
    /// PostgreSQL: the first words, as psql records them (`c`, `o`, `r`, `f` / `p`).
    PgHead,
    /// MySQL: a stored program definition.
    Program,
    /// MariaDB: a compound statement outside a stored program.
    Compound,
    /// PostgreSQL: `CREATE [OR REPLACE] FUNCTION | PROCEDURE`.
    PgRoutine,
    /// An ordinary statement: `;` ends it.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Begin,
    If,
    /// `statement`: a CASE statement (its THEN / ELSE start statements), else an expression.
    Case {
        statement: bool,
    },
    Loop,
    While,
    Repeat,
    For,
}

/// The keywords block tracking reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    Begin,
    End,
    If,
    Case,
    Loop,
    While,
    Repeat,
    For,
    Then,
    Else,
    Do,
    Atomic,
    Row,
    Select,
    Deterministic,
    Sql,
    Data,
    Invoker,
    Definer,
    Other,
}

fn keyword(w: &str) -> Kw {
    const KWS: &[(&str, Kw)] = &[
        ("BEGIN", Kw::Begin),
        ("END", Kw::End),
        ("IF", Kw::If),
        ("CASE", Kw::Case),
        ("LOOP", Kw::Loop),
        ("WHILE", Kw::While),
        ("REPEAT", Kw::Repeat),
        ("FOR", Kw::For),
        ("THEN", Kw::Then),
        ("ELSE", Kw::Else),
        ("DO", Kw::Do),
        ("ATOMIC", Kw::Atomic),
        ("ROW", Kw::Row),
        ("SELECT", Kw::Select),
        ("DETERMINISTIC", Kw::Deterministic),
        ("SQL", Kw::Sql),
        ("DATA", Kw::Data),
        ("INVOKER", Kw::Invoker),
        ("DEFINER", Kw::Definer),
    ];
    KWS.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(w))
        .map_or(Kw::Other, |(_, kw)| *kw)
}

/// The token before the current one, as far as "does a statement start here" needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    Semi,
    /// A label's colon (`lbl: LOOP`).
    Colon,
    Close,
    Str,
    Punct,
    Word(Kw),
    /// IF / CASE / LOOP ... right after END.
    Qualifier,
}

#[derive(Debug)]
pub(super) struct Blocks<'a> {
    text: &'a str,
    mysql: bool,
    mode: Mode,
    /// Open blocks, with the offset of their opening keyword.
    stack: Vec<(Kind, usize)>,
    prev: Prev,
    /// PostgreSQL: psql's record of the statement's first identifiers.
    pg_ids: [u8; 4],
    pg_count: usize,
}

impl<'a> Blocks<'a> {
    /// `enabled`: the delimiter is `;` (PostgreSQL always).
    pub(super) fn new(text: &'a str, mysql: bool, enabled: bool) -> Self {
        Blocks {
            text,
            mysql,
            mode: if enabled { Mode::Start } else { Mode::Off },
            stack: Vec::new(),
            prev: Prev::Start,
            pg_ids: [0; 4],
            pg_count: 0,
        }
    }

    /// A `;` here is inside a block: it does not end the statement.
    pub(super) fn inside(&self) -> bool {
        !self.stack.is_empty()
    }

    /// A `;` inside a block.
    pub(super) fn semicolon(&mut self) {
        self.prev = Prev::Semi;
    }

    /// The outermost block still open (at the end of the input: never closed).
    pub(super) fn unclosed(&self) -> Option<usize> {
        self.stack.first().map(|(_, at)| *at)
    }

    pub(super) fn token(&mut self, tok: Tok<'_>, paren_depth: usize) {
        if self.mode == Mode::Off {
            return;
        }
        if !self.mysql {
            self.pg_token(tok, paren_depth);
            return;
        }
        let Tok::Word { text, at, attached } = tok else {
            if matches!(self.mode, Mode::Start) {
                self.mode = Mode::Off;
                return;
            }
            self.prev = match tok {
                Tok::Str => Prev::Str,
                Tok::Close => Prev::Close,
                Tok::Punct { byte: b':', at } if self.byte(at + 1) != Some(b'=') => Prev::Colon,
                Tok::Name => Prev::Word(Kw::Other),
                _ => Prev::Punct,
            };
            return;
        };
        let kw = if attached { Kw::Other } else { keyword(text) };
        match self.mode {
            Mode::Start => {
                self.mode = match kw {
                    Kw::If | Kw::Case | Kw::Loop | Kw::While | Kw::Repeat | Kw::For => {
                        Mode::Compound
                    }
                    Kw::Begin if self.next_words(at + text.len(), 2) == ["NOT", "ATOMIC"] => {
                        Mode::Compound
                    }
                    _ if text.eq_ignore_ascii_case("CREATE") => {
                        self.prev = Prev::Word(Kw::Other);
                        Mode::MaybeProgram
                    }
                    _ => Mode::Off,
                };
                if self.mode != Mode::Compound {
                    return;
                }
            }
            Mode::MaybeProgram => {
                const KINDS: [&str; 4] = ["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"];
                const BEFORE: [&str; 5] = ["OR", "REPLACE", "DEFINER", "AGGREGATE", "CURRENT_USER"];
                let is = |set: &[&str]| set.iter().any(|k| k.eq_ignore_ascii_case(text));
                // `DEFINER = user@host`: the user's parts come after `=` and `@`
                if is(&KINDS) {
                    self.mode = Mode::Program;
                } else if !(attached || self.prev == Prev::Punct || is(&BEFORE)) {
                    self.mode = Mode::Off;
                }
                self.prev = Prev::Word(kw);
                return;
            }
            _ => {}
        }
        if paren_depth > 0 {
            self.prev = Prev::Word(Kw::Other);
            return;
        }
        self.prev = self.mysql_word(kw, at);
    }

    /// Open or close a block on a MySQL keyword; returns what the next token sees before it.
    fn mysql_word(&mut self, kw: Kw, at: usize) -> Prev {
        let start = self.statement_start();
        match kw {
            Kw::If | Kw::Case | Kw::Loop | Kw::While | Kw::Repeat | Kw::For
                if self.prev == Prev::Word(Kw::End) =>
            {
                return Prev::Qualifier;
            }
            Kw::End => {
                let closes = match self.stack.last() {
                    None => false,
                    Some((Kind::Case { .. } | Kind::Repeat, _)) => true,
                    // a block's END follows its last statement's `;` (or an empty BEGIN);
                    // otherwise `end` is a name (`SELECT start, end FROM t`)
                    Some(_) => matches!(self.prev, Prev::Semi | Prev::Word(Kw::Begin | Kw::Atomic)),
                };
                if !closes {
                    return Prev::Word(Kw::Other);
                }
                self.stack.pop();
            }
            Kw::Begin => {
                // `BEGIN` is a block wherever a statement can be; not a value (`, begin`)
                if matches!(self.prev, Prev::Punct | Prev::Word(Kw::Select)) {
                    return Prev::Word(Kw::Other);
                }
                self.stack.push((Kind::Begin, at));
            }
            Kw::Case => self.stack.push((Kind::Case { statement: start }, at)),
            Kw::If if start => self.stack.push((Kind::If, at)),
            Kw::Loop if start => self.stack.push((Kind::Loop, at)),
            Kw::While if start => self.stack.push((Kind::While, at)),
            Kw::Repeat if start => self.stack.push((Kind::Repeat, at)),
            Kw::For if start => self.stack.push((Kind::For, at)),
            // `IF(..)`, `REPEAT(..)`, `FOR UPDATE`: functions and clauses, not blocks
            Kw::If | Kw::Loop | Kw::While | Kw::Repeat | Kw::For => return Prev::Word(Kw::Other),
            _ => {}
        }
        Prev::Word(kw)
    }

    /// Can a statement (an IF, a loop ...) start at the current token?
    fn statement_start(&self) -> bool {
        let header = self.stack.is_empty() && self.mode == Mode::Program;
        match self.prev {
            Prev::Start => self.mode == Mode::Compound,
            Prev::Semi => !self.stack.is_empty(),
            Prev::Colon => true,
            Prev::Word(Kw::Begin | Kw::Do | Kw::Loop | Kw::Repeat | Kw::Atomic) => true,
            Prev::Word(Kw::Then | Kw::Else) => !matches!(
                self.stack.last(),
                Some((Kind::Case { statement: false }, _))
            ),
            // the routine body after its header: `p() IF ..`, `DETERMINISTIC IF ..`,
            // `COMMENT 'x' IF ..`, a trigger's `FOR EACH ROW IF ..`
            Prev::Close
            | Prev::Str
            | Prev::Word(
                Kw::Deterministic | Kw::Sql | Kw::Data | Kw::Invoker | Kw::Definer | Kw::Row,
            ) => header,
            _ => false,
        }
    }

    /// psql's rule (see the module doc).
    fn pg_token(&mut self, tok: Tok<'_>, paren_depth: usize) {
        let Tok::Word { text, at, .. } = tok else {
            return;
        };
        if self.mode != Mode::PgRoutine {
            const HEAD: [&str; 5] = ["create", "function", "procedure", "or", "replace"];
            if self.pg_count < 4 && HEAD.iter().any(|h| h.eq_ignore_ascii_case(text)) {
                self.pg_ids[self.pg_count] = text.as_bytes()[0].to_ascii_lowercase();
            }
            self.pg_count += 1;
            self.mode = match self.pg_ids {
                [b'c', b'f' | b'p', ..] | [b'c', b'o', b'r', b'f' | b'p'] => Mode::PgRoutine,
                _ if self.pg_count >= 4 => Mode::Off,
                _ => Mode::PgHead,
            };
        }
        if self.mode != Mode::PgRoutine || paren_depth > 0 {
            return;
        }
        match keyword(text) {
            Kw::Begin => self.stack.push((Kind::Begin, at)),
            Kw::Case if !self.stack.is_empty() => {
                self.stack.push((Kind::Case { statement: false }, at))
            }
            Kw::End => {
                self.stack.pop();
            }
            _ => {}
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// The offset of the next token after `from`: whitespace and comments skipped.
    fn skip_trivia(&self, mut at: usize) -> usize {
        let t = self.text.as_bytes();
        loop {
            while t.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            let rest = &t[at.min(t.len())..];
            if rest.starts_with(b"--") || rest.starts_with(b"#") {
                at += rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            } else if rest.starts_with(b"/*") {
                at += rest
                    .windows(2)
                    .skip(2)
                    .position(|w| w == b"*/")
                    .map_or(rest.len(), |p| p + 4);
            } else {
                return at;
            }
        }
    }

    /// Up to `n` words following `from`, upper-cased (stops at anything else).
    fn next_words(&self, mut from: usize, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        while out.len() < n {
            let at = self.skip_trivia(from);
            let rest = &self.text[at.min(self.text.len())..];
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if len == 0 {
                break;
            }
            out.push(rest[..len].to_ascii_uppercase());
            from = at + len;
        }
        out
    }
}
