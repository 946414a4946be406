//! Resolved lint settings: config file and flags merged, rule names checked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::source::Layout;
use crate::sql::Dialect;

use super::rule::{DefaultLevel, RuleMeta, Severity};

/// Whose runner will apply the files: decides transaction wrapping and session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Runner {
    /// Pick from the layout (sqlx files -> sqlx, ...); native and plain -> sluice.
    #[default]
    Auto,
    /// Wraps each phase in a transaction unless it must not; always sets lock_timeout.
    Sluice,
    Sqlx,
    GolangMigrate,
    Flyway,
    Dbmate,
    Goose,
    Diesel,
}

impl Runner {
    /// The runner for a migration of `layout` when the config says `auto`.
    pub fn effective(self, layout: Layout) -> Runner {
        match (self, layout) {
            (Runner::Auto, Layout::Sqlx) => Runner::Sqlx,
            (Runner::Auto, Layout::GolangMigrate) => Runner::GolangMigrate,
            (Runner::Auto, Layout::Flyway) => Runner::Flyway,
            (Runner::Auto, Layout::Dbmate) => Runner::Dbmate,
            (Runner::Auto, Layout::Goose) => Runner::Goose,
            (Runner::Auto, Layout::Diesel) => Runner::Diesel,
            (Runner::Auto, _) => Runner::Sluice,
            (r, _) => r,
        }
    }

    /// Only the Sluice runner sets lock_timeout / statement_timeout for every statement.
    pub fn sets_lock_timeout(self) -> bool {
        self == Runner::Sluice
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
    pub runner: Runner,
    /// Rule id -> level, overriding defaults.
    pub levels: BTreeMap<&'static str, Level>,
    pub fail_on: Severity,
}

impl Default for LintSettings {
    fn default() -> Self {
        LintSettings {
            dialect: Dialect::Postgres,
            mariadb: false,
            server_version: 15,
            runner: Runner::Auto,
            levels: BTreeMap::new(),
            fail_on: Severity::Error,
        }
    }
}

impl LintSettings {
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
