//! `zdt-bench`: the zero-downtime benchmark (issue #6 points 4 and 5, issue #8 point 4).
//!
//! Builds a table of N rows on a real PostgreSQL or MariaDB, runs an application load against it, applies
//! each change of the change set the naive way and the Sluice way (`migrate plan` + `migrate
//! apply`), and reports stalls, latency percentiles and failed queries per change and mode.
//! `--mode backfill` compares Sluice's batched backfill with one `UPDATE` of the whole table.
//!
//! A benchmark binary, not part of the library: it opens connections and prints freely.

#![allow(clippy::print_stdout, clippy::print_stderr)]
// figures are whole milliseconds and counts: exact comparison is meant
#![allow(clippy::float_cmp)]

mod changes;
mod chart;
mod db;
mod load;
mod monitor;
mod report;
mod scenario;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use crate::changes::Change;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Each change of the change set, naive against Sluice.
    Changes,
    /// Sluice's batched backfill against one UPDATE of the whole table.
    Backfill,
    /// Both.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Short phases around each migration, for smoke tests.
    Small,
    /// Phases long enough to see the load settle before and after.
    Normal,
}

#[derive(Debug, Parser)]
#[command(
    name = "zdt-bench",
    about = "Zero-downtime benchmark: naive DDL against migrate plan + migrate apply under load"
)]
pub struct Args {
    /// Admin URL of the server: postgres://... or mysql:// / mariadb://... (MariaDB); scratch
    /// databases are created next to it.
    #[arg(
        long,
        env = "ZDT_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// Rows in `accounts`.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u32,
    /// Concurrent application clients (one connection each).
    #[arg(long, default_value_t = 8)]
    pub clients: u32,
    /// Total target rate of the application load, queries per second.
    #[arg(long, default_value_t = 400.0)]
    pub rate: f64,
    /// Runs per change and mode (median and spread are reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
    /// Length of the phases around each migration (warm-up, rollout window, cool-down).
    #[arg(long, value_enum, default_value_t = Scale::Normal)]
    pub duration_scale: Scale,
    #[arg(long, value_enum, default_value_t = Mode::Changes)]
    pub mode: Mode,
    /// Run only the Sluice side of each change (no naive runs), e.g. to compare Sluice
    /// before and after a runner change.
    #[arg(long)]
    pub sluice_only: bool,
    /// Only these changes (comma-separated; default: all).
    #[arg(long, value_delimiter = ',', value_enum)]
    pub changes: Vec<Change>,
    /// Directory for results.json and one SVG chart per change.
    #[arg(long, default_value = "zdt-results")]
    pub out: PathBuf,
    /// What-if: set `target_batch_time` of every backfill.toml the planner writes (and of the
    /// backfill mode's) to this, e.g. 25ms. Default: the planner's own.
    #[arg(long, value_name = "DURATION", value_parser = parse_batch_time)]
    pub backfill_batch_time: Option<String>,
    /// What-if: set `pause` (the sleep between batches) of every backfill.toml the planner
    /// writes (and of the backfill mode's) to this, e.g. 0ms. Default: the planner's own.
    #[arg(long, value_name = "DURATION", value_parser = parse_batch_time)]
    pub backfill_pause: Option<String>,
    /// What-if (MariaDB): `[run] osc_chunk_time` of the runs, pt-online-schema-change's
    /// `--chunk-time`, e.g. 500ms (its own default). Default: Sluice's.
    #[arg(long, value_name = "DURATION", value_parser = parse_batch_time)]
    pub osc_chunk_time: Option<String>,
    /// `[plan] rename_column` of the runs (PostgreSQL): `view` renames a column through a
    /// view instead of a copy. Default: the planner's own (copy).
    #[arg(long, value_name = "HOW", value_parser = ["copy", "view"])]
    pub rename_column: Option<String>,
    /// The `migrate` binary (default: next to this one).
    #[arg(long, value_name = "PATH")]
    pub migrate: Option<PathBuf>,
}

/// A duration as `backfill.toml` takes it (checked here, written back as given).
fn parse_batch_time(s: &str) -> Result<String, String> {
    sluice_core::duration::parse_duration(s)?;
    Ok(s.trim().to_owned())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZDT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    // ids are `int`, and the load inserts above the loaded rows
    if !(100..=1_000_000_000).contains(&args.rows) {
        anyhow::bail!(
            "--rows must be between 100 and 1000000000 (got {})",
            args.rows
        );
    }
    if args.clients == 0 || !(args.rate > 0.0 && args.rate.is_finite()) {
        anyhow::bail!("--clients must be at least 1 and --rate positive");
    }
    if args.repeat == 0 {
        anyhow::bail!("--repeat must be at least 1");
    }
    let migrate = if let Some(p) = &args.migrate {
        p.clone()
    } else {
        let exe = std::env::current_exe()?;
        exe.with_file_name(format!("migrate{}", std::env::consts::EXE_SUFFIX))
    };
    if !migrate.is_file() {
        anyhow::bail!(
            "no migrate binary at {}: build it (cargo build --bin migrate) or pass --migrate PATH",
            migrate.display()
        );
    }
    std::fs::create_dir_all(&args.out)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let results = rt.block_on(scenario::run_all(args, &migrate))?;
    let json = serde_json::to_string_pretty(&results)?;
    let path = args.out.join("results.json");
    std::fs::write(&path, json + "\n")?;
    for c in &results.changes {
        chart::write(&args.out, c)?;
    }
    print!("{}", report::table(&results));
    println!("results: {}", path.display());
    Ok(())
}
