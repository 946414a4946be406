//! MySQL / MariaDB online DDL facts (mysql-online-ddl.md): which algorithm InnoDB can use for
//! an `ALTER TABLE` action on a given server, given the column as the catalog knows it.
//! Pure; the rules of section F and the MySQL side of `changing-column-type` read it.

use sluice_core::catalog::{Column, SqlType};
use sluice_core::sql::ops::{ColumnSpec, Generated, ObjName, Operation};

use super::context::{ScriptCx, Stmt};
use super::settings::MysqlServer;

mod encoding;
use encoding::encoding_change;
pub use encoding::{
    Encoding, Indexed, canonical_charset, canonical_collation, charset_max_bytes,
    default_collation, indexed,
};

/// The charset of a column whose table and column say none (MySQL 8.0's default).
pub const DEFAULT_CHARSET: &str = "utf8mb4";

/// The cheapest algorithm InnoDB has for an action, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    /// Metadata only.
    Instant,
    /// In place (maybe rebuilding the table), concurrent writes allowed (`LOCK=NONE`).
    Inplace,
    /// A full table copy: writes blocked for its whole length (`LOCK=SHARED`).
    Copy,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Inplace => "INPLACE",
            Algorithm::Copy => "COPY",
        }
    }
}

/// `alter` with its own `ALGORITHM=` / `LOCK=` clauses replaced by `ALGORITHM=<a>` and, unless
/// INSTANT, `LOCK=NONE`: so the server refuses rather than silently falling back to a
/// blocking algorithm (mysql-online-ddl.md). The one pinning rule of the planner and runner.
pub fn pinned(
    alter: &sqlparser::ast::AlterTable,
    algorithm: Algorithm,
) -> sqlparser::ast::AlterTable {
    use sqlparser::ast::{AlterTableAlgorithm, AlterTableLock, AlterTableOperation};
    let mut alter = alter.clone();
    alter.operations.retain(|o| {
        !matches!(
            o,
            AlterTableOperation::Algorithm { .. } | AlterTableOperation::Lock { .. }
        )
    });
    alter.operations.push(AlterTableOperation::Algorithm {
        equals: true,
        algorithm: if algorithm == Algorithm::Instant {
            AlterTableAlgorithm::Instant
        } else {
            AlterTableAlgorithm::Inplace
        },
    });
    if algorithm != Algorithm::Instant {
        alter.operations.push(AlterTableOperation::Lock {
            equals: true,
            lock: AlterTableLock::None,
        });
    }
    alter
}

/// The MySQL spelling of a type, for comparing (`INT(11)` = `INT`, `BOOL` = `TINYINT(1)`).
fn normalised(t: &SqlType) -> SqlType {
    let mut t = t.clone();
    if matches!(t.base.as_str(), "boolean" | "bool") {
        t.base = "tinyint".into();
        t.args = vec![1];
    }
    // integer display widths change nothing
    let int_base = t.base.split(' ').next().unwrap_or_default().to_owned();
    if matches!(
        int_base.as_str(),
        "tinyint" | "smallint" | "mediumint" | "integer" | "bigint"
    ) {
        t.args.clear();
    }
    t
}

/// Does the type store text (and so depend on a charset)?
fn is_text(t: &SqlType) -> bool {
    matches!(
        t.base.as_str(),
        "varchar"
            | "char"
            | "text"
            | "tinytext"
            | "mediumtext"
            | "longtext"
            | "enum"
            | "set"
            | "national varchar"
            | "nvarchar"
    )
}

/// The members of an `ENUM(..)` / `SET(..)` type as written.
fn members(t: &SqlType) -> Vec<String> {
    let Some(text) = &t.opaque_args else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut cur, mut quoted) = (String::new(), false);
    for ch in text.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                cur.push(ch);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// How a column type change runs: `Ok` with the algorithm when no copy is needed, `Err` with
/// the reason when it is a table copy. The encodings matter to text types; `indexed` to a
/// collation change.
pub fn type_change(
    server: &MysqlServer,
    from: &SqlType,
    from_enc: &Encoding,
    to: &SqlType,
    to_enc: &Encoding,
    indexed: Indexed,
) -> Result<Algorithm, String> {
    let (f, t) = (normalised(from), normalised(to));
    let enc = if is_text(&f) && is_text(&t) {
        encoding_change(server, &t, from_enc, to_enc, indexed)?
    } else {
        Algorithm::Instant
    };
    let (from_width, to_width) = (
        charset_max_bytes(&from_enc.charset),
        charset_max_bytes(&to_enc.charset),
    );
    if f == t && (from_width == to_width || f.base != "varchar") {
        return Ok(enc);
    }
    if f.base == t.base
        && matches!(f.base.as_str(), "varchar" | "varbinary")
        && let ([a], [b]) = (f.args.as_slice(), t.args.as_slice())
    {
        if b < a {
            return Err(format!("shrinks {} from {a} to {b}", f.base));
        }
        let (from_bytes, to_bytes) = if f.base == "varbinary" {
            (*a, *b)
        } else {
            (a * from_width, b * to_width)
        };
        // MariaDB 10.4+ (row formats other than REDUNDANT) stores lengths below 128 bytes in
        // one byte whatever the maximum: a column of at most 127 bytes grows instantly
        let mariadb_short = server.mariadb_at_least(10, 4) && from_bytes <= 127;
        if (from_bytes <= 255) != (to_bytes <= 255) && !mariadb_short {
            return Err(format!(
                "grows {}({a}) to {}({b}) across the 255-byte length prefix, {from_bytes} to {to_bytes} bytes in {}",
                f.base, t.base, to_enc.charset
            ));
        }
        return Ok(enc.max(if server.mariadb {
            Algorithm::Instant
        } else {
            Algorithm::Inplace
        }));
    }
    if f.base == t.base && matches!(f.base.as_str(), "enum" | "set") {
        let (old, new) = (members(&f), members(&t));
        // appending members keeps every stored value, unless the storage size grows
        let storage = |n: usize| match (f.base.as_str(), n) {
            ("enum", n) => usize::from(n > 255),
            (_, n) => [8, 16, 24, 32, 64]
                .iter()
                .position(|m| n <= *m)
                .unwrap_or(5),
        };
        if !old.is_empty()
            && new.len() > old.len()
            && new[..old.len()] == old[..]
            && storage(old.len()) == storage(new.len())
        {
            return Ok(enc);
        }
        return Err(format!(
            "reorders or removes {} members",
            f.base.to_uppercase()
        ));
    }
    Err(format!("changes the column type from {from} to {to}"))
}

/// The column `column` had before statement `st`: a `CHANGE old new` in the same statement
/// renames it first, so its type change names the new one.
pub fn name_before<'a>(st: &'a Stmt, table: &ObjName, column: &'a str) -> &'a str {
    st.ops
        .iter()
        .find_map(|op| match op {
            Operation::RenameColumn { table: t, from, to } if t == table && to == column => {
                Some(from.as_str())
            }
            _ => None,
        })
        .unwrap_or(column)
}

/// The column as the catalog knows it just before `st`; `None`
/// when unknown (never created in the replayed migrations, or touched by a statement the
/// catalog could not read).
pub fn column_before(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    table: &ObjName,
    column: &str,
) -> Option<Column> {
    let cat = cx.catalog(st.index);
    let t = cat.table(table).filter(|t| !t.uncertain)?;
    t.column(name_before(st, table, column)).cloned()
}

/// How a `MODIFY` / `CHANGE` (or `ALTER COLUMN .. TYPE`) of an existing column runs, given the
/// catalog: `Ok(algorithm)`, or `Err(reason)` for a table copy. `None` when the current column
/// is unknown.
pub fn column_change(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    table: &ObjName,
    column: &str,
    new_type: &str,
) -> Option<Result<Algorithm, String>> {
    let current = column_before(cx, st, table, column)?;
    let redefined = redefinition(st, table, column);
    let server = cx.settings.mysql_server();
    let cat = cx.catalog(st.index);
    let (from, to) = Encoding::redefined(
        &server,
        &Encoding::of_catalog_table(&server, cat.table(table)),
        (current.charset.as_deref(), current.collation.as_deref()),
        redefined,
    );
    let mut verdict = type_change(
        &server,
        &current.sql_type(),
        &from,
        &SqlType::parse(new_type),
        &to,
        indexed(cat, table, name_before(st, table, column)),
    );
    if let (Ok(_), Some(new)) = (&verdict, redefined) {
        if new.serial && !current.serial {
            verdict = Err("makes the column AUTO_INCREMENT".into());
        } else if new.generated == Some(Generated::Stored)
            && current.generated != Some(Generated::Stored)
        {
            verdict = Err("makes it a STORED generated column".into());
        } else if new.not_null != current.not_null {
            // NULL <-> NOT NULL rebuilds the table in place
            verdict = verdict.map(|a| a.max(Algorithm::Inplace));
        }
    }
    Some(verdict)
}

/// The `MODIFY` / `CHANGE` definition of `column` in statement `st`, if any.
pub fn redefinition<'a>(st: &'a Stmt, table: &ObjName, column: &str) -> Option<&'a ColumnSpec> {
    st.ops.iter().find_map(|op| match op {
        Operation::RedefineColumn {
            table: t,
            column: c,
        } if t == table && c.name == column => Some(c),
        _ => None,
    })
}

/// The algorithm of `ADD COLUMN` on this server (mysql-online-ddl.md): INSTANT since MySQL
/// 8.0.12 in last position and 8.0.29 anywhere, since MariaDB 10.3 last and 10.4 anywhere;
/// else an in-place rebuild. `AUTO_INCREMENT` and STORED generated columns are copies.
pub fn add_column(server: &MysqlServer, column: &ColumnSpec) -> Result<Algorithm, String> {
    if column.serial {
        return Err("adds an AUTO_INCREMENT column".into());
    }
    if column.generated == Some(Generated::Stored) {
        return Err("adds a STORED generated column".into());
    }
    if column.primary_key || column.unique {
        return Ok(Algorithm::Inplace);
    }
    Ok(if instant_add_column(server, column.position.is_some()) {
        Algorithm::Instant
    } else {
        Algorithm::Inplace
    })
}

/// Does this server create the foreign key of an inline `REFERENCES` (MariaDB 10.5+, MySQL
/// 9.0+)? Older ones parse it and ignore it.
pub fn inline_references_create_fk(server: &MysqlServer) -> bool {
    server.mariadb_at_least(10, 5) || server.mysql_at_least(9, 0, 0)
}

/// Can a column of `data_type` take a literal DEFAULT on this server? MySQL gives TEXT, BLOB,
/// JSON and the spatial types none (8.0.13+: only an expression in parentheses); MariaDB does.
pub fn literal_default(server: &MysqlServer, data_type: &str) -> bool {
    let t = SqlType::parse(data_type);
    server.mariadb
        || !matches!(
            t.base.as_str(),
            "tinytext"
                | "text"
                | "mediumtext"
                | "longtext"
                | "tinyblob"
                | "blob"
                | "mediumblob"
                | "longblob"
                | "json"
                | "geometry"
                | "point"
                | "linestring"
                | "polygon"
                | "multipoint"
                | "multilinestring"
                | "multipolygon"
                | "geometrycollection"
        )
}

/// Is `ADD COLUMN` (with `FIRST` / `AFTER` when `positioned`) INSTANT on this server?
pub fn instant_add_column(server: &MysqlServer, positioned: bool) -> bool {
    if server.mariadb {
        server.at_least(10, if positioned { 4 } else { 3 }, 0)
    } else if positioned {
        server.at_least(8, 0, 29)
    } else {
        server.at_least(8, 0, 12)
    }
}

/// An `ALTER TABLE` (or MySQL `CREATE INDEX` / `DROP INDEX .. ON`) of a table that exists
/// before the statement, with its `ALGORITHM=` / `LOCK=` clauses (upper case).
pub struct Alter<'a> {
    pub st: &'a Stmt,
    pub table: ObjName,
    pub algorithm: Option<String>,
    pub lock: Option<String>,
}

/// Does this operation change a table's definition (as `ALTER TABLE` does)?
fn alters_table(op: &Operation) -> Option<&ObjName> {
    use Operation as Op;
    match op {
        Op::AddColumn { table, .. }
        | Op::DropColumn { table, .. }
        | Op::RenameColumn { table, .. }
        | Op::AlterColumnType { table, .. }
        | Op::RedefineColumn { table, .. }
        | Op::SetNotNull { table, .. }
        | Op::DropNotNull { table, .. }
        | Op::SetDefault { table, .. }
        | Op::DropDefault { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::DropConstraint { table, .. }
        | Op::CreateIndex { table, .. }
        | Op::AlterTableOptions { table, .. }
        | Op::ConvertCharset { table, .. } => Some(table),
        Op::DropIndex {
            table: Some(table), ..
        } => Some(table),
        Op::TableRewrite {
            table: Some(table), ..
        } => Some(table),
        _ => None,
    }
}

/// Every statement of the script that alters an existing table (renames alone excluded:
/// they copy nothing and take no ALGORITHM clause).
pub fn alters<'a>(cx: &'a ScriptCx<'_>) -> Vec<Alter<'a>> {
    let mut out = Vec::new();
    for st in &cx.statements {
        let table = match st.ops.iter().find_map(alters_table) {
            Some(t) => t.clone(),
            // an action neither the parser nor the token scan types (`PARTITION BY ..`)
            None if st
                .ops
                .iter()
                .any(|o| matches!(o, Operation::Other { kind } if kind == "ALTER TABLE")) =>
            {
                match altered_table_name(cx.text(st)) {
                    Some(t) => t,
                    None => continue,
                }
            }
            None => continue,
        };
        if cx.is_new_table(&table, st.index) {
            continue;
        }
        let (mut algorithm, mut lock) = (None, None);
        for op in &st.ops {
            if let Operation::AlterTableOptions {
                algorithm: a,
                lock: l,
                ..
            } = op
            {
                algorithm = a.as_ref().map(|a| a.to_ascii_uppercase());
                lock = l.as_ref().map(|l| l.to_ascii_uppercase());
            }
        }
        // statements the parser could not read (`DROP INDEX i ON t ALGORITHM=INPLACE`)
        if algorithm.is_none() && lock.is_none() {
            algorithm = clause_value(cx.text(st), "ALGORITHM");
            lock = clause_value(cx.text(st), "LOCK");
        }
        out.push(Alter {
            st,
            table,
            algorithm,
            lock,
        });
    }
    out
}

/// `-- sluice:strategy <name>` above the statement.
pub fn strategy(cx: &ScriptCx<'_>, st: &Stmt) -> Option<String> {
    let text = &cx.file().text;
    st.leading_comments
        .iter()
        .find_map(|c| match sluice_core::source::directives::parse(text, c) {
            Some(sluice_core::source::directives::Directive::Strategy(s)) => Some(s),
            _ => None,
        })
}

/// Was `foreign_key_checks` turned off earlier in the script (and not back on)?
pub fn fk_checks_off(cx: &ScriptCx<'_>, before: usize) -> bool {
    let mut off = false;
    for st in cx.statements.iter().take_while(|s| s.index < before) {
        for op in &st.ops {
            if let Operation::SetVariable { name, value, .. } = op
                && name.to_ascii_lowercase().ends_with("foreign_key_checks")
            {
                off = matches!(
                    value.trim().to_ascii_lowercase().as_str(),
                    "0" | "off" | "false"
                );
            }
        }
    }
    off
}

/// The best algorithm for a whole statement, with the reasons it needs a table copy (empty
/// unless `Copy`), and whether it needs `LOCK=SHARED` (FULLTEXT / SPATIAL index builds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub algorithm: Algorithm,
    pub copy_reasons: Vec<String>,
    pub lock_shared: bool,
}

/// The verdict for one statement on an existing table, on the configured server.
pub fn verdict(cx: &ScriptCx<'_>, st: &Stmt) -> Verdict {
    use Operation as Op;
    let server = cx.settings.mysql_server();
    let text = cx.text(st).to_ascii_uppercase();
    let mut v = Verdict {
        algorithm: Algorithm::Instant,
        copy_reasons: Vec::new(),
        lock_shared: false,
    };
    let mut add = |r: Result<Algorithm, String>| match r {
        Ok(a) => v.algorithm = v.algorithm.max(a),
        Err(why) => {
            v.algorithm = Algorithm::Copy;
            if !v.copy_reasons.contains(&why) {
                v.copy_reasons.push(why);
            }
        }
    };
    let instant_if = |yes: bool| {
        Ok(if yes {
            Algorithm::Instant
        } else {
            Algorithm::Inplace
        })
    };
    let mut lock_shared = false;
    for op in &st.ops {
        match op {
            // MariaDB 10.5+ and MySQL 9.0+ create the FK an inline REFERENCES declares
            Op::AddColumn { column, .. }
                if column.references.is_some()
                    && inline_references_create_fk(&server)
                    && !fk_checks_off(cx, st.index) =>
            {
                add(Err(
                    "adds a FOREIGN KEY (inline REFERENCES) with foreign_key_checks on".into(),
                ));
            }
            Op::AddColumn { column, .. } => add(add_column(&server, column)),
            // an indexed column is dropped in place, not instantly (MariaDB 10.11 refuses
            // ALGORITHM=INSTANT: "Reason: DROP INDEX")
            Op::DropColumn { table, column, .. } => add(instant_if(
                (server.mysql_at_least(8, 0, 29) || server.mariadb_at_least(10, 4))
                    && indexed(cx.catalog(st.index), table, column) == Indexed::No,
            )),
            Op::RenameColumn { .. } => add(instant_if(
                server.mysql_at_least(8, 0, 28) || server.mariadb_at_least(10, 3),
            )),
            Op::AlterColumnType {
                table,
                column,
                new_type,
                ..
            } => add(match column_change(cx, st, table, column, new_type) {
                Some(r) => r,
                None => Err(format!(
                    "changes column `{column}` to {new_type} (current type unknown)"
                )),
            }),
            Op::SetDefault { .. } | Op::DropDefault { .. } | Op::RenameTable { .. } => {
                add(Ok(Algorithm::Instant));
            }
            Op::AddConstraint { constraint, .. } => add(match constraint.kind {
                sluice_core::sql::ops::ConstraintKind::ForeignKey
                    if !fk_checks_off(cx, st.index) =>
                {
                    Err("adds a FOREIGN KEY with foreign_key_checks on".into())
                }
                sluice_core::sql::ops::ConstraintKind::Check => {
                    Err("adds a CHECK constraint (every row is checked by a table copy)".into())
                }
                _ => Ok(Algorithm::Inplace),
            }),
            Op::CreateIndex {
                fulltext_or_spatial,
                ..
            } => {
                lock_shared |= *fulltext_or_spatial;
                add(Ok(Algorithm::Inplace));
            }
            Op::ConvertCharset {
                table,
                charset,
                collation,
            } => add(convert_charset(
                cx,
                st,
                table,
                charset,
                collation.as_deref(),
            )),
            Op::TableRewrite { .. } => {
                // a CONVERT TO with a charset is its own operation, judged above
                let converted = st
                    .ops
                    .iter()
                    .any(|o| matches!(o, Op::ConvertCharset { .. }));
                if text.contains("CONVERT") && !converted {
                    add(Err("converts the table to another charset".into()));
                } else if let Some(engine) = engine_of(&text)
                    && engine != "INNODB"
                {
                    add(Err(format!("changes the storage engine to {engine}")));
                } else {
                    // `ENGINE=InnoDB` / `FORCE`: an in-place rebuild
                    add(Ok(Algorithm::Inplace));
                }
            }
            Op::Other { .. } => {
                if text.contains("PARTITION BY") || text.contains("REMOVE PARTITIONING") {
                    add(Err("changes the table's partitioning".into()));
                } else {
                    add(Ok(Algorithm::Inplace));
                }
            }
            Op::SetNotNull { .. }
            | Op::DropNotNull { .. }
            | Op::DropConstraint { .. }
            | Op::DropIndex { .. } => add(Ok(Algorithm::Inplace)),
            _ => {}
        }
    }
    v.lock_shared = lock_shared;
    v
}

/// How `CONVERT TO CHARACTER SET charset [COLLATE collation]` runs: each text column's change
/// of encoding, as `MODIFY` would make it (MariaDB: nothing to do when nothing changes, in
/// place when only indexes need rebuilding); a copy on MySQL, or when the columns are unknown.
fn convert_charset(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    table: &ObjName,
    charset: &str,
    collation: Option<&str>,
) -> Result<Algorithm, String> {
    let server = cx.settings.mysql_server();
    let cat = cx.catalog(st.index);
    let t = cat
        .table(table)
        .filter(|t| server.mariadb && !t.uncertain && !t.stub)
        .ok_or_else(|| format!("converts the table to {charset}"))?;
    let defaults = Encoding::of_catalog_table(&server, Some(t));
    let to = Encoding::resolve(&server, &defaults, Some(charset), collation);
    let mut best = Algorithm::Instant;
    for c in &t.columns {
        let ty = c.sql_type();
        if !is_text(&normalised(&ty)) {
            continue;
        }
        let from = Encoding::resolve(
            &server,
            &defaults,
            c.charset.as_deref(),
            c.collation.as_deref(),
        );
        let a = type_change(&server, &ty, &from, &ty, &to, indexed(cat, table, &c.name))
            .map_err(|why| format!("converts the table to {charset}: column `{}` {why}", c.name))?;
        best = best.max(a);
    }
    Ok(best)
}

/// The value of an `ALGORITHM [=] x` / `LOCK [=] x` clause in a statement's text, upper case.
fn clause_value(text: &str, key: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().find_map(|(i, w)| {
        let upper = w.to_ascii_uppercase();
        let rest = upper.strip_prefix(key)?;
        let value = match rest.strip_prefix('=') {
            Some("") => words.get(i + 1)?.to_ascii_uppercase(),
            Some(v) => v.to_owned(),
            None if rest.is_empty() => {
                let next = words.get(i + 1)?.to_ascii_uppercase();
                match next.strip_prefix('=') {
                    Some("") => words.get(i + 2)?.to_ascii_uppercase(),
                    Some(v) => v.to_owned(),
                    None => next,
                }
            }
            None => return None,
        };
        let value: String = value
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        matches!(
            value.as_str(),
            "DEFAULT" | "INSTANT" | "INPLACE" | "NOCOPY" | "COPY" | "NONE" | "SHARED" | "EXCLUSIVE"
        )
        .then_some(value)
    })
}

/// The table of `ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] name ..`, from the text.
fn altered_table_name(text: &str) -> Option<ObjName> {
    let mut words = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty());
    words.by_ref().find(|w| w.eq_ignore_ascii_case("TABLE"))?;
    let mut name = words.next()?;
    if name.eq_ignore_ascii_case("IF") {
        words.next();
        name = words.next()?;
    }
    let unquote = |p: &str| {
        if p.starts_with('`') || p.starts_with('"') {
            p.trim_matches(['`', '"']).to_owned()
        } else {
            p.to_lowercase()
        }
    };
    Some(match name.split_once('.') {
        Some((s, n)) => ObjName::new(Some(&unquote(s)), &unquote(n)),
        None => ObjName::new(None, &unquote(name)),
    })
}

/// The engine an `ENGINE=x` clause names, upper case.
fn engine_of(upper: &str) -> Option<String> {
    sluice_core::sql::classify::option_value(upper, "ENGINE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mysql(patch: Option<u32>) -> MysqlServer {
        MysqlServer {
            mariadb: false,
            major: 8,
            minor: 0,
            patch,
        }
    }

    fn enc(server: &MysqlServer, cs: &str) -> Encoding {
        Encoding::resolve(
            server,
            &Encoding::of_table(server, None, None),
            Some(cs),
            None,
        )
    }

    fn change(from: &str, from_cs: &str, to: &str, to_cs: &str) -> Result<Algorithm, String> {
        let server = mysql(None);
        type_change(
            &server,
            &SqlType::parse(from),
            &enc(&server, from_cs),
            &SqlType::parse(to),
            &enc(&server, to_cs),
            Indexed::No,
        )
    }

    #[test]
    fn varchar_growth_depends_on_the_length_prefix_class() {
        // utf8mb4: 63 chars = 252 bytes, 64 chars = 256 bytes
        assert_eq!(
            change("VARCHAR(50)", "utf8mb4", "VARCHAR(63)", "utf8mb4"),
            Ok(Algorithm::Inplace)
        );
        assert!(change("VARCHAR(50)", "utf8mb4", "VARCHAR(64)", "utf8mb4").is_err());
        // latin1: 255 chars still fit one length byte
        assert_eq!(
            change("VARCHAR(50)", "latin1", "VARCHAR(255)", "latin1"),
            Ok(Algorithm::Inplace)
        );
        assert!(change("VARCHAR(50)", "latin1", "VARCHAR(256)", "latin1").is_err());
        // utf8mb3: 85 chars = 255 bytes
        assert!(change("VARCHAR(80)", "utf8mb3", "VARCHAR(85)", "utf8mb3").is_ok());
        assert!(change("VARCHAR(80)", "utf8mb3", "VARCHAR(86)", "utf8mb3").is_err());
        // both above 255 bytes: in place
        assert!(change("VARCHAR(100)", "utf8mb4", "VARCHAR(500)", "utf8mb4").is_ok());
        assert!(change("VARCHAR(100)", "utf8mb4", "VARCHAR(50)", "utf8mb4").is_err());
        assert!(change("VARCHAR(10)", "latin1", "VARCHAR(10)", "utf8mb4").is_err());
    }

    #[test]
    fn mariadb_grows_short_varchars_past_255_bytes() {
        let maria = MysqlServer {
            mariadb: true,
            major: 10,
            minor: 11,
            patch: None,
        };
        let change = |from: &str, to: &str, cs: &str| {
            type_change(
                &maria,
                &SqlType::parse(from),
                &enc(&maria, cs),
                &SqlType::parse(to),
                &enc(&maria, cs),
                Indexed::No,
            )
        };
        // 31 x 4 = 124 bytes: instant to any length; 32 x 4 = 128 bytes: a copy past 255
        assert_eq!(
            change("VARCHAR(31)", "VARCHAR(100)", "utf8mb4"),
            Ok(Algorithm::Instant)
        );
        assert!(change("VARCHAR(32)", "VARCHAR(100)", "utf8mb4").is_err());
        assert_eq!(
            change("VARCHAR(127)", "VARCHAR(300)", "latin1"),
            Ok(Algorithm::Instant)
        );
        assert!(change("VARCHAR(128)", "VARCHAR(300)", "latin1").is_err());
        // MySQL keeps the 255-byte rule
        assert!(self::change("VARCHAR(31)", "utf8mb4", "VARCHAR(100)", "utf8mb4").is_err());
    }

    #[test]
    fn enum_appends_are_instant_and_other_changes_copy() {
        assert_eq!(
            change("ENUM('a','b')", "utf8mb4", "ENUM('a', 'b', 'c')", "utf8mb4"),
            Ok(Algorithm::Instant)
        );
        assert!(change("ENUM('a','b')", "utf8mb4", "ENUM('b','a')", "utf8mb4").is_err());
        assert!(change("ENUM('a','b')", "utf8mb4", "ENUM('a')", "utf8mb4").is_err());
        assert!(change("INT", "utf8mb4", "BIGINT", "utf8mb4").is_err());
        assert_eq!(
            change("INT(11)", "utf8mb4", "int", "latin1"),
            Ok(Algorithm::Instant)
        );
        assert_eq!(
            change("BOOL", "utf8mb4", "TINYINT(1)", "utf8mb4"),
            Ok(Algorithm::Instant)
        );
    }

    #[test]
    fn clauses_read_from_text() {
        let text = "DROP INDEX i ON t ALGORITHM=INPLACE LOCK = none";
        assert_eq!(clause_value(text, "ALGORITHM").as_deref(), Some("INPLACE"));
        assert_eq!(clause_value(text, "LOCK").as_deref(), Some("NONE"));
        assert_eq!(
            clause_value("ALTER TABLE t ENGINE=InnoDB, ALGORITHM =COPY", "ALGORITHM").as_deref(),
            Some("COPY")
        );
        assert_eq!(
            clause_value("ALTER TABLE t ADD COLUMN lock_id INT", "LOCK"),
            None
        );
        assert_eq!(
            clause_value("ALTER TABLE t ADD COLUMN lock INT", "LOCK"),
            None
        );
    }

    #[test]
    fn instant_add_column_by_version_and_position() {
        assert!(instant_add_column(&mysql(None), true));
        assert!(instant_add_column(&mysql(Some(29)), true));
        assert!(!instant_add_column(&mysql(Some(28)), true));
        assert!(instant_add_column(&mysql(Some(12)), false));
        assert!(!instant_add_column(&mysql(Some(11)), false));
        let maria = |minor| MysqlServer {
            mariadb: true,
            major: 10,
            minor,
            patch: None,
        };
        assert!(instant_add_column(&maria(4), true));
        assert!(!instant_add_column(&maria(3), true));
        assert!(instant_add_column(&maria(3), false));
        assert!(!instant_add_column(&maria(2), false));
    }

    #[test]
    fn literal_defaults_by_type_and_server() {
        let my = mysql(Some(35));
        for t in [
            "INT",
            "varchar(20)",
            "ENUM('point','text')",
            "decimal(10,2)",
        ] {
            assert!(literal_default(&my, t), "{t}");
        }
        for t in ["TEXT", "longblob", "JSON", "point"] {
            assert!(!literal_default(&my, t), "{t}");
        }
        let maria = MysqlServer {
            mariadb: true,
            major: 10,
            minor: 11,
            patch: None,
        };
        assert!(literal_default(&maria, "TEXT"));
    }
}
