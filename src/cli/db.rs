//! The database commands: `apply`, `rollback`, `status`, `baseline`, `repair`,
//! `rollout complete`, and `new` (files only). The engine in `crate::run` does the work;
//! this file resolves settings, prints results and maps outcomes to exit codes.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::run::url::DbUrl;
use crate::run::{self, ApplyOutcome, ApplyRequest, Engine, PhaseSel, RollbackRequest, RunError};
use crate::source::{self, Layout, Migration, Version};

use super::exit;
use super::live::LiveView;
use super::render::{print_backfill, print_sql, render_apply, render_status};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Migrations directory (default from config `migrations.dir`, else ./migrations).
    dir: Option<PathBuf>,
    /// Which phases: expand (before the rollout, the default; then the backfills unless
    /// --no-backfill), backfill, contract (after the rollout, when its gate holds and its
    /// backfill is complete), or all (expand, backfill, then contracts whose gate holds).
    #[arg(long, value_enum, default_value_t = PhaseSel::Expand)]
    phase: PhaseSel,
    /// Apply only up to this version (inclusive).
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,
    /// Release id stored with each applied phase.
    #[arg(long, value_name = "ID")]
    release: Option<String>,
    /// Print the exact SQL that would run (session settings and ledger writes included).
    #[arg(long)]
    dry_run: bool,
    /// How long to wait for another runner's lock (default 5m; e.g. 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    lock_wait: Option<Duration>,
    /// When a contract waits on its gate, poll for up to this long instead of exiting 3.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    wait: Option<Duration>,
    /// With `--phase expand`: leave the backfills for a later `--phase backfill`.
    #[arg(long)]
    no_backfill: bool,
    /// Let the apply check pass findings of this lint rule (repeatable); each one let
    /// through is recorded in the ledger's events with who allowed it.
    #[arg(long, value_name = "RULE")]
    allow: Vec<String>,
    /// Apply to every target of `[fleet.NAME]` in sluice.toml, in its waves (no
    /// DATABASE_URL needed).
    #[arg(long, value_name = "NAME")]
    fleet: Option<String>,
    /// With --fleet: take the I-th (from 0) of N disjoint slices of every wave; `/N` takes I
    /// from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Shards meet at the end of each
    /// wave.
    #[arg(long, value_name = "I/N", requires = "fleet")]
    shard: Option<String>,
    /// With --shard: the id every shard of this attempt shares (e.g. the Job's uid); a new
    /// attempt takes a new one.
    #[arg(
        long = "run",
        value_name = "ID",
        env = "SLUICE_FLEET_RUN",
        requires = "shard"
    )]
    run_id: Option<String>,
    /// With --fleet: the waves and their targets as human text or one JSON object.
    #[arg(long, value_enum, default_value_t = StatusFormat::Human, requires = "fleet")]
    format: StatusFormat,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Migrations directory (default from config, else ./migrations).
    dir: Option<PathBuf>,
    /// Roll back the last N applied phases (default 1).
    #[arg(long, conflicts_with = "to", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    steps: Option<usize>,
    /// Roll back every phase of versions newer than this one (`0`: everything).
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,
    #[arg(long, value_enum, default_value_t = PhaseSel::All)]
    phase: PhaseSel,
    /// Print the SQL that would run.
    #[arg(long)]
    dry_run: bool,
    /// How long to wait for another runner's lock (default 5m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    lock_wait: Option<Duration>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Migrations directory (default from config, else ./migrations).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = StatusFormat::Human)]
    format: StatusFormat,
    /// Every target of `[fleet.NAME]`: a table of targets x phases, then the failures.
    #[arg(long, value_name = "NAME")]
    fleet: Option<String>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Mark every migration phase up to this version applied without running it.
    #[arg(id = "target_version", value_name = "VERSION")]
    version: String,
    /// Migrations directory (default from config, else ./migrations).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Only this version (default: every edited or failed migration).
    #[arg(long = "version", id = "target_version", value_name = "VERSION")]
    version: Option<String>,
    /// Migrations directory (default from config, else ./migrations).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Drop objects whose soft-dropping contract finished longer ago than this (e.g. 7d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    older_than: Duration,
    /// Only list what would be dropped.
    #[arg(long)]
    dry_run: bool,
    /// How long to wait for another runner's lock (default 5m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    lock_wait: Option<Duration>,
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Record that a rollout has completed (the `recorded` contract gate).
    Complete {
        /// The release that finished rolling out.
        #[arg(long, value_name = "ID")]
        release: String,
    },
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does, e.g. add_user_email.
    name: String,
    /// Create a phased migration (expand and contract scripts).
    #[arg(long)]
    phased: bool,
    /// Migrations directory (default from config, else ./migrations).
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    run::parse_duration(s)
}

/// Global flags the database commands use.
pub struct Global<'a> {
    pub config: Option<&'a Path>,
    pub database_url: Option<&'a str>,
    /// `-q`: no live progress view.
    pub quiet: bool,
    /// `--env` / `SLUICE_ENV`: which `[gates.<env>]`.
    pub env: Option<&'a str>,
}

/// Everything a database command needs.
pub(super) struct Ctx {
    pub(super) config: Config,
    pub(super) engine: Engine,
}

pub(super) fn context(g: &Global<'_>, lock_wait: Option<Duration>) -> anyhow::Result<Ctx> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let mut config = config::load(g.config, &cwd)?;
    let gate = config.gate(g.env).map_err(anyhow::Error::msg)?;
    let Some(raw) = g.database_url.filter(|u| !u.trim().is_empty()) else {
        bail!(
            "no database: pass --database-url or set DATABASE_URL (postgres://... or mysql://...)"
        );
    };
    let url = DbUrl::parse(raw)?;
    // the database decides which files of a multi-dialect directory (pop) are its migrations
    config.lint.dialect = url.dialect();
    let mut settings =
        crate::config::run_settings(&config.file.run, config.file.migrations.out_of_order)?;
    if let Some(w) = lock_wait {
        settings.lock_wait = w;
    }
    settings.gate = gate;
    settings.hooks = config.hooks.clone();
    settings.lint = config.lint.clone();
    let mut engine = Engine::new(url, settings);
    if !g.quiet {
        let view = LiveView {
            tty: std::io::stderr().is_terminal(),
            bar: std::sync::Mutex::new(None),
            last_log: std::sync::Mutex::new(None),
        };
        engine = engine.with_progress(move |p| view.show(p));
    }
    Ok(Ctx { engine, config })
}

pub(super) fn load_migrations(
    config: &Config,
    dir: Option<&Path>,
) -> anyhow::Result<Vec<Migration>> {
    let dir = dir.map_or_else(|| config.migrations_dir(), Path::to_path_buf);
    let found = source::discover_for(&dir, config.file.migrations.layout, config.lint.dialect)?;
    for w in &found.warnings {
        eprintln!("warning: {}: {}", w.path.display(), w.message);
    }
    Ok(found.migrations)
}

fn version(raw: &str) -> anyhow::Result<Version> {
    Version::parse_any(raw).with_context(|| {
        format!("`{raw}` is not a migration version (digits, e.g. 20240101120000, or diesel's 2024-01-01-120000)")
    })
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Run a command future until it ends or SIGINT / SIGTERM arrives. On a signal the future
/// is dropped: its connections close, so the server rolls back an open transaction and frees
/// the migration lock; the ledger keeps what statements outside a transaction completed.
pub(super) fn until_signal<T>(
    rt: &tokio::runtime::Runtime,
    fut: impl std::future::Future<Output = Result<T, RunError>>,
) -> Result<T, RunError> {
    rt.block_on(async {
        tokio::select! {
            r = fut => r,
            sig = shutdown_signal() => Err(RunError::Db(format!(
                "interrupted by {sig}: connections closed (an open transaction is rolled back, the migration lock freed); `migrate status` shows what ran"
            ))),
        }
    })
}

pub(super) async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Print a runner error once and give its exit code.
pub(super) fn fail(e: &RunError) -> u8 {
    match e {
        // the apply check's findings, as `migrate lint` prints them
        RunError::Checked(r) => {
            let color = std::io::stderr().is_terminal();
            eprint!("{}", crate::lint::report::human::render(&r.report, color));
            eprintln!("error: {}", r.summary);
        }
        _ => eprintln!("error: {e}"),
    }
    e.exit_code()
}

fn apply_request(args: &ApplyArgs) -> anyhow::Result<ApplyRequest> {
    Ok(ApplyRequest {
        phase: args.phase,
        to: args.to.as_deref().map(version).transpose()?,
        release: args.release.clone(),
        dry_run: args.dry_run,
        no_backfill: args.no_backfill,
    })
}

pub fn apply(g: &Global<'_>, args: &ApplyArgs) -> anyhow::Result<u8> {
    let allow = config::allow_list(
        args.allow.iter().map(String::as_str),
        run::AllowSource::CommandLine,
    )
    .map_err(|e| anyhow::anyhow!("--allow: {e}"))?;
    if let Some(name) = &args.fleet {
        if args.wait.is_some() {
            bail!(
                "--wait is for one database; a fleet's contracts report `waiting` (exit 3) and the next run applies them"
            );
        }
        return super::fleet::apply(
            g,
            super::fleet::FleetApply {
                name,
                dir: args.dir.as_deref(),
                req: apply_request(args)?,
                shard: args.shard.as_deref(),
                run_id: args.run_id.as_deref(),
                lock_wait: args.lock_wait,
                allow,
                format: args.format,
            },
        );
    }
    let mut ctx = context(g, args.lock_wait)?;
    ctx.engine = ctx.engine.allowing(allow);
    let migrations = load_migrations(&ctx.config, args.dir.as_deref())?;
    let req = apply_request(args)?;
    let rt = runtime()?;
    let wait = if args.dry_run {
        Duration::ZERO
    } else {
        args.wait.unwrap_or_default()
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut first = true;
    let polled = run::gates::until_open(
        wait,
        Duration::from_secs(5),
        &stop,
        |out: &ApplyOutcome| !out.waiting.is_empty(),
        || ctx.engine.apply(&migrations, &req),
        |out| {
            // print what ran; the gate is asked again shortly
            for d in &out.done {
                println!(
                    "applied {} {} ({}): {} statements in {} ms",
                    d.version,
                    d.name,
                    d.phase.name(),
                    d.statements,
                    d.duration_ms
                );
            }
            for b in &out.backfills {
                print_backfill(b);
            }
            if first {
                for w in &out.waiting {
                    eprintln!(
                        "waiting up to {} for the gate of {} ({}): {}",
                        humantime::format_duration(wait),
                        w.version,
                        w.phase.name(),
                        w.reason
                    );
                }
            }
            first = false;
        },
    );
    let out = match until_signal(&rt, polled) {
        Ok(o) => o,
        Err(e) => return Ok(fail(&e)),
    };
    if !first && out.done.is_empty() && out.waiting.is_empty() {
        return Ok(exit::OK);
    }
    Ok(render_apply(&out, args.dry_run, ctx.engine.url()))
}

pub fn rollback(g: &Global<'_>, args: &RollbackArgs) -> anyhow::Result<u8> {
    if args.phase == PhaseSel::Backfill {
        bail!(
            "a backfill has no down of its own: roll back its expand (`--phase expand`), which clears the backfill's state"
        );
    }
    let ctx = context(g, args.lock_wait)?;
    // the down SQL stored in the ledger runs; the directory's down scripts serve phases
    // applied without one, so a missing directory is no error here
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| ctx.config.migrations_dir());
    let migrations = if dir.is_dir() {
        load_migrations(&ctx.config, Some(&dir))?
    } else {
        Vec::new()
    };
    let req = RollbackRequest {
        steps: args.steps,
        to: args.to.as_deref().map(version).transpose()?,
        phase: args.phase,
        dry_run: args.dry_run,
    };
    let out = match until_signal(&runtime()?, ctx.engine.rollback(&migrations, &req)) {
        Ok(o) => o,
        Err(e) => return Ok(fail(&e)),
    };
    if args.dry_run {
        println!(
            "-- dry run against {}: nothing was executed",
            ctx.engine.url()
        );
        print_sql(&out.sql);
    } else if out.done.is_empty() {
        println!("nothing to roll back");
    } else {
        for d in &out.done {
            println!(
                "rolled back {} {} ({}): {} statement{} in {} ms",
                d.version,
                d.name,
                d.phase.name(),
                d.statements,
                if d.statements == 1 { "" } else { "s" },
                d.duration_ms
            );
        }
    }
    Ok(exit::OK)
}

pub fn status(g: &Global<'_>, args: &StatusArgs) -> anyhow::Result<u8> {
    if let Some(name) = &args.fleet {
        return super::fleet::status(g, name, args.dir.as_deref(), args.format);
    }
    let ctx = context(g, None)?;
    let migrations = load_migrations(&ctx.config, args.dir.as_deref())?;
    let report = match until_signal(&runtime()?, ctx.engine.status(&migrations)) {
        Ok(r) => r,
        Err(e) => return Ok(fail(&e)),
    };
    match args.format {
        StatusFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        StatusFormat::Human => print!("{}", render_status(&report)),
    }
    Ok(exit::OK)
}

pub fn baseline(g: &Global<'_>, args: &BaselineArgs) -> anyhow::Result<u8> {
    let ctx = context(g, None)?;
    let migrations = load_migrations(&ctx.config, args.dir.as_deref())?;
    let v = version(&args.version)?;
    match until_signal(&runtime()?, ctx.engine.baseline(&migrations, &v)) {
        Ok(h) => {
            for c in &h.changes {
                println!("{c}");
            }
            println!(
                "baseline at {v}: {} phase(s) marked applied",
                h.changes.len()
            );
            Ok(exit::OK)
        }
        Err(e) => Ok(fail(&e)),
    }
}

pub fn repair(g: &Global<'_>, args: &RepairArgs) -> anyhow::Result<u8> {
    let ctx = context(g, None)?;
    let migrations = load_migrations(&ctx.config, args.dir.as_deref())?;
    let v = args.version.as_deref().map(version).transpose()?;
    match until_signal(&runtime()?, ctx.engine.repair(&migrations, v.as_ref())) {
        Ok(h) if h.changes.is_empty() => {
            println!("nothing to repair: no edited applied migration and no failed one");
            Ok(exit::OK)
        }
        Ok(h) => {
            for c in &h.changes {
                println!("repaired {c}");
            }
            Ok(exit::OK)
        }
        Err(e) => Ok(fail(&e)),
    }
}

pub fn purge(g: &Global<'_>, args: &PurgeArgs) -> anyhow::Result<u8> {
    let ctx = context(g, args.lock_wait)?;
    let out = match until_signal(&runtime()?, ctx.engine.purge(args.older_than, args.dry_run)) {
        Ok(o) => o,
        Err(e) => return Ok(fail(&e)),
    };
    let verb = if args.dry_run {
        "would drop"
    } else {
        "dropped"
    };
    for d in &out.dropped {
        println!("{verb} {} {}: {}", d.kind, d.object.display(), d.reason);
        if args.dry_run
            && let Some(sql) = &d.sql
        {
            println!("  {sql};");
        }
    }
    for k in &out.skipped {
        println!("skipped {} {}: {}", k.kind, k.object.display(), k.reason);
    }
    if out.dropped.is_empty() && out.skipped.is_empty() {
        println!(
            "nothing to purge: no soft-dropped column or table in {}",
            ctx.engine.url()
        );
    }
    Ok(exit::OK)
}

pub fn rollout(g: &Global<'_>, cmd: &RolloutCommand) -> anyhow::Result<u8> {
    let RolloutCommand::Complete { release } = cmd;
    let ctx = context(g, None)?;
    match until_signal(&runtime()?, ctx.engine.rollout_complete(release, "cli")) {
        Ok(()) => {
            println!("recorded: rollout of release {release} complete");
            Ok(exit::OK)
        }
        Err(e) => Ok(fail(&e)),
    }
}

pub fn new(config_path: Option<&Path>, args: &NewArgs) -> anyhow::Result<u8> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let config = config::load(config_path, &cwd)?;
    let dir = args.dir.clone().unwrap_or_else(|| config.migrations_dir());
    // pop orders versions as text: a new one is as wide as the widest there
    let (layout, width) = if dir.is_dir() {
        match source::discover_for(&dir, config.file.migrations.layout, config.lint.dialect) {
            Ok(d) if !d.migrations.is_empty() => {
                let width = d.migrations.iter().map(|m| m.version.raw.len()).max();
                (d.layout, width.unwrap_or(0))
            }
            _ => (Layout::Native, 0),
        }
    } else {
        (Layout::Native, 0)
    };
    let v = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let files = source::layout::scaffold::files(&source::layout::scaffold::New {
        dir: &dir,
        layout,
        version: &v,
        name: &args.name,
        phased: args.phased,
        dialect: config.lint.dialect,
        width,
    })
    .map_err(anyhow::Error::msg)?;
    for (path, text) in &files {
        if path.exists() {
            bail!("{}: already exists", path.display());
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create the directory", parent.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))?;
        println!("created {}", path.display());
    }
    Ok(exit::OK)
}
