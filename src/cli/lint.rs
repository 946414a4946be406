//! `migrate lint [PATHS..]`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::catalog::Catalog;
use crate::config;
use crate::lint::LintReport;
use crate::lint::report::{self, Format, RenderOptions};
use crate::lint::settings::Runner;
use crate::lint::{self as linter, Severity};
use crate::run::introspect;
use crate::run::url::DbUrl;
use crate::source::{self, Layout, LayoutChoice, Migration, Version};
use crate::sql::Dialect;

use super::canon::{Canon, canon};
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
    // this thread works in the engine's pool, next to one more per other core, instead of
    // waiting on rayon's own threads: glibc gives each thread that allocates a malloc arena
    // of its own, and one arena fewer is about 3 MB less peak memory (docs/benchmarks.md).
    // A pool that holds its caller is never freed: once per process.
    let pool = rayon::ThreadPoolBuilder::new()
        .use_current_thread()
        .build()?;
    pool.install(|| lint(config_path, args, color))
}

fn lint(config_path: Option<&Path>, args: &LintArgs, color: bool) -> anyhow::Result<u8> {
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
    let changed = changed_paths(&paths, args.base.as_deref(), &cwd)?;

    // what was given: directories, explicit files, stdin
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut loose: Vec<Migration> = Vec::new();
    for path in &paths {
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read SQL from stdin (is it UTF-8?)")?;
            loose.push(source::load_file(&args.stdin_filename, Some(text))?);
        } else if path.is_dir() {
            dirs.push(path.clone());
        } else if path.exists() {
            files.push(path.clone());
        } else {
            anyhow::bail!(
                "{}: no such file or directory; pass migration files or directories, or set `migrations.dir` in sluice.toml",
                path.display()
            );
        }
    }
    let groups = groups(dirs, files, loose, layout, settings.dialect);

    let mut migration_dirs: Vec<PathBuf> = vec![canon(&config.migrations_dir())];
    migration_dirs.extend(
        groups
            .iter()
            .filter_map(|g| g.dir.as_ref())
            .map(|d| canon(d)),
    );
    let base_dir = canon(&config.base_dir());
    let code = code::CodeScope::new(
        &base_dir,
        &config.file.lint.code_paths,
        &config.file.lint.code_ignore,
        &migration_dirs,
    )?;
    settings.deploy.changed_code = changed.as_ref().map(|changed| {
        changed
            .iter()
            .filter(|p| code.is_code(p))
            .map(|p| code.shown(p))
            .collect::<Vec<_>>()
    });
    settings.deploy.code = std::sync::Arc::new(code.scan());

    let opts = RenderOptions { color };
    // findings come a line at a time: buffered, not a write per line
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Some(seed) = seed {
        // the live database holds the history: everything given is one change
        let mut changes = Vec::new();
        for g in groups {
            let loaded = g.load(layout, settings.dialect, changed.as_ref())?;
            loaded.warn();
            changes.extend(loaded.changes);
        }
        let report = linter::lint_change_set_on(&settings, seed, &[], &changes);
        write!(out, "{}", report::render(&report, args.format, &opts))?;
        out.flush()?;
        return Ok(exit_code(report.fails(settings.fail_on)));
    }
    // each directory is its own history, linted and printed in turn: no more than one
    // directory's files and findings are held at a time
    let streamed = streamable(&groups);
    let mut stream = report::Stream::new(args.format, opts, settings.fail_on);
    let mut held = Vec::new();
    let load = |g: Group| g.load(layout, settings.dialect, changed.as_ref());
    let mut groups = groups.into_iter();
    let mut next = groups.next().map(load);
    while let Some(loaded) = next.take() {
        let loaded = loaded?;
        loaded.warn();
        let Loaded {
            history,
            changes,
            change_set,
            ..
        } = loaded;
        let lint_group = || {
            if changes.is_empty() {
                None
            } else if change_set {
                // the history below the change is the same from push to push: cached
                Some(super::replay_cache::lint_change_set(
                    &settings, history, &changes,
                ))
            } else {
                // directories alone, without --base: every migration is reported, each on
                // the schema the earlier ones left
                Some(linter::lint(&settings, &changes))
            }
        };
        // the next directory is read while this one is linted
        let following = groups.next();
        let (report, loaded) = rayon::join(lint_group, || following.map(load));
        next = loaded;
        drop(changes);
        let Some(report) = report else {
            continue;
        };
        if streamed {
            stream.part(report, |s| out.write_all(s.as_bytes()))?;
            out.flush()?;
        } else {
            held.push(report);
        }
    }
    if !streamed {
        stream.part(LintReport::merge(held), |s| out.write_all(s.as_bytes()))?;
    }
    let fails = stream.fails();
    out.write_all(stream.finish().as_bytes())?;
    out.flush()?;
    Ok(exit_code(fails))
}

/// `--base`: the paths changed since the ref, canonical, in the repository of the first given
/// directory (or of a given file's directory, else the working directory).
pub(super) fn changed_paths(
    paths: &[PathBuf],
    base: Option<&str>,
    cwd: &Path,
) -> anyhow::Result<Option<BTreeSet<PathBuf>>> {
    let Some(base) = base else {
        return Ok(None);
    };
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
        .unwrap_or_else(|| cwd.to_path_buf());
    Ok(Some(
        git::changed_since(&dir, base)?
            .iter()
            .map(|p| canon(p))
            .collect::<BTreeSet<_>>(),
    ))
}

fn exit_code(fails: bool) -> u8 {
    if fails { exit::FINDINGS } else { exit::OK }
}

/// What one run lints together: a migrations directory (given, or the one of given files),
/// or the files that belong to none.
pub(super) struct Group {
    /// The directory as given (or derived from a given file's path).
    pub(super) dir: Option<PathBuf>,
    /// The directory was given: all of its migrations are linted.
    whole: bool,
    /// Files given explicitly (they are the change; the directory's earlier migrations
    /// are history).
    files: Vec<PathBuf>,
    /// Migrations already loaded (stdin).
    loaded: Vec<Migration>,
    /// The directory, already discovered while grouping the given files, without the
    /// migrations of those files: they are read from the files, and every group is formed
    /// before the first is linted.
    found: Option<source::Discovery>,
    /// The newest version of the migrations taken out of `found`.
    newest_given: Option<Version>,
}

/// A group's migrations.
pub(super) struct Loaded {
    pub(super) history: Vec<Migration>,
    pub(super) changes: Vec<Migration>,
    /// Lint as one change (explicit files, `--base`), not migration by migration.
    pub(super) change_set: bool,
    /// What discovery skipped, printed when the group's turn comes.
    pub(super) warnings: Vec<source::SourceWarning>,
}

/// Sort what was given into groups: each given directory, each directory of given files
/// (found by discovering the file's parent and grandparent), the rest.
pub(super) fn groups(
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
    loose: Vec<Migration>,
    layout: LayoutChoice,
    dialect: Dialect,
) -> Vec<Group> {
    let mut by_dir: BTreeMap<PathBuf, Group> = BTreeMap::new();
    for d in dirs {
        by_dir.entry(d.clone()).or_insert(Group {
            dir: Some(d),
            whole: true,
            files: Vec::new(),
            loaded: Vec::new(),
            found: None,
            newest_given: None,
        });
    }
    let given: Vec<(PathBuf, PathBuf)> = by_dir.keys().map(|d| (canon(d), d.clone())).collect();
    let mut rest = Group {
        dir: None,
        whole: false,
        files: Vec::new(),
        loaded: loose,
        found: None,
        newest_given: None,
    };
    // many files usually share one directory: discover each candidate directory once (its
    // canonical script paths say which files it holds; the group keeps the discovery)
    type Index = Option<(BTreeSet<PathBuf>, Option<source::Discovery>)>;
    let mut indexes: BTreeMap<PathBuf, Index> = BTreeMap::new();
    // each directory group's given files, canonical
    let mut given_in: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    let mut resolved = Canon::default();
    for file in files {
        let c = resolved.file(&file);
        // inside a directory that is linted whole anyway
        if given.iter().any(|(gc, _)| c.starts_with(gc)) {
            continue;
        }
        // a bare file name's directory is the working directory
        let home = file
            .ancestors()
            .skip(1)
            .take(2)
            .map(|d| {
                if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                }
            })
            .find(|d| {
                indexes
                    .entry(d.to_path_buf())
                    .or_insert_with(|| {
                        let found = source::discover_for(d, layout, dialect).ok()?;
                        let (dir, canon_dir) = (d.to_path_buf(), canon(d));
                        let paths = found
                            .migrations
                            .iter()
                            .flat_map(|m| script_paths(m, &dir, &canon_dir))
                            .collect();
                        Some((paths, Some(found)))
                    })
                    .as_ref()
                    .is_some_and(|(paths, _)| paths.contains(&c))
            });
        match home {
            Some(d) => {
                given_in.entry(d.to_path_buf()).or_default().insert(c);
                by_dir
                    .entry(d.to_path_buf())
                    .or_insert_with(|| Group {
                        dir: Some(d.to_path_buf()),
                        whole: false,
                        files: Vec::new(),
                        loaded: Vec::new(),
                        found: indexes
                            .get_mut(d)
                            .and_then(|i| i.as_mut())
                            .and_then(|(_, found)| found.take()),
                        newest_given: None,
                    })
                    .files
                    .push(file);
            }
            None => rest.files.push(file),
        }
    }
    for (d, given) in &given_in {
        if let Some(g) = by_dir.get_mut(d) {
            g.take_given(d, given);
        }
    }
    let mut groups: Vec<Group> = by_dir.into_values().collect();
    if !rest.files.is_empty() || !rest.loaded.is_empty() {
        groups.push(rest);
    }
    groups
}

/// Can the groups be printed one after another, each sorted on its own? Yes when their
/// files cannot interleave in path order: separate directories, none inside another.
fn streamable(groups: &[Group]) -> bool {
    if groups.len() <= 1 {
        return true;
    }
    let mut dirs = Vec::new();
    for g in groups {
        match &g.dir {
            Some(d) => dirs.push(d),
            None => return false,
        }
    }
    dirs.windows(2).all(|w| !w[1].starts_with(w[0]))
}

impl Group {
    /// Take the migrations of the `given` files (canonical) out of the discovered directory
    /// `dir`, keeping the newest version among them: [`Group::load`] reads those files again.
    fn take_given(&mut self, dir: &Path, given: &BTreeSet<PathBuf>) {
        let Some(found) = &mut self.found else {
            return;
        };
        let canon_dir = canon(dir);
        found.migrations.retain(|m| {
            let taken = script_paths(m, dir, &canon_dir).any(|p| given.contains(&p));
            if taken && self.newest_given.as_ref().is_none_or(|v| m.version > *v) {
                self.newest_given = Some(m.version.clone());
            }
            !taken
        });
    }

    /// Read the group's migrations; `changed` (with `--base`) splits a directory's into
    /// the change and its history.
    pub(super) fn load(
        self,
        layout: LayoutChoice,
        dialect: Dialect,
        changed: Option<&BTreeSet<PathBuf>>,
    ) -> anyhow::Result<Loaded> {
        let mut history = Vec::new();
        let mut warnings = Vec::new();
        let mut changes = self.loaded;
        let explicit = !self.files.is_empty();
        for f in &self.files {
            changes.push(source::load_file(f, None)?);
        }
        if let Some(dir) = &self.dir {
            let found = match self.found {
                Some(found) => found,
                None => source::discover_for(dir, layout, dialect)?,
            };
            tracing::info!(dir = %dir.display(), layout = found.layout.name(), migrations = found.migrations.len(), "discovered");
            warnings = found.warnings;
            let canon_dir = canon(dir);
            if self.whole {
                for m in found.migrations {
                    match changed {
                        Some(changed)
                            if !script_paths(&m, dir, &canon_dir).any(|p| changed.contains(&p)) =>
                        {
                            history.push(m)
                        }
                        _ => changes.push(m),
                    }
                }
            } else {
                // explicit files: the directory's earlier migrations are history
                let mut resolved = Canon::default();
                let known: BTreeSet<PathBuf> = changes
                    .iter()
                    .flat_map(|m| m.scripts.iter())
                    .map(|s| resolved.file(&s.file.path))
                    .collect();
                let newest = found
                    .migrations
                    .iter()
                    .filter(|m| script_paths(m, dir, &canon_dir).any(|p| known.contains(&p)))
                    .map(|m| m.version.clone())
                    .chain(self.newest_given)
                    .max();
                for m in found.migrations {
                    if newest.as_ref().is_some_and(|v| m.version < *v)
                        && !script_paths(&m, dir, &canon_dir).any(|p| known.contains(&p))
                    {
                        history.push(m);
                    }
                }
            }
        }
        Ok(Loaded {
            change_set: changed.is_some() || explicit,
            history,
            changes,
            warnings,
        })
    }
}

impl Loaded {
    /// Print what discovery skipped (stderr).
    pub(super) fn warn(&self) {
        for w in &self.warnings {
            eprintln!("warning: {}: {}", w.path.display(), w.message);
        }
    }
}

/// `--schema-from`: the live schema as a catalog of existing objects; its row estimates go
/// into `settings`.
pub(super) fn live_schema(
    raw: &str,
    settings: &mut linter::LintSettings,
) -> anyhow::Result<Catalog> {
    let url = DbUrl::parse(raw)?;
    let snap = super::db::runtime()?
        .block_on(introspect::snapshot(&url, &introspect::Scope::AllSchemas))?;
    tracing::info!(url = %url, tables = snap.rows.len(), operations = snap.ops.len(), "schema read");
    let catalog = snap.catalog(settings.dialect);
    settings.table_rows = std::sync::Arc::new(snap.rows);
    Ok(catalog)
}

/// The files a migration of `dir` is made of, canonical: `dir` resolved once, the rest
/// joined to it (a symlink inside the directory stays the path git knows).
fn script_paths<'m>(
    m: &'m Migration,
    dir: &'m Path,
    canon_dir: &'m Path,
) -> impl Iterator<Item = PathBuf> + 'm {
    let under = move |p: &Path| match p.strip_prefix(dir) {
        Ok(rest) => canon_dir.join(rest),
        Err(_) => canon(p),
    };
    m.scripts
        .iter()
        .map(move |s| under(&s.file.path))
        .chain(m.backfill.iter().map(move |p| under(p)))
}
