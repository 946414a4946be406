//! `migrate lint [PATHS..]`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::catalog::{Catalog, Origin};
use crate::config;
use crate::lint::report::{self, Format, RenderOptions};
use crate::lint::settings::Runner;
use crate::lint::{self as linter, Severity};
use crate::run::introspect;
use crate::run::url::DbUrl;
use crate::source::{self, Layout, LayoutChoice, Migration};
use crate::sql::Dialect;

use super::{code, exit, git};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Migration files, directories, or `-` for stdin (default: the configured migrations dir).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Lowest severity that makes the exit code 1 (default from config, else error).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// SQL dialect (default from config, else postgres).
    #[arg(long, value_parser = ["postgres", "mysql", "mariadb"])]
    dialect: Option<String>,
    /// Directory layout (default from config, else auto-detected).
    #[arg(long = "format-layout", value_enum)]
    layout: Option<Layout>,
    /// Whose runner applies the files (decides transaction wrapping).
    #[arg(long, value_enum)]
    runner: Option<Runner>,
    /// File name to report for `-` (stdin).
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    stdin_filename: PathBuf,
    /// Git ref: only migrations added or changed since it (plus uncommitted ones) are linted;
    /// the others are history, replayed into the schema catalog. Also enables the
    /// deploy-boundary rules that need to know which application code changed.
    #[arg(long, value_name = "GIT_REF")]
    base: Option<String>,
    /// Read the existing schema (and row estimates) from this live PostgreSQL database
    /// instead of replaying history: everything given is the change set.
    #[arg(long, value_name = "DATABASE_URL")]
    schema_from: Option<String>,
}

pub fn run(config_path: Option<&Path>, args: &LintArgs, color: bool) -> anyhow::Result<u8> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let config = config::load(config_path, &cwd)?;
    let mut settings = config.lint.clone();
    match args.dialect.as_deref() {
        Some("postgres") => settings.dialect = Dialect::Postgres,
        Some("mysql") => settings.dialect = Dialect::Mysql,
        Some("mariadb") => {
            settings.dialect = Dialect::Mysql;
            settings.mariadb = true;
        }
        _ => {}
    }
    if let Some(f) = args.fail_on {
        settings.fail_on = match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        };
    }
    if let Some(r) = args.runner {
        settings.runner = r;
    }
    // the live schema first: a wrong URL fails before any file is read
    let seed = match &args.schema_from {
        Some(raw) => Some(live_schema(raw, &mut settings)?),
        None => None,
    };
    let layout = args
        .layout
        .map_or(config.file.migrations.layout, LayoutChoice::Fixed);

    let paths = if args.paths.is_empty() {
        vec![config.migrations_dir()]
    } else {
        args.paths.clone()
    };
    let changed = match &args.base {
        Some(base) => {
            let dir = paths
                .iter()
                .find(|p| p.is_dir())
                .cloned()
                .or_else(|| {
                    paths
                        .iter()
                        .find_map(|p| p.parent().map(Path::to_path_buf))
                        .filter(|p| p.is_dir())
                })
                .unwrap_or_else(|| cwd.clone());
            Some(
                git::changed_since(&dir, base)?
                    .iter()
                    .map(|p| canon(p))
                    .collect::<BTreeSet<_>>(),
            )
        }
        None => None,
    };

    let mut changes: Vec<Migration> = Vec::new();
    let mut history: Vec<Migration> = Vec::new();
    let mut migration_dirs: Vec<PathBuf> = vec![canon(&config.migrations_dir())];
    let mut explicit: Vec<(PathBuf, source::Version)> = Vec::new();
    for path in &paths {
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read SQL from stdin (is it UTF-8?)")?;
            changes.push(source::load_file(&args.stdin_filename, Some(text))?);
        } else if path.is_dir() {
            let found = source::discover_for(path, layout, settings.dialect)?;
            for w in &found.warnings {
                eprintln!("warning: {}: {}", w.path.display(), w.message);
            }
            tracing::info!(dir = %path.display(), layout = found.layout.name(), migrations = found.migrations.len(), "discovered");
            migration_dirs.push(canon(path));
            for m in found.migrations {
                match &changed {
                    Some(changed) if !touches(&m, changed) => history.push(m),
                    _ => changes.push(m),
                }
            }
        } else if path.exists() {
            let m = source::load_file(path, None)?;
            explicit.push((canon(path), m.version.clone()));
            changes.push(m);
        } else {
            anyhow::bail!(
                "{}: no such file or directory; pass migration files or directories, or set `migrations.dir` in sluice.toml",
                path.display()
            );
        }
    }
    if seed.is_some() {
        // the live database already holds the history
        history.clear();
        explicit.clear();
    }
    // explicit files: the earlier migrations of their directory are history
    let mut known: BTreeSet<PathBuf> = changes
        .iter()
        .chain(&history)
        .flat_map(script_paths)
        .collect();
    // many files usually share one directory: discover each directory once, canonicalise each
    // script path once, and add each directory's history once (below its newest given file)
    let mut discovered: BTreeMap<PathBuf, Option<DirIndex>> = BTreeMap::new();
    let mut newest: BTreeMap<PathBuf, source::Version> = BTreeMap::new();
    for (file, _) in &explicit {
        for d in file.ancestors().skip(1).take(2) {
            let index = discovered
                .entry(d.to_path_buf())
                .or_insert_with(|| DirIndex::new(d, layout, settings.dialect));
            if let Some(v) = index.as_ref().and_then(|i| i.version_of(file)) {
                let slot = newest.entry(d.to_path_buf()).or_insert_with(|| v.clone());
                *slot = slot.clone().max(v);
                break;
            }
        }
    }
    for (dir, version) in newest {
        let Some(Some(index)) = discovered.remove(&dir) else {
            continue;
        };
        if !migration_dirs.contains(&dir) {
            migration_dirs.push(dir);
        }
        for (m, paths) in index.migrations {
            if m.version < version && !paths.iter().any(|p| known.contains(p)) {
                known.extend(paths);
                history.push(m);
            }
        }
    }

    let base_dir = canon(&config.base_dir());
    let code = code::CodeScope::new(
        &base_dir,
        &config.file.lint.code_paths,
        &config.file.lint.code_ignore,
        &migration_dirs,
    )?;
    settings.deploy.changed_code = changed.map(|changed| {
        changed
            .into_iter()
            .filter(|p| code.is_code(p))
            .map(|p| code.shown(&p))
            .collect::<Vec<_>>()
    });
    settings.deploy.code = std::sync::Arc::new(code.scan());

    // directories alone, without --base: every migration is reported, each on the schema the
    // earlier ones left; otherwise the given files (or the changed ones) are one change
    let report = if let Some(seed) = seed {
        linter::lint_change_set_on(&settings, seed, &[], &changes)
    } else if args.base.is_none() && explicit.is_empty() && history.is_empty() {
        linter::lint(&settings, &changes)
    } else {
        linter::lint_change_set(&settings, &history, &changes)
    };
    print!(
        "{}",
        report::render(&report, args.format, &RenderOptions { color })
    );
    Ok(if report.fails(settings.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// `--schema-from`: the live schema as a catalog of existing objects; its row estimates go
/// into `settings`.
pub(super) fn live_schema(
    raw: &str,
    settings: &mut linter::LintSettings,
) -> anyhow::Result<Catalog> {
    let url = DbUrl::parse(raw)?;
    let snap = super::db::runtime()?.block_on(introspect::snapshot(&url))?;
    tracing::info!(url = %url, tables = snap.rows.len(), operations = snap.ops.len(), "schema read");
    let mut catalog = Catalog::new(settings.dialect);
    catalog.set_origin(Origin::History);
    for op in &snap.ops {
        catalog.apply(op);
    }
    for i in &snap.index_states {
        catalog.set_index_state(&i.table, &i.name, i.partial, i.valid);
    }
    settings.table_rows = std::sync::Arc::new(snap.rows);
    Ok(catalog)
}

/// A discovered directory with each migration's canonical script paths.
struct DirIndex {
    migrations: Vec<(Migration, Vec<PathBuf>)>,
    by_path: BTreeMap<PathBuf, usize>,
}

impl DirIndex {
    fn new(dir: &Path, layout: LayoutChoice, dialect: Dialect) -> Option<Self> {
        let found = source::discover_for(dir, layout, dialect).ok()?;
        let migrations: Vec<_> = found
            .migrations
            .into_iter()
            .map(|m| {
                let paths: Vec<PathBuf> = script_paths(&m).collect();
                (m, paths)
            })
            .collect();
        let by_path = migrations
            .iter()
            .enumerate()
            .flat_map(|(i, (_, paths))| paths.iter().map(move |p| (p.clone(), i)))
            .collect();
        Some(DirIndex {
            migrations,
            by_path,
        })
    }

    fn version_of(&self, file: &Path) -> Option<source::Version> {
        let i = *self.by_path.get(file)?;
        Some(self.migrations[i].0.version.clone())
    }
}

/// A path to compare with others: canonical when it exists.
fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// The files a migration is made of, canonical.
fn script_paths(m: &Migration) -> impl Iterator<Item = PathBuf> + '_ {
    m.scripts
        .iter()
        .map(|s| canon(&s.file.path))
        .chain(m.backfill.iter().map(|p| canon(p)))
}

/// Did the change touch one of the migration's files?
fn touches(m: &Migration, changed: &BTreeSet<PathBuf>) -> bool {
    script_paths(m).any(|p| changed.contains(&p))
}
