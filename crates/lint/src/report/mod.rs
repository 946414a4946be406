//! Renderers of a [`super::LintReport`]: human, json, sarif, github, gitlab, gcc, markdown.
//! They return strings; only the CLI prints.
//!
//! Every position is 1-based; an end position is exclusive (the character just after the
//! span), as in SARIF.

pub mod gcc;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod stream;

use std::borrow::Cow;
use std::path::Path;

use super::engine::{Diagnostic, LintReport};
use super::rule::Severity;
pub use stream::Stream;

/// An output format of `migrate lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Format {
    /// rustc-style snippets with a caret span, notes and a summary line.
    #[default]
    Human,
    /// A stable JSON document (`"version": 1`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=..::message`).
    Github,
    /// GitLab Code Quality report (JSON array).
    Gitlab,
    /// `path:line:col: severity: message [rule]`, one per line.
    Gcc,
    /// A pull-request comment: a summary line, a table of findings, the details folded.
    Markdown,
}

/// Knobs of the renderers that the CLI decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours (human format only). The CLI decides from the TTY, `NO_COLOR` and `--color`.
    pub color: bool,
}

/// Render `report` in `format`.
pub fn render(report: &LintReport, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Human => human::render(report, opts.color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Gitlab => gitlab::render(report),
        Format::Gcc => gcc::render(report),
        Format::Markdown => markdown::render(report),
    }
}

/// A path as shown in every format: forward slashes, no leading `./`.
pub(crate) fn display_path(path: &Path) -> String {
    let lossy = path.to_string_lossy();
    let slashed;
    let mut s: &str = if std::path::MAIN_SEPARATOR == '\\' {
        slashed = lossy.replace('\\', "/");
        &slashed
    } else {
        &lossy
    };
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_owned()
}

/// `(errors, warnings)` of a report.
pub(crate) fn counts(report: &LintReport) -> (usize, usize) {
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, report.diagnostics.len() - errors)
}

/// The message of a diagnostic on one line, with the token-scan marker.
pub(crate) fn one_line_message(d: &Diagnostic) -> Cow<'_, str> {
    // most messages are one line already: borrowed, not copied
    let mut msg = if d.message.contains(['\n', '\r']) {
        Cow::Owned(d.message.replace("\r\n", " ").replace(['\n', '\r'], " "))
    } else {
        Cow::Borrowed(d.message.as_str())
    };
    if d.token_scan {
        msg.to_mut().push_str(" (found by a token scan)");
    }
    msg
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A report built from real input through the whole engine, plus hand-made findings
    //! for what the rules of this branch cannot produce yet (lock, related, multi-line).

    use std::path::PathBuf;

    use crate::engine::{Diagnostic, LintReport, lint};
    use crate::lock::LockInfo;
    use crate::rule::{Related, Severity};
    use crate::settings::LintSettings;
    use sluice_core::source::{Direction, Layout, Migration, Phase, Script, SourceFile, Version};

    pub const UP: &str = "-- sluice:ignore ban-drop-colum\nSELECT 1;\nALTER TABLE t FROBNICATE x;\nUPDATE users SET name = 'O'Brien';\n";
    pub const DROP: &str = "ALTER TABLE users\n  DROP COLUMN nickname,\n  DROP COLUMN bio;\n";

    fn migration(path: &str, text: &str, version: &str) -> Migration {
        let file = SourceFile::new(path, text.to_owned());
        Migration {
            version: Version::parse(version).expect("static"),
            name: "test".into(),
            layout: Layout::Plain,
            origin: path.into(),
            scripts: vec![Script {
                range: 0..file.text.len(),
                file,
                phase: Phase::Expand,
                direction: Direction::Up,
                phased: true,
                no_transaction_marker: false,
                irreversible: None,
            }],
            backfill: None,
        }
    }

    /// Two files: engine findings in the first, hand-made ones in the second.
    pub fn report() -> LintReport {
        let migrations = [
            migration("migrations/0001_init.sql", UP, "1"),
            migration("migrations/0002_drop.sql", DROP, "2"),
        ];
        let mut report = lint(&LintSettings::default(), &migrations);
        // what the engine found itself (the classifier may be a stub in this branch)
        report.diagnostics.retain(|d| d.rule != "ban-drop-column");
        let file = report.files[1].clone();
        let at = |needle: &str| {
            let s = file.text.find(needle).expect("needle");
            s..s + needle.len()
        };
        let diag = |range: std::ops::Range<usize>, message: &str| Diagnostic {
            rule: "ban-drop-column",
            severity: Severity::Error,
            path: PathBuf::from("migrations/0002_drop.sql"),
            start: file.line_col(range.start),
            end: file.line_col(range.end),
            range,
            message: message.to_owned(),
            lock: Some(LockInfo::ACCESS_EXCLUSIVE_BRIEF),
            help: "stop using the column in code, deploy, then drop it in a contract migration"
                .into(),
            token_scan: false,
            related: Vec::new(),
            phase: Phase::Expand,
        };
        let mut multi = diag(
            at("DROP COLUMN nickname,\n  DROP COLUMN bio"),
            "dropping columns `nickname`, `bio` of `users` breaks the running code that still uses them",
        );
        multi.related.push(Related {
            path: PathBuf::from("src/users.rs"),
            line: 12,
            column: 5,
            message: "`nickname` is still read here".into(),
        });
        report.diagnostics.push(multi);
        let mut scan = diag(
            at("DROP COLUMN bio"),
            "dropping column `bio`, with a comma: `a,b`",
        );
        scan.token_scan = true;
        scan.severity = Severity::Warning;
        scan.lock = None;
        report.diagnostics.push(scan);
        // an empty range at the very end of the file
        let end = file.text.len();
        let mut eof = diag(end..end, "statement never ends: 100% sure\nsecond line");
        eof.rule = "syntax-error";
        eof.lock = None;
        eof.help = "end the statement".into();
        report.diagnostics.push(eof);
        report
            .diagnostics
            .sort_by(|a, b| (&a.path, a.start, a.rule).cmp(&(&b.path, b.start, b.rule)));
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_has_engine_findings() {
        let report = fixture::report();
        let rules: Vec<_> = report.diagnostics.iter().map(|d| d.rule).collect();
        assert!(rules.contains(&"syntax-error"), "{rules:?}");
        assert!(rules.contains(&"unused-ignore"), "{rules:?}");
        assert!(rules.contains(&"unparsed-statement"), "{rules:?}");
    }

    #[test]
    fn every_format_renders_an_empty_report() {
        let report = LintReport::default();
        for f in [
            Format::Human,
            Format::Json,
            Format::Sarif,
            Format::Github,
            Format::Gitlab,
            Format::Gcc,
            Format::Markdown,
        ] {
            let _ = render(&report, f, &RenderOptions { color: true });
        }
    }

    #[test]
    fn paths_use_forward_slashes() {
        assert_eq!(display_path(Path::new("./a/b.sql")), "a/b.sql");
    }
}
