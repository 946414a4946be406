//! Charsets and collations (mysql-online-ddl.md, and MariaDB 10.11 where it does better than
//! the spec says): a column's encoding as the server resolves it, and what changing it costs.

use sluice_core::catalog::{SqlType, Table};
use sluice_core::sql::ops::{BINARY_ATTRIBUTE, ColumnSpec, ObjName};

use super::{Algorithm, DEFAULT_CHARSET};
use crate::settings::MysqlServer;

/// Bytes per character at most, by charset (unknown charsets count as 4, the worst).
pub fn charset_max_bytes(charset: &str) -> u32 {
    match charset.to_ascii_lowercase().as_str() {
        "latin1" | "latin2" | "latin5" | "latin7" | "ascii" | "binary" | "cp1250" | "cp1251"
        | "cp1256" | "cp1257" | "cp850" | "cp852" | "cp866" | "dec8" | "greek" | "hebrew"
        | "hp8" | "keybcs2" | "koi8r" | "koi8u" | "macce" | "macroman" | "swe7" | "tis620"
        | "armscii8" | "geostd8" => 1,
        "ucs2" | "big5" | "gbk" | "sjis" | "cp932" | "euckr" | "gb2312" => 2,
        "utf8" | "utf8mb3" | "ujis" | "eucjpms" => 3,
        _ => 4,
    }
}

/// A charset's one name: lower case, `utf8` read as `utf8mb3` (what both servers mean by it).
pub fn canonical_charset(cs: &str) -> String {
    let cs = cs.to_ascii_lowercase();
    if cs == "utf8" { "utf8mb3".into() } else { cs }
}

/// The charset a collation belongs to, canonical (`utf8_bin` -> `utf8mb3`).
fn charset_of_collation(c: &str) -> Option<String> {
    sluice_core::sql::classify::charset_of_collation(c).map(|cs| canonical_charset(&cs))
}

/// A collation's one name: lower case, `utf8_..` read as `utf8mb3_..`.
pub fn canonical_collation(c: &str) -> String {
    let c = c.to_ascii_lowercase();
    match c.strip_prefix("utf8_") {
        Some(rest) => format!("utf8mb3_{rest}"),
        None => c,
    }
}

/// The collation a charset gets when none is named, on this server; `None` when unknown.
pub fn default_collation(server: &MysqlServer, charset: &str) -> Option<String> {
    let cs = canonical_charset(charset);
    let c = match cs.as_str() {
        "utf8mb4" if !server.mariadb => "utf8mb4_0900_ai_ci",
        // MariaDB 11.5 made utf8mb4_uca1400_ai_ci the default of new installs: unknown
        "utf8mb4" if server.mariadb_at_least(11, 5) => return None,
        "utf8mb4" | "utf8mb3" | "ascii" | "ucs2" | "utf16" | "utf32" | "latin2" | "cp1250"
        | "cp1251" | "cp1256" | "cp1257" | "greek" | "hebrew" | "koi8r" | "koi8u" | "cp850"
        | "cp852" | "cp866" | "macce" | "macroman" | "armscii8" | "geostd8" | "keybcs2" => {
            return Some(format!("{cs}_general_ci"));
        }
        "latin1" => "latin1_swedish_ci",
        "binary" => "binary",
        _ => return None,
    };
    Some(c.into())
}

/// A text column's charset and collation as the server resolves them (canonical names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    pub charset: String,
    /// `None` when the server's default for the charset is not known here.
    pub collation: Option<String>,
}

impl Encoding {
    /// A table's defaults: its charset and collation, else the server's.
    pub fn of_table(
        server: &MysqlServer,
        charset: Option<&str>,
        collation: Option<&str>,
    ) -> Encoding {
        let charset = charset
            .map(canonical_charset)
            .or_else(|| collation.and_then(charset_of_collation))
            .unwrap_or_else(|| DEFAULT_CHARSET.into());
        let collation = collation
            .map(canonical_collation)
            .filter(|c| charset_of_collation(c).as_deref() == Some(&charset))
            .or_else(|| default_collation(server, &charset));
        Encoding { charset, collation }
    }

    /// A catalog table's defaults (the server's when the table is unknown).
    pub fn of_catalog_table(server: &MysqlServer, t: Option<&Table>) -> Encoding {
        Encoding::of_table(
            server,
            t.and_then(|t| t.charset.as_deref()),
            t.and_then(|t| t.collation.as_deref()),
        )
    }

    /// A column's (or a `MODIFY`'s) encoding from what it names: its collation, else its
    /// charset's default collation, else the table's defaults.
    pub fn resolve(
        server: &MysqlServer,
        table: &Encoding,
        charset: Option<&str>,
        collation: Option<&str>,
    ) -> Encoding {
        // the BINARY attribute: the `_bin` collation of whichever charset the column gets
        if let Some(suffix) = collation.filter(|c| *c == BINARY_ATTRIBUTE) {
            let charset = Encoding::resolve(server, table, charset, None).charset;
            return Encoding {
                collation: Some(format!("{charset}{suffix}")),
                charset,
            };
        }
        let charset = charset
            .map(canonical_charset)
            .or_else(|| collation.and_then(charset_of_collation));
        match charset {
            Some(charset) => Encoding {
                collation: collation
                    .map(canonical_collation)
                    .or_else(|| default_collation(server, &charset)),
                charset,
            },
            None => table.clone(),
        }
    }

    /// A column's encoding before and after its redefinition `spec` (`MODIFY` / `CHANGE`),
    /// which takes the table's defaults again where it names no charset or collation.
    pub fn redefined(
        server: &MysqlServer,
        defaults: &Encoding,
        (charset, collation): (Option<&str>, Option<&str>),
        spec: Option<&ColumnSpec>,
    ) -> (Encoding, Encoding) {
        (
            Encoding::resolve(server, defaults, charset, collation),
            Encoding::resolve(
                server,
                defaults,
                spec.and_then(|c| c.charset.as_deref()),
                spec.and_then(|c| c.collation.as_deref()),
            ),
        )
    }

    /// The collation without its charset (`utf8mb3_bin` -> `bin`): utf8mb3 and utf8mb4 sort
    /// the same under the same name.
    fn ordering(&self) -> Option<&str> {
        let c = self.collation.as_deref()?;
        Some(c.strip_prefix(self.charset.as_str()).unwrap_or(c))
    }
}

/// Which index holds a column: what a collation change has to rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    No,
    /// In a secondary index (a UNIQUE key included).
    Secondary,
    /// In the PRIMARY KEY (the clustered index: the table itself).
    Primary,
}

/// Which index holds `column` of `table` in the catalog: an index, or a UNIQUE or PRIMARY KEY
/// (whose index it is on MySQL). A prefix part (`c(20)`) counts.
pub fn indexed(cat: &sluice_core::catalog::Catalog, table: &ObjName, column: &str) -> Indexed {
    use sluice_core::sql::ops::ConstraintKind;
    let names = |cols: &[String]| {
        cols.iter().any(|c| {
            c.split('(')
                .next()
                .unwrap_or(c)
                .trim()
                .eq_ignore_ascii_case(column)
        })
    };
    let Some(t) = cat.table(table) else {
        return Indexed::No;
    };
    if t.constraints
        .iter()
        .any(|k| k.kind == ConstraintKind::PrimaryKey && names(&k.columns))
    {
        return Indexed::Primary;
    }
    let unique = t
        .constraints
        .iter()
        .any(|k| k.kind == ConstraintKind::Unique && names(&k.columns));
    if unique || cat.indexes_on(table).iter().any(|i| names(&i.columns)) {
        Indexed::Secondary
    } else {
        Indexed::No
    }
}

/// How a change of a text column's charset or collation runs (the type aside): MariaDB 10.4+
/// widens utf8mb3 to utf8mb4 and changes the collation of a column outside any index
/// instantly, and (10.6+) rebuilds the secondary indexes of an indexed one without copying
/// the table (MDEV-15564, MDEV-26294); every other change, and any on MySQL, is a copy.
pub(super) fn encoding_change(
    server: &MysqlServer,
    ty: &SqlType,
    from: &Encoding,
    to: &Encoding,
    indexed: Indexed,
) -> Result<Algorithm, String> {
    let widened = from.charset == "utf8mb3" && to.charset == "utf8mb4";
    if from.charset != to.charset && !(widened && server.mariadb_at_least(10, 4)) {
        return Err(format!(
            "changes the column's charset from {} to {}",
            from.charset, to.charset
        ));
    }
    let recollated = match (from.ordering(), to.ordering()) {
        (None, None) => false,
        (a, b) => a != b,
    };
    let enum_like = matches!(ty.base.as_str(), "enum" | "set");
    if widened && enum_like {
        return Err(format!(
            "changes the charset of an {}",
            ty.base.to_uppercase()
        ));
    }
    if !recollated {
        return Ok(Algorithm::Instant);
    }
    let (a, b) = (
        from.collation.as_deref().unwrap_or("its default"),
        to.collation.as_deref().unwrap_or("the default"),
    );
    let why = |what: &str| Err(format!("changes the collation from {a} to {b}{what}"));
    if !server.mariadb_at_least(10, 4) || enum_like {
        return why("");
    }
    let blob = matches!(
        ty.base.as_str(),
        "text" | "tinytext" | "mediumtext" | "longtext"
    );
    match indexed {
        Indexed::No => Ok(Algorithm::Instant),
        Indexed::Primary => why(" of a PRIMARY KEY column"),
        Indexed::Secondary if blob || !server.mariadb_at_least(10, 6) => {
            why(" of an indexed column")
        }
        // the server rebuilds the column's indexes (a UNIQUE one fails on values the new
        // collation makes equal)
        Indexed::Secondary => Ok(Algorithm::Inplace),
    }
}

#[cfg(test)]
mod tests {
    use super::super::type_change;
    use super::*;

    fn mysql() -> MysqlServer {
        MysqlServer {
            mariadb: false,
            major: 8,
            minor: 0,
            patch: None,
        }
    }

    /// MariaDB 10.11, as the server answered (tests/it/mysql_online_ddl.rs runs the same
    /// statements against it).
    #[test]
    fn mariadb_charset_and_collation_changes() {
        let maria = MysqlServer {
            mariadb: true,
            major: 10,
            minor: 11,
            patch: None,
        };
        let none = Encoding::of_table(&maria, None, None);
        let e = |cs: &str, coll: Option<&str>| Encoding::resolve(&maria, &none, Some(cs), coll);
        let change = |ty: &str, from: &Encoding, to: &Encoding, ix: Indexed| {
            let t = SqlType::parse(ty);
            type_change(&maria, &t, from, &t, to, ix)
        };
        let general = e("utf8mb4", None);
        let bin = e("utf8mb4", Some("utf8mb4_bin"));
        assert_eq!(general.collation.as_deref(), Some("utf8mb4_general_ci"));
        // a collation change: instant outside any index, the indexes rebuilt in place
        // inside one, a copy for the clustered index, a prefix-indexed TEXT and an ENUM
        assert_eq!(
            change("VARCHAR(255)", &general, &bin, Indexed::No),
            Ok(Algorithm::Instant)
        );
        assert_eq!(
            change("VARCHAR(255)", &general, &bin, Indexed::Secondary),
            Ok(Algorithm::Inplace)
        );
        assert!(change("VARCHAR(255)", &general, &bin, Indexed::Primary).is_err());
        assert!(change("TEXT", &general, &bin, Indexed::Secondary).is_err());
        assert_eq!(
            change("TEXT", &general, &bin, Indexed::No),
            Ok(Algorithm::Instant)
        );
        assert!(change("ENUM('a','b')", &general, &bin, Indexed::No).is_err());
        // the same collation spelled out changes nothing
        assert_eq!(
            change(
                "VARCHAR(10)",
                &general,
                &e("utf8mb4", Some("UTF8MB4_GENERAL_CI")),
                Indexed::Primary
            ),
            Ok(Algorithm::Instant)
        );
        // utf8mb3 -> utf8mb4 keeps the order of the same-named collation: instant, indexed too
        let mb3 = e("utf8", None);
        assert_eq!(mb3.collation.as_deref(), Some("utf8mb3_general_ci"));
        assert_eq!(
            change("VARCHAR(100)", &mb3, &general, Indexed::Secondary),
            Ok(Algorithm::Instant)
        );
        assert_eq!(
            change(
                "VARCHAR(50)",
                &e("utf8mb3", Some("utf8_bin")),
                &bin,
                Indexed::Secondary
            ),
            Ok(Algorithm::Instant)
        );
        let unicode = e("utf8mb4", Some("utf8mb4_unicode_ci"));
        assert_eq!(
            change("VARCHAR(50)", &mb3, &unicode, Indexed::Secondary),
            Ok(Algorithm::Inplace)
        );
        // ... unless the length prefix grows: 80 x 3 = 240 bytes, 80 x 4 = 320
        assert!(change("VARCHAR(80)", &mb3, &general, Indexed::No).is_err());
        assert!(change("ENUM('a')", &mb3, &general, Indexed::No).is_err());
        // any other charset change is a copy
        assert!(change("VARCHAR(50)", &e("latin1", None), &general, Indexed::No).is_err());
        assert!(change("VARCHAR(20)", &general, &mb3, Indexed::No).is_err());
        // MySQL copies for any of them (mysql-online-ddl.md)
        let my = mysql();
        let t = SqlType::parse("VARCHAR(255)");
        let none = Encoding::of_table(&my, None, None);
        let (g, b) = (
            Encoding::resolve(&my, &none, Some("utf8mb4"), None),
            Encoding::resolve(&my, &none, None, Some("utf8mb4_bin")),
        );
        assert_eq!(g.collation.as_deref(), Some("utf8mb4_0900_ai_ci"));
        assert!(type_change(&my, &t, &g, &t, &b, Indexed::No).is_err());
    }
}
