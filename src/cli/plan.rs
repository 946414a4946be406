//! `migrate plan`: the phased version of a naive migration, as files or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::config;
use crate::lint::{self as linter, LintSettings};
use crate::plan::{self, Plan, PlanError, PlanFiles};
use crate::source::{self, LayoutChoice, Migration};
use crate::sql::Dialect;

use super::exit;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The naive migration: one SQL file (any supported layout), whose directory's earlier
    /// migrations give the schema it runs on; or a migrations directory, whose newest
    /// migration is planned.
    pub path: PathBuf,
    /// Write the phased migration into this directory (created; must be empty unless
    /// --force). Without it, the files are printed.
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
    if let Some(out) = &args.out {
        check_out(out, args.force)?;
    }
    let seed = match &args.schema_from {
        Some(raw) => Some(super::lint::live_schema(raw, &mut settings)?),
        None => None,
    };
    let layout = config.file.migrations.layout;
    let (migration, history) = if args.path.is_dir() {
        // a migrations directory: its newest migration is the change, the rest history
        let mut found = source::discover(&args.path, layout)?.migrations;
        let Some(newest) = found.pop() else {
            anyhow::bail!("{}: no migrations found to plan", args.path.display());
        };
        (newest, found)
    } else {
        let m = source::load_file(&args.path, None)?;
        let (history, unreadable) = history_of(&args.path, &m, layout);
        for w in unreadable {
            eprintln!("warning: {w}; planning without them");
        }
        (m, history)
    };
    let (planned, files) = match plan_migration(&settings, seed, &history, migration)? {
        Ok(p) => p,
        Err(refusals) => {
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
            return Ok(exit::FINDINGS);
        }
    };
    for n in &planned.notes {
        eprintln!("note: {n}");
    }
    if let Some(out) = &args.out {
        write_out(out, &files.files)?;
    }
    match args.format {
        PlanFormat::Json => {
            let out = JsonOut {
                plan: &planned,
                files: files
                    .files
                    .iter()
                    .map(|(n, t)| JsonFile { name: n, text: t })
                    .collect(),
            };
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        PlanFormat::Files if args.out.is_none() => {
            let mut stdout = std::io::stdout().lock();
            for (name, text) in &files.files {
                writeln!(stdout, "==> {name} <==\n{text}")?;
            }
        }
        PlanFormat::Files => {
            let out = args.out.as_deref().unwrap_or(Path::new("."));
            for (name, _) in &files.files {
                println!("wrote {}", out.join(name).display());
            }
            for a in &planned.recipes {
                println!("  line {}: {} ({})", a.line, a.recipe, a.statement);
            }
        }
    }
    Ok(exit::OK)
}

/// The plan of a naive `migration` on the schema `seed` (a live one) or else `history`
/// leaves, and its files; `Ok(Err(..))` when statements cannot be made safe. Shared by
/// `migrate plan` and the language server's "plan this migration".
pub(super) fn plan_migration(
    settings: &LintSettings,
    seed: Option<Catalog>,
    history: &[Migration],
    mut migration: Migration,
) -> anyhow::Result<Result<(Plan, PlanFiles), Vec<plan::Refusal>>> {
    if migration.version.raw == "0" {
        anyhow::bail!(
            "{}: the file name carries no version; name it <version>_<name>.sql (soft-dropped objects carry the version in their names)",
            migration.origin.display()
        );
    }
    if migration.layout == source::Layout::Plain {
        // a plain file is named by its path; the plan wants `<name>` of `<version>_<name>.sql`
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
    let catalog = match seed {
        Some(c) => c,
        None => linter::engine::replay(settings, Catalog::new(settings.dialect), history),
    };
    match plan::plan(settings, &catalog, &migration) {
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
) -> (Vec<Migration>, Vec<String>) {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let me = canon(path);
    let mut unreadable = Vec::new();
    for dir in path.ancestors().skip(1).take(2) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let found = match source::discover(dir, layout) {
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

pub(super) const PLAN_FILES: [&str; 5] = [
    "expand.up.sql",
    "expand.down.sql",
    "backfill.toml",
    "contract.up.sql",
    "contract.down.sql",
];

fn check_out(out: &Path, force: bool) -> anyhow::Result<()> {
    if out.exists() {
        let busy = std::fs::read_dir(out)
            .with_context(|| format!("{}: cannot read the output directory", out.display()))?
            .next()
            .is_some();
        if busy && !force {
            anyhow::bail!(
                "{}: the output directory is not empty; choose another --out or pass --force",
                out.display()
            );
        }
    }
    Ok(())
}

fn write_out(out: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output directory", out.display()))?;
    // a forced re-plan must not leave a phase file of the previous plan behind
    for stale in PLAN_FILES {
        let p = out.join(stale);
        if p.is_file() && !files.iter().any(|(n, _)| n == stale) {
            std::fs::remove_file(&p).with_context(|| format!("{}: cannot remove", p.display()))?;
        }
    }
    for (name, text) in files {
        let p = out.join(name);
        std::fs::write(&p, text).with_context(|| format!("{}: cannot write", p.display()))?;
    }
    Ok(())
}
