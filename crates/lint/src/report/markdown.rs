//! The markdown format: a pull-request (or merge-request) comment summarising the findings,
//! for GitHub, GitLab, Bitbucket or any CI that can post a comment.
//!
//! ```markdown
//! <!-- sluice-lint -->
//! ### ❌ Sluice: 1 error in 1 file
//!
//! | | finding | where | rule |
//! |---|---|---|---|
//! | ❌ error | dropping column `nickname` of `users` breaks ... | `migrations/0002_drop.sql:2:3` | [`ban-drop-column`](…) |
//!
//! <details><summary>Locks, notes and the safe way</summary>
//! ...
//! </details>
//! ```
//!
//! The first line is a hidden marker a CI script can search for to update its previous
//! comment instead of adding one. Text outside code spans is escaped so that SQL (`*`, `_`,
//! `<`) renders as written; at most [`MAX_FINDINGS`] findings are listed, to stay well under
//! comment size limits (GitHub: 65536 characters).

use std::fmt::Write;

use super::human::summary;
use super::sarif::help_uri;
use super::{counts, display_path};
use crate::engine::{Diagnostic, LintReport};
use crate::rule::Severity;

/// The hidden first line of every comment.
pub const MARKER: &str = "<!-- sluice-lint -->";

/// Findings listed in one comment; the rest are counted.
pub const MAX_FINDINGS: usize = 100;

/// The whole comment, ending with a newline.
pub fn render(report: &LintReport) -> String {
    let (errors, _) = counts(report);
    let icon = if errors > 0 {
        "❌"
    } else if report.diagnostics.is_empty() {
        "✅"
    } else {
        "⚠️"
    };
    let mut out = format!("{MARKER}\n### {icon} Sluice: {}\n", summary(report));
    if report.diagnostics.is_empty() {
        return out;
    }
    let shown = &report.diagnostics[..report.diagnostics.len().min(MAX_FINDINGS)];
    out.push_str("\n| | finding | where | rule |\n|---|---|---|---|\n");
    for d in shown {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            level(d.severity),
            cell(&message(d)),
            code(&location(d)),
            rule_link(d.rule),
        );
    }
    let hidden = report.diagnostics.len() - shown.len();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "\n…and {hidden} more; run `migrate lint` to see them all."
        );
    }
    out.push_str("\n<details><summary>Locks, notes and the safe way</summary>\n");
    for d in shown {
        let _ = write!(
            out,
            "\n#### {} {} {}\n\n{}\n",
            level(d.severity),
            code(&location(d)),
            rule_link(d.rule),
            escape(&message(d)).replace('\n', "  \n"),
        );
        let mut items = Vec::new();
        if let Some(lock) = &d.lock {
            items.push(format!("**lock:** {}", escape(&lock.describe())));
        }
        for r in &d.related {
            items.push(format!(
                "**note:** {}: {}",
                code(&format!(
                    "{}:{}:{}",
                    display_path(&r.path),
                    r.line,
                    r.column
                )),
                escape(&r.message)
            ));
        }
        if !d.help.is_empty() {
            items.push(format!("**help:** {}", escape(&d.help)));
        }
        if !items.is_empty() {
            out.push('\n');
            for item in items {
                let _ = writeln!(out, "- {}", item.replace('\n', " "));
            }
        }
    }
    out.push_str("\n</details>\n");
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌ error",
        Severity::Warning => "⚠️ warning",
    }
}

fn message(d: &Diagnostic) -> String {
    let mut msg = d.message.clone();
    if d.token_scan {
        msg.push_str(" (found by a token scan)");
    }
    msg
}

fn location(d: &Diagnostic) -> String {
    format!(
        "{}:{}:{}",
        display_path(&d.path),
        d.start.line,
        d.start.column
    )
}

fn rule_link(rule: &str) -> String {
    format!("[{}]({})", code(rule), help_uri(rule))
}

/// A table cell: escaped, on one line.
fn cell(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

/// `s` as a code span: a fence longer than any backtick run inside, `|` escaped (GitHub's
/// table parser splits cells before it reads code spans).
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

/// Markdown-escape text, keeping the `code spans` the messages use. With an odd number of
/// backticks nothing is a code span and every backtick is escaped.
fn escape(s: &str) -> String {
    let balanced = s.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' if balanced => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            _ if in_code => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
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
    fn one_row_per_finding() {
        let report = fixture::report();
        let out = render(&report);
        let rows = out
            .lines()
            .filter(|l| l.starts_with("| ❌") || l.starts_with("| ⚠️"))
            .count();
        assert_eq!(rows, report.diagnostics.len());
        // every row has exactly four cells: no message leaks a `|` or a newline
        for l in out.lines().filter(|l| l.starts_with("| ❌")) {
            assert_eq!(l.replace("\\|", "").matches('|').count(), 5, "{l}");
        }
    }

    #[test]
    fn clean_report() {
        let out = render(&LintReport::default());
        assert_eq!(
            out,
            format!("{MARKER}\n### ✅ Sluice: no findings in 0 files\n")
        );
    }

    #[test]
    fn long_reports_are_cut() {
        let mut report = fixture::report();
        let d = report.diagnostics[0].clone();
        report.diagnostics = vec![d; MAX_FINDINGS + 7];
        let out = render(&report);
        assert!(out.contains("…and 7 more"), "{out}");
        assert_eq!(out.matches("\n#### ").count(), MAX_FINDINGS);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("SELECT * FROM a_b <x> `a|b*c`"),
            "SELECT \\* FROM a\\_b \\<x\\> `a\\|b*c`"
        );
        assert_eq!(escape("odd ` tick *"), "odd \\` tick \\*");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(code("x|y"), "`x\\|y`");
    }
}
