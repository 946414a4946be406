//! `CREATE TABLE` and the column and constraint definitions `ALTER TABLE` shares with it.

use super::super::ops::{ColumnSpec, ConstraintKind, ConstraintSpec, Generated, Operation};
use super::super::volatility;
use super::tokens::{Cursor, Tok, render};

/// `CREATE TABLE [IF NOT EXISTS] name (columns and constraints)`.
pub(super) fn create_table(c: &mut Cursor) -> Vec<Operation> {
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
pub(super) fn constraint(a: &mut Cursor) -> Option<ConstraintSpec> {
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
pub(super) fn column_type<'a>(a: &mut Cursor<'a>) -> &'a [Tok] {
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
pub(super) fn column(a: &mut Cursor) -> Option<ColumnSpec> {
    let name = a.ident()?;
    let mut spec = ColumnSpec::new(name, render(column_type(a), true));
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
            spec.collation = Some(super::super::ops::BINARY_ATTRIBUTE.into());
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
