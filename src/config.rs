//! `sluice.toml`: found by walking up from the working directory, or given with `--config`.
//!
//! Parsing is strict (unknown keys are errors, so typos never pass silently) and every error
//! names the file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::lint::Severity;
use crate::lint::registry;
use crate::lint::settings::{Level, LintSettings, Runner};
use crate::source::{LayoutChoice, LineIndex};
use crate::sql::Dialect;

pub const FILE_NAME: &str = "sluice.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    Mysql,
    Mariadb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutOfOrder {
    #[default]
    Strict,
    Allow,
    Warn,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationsConfig {
    pub dir: Option<PathBuf>,
    #[serde(default)]
    pub layout: LayoutChoice,
    #[serde(default)]
    pub out_of_order: OutOfOrder,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    pub fail_on: Option<FailOn>,
    pub runner: Option<Runner>,
    /// Globs (relative to this file's directory) of application code.
    #[serde(default)]
    pub code_paths: Vec<String>,
    /// Globs under `code_paths` not to scan for references (generated code, vendored files).
    #[serde(default)]
    pub code_ignore: Vec<String>,
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, Spanned<Level>>,
}

/// `[run]`: read here so typos are caught; the runner consumes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub lock_timeout: Option<String>,
    pub lock_retries: Option<u32>,
    pub statement_timeout: Option<String>,
    pub large_table_rows: Option<u64>,
    pub ledger_table: Option<String>,
    pub ledger_schema: Option<String>,
    /// MySQL/MariaDB replica URLs whose lag throttles backfills (PostgreSQL asks the primary).
    #[serde(default)]
    pub replicas: Vec<String>,
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub dialect: Option<Dialect>,
    pub flavour: Option<Flavour>,
    pub server_version: Option<Spanned<String>>,
    #[serde(default)]
    pub migrations: MigrationsConfig,
    #[serde(default)]
    pub lint: LintConfig,
    #[serde(default)]
    pub run: RunConfig,
    /// Gate definitions per environment; validated by the gate module.
    #[serde(default)]
    pub gates: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub hooks: Vec<toml::Value>,
}

/// A loaded configuration and where it came from.
#[derive(Debug, Default)]
pub struct Config {
    /// `None` when no file was found (all defaults).
    pub path: Option<PathBuf>,
    pub file: ConfigFile,
    pub lint: LintSettings,
}

impl Config {
    /// The directory relative paths in the file are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_ref()
            .and_then(|p| p.parent())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// The migrations directory: `migrations.dir` (relative to the config file), else `./migrations`.
    pub fn migrations_dir(&self) -> PathBuf {
        match &self.file.migrations.dir {
            Some(d) if d.is_absolute() => d.clone(),
            Some(d) => {
                let base = self.base_dir();
                if base == Path::new(".") || base.as_os_str().is_empty() {
                    d.clone()
                } else {
                    base.join(d)
                }
            }
            None => PathBuf::from("migrations"),
        }
    }
}

/// Find `sluice.toml` in `start` or any parent directory.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Load the config: `explicit` if given (must exist), else the nearest `sluice.toml` above `cwd`.
pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => find(cwd),
    };
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Io {
        path: path.clone(),
        message: e.to_string(),
    })?;
    parse(&path, &text)
}

/// Parse and validate a config text.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let index = LineIndex::new(text);
    let invalid = |offset: usize, message: String| {
        let pos = index.line_col(text, offset);
        ConfigError::Invalid {
            path: path.to_owned(),
            line: pos.line,
            column: pos.column,
            message,
        }
    };
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        invalid(offset, e.message().trim().to_owned())
    })?;

    let mut lint = LintSettings::default();
    if let Some(d) = file.dialect {
        lint.dialect = d;
    }
    lint.mariadb = file.flavour == Some(Flavour::Mariadb);
    if let Some(v) = &file.server_version {
        lint.server_version = parse_version(v.get_ref(), lint.dialect).ok_or_else(|| {
            invalid(
                v.span().start,
                format!(
                    "invalid server_version `{}`: expected e.g. \"15\" or \"8.0\"",
                    v.get_ref()
                ),
            )
        })?;
    } else if lint.dialect == Dialect::Mysql {
        lint.server_version = if lint.mariadb { 1011 } else { 80 };
    }
    if let Some(r) = file.lint.runner {
        lint.runner = r;
    }
    if let Some(n) = file.run.large_table_rows {
        lint.large_table_rows = n;
    }
    if let Some(f) = file.lint.fail_on {
        lint.fail_on = match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        };
    }
    for (name, level) in &file.lint.rules {
        let Some(rule) = registry::lookup(name.get_ref()) else {
            return Err(invalid(
                name.span().start,
                unknown_rule_message(name.get_ref()),
            ));
        };
        lint.levels.insert(rule.meta().id, *level.get_ref());
    }
    Ok(Config {
        path: Some(path.to_owned()),
        file,
        lint,
    })
}

/// "unknown rule `x`" with the closest known id, for config and CLI errors.
pub fn unknown_rule_message(name: &str) -> String {
    let best = registry::all()
        .iter()
        .flat_map(|r| std::iter::once(r.meta().id).chain(r.meta().aliases.iter().copied()))
        .map(|id| (strsim::jaro_winkler(name, id), id))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, id)) => {
            format!("unknown rule `{name}` (did you mean `{id}`?); `migrate rules` lists them")
        }
        None => format!("unknown rule `{name}`; `migrate rules` lists them"),
    }
}

/// PostgreSQL "15" / "15.4" -> 15; MySQL "8.0" -> 80, "8.0.29" -> 80; MariaDB "10.11" -> 1011.
fn parse_version(v: &str, dialect: Dialect) -> Option<u32> {
    let mut parts = v.trim().split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    match dialect {
        Dialect::Postgres => Some(major),
        Dialect::Mysql if major >= 10 => Some(major * 100 + minor),
        Dialect::Mysql => Some(major * 10 + minor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("sluice.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn full_shape_parses() {
        let text = r#"
dialect = "postgres"
server_version = "15"
[migrations]
dir = "db/migrations"
layout = "auto"
out_of_order = "strict"
[lint]
fail_on = "warning"
runner = "sluice"
code_paths = ["src/**"]
[lint.rules]
ban-drop-column = "warning"
adding-foreign-key-constraint = "off"
[run]
lock_timeout = "2s"
lock_retries = 10
large_table_rows = 100000
[gates.production]
all = [{ kind = "recorded" }]
[[hooks]]
on = "before-contract"
command = "./notify.sh"
"#;
        let c = parse(Path::new("conf/sluice.toml"), text).unwrap();
        assert_eq!(c.lint.fail_on, Severity::Warning);
        assert_eq!(c.lint.levels.get("ban-drop-column"), Some(&Level::Warning));
        assert_eq!(c.migrations_dir(), Path::new("conf/db/migrations"));
    }

    #[test]
    fn unknown_rule_names_line_and_column() {
        let e = err("[lint.rules]\nban-drop-colum = \"off\"\n");
        assert!(
            e.starts_with(
                "sluice.toml:2:1: unknown rule `ban-drop-colum` (did you mean `ban-drop-column`?)"
            ),
            "{e}"
        );
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        assert!(
            err("dialekt = \"postgres\"").starts_with("sluice.toml:1:1: unknown field `dialekt`")
        );
        let e = err("dialect = \"oracle\"");
        assert!(
            e.starts_with("sluice.toml:1:11: unknown variant `oracle`"),
            "{e}"
        );
        let e = err("[lint.rules]\nsyntax-error = \"loud\"");
        assert!(e.starts_with("sluice.toml:2:16:"), "{e}");
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("15.4", Dialect::Postgres), Some(15));
        assert_eq!(parse_version("8.0.29", Dialect::Mysql), Some(80));
        assert_eq!(parse_version("10.11", Dialect::Mysql), Some(1011));
        assert_eq!(parse_version("x", Dialect::Postgres), None);
    }
}
