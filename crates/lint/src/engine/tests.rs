//! The parallel, streaming engine finds exactly what the serial one finds, on the real
//! projects' migrations of `../shared/corpora` (skipped when they are not there).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sluice_core::catalog::Catalog;
use sluice_core::source::{self, LayoutChoice, Migration};
use sluice_core::sql::Dialect;

use super::{LintReport, lint, lint_change_set, lint_change_set_on, serial};
use crate::settings::LintSettings;

fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

/// Each project of the manifest in `dialect` (`pg`, `mysql`): its migrations, from its
/// directory when the layout can be read, else file by file.
fn projects(root: &Path, dialect: &str) -> BTreeMap<String, Vec<Migration>> {
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("manifest");
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for line in manifest.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() >= 5 && f[1] == dialect {
            files
                .entry(f[0].to_owned())
                .or_default()
                .push(root.join(f[4]));
        }
    }
    files
        .into_iter()
        .map(|(name, paths)| {
            let dir = common_dir(&paths);
            let migrations = match source::discover(&dir, LayoutChoice::Auto) {
                Ok(found) => found.migrations,
                Err(_) => paths
                    .iter()
                    .filter_map(|p| source::load_file(p, None).ok())
                    .collect(),
            };
            (name, migrations)
        })
        .collect()
}

fn common_dir(paths: &[PathBuf]) -> PathBuf {
    let mut dir = paths[0].parent().expect("file in a dir").to_path_buf();
    while !paths.iter().all(|p| p.starts_with(&dir)) {
        dir.pop();
    }
    // diesel: the migrations directory holds one directory per migration
    if paths.iter().all(|p| p.parent() == Some(&dir)) {
        return dir;
    }
    let up = |p: &PathBuf| p.parent().and_then(Path::parent).map(Path::to_path_buf);
    match up(&paths[0]) {
        Some(d) if paths.iter().all(|p| up(p).as_ref() == Some(&d)) => d,
        _ => dir,
    }
}

/// Everything a report says, as text.
fn shown(r: &LintReport) -> String {
    let files: Vec<_> = r
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    format!(
        "{:?}\n{files:?}\n{}",
        r.stats,
        serde_json::to_string_pretty(&r.diagnostics).expect("json")
    )
}

fn same(what: &str, parallel: &LintReport, serial: &LintReport) {
    assert!(
        shown(parallel) == shown(serial),
        "{what}: the parallel engine's findings differ from the serial one's ({} vs {} diagnostics)",
        parallel.diagnostics.len(),
        serial.diagnostics.len()
    );
}

/// Linting on a cached replay of the history below the change finds what linting with the
/// whole history does.
fn cached(settings: &LintSettings, name: &str, history: &[Migration], changes: &[Migration]) {
    use crate::replay_cache::{decode, encode, key, split_history};
    let (below, rest) = split_history(history.to_vec(), changes);
    let replayed = super::replay(settings, Catalog::new(settings.dialect), &below);
    let k = key(settings, "test", &below);
    let bytes = encode(&k, &replayed);
    let seed = decode(&k, &bytes).expect("an entry reads back");
    assert_eq!(
        format!("{seed:?}"),
        format!("{replayed:?}"),
        "{name}: image round trip"
    );
    assert!(decode(&key(settings, "other build", &below), &bytes).is_none());
    assert!(decode(&k, &bytes[..bytes.len() / 2]).is_none(), "truncated");
    same(
        &format!(
            "{name}, cached history ({} below, {} after)",
            below.len(),
            rest.len()
        ),
        &lint_change_set_on(settings, seed, &rest, changes),
        &lint_change_set(settings, history, changes),
    );
}

#[allow(clippy::print_stderr)] // says why nothing was compared
fn check(dialect_name: &str, dialect: Dialect) {
    let Some(root) = corpora() else {
        eprintln!("../shared/corpora not found: parallel lint not compared");
        return;
    };
    let settings = LintSettings {
        dialect,
        ..LintSettings::default()
    };
    let projects = projects(&root, dialect_name);
    assert!(projects.len() >= 3, "{dialect_name}: {}", projects.len());
    let empty = || Catalog::new(dialect);
    for (name, all) in &projects {
        assert!(!all.is_empty(), "{name}: no migrations");
        // the whole directory: each migration on the schema the earlier ones left
        let whole = lint(&settings, all);
        assert!(!whole.diagnostics.is_empty(), "{name}: no findings at all");
        same(
            &format!("{name}, whole"),
            &whole,
            &serial::run(&settings, empty(), &[], all, true),
        );
        // a pull request: the last migrations are the change, the rest history
        let split = all.len().saturating_sub(20);
        let (history, changes) = all.split_at(split);
        same(
            &format!("{name}, last 20"),
            &lint_change_set(&settings, history, changes),
            &serial::run(&settings, empty(), history, changes, false),
        );
        // the history below the change replayed once, stored and read back (the CLI's
        // cache): the same findings, also for a change in the middle of the history
        cached(&settings, name, history, changes);
        let mid = all.len() / 2;
        let around: Vec<Migration> = all[..mid].iter().chain(&all[mid + 1..]).cloned().collect();
        cached(&settings, name, &around, &all[mid..=mid]);
        // every migration in one change set: many scripts ask for its end
        same(
            &format!("{name}, one change set"),
            &lint_change_set(&settings, &[], all),
            &serial::run(&settings, empty(), &[], all, false),
        );
    }
}

#[test]
fn parallel_findings_equal_serial_ones_on_the_postgres_corpus() {
    check("pg", Dialect::Postgres);
}

#[test]
fn parallel_findings_equal_serial_ones_on_the_mysql_corpus() {
    check("mysql", Dialect::Mysql);
}
