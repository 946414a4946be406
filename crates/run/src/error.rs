//! Why a runner command did not do what was asked.

use std::time::Duration;

use super::driver::DbError;

/// Why a runner command did not do what was asked. `exit_code` maps it for the CLI.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Db(String),
    #[error("{message}")]
    LockWait { waited: Duration, message: String },
    /// Applied migrations whose files changed.
    #[error("{0}")]
    Drift(String),
    /// The policy refuses (out of order, irreversible rollback).
    #[error("{0}")]
    Refused(String),
    /// A migration statement failed.
    #[error("{0}")]
    Failed(String),
    /// A script cannot be run (syntax the splitter rejects, unknown version).
    #[error("{0}")]
    Input(String),
    /// A `before-*` hook failed: the phase did not run.
    #[error("{0}")]
    Hook(String),
    /// The apply check refused a phase: lint's findings on the live schema. Nothing ran.
    #[error("{}", .0.text())]
    Checked(Box<Refusal>),
}

/// What the apply check refused, for the CLI to print as `migrate lint` does.
#[derive(Debug)]
pub struct Refusal {
    /// The refusing findings and the files they point into.
    pub report: sluice_lint::LintReport,
    /// One line: what was refused and the ways out.
    pub summary: String,
}

impl Refusal {
    /// The summary, then one line per finding (`path:line:col rule: message`): for callers
    /// that do not render the report (the server, logs).
    pub fn text(&self) -> String {
        let mut out = self.summary.clone();
        for d in &self.report.diagnostics {
            out.push_str(&format!(
                "\n{}:{}:{}: {}: {}; {}",
                d.path.display(),
                d.start.line,
                d.start.column,
                d.rule,
                d.message,
                d.help
            ));
        }
        out
    }
}

impl RunError {
    pub fn db(e: DbError) -> RunError {
        RunError::Db(e.message)
    }

    /// cli.md: 1 refused, 2 error.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Refused(_) | RunError::Hook(_) | RunError::Checked(_) => 1,
            _ => 2,
        }
    }
}
