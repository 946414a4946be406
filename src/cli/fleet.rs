//! `migrate apply --fleet NAME` and `migrate status --fleet NAME`: the fleet from
//! `[fleet.<name>]`, each target through the runner's engine (`run::fleet`); results
//! printed in the fleet's stable order once each command ends, a live view on stderr.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::config::{self, Config};
use crate::run::fleet::{
    Fleet, FleetOutcome, FleetProgress, FleetRequest, Shard, Target, TargetState,
};
use crate::run::{ApplyRequest, RunError};

use super::db::{Global, StatusFormat, fail, load_migrations, runtime, until_signal};
use super::exit;
use super::fleet_out::{render_apply, render_status};

/// What `migrate apply` passes on for a fleet.
pub(super) struct FleetApply<'a> {
    pub(super) name: &'a str,
    pub(super) dir: Option<&'a Path>,
    pub(super) req: ApplyRequest,
    pub(super) shard: Option<&'a str>,
    pub(super) run_id: Option<&'a str>,
    pub(super) lock_wait: Option<Duration>,
    pub(super) allow: Vec<crate::run::Allow>,
    pub(super) format: StatusFormat,
}

/// The fleet and the config, with the runner settings every target's engine gets.
fn fleet(
    g: &Global<'_>,
    name: &str,
    lock_wait: Option<Duration>,
    allow: Vec<crate::run::Allow>,
) -> anyhow::Result<(Config, Fleet)> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let config = config::load(g.config, &cwd)?;
    let Some(mut spec) = config.fleets.get(name).cloned() else {
        let file = config
            .path
            .as_deref()
            .map_or_else(|| config::FILE_NAME.to_owned(), |p| p.display().to_string());
        return Err(anyhow!(
            "no [fleet.{name}] in {file}; {}",
            if config.fleets.is_empty() {
                "it configures no fleet".to_owned()
            } else {
                format!(
                    "its fleets: {}",
                    config.fleets.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        ));
    };
    // the catalog: `catalog_url`, else DATABASE_URL (a Job's secret), else the first target
    if spec.catalog_url.is_none()
        && let Some(u) = g.database_url.filter(|u| !u.trim().is_empty())
    {
        spec.catalog_url = Some(crate::run::url::DbUrl::parse(u)?);
    }
    let gate = config.gate(g.env).map_err(anyhow::Error::msg)?;
    let mut settings = config::run_settings(&config.file.run, config.file.migrations.out_of_order)?;
    if let Some(w) = lock_wait {
        settings.lock_wait = w;
    }
    settings.gate = gate;
    settings.hooks = config.hooks.clone();
    settings.lint = config.lint.clone();
    for a in allow {
        if !settings.allow.iter().any(|b| b.rule == a.rule) {
            settings.allow.push(a);
        }
    }
    Ok((config, Fleet::new(spec, settings)))
}

/// A fleet's targets and the migrations read for their dialect.
type Resolved = (Vec<Target>, Arc<[crate::source::Migration]>);

/// The targets, and the migrations read for their dialect.
fn targets_and_migrations(
    rt: &tokio::runtime::Runtime,
    config: &mut Config,
    fleet: &Fleet,
    dir: Option<&Path>,
) -> anyhow::Result<Result<Resolved, RunError>> {
    let targets = match until_signal(rt, fleet.targets()) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    config.lint.dialect = targets[0].url.dialect();
    let migrations = load_migrations(config, dir)?;
    Ok(Ok((targets, migrations.into())))
}

/// Fleet progress on stderr: a bar of targets on a terminal, lines otherwise.
struct View {
    tty: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl View {
    fn show(&self, p: &FleetProgress) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            FleetProgress::Resolved {
                targets,
                mine,
                waves,
            } => {
                if self.tty {
                    let b = indicatif::ProgressBar::new(*mine as u64);
                    let style = indicatif::ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {pos}/{len} targets, {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    b.set_style(style);
                    b.set_prefix("fleet");
                    *bar = Some(b);
                } else {
                    eprintln!("fleet: {targets} targets in {waves} waves ({mine} here)");
                }
            }
            FleetProgress::WaveStarted {
                pass,
                wave,
                waves,
                targets,
            } => {
                let line = format!(
                    "wave {wave}/{waves} ({pass}): {targets} target{}",
                    if *targets == 1 { "" } else { "s" }
                );
                match bar.as_ref() {
                    Some(b) => {
                        if *wave == 1 {
                            b.set_position(0);
                        }
                        b.set_message(line);
                    }
                    None => eprintln!("{line}"),
                }
            }
            FleetProgress::TargetStarted { .. } => {}
            FleetProgress::TargetFinished { result, .. } => {
                if let Some(b) = bar.as_ref() {
                    b.inc(1);
                }
                if result.state == TargetState::Failed {
                    let line = format!(
                        "failed: {}: {}",
                        result.target,
                        result.error.as_deref().unwrap_or("")
                    );
                    match bar.as_ref() {
                        Some(b) => b.println(line),
                        None => eprintln!("{line}"),
                    }
                }
            }
            FleetProgress::WaveFinished {
                wave,
                waves,
                failed_so_far,
                ..
            } => {
                if bar.is_none() {
                    eprintln!("wave {wave}/{waves} done ({failed_so_far} failed so far)");
                }
            }
            FleetProgress::BarrierWaiting {
                wave,
                shards_done,
                shards,
            } => {
                let line = format!(
                    "wave {wave}: waiting for the other shards ({shards_done} of {shards} done)"
                );
                match bar.as_ref() {
                    Some(b) => b.set_message(line),
                    None => eprintln!("{line}"),
                }
            }
            FleetProgress::Pausing { wave, ms } => {
                let line = format!(
                    "pausing {} after wave {wave}",
                    humantime::format_duration(Duration::from_millis(
                        u64::try_from(*ms).unwrap_or(u64::MAX)
                    ))
                );
                match bar.as_ref() {
                    Some(b) => b.set_message(line),
                    None => eprintln!("{line}"),
                }
            }
            FleetProgress::GateWaiting { wave, why } => {
                let line = format!("after wave {wave}, waiting for the gate: {why}");
                match bar.as_ref() {
                    Some(b) => b.set_message(line),
                    None => eprintln!("{line}"),
                }
            }
        }
    }
}

pub(super) fn apply(g: &Global<'_>, a: FleetApply<'_>) -> anyhow::Result<u8> {
    let (mut config, fleet) = fleet(g, a.name, a.lock_wait, a.allow)?;
    let shard = a
        .shard
        .map(|s| Shard::parse(s, std::env::var("JOB_COMPLETION_INDEX").ok().as_deref()))
        .transpose()
        .map_err(|e| anyhow!("--shard {e}"))?;
    let mut fleet = fleet;
    if !g.quiet {
        let view = View {
            tty: std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        };
        fleet = fleet.with_progress(move |p| view.show(p));
    }
    let rt = runtime()?;
    let (targets, migrations) = match targets_and_migrations(&rt, &mut config, &fleet, a.dir)? {
        Ok(t) => t,
        Err(e) => return Ok(fail(&e)),
    };
    let req = FleetRequest {
        apply: a.req,
        shard,
        run_id: a.run_id.map(str::to_owned),
    };
    let out = match until_signal(&rt, fleet.apply(targets, migrations, &req)) {
        Ok(o) => o,
        Err(e) => return Ok(fail(&e)),
    };
    match a.format {
        StatusFormat::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        StatusFormat::Human => print!("{}", render_apply(&out, req.apply.dry_run)),
    }
    Ok(code(&out))
}

/// 2 when a target failed, 3 when the fleet or a contract waits on a gate, else 0.
fn code(out: &FleetOutcome) -> u8 {
    if out.failed() > 0 {
        exit::ERROR
    } else if out.gate_waiting || out.results().any(|r| r.state == TargetState::Waiting) {
        exit::WAITING
    } else {
        exit::OK
    }
}

pub(super) fn status(
    g: &Global<'_>,
    name: &str,
    dir: Option<&Path>,
    format: StatusFormat,
) -> anyhow::Result<u8> {
    let (mut config, fleet) = fleet(g, name, None, Vec::new())?;
    let rt = runtime()?;
    let (targets, migrations) = match targets_and_migrations(&rt, &mut config, &fleet, dir)? {
        Ok(t) => t,
        Err(e) => return Ok(fail(&e)),
    };
    let report = match until_signal(&rt, fleet.status(&targets, migrations)) {
        Ok(r) => r,
        Err(e) => return Ok(fail(&e)),
    };
    match format {
        StatusFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        StatusFormat::Human => print!("{}", render_status(&report)),
    }
    Ok(exit::OK)
}
