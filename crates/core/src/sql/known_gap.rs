//! Statements sqlparser cannot parse whose meaning is certain: the tokens rewritten into a
//! form it reads that means the same, then classified as usual.

use sqlparser::ast::Statement;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Tokenizer;

use super::{Dialect, classify, ops};

/// A statement sqlparser cannot parse but whose meaning is certain, with its operations;
/// `None` for anything else.
///
/// - PostgreSQL's `DROP INDEX CONCURRENTLY [IF EXISTS] name`, the safe way to drop an index
///   (sqlparser 0.64 reads `CONCURRENTLY` as the index's name). The tree is the statement
///   without `CONCURRENTLY` (the other tokens keep their positions) and the operations say
///   `concurrently`. For the linter only: a caller that classifies the tree itself would
///   lose `CONCURRENTLY`.
/// - PostgreSQL 18's named NOT NULL constraints, `CONSTRAINT name NOT NULL col [NO INHERIT]`
///   (what pg_dump 18 writes; lemmy's history): in `ALTER TABLE .. ADD` it is
///   `ALTER COLUMN col SET NOT NULL`, the same lock and scan (checked on PostgreSQL 18); in
///   `CREATE TABLE` the column's own `CONSTRAINT name NOT NULL`. `NOT VALID` is left to the
///   token scan: it does not scan, `SET NOT NULL` does.
/// - MySQL's `ALTER TABLE t RENAME new_name`, `TO` / `AS` left out (authelia's history;
///   sqlparser 0.64 reads a column rename and expects its `TO`). The tree is the statement
///   with `TO`, which means the same.
pub fn parse_known_gap(
    dialect: Dialect,
    sql: &str,
) -> Option<(Vec<Statement>, Vec<ops::Operation>)> {
    match dialect {
        Dialect::Postgres => drop_index_concurrently(sql).or_else(|| named_not_null(sql)),
        Dialect::Mysql => rename_table_without_to(sql),
    }
}

/// Tokens, and the first words of them: (index, keyword; `NoKeyword` for anything else).
type TokensAndWords = (
    Vec<sqlparser::tokenizer::TokenWithSpan>,
    Vec<(usize, sqlparser::keywords::Keyword)>,
);

/// The tokens of `sql` and its first `n` tokens that are not whitespace.
fn tokens_and_words(dialect: Dialect, sql: &str, n: usize) -> Option<TokensAndWords> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::Token;
    let d = dialect.parser_dialect();
    let tokens = Tokenizer::new(d.as_ref(), sql)
        .tokenize_with_location()
        .ok()?;
    let words = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .take(n)
        .map(|(i, t)| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => (i, w.keyword),
            _ => (i, Keyword::NoKeyword),
        })
        .collect();
    Some((tokens, words))
}

fn parse_tokens(
    dialect: Dialect,
    tokens: Vec<sqlparser::tokenizer::TokenWithSpan>,
) -> Option<Statement> {
    let d = dialect.parser_dialect();
    let mut asts = Parser::new(d.as_ref())
        .with_recursion_limit(64)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .ok()?;
    (asts.len() == 1).then(|| asts.remove(0))
}

fn drop_index_concurrently(sql: &str) -> Option<(Vec<Statement>, Vec<ops::Operation>)> {
    use sqlparser::keywords::Keyword;
    let (mut tokens, words) = tokens_and_words(Dialect::Postgres, sql, 3)?;
    let [
        (_, Keyword::DROP),
        (_, Keyword::INDEX),
        (at, Keyword::CONCURRENTLY),
    ] = words[..]
    else {
        return None;
    };
    tokens.remove(at);
    let ast = parse_tokens(Dialect::Postgres, tokens)?;
    let mut ops = classify::classify(Dialect::Postgres, &ast);
    let mut dropped = false;
    for op in &mut ops {
        if let ops::Operation::DropIndex { concurrently, .. } = op {
            *concurrently = true;
            dropped = true;
        }
    }
    dropped.then_some((vec![ast], ops))
}

/// A named NOT NULL element: `CONSTRAINT name NOT NULL col [NO INHERIT]`, by indexes into
/// the statement's tokens.
struct NamedNotNull {
    /// `CONSTRAINT` (or `ADD` before it), and the last token of the element.
    first: usize,
    last: usize,
    name: usize,
    column: usize,
}

fn named_not_null(sql: &str) -> Option<(Vec<Statement>, Vec<ops::Operation>)> {
    use sqlparser::ast::{ColumnOption, ColumnOptionDef};
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};
    let (tokens, words) = tokens_and_words(Dialect::Postgres, sql, usize::MAX)?;
    // each word's depth in parentheses
    let mut depth = 0usize;
    let depths: Vec<usize> = words
        .iter()
        .map(|&(i, _)| match tokens[i].token {
            Token::LParen => {
                depth += 1;
                depth - 1
            }
            Token::RParen => {
                depth = depth.saturating_sub(1);
                depth
            }
            _ => depth,
        })
        .collect();
    let kw = |w: usize| words.get(w).map_or(Keyword::NoKeyword, |&(_, k)| k);
    let is_name = |w: usize| {
        matches!(
            words.get(w).map(|&(i, _)| &tokens[i].token),
            Some(Token::Word(_))
        )
    };
    let create = kw(0) == Keyword::CREATE;
    if !(create || (kw(0) == Keyword::ALTER && kw(1) == Keyword::TABLE)) {
        return None;
    }
    let mut found = Vec::new();
    for (w, &depth) in depths.iter().enumerate() {
        if kw(w) != Keyword::CONSTRAINT
            || !is_name(w + 1)
            || kw(w + 2) != Keyword::NOT
            || kw(w + 3) != Keyword::NULL
            || !is_name(w + 4)
        {
            continue;
        }
        let mut last = w + 4;
        if kw(last + 1) == Keyword::NO && kw(last + 2) == Keyword::INHERIT {
            last += 2;
        }
        if kw(last + 1) == Keyword::NOT {
            // NOT VALID (or anything else): not what SET NOT NULL does
            return None;
        }
        let add = w > 0 && kw(w - 1) == Keyword::ADD;
        // an element of CREATE TABLE's list, or an action of ALTER TABLE
        if (create && depth != 1) || (!create && (depth != 0 || !add)) {
            return None;
        }
        found.push(NamedNotNull {
            first: if add { w - 1 } else { w },
            last,
            name: w + 1,
            column: w + 4,
        });
    }
    if found.is_empty() {
        return None;
    }
    let tok = |w: usize| tokens[words[w].0].clone();
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    let mut columns = Vec::new();
    let mut next = 0usize;
    for f in &found {
        let (first, last) = (words[f.first].0, words[f.last].0);
        let mut start = first;
        let mut end = last + 1;
        if create {
            // the element with its comma: the one before it, else the one after it
            let before = words[..f.first].last().map(|&(i, _)| i);
            let after = words.get(f.last + 1).map(|&(i, _)| i);
            match (before, after) {
                (Some(b), _) if tokens[b].token == Token::Comma => start = b,
                (_, Some(a)) if tokens[a].token == Token::Comma => end = a + 1,
                _ => return None,
            }
            columns.push((tok(f.name), tok(f.column)));
        }
        if start < next {
            return None;
        }
        out.extend_from_slice(&tokens[next..start]);
        if !create {
            // ALTER COLUMN col SET NOT NULL, in the element's place
            let span = tokens[first].span;
            let space = TokenWithSpan::new(Token::Whitespace(Whitespace::Space), span);
            for word in ["ALTER", "COLUMN"] {
                out.push(TokenWithSpan::new(Token::make_keyword(word), span));
                out.push(space.clone());
            }
            out.push(tok(f.column));
            for word in ["SET", "NOT", "NULL"] {
                out.push(space.clone());
                out.push(TokenWithSpan::new(Token::make_keyword(word), span));
            }
        }
        next = end;
    }
    out.extend_from_slice(&tokens[next..]);
    let mut ast = parse_tokens(Dialect::Postgres, out)?;
    if create {
        let Statement::CreateTable(ct) = &mut ast else {
            return None;
        };
        for (name, column) in columns {
            let (Token::Word(n), Token::Word(c)) = (&name.token, &column.token) else {
                return None;
            };
            let want = classify::ident(&c.to_ident(column.span));
            let col = ct
                .columns
                .iter_mut()
                .find(|col| classify::ident(&col.name) == want)?;
            col.options.push(ColumnOptionDef {
                name: Some(n.to_ident(name.span)),
                option: ColumnOption::NotNull,
            });
        }
    }
    let ops = classify::classify(Dialect::Postgres, &ast);
    Some((vec![ast], ops))
}

fn rename_table_without_to(sql: &str) -> Option<(Vec<Statement>, Vec<ops::Operation>)> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, TokenWithSpan};
    let (mut tokens, words) = tokens_and_words(Dialect::Mysql, sql, 64)?;
    let [(_, Keyword::ALTER), (_, Keyword::TABLE), ..] = words[..] else {
        return None;
    };
    // the first RENAME after the table's name, followed by a name (not TO, AS, COLUMN, ...)
    let at = words.iter().position(|(_, k)| *k == Keyword::RENAME)?;
    let (rename, _) = words[at];
    let next = words.get(at + 1)?;
    let not_a_name = [
        Keyword::TO,
        Keyword::AS,
        Keyword::COLUMN,
        Keyword::INDEX,
        Keyword::KEY,
        Keyword::CONSTRAINT,
    ];
    if not_a_name.contains(&next.1) || !matches!(tokens[next.0].token, Token::Word(_)) {
        return None;
    }
    let span = tokens[rename].span;
    tokens.insert(
        rename + 1,
        TokenWithSpan::new(Token::make_keyword("TO"), span),
    );
    tokens.insert(
        rename + 1,
        TokenWithSpan::new(
            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
            span,
        ),
    );
    let ast = parse_tokens(Dialect::Mysql, tokens)?;
    let ops = classify::classify(Dialect::Mysql, &ast);
    matches!(ops.as_slice(), [ops::Operation::RenameTable { .. }]).then_some((vec![ast], ops))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;

    #[test]
    fn drop_index_concurrently_is_a_known_gap() {
        for sql in [
            "DROP INDEX CONCURRENTLY users_email_idx",
            "drop index concurrently if exists public.users_email_idx cascade",
        ] {
            assert!(
                parse(Dialect::Postgres, sql).is_err(),
                "sqlparser reads {sql} now"
            );
            let (asts, ops) = parse_known_gap(Dialect::Postgres, sql).expect(sql);
            assert_eq!(asts.len(), 1);
            assert!(
                matches!(
                    &ops[..],
                    [ops::Operation::DropIndex {
                        concurrently: true,
                        ..
                    }]
                ),
                "{sql}: {ops:?}"
            );
            assert!(ops[0].needs_no_transaction());
        }
        for sql in [
            "DROP INDEX CONCURRENTLY a b",
            "DROP TABLE CONCURRENTLY x",
            "DROP INDEX \"concurrently\"",
        ] {
            assert!(parse_known_gap(Dialect::Postgres, sql).is_none(), "{sql}");
        }
        assert!(parse_known_gap(Dialect::Mysql, "DROP INDEX CONCURRENTLY i").is_none());
    }

    #[test]
    fn mysql_rename_without_to_is_a_known_gap() {
        for (sql, to) in [
            (
                "ALTER TABLE totp_configurations\n    RENAME _bkp_UP_V0002_totp_configurations;",
                "_bkp_up_v0002_totp_configurations",
            ),
            ("alter table `a b` rename `c d`", "c d"),
            ("ALTER TABLE app.users RENAME app.people", "people"),
            ("ALTER TABLE t RENAME users", "users"),
        ] {
            assert!(
                parse(Dialect::Mysql, sql).is_err(),
                "sqlparser reads {sql} now"
            );
            let (asts, ops) = parse_known_gap(Dialect::Mysql, sql).expect(sql);
            assert_eq!(asts.len(), 1);
            match &ops[..] {
                [ops::Operation::RenameTable { to: name, .. }] => {
                    assert_eq!(name.name, to, "{sql}")
                }
                other => panic!("{sql}: {other:?}"),
            }
        }
        for sql in [
            "ALTER TABLE t RENAME a b",
            "ALTER TABLE t RENAME COLUMN a",
            "ALTER TABLE t RENAME x, ADD COLUMN y int",
            "ALTER TABLE t RENAME INDEX a",
            "SELECT RENAME x",
        ] {
            assert!(parse_known_gap(Dialect::Mysql, sql).is_none(), "{sql}");
        }
        assert!(parse_known_gap(Dialect::Postgres, "ALTER TABLE t RENAME x").is_none());
    }

    #[test]
    fn pg18_named_not_null_is_a_known_gap() {
        use ops::Operation as Op;
        let set_not_null = |ops: &[Op]| -> Vec<String> {
            ops.iter()
                .filter_map(|o| match o {
                    Op::SetNotNull { table, column } => Some(format!("{}.{column}", table.name)),
                    _ => None,
                })
                .collect()
        };
        // lemmy's forms: ADD alone, and among other actions
        let sql = "ALTER TABLE local_image\n    ADD CONSTRAINT image_upload_local_user_id_not_null NOT NULL local_user_id;";
        assert!(
            parse(Dialect::Postgres, sql).is_err(),
            "sqlparser reads {sql} now"
        );
        let (asts, ops) = parse_known_gap(Dialect::Postgres, sql).expect(sql);
        assert_eq!(asts.len(), 1);
        assert_eq!(set_not_null(&ops), ["local_image.local_user_id"]);
        assert_eq!(ops.len(), 1, "{ops:?}");
        let sql = "ALTER TABLE person\n    ADD COLUMN banned boolean DEFAULT FALSE,\n    ADD CONSTRAINT user__banned_not_null NOT NULL banned NO INHERIT,\n    ADD COLUMN \"Seen\" int";
        let (_, ops) = parse_known_gap(Dialect::Postgres, sql).expect(sql);
        assert_eq!(set_not_null(&ops), ["person.banned"]);
        assert!(
            matches!(
                &ops[..],
                [Op::AddColumn { .. }, Op::SetNotNull { .. }, Op::AddColumn { column, .. }] if column.name == "Seen"
            ),
            "{ops:?}"
        );
        // in CREATE TABLE: the column's own NOT NULL, wherever the element stands
        for sql in [
            "CREATE TABLE IF NOT EXISTS post_like (\n    post_id int NOT NULL,\n    person_id int REFERENCES person,\n    CONSTRAINT post_like_user_id_not_null NOT NULL person_id,\n    PRIMARY KEY (person_id, post_id)\n);",
            "CREATE TABLE post_like (CONSTRAINT post_like_user_id_not_null NOT NULL \"PERSON_ID\", post_id int NOT NULL, \"PERSON_ID\" int)",
            "create table post_like (post_id int not null, person_id int, constraint n not null person_id no inherit)",
        ] {
            let (asts, ops) = parse_known_gap(Dialect::Postgres, sql).expect(sql);
            let Statement::CreateTable(ct) = &asts[0] else {
                panic!("{sql}: {asts:?}")
            };
            assert_eq!(ct.columns.len(), 2, "{sql}");
            let Some(Op::CreateTable { columns, .. }) = ops.first() else {
                panic!("{sql}: {ops:?}")
            };
            let not_null: Vec<(&str, bool)> = columns
                .iter()
                .map(|c| (c.name.as_str(), c.not_null))
                .collect();
            assert!(not_null.iter().all(|(_, nn)| *nn), "{sql}: {not_null:?}");
        }
        for sql in [
            // not what SET NOT NULL does, or not an element this reads
            "ALTER TABLE t ADD CONSTRAINT n NOT NULL c NOT VALID",
            "CREATE TABLE t (a int, CONSTRAINT n NOT NULL b)",
            "CREATE TABLE t (a int CHECK (CONSTRAINT n NOT NULL a))",
            "ALTER TABLE t ALTER CONSTRAINT n NOT DEFERRABLE",
            "SELECT 1",
        ] {
            assert!(parse_known_gap(Dialect::Postgres, sql).is_none(), "{sql}");
        }
        assert!(
            parse_known_gap(Dialect::Mysql, "ALTER TABLE t ADD CONSTRAINT n NOT NULL c").is_none()
        );
    }
}
