//! Parse coverage on real projects' migrations (`../shared/corpora`): no panic, no exit 2, and
//! every statement either parsed or reported as `unparsed-statement` / `syntax-error`. For the
//! MySQL files also the findings per rule, each project's up migrations replayed in version
//! order (print them with `--nocapture`).

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use sluice::lint::settings::Level;
use sluice::lint::{LintSettings, lint};
use sluice::source;
use sluice::sql::Dialect;

pub(crate) fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

fn files(root: &Path, dialect: &str) -> Vec<PathBuf> {
    std::fs::read_to_string(root.join("MANIFEST.tsv"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 5 && f[1] == dialect).then(|| root.join(f[4]))
        })
        .collect()
}

fn check(dialect_name: &str, dialect: Dialect) {
    let Some(root) = corpora() else {
        eprintln!("../shared/corpora not found: corpus coverage not checked");
        return;
    };
    let paths = files(&root, dialect_name);
    assert!(
        paths.len() > 100,
        "manifest lists {} {dialect_name} files",
        paths.len()
    );
    let settings = LintSettings {
        dialect,
        ..LintSettings::default()
    };
    let (mut statements, mut parsed, mut unparsed, mut syntax) = (0, 0, 0, 0);
    for path in &paths {
        let mut m =
            source::load_file(path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // load_file brings the sibling up/down along; count each manifest file once
        m.scripts.retain(|s| s.file.path == *path);
        let report = catch_unwind(AssertUnwindSafe(|| {
            lint(&settings, std::slice::from_ref(&m))
        }))
        .unwrap_or_else(|_| panic!("{}: linting panicked", path.display()));
        let s = report.stats;
        let reported_unparsed = report
            .diagnostics
            .iter()
            .filter(|d| d.rule == "unparsed-statement")
            .count();
        let reported_syntax = report
            .diagnostics
            .iter()
            .filter(|d| d.rule == "syntax-error")
            .count();
        assert_eq!(
            s.statements,
            s.parsed + s.unparsed + s.syntax_errors,
            "{}",
            path.display()
        );
        assert_eq!(
            reported_unparsed,
            s.unparsed,
            "{}: every unparsed statement is reported",
            path.display()
        );
        assert_eq!(reported_syntax, s.syntax_errors, "{}", path.display());
        statements += s.statements;
        parsed += s.parsed;
        unparsed += s.unparsed;
        syntax += s.syntax_errors;
    }
    eprintln!(
        "{dialect_name}: {} files, {statements} statements: {parsed} parsed ({:.1}%), {unparsed} unparsed-statement, {syntax} syntax-error",
        paths.len(),
        100.0 * parsed as f64 / statements.max(1) as f64
    );
    assert!(
        parsed as f64 / statements as f64 > 0.95,
        "parse coverage fell below 95%"
    );
}

#[test]
fn postgres_corpus() {
    check("pg", Dialect::Postgres);
}

#[test]
fn mysql_corpus() {
    check("mysql", Dialect::Mysql);
}

/// The binary on every corpus file at once: findings are fine, exit 2 (an error) is not.
#[test]
fn binary_never_errors_on_the_corpus() {
    let Some(root) = corpora() else {
        return;
    };
    for (name, dialect) in [("pg", "postgres"), ("mysql", "mysql")] {
        let out = assert_cmd::Command::cargo_bin("migrate")
            .unwrap()
            .env("NO_COLOR", "1")
            .args(["lint", "--format", "gcc", "--dialect", dialect])
            .args(files(&root, name))
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "{name}: exit {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Manifest rows of one dialect: (corpus, direction, path).
fn rows(root: &Path, dialect: &str) -> Vec<(String, String, PathBuf)> {
    std::fs::read_to_string(root.join("MANIFEST.tsv"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 5 && f[1] == dialect)
                .then(|| (f[0].to_owned(), f[2].to_owned(), root.join(f[4])))
        })
        .collect()
}

/// Each project's up migrations of one dialect, in version order (the sibling down script comes
/// along: missing-down-migration sees it).
pub(crate) fn projects(
    root: &Path,
    dialect: &str,
) -> BTreeMap<String, Vec<sluice::source::Migration>> {
    let mut projects: BTreeMap<String, Vec<sluice::source::Migration>> = BTreeMap::new();
    for (corpus, direction, path) in rows(root, dialect) {
        if direction != "up" {
            continue;
        }
        let m =
            source::load_file(&path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        projects.entry(corpus).or_default().push(m);
    }
    for migrations in projects.values_mut() {
        migrations.sort_by(|a, b| a.version.cmp(&b.version));
    }
    projects
}

/// Findings per rule of each project linted whole, one column per settings. With
/// `SLUICE_CORPUS_SHOW=<rule>` (or `*`) the findings of that rule are printed, each with the
/// number of its column.
fn rule_counts<const N: usize>(
    projects: &BTreeMap<String, Vec<sluice::source::Migration>>,
    columns: [LintSettings; N],
) -> BTreeMap<&'static str, [usize; N]> {
    let show = std::env::var("SLUICE_CORPUS_SHOW").ok();
    let mut table: BTreeMap<&str, [usize; N]> = BTreeMap::new();
    for (col, settings) in columns.iter().enumerate() {
        for (corpus, migrations) in projects {
            let report = catch_unwind(AssertUnwindSafe(|| lint(settings, migrations)))
                .unwrap_or_else(|_| panic!("{corpus}: linting panicked"));
            for d in &report.diagnostics {
                if show.as_deref().is_some_and(|r| r == d.rule || r == "*") {
                    eprintln!(
                        "[{col}] {} {}:{}: {}",
                        d.rule,
                        d.path.display(),
                        d.start.line,
                        d.message
                    );
                }
                table.entry(d.rule).or_insert([0; N])[col] += 1;
            }
        }
    }
    table
}

/// Findings per rule over the PostgreSQL corpus, each project's up migrations linted together
/// in version order: with the default levels and with every rule on (opt-in ones included).
/// The counts are the false-alarm baseline for rule changes (print them with `--nocapture`).
#[test]
fn postgres_corpus_rule_counts() {
    let Some(root) = corpora() else {
        eprintln!("../shared/corpora not found: PostgreSQL rule counts not computed");
        return;
    };
    let projects = projects(&root, "pg");
    let files: usize = projects.values().map(Vec::len).sum();
    assert!(files > 1000, "{files} PostgreSQL up files");
    let mut all_on = LintSettings::default();
    for r in sluice::lint::registry::all() {
        all_on.levels.insert(r.meta().id, Level::Warning);
    }
    let table = rule_counts(&projects, [LintSettings::default(), all_on]);
    eprintln!(
        "PostgreSQL corpus: {files} migrations of {} projects",
        projects.len()
    );
    eprintln!("| rule | defaults | every rule on |\n|---|---:|---:|");
    for (rule, [default, all]) in &table {
        eprintln!("| {rule} | {default} | {all} |");
    }
    assert!(
        table
            .get("require-concurrent-index-creation")
            .is_some_and(|c| c[0] > 0),
        "{table:?}"
    );
}

/// Findings per rule over the MySQL corpus: each project's up migrations linted together in
/// version order (so the catalog knows the tables and columns earlier files created), on
/// MySQL 8.0 and on MariaDB 10.11. Also: no panic on any of them.
#[test]
fn mysql_corpus_rule_counts() {
    let Some(root) = corpora() else {
        eprintln!("../shared/corpora not found: MySQL rule counts not computed");
        return;
    };
    let projects = projects(&root, "mysql");
    let files: usize = projects.values().map(Vec::len).sum();
    assert!(files > 400, "{files} MySQL up files");
    let servers = [(false, 80, None), (false, 80, Some(28)), (true, 1011, None)].map(
        |(mariadb, server_version, server_patch)| LintSettings {
            dialect: Dialect::Mysql,
            mariadb,
            server_version,
            server_patch,
            ..LintSettings::default()
        },
    );
    let table = rule_counts(&projects, servers);
    eprintln!(
        "MySQL corpus: {files} migrations (up and down scripts) of {} projects",
        projects.len()
    );
    eprintln!("| rule | MySQL 8.0 | MySQL 8.0.28 | MariaDB 10.11 |\n|---|---:|---:|---:|");
    for (rule, [my, old, maria]) in &table {
        eprintln!("| {rule} | {my} | {old} | {maria} |");
    }
    // the MySQL rules see real ALTERs: every project alters existing tables
    assert!(
        table.get("mysql-pin-algorithm").is_some_and(|c| c[0] > 0),
        "{table:?}"
    );
}
