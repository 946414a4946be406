//! SARIF 2.1.0 (GitHub code scanning and other viewers), built from serde-sarif's typed structs.
//!
//! One run; the driver lists every registered rule (so `ruleIndex` is the rule's place in the
//! registry); columns count Unicode code points (`columnKind: unicodeCodePoints`), and a
//! region's `endColumn` is exclusive, like our end positions. The output is deterministic.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultColumnKind,
    ResultLevel, Run, Sarif, Tool, ToolComponent, Version,
};

use super::display_path;
use crate::engine::{Diagnostic, LintReport};
use crate::registry;
use crate::rule::{DefaultLevel, Rule, RuleMeta, Severity};

/// `$schema` of the document.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The tool's home page (`informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/sluice-migrate/sluice";

/// Where a rule's documentation lives (`helpUri`).
pub fn help_uri(rule: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/lint-rules/{rule}.md")
}

/// The report as pretty-printed SARIF 2.1.0 JSON, with a final newline.
pub fn render(report: &LintReport) -> String {
    let mut out = serde_json::to_string_pretty(&build(report)).expect("plain data serialises");
    out.push('\n');
    out
}

/// The typed SARIF log of a report.
pub fn build(report: &LintReport) -> Sarif {
    let driver = ToolComponent::builder()
        .name("sluice")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(
            registry::all()
                .iter()
                .map(|r| rule_descriptor(r.meta()))
                .collect::<Vec<_>>(),
        )
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .column_kind(to_value(&ResultColumnKind::UnicodeCodePoints))
        .results(report.diagnostics.iter().map(result).collect::<Vec<_>>())
        .build();
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(to_value(&Version::V2_1_0))
        .runs(vec![run])
        .build()
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("plain enum serialises")
}

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

fn rule_descriptor(meta: &RuleMeta) -> ReportingDescriptor {
    let (level, enabled) = match meta.default {
        DefaultLevel::Error => ("error", true),
        DefaultLevel::Warning => ("warning", true),
        DefaultLevel::OptIn => ("warning", false),
    };
    let category = to_value(&meta.category);
    let tags: Vec<String> = category.as_str().map(str::to_owned).into_iter().collect();
    ReportingDescriptor::builder()
        .id(meta.id)
        .name(meta.id)
        .short_description(text(meta.summary))
        .full_description(text(
            first_paragraph(meta.doc).unwrap_or_else(|| meta.summary.to_owned()),
        ))
        .help(
            MultiformatMessageString::builder()
                .text(meta.help.to_owned())
                .markdown(meta.doc.to_owned())
                .build(),
        )
        .help_uri(help_uri(meta.id))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(Value::from(level))
                .enabled(enabled)
                .build(),
        )
        .properties(PropertyBag::builder().tags(tags).build())
        .build()
}

/// The first prose paragraph of a rule page (after the title and the `**Severity:**` line),
/// on one line.
fn first_paragraph(doc: &str) -> Option<String> {
    let mut para = Vec::new();
    for line in doc.lines().map(str::trim) {
        if line.is_empty() {
            if para.is_empty() {
                continue;
            }
            break;
        }
        if para.is_empty() && (line.starts_with('#') || line.starts_with("**")) {
            continue;
        }
        if line.starts_with('#') {
            break;
        }
        para.push(line);
    }
    (!para.is_empty()).then(|| para.join(" "))
}

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
    }
}

fn artifact(path: &Path) -> ArtifactLocation {
    ArtifactLocation::builder().uri(artifact_uri(path)).build()
}

/// A URI reference for a path: relative paths stay relative (forward slashes, percent-encoded);
/// absolute ones become `file:` URIs.
pub fn artifact_uri(path: &Path) -> String {
    let p = display_path(path);
    let drive = p.len() >= 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic();
    if p.starts_with('/') {
        format!("file://{}", encode(&p))
    } else if drive {
        format!("file:///{}{}", &p[..2], encode(&p[2..]))
    } else {
        encode(&p)
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn result(d: &Diagnostic) -> SarifResult {
    let index = registry::all().iter().position(|r| r.meta().id == d.rule);
    let meta = registry::lookup(d.rule).map(Rule::meta);

    let mut msg = d.message.clone();
    if d.token_scan {
        msg.push_str(" (found by a token scan)");
    }
    if let Some(lock) = &d.lock {
        msg.push_str(&format!("\nlock: {}", lock.describe()));
    }
    if meta.is_none_or(|m| m.help != d.help) && !d.help.is_empty() {
        msg.push_str(&format!("\nhelp: {}", d.help));
    }

    let region = Region::builder()
        .start_line(to_i64(d.start.line))
        .start_column(to_i64(d.start.column))
        .end_line(to_i64(d.end.line))
        .end_column(to_i64(d.end.column))
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&d.path))
                .region(region)
                .build(),
        )
        .build();
    let related: Vec<Location> = d
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Location::builder()
                .id(to_i64(i + 1))
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(artifact(&r.path))
                        .region(
                            Region::builder()
                                .start_line(to_i64(r.line.max(1)))
                                .start_column(to_i64(r.column.max(1)))
                                .build(),
                        )
                        .build(),
                )
                .message(Message::builder().text(r.message.clone()).build())
                .build()
        })
        .collect();

    let mut props = BTreeMap::new();
    props.insert("phase".to_owned(), to_value(&d.phase));
    props.insert("tokenScan".to_owned(), Value::Bool(d.token_scan));
    props.insert("help".to_owned(), Value::from(d.help.clone()));
    if let Some(l) = &d.lock {
        props.insert(
            "lock".to_owned(),
            json!({
                "mode": l.mode,
                "hold": l.hold,
                "blocks": l.mode.blocks(),
                "rewrite": l.rewrite,
                "scan": l.scan,
            }),
        );
    }

    let builder = SarifResult::builder()
        .rule_id(d.rule)
        .level(level(d.severity))
        .message(Message::builder().text(msg).build())
        .locations(vec![location])
        .properties(PropertyBag::builder().additional_properties(props).build());
    match (index, related.is_empty()) {
        (Some(i), false) => builder
            .rule_index(to_i64(i))
            .related_locations(related)
            .build(),
        (Some(i), true) => builder.rule_index(to_i64(i)).build(),
        (None, false) => builder.related_locations(related).build(),
        (None, true) => builder.build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn driver_lists_every_rule_and_results_index_them() {
        let report = fixture::report();
        let v: Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), registry::all().len());
        let i = registry::all()
            .iter()
            .position(|r| r.meta().id == "ban-drop-column")
            .unwrap();
        assert_eq!(
            rules[i]["helpUri"],
            "https://github.com/sluice-migrate/sluice/blob/main/lint-rules/ban-drop-column.md"
        );
        assert_eq!(
            rules[i]["fullDescription"]["text"],
            "`ALTER TABLE .. DROP COLUMN` on a table that existed before this change."
        );
        for r in run["results"].as_array().unwrap() {
            let i = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(rules[i]["id"], r["ruleId"]);
            let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert!(uri.as_str().unwrap().starts_with("migrations/"), "{uri}");
        }
        assert_eq!(render(&report), render(&report));
    }

    #[test]
    fn results_snapshot() {
        let v: Value = serde_json::from_str(&render(&fixture::report())).unwrap();
        insta::assert_json_snapshot!(v["runs"][0]["results"]);
    }

    #[test]
    fn uris() {
        assert_eq!(artifact_uri(Path::new("./db/a b.sql")), "db/a%20b.sql");
        assert_eq!(artifact_uri(Path::new("/srv/x.sql")), "file:///srv/x.sql");
        assert_eq!(artifact_uri(Path::new("C:/m/x.sql")), "file:///C:/m/x.sql");
    }
}
