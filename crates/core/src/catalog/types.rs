//! Column types as the catalog compares them: a normalised base name with its modifiers,
//! and PostgreSQL's binary-coercible changes (no rewrite, no scan).

/// A type name with its modifiers, normalised (`CHARACTER VARYING(20)` -> `varchar(20)`,
/// `TIMESTAMP(3) WITH TIME ZONE` -> `timestamptz(3)`, `INT4` -> `integer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlType {
    pub base: String,
    /// Numeric modifiers: length, precision and scale.
    pub args: Vec<u32>,
    /// Array dimensions (`int[]`).
    pub array: bool,
    /// Modifiers we could not read as numbers: compare only as a whole.
    pub opaque_args: Option<String>,
}

impl SqlType {
    /// Parse a type as written (sqlparser's Display or source text). Never fails: unknown
    /// types keep their lower-cased text as the base.
    pub fn parse(text: &str) -> SqlType {
        // most types are one bare word (`text`, `BIGINT`, `uuid`): no quotes, modifiers or
        // arrays to take apart, one allocation
        let word = text.trim();
        if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            let lower = word.to_ascii_lowercase();
            let base = match canonical(&lower) {
                same if same == lower => lower,
                other => other.to_owned(),
            };
            return SqlType {
                base,
                args: Vec::new(),
                array: false,
                opaque_args: None,
            };
        }
        Self::parse_general(text)
    }

    /// [`Self::parse`] for any text.
    fn parse_general(text: &str) -> SqlType {
        let mut t = unquote_name(text.trim());
        t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        // `[]`, `[5]`, `[3][4]`, `ARRAY`, `ARRAY[5]`: PostgreSQL ignores the sizes
        let mut array = false;
        loop {
            if let Some(s) = t.strip_suffix(']')
                && let Some(open) = s.rfind('[')
                && s[open + 1..].bytes().all(|b| b.is_ascii_digit())
            {
                t = s[..open].trim_end().to_owned();
                array = true;
            } else if let Some(s) = t.strip_suffix(" array") {
                t = s.trim_end().to_owned();
                array = true;
            } else {
                break;
            }
        }
        // built-in types may be written schema-qualified
        if let Some(s) = t.strip_prefix("pg_catalog.") {
            t = s.to_owned();
        }
        // pull out the first parenthesised modifier list, wherever it stands
        let mut args_text = None;
        if let (Some(open), Some(close)) = (t.find('('), t.rfind(')'))
            && open < close
        {
            args_text = Some(t[open + 1..close].replace(' ', ""));
            t = format!("{}{}", t[..open].trim_end(), &t[close + 1..]);
            t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        let base = canonical(&t).to_owned();
        let (args, opaque_args) = match args_text {
            None => (Vec::new(), None),
            Some(a) => match a
                .split(',')
                .map(|p| p.parse::<u32>().ok())
                .collect::<Option<Vec<_>>>()
            {
                Some(nums) => (nums, None),
                None => (Vec::new(), Some(a)),
            },
        };
        SqlType {
            base,
            args,
            array,
            opaque_args,
        }
    }
}

impl SqlType {
    /// Does PostgreSQL have an `=` operator for this built-in type (so `IS DISTINCT FROM`
    /// works on it)? `false` for types it cannot vouch for: `json`, `point`, `xml` have none,
    /// and a domain or extension type is unknown here.
    pub fn has_equality(&self) -> bool {
        matches!(
            self.base.as_str(),
            "smallint"
                | "integer"
                | "bigint"
                | "numeric"
                | "real"
                | "double precision"
                | "money"
                | "boolean"
                | "text"
                | "varchar"
                | "char"
                | "name"
                | "bytea"
                | "uuid"
                | "date"
                | "time"
                | "timetz"
                | "timestamp"
                | "timestamptz"
                | "interval"
                | "jsonb"
                | "inet"
                | "cidr"
                | "macaddr"
                | "bit"
                | "varbit"
                | "oid"
        )
    }
}

/// The one name PostgreSQL gives a built-in type written under another (`int4`,
/// `character varying`, `timestamp with time zone`); other names as they are.
fn canonical(t: &str) -> &str {
    match t {
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "char",
        "int" | "integer" | "int4" => "integer",
        "int8" | "bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "decimal" | "numeric" => "numeric",
        "float8" | "double precision" | "double" => "double precision",
        "float4" | "real" => "real",
        "bool" | "boolean" => "boolean",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "timestamp without time zone" | "timestamp" => "timestamp",
        "time with time zone" | "timetz" => "timetz",
        "time without time zone" | "time" => "time",
        "bit varying" | "varbit" => "varbit",
        other => other,
    }
}

/// The type text in lower case with quotes taken off its name the way PostgreSQL reads it:
/// `"bpchar"(50)` is `bpchar(50)` and `"serial"` is `serial`, but a quoted name with upper case
/// letters is another type (kept quoted), and `"char"` is PostgreSQL's one-byte internal type,
/// not `char` (kept as `"char"`).
fn unquote_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open].to_ascii_lowercase());
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else {
            out.push_str(&rest[open..].to_ascii_lowercase());
            return out;
        };
        let name = &after[..close];
        if name == "char" || name.chars().any(|c| c.is_uppercase() || c == ' ') {
            out.push('"');
            out.push_str(name);
            out.push('"');
        } else {
            out.push_str(name);
        }
        rest = &after[close + 1..];
    }
    out.push_str(&rest.to_ascii_lowercase());
    out
}

impl std::fmt::Display for SqlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)?;
        if let Some(o) = &self.opaque_args {
            write!(f, "({o})")?;
        } else if !self.args.is_empty() {
            let a: Vec<String> = self.args.iter().map(u32::to_string).collect();
            write!(f, "({})", a.join(","))?;
        }
        if self.array {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

/// Does changing a PostgreSQL column from `from` to `to` need no table rewrite and no scan?
/// (pg-locks.md #7: varchar widening, varchar to text, numeric precision up at the same
/// scale, removing a length or precision limit, timestamp precision up.)
pub fn binary_coercible(from: &SqlType, to: &SqlType) -> bool {
    if from == to {
        return true;
    }
    if from.array != to.array || from.opaque_args.is_some() || to.opaque_args.is_some() {
        return false;
    }
    let widened = |i: usize| match (from.args.get(i), to.args.get(i)) {
        (_, None) => true,
        (Some(a), Some(b)) => b >= a,
        (None, Some(_)) => false,
    };
    match (from.base.as_str(), to.base.as_str()) {
        ("varchar", "varchar") | ("varbit", "varbit") => to.args.is_empty() || widened(0),
        ("varchar", "text") => true,
        ("text", "varchar") => to.args.is_empty(),
        ("numeric", "numeric") => {
            if to.args.is_empty() {
                return true;
            }
            if from.args.is_empty() {
                return false;
            }
            let scale = |t: &SqlType| t.args.get(1).copied().unwrap_or(0);
            widened(0) && scale(from) == scale(to)
        }
        ("timestamptz", "timestamptz")
        | ("timestamp", "timestamp")
        | ("time", "time")
        | ("timetz", "timetz")
        | ("interval", "interval") => to.args.is_empty() || widened(0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(a: &str, b: &str) -> bool {
        binary_coercible(&SqlType::parse(a), &SqlType::parse(b))
    }

    /// The one-word shortcut reads a type as the general path does.
    #[test]
    fn one_word_types_read_as_the_general_path_reads_them() {
        let words = [
            "text",
            "TEXT",
            " Int4 ",
            "int",
            "INTEGER",
            "int8",
            "bigint",
            "int2",
            "decimal",
            "NUMERIC",
            "float8",
            "double",
            "float4",
            "real",
            "bool",
            "boolean",
            "char",
            "bpchar",
            "varchar",
            "timestamptz",
            "timestamp",
            "timetz",
            "time",
            "varbit",
            "uuid",
            "_int4",
            "serial",
            "BIGSERIAL",
            "jsonb",
            "my_type2",
            "array",
        ];
        for w in words {
            assert_eq!(SqlType::parse(w), SqlType::parse_general(w), "{w:?}");
        }
        assert_eq!(SqlType::parse("DECIMAL").base, "numeric");
        assert_eq!(SqlType::parse("Int4").base, "integer");
    }

    #[test]
    fn parses_and_normalises() {
        let t = SqlType::parse("CHARACTER VARYING(20)");
        assert_eq!((t.base.as_str(), t.args.as_slice()), ("varchar", &[20][..]));
        let t = SqlType::parse("TIMESTAMP(3) WITH TIME ZONE");
        assert_eq!(t.to_string(), "timestamptz(3)");
        assert_eq!(
            SqlType::parse("NUMERIC(10, 2)").to_string(),
            "numeric(10,2)"
        );
        assert_eq!(SqlType::parse("INT4[]").to_string(), "integer[]");
        assert_eq!(SqlType::parse("INT"), SqlType::parse("integer"));
    }

    #[test]
    fn reads_arrays_quotes_and_the_catalog_schema_like_postgresql() {
        let varchar100 = SqlType::parse("varchar(100)");
        for t in [
            "pg_catalog.varchar(100)",
            "\"varchar\"(100)",
            "VARCHAR (100)",
        ] {
            assert_eq!(SqlType::parse(t), varchar100, "{t}");
        }
        let array = |t: &str| {
            let t = SqlType::parse(t);
            assert!(t.array, "{t:?}");
            t.to_string()
        };
        assert_eq!(array("varchar(255)[5]"), "varchar(255)[]");
        assert_eq!(array("VARCHAR(50)[3][4]"), "varchar(50)[]");
        assert_eq!(array("INT ARRAY"), "integer[]");
        assert_eq!(array("int array[2]"), "integer[]");
        assert_eq!(array("timestamp[]"), "timestamp[]");
        assert_eq!(SqlType::parse("\"bpchar\"(50)").to_string(), "char(50)");
        assert_eq!(SqlType::parse("\"serial\"").base, "serial");
        // not the same types in PostgreSQL
        assert_eq!(SqlType::parse("\"char\"").base, "\"char\"");
        assert_eq!(SqlType::parse("\"SERIAL\"").base, "\"SERIAL\"");
        assert_eq!(
            SqlType::parse("my_schema.varchar").base,
            "my_schema.varchar"
        );
    }

    #[test]
    fn equality_is_known_for_built_in_scalars_and_their_arrays() {
        for t in [
            "int",
            "BIGINT",
            "varchar(20)",
            "text[]",
            "timestamp with time zone",
            "jsonb",
        ] {
            assert!(SqlType::parse(t).has_equality(), "{t}");
        }
        for t in ["json", "point", "xml", "my_domain", "public.citext"] {
            assert!(!SqlType::parse(t).has_equality(), "{t}");
        }
    }

    #[test]
    fn binary_coercible_changes() {
        assert!(ok("varchar(50)", "VARCHAR(100)"));
        assert!(ok("varchar(50)", "text"));
        assert!(ok("varchar(50)", "character varying"));
        assert!(ok("numeric(10,2)", "numeric(12,2)"));
        assert!(ok("numeric(10,2)", "numeric"));
        assert!(ok("timestamptz(3)", "timestamptz(6)"));
        assert!(ok("timestamptz(3)", "timestamp with time zone"));
        assert!(!ok("varchar(100)", "varchar(50)"));
        assert!(!ok("text", "varchar(50)"));
        assert!(!ok("integer", "bigint"));
        assert!(!ok("int", "BIGINT"));
        assert!(!ok("numeric(10,2)", "numeric(12,3)"));
        assert!(!ok("numeric", "numeric(12,2)"));
        assert!(!ok("timestamp", "timestamptz"));
    }
}
