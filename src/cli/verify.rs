//! `migrate verify [DIR | FILES..]`: the change (lint's rules: files, `--base`, `--all`) proven
//! on a scratch database by `run::verify`; this file picks the change, resolves the scratch
//! server and the query sets, shows progress and prints the report (`verify_out.rs`).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::config;
use crate::run::RunError;
use crate::run::url::DbUrl;
use crate::run::verify::{self, Report, Request, Tick};
use crate::source::split::{self, SplitOptions};
use crate::source::{LayoutChoice, Migration};
use crate::sql::Dialect;

use super::{exit, lint, verify_out};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Migration files (the change; the directory's earlier migrations are history) or
    /// directories (default: the configured migrations dir). A directory alone verifies its
    /// newest migration; with --base, the migrations changed since the ref; with --all, every one.
    paths: Vec<PathBuf>,
    /// Git ref: the migrations added or changed since it are the change, the others history.
    #[arg(long, value_name = "GIT_REF", conflicts_with = "all")]
    base: Option<String>,
    /// Verify every migration of the directories (each one's round trip in turn).
    #[arg(long)]
    all: bool,
    /// A server and a role that may create databases (default: `[verify] scratch_url` in
    /// sluice.toml). Verify creates a database of its own there and drops it; it never runs
    /// on DATABASE_URL's database.
    #[arg(
        long,
        value_name = "URL",
        env = "SLUICE_SCRATCH_URL",
        hide_env_values = true
    )]
    scratch_url: Option<String>,
    /// The running application's SQL (one statement each, `$1` or `?` parameters): prepared
    /// before the change, after the expand and after the backfill.
    #[arg(long, value_name = "FILE")]
    old_queries: Option<PathBuf>,
    /// The new application's SQL: prepared from the end of the expand on and after the contract.
    #[arg(long, value_name = "FILE")]
    new_queries: Option<PathBuf>,
    /// Read the old application's queries from this (production) database's
    /// pg_stat_statements: read only, the normalized query texts alone.
    #[arg(long, value_name = "URL")]
    queries_from_pg_stat_statements: Option<String>,
    /// Rows generated in each of the history's tables before the change is verified (they
    /// respect types, NOT NULL, UNIQUE and foreign keys), so steps and backfills run on data
    /// and a down that loses data fails; 0: none.
    #[arg(long, value_name = "N", default_value_t = verify::DEFAULT_ROWS)]
    rows: u64,
    /// SQL run on the scratch database before the history, each time verify creates it:
    /// what your deployment does outside its migrations (`CREATE EXTENSION`, roles).
    #[arg(long, value_name = "FILE")]
    setup: Option<PathBuf>,
    /// The naive migration the change was planned from (a copy: `migrate plan` replaces it;
    /// its up file, named as its layout names it): every phase of the change up once must
    /// leave the schema and, with --rows, the data that it leaves on the same history.
    #[arg(long, value_name = "FILE")]
    naive: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    format: VerifyFormat,
}

pub fn run(config_path: Option<&Path>, quiet: bool, args: &VerifyArgs) -> anyhow::Result<u8> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let config = config::load(config_path, &cwd)?;
    let scratch = scratch_url(args.scratch_url.as_deref(), &config)?;
    let server = DbUrl::parse(&scratch)?;
    let dialect = server.dialect();
    let layout: LayoutChoice = config.file.migrations.layout;

    let paths = if args.paths.is_empty() {
        vec![config.migrations_dir()]
    } else {
        args.paths.clone()
    };
    let changed = lint::changed_paths(&paths, args.base.as_deref(), &cwd)?;
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for p in &paths {
        if p.is_dir() {
            dirs.push(p.clone());
        } else if p.exists() {
            files.push(p.clone());
        } else {
            bail!(
                "{}: no such file or directory; pass migration files or directories, or set `migrations.dir` in sluice.toml",
                p.display()
            );
        }
    }

    let naive = match &args.naive {
        Some(f) => Some(crate::source::load_file(f, None).map_err(|e| {
            anyhow::anyhow!(
                "--naive {}: {e}; pass a copy of the naive migration's up file, named as its layout names it",
                f.display()
            )
        })?),
        None => None,
    };
    let setup = match &args.setup {
        Some(f) => setup_statements(f, dialect)?,
        None => Vec::new(),
    };
    let mut old_queries = Vec::new();
    if let Some(f) = &args.old_queries {
        old_queries.extend(verify::from_file(f, dialect)?);
    }
    let mut new_queries = Vec::new();
    if let Some(f) = &args.new_queries {
        new_queries.extend(verify::from_file(f, dialect)?);
    }
    let rt = super::db::runtime()?;
    if let Some(u) = &args.queries_from_pg_stat_statements {
        let url = DbUrl::parse(u)?;
        old_queries.extend(match rt.block_on(verify::from_pg_stat_statements(&url)) {
            Ok(q) => q,
            Err(e) => return Ok(fail(&e)),
        });
    }

    let settings = config::run_settings(&config.file.run, config.file.migrations.out_of_order)?;
    let mut reports = Vec::new();
    for g in lint::groups(dirs, files, Vec::new(), layout, dialect) {
        let dir = g.dir.clone();
        let loaded = g.load(layout, dialect, changed.as_ref())?;
        loaded.warn();
        let (migrations, change) = change_of(loaded, args.all);
        if change.is_empty() {
            continue;
        }
        if !args.all
            && changed.is_none()
            && args.paths.iter().all(|p| p.is_dir())
            && let Some(v) = change.iter().next()
        {
            eprintln!(
                "verifying the newest migration of {} ({}); --all verifies every one, --base REF a branch's",
                dir.as_deref().unwrap_or(Path::new(".")).display(),
                v.raw
            );
        }
        let req = Request {
            migrations: &migrations,
            change,
            old_queries: old_queries.clone(),
            new_queries: new_queries.clone(),
            rows: args.rows,
            setup: setup.clone(),
            naive: naive.clone(),
        };
        let bar = progress_bar(quiet, args.format);
        let tick = |t: &Tick| show(bar.as_ref(), t);
        let out = rt.block_on(async {
            tokio::select! {
                r = verify::verify(&server, settings.clone(), &req, &tick) => r,
                sig = super::db::shutdown_signal() => Err(RunError::Db(format!(
                    "interrupted by {sig}: the scratch database is dropped"
                ))),
            }
        });
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        match out {
            Ok(r) => reports.push(r),
            Err(e) => return Ok(fail(&e)),
        }
    }
    if reports.is_empty() {
        eprintln!("nothing to verify: no migration in the change");
        return Ok(exit::OK);
    }
    let proven = reports.iter().all(Report::proven);
    let text = verify_out::render(&reports, args.format, &cwd);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if proven { exit::OK } else { exit::FINDINGS })
}

/// `migrate hook pre-deploy --verify`: prove the pending migrations before any is applied;
/// `Some(exit code)` when they are not proven (the report is printed), `None` to go on.
pub(super) fn before_deploy(
    config: &config::Config,
    scratch_flag: Option<&str>,
    migrations: &[Migration],
    pending: BTreeSet<crate::source::Version>,
    rows: u64,
    quiet: bool,
) -> anyhow::Result<Option<u8>> {
    if pending.is_empty() {
        return Ok(None);
    }
    let server = DbUrl::parse(&scratch_url(scratch_flag, config)?)?;
    let settings = config::run_settings(&config.file.run, config.file.migrations.out_of_order)?;
    let req = Request {
        migrations,
        change: pending,
        old_queries: Vec::new(),
        new_queries: Vec::new(),
        rows,
        setup: Vec::new(),
        naive: None,
    };
    let rt = super::db::runtime()?;
    let bar = progress_bar(quiet, VerifyFormat::Human);
    let tick = |t: &Tick| show(bar.as_ref(), t);
    let out = rt.block_on(async {
        tokio::select! {
            r = verify::verify(&server, settings, &req, &tick) => r,
            sig = super::db::shutdown_signal() => Err(RunError::Db(format!(
                "interrupted by {sig}: the scratch database is dropped"
            ))),
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = match out {
        Ok(r) => r,
        Err(e) => return Ok(Some(fail(&e))),
    };
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    print!(
        "{}",
        verify_out::render(std::slice::from_ref(&report), VerifyFormat::Human, &cwd)
    );
    if report.proven() {
        Ok(None)
    } else {
        eprintln!("pre-deploy: the pending migrations are not proven; nothing applied");
        Ok(Some(exit::FINDINGS))
    }
}

/// The statements of a `--setup` file, split as the server's client would.
fn setup_statements(path: &Path, dialect: Dialect) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{}: cannot read the --setup file; pass a file of SQL statements",
            path.display()
        )
    })?;
    let chunks = split::split(&text, SplitOptions::new(dialect, false));
    Ok(chunks
        .iter()
        .filter_map(|c| c.stmt.clone())
        .map(|r| text[r].to_owned())
        .filter(|s| !s.trim().is_empty())
        .collect())
}

/// The scratch server: the flag, else `[verify] scratch_url`; none is a usage error.
fn scratch_url(flag: Option<&str>, config: &config::Config) -> anyhow::Result<String> {
    let url = flag
        .map(str::to_owned)
        .filter(|u| !u.trim().is_empty())
        .or_else(|| {
            config
                .file
                .verify
                .scratch_url
                .as_ref()
                .map(|u| u.get_ref().clone())
        });
    let Some(url) = url else {
        bail!(
            "no scratch server: pass --scratch-url URL or set `[verify] scratch_url` in sluice.toml (a server and a role that may create databases; verify never runs on DATABASE_URL's database)"
        );
    };
    Ok(url)
}

fn fail(e: &RunError) -> u8 {
    eprintln!("error: {e}");
    exit::ERROR
}

/// Every migration of a group in version order, and the versions to verify: the change
/// (explicit files, `--base`), every one (`--all`), else the newest.
fn change_of(
    loaded: lint::Loaded,
    all: bool,
) -> (Vec<Migration>, BTreeSet<crate::source::Version>) {
    let change_set = loaded.change_set;
    let change: BTreeSet<_> = loaded.changes.iter().map(|m| m.version.clone()).collect();
    let mut migrations = loaded.history;
    migrations.extend(loaded.changes);
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    let change = if all {
        migrations.iter().map(|m| m.version.clone()).collect()
    } else if change_set {
        change
    } else {
        migrations
            .last()
            .map(|m| m.version.clone())
            .into_iter()
            .collect()
    };
    (migrations, change)
}

/// A bar on a terminal (stderr), for the human format and unless `-q`.
fn progress_bar(quiet: bool, format: VerifyFormat) -> Option<indicatif::ProgressBar> {
    if quiet || format != VerifyFormat::Human || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template(
        "verify [{bar:30}] {pos}/{len} migrations, {elapsed}: {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    b.set_style(style);
    Some(b)
}

fn show(bar: Option<&indicatif::ProgressBar>, t: &Tick) {
    match bar {
        Some(b) => {
            b.set_length(t.total as u64);
            b.set_position(t.done as u64);
            b.set_message(t.current.clone());
        }
        None => {
            if !t.current.is_empty() {
                tracing::info!(done = t.done, total = t.total, "verifying {}", t.current);
            }
        }
    }
}
