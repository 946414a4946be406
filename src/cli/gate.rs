//! `migrate gate check`: every gate's verdict and why; exit 0 when it holds, 3 when waiting.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};

use anyhow::Context as _;

use crate::config;
use crate::run::{GateReport, PhaseSel, gates};

use super::db::{Global, context, fail, load_migrations, parse_duration, runtime, until_signal};
use super::exit;

#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// Ask every gate of the environment and print its verdict and why.
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GateFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Migrations directory (default from config, else ./migrations).
    dir: Option<PathBuf>,
    /// The gated phase (only contract has a gate).
    #[arg(long, value_enum, default_value_t = PhaseSel::Contract)]
    phase: PhaseSel,
    /// Poll for up to this long until the gate holds, instead of exiting 3 at once.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    wait: Option<Duration>,
    #[arg(long, value_enum, default_value_t = GateFormat::Human)]
    format: GateFormat,
}

pub fn run(g: &Global<'_>, cmd: &GateCommand) -> anyhow::Result<u8> {
    let GateCommand::Check(args) = cmd;
    if args.phase != PhaseSel::Contract {
        anyhow::bail!("only the contract phase has a gate: use `--phase contract`");
    }
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let config = config::load(g.config, &cwd)?;
    let gate = config.gate(g.env).map_err(anyhow::Error::msg)?;
    // without a `recorded` leaf the gate needs no database
    let db = if gate.has_recorded() {
        let ctx = context(g, None)?;
        let migrations = load_migrations(&ctx.config, args.dir.as_deref())?;
        Some((ctx, migrations))
    } else {
        None
    };
    let rt = runtime()?;
    let deadline = Instant::now() + args.wait.unwrap_or_default();
    loop {
        let report = if let Some((ctx, migrations)) = &db {
            match until_signal(&rt, ctx.engine.gate_check(migrations)) {
                Ok(r) => r,
                Err(e) => return Ok(fail(&e)),
            }
        } else {
            let verdict = rt.block_on(gates::evaluate(&gate));
            GateReport {
                contract: None,
                holds: verdict.holds,
                verdict,
                waiting: Vec::new(),
            }
        };
        let now = Instant::now();
        if report.holds || now >= deadline {
            match args.format {
                GateFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                GateFormat::Human => print!("{}", render(&report, g.env)),
            }
            return Ok(if report.holds {
                exit::OK
            } else {
                exit::WAITING
            });
        }
        std::thread::sleep(Duration::from_secs(5).min(deadline - now));
    }
}

fn render(r: &GateReport, env: Option<&str>) -> String {
    let mut out = String::new();
    let env = env.map_or_else(String::new, |e| format!(" (environment {e})"));
    let what = r.contract.as_ref().map_or_else(
        || "the newest applied expand (no contract ready to judge)".to_owned(),
        |v| format!("contract {v}"),
    );
    let _ = writeln!(
        out,
        "gate{env} for {what}: {}",
        if r.holds { "holds" } else { "waiting" }
    );
    for (depth, v) in r.verdict.flatten() {
        let _ = writeln!(
            out,
            "{}{} {}: {}",
            "  ".repeat(depth + 1),
            if v.holds { "yes" } else { "no " },
            v.gate,
            v.why
        );
    }
    for w in r
        .waiting
        .iter()
        .filter(|w| Some(&w.version) != r.contract.as_ref())
    {
        let _ = writeln!(
            out,
            "waiting: {} {} ({}): {}",
            w.version,
            w.name,
            w.phase.name(),
            w.reason
        );
    }
    out
}
