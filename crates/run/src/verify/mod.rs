//! `migrate verify`: proves on a scratch database that every down restores the schema, and
//! that the old and the new application's queries prepare at every phase.
//!
//! A uniquely named database is created on the scratch server (`scratch.rs`, dropped on every
//! path). The history is replayed through the apply engine, then each migration of the
//! change runs its round trip on the same engine and ledger as `migrate apply` /
//! `migrate rollback`: up (expand, backfill, contract), snapshot, down (contract.down, then
//! expand.down) compared with the snapshot before, up again compared with the snapshot after.
//! Application queries (`queries.rs`) are prepared, never executed, at each step. A round
//! trip that leaves the database in a state the next migration cannot follow from is
//! repaired by building the scratch database again up to that migration.
//!
//! Nothing here prints: the CLI renders the [`Report`].

mod drawn;
mod naive;
mod queries;
mod rows;
mod scratch;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::driver::{self, Driver};
use super::engine::{Run, Session};
use super::gates::Gate;
use super::snapshot::{self, Diff, Reader, Snapshot};
use super::url::DbUrl;
use super::{ApplyRequest, Engine, PhaseSel, RollbackRequest, RunError, Settings};
use sluice_core::source::{Direction, Migration, Phase, Version};

pub use naive::STEP as NAIVE_STEP;
pub use queries::{Query, from_file, from_pg_stat_statements};
pub use rows::{DataDifference, FillReport, Filled, Skipped};
pub use scratch::ScratchDb;

/// `--rows` unless told.
pub const DEFAULT_ROWS: u64 = 1000;

/// What to verify.
pub struct Request<'a> {
    /// Every migration of the directory, in version order.
    pub migrations: &'a [Migration],
    /// Versions of the change: verified. The others are history: replayed only.
    pub change: BTreeSet<Version>,
    /// The running (old) application's queries: must prepare until the contract.
    pub old_queries: Vec<Query>,
    /// The new application's queries: must prepare from the end of the expand on.
    pub new_queries: Vec<Query>,
    /// Generated rows per table of the history (`--rows`; 0: none).
    pub rows: u64,
    /// Statements run on the scratch database each time it is created, before the history:
    /// what a deployment does outside its migrations (`--setup`; chirpstack's history needs
    /// `CREATE EXTENSION pg_trgm` done by hand).
    pub setup: Vec<String>,
    /// The naive migration the change was planned from (`--naive`): every phase of the
    /// change up once must leave the schema and the data it leaves (`naive.rs`).
    pub naive: Option<Migration>,
}

/// Where verify is, for a live view.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    /// Change migrations finished.
    pub done: usize,
    pub total: usize,
    /// What runs now: `replaying history`, or the migration's version and name.
    pub current: String,
}

/// The outcome of a whole verify run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scratch server (redacted) and the database verify created there.
    pub server: String,
    pub database: String,
    /// History migrations replayed before the change.
    pub history: usize,
    /// The generated rows (`--rows`), when the history left tables to fill.
    pub fill: Option<FillReport>,
    pub migrations: Vec<MigrationReport>,
    /// Change migrations not verified because an earlier up failed.
    pub not_verified: Vec<String>,
    /// The change next to the naive migration it was planned from (`--naive`).
    pub naive: Option<StepReport>,
    pub duration_ms: u128,
}

impl Report {
    /// Every migration of the change proven (irreversible ones excepted), and the same as
    /// the naive migration when one was given.
    pub fn proven(&self) -> bool {
        self.not_verified.is_empty()
            && self.migrations.iter().all(|m| m.outcome != Outcome::Failed)
            && self.naive.as_ref().is_none_or(StepReport::ok)
    }

    pub fn count(&self, o: Outcome) -> usize {
        self.migrations.iter().filter(|m| m.outcome == o).count()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every down restored the schema, every up again reproduced it, every query prepared.
    Proven,
    Failed,
    /// `-- sluice:irreversible`: applied, not rolled back.
    Irreversible,
}

/// One migration's round trip.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    pub version: String,
    pub name: String,
    pub outcome: Outcome,
    /// The file a failure points at (the down script whose round trip failed, else the up).
    pub path: PathBuf,
    pub steps: Vec<StepReport>,
    pub duration_ms: u128,
}

impl MigrationReport {
    pub fn failures(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| !s.ok())
    }
}

/// One step: an up, a down or an up again of a phase (or the queries before the change).
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// `up`, `down`, `up again` (single-phase); `expand`, `backfill`, `contract`,
    /// `contract.down`, `expand.down`, `expand again`, ... (phased); `before`.
    pub step: String,
    /// The script the step ran.
    pub path: Option<PathBuf>,
    /// The step could not run (the server's error), or there is no down script.
    pub error: Option<String>,
    /// How the schema after the step differs from the one it must equal (a down: the
    /// snapshot before the up; an up again: the snapshot after the first up). Notes alone
    /// (column order) are no failure.
    pub diff: Option<Diff>,
    /// Application queries that did not prepare after this step.
    pub queries: Vec<QueryFailure>,
    /// Data the down did not give back (the last down of a migration, with `--rows`).
    pub data: Vec<DataDifference>,
    /// Data the up changed and the down did not change back (an UPDATE, a trigger's
    /// timestamp): notes, no failure.
    pub data_notes: Vec<DataDifference>,
}

impl StepReport {
    fn new(step: String, path: Option<PathBuf>) -> StepReport {
        StepReport {
            step,
            path,
            error: None,
            diff: None,
            queries: Vec::new(),
            data: Vec::new(),
            data_notes: Vec::new(),
        }
    }

    pub fn ok(&self) -> bool {
        self.error.is_none()
            && self.queries.is_empty()
            && self.data.is_empty()
            && self.diff.as_ref().is_none_or(Diff::is_empty)
    }
}

/// An application query that did not prepare.
#[derive(Debug, Clone, Serialize)]
pub struct QueryFailure {
    /// `old` or `new`.
    pub set: &'static str,
    pub query: String,
    pub origin: String,
    pub error: String,
}

/// Verify `req` on a database created on the server of `server` and dropped at the end (a
/// dropped future or a panic drops it too).
pub async fn verify(
    server: &DbUrl,
    settings: Settings,
    req: &Request<'_>,
    progress: &(dyn Fn(&Tick) + Sync),
) -> Result<Report, RunError> {
    let started = Instant::now();
    let mut scratch = ScratchDb::create(server, &req.setup).await?;
    let mut out = run(&mut scratch, settings.clone(), req, progress).await;
    if let (Ok(report), Some(n)) = (&mut out, &req.naive) {
        progress(&Tick {
            done: report.migrations.len(),
            total: report.migrations.len(),
            current: "the change next to the naive migration".into(),
        });
        match naive::compare(&mut scratch, settings, req, n).await {
            Ok(step) => report.naive = Some(step),
            Err(e) => out = Err(e),
        }
    }
    let database = scratch.name().to_owned();
    if let Err(e) = scratch.drop_now().await {
        tracing::error!(error = %e, "the scratch database was not dropped");
    }
    let mut report = out?;
    report.server = server.to_string();
    report.database = database;
    report.duration_ms = started.elapsed().as_millis();
    Ok(report)
}

/// A step of a migration's up: a phase script or its backfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Up {
    Expand,
    Backfill,
    Contract,
}

impl Up {
    fn sel(self) -> PhaseSel {
        match self {
            Up::Expand => PhaseSel::Expand,
            Up::Backfill => PhaseSel::Backfill,
            Up::Contract => PhaseSel::Contract,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Up::Expand => "expand",
            Up::Backfill => "backfill",
            Up::Contract => "contract",
        }
    }

    fn phase(self) -> Option<Phase> {
        match self {
            Up::Expand => Some(Phase::Expand),
            Up::Backfill => None,
            Up::Contract => Some(Phase::Contract),
        }
    }
}

/// The connections verify works through: the engine's session (migrations, ledger) and a
/// reader (snapshots, query preparation).
struct Conns<'e> {
    run: Run<'e>,
    session: Session,
    reader: Reader,
    /// Generated rows and data checksums.
    data: Box<dyn Driver>,
}

struct Verifier<'e, 'r> {
    engine: &'e Engine,
    req: &'r Request<'r>,
    opts: snapshot::Options,
    conns: Option<Conns<'e>>,
    /// The schema now, when known (the next migration's "before").
    current: Option<Snapshot>,
    /// The tables hold generated rows: data is compared across each round trip.
    filled: bool,
}

/// The engine on the scratch database: no rollout to wait for, no deploy to notify, no
/// other runner.
fn scratch_engine(scratch: &ScratchDb, mut settings: Settings) -> Engine {
    settings.gate = Gate::All(Vec::new());
    settings.hooks.clear();
    settings.replicas.clear();
    settings.lock_wait = Duration::from_secs(10);
    Engine::new(scratch.url().clone(), settings)
}

async fn run(
    scratch: &mut ScratchDb,
    settings: Settings,
    req: &Request<'_>,
    progress: &(dyn Fn(&Tick) + Sync),
) -> Result<Report, RunError> {
    let engine = scratch_engine(scratch, settings);
    let mut v = Verifier::new(&engine, req);
    let out = v.all(scratch, progress).await;
    v.close().await;
    out
}

impl<'e, 'r> Verifier<'e, 'r> {
    fn new(engine: &'e Engine, req: &'r Request<'r>) -> Verifier<'e, 'r> {
        Verifier {
            opts: snapshot::Options::without_sluice(engine.ledger()),
            engine,
            req,
            conns: None,
            current: None,
            filled: false,
        }
    }

    /// The last history migration below `v`: what to replay before it.
    fn history_below(&self, v: &Version) -> Option<Version> {
        self.req
            .migrations
            .iter()
            .take_while(|o| o.version < *v)
            .last()
            .map(|o| o.version.clone())
    }

    async fn open(&mut self) -> Result<&mut Conns<'e>, RunError> {
        if self.conns.is_none() {
            let (run, session) = self.engine.open(false, true).await?;
            let reader = match Reader::connect(self.engine.url()).await {
                Ok(r) => r,
                Err(e) => {
                    let _ = self.engine.close(session, Ok(())).await;
                    return Err(e);
                }
            };
            let data = match driver::connect(self.engine.url()).await {
                Ok(d) => d,
                Err(e) => {
                    reader.close().await;
                    let _ = self.engine.close(session, Ok(())).await;
                    return Err(RunError::Db(e.message));
                }
            };
            self.conns = Some(Conns {
                run,
                session,
                reader,
                data,
            });
        }
        Ok(self.conns.as_mut().expect("opened above"))
    }

    async fn close(&mut self) {
        if let Some(c) = self.conns.take() {
            c.reader.close().await;
            let _ = c.data.close().await;
            let _ = self.engine.close(c.session, Ok(())).await;
        }
    }

    async fn all(
        &mut self,
        scratch: &mut ScratchDb,
        progress: &(dyn Fn(&Tick) + Sync),
    ) -> Result<Report, RunError> {
        let migs = self.req.migrations;
        let change: Vec<&Migration> = migs
            .iter()
            .filter(|m| self.req.change.contains(&m.version))
            .collect();
        let total = change.len();
        let mut report = Report {
            server: String::new(),
            database: String::new(),
            history: migs
                .iter()
                .filter(|m| !self.req.change.contains(&m.version))
                .count(),
            fill: None,
            migrations: Vec::new(),
            not_verified: Vec::new(),
            naive: None,
            duration_ms: 0,
        };
        for (i, m) in change.iter().enumerate() {
            // the history below this migration (later history waits for later changes)
            if let Some(prev) = self.history_below(&m.version) {
                if i == 0 {
                    progress(&Tick {
                        done: 0,
                        total,
                        current: "replaying history".into(),
                    });
                }
                if self.replay(&prev).await? {
                    self.current = None;
                }
                if i == 0 && self.req.rows > 0 {
                    progress(&Tick {
                        done: 0,
                        total,
                        current: format!(
                            "filling the history's tables ({} rows each)",
                            self.req.rows
                        ),
                    });
                    report.fill = Some(self.fill().await?);
                }
            }
            progress(&Tick {
                done: i,
                total,
                current: format!("{} {}", m.version.raw, m.name),
            });
            let started = Instant::now();
            let (mut mr, state) = self.round_trip(m).await?;
            mr.duration_ms = started.elapsed().as_millis();
            let up_failed = state == State::UpFailed;
            if state == State::Broken {
                tracing::info!(version = %m.version.raw, "the round trip left a broken state: building the scratch database again");
                self.rebuild(scratch, &m.version).await?;
                if self.filled {
                    self.fill().await?;
                }
            }
            report.migrations.push(mr);
            if up_failed {
                report.not_verified = change[i + 1..]
                    .iter()
                    .map(|m| format!("{} {}", m.version.raw, m.name))
                    .collect();
                break;
            }
        }
        progress(&Tick {
            done: total,
            total,
            current: String::new(),
        });
        Ok(report)
    }

    /// Replay the history up to `prev`; whether anything ran.
    async fn replay(&mut self, prev: &Version) -> Result<bool, RunError> {
        let rows = if self.filled { self.req.rows } else { 0 };
        self.apply(PhaseSel::All, prev).await.map_err(|e| {
            RunError::Failed(format!(
                "replaying the history up to {prev} failed: {e}; verify needs the history to apply on an empty database{}",
                if rows > 0 {
                    format!(" (and on the {rows} generated rows per table: --rows 0 replays it without them)")
                } else {
                    String::new()
                }
            ))
        })
    }

    /// Apply up to `to`; whether anything ran.
    async fn apply(&mut self, phase: PhaseSel, to: &Version) -> Result<bool, RunError> {
        let migs = self.req.migrations;
        let c = self.open().await?;
        let req = ApplyRequest {
            phase,
            to: Some(to.clone()),
            release: None,
            dry_run: false,
            no_backfill: true,
        };
        let out = c
            .run
            .apply_in(c.session.main.as_mut(), c.session.mon.as_mut(), migs, &req)
            .await?;
        if let Some(w) = out.waiting.first() {
            return Err(RunError::Failed(format!(
                "{} ({}) waits: {}",
                w.version,
                w.phase.name(),
                w.reason
            )));
        }
        Ok(!out.done.is_empty() || !out.backfills.is_empty())
    }

    /// Fill the empty tables with generated rows.
    async fn fill(&mut self) -> Result<FillReport, RunError> {
        let rows = self.req.rows;
        let opts = self.opts.clone();
        let c = self.open().await?;
        let r = rows::fill(c.data.as_mut(), rows, &opts)
            .await
            .map_err(|e| RunError::Db(format!("cannot fill the scratch database: {e}")))?;
        for s in &r.skipped {
            tracing::info!(table = %s.table, reason = %s.reason, "not filled");
        }
        self.filled = !r.tables.is_empty();
        Ok(r)
    }

    /// The data checksums of the tables of `snap`.
    async fn checksums(&mut self, snap: &Snapshot) -> Result<rows::Checksums, RunError> {
        let c = self.open().await?;
        rows::checksums(c.data.as_mut(), snap)
            .await
            .map_err(|e| RunError::Db(format!("cannot checksum the scratch database's rows: {e}")))
    }

    /// Roll back the newest applied phase.
    async fn rollback_one(&mut self) -> Result<(), RunError> {
        let migs = self.req.migrations;
        let c = self.open().await?;
        let req = RollbackRequest {
            steps: Some(1),
            to: None,
            phase: PhaseSel::All,
            dry_run: false,
        };
        c.run
            .rollback_in(c.session.main.as_mut(), c.session.mon.as_mut(), migs, &req)
            .await
            .map(|_| ())
    }

    async fn snapshot(&mut self) -> Result<Snapshot, RunError> {
        let opts = self.opts.clone();
        let c = self.open().await?;
        c.reader.read(&opts).await.map_err(|e| {
            RunError::Db(format!(
                "cannot read the scratch database's schema: {}",
                super::driver::DbError::from(e).message
            ))
        })
    }

    /// The schema now (known, or read).
    async fn current(&mut self) -> Result<Snapshot, RunError> {
        if let Some(s) = &self.current {
            return Ok(s.clone());
        }
        let s = self.snapshot().await?;
        self.current = Some(s.clone());
        Ok(s)
    }

    /// Prepare the old and / or new queries; failures into `step`.
    async fn queries(
        &mut self,
        step: &mut StepReport,
        old: bool,
        new: bool,
    ) -> Result<(), RunError> {
        let req = self.req;
        let sets = [
            ("old", old, &req.old_queries),
            ("new", new, &req.new_queries),
        ];
        if !sets.iter().any(|(_, on, qs)| *on && !qs.is_empty()) {
            return Ok(());
        }
        let c = self.open().await?;
        for (set, on, qs) in sets {
            if !on {
                continue;
            }
            for q in qs {
                if let Err(error) = queries::prepare(&mut c.reader, &q.sql).await {
                    step.queries.push(QueryFailure {
                        set,
                        query: q.sql.clone(),
                        origin: q.origin.clone(),
                        error,
                    });
                }
            }
        }
        Ok(())
    }

    /// Drop the scratch database, create it again and apply everything up to `to`.
    async fn rebuild(&mut self, scratch: &mut ScratchDb, to: &Version) -> Result<(), RunError> {
        self.close().await;
        scratch.recreate().await?;
        self.apply(PhaseSel::All, to).await.map_err(|e| {
            RunError::Failed(format!(
                "building the scratch database again up to {to} failed: {e}"
            ))
        })?;
        Ok(())
    }

    /// One migration's round trip. Database errors of verify itself are `Err`; the
    /// migration's own failures are in the report.
    async fn round_trip(&mut self, m: &Migration) -> Result<(MigrationReport, State), RunError> {
        let ups: Vec<Up> = [Up::Expand, Up::Backfill, Up::Contract]
            .into_iter()
            .filter(|u| match u.phase() {
                Some(p) => m.script(p, Direction::Up).is_some(),
                None => m.backfill.is_some(),
            })
            .collect();
        let phased = m.scripts.iter().any(|s| s.phased) || ups.len() > 1;
        let name = |u: Up, what: &str| -> String {
            match (phased, what) {
                (false, ".down") => "down".into(),
                (false, w) => format!("up{w}"),
                (true, w) => format!("{}{w}", u.name()),
            }
        };
        let path = |u: Up, d: Direction| -> Option<PathBuf> {
            match u.phase() {
                Some(p) => m.script(p, d).map(|s| s.file.path.clone()),
                None => m.backfill.clone(),
            }
        };
        let mut mr = MigrationReport {
            version: m.version.raw.clone(),
            name: m.name.clone(),
            outcome: Outcome::Proven,
            path: path(ups.first().copied().unwrap_or(Up::Expand), Direction::Up)
                .unwrap_or_else(|| m.origin.clone()),
            steps: Vec::new(),
            duration_ms: 0,
        };
        let before = self.current().await?;
        let before_rows = if self.filled {
            Some(self.checksums(&before).await?)
        } else {
            None
        };
        let mut first = StepReport::new("before".into(), None);
        self.queries(&mut first, true, false).await?;
        if !first.queries.is_empty() {
            mr.steps.push(first);
        }

        // up
        let mut after: Vec<(Up, Snapshot)> = Vec::new();
        for &u in &ups {
            let mut step = StepReport::new(name(u, ""), path(u, Direction::Up));
            if let Err(e) = self.apply(u.sel(), &m.version).await {
                step.error = Some(if self.filled {
                    format!(
                        "{e} (on the history's tables filled with {} generated rows each; --rows 0 verifies without them)",
                        self.req.rows
                    )
                } else {
                    e.to_string()
                });
                mr.steps.push(step);
                self.current = None;
                return Ok((finish(mr), State::UpFailed));
            }
            let snap = self.snapshot().await?;
            // the old application runs until the contract; the new one from the expand's end
            self.queries(&mut step, u != Up::Contract, true).await?;
            mr.steps.push(step);
            after.push((u, snap));
        }
        let done = after
            .last()
            .map_or_else(|| before.clone(), |(_, s)| s.clone());
        self.current = Some(done.clone());
        // the rows after the up: what the down must give back is what the up left alone
        let up_rows = match &before_rows {
            Some(_) => Some(self.checksums(&done).await?),
            None => None,
        };

        // down, newest phase first; each must give back the schema before its up
        let mut broken = false;
        for (i, &u) in ups.iter().enumerate().rev() {
            let Some(p) = u.phase() else { continue };
            let mut step = StepReport::new(name(u, ".down"), path(u, Direction::Down));
            // an up marked irreversible is not rolled back, whatever its down holds (a
            // layout that wants a down file gets one that only raises: kratos' pop files)
            if let Some(why) = m
                .script(p, Direction::Up)
                .and_then(|s| s.irreversible.clone())
            {
                mr.outcome = Outcome::Irreversible;
                tracing::info!(version = %m.version.raw, reason = %why, "irreversible: not rolled back");
                return Ok((mr, State::Intact));
            }
            if m.script(p, Direction::Down).is_none() {
                step.error = Some(format!(
                    "no {} script: the {} cannot be rolled back; write one, or mark the up `-- sluice:irreversible <reason>`",
                    step.step,
                    if phased { p.name() } else { "migration" }
                ));
                mr.path = path(u, Direction::Up).unwrap_or_else(|| m.origin.clone());
                mr.steps.push(step);
                return Ok((finish(mr), State::Intact));
            }
            let expected = if i == 0 { &before } else { &after[i - 1].1 };
            match self.rollback_one().await {
                Err(e) => {
                    step.error = Some(e.to_string());
                    mr.steps.push(step);
                    broken = true;
                    break;
                }
                Ok(()) => {
                    let snap = self.snapshot().await?;
                    let d = snapshot::diff(expected, &snap);
                    if !d.is_empty() || !d.notes.is_empty() {
                        step.diff = Some(d);
                    }
                    // the last down: the rows from before the up must be back
                    if i == 0
                        && let (Some(b), Some(u)) = (&before_rows, &up_rows)
                    {
                        let after = self.checksums(&snap).await?;
                        let (lost, notes) = rows::compare(b, u, &after)
                            .into_iter()
                            .partition(|d| !d.changed_by_up);
                        step.data = lost;
                        step.data_notes = notes;
                    }
                    mr.steps.push(step);
                }
            }
        }

        // up again: the same schema as the first time
        if !broken {
            for (u, expected) in &after {
                let mut step = StepReport::new(name(*u, " again"), path(*u, Direction::Up));
                if let Err(e) = self.apply(u.sel(), &m.version).await {
                    step.error = Some(e.to_string());
                    mr.steps.push(step);
                    broken = true;
                    break;
                }
                let snap = self.snapshot().await?;
                let d = snapshot::diff(expected, &snap);
                if !d.is_empty() || !d.notes.is_empty() {
                    step.diff = Some(d);
                }
                mr.steps.push(step);
            }
        }
        let mr = finish(mr);
        if !broken && mr.outcome == Outcome::Failed {
            // a failed round trip that ended where the up did needs no rebuild
            broken = self.snapshot().await? != done;
        }
        self.current = Some(done);
        Ok((mr, if broken { State::Broken } else { State::Intact }))
    }
}

/// The state a round trip leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Every phase of the migration applied, the schema as the first up left it.
    Intact,
    /// An up failed: later migrations cannot be verified.
    UpFailed,
    /// A down or an up again failed or left another schema: build the database again.
    Broken,
}

/// The outcome from the steps; a failure points at the first failed step's file.
fn finish(mut mr: MigrationReport) -> MigrationReport {
    if let Some(s) = mr.steps.iter().find(|s| !s.ok()) {
        mr.outcome = Outcome::Failed;
        if let Some(p) = &s.path {
            mr.path = p.clone();
        }
    }
    mr
}
