//! The rule contract: metadata, the check entry point, and what a check reports.

use std::ops::Range;

use serde::Serialize;

use super::context::ScriptCx;
use super::lock::LockInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's default level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultLevel {
    Error,
    Warning,
    /// Off unless enabled in `sluice.toml`.
    OptIn,
}

/// Catalogue sections of lint-rules.md; they decide where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A: breaks code that is still running. Not applied to down scripts (a rollback
    /// goes back to code that never used what the up added).
    Compatibility,
    /// B: the deploy boundary.
    DeployBoundary,
    /// C: locks and rewrites.
    Locks,
    /// D: file and transaction hygiene.
    Hygiene,
    /// E: schema style.
    Style,
    /// F: MySQL / MariaDB specifics.
    Mysql,
}

/// In which phases a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseScope {
    /// Same verdict in every phase.
    Any,
    /// An error in expand and unphased migrations, allowed in contract migrations.
    ContractOnly,
}

/// Which dialects a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialects {
    All,
    Postgres,
    Mysql,
}

/// Everything about a rule except its check.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    pub id: &'static str,
    /// Other tools' ids (squawk) accepted in config and ignore comments.
    pub aliases: &'static [&'static str],
    pub default: DefaultLevel,
    pub category: Category,
    pub phase: PhaseScope,
    pub dialects: Dialects,
    /// One line: what it flags.
    pub summary: &'static str,
    /// The safe way, one line.
    pub help: &'static str,
    /// `migrate plan` has a recipe for what this rule flags.
    pub has_recipe: bool,
    /// The rule's documentation (`lint-rules/<id>.md`), embedded at build time.
    #[serde(skip)]
    pub doc: &'static str,
}

/// A related location (e.g. a code reference to a dropped column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub path: std::path::PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// What a rule reports; the engine turns it into a [`super::Diagnostic`].
#[derive(Debug, Clone)]
#[must_use = "a hit that is not pushed is a finding lost"]
pub struct Hit {
    /// Index of the statement in [`ScriptCx::statements`].
    pub stmt: usize,
    /// Absolute byte range in the file; `None` = the whole statement.
    pub span: Option<Range<usize>>,
    pub message: String,
    pub lock: Option<LockInfo>,
    /// Overrides the rule's help for this finding.
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// Report at most as a warning, whatever the rule's level.
    pub warning_only: bool,
    /// The rule has a `migrate plan` recipe, but not for this finding: no pointer to it.
    pub no_recipe: bool,
}

impl Hit {
    pub fn new(stmt: usize, message: impl Into<String>) -> Self {
        Hit {
            stmt,
            span: None,
            message: message.into(),
            lock: None,
            help: None,
            related: Vec::new(),
            warning_only: false,
            no_recipe: false,
        }
    }

    /// The planner has no recipe for this finding (its help says the way out).
    pub fn no_recipe(mut self) -> Self {
        self.no_recipe = true;
        self
    }

    pub fn warning_only(mut self) -> Self {
        self.warning_only = true;
        self
    }

    pub fn span(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    pub fn lock(mut self, lock: LockInfo) -> Self {
        self.lock = Some(lock);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A lint rule. One per file under `src/lint/rules/`.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Inspect one script and push what it finds.
    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>);
}
