//! PostgreSQL statements sqlparser cannot read that the planner still places: a short list
//! of shapes, recognised word by word to the end of the statement, whose effect on the
//! running code and whose lock are known. Each passes through as written, into the expand
//! (it takes no lock the application queues behind for longer than a catalog update, and
//! removes nothing the old code uses):
//!
//! - `COMMENT ON .. IS '..'` (a constraint, a function with its arguments);
//! - `CREATE STATISTICS [IF NOT EXISTS] s ..`, undone by `DROP STATISTICS IF EXISTS s`;
//! - `ALTER SEQUENCE [IF EXISTS] s ..` (`OWNED BY`, `RESTART`, `RENAME TO`: a rename is
//!   undone by the rename back; a column default holds the sequence itself, not its name);
//! - `ALTER INDEX IF EXISTS a RENAME TO b`, undone by the rename back;
//! - `ALTER TABLE t ALTER CONSTRAINT c ..[, ALTER CONSTRAINT ..]` with deferral words only,
//!   of constraints the earlier migrations made (one this migration adds to an existing
//!   table may be added in its contract, after this statement) or of a new table.
//!
//! Anything else is refused as before: the planner only rewrites what it can read.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::super::PlanPhase;
use super::{Builder, passthrough};
use sluice_core::catalog::Catalog;
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;

/// What an unreadable statement is, when it is one of the known shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    Comment,
    Statistics {
        name: String,
    },
    Sequence {
        /// `RENAME TO`: the old and the new name (the new one in the old one's schema).
        rename: Option<(String, String)>,
    },
    IndexRename {
        from: String,
        to: String,
    },
    Deferral {
        table: ObjName,
        constraints: Vec<String>,
        /// The statement's other actions as an `ALTER TABLE` of their own, and its deferrals
        /// as another.
        split: Option<(String, String)>,
    },
}

/// The words and symbols of `sql`, comments and whitespace dropped; `None` when the
/// tokenizer refuses it.
fn tokens(sql: &str) -> Option<Vec<Token>> {
    let toks = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    Some(
        toks.into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF | Token::SemiColon))
            .collect(),
    )
}

/// The identifiers and keywords of `sql` as stored (unquoted ones folded to lower case).
pub(super) fn words(dialect: Dialect, sql: &str) -> Vec<String> {
    let toks = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize(),
        Dialect::Mysql => Tokenizer::new(&sqlparser::dialect::MySqlDialect {}, sql).tokenize(),
    };
    toks.map(|toks| toks.iter().filter_map(stored).collect())
        .unwrap_or_default()
}

fn is_kw(t: Option<&Token>, kw: &str) -> bool {
    matches!(t, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
}

/// A name as written (`a`, `"A"`, `s.a`) from `i`: its text and the index after it.
fn name(toks: &[Token], mut i: usize) -> Option<(String, usize)> {
    let mut text = String::new();
    loop {
        let Some(Token::Word(_)) = toks.get(i) else {
            return None;
        };
        text.push_str(&toks[i].to_string());
        i += 1;
        if toks.get(i) == Some(&Token::Period) {
            text.push('.');
            i += 1;
        } else {
            return Some((text, i));
        }
    }
}

/// The identifier of a name as PostgreSQL stores it (unquoted folds to lower case).
fn stored(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
        Token::Word(w) => Some(w.value.clone()),
        _ => None,
    }
}

/// `[schema .] name` as the catalog keys it.
fn obj_name(toks: &[Token], i: usize) -> Option<(ObjName, usize)> {
    let (_, end) = name(toks, i)?;
    let parts: Vec<String> = toks[i..end].iter().filter_map(stored).collect();
    let (schema, table) = match parts.as_slice() {
        [t] => (None, t.clone()),
        [.., s, t] => (Some(s.clone()), t.clone()),
        [] => return None,
    };
    Some((
        ObjName {
            schema,
            name: table,
        },
        end,
    ))
}

fn recognise(sql: &str) -> Option<Known> {
    let toks = tokens(sql)?;
    let kw = |i: usize, k: &str| is_kw(toks.get(i), k);
    if kw(0, "COMMENT") && kw(1, "ON") {
        // `.. IS 'text'` or `.. IS NULL` ends it
        let n = toks.len();
        let last_is_value = matches!(
            toks.get(n.wrapping_sub(1)),
            Some(Token::SingleQuotedString(_) | Token::EscapedStringLiteral(_))
        ) || kw(n.wrapping_sub(1), "NULL");
        return (n >= 4 && kw(n - 2, "IS") && last_is_value).then_some(Known::Comment);
    }
    if kw(0, "CREATE") && kw(1, "STATISTICS") {
        let mut i = 2;
        if kw(i, "IF") && kw(i + 1, "NOT") && kw(i + 2, "EXISTS") {
            i += 3;
        }
        let (name, _) = name(&toks, i)?;
        return Some(Known::Statistics { name });
    }
    if kw(0, "ALTER") && kw(1, "SEQUENCE") {
        let mut i = 2;
        if kw(i, "IF") && kw(i + 1, "EXISTS") {
            i += 2;
        }
        let (seq, after) = name(&toks, i)?;
        let rename = if kw(after, "RENAME") && kw(after + 1, "TO") {
            let (to, end) = name(&toks, after + 2)?;
            if end != toks.len() {
                return None;
            }
            Some((seq, to))
        } else {
            // sequence options only: words, numbers, names of an `OWNED BY`
            let options = toks[after..].iter().all(|t| {
                matches!(
                    t,
                    Token::Word(_) | Token::Number(..) | Token::Period | Token::Minus
                )
            });
            if !options || after == toks.len() {
                return None;
            }
            None
        };
        return Some(Known::Sequence { rename });
    }
    if kw(0, "ALTER") && kw(1, "INDEX") && kw(2, "IF") && kw(3, "EXISTS") {
        let (from, after) = name(&toks, 4)?;
        if !(kw(after, "RENAME") && kw(after + 1, "TO")) {
            return None;
        }
        let (to, end) = name(&toks, after + 2)?;
        return (end == toks.len()).then_some(Known::IndexRename { from, to });
    }
    if kw(0, "ALTER") && kw(1, "TABLE") {
        return alter_table(sql);
    }
    None
}

/// `ALTER CONSTRAINT c <deferral words>`: the constraint's stored name.
fn deferral(action: &str) -> Option<String> {
    let toks = tokens(action)?;
    let [alter, constraint, c, rest @ ..] = toks.as_slice() else {
        return None;
    };
    let words = !rest.is_empty()
        && rest.iter().all(|t| {
            ["DEFERRABLE", "NOT", "INITIALLY", "DEFERRED", "IMMEDIATE"]
                .iter()
                .any(|k| is_kw(Some(t), k))
        });
    (is_kw(Some(alter), "ALTER") && is_kw(Some(constraint), "CONSTRAINT") && words)
        .then(|| stored(c))
        .flatten()
}

/// `ALTER TABLE t` with one or more `ALTER CONSTRAINT` deferrals among its actions (the
/// actions split at the commas outside parentheses); the others, when there are any, as an
/// `ALTER TABLE` of their own.
fn alter_table(sql: &str) -> Option<Known> {
    let located = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    let offsets = sluice_core::sql::Offsets::new(sql);
    let offset = |l| offsets.of(l);
    let significant: Vec<_> = located
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .collect();
    let words: Vec<Token> = significant.iter().map(|t| t.token.clone()).collect();
    let kw = |i: usize, k: &str| is_kw(words.get(i), k);
    let mut i = 2;
    if kw(i, "IF") && kw(i + 1, "EXISTS") {
        i += 2;
    }
    if kw(i, "ONLY") {
        i += 1;
    }
    let (table, after) = obj_name(&words, i)?;
    let head_end = offset(significant.get(after.checked_sub(1)?)?.span.end)?;
    // the actions: between the name and the end, split at commas outside parentheses
    let mut cuts = vec![head_end];
    let mut depth = 0i32;
    for t in &significant[after..] {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                let at = offset(t.span.start)?;
                cuts.push(at);
                cuts.push(at + 1);
            }
            _ => {}
        }
    }
    cuts.push(sql.len());
    let actions: Vec<&str> = cuts.chunks(2).map(|c| sql[c[0]..c[1]].trim()).collect();
    let (mut constraints, mut deferrals, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for action in actions {
        match deferral(action) {
            Some(c) => {
                constraints.push(c);
                deferrals.push(action);
            }
            None if action.is_empty() => return None,
            None => others.push(action),
        }
    }
    if constraints.is_empty() {
        return None;
    }
    let head = &sql[..head_end];
    let split = (!others.is_empty()).then(|| {
        (
            format!("{head}\n    {}", others.join(",\n    ")),
            format!("{head}\n    {}", deferrals.join(",\n    ")),
        )
    });
    Some(Known::Deferral {
        table,
        constraints,
        split,
    })
}

/// `x` in the schema of `of` (`s.a` renamed to `b` is `s.b`).
fn beside(of: &str, x: &str) -> String {
    match of.rsplit_once('.') {
        Some((schema, _)) if !x.contains('.') => format!("{schema}.{x}"),
        _ => x.to_owned(),
    }
}

/// Place the unreadable statement `text` of `line`, or say why not. `before`: the schema
/// before the migration; `new_table`: whether the migration creates a table; `plan_rest`
/// plans an `ALTER TABLE` of the actions sqlparser reads, split off one that has
/// deferrals among them (lemmy's `ALTER COLUMN instance_id SET NOT NULL, ALTER CONSTRAINT
/// mod_ban_instance_id_fkey NOT DEFERRABLE`), before the deferrals pass through.
pub(super) fn plan(
    b: &mut Builder<'_>,
    line: usize,
    text: &str,
    before: &Catalog,
    new_table: impl Fn(&ObjName) -> bool,
    plan_rest: impl FnOnce(&mut Builder<'_>, &str) -> Result<(), String>,
) -> Result<(), String> {
    const READ: &str =
        "the planner only rewrites what it can read: apply it from a hand-written phased migration";
    if b.settings.dialect != Dialect::Postgres {
        return Err(READ.to_owned());
    }
    let Some(known) = recognise(text) else {
        return Err(READ.to_owned());
    };
    let mut text = text.to_owned();
    let down = match known {
        Known::Comment | Known::Sequence { rename: None } => None,
        Known::Statistics { name } => Some(format!("DROP STATISTICS IF EXISTS {name}")),
        Known::Sequence {
            rename: Some((from, to)),
        } => Some(format!(
            "ALTER SEQUENCE IF EXISTS {} RENAME TO {}",
            beside(&from, &to),
            from.rsplit('.').next().unwrap_or(&from)
        )),
        Known::IndexRename { from, to } => Some(format!(
            "ALTER INDEX IF EXISTS {} RENAME TO {}",
            beside(&from, &to),
            from.rsplit('.').next().unwrap_or(&from)
        )),
        Known::Deferral {
            table,
            constraints,
            split,
        } => {
            let added_here = constraints.iter().find(|c| {
                before
                    .table(&table)
                    .is_none_or(|t| t.constraint(c).is_none())
            });
            if let Some(constraint) = added_here.filter(|_| !new_table(&table)) {
                return Err(format!(
                    "constraint {constraint} of {} is not one the earlier migrations made, and a constraint this migration adds to an existing table may be added in its contract, after this statement; change its deferral in a later migration",
                    table.name
                ));
            }
            if let Some((rest, deferrals)) = split {
                plan_rest(b, &rest)?;
                text = deferrals;
            }
            None
        }
    };
    let down = match down {
        Some(sql) => Some(b.sql("passthrough.sql", serde_json::json!({ "statement": sql }))?),
        None => None,
    };
    passthrough::statement(b, line, &text, PlanPhase::Expand, down)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_shapes_to_the_end_of_the_statement() {
        assert_eq!(
            recognise("comment on constraint c on t is 'it''s'"),
            Some(Known::Comment)
        );
        assert_eq!(
            recognise("COMMENT ON FUNCTION random_string(int4) IS 'x'"),
            Some(Known::Comment)
        );
        assert_eq!(
            recognise("CREATE statistics s1 ON (a IS NULL), (b IS NULL) FROM t"),
            Some(Known::Statistics { name: "s1".into() })
        );
        assert_eq!(
            recognise("ALTER SEQUENCE s OWNED BY t.id"),
            Some(Known::Sequence { rename: None })
        );
        assert_eq!(
            recognise("ALTER SEQUENCE s RESTART WITH 10000000"),
            Some(Known::Sequence { rename: None })
        );
        assert_eq!(
            recognise("ALTER SEQUENCE app.s\n    RENAME TO n"),
            Some(Known::Sequence {
                rename: Some(("app.s".into(), "n".into()))
            })
        );
        assert_eq!(
            recognise("ALTER INDEX IF EXISTS a RENAME TO b"),
            Some(Known::IndexRename {
                from: "a".into(),
                to: "b".into()
            })
        );
        assert_eq!(
            recognise("ALTER TABLE ONLY \"T\" ALTER CONSTRAINT c_fkey NOT DEFERRABLE"),
            Some(Known::Deferral {
                table: ObjName {
                    schema: None,
                    name: "T".into()
                },
                constraints: vec!["c_fkey".into()],
                split: None
            })
        );
        assert_eq!(
            recognise(
                "ALTER TABLE t\n    ALTER CONSTRAINT a INITIALLY DEFERRED,\n    ALTER CONSTRAINT \"B\" DEFERRABLE INITIALLY IMMEDIATE"
            ),
            Some(Known::Deferral {
                table: ObjName {
                    schema: None,
                    name: "t".into()
                },
                constraints: vec!["a".into(), "B".into()],
                split: None
            })
        );
        // other actions beside: split off, commas inside parentheses kept
        assert_eq!(
            recognise(
                "ALTER TABLE m\n    ADD CONSTRAINT m_check CHECK (num_nonnulls (a, b) = 1),\n    ALTER CONSTRAINT m_a_fkey NOT DEFERRABLE,\n    ALTER COLUMN a SET NOT NULL"
            ),
            Some(Known::Deferral {
                table: ObjName {
                    schema: None,
                    name: "m".into()
                },
                constraints: vec!["m_a_fkey".into()],
                split: Some((
                    "ALTER TABLE m\n    ADD CONSTRAINT m_check CHECK (num_nonnulls (a, b) = 1),\n    ALTER COLUMN a SET NOT NULL".into(),
                    "ALTER TABLE m\n    ALTER CONSTRAINT m_a_fkey NOT DEFERRABLE".into()
                ))
            })
        );
    }

    #[test]
    fn anything_more_is_not_known() {
        for sql in [
            // a second action
            "ALTER TABLE t ALTER CONSTRAINT c",
            "ALTER INDEX IF EXISTS a RENAME TO b; DROP TABLE t",
            "ALTER INDEX IF EXISTS a SET TABLESPACE x",
            "ALTER SEQUENCE s",
            "ALTER SEQUENCE s RENAME TO n, x",
            "COMMENT ON TABLE t IS 'a' || 'b'",
            "REINDEX TABLE t",
            "DO $$ BEGIN END $$",
        ] {
            assert_eq!(recognise(sql), None, "{sql}");
        }
    }
}
