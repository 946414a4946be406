//! `migrate plan`: the phased version of a naive migration, as files or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::config;
use crate::lint::{self as linter, LintSettings};
use crate::plan::{self, Plan, PlanError, PlanFiles, PlanOptions};
use crate::source::{self, LayoutChoice, Migration};
use crate::sql::Dialect;

use super::canon::canon;
use super::exit;
use super::plan_out::{self, Target};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The naive migration: one SQL file (any supported layout), whose directory's earlier
    /// migrations give the schema it runs on; or a migrations directory, whose newest
    /// migration is planned.
    pub path: PathBuf,
    /// Write the phased migration into this directory (created; must be empty unless
    /// --force). Into a migrations directory of another layout (`--out DIR` or
    /// `--out DIR/<version>_<name>`), the phases become migrations of that layout: the
    /// expand (with its backfill) at the planned version, the contract at the next one.
    /// Without it, the files are printed.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace files already in --out.
    #[arg(long)]
    pub force: bool,
    /// files: the SQL and TOML files; json: the plan as data (phases, steps, locks, costs).
    #[arg(long, value_enum, default_value_t = PlanFormat::Files)]
    pub format: PlanFormat,
    /// Seed the schema from a live PostgreSQL database instead of the earlier migrations.
    #[arg(long, value_name = "URL")]
    pub schema_from: Option<String>,
    /// Dialect (default: from sluice.toml, else postgres).
    #[arg(long, value_parser = ["postgres", "mysql", "mariadb"])]
    pub dialect: Option<String>,
    /// PostgreSQL `RENAME COLUMN`: copy (a second column kept equal by a trigger, filled in
    /// batches, swapped at contract) or view (no row written: the table steps aside and a
    /// view under its name shows the column under both names until the contract; the
    /// application meets a view, on which COPY, TRUNCATE and LOCK fail, during the rollout).
    /// Default: `[plan] rename_column` of sluice.toml, else copy.
    #[arg(long, value_enum, value_name = "HOW")]
    pub rename_column: Option<RenameColumnArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenameColumnArg {
    Copy,
    View,
}

impl From<RenameColumnArg> for plan::RenameColumn {
    fn from(a: RenameColumnArg) -> Self {
        match a {
            RenameColumnArg::Copy => plan::RenameColumn::Copy,
            RenameColumnArg::View => plan::RenameColumn::View,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Files,
    Json,
}

#[derive(Serialize)]
struct JsonOut<'a> {
    plan: &'a Plan,
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    name: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonRefused<'a> {
    refused: &'a [plan::Refusal],
}

pub fn run(config_path: Option<&Path>, args: &PlanArgs) -> anyhow::Result<u8> {
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
    if !args.path.exists() {
        anyhow::bail!(
            "{}: no such file or directory; pass the naive migration's SQL file (e.g. migrations/20240101_rename.sql) or a migrations directory (its newest migration is planned)",
            args.path.display()
        );
    }
    let layout = config.file.migrations.layout;
    let target = match &args.out {
        Some(out) => Some(plan_out::target(
            out,
            layout,
            settings.dialect,
            &config.migrations_dir(),
        )),
        None => None,
    };
    if let Some(Target::Native(out)) = &target {
        plan_out::check_out(out, args.force)?;
    }
    let seed = match &args.schema_from {
        Some(raw) => Some(super::lint::live_schema(raw, &mut settings)?),
        None => None,
    };
    let (mut migration, history) = if args.path.is_dir() {
        // a migrations directory: its newest migration is the change, the rest history
        let mut found = source::discover_for(&args.path, layout, settings.dialect)?.migrations;
        let Some(newest) = found.pop() else {
            anyhow::bail!("{}: no migrations found to plan", args.path.display());
        };
        (newest, found)
    } else {
        let m = source::load_file(&args.path, None)?;
        let (history, unreadable) = history_of(&args.path, &m, layout, settings.dialect);
        for w in unreadable {
            eprintln!("warning: {w}; planning without them");
        }
        (m, history)
    };
    name_migration(&mut migration)?;
    let catalog = match seed {
        Some(c) => c,
        None => linter::engine::replay(&settings, Catalog::new(settings.dialect), &history),
    };
    // into a foreign layout the contract is a migration of its own: its version names the
    // soft-dropped objects
    let placement = match target {
        Some(Target::Foreign(f)) => Some(f.place(&migration, settings.dialect)?),
        _ => None,
    };
    let mut options = PlanOptions {
        soft_drop_version: placement.as_ref().map(|p| p.contract_version.clone()),
        runner: placement.as_ref().and_then(|p| p.runner(settings.runner)),
        rename_column: args
            .rename_column
            .map(Into::into)
            .or(config.file.plan.rename_column)
            .unwrap_or_default(),
    };
    let Some(mut planned) = plan_or_refuse(&settings, &catalog, &migration, &options, args)? else {
        return Ok(exit::FINDINGS);
    };
    let mut arranged = None;
    if let Some(p) = &placement {
        let mut a = p.arrange(&planned, settings.dialect)?;
        // a split contract takes later versions: its objects carry the last one
        if a.soft_drop_version() != options.soft_drop_version.as_deref()
            && let Some(v) = a.soft_drop_version()
        {
            options.soft_drop_version = Some(v.to_owned());
            planned = match plan_or_refuse(&settings, &catalog, &migration, &options, args)? {
                Some(p) => p,
                None => return Ok(exit::FINDINGS),
            };
            a = p.arrange(&planned, settings.dialect)?;
        }
        arranged = Some(a);
    }
    let files = match &arranged {
        Some(a) => a.files.clone(),
        None => planned.files(settings.dialect)?.files,
    };
    for n in &planned.notes {
        eprintln!("note: {n}");
    }
    let mut removed = Vec::new();
    match (&placement, &args.out) {
        (Some(p), _) => removed = p.write(&files, args.force)?,
        (None, Some(out)) => plan_out::write_out(out, &files)?,
        (None, None) => {}
    }
    match args.format {
        PlanFormat::Json => {
            let out = JsonOut {
                plan: &planned,
                files: files
                    .iter()
                    .map(|(n, t)| JsonFile { name: n, text: t })
                    .collect(),
            };
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        PlanFormat::Files if args.out.is_none() => {
            let mut stdout = std::io::stdout().lock();
            for (name, text) in &files {
                writeln!(stdout, "==> {name} <==\n{text}")?;
            }
        }
        PlanFormat::Files => {
            let out = match &placement {
                Some(p) => p.dir.as_path(),
                None => args.out.as_deref().unwrap_or(Path::new(".")),
            };
            for (name, _) in &files {
                println!("wrote {}", out.join(name).display());
            }
            for p in &removed {
                println!("removed {} (the naive migration, now planned)", p.display());
            }
            if let (Some(p), Some(a)) = (&placement, &arranged) {
                let versions = |v: &[String], what: &str| match v {
                    [] => None,
                    [one] => Some(format!("{what} at version {one}")),
                    many => Some(format!("{what} at versions {}", many.join(", "))),
                };
                let at: Vec<String> = [
                    versions(&a.expand, "expand"),
                    versions(&a.contract, "contract"),
                ]
                .into_iter()
                .flatten()
                .collect();
                let marker = if a.contract.is_empty() {
                    ""
                } else {
                    " (`-- sluice:phase contract`)"
                };
                println!(
                    "  as {} migrations: {}{marker}",
                    p.layout.name(),
                    at.join(", ")
                );
                if a.expand.len() + a.contract.len() > 2 {
                    println!(
                        "  a CONCURRENTLY statement is a migration of its own: the {} runner sends a file as one query, which PostgreSQL runs as one transaction",
                        p.layout.name()
                    );
                }
            }
            for a in &planned.recipes {
                println!("  line {}: {} ({})", a.line, a.recipe, a.statement);
            }
        }
    }
    Ok(exit::OK)
}

/// Plan `migration`; `None` once a refusal is printed.
fn plan_or_refuse(
    settings: &LintSettings,
    catalog: &Catalog,
    migration: &Migration,
    options: &PlanOptions,
    args: &PlanArgs,
) -> anyhow::Result<Option<Plan>> {
    match plan::plan_with(settings, catalog, migration, options) {
        Ok(p) => Ok(Some(p)),
        Err(PlanError::Refused(refusals)) => {
            if args.format == PlanFormat::Json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&JsonRefused { refused: &refusals })?
                );
            }
            for r in &refusals {
                eprintln!(
                    "error: {}:{}:{}: refused: {}\n  statement: {}",
                    args.path.display(),
                    r.line,
                    r.column,
                    r.reason,
                    r.statement
                );
            }
            eprintln!(
                "{} statement(s) cannot be made safe; nothing was written",
                refusals.len()
            );
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// A naive migration ready to plan: it has a version (soft-dropped objects carry it), and a
/// plain file is named `<name>` of `<version>_<name>.sql`.
fn name_migration(migration: &mut Migration) -> anyhow::Result<()> {
    if migration.version.raw == "0" {
        anyhow::bail!(
            "{}: the file name carries no version; name it <version>_<name>.sql (soft-dropped objects carry the version in their names)",
            migration.origin.display()
        );
    }
    if migration.layout == source::Layout::Plain {
        let path = migration.origin.clone();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let name = stem
            .strip_prefix(migration.version.raw.as_str())
            .unwrap_or(stem)
            .trim_start_matches(['_', '-', '.']);
        migration.name = if name.is_empty() {
            stem.to_owned()
        } else {
            name.to_owned()
        };
    }
    Ok(())
}

/// The plan of a naive `migration` on the schema `seed` (a live one) or else `history`
/// leaves, and its files as a native phased directory; `Ok(Err(..))` when statements cannot
/// be made safe. The language server's "plan this migration".
pub(super) fn plan_migration(
    settings: &LintSettings,
    choices: &config::PlanConfig,
    seed: Option<Catalog>,
    history: &[Migration],
    mut migration: Migration,
) -> anyhow::Result<Result<(Plan, PlanFiles), Vec<plan::Refusal>>> {
    name_migration(&mut migration)?;
    let catalog = match seed {
        Some(c) => c,
        None => linter::engine::replay(settings, Catalog::new(settings.dialect), history),
    };
    let options = PlanOptions {
        rename_column: choices.rename_column.unwrap_or_default(),
        ..PlanOptions::default()
    };
    match plan::plan_with(settings, &catalog, &migration, &options) {
        Ok(planned) => {
            let files = planned.files(settings.dialect)?;
            Ok(Ok((planned, files)))
        }
        Err(PlanError::Refused(refusals)) => Ok(Err(refusals)),
        Err(e) => Err(e.into()),
    }
}

/// The migrations of the file's directory (or, for a phased migration's file, of its parent)
/// that come before it; with why they could not be read when no directory holds the file.
pub(super) fn history_of(
    path: &Path,
    m: &Migration,
    layout: LayoutChoice,
    dialect: Dialect,
) -> (Vec<Migration>, Vec<String>) {
    let me = canon(path);
    // the file's directory (native, diesel: the migration's own) or the one above it
    let mut unreadable = Vec::new();
    for dir in path.ancestors().skip(1).take(2) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let found = match source::discover_for(dir, layout, dialect) {
            Ok(f) => f,
            Err(e) => {
                unreadable.push(format!(
                    "{}: cannot read the earlier migrations ({e})",
                    dir.display()
                ));
                continue;
            }
        };
        let holds_me = found
            .migrations
            .iter()
            .any(|x| x.scripts.iter().any(|s| canon(&s.file.path) == me));
        if holds_me {
            let history = found
                .migrations
                .into_iter()
                .filter(|x| x.version < m.version)
                .collect();
            return (history, Vec::new());
        }
    }
    (Vec::new(), unreadable)
}
