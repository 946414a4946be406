//! The SARIF output validates against the official SARIF 2.1.0 JSON schema (draft-07),
//! offline: every `$ref` of the schema is local and a retriever that refuses to fetch is
//! installed, so a remote lookup would fail the test instead of hitting the network.

use std::path::PathBuf;

use serde_json::Value;
use sluice::lint::engine::Diagnostic;
use sluice::lint::lock::LockInfo;
use sluice::lint::report::{self, Format, RenderOptions};
use sluice::lint::rule::{Related, Severity};
use sluice::lint::{LintReport, LintSettings, lint};
use sluice::source::{Direction, Layout, Migration, Phase, Script, SourceFile, Version};

const SCHEMA: &str = include_str!("../../fixtures/sarif-schema-2.1.0.json");

struct NoNetwork;

impl jsonschema::Retrieve for NoNetwork {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("refusing to fetch {uri}: the schema must resolve offline").into())
    }
}

pub(crate) fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .with_retriever(NoNetwork)
        .build(&schema)
        .expect("the SARIF schema compiles offline")
}

fn script(path: &str, text: &str) -> Script {
    let file = SourceFile::new(path, text.to_owned());
    Script {
        range: 0..file.text.len(),
        file,
        phase: Phase::Expand,
        direction: Direction::Up,
        phased: true,
        no_transaction_marker: false,
        irreversible: None,
    }
}

/// Engine findings (unused-ignore, unparsed-statement, syntax-error) plus a hand-made finding
/// with a lock, a related location and a multi-line span, in a path that needs escaping.
fn report() -> LintReport {
    let m1 = Migration {
        version: Version::parse("1").unwrap(),
        name: "init".into(),
        layout: Layout::Plain,
        origin: "migrations/0001_init.sql".into(),
        scripts: vec![script(
            "migrations/0001_init.sql",
            "-- sluice:ignore no-such-rule\nSELECT 1;\nALTER TABLE t FROBNICATE x;\nUPDATE users SET name = 'O'Brien';\n",
        )],
        backfill: None,
    };
    let drop_text = "ALTER TABLE users\n  DROP COLUMN nickname,\n  DROP COLUMN bio;\n";
    let m2 = Migration {
        version: Version::parse("2").unwrap(),
        name: "drop".into(),
        layout: Layout::Plain,
        origin: "migrations/0002 drop é.sql".into(),
        scripts: vec![script("migrations/0002 drop é.sql", drop_text)],
        backfill: None,
    };
    let mut report = lint(&LintSettings::default(), &[m1, m2]);
    let file = report.files[1].clone();
    let start = drop_text.find("DROP COLUMN nickname").unwrap();
    let end = drop_text.find(";\n").unwrap();
    report.diagnostics.push(Diagnostic {
        rule: "ban-drop-column",
        severity: Severity::Error,
        path: file.path.clone(),
        start: file.line_col(start),
        end: file.line_col(end),
        range: start..end,
        message: "dropping columns `nickname`, `bio` of `users`".into(),
        lock: Some(LockInfo::ACCESS_EXCLUSIVE_BRIEF),
        help: "drop them in a contract migration".into(),
        token_scan: true,
        related: vec![Related {
            path: PathBuf::from("src/users.rs"),
            line: 12,
            column: 5,
            message: "`nickname` is still read here".into(),
        }],
        phase: Phase::Expand,
    });
    report
}

fn sarif(report: &LintReport) -> Value {
    let out = report::render(report, Format::Sarif, &RenderOptions::default());
    serde_json::from_str(&out).expect("SARIF output is JSON")
}

fn assert_valid(v: &Value) {
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF is invalid:\n{}",
        errors.join("\n")
    );
}

#[test]
fn schema_refs_are_local() {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "$ref" {
                        out.push(v.as_str().unwrap_or_default().to_owned());
                    }
                    walk(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let mut refs = Vec::new();
    walk(&schema, &mut refs);
    assert!(!refs.is_empty());
    assert!(refs.iter().all(|r| r.starts_with('#')), "{refs:?}");
}

#[test]
fn sarif_output_is_valid() {
    let report = report();
    let rules: Vec<_> = report.diagnostics.iter().map(|d| d.rule).collect();
    for rule in [
        "unused-ignore",
        "unparsed-statement",
        "syntax-error",
        "ban-drop-column",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    let v = sarif(&report);
    assert_valid(&v);

    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.diagnostics.len());
    let multi = results
        .iter()
        .find(|r| r["relatedLocations"].is_array())
        .expect("a result with related locations");
    let region = &multi["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["endLine"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        multi["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "migrations/0002%20drop%20%C3%A9.sql"
    );
    assert_eq!(
        multi["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/users.rs"
    );
}

#[test]
fn empty_report_is_valid() {
    assert_valid(&sarif(&LintReport::default()));
}

#[test]
fn validator_rejects_a_broken_document() {
    let mut v = sarif(&report());
    v.as_object_mut().unwrap().remove("version");
    assert!(
        !validator().is_valid(&v),
        "missing `version` must be rejected"
    );

    let mut v = sarif(&report());
    v["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(
        !validator().is_valid(&v),
        "an unknown level must be rejected"
    );

    let mut v = sarif(&report());
    v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator().is_valid(&v), "line 0 must be rejected");
}
