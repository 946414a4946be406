//! Parse coverage on real projects' migrations (`../shared/corpora`): no panic, no exit 2, and
//! every statement either parsed or reported as `unparsed-statement` / `syntax-error`.

use std::path::{Path, PathBuf};

use sluice::lint::{LintSettings, lint};
use sluice::source;
use sluice::sql::Dialect;

fn corpora() -> Option<PathBuf> {
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
        let report = lint(&settings, std::slice::from_ref(&m));
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
