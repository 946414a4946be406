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
