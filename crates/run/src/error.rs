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
}

impl RunError {
    pub fn db(e: DbError) -> RunError {
        RunError::Db(e.message)
    }

    /// cli.md: 1 refused, 2 error.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Refused(_) | RunError::Hook(_) => 1,
            _ => 2,
        }
    }
}
