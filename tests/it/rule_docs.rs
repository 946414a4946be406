//! Every rule has a documentation page `lint-rules/<id>.md` with the agreed sections, and
//! its examples are true: the `## Bad` block makes the rule fire, the `## Good` block does not.
//!
//! Examples are linted with [`sluice::lint::lint_snippet`]: PostgreSQL (MySQL, version 8.0,
//! for MySQL-only rules and pages whose `**Dialects:**` line names only MySQL / MariaDB;
//! mysql-instant-column-position's as MySQL 8.0.28, as its page says), the default runner, and directives read from the example's comments
//! (`-- sluice:phase contract`, `-- sluice:no-transaction`, `-- sluice:irreversible`). Each
//! example gets an empty down script, except missing-down-migration's, whose page says its
//! examples are up scripts without one. require-lock-timeout and require-statement-timeout
//! only fire when the runner does not set the timeout, so their examples run under
//! golang-migrate, as their pages say; so do mysql-require-lock-wait-timeout's.
//! destructive-change-with-code's examples run as if the change also edits `src/users.rs`,
//! dropped-object-still-referenced's with a `src/users.rs` selecting `nickname`, as their
//! pages say.

use std::path::Path;

use sluice::lint::registry;
use sluice::lint::rule::{DefaultLevel, Dialects, PhaseScope, Rule};
use sluice::lint::settings::{CodeFile, CodeIndex, Level, LintSettings, Runner};
use sluice::lint::{LintReport, lint_snippet, lint_snippet_without_down};
use sluice::sql::Dialect;

const SECTIONS: [&str; 4] = ["## Why", "## Safe alternative", "## Bad", "## Good"];

fn page(id: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lint-rules")
        .join(format!("{id}.md"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text between `heading` and the next `## ` heading.
fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    let start = doc
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no `{heading}` section"))
        + heading.len()
        + 2;
    let rest = &doc[start..];
    match rest.find("\n## ") {
        Some(end) => &rest[..end],
        None => rest,
    }
}

/// The one `` ```sql `` block of a section.
fn sql_block<'a>(id: &str, heading: &str, text: &'a str) -> &'a str {
    assert_eq!(
        text.matches("```sql\n").count(),
        1,
        "{id}: `{heading}` must hold exactly one ```sql block"
    );
    let start = text.find("```sql\n").expect("counted") + "```sql\n".len();
    let len = text[start..]
        .find("```")
        .unwrap_or_else(|| panic!("{id}: unterminated ```sql block in `{heading}`"));
    &text[start..start + len]
}

fn settings_for(rule: &dyn Rule) -> LintSettings {
    let meta = rule.meta();
    let mut s = LintSettings::default();
    // MySQL rules, and pages whose dialect line names only MySQL / MariaDB
    let dialects = page(meta.id)
        .lines()
        .find(|l| l.starts_with("**Severity:**"))
        .and_then(|l| l.split("**Dialects:**").nth(1).map(str::to_owned))
        .unwrap_or_default();
    if meta.dialects == Dialects::Mysql || !dialects.is_empty() && !dialects.contains("PostgreSQL")
    {
        s.dialect = Dialect::Mysql;
    }
    // the page says its examples run on MySQL 8.0.28
    if meta.id == "mysql-instant-column-position" {
        s.server_version = 80;
        s.server_patch = Some(28);
    }
    if meta.default == DefaultLevel::OptIn {
        s.levels.insert(meta.id, Level::Warning);
    }
    if matches!(
        meta.id,
        "require-lock-timeout" | "require-statement-timeout" | "mysql-require-lock-wait-timeout"
    ) {
        s.runner = Runner::GolangMigrate;
    }
    // the deploy-boundary pages say what the change looks like besides the SQL
    if meta.id == "destructive-change-with-code" {
        s.deploy.changed_code = Some(vec!["src/users.rs".into()]);
    }
    if meta.id == "dropped-object-still-referenced" {
        s.deploy.code = std::sync::Arc::new(CodeIndex {
            files: vec![CodeFile {
                path: "src/users.rs".into(),
                text: "let q = \"SELECT id, nickname FROM users\";\n".into(),
            }],
        });
    }
    s
}

fn lint_example(rule: &dyn Rule, name: &str, sql: &str) -> LintReport {
    let settings = settings_for(rule);
    if rule.meta().id == "missing-down-migration" {
        lint_snippet_without_down(&settings, name, sql)
    } else {
        lint_snippet(&settings, name, sql)
    }
}

fn fired(report: &LintReport, id: &str) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.rule == id)
        .map(|d| format!("{}:{} {}", d.start.line, d.start.column, d.message))
        .collect()
}

#[test]
fn every_rule_has_a_page_with_the_sections() {
    let mut problems = Vec::new();
    for rule in registry::all() {
        let meta = rule.meta();
        let doc = page(meta.id);
        let mut lines = doc.lines();
        if lines.next() != Some(&format!("# {}", meta.id)) {
            problems.push(format!("{}: first line must be `# {}`", meta.id, meta.id));
        }
        let meta_line = lines.find(|l| !l.trim().is_empty()).unwrap_or_default();
        let severity = match meta.default {
            DefaultLevel::Error => "error",
            DefaultLevel::Warning => "warning",
            DefaultLevel::OptIn => "opt-in",
        };
        let phase = match meta.phase {
            PhaseScope::Any => "any",
            PhaseScope::ContractOnly => "contract-only",
        };
        let expected = format!("**Severity:** {severity} · **Phase:** {phase} · ");
        if !meta_line.starts_with(&expected) {
            problems.push(format!(
                "{}: metadata line must start with `{expected}`, found `{meta_line}`",
                meta.id
            ));
        }
        let mut last = 0;
        for heading in SECTIONS {
            match doc.find(&format!("\n{heading}\n")) {
                Some(at) if at > last => last = at,
                Some(_) => problems.push(format!("{}: `{heading}` out of order", meta.id)),
                None => problems.push(format!("{}: missing `{heading}`", meta.id)),
            }
        }
        if meta.doc != doc {
            problems.push(format!("{}: RuleMeta::doc is not this page", meta.id));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn bad_examples_fire_and_good_examples_do_not() {
    let mut problems = Vec::new();
    for rule in registry::all() {
        let id = rule.meta().id;
        let doc = page(id);
        let bad = sql_block(id, "## Bad", section(&doc, "## Bad"));
        let good = sql_block(id, "## Good", section(&doc, "## Good"));
        let found = fired(&lint_example(*rule, &format!("{id}.bad.sql"), bad), id);
        if found.is_empty() {
            problems.push(format!("{id}: the `## Bad` example does not fire:\n{bad}"));
        }
        // a good example may still get a lower-severity note (an irreversible migration)
        let level = settings_for(*rule).severity(rule.meta());
        let report = lint_example(*rule, &format!("{id}.good.sql"), good);
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.rule == id && Some(d.severity) == level)
            .map(|d| format!("{}:{} {}", d.start.line, d.start.column, d.message))
            .collect();
        if !found.is_empty() {
            problems.push(format!(
                "{id}: the `## Good` example fires: {found:?}\n{good}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn snippets_read_their_directives() {
    let rule = registry::lookup("ban-drop-column").expect("registered");
    let s = LintSettings::default();
    let sql = "ALTER TABLE users DROP COLUMN nickname;";
    assert_eq!(
        fired(&lint_snippet(&s, "a.sql", sql), "ban-drop-column"),
        ["1:19 dropping column `nickname` of `users` breaks the running code that still uses it"]
    );
    let contract = format!("-- sluice:phase contract\n{sql}");
    assert!(fired(&lint_snippet(&s, "b.sql", &contract), rule.meta().id).is_empty());

    let missing = "missing-down-migration";
    assert!(fired(&lint_snippet(&s, "c.sql", sql), missing).is_empty());
    assert_eq!(
        fired(&lint_snippet_without_down(&s, "c.sql", sql), missing).len(),
        1
    );
    let irreversible = format!("-- sluice:irreversible nickname data is gone\n{sql}");
    let report = lint_snippet_without_down(&s, "d.sql", &irreversible);
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule == missing)
        .collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, sluice::lint::Severity::Warning);
}
