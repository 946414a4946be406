//! GitLab Code Quality report: a JSON array of issues.
//!
//! Each issue: `description`, `check_name` (the rule), `fingerprint` (SHA-256 hex of rule,
//! path, message and line; a repeat of the same four gets an occurrence number mixed in so
//! fingerprints stay unique), `severity` (`major` for errors, `minor` for warnings) and
//! `location.path` + `location.lines.begin`.

use std::collections::HashSet;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{display_path, one_line_message};
use crate::engine::LintReport;
use crate::rule::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

fn fingerprint(rule: &str, path: &str, message: &str, line: usize, occurrence: usize) -> String {
    let mut h = Sha256::new();
    for part in [rule, path, message, &line.to_string()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    if occurrence > 0 {
        h.update(occurrence.to_string().as_bytes());
    }
    hex::encode(h.finalize())
}

/// The Code Quality JSON array (pretty-printed, final newline).
pub fn render(report: &LintReport) -> String {
    let mut seen = HashSet::new();
    let issues: Vec<Issue<'_>> = report
        .diagnostics
        .iter()
        .map(|d| {
            let path = display_path(&d.path);
            let mut occurrence = 0;
            let fp = loop {
                let fp = fingerprint(d.rule, &path, &d.message, d.start.line, occurrence);
                if seen.insert(fp.clone()) {
                    break fp;
                }
                occurrence += 1;
            };
            Issue {
                description: one_line_message(d).into_owned(),
                check_name: d.rule,
                fingerprint: fp,
                severity: match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path,
                    lines: Lines {
                        begin: d.start.line,
                    },
                },
            }
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("plain data serialises");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn issues() {
        let report = fixture::report();
        let v: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        let issues = v.as_array().unwrap();
        assert_eq!(issues.len(), report.diagnostics.len());
        let fps: HashSet<_> = issues.iter().map(|i| i["fingerprint"].clone()).collect();
        assert_eq!(fps.len(), issues.len());
        let d = &report.diagnostics[0];
        let first = &issues[0];
        assert_eq!(first["check_name"], d.rule);
        assert_eq!(first["location"]["lines"]["begin"], d.start.line);
        assert_eq!(
            first["fingerprint"],
            fingerprint(d.rule, &display_path(&d.path), &d.message, d.start.line, 0)
        );
        assert_eq!(first["fingerprint"].as_str().unwrap().len(), 64);
        assert!(
            issues
                .iter()
                .all(|i| i["severity"] == "major" || i["severity"] == "minor")
        );
        assert_eq!(render(&LintReport::default()), "[]\n");
    }

    #[test]
    fn repeated_findings_get_distinct_fingerprints() {
        let mut report = fixture::report();
        let d = report.diagnostics[0].clone();
        report.diagnostics.push(d);
        let v: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        let fps: HashSet<_> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].clone())
            .collect();
        assert_eq!(fps.len(), report.diagnostics.len());
    }
}
