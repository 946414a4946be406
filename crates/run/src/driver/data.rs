//! Rows for `migrate verify --rows`: how each database lists the columns and foreign keys of
//! its tables, spells a generated value of a column for row number `n`, numbers rows, and
//! checksums a table's columns. The planning (which table first, which columns) is
//! `verify/rows.rs`'s; the SQL is here.

use super::Database;

/// A column as the fill sees it (one row of [`Data::columns_sql`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillColumn {
    pub name: String,
    /// The type to cast a value to (PostgreSQL `format_type`, domains kept); MySQL
    /// `COLUMN_TYPE`.
    pub column_type: String,
    /// The base type's name, lower case (PostgreSQL `typname` of a domain's base type, `_int4`
    /// for arrays; MySQL `DATA_TYPE`).
    pub base: String,
    pub nullable: bool,
    pub has_default: bool,
    /// The server fills it (identity, serial, auto_increment, generated): never written.
    pub auto: bool,
    pub char_len: Option<u64>,
    pub precision: Option<u64>,
    pub scale: Option<u64>,
    /// Enum labels in order (PostgreSQL enum types; MySQL `enum(...)` / `set(...)`).
    pub labels: Vec<String>,
}

/// The separator of lists in the catalog rows (never in an identifier a user types).
pub const SEP: char = '\u{1f}';

/// One database family's SQL for generated rows and data checksums.
pub trait Data: Send + Sync {
    /// Every column of every base table, in table order then column order, as text:
    /// schema ('' on MySQL), table, column, cast type, base type, nullable (`t`/`f`),
    /// default, auto (`t`/`f`), character length, numeric precision, numeric scale, enum
    /// labels ([`SEP`]-separated).
    fn columns_sql(&self) -> String;

    /// Every foreign key between tables of the database: schema, table, columns, referenced
    /// schema, table, columns (lists [`SEP`]-separated), sorted.
    fn foreign_keys_sql(&self) -> String;

    /// Every CHECK constraint: schema, table, its one column ('' when the catalog does not
    /// tell), its definition.
    fn checks_sql(&self) -> String;

    /// A value of `c` for row number `n` (an integer expression), cast to the column's type;
    /// `None` when there is no generator for its type. Deterministic: a function of `n` and
    /// `salt` (the table and column) only.
    fn value(&self, c: &FillColumn, n: &str, salt: &str) -> Option<String>;

    /// The row numbers `1..=rows` as a FROM item named `alias` with one column `n`.
    fn series(&self, rows: u64, alias: &str) -> String;

    /// One row for a UNION ALL: `label`, then as one text `count(*)` and, per column, its
    /// non-null count and the sum of its values' hashes, comma-separated.
    fn checksum_sql(&self, table: &str, label: &str, columns: &[String]) -> String;

    /// A snapshot's table name (`schema.table`, or `table` in `public` / the connection's
    /// database) as a quoted reference.
    fn table_ref(&self, key: &str) -> String;
}

/// Parse a `SEP`-separated list; empty or NULL is none.
pub fn list(s: Option<&str>) -> Vec<String> {
    s.filter(|s| !s.is_empty())
        .map(|s| s.split(SEP).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `s` as one word (letters, digits, `_`): a text value fits where a slug or a label
/// (ltree, paths computed by triggers) is expected.
fn word(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Integer bound of a `numeric(p, s)`: values stay below `10^(p-s)`.
pub(super) fn numeric_cap(precision: Option<u64>, scale: Option<u64>) -> Option<u64> {
    let p = precision?;
    let digits = p.saturating_sub(scale.unwrap_or(0)).min(18);
    Some(10u64.pow(u32::try_from(digits).unwrap_or(18)))
}

/// The schemas the fill never touches (PostgreSQL's own).
const PG_SYSTEM: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname::text, 3) <> 'pg_'";

impl Data for super::pg::Postgres {
    fn table_ref(&self, key: &str) -> String {
        match key.split_once('.') {
            Some((s, t)) => format!("{}.{}", self.ident(s), self.ident(t)),
            None => self.ident(key),
        }
    }

    fn columns_sql(&self) -> String {
        let sep = self.literal(&SEP.to_string());
        // domains: the base type decides the generator, the cast keeps the domain (its
        // CHECK applies); tm is the type modifier (lengths, numeric precision)
        format!(
            "SELECT n.nspname::text, c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
             bt.typname::text, (NOT a.attnotnull)::text, pg_get_expr(d.adbin, d.adrelid), \
             (a.attidentity <> '' OR a.attgenerated <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false))::text, \
             CASE WHEN bt.typname IN ('varchar', 'bpchar') AND tm > 4 THEN (tm - 4)::text WHEN bt.typname IN ('bit', 'varbit') AND tm > 0 THEN tm::text END, \
             CASE WHEN bt.typname = 'numeric' AND tm > 4 THEN (((tm - 4) >> 16) & 65535)::text END, \
             CASE WHEN bt.typname = 'numeric' AND tm > 4 THEN ((tm - 4) & 65535)::text END, \
             (SELECT string_agg(e.enumlabel::text, {sep} ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = bt.oid) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             JOIN pg_type t ON t.oid = a.atttypid \
             JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
             LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
             CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS tm) m \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {PG_SYSTEM} \
             AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e') \
             ORDER BY 1, 2, a.attnum"
        )
    }

    fn foreign_keys_sql(&self) -> String {
        let sep = self.literal(&SEP.to_string());
        let cols = |keys: &str, rel: &str| {
            format!(
                "(SELECT string_agg(a.attname::text, {sep} ORDER BY x.o) FROM unnest(k.{keys}) WITH ORDINALITY x(num, o) \
                 JOIN pg_attribute a ON a.attrelid = k.{rel} AND a.attnum = x.num)"
            )
        };
        format!(
            "SELECT n.nspname::text, c.relname::text, {}, rn.nspname::text, rc.relname::text, {} \
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_class rc ON rc.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
             WHERE k.contype = 'f' AND {PG_SYSTEM} ORDER BY 1, 2, k.conname::text",
            cols("conkey", "conrelid"),
            cols("confkey", "confrelid"),
        )
    }

    fn checks_sql(&self) -> String {
        format!(
            "SELECT n.nspname::text, c.relname::text, coalesce(a.attname::text, ''), pg_get_constraintdef(k.oid) \
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] AND cardinality(k.conkey) = 1 \
             WHERE k.contype = 'c' AND {PG_SYSTEM} ORDER BY 1, 2, k.conname::text"
        )
    }

    fn value(&self, c: &FillColumn, n: &str, salt: &str) -> Option<String> {
        let salt_raw = salt;
        let salt = self.literal(salt);
        let text = || {
            let v = format!("({n}::text || '_' || {})", self.literal(&word(salt_raw)));
            match c.char_len {
                Some(l) => format!("left({v}, {l})"),
                None => v,
            }
        };
        let v = if !c.labels.is_empty() {
            let labels: Vec<String> = c.labels.iter().map(|l| self.literal(l)).collect();
            format!(
                "(ARRAY[{}])[({n} - 1) % {} + 1]",
                labels.join(", "),
                labels.len()
            )
        } else if c.base.starts_with('_') {
            "'{}'".to_owned()
        } else {
            match c.base.as_str() {
                "int2" => format!("{n} % 32767"),
                "int4" | "int8" | "oid" => n.to_owned(),
                "numeric" => match numeric_cap(c.precision, c.scale) {
                    Some(cap) => format!("{n} % {cap}"),
                    None => n.to_owned(),
                },
                "float4" | "float8" | "money" => format!("{n} + 0.5"),
                "bool" => format!("{n} % 2 = 0"),
                "text" | "varchar" | "bpchar" | "citext" | "name" => text(),
                "uuid" => format!("md5({salt} || {n})::uuid"),
                "date" => format!("date '2020-01-01' + ({n} % 3000)::int"),
                "timestamp" | "timestamptz" => {
                    format!("timestamp '2020-01-01' + {n} * interval '1 minute'")
                }
                "time" | "timetz" => format!("time '00:00' + ({n} % 86400) * interval '1 second'"),
                "interval" => format!("{n} * interval '1 second'"),
                "json" | "jsonb" => format!("json_build_object('n', {n})"),
                "bytea" => format!("convert_to({n}::text, 'UTF8')"),
                "inet" | "cidr" => format!("'10.0.0.0'::inet + {n}"),
                "tsvector" => format!("to_tsvector('simple', 'w' || {n})"),
                "bit" | "varbit" => format!("repeat(({n} % 2)::text, {})", c.char_len.unwrap_or(1)),
                // another type (an extension's: ltree, hstore, ...) that needs a value: its
                // input function may take a number
                _ if !c.nullable && !c.has_default => format!("{n}::text"),
                _ => return None,
            }
        };
        Some(format!("({v})::{}", c.column_type))
    }

    fn series(&self, rows: u64, alias: &str) -> String {
        format!("generate_series(1, {rows}) AS {alias}(n)")
    }

    fn checksum_sql(&self, table: &str, label: &str, columns: &[String]) -> String {
        // hashtext: the server's own string hash, cheaper than md5; both sides hash alike.
        // An array, not concat_ws: a function takes at most 100 arguments, and a table of 50
        // columns makes 101 (chirpstack's device_profile)
        let mut parts = vec!["count(*)::text".to_owned()];
        for c in columns {
            parts.push(format!("count({c})::text"));
            parts.push(format!(
                "coalesce(sum(hashtext({c}::text)::bigint), 0)::text"
            ));
        }
        format!(
            "SELECT {}, array_to_string(ARRAY[{}], ',') FROM {table}",
            self.literal(label),
            parts.join(", ")
        )
    }
}

impl Data for super::mysql::Mysql {
    fn table_ref(&self, key: &str) -> String {
        self.ident(key)
    }

    fn columns_sql(&self) -> String {
        "SELECT '', CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), \
             CAST(LOWER(c.DATA_TYPE) AS CHAR), IF(c.IS_NULLABLE = 'YES', 't', 'f'), CAST(c.COLUMN_DEFAULT AS CHAR), \
             IF(c.EXTRA LIKE '%auto_increment%' OR c.EXTRA LIKE '%VIRTUAL%' OR c.EXTRA LIKE '%STORED%' OR c.EXTRA LIKE '%PERSISTENT%', 't', 'f'), \
             CAST(c.CHARACTER_MAXIMUM_LENGTH AS CHAR), CAST(c.NUMERIC_PRECISION AS CHAR), CAST(c.NUMERIC_SCALE AS CHAR), NULL \
             FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
             ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE' \
             WHERE c.TABLE_SCHEMA = DATABASE() ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
            .to_owned()
    }

    fn foreign_keys_sql(&self) -> String {
        // SEPARATOR takes a plain string literal
        let sep = format!("'{SEP}'");
        format!(
            "SELECT '', CAST(TABLE_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR {sep}) AS CHAR), \
             '', CAST(REFERENCED_TABLE_NAME AS CHAR), \
             CAST(GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR {sep}) AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() \
             AND REFERENCED_TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
             GROUP BY TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME ORDER BY TABLE_NAME, CONSTRAINT_NAME"
        )
    }

    fn checks_sql(&self) -> String {
        // MariaDB names the table; a column-level CHECK is named after its column
        "SELECT '', CAST(TABLE_NAME AS CHAR), '', CAST(CHECK_CLAUSE AS CHAR) \
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME"
            .to_owned()
    }

    fn value(&self, c: &FillColumn, n: &str, salt: &str) -> Option<String> {
        let salt_raw = salt;
        let salt = self.literal(salt);
        let text = || {
            let v = format!("CONCAT({n}, '_', {})", self.literal(&word(salt_raw)));
            match c.char_len.filter(|l| *l < 65_535) {
                Some(l) => format!("LEFT({v}, {l})"),
                None => v,
            }
        };
        let labels = enum_labels(&c.column_type);
        if !c.labels.is_empty() {
            // the values a CHECK allows
            let l: Vec<String> = c.labels.iter().map(|l| self.literal(l)).collect();
            return Some(format!(
                "ELT(({n} - 1) % {} + 1, {})",
                l.len(),
                l.join(", ")
            ));
        }
        Some(match c.base.as_str() {
            "enum" if !labels.is_empty() => {
                let l: Vec<String> = labels.iter().map(|l| self.literal(l)).collect();
                format!("ELT(({n} - 1) % {} + 1, {})", l.len(), l.join(", "))
            }
            "set" if !labels.is_empty() => self.literal(&labels[0]),
            "tinyint" if c.column_type.starts_with("tinyint(1)") => format!("{n} % 2"),
            "tinyint" => format!("{n} % 127"),
            "smallint" => format!("{n} % 32767"),
            "mediumint" | "int" | "integer" | "bigint" => n.to_owned(),
            "decimal" | "numeric" => match numeric_cap(c.precision, c.scale) {
                Some(cap) => format!("{n} % {cap}"),
                None => n.to_owned(),
            },
            "float" | "double" | "real" => format!("{n} + 0.5"),
            "bit" => format!("{n} % 2"),
            // MariaDB's JSON is a LONGTEXT with a json_valid CHECK: JSON there is text too
            "json" | "longtext" => format!("JSON_OBJECT('n', {n})"),
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "binary" | "varbinary"
            | "tinyblob" | "blob" | "mediumblob" | "longblob" => text(),
            "date" => format!("DATE_ADD('2020-01-01', INTERVAL {n} % 3000 DAY)"),
            "datetime" | "timestamp" => {
                format!("DATE_ADD('2020-01-01 00:00:00', INTERVAL {n} MINUTE)")
            }
            "time" => format!("SEC_TO_TIME({n} % 86400)"),
            "year" => format!("2000 + {n} % 100"),
            "uuid" => format!(
                "CONCAT(LPAD(HEX({n}), 8, '0'), '-0000-4000-8000-', SUBSTR(MD5({salt}), 1, 12))"
            ),
            _ => return None,
        })
    }

    fn series(&self, rows: u64, alias: &str) -> String {
        // digits cross-joined: no sequence table (MariaDB's seq_ engine only) and no
        // recursion limit (MySQL's cte_max_recursion_depth is 1000)
        let digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
                      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
        let places = rows.max(1).to_string().len();
        let from: Vec<String> = (0..places).map(|i| format!("{digits} AS d{i}")).collect();
        let sum: Vec<String> = (0..places)
            .map(|i| format!("d{i}.d * {}", 10u64.pow(u32::try_from(i).unwrap_or(0))))
            .collect();
        format!(
            "(SELECT n FROM (SELECT {} + 1 AS n FROM {}) AS numbers WHERE n <= {rows}) AS {alias}",
            sum.join(" + "),
            from.join(" CROSS JOIN ")
        )
    }

    fn checksum_sql(&self, table: &str, label: &str, columns: &[String]) -> String {
        // CRC32: a fraction of MD5's cost, and the two sides are hashed alike
        let mut parts = vec!["COUNT(*)".to_owned()];
        for c in columns {
            parts.push(format!("COUNT({c})"));
            parts.push(format!("COALESCE(SUM(CRC32({c})), 0)"));
        }
        format!(
            "SELECT {}, CAST(CONCAT_WS(',', {}) AS CHAR) FROM {table}",
            self.literal(label),
            parts.join(", ")
        )
    }
}

/// The labels of a MySQL `enum('a','b')` / `set(...)` column type.
fn enum_labels(column_type: &str) -> Vec<String> {
    let Some(body) = column_type
        .split_once('(')
        .and_then(|(_, b)| b.strip_suffix(')'))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = body.chars().peekable();
    let mut inside = false;
    while let Some(ch) = chars.next() {
        match (inside, ch) {
            (false, '\'') => inside = true,
            (true, '\'') if chars.peek() == Some(&'\'') => {
                cur.push('\'');
                chars.next();
            }
            (true, '\'') => {
                inside = false;
                out.push(std::mem::take(&mut cur));
            }
            (true, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (true, c) => cur.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_enum_labels() {
        assert_eq!(enum_labels("enum('a','b''c')"), ["a", "b'c"]);
        assert_eq!(enum_labels("int(11)"), Vec::<String>::new());
    }

    #[test]
    fn numeric_caps() {
        assert_eq!(numeric_cap(Some(5), Some(2)), Some(1000));
        assert_eq!(numeric_cap(None, None), None);
    }
}
