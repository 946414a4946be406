//! `migrate verify`'s output: human (per migration its steps, the diff of a failure), json,
//! sarif and github (annotations on the down script). Strings only; `verify.rs` prints.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use crate::run::snapshot::{Change, Diff};
use crate::run::verify::{FillReport, MigrationReport, NAIVE_STEP, Outcome, Report, StepReport};

use super::verify::VerifyFormat;

pub(super) fn render(reports: &[Report], format: VerifyFormat, cwd: &Path) -> String {
    match format {
        VerifyFormat::Human => human(reports, cwd),
        VerifyFormat::Json => {
            let v = json!({
                "proven": reports.iter().all(Report::proven),
                "runs": reports,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into())
            )
        }
        VerifyFormat::Sarif => sarif(reports, cwd),
        VerifyFormat::Github => github(reports, cwd),
    }
}

fn shown(p: &Path, cwd: &Path) -> String {
    p.strip_prefix(cwd).unwrap_or(p).display().to_string()
}

/// What a failing step says, one item per line (no file).
fn problems(s: &StepReport) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(e) = &s.error {
        let rule = if e.starts_with("no ") && e.contains("down script") {
            "down-exists"
        } else {
            "step-runs"
        };
        out.push((rule, format!("{}: {e}", s.step)));
    }
    let naive = s.step == NAIVE_STEP;
    if let Some(d) = s.diff.as_ref().filter(|d| !d.is_empty()) {
        let (rule, against) = if naive {
            (
                "same-schema-as-naive",
                "the schema of the naive migration (every phase of the change up once)",
            )
        } else if s.step.ends_with("down") {
            ("down-restores-schema", "the schema before the up")
        } else {
            (
                "up-again-reproduces-schema",
                "the schema after the first up",
            )
        };
        out.push((
            rule,
            format!("{}: differs from {against}:\n{}", s.step, differences(s, d)),
        ));
    }
    if !s.data.is_empty() {
        let lines: Vec<String> = s.data.iter().map(|d| format!("  {d}")).collect();
        let (rule, what) = if naive {
            (
                "same-data-as-naive",
                "the rows differ from the naive migration's",
            )
        } else {
            (
                "down-restores-data",
                "does not give back the rows from before the up",
            )
        };
        out.push((rule, format!("{}: {what}:\n{}", s.step, lines.join("\n"))));
    }
    for q in &s.queries {
        let rule = if q.set == "old" {
            "old-queries-prepare"
        } else {
            "new-queries-prepare"
        };
        out.push((
            rule,
            format!(
                "after {}: {} query ({}) does not prepare: {}\n  {}",
                s.step,
                q.set,
                q.origin,
                q.error,
                q.query.trim().replace('\n', "\n  ")
            ),
        ));
    }
    out
}

/// Each difference on a line, worded for the step (a down leaves or loses objects).
fn differences(s: &StepReport, d: &Diff) -> String {
    let down = s.step.ends_with("down");
    let mut out = String::new();
    for x in &d.differences {
        if s.step == NAIVE_STEP {
            let line = match &x.change {
                Change::Missing => format!("{} missing (the naive migration makes it)", x.object),
                Change::Unexpected => {
                    format!(
                        "{} unexpected (the naive migration does not make it)",
                        x.object
                    )
                }
                Change::Changed { .. } => format!("{x} (naive -> change)"),
            };
            let _ = writeln!(out, "  {line}");
            continue;
        }
        let line = match (&x.change, down) {
            (Change::Missing, true) => {
                format!(
                    "{} missing (there before the up; the down did not restore it)",
                    x.object
                )
            }
            (Change::Unexpected, true) => {
                format!(
                    "{} left behind (not there before the up; the down did not remove it)",
                    x.object
                )
            }
            (Change::Missing, false) => {
                format!("{} missing (there after the first up)", x.object)
            }
            (Change::Unexpected, false) => {
                format!("{} unexpected (not there after the first up)", x.object)
            }
            (Change::Changed { .. }, _) => x.to_string(),
        };
        let _ = writeln!(out, "  {line}");
    }
    out.trim_end().to_owned()
}

fn human(reports: &[Report], cwd: &Path) -> String {
    let mut out = String::new();
    for r in reports {
        if let Some(f) = &r.fill {
            human_fill(&mut out, f);
        }
        for m in &r.migrations {
            human_migration(&mut out, m, cwd);
        }
        for v in &r.not_verified {
            let _ = writeln!(out, "not verified {v} (an earlier up failed)");
        }
        if let Some(s) = &r.naive {
            human_step_line(&mut out, s, cwd);
        }
        let _ = writeln!(
            out,
            "\n{} migration{} verified ({} history replayed) on {} ({}): {} proven, {} failed, {} irreversible, {} not verified; {:.1} s",
            r.migrations.len(),
            if r.migrations.len() == 1 { "" } else { "s" },
            r.history,
            r.database,
            r.server,
            r.count(Outcome::Proven),
            r.count(Outcome::Failed),
            r.count(Outcome::Irreversible),
            r.not_verified.len(),
            r.duration_ms as f64 / 1000.0
        );
    }
    out
}

fn human_fill(out: &mut String, f: &FillReport) {
    let _ = writeln!(
        out,
        "filled {} table{} of the history with generated rows ({} each asked; --rows)",
        f.tables.len(),
        if f.tables.len() == 1 { "" } else { "s" },
        f.rows
    );
    for t in &f.tables {
        if let Some(n) = &t.note {
            let _ = writeln!(out, "  note: {} filled with {}", t.table, n);
        }
    }
    for s in &f.skipped {
        let _ = writeln!(out, "  note: {} not filled: {}", s.table, s.reason);
    }
}

fn human_migration(out: &mut String, m: &MigrationReport, cwd: &Path) {
    let word = match m.outcome {
        Outcome::Proven => "proven",
        Outcome::Failed => "FAILED",
        Outcome::Irreversible => "irreversible (not rolled back)",
    };
    let steps: Vec<String> = m
        .steps
        .iter()
        .map(|s| format!("{} {}", s.step, if s.ok() { "ok" } else { "failed" }))
        .collect();
    let _ = writeln!(
        out,
        "{word} {} {}: {} ({} ms)",
        m.version,
        m.name,
        steps.join(", "),
        m.duration_ms
    );
    for s in &m.steps {
        human_step(out, s, cwd);
    }
}

/// The change next to the naive migration: one line, then its problems and notes.
fn human_step_line(out: &mut String, s: &StepReport, cwd: &Path) {
    let _ = writeln!(
        out,
        "{} the change, every phase up, next to the naive migration{}",
        if s.ok() {
            "same as naive:"
        } else {
            "NOT SAME AS NAIVE:"
        },
        s.path
            .as_deref()
            .map(|p| format!(" ({})", shown(p, cwd)))
            .unwrap_or_default()
    );
    human_step(out, s, cwd);
}

/// A step's problems (when it failed) and notes, indented.
fn human_step(out: &mut String, s: &StepReport, cwd: &Path) {
    if !s.ok() {
        let file = s
            .path
            .as_deref()
            .map(|p| format!(" [{}]", shown(p, cwd)))
            .unwrap_or_default();
        for (_, text) in problems(s) {
            let _ = writeln!(out, "  {}{file}", text.replace('\n', "\n  "));
        }
    }
    if let Some(d) = &s.diff {
        for n in &d.notes {
            let _ = writeln!(out, "  note ({}): {n}", s.step);
        }
    }
    for n in &s.data_notes {
        let _ = writeln!(out, "  note ({}): {n}", s.step);
    }
}

/// A failed step: what it belongs to (a migration's version, or the change next to the
/// naive migration), that with the migration's name, and the file to point at.
struct Failure<'r> {
    short: String,
    long: String,
    path: &'r Path,
    step: &'r StepReport,
}

fn failures(reports: &[Report]) -> Vec<Failure<'_>> {
    let mut out = Vec::new();
    for r in reports {
        for m in &r.migrations {
            for s in m.failures() {
                out.push(Failure {
                    short: m.version.clone(),
                    long: format!("{} {}", m.version, m.name),
                    path: s.path.as_deref().unwrap_or(m.path.as_path()),
                    step: s,
                });
            }
        }
        if let Some(s) = r.naive.as_ref().filter(|s| !s.ok())
            && let Some(p) = s.path.as_deref()
        {
            out.push(Failure {
                short: "--naive".into(),
                long: "the change next to the naive migration".into(),
                path: p,
                step: s,
            });
        }
    }
    out
}

const RULES: &[(&str, &str)] = &[
    (
        "down-exists",
        "Every phase that can be rolled back has a down script.",
    ),
    (
        "down-restores-data",
        "A down script gives back the rows from before its up (with --rows).",
    ),
    (
        "down-restores-schema",
        "A down script gives back the schema from before its up.",
    ),
    (
        "new-queries-prepare",
        "The new application's queries prepare from the end of the expand on.",
    ),
    (
        "same-data-as-naive",
        "Every phase of a change up gives the rows the naive migration gives (with --naive and --rows).",
    ),
    (
        "same-schema-as-naive",
        "Every phase of a change up gives the schema the naive migration gives (with --naive).",
    ),
    (
        "old-queries-prepare",
        "The running application's queries prepare until the contract.",
    ),
    (
        "step-runs",
        "Every up, down and up again runs without an error.",
    ),
    (
        "up-again-reproduces-schema",
        "An up run again after its down gives the schema of the first up.",
    ),
];

fn sarif(reports: &[Report], cwd: &Path) -> String {
    let mut results = Vec::new();
    for f in failures(reports) {
        let path = f.path;
        for (rule, text) in problems(f.step) {
            results.push(json!({
                "ruleId": rule,
                "level": "error",
                "message": { "text": format!("{}: {text}", f.long) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": shown(path, cwd).replace('\\', "/") },
                        "region": { "startLine": 1 }
                    }
                }]
            }));
        }
    }
    let rules: Vec<_> = RULES
        .iter()
        .map(|(id, text)| json!({ "id": id, "shortDescription": { "text": text } }))
        .collect();
    let v = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "sluice verify",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "results": results
        }]
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into())
    )
}

/// GitHub workflow commands' escaping: data, and property values.
fn esc_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn esc_prop(s: &str) -> String {
    esc_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(reports: &[Report], cwd: &Path) -> String {
    let mut out = String::new();
    for f in failures(reports) {
        for (rule, text) in problems(f.step) {
            let _ = writeln!(
                out,
                "::error file={},line=1,title={}::{}",
                esc_prop(&shown(f.path, cwd)),
                esc_prop(&format!("migrate verify {} ({rule})", f.short)),
                esc_data(&text)
            );
        }
    }
    for r in reports {
        for v in &r.not_verified {
            let _ = writeln!(
                out,
                "::warning title=migrate verify::{}",
                esc_data(&format!("{v} not verified: an earlier up failed"))
            );
        }
        let _ = writeln!(
            out,
            "::notice title=migrate verify::{}",
            esc_data(&format!(
                "{} migrations verified: {} proven, {} failed, {} irreversible",
                r.migrations.len(),
                r.count(Outcome::Proven),
                r.count(Outcome::Failed),
                r.count(Outcome::Irreversible)
            ))
        );
    }
    out
}
