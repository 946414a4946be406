//! `migrate lint`: rules over typed operations, with phases, severities and suppressions.
//!
//! Pure: no file or network I/O and no printing; callers hand in loaded migrations and get
//! a [`LintReport`] back.

pub mod context;
pub mod engine;
pub mod lock;
pub mod mysql;
pub mod registry;
pub mod replace;
pub mod replay_cache;
pub mod report;
pub mod rewrites;
pub mod rule;
pub mod rules;
pub mod settings;
#[cfg(test)]
pub mod test_utils;

pub use engine::{
    Diagnostic, LintReport, LintStats, lint, lint_change_set, lint_change_set_on, lint_snippet,
    lint_snippet_without_down,
};
pub use rule::{Rule, RuleMeta, Severity};
pub use settings::LintSettings;
