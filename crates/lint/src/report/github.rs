//! GitHub Actions workflow commands: one annotation per finding.
//!
//! `::error file=migrations/1.sql,line=2,col=3,endLine=2,endColumn=7,title=ban-drop-column::message`
//!
//! Escaping follows the runner (`actions/toolkit` `command.ts`): in the message `%`, `\r` and
//! `\n` are percent-encoded; in property values `:` and `,` are too.

use std::fmt::Write;

use super::display_path;
use crate::engine::{Diagnostic, LintReport};
use crate::rule::Severity;

/// Escape the data (message) part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per finding, each on its own line.
pub fn render(report: &LintReport) -> String {
    report.diagnostics.iter().map(line).collect()
}

/// A finding's command, with its newline.
pub(super) fn line(d: &Diagnostic) -> String {
    let mut out = command(d);
    out.push('\n');
    out
}

fn command(d: &Diagnostic) -> String {
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut msg = d.message.clone();
    if d.token_scan {
        msg.push_str(" (found by a token scan)");
    }
    if let Some(lock) = &d.lock {
        let _ = write!(msg, "\nlock: {}", lock.describe());
    }
    for r in &d.related {
        let _ = write!(
            msg,
            "\nnote: {}:{}:{}: {}",
            display_path(&r.path),
            r.line,
            r.column,
            r.message
        );
    }
    if !d.help.is_empty() {
        let _ = write!(msg, "\nhelp: {}", d.help);
    }
    format!(
        "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&display_path(&d.path)),
        d.start.line,
        d.start.column,
        d.end.line,
        d.end.column,
        escape_property(d.rule),
        escape_data(&msg),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn snapshot() {
        let report = fixture::report();
        insta::assert_snapshot!(render(&report));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50%\r\na:b,c"), "50%25%0D%0Aa:b,c");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn one_line_per_finding() {
        let report = fixture::report();
        let out = render(&report);
        assert_eq!(out.lines().count(), report.diagnostics.len());
        assert!(
            out.lines()
                .all(|l| l.starts_with("::error ") || l.starts_with("::warning "))
        );
    }
}
