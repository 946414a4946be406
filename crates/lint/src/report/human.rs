//! The human format: a rustc-style snippet per finding, then one summary line.
//!
//! ```text
//! error[ban-drop-column]: dropping column `nickname` of `users` breaks the running code
//!  --> migrations/0002_drop.sql:2:3
//!   |
//! 2 |   DROP COLUMN nickname;
//!   |   ^^^^
//!   |
//!   = lock: ACCESS EXCLUSIVE held briefly (but queues every later query while it waits): ...
//!   = help: stop using the column in code, deploy, then drop it in a contract migration
//!
//! 1 error in 1 file
//! ```

use std::collections::BTreeSet;
use std::ops::Range;

use annotate_snippets::{
    AnnotationKind, Group, Level, Origin, Renderer, Snippet, normalize_untrusted_str,
};

use super::{counts, display_path};
use crate::engine::{Diagnostic, LintReport};
use crate::rule::Severity;
use sluice_core::source::SourceFile;

/// Render every finding and the summary line. `color` adds ANSI styles.
pub fn render(report: &LintReport, color: bool) -> String {
    let mut out = findings(report, color);
    out.push_str(&summary_line(&summary(report), color));
    out
}

/// Every finding, without the summary.
fn findings(report: &LintReport, color: bool) -> String {
    let renderer = renderer(color);
    report
        .diagnostics
        .iter()
        .map(|d| finding(&renderer, report, d))
        .collect()
}

pub(super) fn renderer(color: bool) -> Renderer {
    if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

/// One finding of `report`, with the blank line after it.
pub(super) fn finding(renderer: &Renderer, report: &LintReport, d: &Diagnostic) -> String {
    let file = report.file(&d.path).map(|f| &**f);
    let mut out = render_one(renderer, d, file);
    out.push_str("\n\n");
    out
}

pub(super) fn summary_line(line: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{line}\x1b[0m\n")
    } else {
        format!("{line}\n")
    }
}

/// "3 errors, 1 warning in 2 files" (files with findings) or "no findings in 5 files"
/// (files linted).
pub fn summary(report: &LintReport) -> String {
    let (errors, warnings) = counts(report);
    let files: BTreeSet<_> = report.diagnostics.iter().map(|d| &d.path).collect();
    summary_of(errors, warnings, files.len(), report.stats.files)
}

pub(super) fn summary_of(
    errors: usize,
    warnings: usize,
    with_findings: usize,
    linted: usize,
) -> String {
    if errors + warnings == 0 {
        return format!("no findings in {}", plural(linted, "file"));
    }
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning"));
    }
    format!("{} in {}", parts.join(", "), plural(with_findings, "file"))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn render_one(renderer: &Renderer, d: &Diagnostic, file: Option<&SourceFile>) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut title = d.message.clone();
    if d.token_scan {
        title.push_str(" (found by a token scan)");
    }
    let path = display_path(&d.path);
    // the rule id links to its documentation in colour mode (OSC 8; plain output has no links)
    let mut group = Group::with_title(
        level
            .primary_title(title)
            .id(d.rule)
            .id_url(super::sarif::help_uri(d.rule)),
    );
    group = match file {
        Some(file) => {
            let (source, span, line_start) = excerpt(&file.text, d.range.clone());
            group.element(
                Snippet::source(source)
                    .line_start(line_start)
                    .path(path)
                    .annotation(AnnotationKind::Primary.span(span)),
            )
        }
        // no text to show (should not happen): point at the position only
        None => group.element(
            Origin::path(path)
                .line(d.start.line)
                .char_column(d.start.column.saturating_sub(1)),
        ),
    };
    if let Some(lock) = &d.lock {
        group = group.element(Level::NOTE.with_name("lock").message(lock.describe()));
    }
    for r in &d.related {
        group = group.element(Level::NOTE.message(normalize_untrusted_str(&format!(
            "{}:{}:{}: {}",
            display_path(&r.path),
            r.line,
            r.column,
            r.message
        ))));
    }
    if !d.help.is_empty() {
        group = group.element(Level::HELP.message(normalize_untrusted_str(&d.help)));
    }
    renderer.render(&[group])
}

/// The whole lines that `range` touches, the range relative to them, and the 1-based number
/// of the first line. Never panics: the range is clamped to the text and snapped to char
/// boundaries; an empty range or one at the end of the text is fine.
fn excerpt(text: &str, range: Range<usize>) -> (&str, Range<usize>, usize) {
    let snap = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = snap(range.start);
    let end = snap(range.end.max(range.start));
    let begin = text[..start].rfind('\n').map_or(0, |i| i + 1);
    // a span ending with its line's newline stops on that line
    let last = if end > start && text.as_bytes()[end - 1] == b'\n' {
        end - 1
    } else {
        end
    };
    let finish = text[last..].find('\n').map_or(text.len(), |i| last + i);
    let line = text[..begin].matches('\n').count() + 1;
    let span = start - begin..end.min(finish) - begin;
    (&text[begin..finish], span, line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn snapshot() {
        let report = fixture::report();
        insta::assert_snapshot!(render(&report, false));
    }

    #[test]
    fn color_only_when_asked() {
        let report = fixture::report();
        assert!(!render(&report, false).contains('\x1b'));
        assert!(render(&report, true).contains("\x1b["));
    }

    #[test]
    fn summary_lines() {
        let mut report = LintReport::default();
        report.stats.files = 3;
        assert_eq!(summary(&report), "no findings in 3 files");
        let report = fixture::report();
        assert_eq!(summary(&report), "3 errors, 3 warnings in 2 files");
    }

    #[test]
    fn excerpt_edges() {
        let t = "ab\ncd\n";
        assert_eq!(excerpt(t, 3..5), ("cd", 0..2, 2));
        assert_eq!(excerpt(t, 3..6), ("cd", 0..2, 2));
        assert_eq!(excerpt(t, 6..6), ("", 0..0, 3));
        assert_eq!(excerpt(t, 1..4), ("ab\ncd", 1..4, 1));
        assert_eq!(excerpt(t, Range { start: 9, end: 2 }), ("", 0..0, 3));
        assert_eq!(excerpt("", 0..0), ("", 0..0, 1));
        assert_eq!(excerpt("é", 1..2), ("é", 0..2, 1));
    }

    #[test]
    fn odd_ranges_do_not_panic() {
        let file = SourceFile::new("x.sql", "SELECT 1;\nSELECT é;\n".to_owned());
        let len = file.text.len();
        for range in [0..0, len..len, len - 1..len, 3..len + 5, 14..15, 0..len] {
            let mut d = fixture::report().diagnostics[0].clone();
            d.path = "x.sql".into();
            d.start = file.line_col(range.start);
            d.end = file.line_col(range.end);
            d.range = range;
            let out = render_one(&Renderer::plain(), &d, Some(&file));
            assert!(out.contains("x.sql"), "{out}");
        }
    }
}
