//! gcc-style lines: `path:line:col: error: message [rule]`, one per finding.

use super::{display_path, one_line_message};
use crate::engine::{Diagnostic, LintReport};

/// One line per finding (newlines in messages become spaces).
pub fn render(report: &LintReport) -> String {
    report.diagnostics.iter().map(line).collect()
}

/// A finding's line, with its newline.
pub(super) fn line(d: &Diagnostic) -> String {
    format!(
        "{}:{}:{}: {}: {} [{}]\n",
        display_path(&d.path),
        d.start.line,
        d.start.column,
        d.severity.name(),
        one_line_message(d),
        d.rule
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
    fn one_line_each() {
        let report = fixture::report();
        assert_eq!(render(&report).lines().count(), report.diagnostics.len());
        assert_eq!(render(&LintReport::default()), "");
    }
}
