//! `backfill.toml`: the declarative batched backfill of a phased migration.
//!
//! The planner writes it, the runner executes it (key-range batches, each in its own short
//! transaction, checkpointed in the ledger). Parsing is strict and every error names the
//! file, line and column.
//!
//! ```toml
//! table = "users"                      # the table to fill
//! schema = "public"                    # optional
//! key = ["id"]                         # unique, NOT NULL key column(s), batches walk them in order
//! where = '"full_name" IS DISTINCT FROM "name"'   # optional: rows still to do
//! alias = "u"                          # optional: the table's alias, as `set` / `where` name it
//! from = "orgs o"                      # optional, PostgreSQL: `UPDATE .. FROM` this list
//! batch_size = 5000                    # rows per batch (a starting point when target_batch_time is set)
//! pause = "10ms"                       # between batches
//! target_batch_time = "100ms"          # optional: adapt batch_size to this duration
//! max_replication_lag = "5s"           # optional: wait while a replica lags more
//!
//! [set]                                # column = SQL expression (identifiers quoted by the writer)
//! full_name = '"name"'
//! ```
//!
//! A migration that fills several tables gives each its own `[[fill]]` table (the same keys,
//! `[fill.set]` for its columns); the runner fills them one after the other, in the file's
//! order, under the migration's one ledger row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::source::LineIndex;

pub const FILE_NAME: &str = "backfill.toml";
pub const DEFAULT_BATCH_SIZE: u64 = 1000;
pub const MAX_BATCH_SIZE: u64 = 1_000_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackfillError {
    #[error("{}: cannot read: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// A validated `backfill.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackfillSpec {
    pub table: String,
    pub schema: Option<String>,
    /// Key columns, in order; never empty.
    pub key: Vec<String>,
    /// Column -> SQL expression, sorted by column.
    pub set: BTreeMap<String, String>,
    /// SQL condition selecting rows still to do (also what makes a re-run idempotent).
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// The table's alias in `set` and `where` (`UPDATE t AS alias`).
    pub alias: Option<String>,
    /// PostgreSQL: the `FROM` list of `UPDATE .. FROM` (a row is filled when the list has a
    /// row matching `where` for it, as the naive statement's join).
    pub from: Option<String>,
    pub batch_size: u64,
    #[serde(with = "ser_duration")]
    pub pause: Duration,
    #[serde(with = "ser_opt_duration")]
    pub target_batch_time: Option<Duration>,
    #[serde(with = "ser_opt_duration")]
    pub max_replication_lag: Option<Duration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    table: Spanned<String>,
    schema: Option<Spanned<String>>,
    key: Spanned<KeyList>,
    set: Spanned<BTreeMap<String, String>>,
    #[serde(rename = "where")]
    where_: Option<Spanned<String>>,
    alias: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    batch_size: Option<Spanned<i64>>,
    pause: Option<Spanned<String>>,
    target_batch_time: Option<Spanned<String>>,
    max_replication_lag: Option<Spanned<String>>,
}

/// A file of several fills: `[[fill]]` tables and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    fill: Spanned<Vec<RawSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl BackfillSpec {
    /// Every fill of a `backfill.toml`, in the order they run: one table's spec at the top
    /// level, or `[[fill]]` tables.
    pub fn load_all(path: &Path) -> Result<Vec<BackfillSpec>, BackfillError> {
        let text = std::fs::read_to_string(path).map_err(|e| BackfillError::Io {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        BackfillSpec::parse_all(path, &text)
    }

    /// A file of one table's fill (the top-level form).
    pub fn parse(path: &Path, text: &str) -> Result<BackfillSpec, BackfillError> {
        let invalid = invalid_at(path, text);
        let raw: RawSpec = toml::from_str(text).map_err(|e| toml_error(&invalid, &e))?;
        BackfillSpec::validate(&invalid, raw)
    }

    /// Every fill of the file: the top-level form gives one, `[[fill]]` tables one each.
    pub fn parse_all(path: &Path, text: &str) -> Result<Vec<BackfillSpec>, BackfillError> {
        let invalid = invalid_at(path, text);
        let several = text
            .parse::<toml::Table>()
            .is_ok_and(|t| t.contains_key("fill"));
        if !several {
            return BackfillSpec::parse(path, text).map(|s| vec![s]);
        }
        let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(&invalid, &e))?;
        let span = raw.fill.span();
        let fills = raw.fill.into_inner();
        if fills.is_empty() {
            return Err(invalid(
                span.start,
                "`fill` needs at least one `[[fill]]` table".into(),
            ));
        }
        fills
            .into_iter()
            .map(|f| BackfillSpec::validate(&invalid, f))
            .collect()
    }

    fn validate(
        invalid: &impl Fn(usize, String) -> BackfillError,
        raw: RawSpec,
    ) -> Result<BackfillSpec, BackfillError> {
        let nonblank = |s: &Spanned<String>, what: &str| {
            if s.get_ref().trim().is_empty() {
                Err(invalid(
                    s.span().start,
                    format!("`{what}` must not be empty"),
                ))
            } else {
                Ok(s.get_ref().clone())
            }
        };
        let table = nonblank(&raw.table, "table")?;
        let schema = raw
            .schema
            .as_ref()
            .map(|s| nonblank(s, "schema"))
            .transpose()?;
        let key = match raw.key.get_ref() {
            KeyList::One(k) => vec![k.clone()],
            KeyList::Many(ks) => ks.clone(),
        };
        if key.is_empty() || key.iter().any(|k| k.trim().is_empty()) {
            return Err(invalid(
                raw.key.span().start,
                "`key` needs at least one column name, e.g. key = [\"id\"]".into(),
            ));
        }
        if raw.set.get_ref().is_empty() {
            return Err(invalid(
                raw.set.span().start,
                "`[set]` needs at least one `column = \"expression\"`".into(),
            ));
        }
        if let Some((c, _)) = raw.set.get_ref().iter().find(|(_, e)| e.trim().is_empty()) {
            return Err(invalid(
                raw.set.span().start,
                format!("`[set]` gives an empty expression for column `{c}`"),
            ));
        }
        let where_ = raw
            .where_
            .as_ref()
            .map(|w| nonblank(w, "where"))
            .transpose()?;
        let alias = raw
            .alias
            .as_ref()
            .map(|a| nonblank(a, "alias"))
            .transpose()?;
        let from = raw.from.as_ref().map(|f| nonblank(f, "from")).transpose()?;
        let batch_size = match &raw.batch_size {
            None => DEFAULT_BATCH_SIZE,
            Some(b) => {
                let v = *b.get_ref();
                match u64::try_from(v) {
                    Ok(n) if (1..=MAX_BATCH_SIZE).contains(&n) => n,
                    _ => {
                        return Err(invalid(
                            b.span().start,
                            format!("`batch_size` must be between 1 and {MAX_BATCH_SIZE}, not {v}"),
                        ));
                    }
                }
            }
        };
        let duration = |d: &Option<Spanned<String>>, what: &str| {
            d.as_ref()
                .map(|s| {
                    humantime::parse_duration(s.get_ref().trim()).map_err(|e| {
                        invalid(
                            s.span().start,
                            format!(
                                "`{what}`: invalid duration `{}` ({e}); write e.g. \"100ms\" or \"2s\"",
                                s.get_ref()
                            ),
                        )
                    })
                })
                .transpose()
        };
        let pause = duration(&raw.pause, "pause")?.unwrap_or_default();
        let target_batch_time = duration(&raw.target_batch_time, "target_batch_time")?;
        if let (Some(t), Some(s)) = (target_batch_time, &raw.target_batch_time)
            && t.is_zero()
        {
            return Err(invalid(
                s.span().start,
                "`target_batch_time` must be more than zero".into(),
            ));
        }
        let max_replication_lag = duration(&raw.max_replication_lag, "max_replication_lag")?;
        Ok(BackfillSpec {
            table,
            schema,
            key,
            set: raw.set.into_inner(),
            where_,
            alias,
            from,
            batch_size,
            pause,
            target_batch_time,
            max_replication_lag,
        })
    }

    /// The TOML text of this spec (what the planner writes), preceded by `comment` lines.
    pub fn to_toml(&self, comment: &str) -> String {
        let mut out = comment_lines(comment);
        out.push_str(&self.body("set"));
        out
    }

    /// The TOML text of a file of `fills` (what [`BackfillSpec::parse_all`] reads back):
    /// the top-level form for one, `[[fill]]` tables for several.
    pub fn all_to_toml(fills: &[BackfillSpec], comment: &str) -> String {
        if let [one] = fills {
            return one.to_toml(comment);
        }
        let mut out = comment_lines(comment);
        for (i, f) in fills.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("[[fill]]\n");
            out.push_str(&f.body("fill.set"));
        }
        out
    }

    /// The keys of this spec, then its `[set_table]`.
    fn body(&self, set_table: &str) -> String {
        let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
        let mut out = String::new();
        out.push_str(&format!("table = {}\n", q(&self.table)));
        if let Some(s) = &self.schema {
            out.push_str(&format!("schema = {}\n", q(s)));
        }
        let keys: Vec<String> = self.key.iter().map(|k| q(k)).collect();
        out.push_str(&format!("key = [{}]\n", keys.join(", ")));
        if let Some(w) = &self.where_ {
            out.push_str(&format!("where = {}\n", q(w)));
        }
        if let Some(a) = &self.alias {
            out.push_str(&format!("alias = {}\n", q(a)));
        }
        if let Some(f) = &self.from {
            out.push_str(&format!("from = {}\n", q(f)));
        }
        out.push_str(&format!("batch_size = {}\n", self.batch_size));
        out.push_str(&format!(
            "pause = {}\n",
            q(&humantime::format_duration(self.pause).to_string())
        ));
        if let Some(t) = self.target_batch_time {
            out.push_str(&format!(
                "target_batch_time = {}\n",
                q(&humantime::format_duration(t).to_string())
            ));
        }
        if let Some(l) = self.max_replication_lag {
            out.push_str(&format!(
                "max_replication_lag = {}\n",
                q(&humantime::format_duration(l).to_string())
            ));
        }
        out.push_str(&format!("\n[{set_table}]\n"));
        for (c, e) in &self.set {
            let key = if c
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                c.clone()
            } else {
                q(c)
            };
            out.push_str(&format!("{key} = {}\n", q(e)));
        }
        out
    }
}

fn comment_lines(comment: &str) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// An error at a byte offset of `text`, with its line and column.
fn invalid_at<'a>(path: &'a Path, text: &'a str) -> impl Fn(usize, String) -> BackfillError + 'a {
    let index = LineIndex::new(text);
    move |offset: usize, message: String| {
        let pos = index.line_col(text, offset);
        BackfillError::Invalid {
            path: path.to_owned(),
            line: pos.line,
            column: pos.column,
            message,
        }
    }
}

fn toml_error(
    invalid: &impl Fn(usize, String) -> BackfillError,
    e: &toml::de::Error,
) -> BackfillError {
    let offset = e.span().map_or(0, |s| s.start);
    invalid(offset, e.message().trim().to_owned())
}

mod ser_duration {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}

mod ser_opt_duration {
    use std::time::Duration;
    #[allow(clippy::ref_option)] // the signature serde's `serialize_with` calls
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BackfillSpec, BackfillError> {
        BackfillSpec::parse(Path::new("m/backfill.toml"), text)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn full_spec_round_trips() {
        let spec = parse(
            r#"table = "users"
schema = "app"
key = ["id"]
where = '"b" IS DISTINCT FROM "a"'
batch_size = 500
pause = "10ms"
target_batch_time = "100ms"
max_replication_lag = "5s"
[set]
b = '"a"'
"Odd col" = "1"
"#,
        )
        .unwrap();
        assert_eq!(spec.key, vec!["id"]);
        assert_eq!(spec.batch_size, 500);
        assert_eq!(spec.pause, Duration::from_millis(10));
        assert_eq!(spec.target_batch_time, Some(Duration::from_millis(100)));
        assert_eq!(spec.set.get("Odd col").map(String::as_str), Some("1"));
        let again = parse(&spec.to_toml("why\nsecond line")).unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn single_key_string_and_defaults() {
        let spec = parse("table = 't'\nkey = 'id'\n[set]\nx = '1'\n").unwrap();
        assert_eq!(spec.key, vec!["id"]);
        assert_eq!(spec.batch_size, DEFAULT_BATCH_SIZE);
        assert_eq!(spec.pause, Duration::ZERO);
        assert_eq!(spec.where_, None);
    }

    #[test]
    fn several_fills_round_trip_in_order() {
        let text = r#"[[fill]]
table = "users"
key = ["id"]
[fill.set]
b = '"a"'

[[fill]]
table = "orders"
schema = "shop"
key = ["tenant", "id"]
batch_size = 200
[fill.set]
total = '"net" + "tax"'
"#;
        let path = Path::new("m/backfill.toml");
        let fills = BackfillSpec::parse_all(path, text).unwrap();
        let tables: Vec<&str> = fills.iter().map(|f| f.table.as_str()).collect();
        assert_eq!(tables, ["users", "orders"]);
        assert_eq!(fills[1].key, vec!["tenant", "id"]);
        assert_eq!(fills[1].batch_size, 200);
        assert_eq!(fills[0].batch_size, DEFAULT_BATCH_SIZE);
        let written = BackfillSpec::all_to_toml(&fills, "two tables");
        assert!(written.starts_with("# two tables\n[[fill]]\n"), "{written}");
        assert_eq!(BackfillSpec::parse_all(path, &written).unwrap(), fills);
        // one fill is written in the top-level form, which both parsers read
        let one = BackfillSpec::all_to_toml(&fills[..1], "");
        assert!(one.starts_with("table = "), "{one}");
        assert_eq!(BackfillSpec::parse_all(path, &one).unwrap(), fills[..1]);
        assert_eq!(parse(&one).unwrap(), fills[0]);
    }

    #[test]
    fn several_fills_errors_name_line_and_column() {
        let all = |t: &str| {
            BackfillSpec::parse_all(Path::new("m/backfill.toml"), t)
                .unwrap_err()
                .to_string()
        };
        // the second fill's bad key, at its own line
        let e = all(
            "[[fill]]\ntable = 't'\nkey = 'id'\n[fill.set]\nx = '1'\n[[fill]]\ntable = 'u'\nkey = []\n[fill.set]\nx = '1'\n",
        );
        assert!(e.starts_with("m/backfill.toml:8:7: `key` needs"), "{e}");
        // top-level keys beside `[[fill]]`
        let e = all("table = 't'\n[[fill]]\ntable = 'u'\nkey = 'id'\n[fill.set]\nx = '1'\n");
        assert!(e.contains("unknown field `table`"), "{e}");
        let e = all("fill = []\n");
        assert!(e.contains("`fill` needs at least one"), "{e}");
    }

    #[test]
    fn errors_name_line_and_column() {
        assert!(
            err("table = 't'\nkey = []\n[set]\nx = '1'\n")
                .starts_with("m/backfill.toml:2:7: `key` needs")
        );
        assert!(
            err("table = 't'\nkey = 'id'\nbatch_size = 0\n[set]\nx = '1'\n")
                .starts_with("m/backfill.toml:3:14: `batch_size` must be between")
        );
        assert!(
            err("table = 't'\nkey = 'id'\npause = 'soon'\n[set]\nx = '1'\n")
                .contains(":3:9: `pause`: invalid duration")
        );
        assert!(err("table = 't'\nkey = 'id'\nbatchsize = 5\n[set]\nx = '1'\n").contains(":3:1:"));
        assert!(err("table = 't'\nkey = 'id'\n").contains("missing field `set`"));
        assert!(
            err("table = ''\nkey = 'id'\n[set]\nx = '1'\n").contains("`table` must not be empty")
        );
    }
}
