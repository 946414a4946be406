//! The JSON format: a stable, versioned document. Adding keys is compatible; removing or
//! changing one bumps [`VERSION`]. Positions are 1-based, `end` is exclusive.
//!
//! ```json
//! {
//!   "version": 1,
//!   "diagnostics": [
//!     {
//!       "rule": "ban-drop-column",
//!       "severity": "error",
//!       "path": "migrations/0002_drop.sql",
//!       "start": { "line": 2, "column": 3 },
//!       "end": { "line": 2, "column": 23 },
//!       "message": "...",
//!       "lock": { "mode": "ACCESS_EXCLUSIVE", "hold": "brief", "blocks": "reads and writes",
//!                 "rewrite": false, "scan": false },
//!       "help": "...",
//!       "token_scan": false,
//!       "related": [ { "path": "src/users.rs", "line": 12, "column": 5, "message": "..." } ],
//!       "phase": "expand"
//!     }
//!   ],
//!   "summary": { "files": 2, "statements": 5, "parsed": 3, "unparsed": 1, "syntax_errors": 1,
//!                "errors": 1, "warnings": 0 }
//! }
//! ```

use serde::Serialize;

use super::{counts, display_path};
use crate::engine::{Diagnostic, LintReport, LintStats};
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::Severity;
use sluice_core::source::{LineCol, Phase};

/// Version of the JSON document; bumped on incompatible changes only.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    path: String,
    start: LineCol,
    end: LineCol,
    message: &'a str,
    lock: Option<Lock>,
    help: &'a str,
    token_scan: bool,
    related: Vec<Related<'a>>,
    phase: Phase,
}

#[derive(Serialize)]
struct Lock {
    mode: LockMode,
    hold: LockHold,
    blocks: &'static str,
    rewrite: bool,
    scan: bool,
}

#[derive(Serialize)]
struct Related<'a> {
    path: String,
    line: usize,
    column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    statements: usize,
    parsed: usize,
    unparsed: usize,
    syntax_errors: usize,
    errors: usize,
    warnings: usize,
}

fn lock(l: LockInfo) -> Lock {
    Lock {
        mode: l.mode,
        hold: l.hold,
        blocks: l.mode.blocks(),
        rewrite: l.rewrite,
        scan: l.scan,
    }
}

fn diagnostic(d: &Diagnostic) -> JsonDiagnostic<'_> {
    JsonDiagnostic {
        rule: d.rule,
        severity: d.severity,
        path: display_path(&d.path),
        start: d.start,
        end: d.end,
        message: &d.message,
        lock: d.lock.map(lock),
        help: &d.help,
        token_scan: d.token_scan,
        related: d
            .related
            .iter()
            .map(|r| Related {
                path: display_path(&r.path),
                line: r.line,
                column: r.column,
                message: &r.message,
            })
            .collect(),
        phase: d.phase,
    }
}

/// The report as pretty-printed JSON, with a final newline.
pub fn render(report: &LintReport) -> String {
    let (errors, warnings) = counts(report);
    let s = &report.stats;
    let doc = Doc {
        version: VERSION,
        diagnostics: report.diagnostics.iter().map(diagnostic).collect(),
        summary: summary(s, errors, warnings),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("plain data serialises");
    out.push('\n');
    out
}

fn summary(s: &LintStats, errors: usize, warnings: usize) -> Summary {
    Summary {
        files: s.files,
        statements: s.statements,
        parsed: s.parsed,
        unparsed: s.unparsed,
        syntax_errors: s.syntax_errors,
        errors,
        warnings,
    }
}

/// `value` pretty-printed as [`render`] prints it `depth` levels deep.
fn nested(value: &impl Serialize, depth: usize) -> String {
    let text = serde_json::to_string_pretty(value).expect("plain data serialises");
    // JSON strings hold no raw newline: every line break is the printer's
    text.replace('\n', &format!("\n{}", "  ".repeat(depth)))
}

/// The start of a streamed document ([`super::stream`]), up to its first diagnostic.
pub(super) fn open() -> String {
    format!("{{\n  \"version\": {VERSION},\n  \"diagnostics\": [")
}

/// One diagnostic of a streamed document; `after_another`: one was printed before it.
pub(super) fn item(d: &Diagnostic, after_another: bool) -> String {
    let comma = if after_another { "," } else { "" };
    format!("{comma}\n    {}", nested(&diagnostic(d), 2))
}

/// The end of a streamed document; `empty`: no part came (the opening is missing too).
pub(super) fn close(s: &LintStats, errors: usize, warnings: usize, empty: bool) -> String {
    let mut out = String::new();
    if empty {
        out.push_str(&open());
    }
    out.push_str(&format!(
        "{}],\n  \"summary\": {}\n}}\n",
        if errors + warnings == 0 { "" } else { "\n  " },
        nested(&summary(s, errors, warnings), 1)
    ));
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
    fn shape_is_stable() {
        let report = fixture::report();
        let v: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(v["version"], 1);
        let d = &v["diagnostics"][0];
        for key in [
            "rule",
            "severity",
            "path",
            "start",
            "end",
            "message",
            "lock",
            "help",
            "token_scan",
            "related",
            "phase",
        ] {
            assert!(d.get(key).is_some(), "missing {key}");
        }
        let with_lock = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| !d["lock"].is_null())
            .unwrap();
        assert_eq!(with_lock["lock"]["mode"], "ACCESS_EXCLUSIVE");
        assert_eq!(with_lock["lock"]["blocks"], "reads and writes");
        assert_eq!(v["summary"]["errors"], 3);
        assert_eq!(v["summary"]["warnings"], 3);
    }
}
