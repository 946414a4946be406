//! The database commands: `apply`, `rollback`, `status`, `baseline`, `repair`,
//! `rollout complete`, and `new` (files only). The engine in `crate::run` does the work;
//! this file resolves settings, prints results and maps outcomes to exit codes.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::run::url::DbUrl;
use crate::run::{
    self, ApplyOutcome, ApplyRequest, Engine, PhaseSel, Progress, RollbackRequest, RunError,
    StatusReport,
};
use crate::source::{self, Layout, Migration, Version};

use super::exit;

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

/// Progress on stderr (stdout stays the result): lines and a backfill progress bar on a
/// terminal; otherwise backfill progress as `tracing` lines every few seconds.
struct LiveView {
    tty: bool,
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    last_log: std::sync::Mutex<Option<std::time::Instant>>,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

impl LiveView {
    fn show(&self, p: &Progress) {
        if self.tty {
            self.show_tty(p);
        } else {
            self.log(p);
        }
    }

    fn show_tty(&self, p: &Progress) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            Progress::BackfillStarted {
                version,
                name,
                table,
                estimated_rows,
                rows_done,
                resumed_at,
            } => {
                if let Some(k) = resumed_at {
                    eprintln!("{version} {name} (backfill of {table}): resuming at key {k}");
                }
                let b = indicatif::ProgressBar::new(estimated_rows.unwrap_or(0).max(*rows_done));
                let style = indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {human_pos}/{human_len} rows, {msg}, ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
                b.set_style(style);
                b.set_prefix(format!("{version} {name} (backfill of {table})"));
                b.set_position(*rows_done);
                b.reset_eta();
                *bar = Some(b);
            }
            Progress::BackfillBatch {
                rows_done,
                rows_per_s,
                ..
            } => {
                if let Some(b) = bar.as_ref() {
                    if b.length().is_some_and(|l| l < *rows_done) {
                        b.set_length(*rows_done);
                    }
                    b.set_position(*rows_done);
                    b.set_message(format!("{rows_per_s:.0} rows/s"));
                }
            }
            Progress::BackfillThrottled { lag_ms, max_ms, .. } => {
                if let Some(b) = bar.as_ref() {
                    b.set_message(format!("paused: replica lag {lag_ms} ms > {max_ms} ms"));
                }
            }
            Progress::BackfillFinished { .. } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            other => match bar.as_ref() {
                Some(b) => b.suspend(|| print_progress(other)),
                None => print_progress(other),
            },
        }
    }

    /// Not a terminal: backfill progress as log lines, at most one per LOG_EVERY.
    fn log(&self, p: &Progress) {
        match p {
            Progress::BackfillStarted {
                version,
                table,
                estimated_rows,
                rows_done,
                resumed_at,
                ..
            } => {
                tracing::info!(
                    version,
                    table,
                    estimated_rows,
                    rows_done,
                    resumed_at,
                    "backfill started"
                );
            }
            Progress::BackfillBatch {
                version,
                rows_done,
                batches,
                batch_size,
                rows_per_s,
                estimated_rows,
            } => {
                let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
                let now = std::time::Instant::now();
                if last.is_none_or(|t| now.duration_since(t) >= LOG_EVERY) {
                    *last = Some(now);
                    let eta_s = estimated_rows
                        .filter(|t| *t > *rows_done && *rows_per_s > 0.0)
                        .map(|t| ((t - rows_done) as f64 / rows_per_s).round() as u64);
                    tracing::info!(
                        version,
                        rows_done,
                        batches,
                        batch_size,
                        rows_per_s = rows_per_s.round() as u64,
                        estimated_rows,
                        eta_s,
                        "backfill progress"
                    );
                }
            }
            Progress::BackfillThrottled {
                version,
                lag_ms,
                max_ms,
            } => {
                tracing::info!(version, lag_ms, max_ms, "backfill paused: replica lag");
            }
            Progress::Tool {
                version,
                tool,
                table,
                percent,
                line,
            } => {
                // copy percentages at most once per LOG_EVERY; every other line as it comes
                if percent.is_some() {
                    let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
                    let now = std::time::Instant::now();
                    if last.is_some_and(|t| now.duration_since(t) < LOG_EVERY)
                        && *percent != Some(100)
                    {
                        return;
                    }
                    *last = Some(now);
                }
                tracing::info!(version, tool, table, percent, "{line}");
            }
            Progress::BackfillFinished {
                version,
                rows_done,
                batches,
                duration_ms,
            } => {
                let duration_ms = *duration_ms as u64;
                tracing::info!(
                    version,
                    rows_done,
                    batches,
                    duration_ms,
                    "backfill finished"
                );
            }
            _ => {}
        }
    }
}

/// The live view's lines on a terminal.
fn print_progress(p: &Progress) {
    match p {
        Progress::LockWaiting { holder } => eprintln!(
            "waiting for the migration lock{}",
            holder.map_or_else(String::new, |h| format!(" (held by session {h})"))
        ),
        Progress::PhaseStarted {
            version,
            name,
            phase,
            statements,
            transactional,
        } => eprintln!(
            "{version} {name} ({}): {statements} statement{}{}",
            phase.name(),
            if *statements == 1 { "" } else { "s" },
            if *transactional {
                ", one transaction"
            } else {
                ", one by one"
            }
        ),
        Progress::Statement {
            index, total, line, ..
        } => eprintln!("  statement {index}/{total} (line {line})"),
        Progress::Retrying {
            attempt, delay_ms, ..
        } => eprintln!("  lock timeout: retry {attempt} in {delay_ms} ms"),
        Progress::Tool {
            tool, table, line, ..
        } => eprintln!("  {tool} ({table}): {line}"),
        Progress::BackfillStarted { .. }
        | Progress::BackfillBatch { .. }
        | Progress::BackfillThrottled { .. }
        | Progress::BackfillFinished { .. } => {}
    }
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
    eprintln!("error: {e}");
    e.exit_code()
}

fn print_sql(sql: &[String]) {
    let mut out = String::new();
    for s in sql {
        if s.starts_with("-- ") {
            let _ = writeln!(out, "\n{s}");
        } else {
            let _ = writeln!(out, "{};", s.trim_end().trim_end_matches(';'));
        }
    }
    print!("{out}");
}

pub fn apply(g: &Global<'_>, args: &ApplyArgs) -> anyhow::Result<u8> {
    let ctx = context(g, args.lock_wait)?;
    let migrations = load_migrations(&ctx.config, args.dir.as_deref())?;
    let req = ApplyRequest {
        phase: args.phase,
        to: args.to.as_deref().map(version).transpose()?,
        release: args.release.clone(),
        dry_run: args.dry_run,
        no_backfill: args.no_backfill,
    };
    let rt = runtime()?;
    let deadline = std::time::Instant::now() + args.wait.unwrap_or_default();
    let mut first = true;
    loop {
        let out = match until_signal(&rt, ctx.engine.apply(&migrations, &req)) {
            Ok(o) => o,
            Err(e) => return Ok(fail(&e)),
        };
        let now = std::time::Instant::now();
        if out.waiting.is_empty() || args.dry_run || now >= deadline {
            if !first && out.done.is_empty() && out.waiting.is_empty() {
                return Ok(exit::OK);
            }
            return Ok(render_apply(&out, args.dry_run, ctx.engine.url()));
        }
        // print what ran; poll the gate again shortly
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
                    humantime::format_duration(args.wait.unwrap_or_default()),
                    w.version,
                    w.phase.name(),
                    w.reason
                );
            }
        }
        first = false;
        std::thread::sleep(Duration::from_secs(5).min(deadline - now));
    }
}

fn print_backfills(out: &ApplyOutcome, version: &str) {
    for b in out.backfills.iter().filter(|b| b.version == version) {
        print_backfill(b);
    }
}

fn print_backfill(b: &run::BackfillDone) {
    let resumed = b.resumed_at.as_ref().map_or_else(String::new, |k| {
        format!(", resumed at key {k} ({} rows in all)", b.rows_total)
    });
    println!(
        "backfilled {} {} (table {}): {} row{} in {} batch{} in {} ms{}{}",
        b.version,
        b.name,
        b.table,
        b.rows,
        if b.rows == 1 { "" } else { "s" },
        b.batches,
        if b.batches == 1 { "" } else { "es" },
        b.duration_ms,
        resumed,
        if b.vacuumed {
            ", then VACUUM (ANALYZE)"
        } else {
            ""
        }
    );
}

fn render_apply(out: &ApplyOutcome, dry_run: bool, url: &DbUrl) -> u8 {
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    if dry_run {
        println!("-- dry run against {url}: nothing was executed");
        print_sql(&out.sql);
    } else {
        for d in &out.done {
            let resumed = if d.resumed_from > 0 {
                format!(", continued after statement {}", d.resumed_from)
            } else {
                String::new()
            };
            println!(
                "applied {} {} ({}): {} statement{} in {} ms{}",
                d.version,
                d.name,
                d.phase.name(),
                d.statements,
                if d.statements == 1 { "" } else { "s" },
                d.duration_ms,
                resumed
            );
            if d.phase == crate::source::Phase::Expand {
                print_backfills(out, &d.version);
            }
        }
        // backfills of migrations whose expand ran earlier
        for b in &out.backfills {
            if !out
                .done
                .iter()
                .any(|d| d.version == b.version && d.phase == crate::source::Phase::Expand)
            {
                print_backfill(b);
            }
        }
        if out.done.is_empty() && out.backfills.is_empty() && out.waiting.is_empty() {
            println!("nothing to apply: {url} is up to date");
        }
    }
    for w in &out.waiting {
        println!(
            "waiting: {} {} ({}): {}",
            w.version,
            w.name,
            w.phase.name(),
            w.reason
        );
    }
    if out.waiting.is_empty() {
        exit::OK
    } else {
        exit::WAITING
    }
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

fn render_status(r: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "database: {}", r.database);
    if !r.ledger_exists {
        let _ = writeln!(out, "ledger: not created yet (the first apply creates it)");
    }
    let wv = r
        .migrations
        .iter()
        .map(|e| e.version.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let wn = r
        .migrations
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:wv$}  {:wn$}  {:8}  STATE",
        "VERSION", "NAME", "PHASE"
    );
    let mut shown = std::collections::BTreeSet::new();
    for (i, e) in r.migrations.iter().enumerate() {
        let mut state = e.state.clone();
        match e.state.as_str() {
            "applied" => {
                if let Some(t) = e.finished_at {
                    let _ = write!(state, " {}", t.format("%Y-%m-%d %H:%M:%S UTC"));
                }
                if let Some(rel) = &e.release {
                    let _ = write!(state, " release {rel}");
                }
            }
            "failed" | "running" => {
                let _ = write!(
                    state,
                    ": {} of {} statements done",
                    e.statements_done.unwrap_or(0),
                    e.statements_total.unwrap_or(0)
                );
                if let Some(err) = &e.error {
                    let first = err.lines().next().unwrap_or("");
                    let _ = write!(state, "; {first}");
                }
            }
            _ => {}
        }
        if e.drifted {
            let _ = write!(
                state,
                " | EDITED since applied: ledger checksum {}, file checksum {} (`migrate repair`)",
                e.ledger_checksum.as_deref().unwrap_or("?"),
                e.file_checksum.as_deref().unwrap_or("?")
            );
        }
        if e.file_missing {
            state.push_str(" | no file for it in the migrations directory");
        }
        let _ = writeln!(
            out,
            "{:wv$}  {:wn$}  {:8}  {}",
            e.version,
            e.name,
            e.phase.name(),
            state
        );
        // a version's backfill sits between its expand and its contract
        let next_same = r
            .migrations
            .get(i + 1)
            .is_some_and(|n| n.version == e.version);
        if e.phase == crate::source::Phase::Expand || !next_same {
            for b in r.backfills.iter().filter(|b| b.version == e.version) {
                if shown.contains(&b.version) {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "{:wv$}  {:wn$}  {:8}  {}",
                    b.version,
                    b.name,
                    "backfill",
                    backfill_state(b)
                );
                shown.insert(b.version.clone());
            }
        }
    }
    for b in r.backfills.iter().filter(|b| !shown.contains(&b.version)) {
        let _ = writeln!(
            out,
            "{:wv$}  {:wn$}  {:8}  {}",
            b.version,
            b.name,
            "backfill",
            backfill_state(b)
        );
    }
    let rollouts: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.kind == run::ledger::EVENT_ROLLOUT)
        .collect();
    if let Some(last) = rollouts.last() {
        let _ = writeln!(
            out,
            "last rollout completed: release {} at {}",
            last.release.as_deref().unwrap_or("?"),
            last.at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    out
}

fn backfill_state(b: &run::BackfillStatus) -> String {
    let mut s = b.state.clone();
    if b.state != "pending" {
        let _ = write!(
            s,
            ": {} row{} in {} batch{}",
            b.rows_done,
            if b.rows_done == 1 { "" } else { "s" },
            b.batches,
            if b.batches == 1 { "" } else { "es" }
        );
    }
    match b.state.as_str() {
        "applied" => {
            if let Some(t) = b.finished_at {
                let _ = write!(s, ", finished {}", t.format("%Y-%m-%d %H:%M:%S UTC"));
            }
        }
        "running" | "failed" => {
            if let Some(k) = &b.last_key {
                let _ = write!(s, ", last key {k}");
            }
            if let Some(err) = &b.error {
                let _ = write!(s, "; {}", err.lines().next().unwrap_or(""));
            }
        }
        _ => {}
    }
    if b.path.is_none() {
        s.push_str(" | no backfill.toml for it in the migrations directory");
    }
    s
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
    let name: String = args
        .name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.trim_matches('_').is_empty() {
        bail!(
            "`{}`: give the migration a name with letters or digits",
            args.name
        );
    }
    if args.phased && layout != Layout::Native {
        bail!(
            "{}: --phased needs the native layout (directories with expand/contract scripts); this directory uses {}",
            dir.display(),
            layout.name()
        );
    }
    let v = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let header = |what: &str| format!("-- {what}\n");
    match layout {
        Layout::Native => {
            let d = dir.join(format!("{v}_{name}"));
            files.push((
                d.join("expand.up.sql"),
                header(
                    "expand: additive, backward compatible (runs before the new code rolls out)",
                ),
            ));
            files.push((d.join("expand.down.sql"), header("undo expand.up.sql")));
            if args.phased {
                files.push((
                    d.join("contract.up.sql"),
                    header("contract: remove and restrict (runs after the rollout completed)"),
                ));
                files.push((d.join("contract.down.sql"), header("undo contract.up.sql")));
            }
        }
        Layout::Flyway => {
            files.push((dir.join(format!("V{v}__{name}.sql")), String::new()));
            files.push((dir.join(format!("U{v}__{name}.sql")), String::new()));
        }
        Layout::Dbmate => files.push((
            dir.join(format!("{v}_{name}.sql")),
            "-- migrate:up\n\n-- migrate:down\n".into(),
        )),
        Layout::Goose => files.push((
            dir.join(format!("{v}_{name}.sql")),
            "-- +goose Up\n\n-- +goose Down\n".into(),
        )),
        Layout::Diesel => {
            let d = dir.join(format!("{v}_{name}"));
            files.push((d.join("up.sql"), String::new()));
            files.push((d.join("down.sql"), String::new()));
        }
        Layout::Pop => {
            let d = source::layout::pop_dialect(config.lint.dialect);
            let v = format!("{v:0<width$}");
            files.push((dir.join(format!("{v}_{name}.{d}.up.sql")), String::new()));
            files.push((dir.join(format!("{v}_{name}.{d}.down.sql")), String::new()));
        }
        Layout::Sqlx | Layout::GolangMigrate | Layout::Plain => {
            files.push((dir.join(format!("{v}_{name}.up.sql")), String::new()));
            files.push((dir.join(format!("{v}_{name}.down.sql")), String::new()));
        }
    }
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
