//! Resolved lint settings: config file and flags merged, rule names checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use sluice_core::source::Layout;
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;

use super::rule::{DefaultLevel, RuleMeta, Severity};

/// Whose runner will apply the files: decides transaction wrapping and session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[allow(clippy::doc_markdown)] // doc comments are --help text: backticks would print
pub enum Runner {
    /// Pick from the layout (sqlx files -> sqlx, ...); native and plain -> sluice.
    #[default]
    Auto,
    /// Wraps each phase in a transaction unless it must not; always sets lock_timeout.
    Sluice,
    Sqlx,
    /// Sends each file as one query: PostgreSQL runs a file of several statements as one
    /// implicit transaction.
    GolangMigrate,
    /// golang-migrate with `x-multi-statement=true`: each statement sent on its own.
    GolangMigrateMultiStatement,
    Flyway,
    Dbmate,
    Goose,
    Diesel,
    /// ory/pop: each migration in a transaction unless its name says `.autocommit`.
    Pop,
}

impl Runner {
    /// The runner for a migration of `layout` when the config says `auto`.
    #[must_use]
    pub fn effective(self, layout: Layout) -> Runner {
        match (self, layout) {
            (Runner::Auto, Layout::Sqlx) => Runner::Sqlx,
            (Runner::Auto, Layout::GolangMigrate) => Runner::GolangMigrate,
            (Runner::Auto, Layout::Flyway) => Runner::Flyway,
            (Runner::Auto, Layout::Dbmate) => Runner::Dbmate,
            (Runner::Auto, Layout::Goose) => Runner::Goose,
            (Runner::Auto, Layout::Diesel) => Runner::Diesel,
            (Runner::Auto, Layout::Pop) => Runner::Pop,
            (Runner::Auto, _) => Runner::Sluice,
            (r, _) => r,
        }
    }

    /// Does the runner send a file it does not wrap as one multi-statement query? PostgreSQL
    /// runs such a query as one implicit transaction block (the simple query protocol):
    /// golang-migrate (lib/pq or pgx `Exec` without arguments), and sqlx, dbmate, diesel and
    /// pop for a file marked to run outside a transaction. goose, Flyway and Sluice send its
    /// statements one at a time.
    pub fn sends_file_as_one_query(self) -> bool {
        matches!(
            self,
            Runner::GolangMigrate | Runner::Sqlx | Runner::Dbmate | Runner::Diesel | Runner::Pop
        )
    }

    /// Only the Sluice runner sets `lock_timeout` / `statement_timeout` for every statement.
    pub fn sets_lock_timeout(self) -> bool {
        self == Runner::Sluice
    }
}

/// A MySQL or MariaDB server version, for verdicts that changed between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MysqlServer {
    pub mariadb: bool,
    pub major: u32,
    pub minor: u32,
    /// `None`: the latest patch release of `major.minor`.
    pub patch: Option<u32>,
}

impl MysqlServer {
    /// Is this server `major.minor.patch` or later?
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch.unwrap_or(u32::MAX)) >= (major, minor, patch)
    }

    /// MySQL (not MariaDB) at `major.minor.patch` or later.
    pub fn mysql_at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        !self.mariadb && self.at_least(major, minor, patch)
    }

    /// MariaDB at `major.minor` or later.
    pub fn mariadb_at_least(&self, major: u32, minor: u32) -> bool {
        self.mariadb && self.at_least(major, minor, 0)
    }
}

impl std::fmt::Display for MysqlServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = if self.mariadb { "MariaDB" } else { "MySQL" };
        write!(f, "{name} {}.{}", self.major, self.minor)?;
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

/// A configured rule level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Off,
}

/// Everything the lint engine needs, already validated.
#[derive(Debug, Clone)]
pub struct LintSettings {
    pub dialect: Dialect,
    /// `mariadb` flavour of the MySQL dialect.
    pub mariadb: bool,
    /// Major server version (PostgreSQL: 15; MySQL: 80 for 8.0 ...).
    pub server_version: u32,
    /// MySQL / MariaDB patch release (`8.0.28` -> 28); `None`: the latest of that series.
    pub server_patch: Option<u32>,
    pub runner: Runner,
    /// Rule id -> level, overriding defaults.
    pub levels: BTreeMap<&'static str, Level>,
    pub fail_on: Severity,
    /// What the CLI found out about the change beyond the SQL (git, application code).
    pub deploy: DeployContext,
    /// Row estimates of live tables (`--schema-from`), schema-qualified; empty when unknown.
    pub table_rows: Arc<BTreeMap<ObjName, u64>>,
    /// `[run] large_table_rows`: on a table known to have fewer rows, lock findings are
    /// warnings.
    pub large_table_rows: u64,
}

/// Facts about the change outside the migration files, gathered by the CLI (git, files under
/// `code_paths`) and handed in as plain data so lint stays free of I/O.
#[derive(Debug, Clone, Default)]
pub struct DeployContext {
    /// Application code files the change set changes (with `--base`); `None` when unknown.
    pub changed_code: Option<Vec<PathBuf>>,
    /// Application code to search for references to dropped or renamed objects.
    pub code: Arc<CodeIndex>,
}

/// Application code files, read in memory.
#[derive(Debug, Default)]
pub struct CodeIndex {
    pub files: Vec<CodeFile>,
}

#[derive(Debug)]
pub struct CodeFile {
    pub path: PathBuf,
    pub text: String,
}

/// One place an identifier occurs in application code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRef<'a> {
    pub path: &'a Path,
    /// 1-based.
    pub line: usize,
    pub column: usize,
    pub text: &'a str,
}

impl CodeIndex {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every line where `word` occurs on word boundaries (case-sensitive), in file order.
    pub fn find_word(&self, word: &str) -> Vec<CodeRef<'_>> {
        let Ok(re) = regex::Regex::new(&format!(r"\b{}\b", regex::escape(word))) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for f in &self.files {
            for (i, line) in f.text.lines().enumerate() {
                if let Some(m) = re.find(line) {
                    out.push(CodeRef {
                        path: &f.path,
                        line: i + 1,
                        column: line[..m.start()].chars().count() + 1,
                        text: line,
                    });
                }
            }
        }
        out
    }
}

impl Default for LintSettings {
    fn default() -> Self {
        LintSettings {
            dialect: Dialect::Postgres,
            mariadb: false,
            server_version: 15,
            server_patch: None,
            runner: Runner::Auto,
            levels: BTreeMap::new(),
            fail_on: Severity::Error,
            deploy: DeployContext::default(),
            table_rows: Arc::default(),
            large_table_rows: 100_000,
        }
    }
}

impl LintSettings {
    /// PostgreSQL at `major` or later (version milestones of pg-locks.md: 11 metadata-only
    /// defaults, 12 REINDEX CONCURRENTLY and CHECK-proven SET NOT NULL, 14 DETACH PARTITION
    /// CONCURRENTLY). False for MySQL.
    pub fn pg_at_least(&self, major: u32) -> bool {
        self.dialect == Dialect::Postgres && self.server_version >= major
    }

    /// The MySQL / MariaDB server the verdicts are for. A `server_version` that cannot be a
    /// MySQL one (the PostgreSQL default left by `--dialect mysql`) means the defaults:
    /// MySQL 8.0, MariaDB 10.11, latest patch release.
    pub fn mysql_server(&self) -> MysqlServer {
        let v = self.server_version;
        let (major, minor) = if self.mariadb {
            if v >= 1000 {
                (v / 100, v % 100)
            } else {
                (10, 11)
            }
        } else if (50..1000).contains(&v) {
            (v / 10, v % 10)
        } else {
            (8, 0)
        };
        MysqlServer {
            mariadb: self.mariadb,
            major,
            minor,
            patch: self.server_patch,
        }
    }

    /// Is `table` known (from a live database) to hold fewer than `large_table_rows` rows?
    /// An unqualified name counts as small only if every table of that name is.
    pub fn is_small_table(&self, table: &ObjName) -> bool {
        let mut found = false;
        for (name, rows) in self.table_rows.iter() {
            if name.matches(table) {
                if *rows >= self.large_table_rows {
                    return false;
                }
                found = true;
            }
        }
        found
    }

    /// Effective severity of a rule; `None` = off.
    pub fn severity(&self, meta: &RuleMeta) -> Option<Severity> {
        match self.levels.get(meta.id) {
            Some(Level::Error) => Some(Severity::Error),
            Some(Level::Warning) => Some(Severity::Warning),
            Some(Level::Off) => None,
            None => match meta.default {
                DefaultLevel::Error => Some(Severity::Error),
                DefaultLevel::Warning => Some(Severity::Warning),
                DefaultLevel::OptIn => None,
            },
        }
    }
}
