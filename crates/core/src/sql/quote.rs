//! Dialect-aware quoting of identifiers and string literals for generated SQL.

use sqlparser::keywords::ALL_KEYWORDS;

use super::Dialect;
use super::ops::ObjName;

/// Always-quoted identifier: exact whatever the name holds.
pub fn ident(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
    }
}

/// Identifier quoted only when it has to be (upper case, symbols, keywords), so generated
/// SQL stays readable; the result names exactly `name` either way.
pub fn ident_min(dialect: Dialect, name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && ALL_KEYWORDS
            .binary_search(&name.to_ascii_uppercase().as_str())
            .is_err();
    if plain {
        name.to_owned()
    } else {
        ident(dialect, name)
    }
}

/// `schema.name` (or `name`), each part quoted as needed.
pub fn qualified(dialect: Dialect, name: &ObjName) -> String {
    match &name.schema {
        Some(s) if !s.is_empty() => {
            format!(
                "{}.{}",
                ident_min(dialect, s),
                ident_min(dialect, &name.name)
            )
        }
        _ => ident_min(dialect, &name.name),
    }
}

/// A string literal that means `s` whatever the server's escaping settings: PostgreSQL
/// `E'..'` when backslashes occur; MySQL a hex literal converted to utf8mb4 unless the text
/// is plain (MySQL reads backslash escapes unless `NO_BACKSLASH_ESCAPES` is set).
pub fn literal(dialect: Dialect, s: &str) -> String {
    match dialect {
        Dialect::Postgres => {
            if s.contains('\\') {
                format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
            } else {
                format!("'{}'", s.replace('\'', "''"))
            }
        }
        Dialect::Mysql => {
            if s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') && !s.contains(['\\', '\'']) {
                format!("'{s}'")
            } else {
                format!("CONVERT(X'{}' USING utf8mb4)", hex::encode(s))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let pg = Dialect::Postgres;
        assert_eq!(ident_min(pg, "users"), "users");
        assert_eq!(ident_min(pg, "Users"), "\"Users\"");
        assert_eq!(ident_min(pg, "select"), "\"select\"");
        assert_eq!(ident_min(pg, "a \"b\""), "\"a \"\"b\"\"\"");
        assert_eq!(ident_min(pg, "été"), "\"été\"");
        assert_eq!(ident_min(pg, "1a"), "\"1a\"");
        assert_eq!(ident_min(Dialect::Mysql, "a`b"), "`a``b`");
        assert_eq!(qualified(pg, &ObjName::new(Some("App"), "t")), "\"App\".t");
    }

    #[test]
    fn literals() {
        assert_eq!(literal(Dialect::Postgres, "it's"), "'it''s'");
        assert_eq!(literal(Dialect::Postgres, "a\\b"), "E'a\\\\b'");
        assert_eq!(literal(Dialect::Mysql, "ok"), "'ok'");
        assert_eq!(
            literal(Dialect::Mysql, "it's"),
            "CONVERT(X'6974277' USING utf8mb4)".replace("6974277", &hex::encode("it's"))
        );
    }
}

/// `sql` with every identifier longer than 63 bytes written as PostgreSQL stores it: its
/// first 63 bytes ([`crate::names::pg_stored`]). PostgreSQL's lexer cuts every identifier so,
/// quoted or not, wherever it stands, so the text means what it meant; it only no longer
/// relies on the silent cut (lint's identifier-too-long). Text the tokenizer cannot read
/// comes back as it is.
pub fn pg_stored_identifiers(sql: &str) -> std::borrow::Cow<'_, str> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let too_long = |w: &sqlparser::tokenizer::Word| w.value.len() > crate::names::MAX_IDENT_BYTES;
    if !sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .any(|w| w.len() > crate::names::MAX_IDENT_BYTES)
        && !sql.contains('"')
    {
        return sql.into();
    }
    let d = Dialect::Postgres.parser_dialect();
    let Ok(tokens) = Tokenizer::new(d.as_ref(), sql).tokenize_with_location() else {
        return sql.into();
    };
    let offsets = super::Offsets::new(sql);
    let offset = |l| offsets.of(l);
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for t in &tokens {
        let Token::Word(w) = &t.token else {
            continue;
        };
        if !too_long(w) {
            continue;
        }
        let (Some(a), Some(z)) = (offset(t.span.start), offset(t.span.end)) else {
            return sql.into();
        };
        if a < at || z < a {
            return sql.into();
        }
        out.push_str(&sql[at..a]);
        let cut = crate::names::pg_stored(&w.value);
        match w.quote_style {
            Some('"') => out.push_str(&format!("\"{}\"", cut.replace('"', "\"\""))),
            None => out.push_str(cut),
            Some(_) => out.push_str(&sql[a..z]),
        }
        at = z;
    }
    if at == 0 {
        return sql.into();
    }
    out.push_str(&sql[at..]);
    out.into()
}

#[cfg(test)]
mod stored_tests {
    use super::*;

    #[test]
    fn identifiers_over_63_bytes_are_written_as_postgres_stores_them() {
        let long = "idx_post_aggregates_featured_community_newest_comment_time_necro";
        assert_eq!(long.len(), 64);
        let cut = &long[..63];
        assert_eq!(
            pg_stored_identifiers(&format!(
                "CREATE INDEX {long} ON t (a);\n-- {long}\nDROP INDEX \"{long}\""
            )),
            format!("CREATE INDEX {cut} ON t (a);\n-- {long}\nDROP INDEX \"{cut}\"")
        );
        // strings and short names stay; a multi-byte name is cut on a char boundary
        let s = format!("SELECT '{long}', \"é{long}\" FROM t");
        assert_eq!(
            pg_stored_identifiers(&s),
            format!("SELECT '{long}', \"é{}\" FROM t", &long[..61])
        );
        assert_eq!(pg_stored_identifiers("SELECT 1"), "SELECT 1");
        // on a later line, after multi-byte text
        let s = format!("SELECT 'ü';\n  ALTER TABLE t RENAME CONSTRAINT a TO {long}");
        assert_eq!(
            pg_stored_identifiers(&s),
            format!("SELECT 'ü';\n  ALTER TABLE t RENAME CONSTRAINT a TO {cut}")
        );
    }
}
