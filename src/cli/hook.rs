//! `migrate hook pre-deploy|post-deploy`: job mode for Kubernetes Jobs, Helm and Argo CD
//! hooks. Exit 0 done (or nothing to do), 3 waiting (run again), else the error's code.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::run::DeployOutcome;

use super::db::{Global, context, fail, load_migrations, parse_duration, runtime, until_signal};
use super::exit;

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Before the new code rolls out: apply expand (then backfill). Idempotent by release.
    PreDeploy(PreArgs),
    /// After it rolled out: record the rollout, then apply contract when its gate holds.
    PostDeploy(PostArgs),
}

#[derive(Debug, Args)]
pub struct PreArgs {
    /// Migrations directory (default from config, else ./migrations).
    dir: Option<PathBuf>,
    /// The release being deployed (image tag, chart revision).
    #[arg(long, value_name = "ID")]
    release: String,
    /// Stop after the phase running at this time (exit 3); the next call continues.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_duration: Option<Duration>,
    /// First prove the pending migrations with `migrate verify` on a scratch database
    /// (`--scratch-url` or `[verify] scratch_url`); nothing is applied unless they are proven.
    #[arg(long)]
    verify: bool,
    /// The scratch server for --verify (default: `[verify] scratch_url` in sluice.toml).
    #[arg(
        long,
        value_name = "URL",
        requires = "verify",
        hide_env_values = true,
        env = "SLUICE_SCRATCH_URL"
    )]
    scratch_url: Option<String>,
    /// Rows generated in each table of the history for --verify (`migrate verify --rows`);
    /// 0: none.
    #[arg(long, value_name = "N", requires = "verify", default_value_t = crate::run::verify::DEFAULT_ROWS)]
    verify_rows: u64,
}

#[derive(Debug, Args)]
pub struct PostArgs {
    /// Migrations directory (default from config, else ./migrations).
    dir: Option<PathBuf>,
    /// The release that finished rolling out.
    #[arg(long, value_name = "ID")]
    release: String,
}

pub fn run(g: &Global<'_>, cmd: &HookCommand) -> anyhow::Result<u8> {
    let (dir, release) = match cmd {
        HookCommand::PreDeploy(a) => (&a.dir, &a.release),
        HookCommand::PostDeploy(a) => (&a.dir, &a.release),
    };
    if release.trim().is_empty() {
        anyhow::bail!("--release is empty: give the release id (image tag, chart revision)");
    }
    let ctx = context(g, None)?;
    let migrations = load_migrations(&ctx.config, dir.as_deref())?;
    let rt = runtime()?;
    let out = match cmd {
        HookCommand::PreDeploy(a) => {
            if a.verify {
                let status = match rt.block_on(ctx.engine.status(&migrations)) {
                    Ok(s) => s,
                    Err(e) => return Ok(fail(&e)),
                };
                let pending = status
                    .migrations
                    .iter()
                    .filter(|m| m.state != "applied" && !m.file_missing)
                    .filter_map(|m| crate::source::Version::parse_any(&m.version))
                    .collect();
                if let Some(code) = super::verify::before_deploy(
                    &ctx.config,
                    a.scratch_url.as_deref(),
                    &migrations,
                    pending,
                    a.verify_rows,
                    g.quiet,
                )? {
                    return Ok(code);
                }
            }
            if let Some(max) = a.max_duration {
                let stop = ctx.engine.stopper();
                std::thread::spawn(move || {
                    std::thread::sleep(max);
                    stop.store(true, Ordering::SeqCst);
                });
            }
            until_signal(&rt, ctx.engine.pre_deploy(&migrations, release))
        }
        HookCommand::PostDeploy(_) => until_signal(
            &rt,
            ctx.engine
                .post_deploy(&migrations, release, "migrate hook post-deploy"),
        ),
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => return Ok(fail(&e)),
    };
    Ok(render(cmd, &out))
}

fn render(cmd: &HookCommand, o: &DeployOutcome) -> u8 {
    let what = match cmd {
        HookCommand::PreDeploy(_) => "pre-deploy",
        HookCommand::PostDeploy(_) => "post-deploy",
    };
    if o.already_done {
        println!(
            "{what} of release {}: already done, nothing to do",
            o.release
        );
        return exit::OK;
    }
    if o.recorded_rollout {
        println!("recorded: rollout of release {} complete", o.release);
    }
    for d in &o.apply.done {
        println!(
            "applied {} {} ({}): {} statements in {} ms",
            d.version,
            d.name,
            d.phase.name(),
            d.statements,
            d.duration_ms
        );
    }
    if o.apply.stopped {
        println!(
            "{what} of release {}: not finished within --max-duration; the remaining phases are pending. Run the same command again to continue",
            o.release
        );
        return exit::WAITING;
    }
    for w in &o.apply.waiting {
        println!(
            "waiting: {} {} ({}): {}",
            w.version,
            w.name,
            w.phase.name(),
            w.reason
        );
    }
    if !o.apply.waiting.is_empty() {
        println!(
            "{what} of release {}: waiting on the contract gate; run the same command again later (exit 3)",
            o.release
        );
        return exit::WAITING;
    }
    if o.apply.done.is_empty() {
        println!("{what} of release {}: nothing to apply", o.release);
    } else {
        println!("{what} of release {}: done", o.release);
    }
    exit::OK
}
