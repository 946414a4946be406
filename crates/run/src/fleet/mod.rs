//! Fleets: one change applied to many databases (or PostgreSQL schemas) in waves.
//!
//! A fleet run resolves its targets (`targets.rs`), cuts them into waves (`waves.rs`: a
//! canary, then counts or percentages of the rest), and runs the one apply engine,
//! [`Engine`], on each target of a wave with bounded concurrency. When the failures pass
//! the error budget, the fleet stops at the end of the running wave: targets already done
//! stay done, later waves are not touched, and running the fleet again resumes (each
//! target's own ledger says what is left). With `--shard I/N` a process takes the I-th of
//! N round-robin slices of every wave and meets the other shards at the end of each wave
//! (`barrier.rs`). `status.rs` reads every target's ledger into one table.
//!
//! `--phase all` runs as two passes over the waves, expands (and backfills) first, then
//! contracts: no target contracts before every target expanded, and each contract still
//! waits for its gate like a single database's.

mod barrier;
mod status;
mod targets;
mod waves;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use sluice_core::source::Migration;

use super::gates::{self, Gate};
use super::url::DbUrl;
use super::{ApplyRequest, Engine, PhaseSel, RunError, Settings};

pub use barrier::{TABLE as BARRIER_TABLE, create_sql as barrier_create_sql};
pub use status::{FleetStatus, TargetStatus};
pub use targets::{COMMAND_TIMEOUT, Source, Target};
pub use waves::{Budget, Shard, WaveSize, waves};

/// A fleet as configured (`[fleet.<name>]`, typed by the CLI's config).
#[derive(Debug, Clone)]
pub struct FleetSpec {
    pub name: String,
    pub source: Source,
    /// Where `query` runs, and where shards meet (else the first target). The CLI fills it
    /// from DATABASE_URL when the file leaves it out.
    pub catalog_url: Option<DbUrl>,
    /// Schema-per-tenant: the targets are schemas of this PostgreSQL database.
    pub schemas_in: Option<DbUrl>,
    pub waves: Vec<WaveSize>,
    /// Targets migrated at once (per process).
    pub concurrency: usize,
    pub max_failures: Budget,
    /// Between two waves.
    pub pause: Duration,
    /// Asked between two waves (after the pause): the next wave starts when it holds.
    pub gate: Option<Gate>,
    /// How long the fleet waits for `gate` before it stops (exit 3).
    pub gate_timeout: Duration,
    /// How long a shard waits for the others at the end of a wave.
    pub barrier_timeout: Duration,
}

impl FleetSpec {
    /// The defaults of a fleet with these targets: a canary, then the rest, 4 at a time,
    /// no failure tolerated.
    pub fn new(name: impl Into<String>, source: Source) -> FleetSpec {
        FleetSpec {
            name: name.into(),
            source,
            catalog_url: None,
            schemas_in: None,
            waves: vec![WaveSize::Count(1), WaveSize::Percent(100)],
            concurrency: 4,
            max_failures: Budget::Count(0),
            pause: Duration::ZERO,
            gate: None,
            gate_timeout: Duration::from_secs(3600),
            barrier_timeout: Duration::from_secs(3600),
        }
    }
}

/// What `migrate apply --fleet` asks.
#[derive(Debug, Clone)]
pub struct FleetRequest {
    /// What each target's engine is asked (`--phase all`: two passes, see the module doc).
    pub apply: ApplyRequest,
    pub shard: Option<Shard>,
    /// Names this attempt in the wave barrier (shards only).
    pub run_id: Option<String>,
}

/// How one target's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    /// Phases ran.
    Applied,
    /// Nothing was pending.
    Current,
    /// A contract waits for its gate.
    Waiting,
    Failed,
    /// Not run: the fleet was asked to stop.
    Stopped,
}

impl TargetState {
    pub fn name(self) -> &'static str {
        match self {
            TargetState::Applied => "applied",
            TargetState::Current => "up to date",
            TargetState::Waiting => "waiting",
            TargetState::Failed => "failed",
            TargetState::Stopped => "stopped",
        }
    }
}

/// One target of a wave.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    /// The redacted URL (`#schema` for a schema target).
    pub target: String,
    /// Its place in the fleet's stable order.
    pub index: usize,
    pub state: TargetState,
    /// Phases applied.
    pub phases: usize,
    pub backfills: usize,
    /// Why contracts wait.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u128,
    /// `--dry-run`: the SQL it would send.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sql: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaveOutcome {
    /// `expand`, `backfill` or `contract` (`--phase all` is an expand pass, then a contract pass).
    pub pass: String,
    /// From 1.
    pub wave: usize,
    pub waves: usize,
    /// This process's targets of the wave, in the stable order.
    pub targets: Vec<TargetResult>,
    /// Failed targets of the fleet so far (every shard's).
    pub failed_so_far: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FleetOutcome {
    pub fleet: String,
    /// Every target of the fleet (all shards).
    pub targets: usize,
    pub shard: Option<Shard>,
    pub failures_allowed: usize,
    pub waves: Vec<WaveOutcome>,
    /// Why the fleet stopped before its last wave.
    pub stopped: Option<String>,
    /// The gate between waves did not hold in time (exit 3).
    pub gate_waiting: bool,
    /// The most targets this process ran at once.
    pub max_concurrent: usize,
}

impl FleetOutcome {
    pub fn results(&self) -> impl Iterator<Item = &TargetResult> {
        self.waves.iter().flat_map(|w| &w.targets)
    }

    pub fn failed(&self) -> usize {
        self.results()
            .filter(|r| r.state == TargetState::Failed)
            .count()
    }
}

/// What a fleet run is doing, for a live view.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum FleetProgress {
    Resolved {
        targets: usize,
        mine: usize,
        waves: usize,
    },
    WaveStarted {
        pass: String,
        wave: usize,
        waves: usize,
        targets: usize,
    },
    TargetStarted {
        target: String,
        wave: usize,
    },
    TargetFinished {
        result: TargetResult,
        wave: usize,
    },
    WaveFinished {
        pass: String,
        wave: usize,
        waves: usize,
        failed_so_far: usize,
    },
    /// Waiting for the other shards at the end of a wave.
    BarrierWaiting {
        wave: usize,
        shards_done: usize,
        shards: usize,
    },
    Pausing {
        wave: usize,
        ms: u128,
    },
    GateWaiting {
        wave: usize,
        why: String,
    },
}

type FleetProgressFn = Arc<dyn Fn(&FleetProgress) + Send + Sync>;

/// A fleet and the runner settings every target's engine gets.
pub struct Fleet {
    spec: FleetSpec,
    settings: Settings,
    progress: Option<FleetProgressFn>,
    stop: Arc<AtomicBool>,
}

impl Fleet {
    pub fn new(spec: FleetSpec, settings: Settings) -> Fleet {
        Fleet {
            spec,
            settings,
            progress: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn spec(&self) -> &FleetSpec {
        &self.spec
    }

    #[must_use]
    pub fn with_progress(mut self, f: impl Fn(&FleetProgress) + Send + Sync + 'static) -> Fleet {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Set it to stop at the next safe point of every target (and start no new one).
    pub fn stopper(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    fn progress(&self, p: FleetProgress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    /// The targets, deduplicated, in the stable order waves and shards are cut from.
    pub async fn targets(&self) -> Result<Vec<Target>, RunError> {
        let name = &self.spec.name;
        let lines = match &self.spec.source {
            Source::List(l) => l.clone(),
            Source::Command(c) => targets::command_lines(c, name).await?,
            Source::Query(q) => {
                let Some(cat) = self
                    .spec
                    .catalog_url
                    .as_ref()
                    .or(self.spec.schemas_in.as_ref())
                else {
                    return Err(RunError::Config(format!(
                        "fleet {name}: its `query` runs on `catalog_url` (else DATABASE_URL, else `schemas_in`); none is set"
                    )));
                };
                targets::query_lines(cat, q, name).await?
            }
        };
        let origin = match &self.spec.source {
            Source::List(_) => format!("fleet {name}: its list"),
            Source::Command(_) => format!("fleet {name}: its command's output"),
            Source::Query(_) => format!("fleet {name}: its query's rows"),
        };
        let t = targets::parse_lines(lines, self.spec.schemas_in.as_ref(), &origin)?;
        targets::settle(t, name)
    }

    /// The engine of one target.
    fn engine(&self, t: &Target) -> Result<Engine, RunError> {
        let mut settings = self.settings.clone();
        if let Some(s) = &t.schema {
            settings.ledger_schema = Some(s.clone());
        }
        let mut e = Engine::new(t.connect_url()?, settings).stopping_with(self.stop.clone());
        if let Some(s) = &t.schema {
            // each schema's ledger has its own lock: tenants of one database run side by side
            e = e.locking_as(format!("sluice:{s}"));
        }
        Ok(e)
    }

    /// `migrate apply --fleet`: the waves over `targets` (from [`Fleet::targets`]) in
    /// order, each target through its own engine.
    pub async fn apply(
        &self,
        targets: Vec<Target>,
        migrations: Arc<[Migration]>,
        req: &FleetRequest,
    ) -> Result<FleetOutcome, RunError> {
        if targets.is_empty() {
            return Err(RunError::Config(format!(
                "fleet {}: no targets",
                self.spec.name
            )));
        }
        let plan = waves(targets.len(), &self.spec.waves);
        let mine = |i: usize| req.shard.is_none_or(|s| s.owns(i));
        self.progress(FleetProgress::Resolved {
            targets: targets.len(),
            mine: (0..targets.len()).filter(|i| mine(*i)).count(),
            waves: plan.len(),
        });
        let barrier = match req.shard {
            Some(shard) => {
                let Some(run) = req.run_id.clone().filter(|r| !r.trim().is_empty()) else {
                    return Err(RunError::Config(
                        "--shard needs a run id that every shard of this attempt shares: --run ID or SLUICE_FLEET_RUN (in a Kubernetes Job, its uid)".into(),
                    ));
                };
                let url = match &self.spec.catalog_url {
                    Some(u) => u.clone(),
                    None => targets[0].url.clone(),
                };
                Some(barrier::Barrier {
                    url,
                    fleet: self.spec.name.clone(),
                    run,
                    shard,
                    timeout: self.spec.barrier_timeout,
                    poll: Duration::from_millis(250),
                })
            }
            None => None,
        };
        let passes: Vec<(String, ApplyRequest)> = if req.apply.phase == PhaseSel::All {
            vec![
                (
                    "expand".into(),
                    ApplyRequest {
                        phase: PhaseSel::Expand,
                        no_backfill: false,
                        ..req.apply.clone()
                    },
                ),
                (
                    "contract".into(),
                    ApplyRequest {
                        phase: PhaseSel::Contract,
                        ..req.apply.clone()
                    },
                ),
            ]
        } else {
            vec![(phase_name(req.apply.phase).into(), req.apply.clone())]
        };
        if let Some(b) = &barrier {
            b.ensure().await?;
        }
        let allowed = self.spec.max_failures.allowed(targets.len());
        let mut out = FleetOutcome {
            fleet: self.spec.name.clone(),
            targets: targets.len(),
            shard: req.shard,
            failures_allowed: allowed,
            waves: Vec::new(),
            stopped: None,
            gate_waiting: false,
            max_concurrent: 0,
        };
        let targets: Arc<[Target]> = targets.into();
        let peak = Arc::new(AtomicUsize::new(0));
        let mut failed_so_far = 0;
        for (p, (pass, apply)) in passes.iter().enumerate() {
            for (w, range) in plan.iter().enumerate() {
                let step = p * plan.len() + w;
                let chosen: Vec<usize> = range.clone().filter(|i| mine(*i)).collect();
                self.progress(FleetProgress::WaveStarted {
                    pass: pass.clone(),
                    wave: w + 1,
                    waves: plan.len(),
                    targets: chosen.len(),
                });
                let results = self
                    .run_wave(&targets, &chosen, &migrations, apply, w + 1, &peak)
                    .await?;
                let failed = results
                    .iter()
                    .filter(|r| r.state == TargetState::Failed)
                    .count();
                failed_so_far += match &barrier {
                    Some(b) => {
                        b.record(step, chosen.len(), failed).await?;
                        let shards = b.shard.count;
                        let tell = |done| {
                            self.progress(FleetProgress::BarrierWaiting {
                                wave: w + 1,
                                shards_done: done,
                                shards,
                            });
                        };
                        let label = if passes.len() > 1 {
                            format!("{} ({pass})", w + 1)
                        } else {
                            (w + 1).to_string()
                        };
                        b.wait(step, &label, &self.stop, &tell).await?.failed
                    }
                    None => failed,
                };
                self.progress(FleetProgress::WaveFinished {
                    pass: pass.clone(),
                    wave: w + 1,
                    waves: plan.len(),
                    failed_so_far,
                });
                out.waves.push(WaveOutcome {
                    pass: pass.clone(),
                    wave: w + 1,
                    waves: plan.len(),
                    targets: results,
                    failed_so_far,
                });
                out.max_concurrent = peak.load(Ordering::SeqCst);
                let last = p + 1 == passes.len() && w + 1 == plan.len();
                if failed_so_far > allowed {
                    out.stopped = Some(if last {
                        format!(
                            "{failed_so_far} target(s) failed, more than the error budget allows ({allowed}); fix them and run the fleet again"
                        )
                    } else {
                        format!(
                            "{failed_so_far} target(s) failed, more than the error budget allows ({allowed}): stopped after wave {} of {} ({pass}); fix them and run the fleet again to resume",
                            w + 1,
                            plan.len()
                        )
                    });
                    return Ok(out);
                }
                if self.stop.load(Ordering::SeqCst) {
                    out.stopped = Some(format!("asked to stop: ended with wave {}", w + 1));
                    return Ok(out);
                }
                if !last && !apply.dry_run && !self.between_waves(w + 1).await {
                    out.gate_waiting = true;
                    out.stopped = Some(format!(
                        "the gate between waves did not hold within {}: stopped after wave {}; run the fleet again to go on",
                        humantime::format_duration(self.spec.gate_timeout),
                        w + 1
                    ));
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    /// The pause, then the gate, between two waves; false when the gate did not hold in time.
    async fn between_waves(&self, wave: usize) -> bool {
        if !self.spec.pause.is_zero() {
            self.progress(FleetProgress::Pausing {
                wave,
                ms: self.spec.pause.as_millis(),
            });
            tokio::time::sleep(self.spec.pause).await;
        }
        let Some(gate) = &self.spec.gate else {
            return true;
        };
        let started = Instant::now();
        loop {
            let v = gates::evaluate(gate).await;
            if v.holds {
                return true;
            }
            self.progress(FleetProgress::GateWaiting {
                wave,
                why: format!("{}: {}", v.gate, v.why),
            });
            if started.elapsed() >= self.spec.gate_timeout || self.stop.load(Ordering::SeqCst) {
                return false;
            }
            tokio::time::sleep(Duration::from_secs(5).min(self.spec.gate_timeout)).await;
        }
    }

    /// The targets at `chosen`, `concurrency` at a time; results in the stable order.
    async fn run_wave(
        &self,
        targets: &Arc<[Target]>,
        chosen: &[usize],
        migrations: &Arc<[Migration]>,
        req: &ApplyRequest,
        wave: usize,
        peak: &Arc<AtomicUsize>,
    ) -> Result<Vec<TargetResult>, RunError> {
        let permits = Arc::new(tokio::sync::Semaphore::new(self.spec.concurrency.max(1)));
        let running = Arc::new(AtomicUsize::new(0));
        let mut set = tokio::task::JoinSet::new();
        for &i in chosen {
            let t = targets[i].clone();
            let engine = self.engine(&t);
            let (permits, running, peak) = (permits.clone(), running.clone(), peak.clone());
            let (migrations, req, stop) = (migrations.clone(), req.clone(), self.stop.clone());
            let progress = self.progress.clone();
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let started = Instant::now();
                let mut r = TargetResult {
                    target: t.to_string(),
                    index: i,
                    state: TargetState::Stopped,
                    phases: 0,
                    backfills: 0,
                    waiting: Vec::new(),
                    error: None,
                    duration_ms: 0,
                    sql: Vec::new(),
                };
                if stop.load(Ordering::SeqCst) {
                    return r;
                }
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                if let Some(f) = &progress {
                    f(&FleetProgress::TargetStarted {
                        target: r.target.clone(),
                        wave,
                    });
                }
                let res = match engine {
                    Ok(e) => e.apply(&migrations, &req).await,
                    Err(e) => Err(e),
                };
                running.fetch_sub(1, Ordering::SeqCst);
                r.duration_ms = started.elapsed().as_millis();
                match res {
                    Ok(o) => {
                        r.phases = o.done.len();
                        r.backfills = o.backfills.len();
                        r.waiting = o
                            .waiting
                            .iter()
                            .map(|w| {
                                format!(
                                    "{} {} ({}): {}",
                                    w.version,
                                    w.name,
                                    w.phase.name(),
                                    w.reason
                                )
                            })
                            .collect();
                        r.state = if o.stopped {
                            TargetState::Stopped
                        } else if !o.waiting.is_empty() {
                            TargetState::Waiting
                        } else if o.done.is_empty() && o.backfills.is_empty() {
                            TargetState::Current
                        } else {
                            TargetState::Applied
                        };
                        r.sql = o.sql;
                    }
                    Err(e) => {
                        r.state = TargetState::Failed;
                        r.error = Some(t.url.scrub(&e.to_string()));
                    }
                }
                if let Some(f) = &progress {
                    f(&FleetProgress::TargetFinished {
                        result: TargetResult {
                            sql: Vec::new(),
                            ..r.clone()
                        },
                        wave,
                    });
                }
                r
            });
        }
        let mut results = Vec::with_capacity(chosen.len());
        while let Some(r) = set.join_next().await {
            results.push(r.map_err(|e| RunError::Db(format!("a fleet target's task ended: {e}")))?);
        }
        results.sort_by_key(|r| r.index);
        Ok(results)
    }
}

fn phase_name(p: PhaseSel) -> &'static str {
    match p {
        PhaseSel::Expand => "expand",
        PhaseSel::Backfill => "backfill",
        PhaseSel::Contract => "contract",
        PhaseSel::All => "all",
    }
}
