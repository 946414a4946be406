//! Helpers for rule tests: lint a snippet through the whole engine and look at one rule.

use sluice_core::source::{Direction, Layout, Migration, Phase, Script, SourceFile, Version};
use sluice_core::sql::Dialect;

use super::engine::{Diagnostic, lint_change_set};
use super::settings::{Level, LintSettings, Runner};

/// A snippet to lint, with the few knobs rules care about.
#[must_use = "a case does nothing until it is linted"]
pub struct Case {
    sql: String,
    phase: Phase,
    direction: Direction,
    layout: Layout,
    settings: LintSettings,
    no_tx: bool,
    irreversible: Option<String>,
    with_down: bool,
    /// Migrations replayed before the change set (not reported).
    history: Vec<String>,
    /// Change-set migrations before and after the main one.
    before: Vec<String>,
    after: Vec<String>,
}

impl Case {
    pub fn new(sql: &str) -> Self {
        Case {
            sql: sql.to_owned(),
            phase: Phase::Expand,
            direction: Direction::Up,
            layout: Layout::Native,
            settings: LintSettings::default(),
            no_tx: false,
            irreversible: None,
            with_down: true,
            history: Vec::new(),
            before: Vec::new(),
            after: Vec::new(),
        }
    }
    /// A history migration (replayed into the catalog, not linted), in call order.
    pub fn history(mut self, sql: &str) -> Self {
        self.history.push(sql.to_owned());
        self
    }
    /// Another change-set migration that runs before the main one (`before_<n>.sql`).
    pub fn before(mut self, sql: &str) -> Self {
        self.before.push(sql.to_owned());
        self
    }
    /// Another change-set migration that runs after the main one (`after_<n>.sql`).
    pub fn after(mut self, sql: &str) -> Self {
        self.after.push(sql.to_owned());
        self
    }
    pub fn server_version(mut self, v: u32) -> Self {
        self.settings.server_version = v;
        self
    }
    pub fn settings(&mut self) -> &mut LintSettings {
        &mut self.settings
    }
    pub fn contract(mut self) -> Self {
        self.phase = Phase::Contract;
        self
    }
    pub fn down(mut self) -> Self {
        self.direction = Direction::Down;
        self
    }
    pub fn mysql(mut self) -> Self {
        self.settings.dialect = Dialect::Mysql;
        self
    }
    /// MariaDB at `version` (`"10.11"`).
    pub fn mariadb(mut self, version: &str) -> Self {
        self.settings.dialect = Dialect::Mysql;
        self.settings.mariadb = true;
        self.set_version(version);
        self
    }
    /// MySQL at `version` (`"8.0.28"`, `"8.4"`).
    pub fn mysql_version(mut self, version: &str) -> Self {
        self.settings.dialect = Dialect::Mysql;
        self.settings.mariadb = false;
        self.set_version(version);
        self
    }
    fn set_version(&mut self, version: &str) {
        let parts: Vec<u32> = version.split('.').filter_map(|p| p.parse().ok()).collect();
        let (major, minor) = (parts[0], parts.get(1).copied().unwrap_or(0));
        self.settings.server_version = if major >= 10 {
            major * 100 + minor
        } else {
            major * 10 + minor
        };
        self.settings.server_patch = parts.get(2).copied();
    }
    pub fn runner(mut self, r: Runner) -> Self {
        self.settings.runner = r;
        self
    }
    pub fn no_transaction(mut self) -> Self {
        self.no_tx = true;
        self
    }
    pub fn without_down(mut self) -> Self {
        self.with_down = false;
        self
    }
    pub fn irreversible(mut self, why: &str) -> Self {
        self.irreversible = Some(why.to_owned());
        self
    }
    pub fn enable(mut self, rule: &'static str) -> Self {
        self.settings.levels.insert(rule, Level::Warning);
        self
    }

    /// All diagnostics of the whole engine.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut version = 0;
        let mut next = || {
            version += 1;
            Version::parse(&version.to_string()).expect("digits")
        };
        let plain = |sql: &str, name: String, version: Version| {
            let file = SourceFile::new(format!("{name}.sql"), sql.to_owned());
            Migration {
                version,
                name: name.clone(),
                layout: self.layout,
                origin: format!("{name}.sql").into(),
                scripts: vec![Script {
                    range: 0..file.text.len(),
                    file,
                    phase: Phase::Expand,
                    direction: Direction::Up,
                    phased: false,
                    no_transaction_marker: false,
                    irreversible: Some("test".into()),
                }],
                backfill: None,
            }
        };
        let history: Vec<_> = self
            .history
            .iter()
            .enumerate()
            .map(|(i, sql)| plain(sql, format!("history_{i}"), next()))
            .collect();
        let mut changes: Vec<_> = self
            .before
            .iter()
            .enumerate()
            .map(|(i, sql)| plain(sql, format!("before_{i}"), next()))
            .collect();
        let file = SourceFile::new("test.sql", self.sql.clone());
        let script = |direction, file: std::sync::Arc<SourceFile>| Script {
            range: 0..file.text.len(),
            file,
            phase: self.phase,
            direction,
            phased: true,
            no_transaction_marker: self.no_tx,
            irreversible: self.irreversible.clone(),
        };
        let mut scripts = vec![script(self.direction, file)];
        if self.with_down && self.direction == Direction::Up {
            scripts.push(script(
                Direction::Down,
                SourceFile::new("test.down.sql", String::new()),
            ));
        }
        changes.push(Migration {
            version: next(),
            name: "test".into(),
            layout: self.layout,
            origin: "test.sql".into(),
            scripts,
            backfill: None,
        });
        for (i, sql) in self.after.iter().enumerate() {
            changes.push(plain(sql, format!("after_{i}"), next()));
        }
        lint_change_set(&self.settings, &history, &changes).diagnostics
    }

    /// Diagnostics of one rule, as `line:column message`.
    pub fn findings(&self, rule: &str) -> Vec<String> {
        self.diagnostics()
            .into_iter()
            .filter(|d| d.rule == rule)
            .map(|d| format!("{}:{} {}", d.start.line, d.start.column, d.message))
            .collect()
    }
}

/// Assert `rule` reports nothing for `case`.
#[track_caller]
pub fn lint_ok(rule: &str, case: impl Into<Case>) {
    let case = case.into();
    let found = case.findings(rule);
    assert!(
        found.is_empty(),
        "{rule} should pass on:\n{}\nbut reported: {found:#?}",
        case.sql
    );
}

/// Assert `rule` reports something for `case`; returns the findings (`line:col message`).
#[track_caller]
pub fn lint_errors(rule: &str, case: impl Into<Case>) -> Vec<String> {
    let case = case.into();
    let found = case.findings(rule);
    assert!(!found.is_empty(), "{rule} should report on:\n{}", case.sql);
    found
}

impl From<&str> for Case {
    fn from(sql: &str) -> Self {
        Case::new(sql)
    }
}
