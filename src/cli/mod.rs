//! The `migrate` command line: flags parsed into resolved settings, one `run` returning an
//! exit code, errors printed once. The only module that prints.

mod canon;
mod code;
pub mod completions;
mod db;
mod fleet;
mod fleet_out;
mod gate;
mod git;
mod hook;
mod lint;
mod live;
mod lsp;
mod plan;
mod plan_out;
mod render;
mod replay_cache;
mod rules;
mod serve;
mod verify;
mod verify_out;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes (cli.md): 0 ok, 1 findings / refused, 2 usage, config, input or database
/// error, 3 waiting on a gate.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const ERROR: u8 = 2;
    pub const WAITING: u8 = 3;
}

#[derive(Debug, Parser)]
#[allow(clippy::doc_markdown)] // doc comments are --help text: backticks would print
#[command(
    name = "migrate",
    version,
    about = "Sluice: zero-downtime database migrations by construction",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// Config file (default: `sluice.toml` in this directory or the nearest parent).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// More log output (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors in the log.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Log line format (logs go to stderr).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Colour in human output: auto = only on a terminal and when NO_COLOR is unset.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Database URL: postgres://user@host:5432/db or mysql://user@host:3306/db. Never
    /// printed with its password.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database_url: Option<String>,
    /// Deployment environment: picks `[gates.<ENV>]` in sluice.toml (default: `[gates.default]`,
    /// else the `recorded` gate alone).
    #[arg(long, global = true, env = "SLUICE_ENV", value_name = "ENV")]
    env: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lint migrations: files, directories, or `-` for stdin.
    Lint(lint::LintArgs),
    /// List the lint rules.
    Rules(rules::RulesArgs),
    /// Print one rule's documentation.
    Explain(rules::ExplainArgs),
    /// Write the zero-downtime (expand / backfill / contract) version of a naive migration.
    Plan(plan::PlanArgs),
    /// Apply pending migration phases (expand by default).
    Apply(db::ApplyArgs),
    /// Roll back applied phases with the down SQL stored when they ran.
    Rollback(db::RollbackArgs),
    /// Versions by phase with their state: pending, applied, failed, edited.
    Status(db::StatusArgs),
    /// Mark migrations up to a version applied without running them.
    Baseline(db::BaselineArgs),
    /// Accept edited checksums of applied migrations, clear failed states (logged).
    #[command(disable_version_flag = true)]
    Repair(db::RepairArgs),
    /// Rollout events (the `recorded` contract gate).
    #[command(subcommand)]
    Rollout(db::RolloutCommand),
    /// Create a new migration in the migrations directory.
    New(db::NewArgs),
    /// Contract gates: each gate's verdict and why.
    #[command(subcommand)]
    Gate(gate::GateCommand),
    /// Job mode for Kubernetes Jobs, Helm and Argo CD hooks.
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// HTTP server for deployment controllers (Flagger, Argo Rollouts, Spinnaker).
    Serve(serve::ServeArgs),
    /// Prove on a scratch database that every down restores the schema and that the old and
    /// new application's queries prepare at every phase.
    Verify(verify::VerifyArgs),
    /// Drop soft-dropped columns and tables (`_sluice_dropped_*`) whose contract is old enough.
    Purge(db::PurgeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Language server over stdio: lint diagnostics, rule docs and fixes in the editor.
    Lsp(lsp::LspArgs),
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(&cli);
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let g = db::Global {
        config: cli.config.as_deref(),
        database_url: cli.database_url.as_deref(),
        quiet: cli.quiet,
        env: cli.env.as_deref(),
    };
    match &cli.command {
        Command::Lint(args) => lint::run(cli.config.as_deref(), args, color),
        Command::Rules(args) => rules::list(args),
        Command::Explain(args) => rules::explain(args),
        Command::Plan(args) => plan::run(cli.config.as_deref(), args),
        Command::Apply(args) => db::apply(&g, args),
        Command::Rollback(args) => db::rollback(&g, args),
        Command::Status(args) => db::status(&g, args),
        Command::Baseline(args) => db::baseline(&g, args),
        Command::Repair(args) => db::repair(&g, args),
        Command::Rollout(cmd) => db::rollout(&g, cmd),
        Command::New(args) => db::new(cli.config.as_deref(), args),
        Command::Gate(cmd) => gate::run(&g, cmd),
        Command::Hook(cmd) => hook::run(&g, cmd),
        Command::Serve(args) => serve::run(&g, args),
        Command::Purge(args) => db::purge(&g, args),
        Command::Verify(args) => verify::run(cli.config.as_deref(), cli.quiet, args),
        Command::Completions(args) => completions::run(args),
        Command::Lsp(args) => lsp::run(cli.config.as_deref(), args),
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    // sqlx logs statements (and slow ones as warnings): our own events say what ran
    let filter = EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},sqlx=error")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match cli.log_format {
        LogFormat::Text => builder.without_time().try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
