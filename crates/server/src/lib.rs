//! `migrate serve`: the HTTP face of the one apply engine, for deployment controllers
//! (controllers.md, cli.md "Server routes").
//!
//! Handlers answer at once from memory (or one short ledger read): long work runs in
//! spawned tasks, one at a time per database (an in-process mutex, then the engine's
//! advisory lock). Runs are keyed (app + Flagger checksum, or release + phase) so a repeated
//! webhook never starts a second run; the ledger makes a phase run at most once anyway.

pub mod auth;
pub mod fleets;
pub mod metrics;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use auth::Auth;
pub use fleets::{FleetView, Fleets};
use metrics::Metrics;
use sluice_core::source::Migration;
use sluice_run::url::DbUrl;
use sluice_run::{
    ApplyRequest, DeployOutcome, Engine, PhaseSel, Progress, RunError, Runner, Settings,
};

/// How long a handler may spend on the database before it answers 503.
const DB_ANSWER_WITHIN: Duration = Duration::from_millis(800);
/// Request bodies above this are refused.
const MAX_BODY: usize = 1 << 20;
/// A request head larger than this gets 431 (hyper's default allows ~400 KB).
const MAX_HEAD: usize = 64 * 1024;
/// A client that has not sent its whole request head by then is disconnected (slowloris).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// ...and one whose body takes longer than this gets 408.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// On shutdown, requests in flight get this long to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Options {
    pub auth: Auth,
    /// While a post-deploy contract waits on its gate, ask again this often...
    pub gate_poll: Duration,
    /// ...for at most this long.
    pub gate_wait: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Applied,
    /// A contract waits on its gate (or the run stopped at a safe point on shutdown).
    Waiting,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    /// Expand (and backfill): Flagger confirm-rollout, `phase: expand`.
    PreDeploy,
    /// Record the rollout, then contract: Flagger post-rollout.
    PostDeploy,
    /// `POST /v1/runs` with phase `contract` / `all`.
    Apply(PhaseSel),
}

/// One run, as `GET /v1/runs/{id}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub id: u64,
    pub job: Job,
    pub release: String,
    pub state: RunState,
    pub reason: Option<String>,
    pub error: Option<String>,
    /// Phases applied by this run: `version name (phase)`.
    pub applied: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct Runs {
    by_id: BTreeMap<u64, RunInfo>,
    by_key: BTreeMap<String, u64>,
    next: u64,
}

struct Inner {
    runner: Arc<dyn Runner>,
    migrations: Vec<Migration>,
    opts: Options,
    runs: Mutex<Runs>,
    /// One run per database at a time in this process.
    db: tokio::sync::Mutex<()>,
    metrics: Arc<Metrics>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Fleets read in the background (`watching`).
    fleets: Arc<Fleets>,
    fleet_every: Duration,
    watcher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    pub fn new(
        url: DbUrl,
        settings: Settings,
        migrations: Vec<Migration>,
        opts: Options,
    ) -> AppState {
        let metrics = Arc::new(Metrics::default());
        let m = metrics.clone();
        let engine = Engine::new(url, settings).with_progress(move |p| {
            if let Progress::Retrying { .. } = p {
                m.lock_retries.fetch_add(1, Ordering::Relaxed);
            }
        });
        AppState::with_runner(Arc::new(engine), metrics, migrations, opts)
    }

    /// A server over any [`Runner`] (the engine in production; a fake in handler tests).
    pub fn with_runner(
        runner: Arc<dyn Runner>,
        metrics: Arc<Metrics>,
        migrations: Vec<Migration>,
        opts: Options,
    ) -> AppState {
        AppState(Arc::new(Inner {
            runner,
            migrations,
            opts,
            runs: Mutex::new(Runs::default()),
            db: tokio::sync::Mutex::new(()),
            metrics,
            tasks: Mutex::new(Vec::new()),
            fleets: Arc::new(Fleets::default()),
            fleet_every: Duration::from_secs(30),
            watcher: Mutex::new(None),
        }))
    }

    /// Also serve these fleets (`GET /v1/fleets/{name}`, metrics), read every `every` by
    /// a background task that `serve` starts. Call before the state is shared.
    #[must_use]
    pub fn watching(mut self, fleets: Fleets, every: Duration) -> AppState {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.fleets = Arc::new(fleets);
            inner.fleet_every = every;
        }
        self
    }

    /// Start reading the fleets in the background (none: nothing to do).
    pub fn watch_fleets(&self) {
        if self.0.fleets.is_empty() {
            return;
        }
        let fleets = self.0.fleets.clone();
        let migrations: Arc<[Migration]> = self.0.migrations.clone().into();
        let every = self.0.fleet_every;
        let task = tokio::spawn(async move {
            loop {
                fleets.refresh(&migrations).await;
                tokio::time::sleep(every).await;
            }
        });
        if let Ok(mut w) = self.0.watcher.lock() {
            *w = Some(task);
        }
    }

    fn runs(&self) -> std::sync::MutexGuard<'_, Runs> {
        // a panic elsewhere must not take the server down with it
        self.0
            .runs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn run(&self, id: u64) -> Option<RunInfo> {
        self.runs().by_id.get(&id).cloned()
    }

    fn run_by_key(&self, key: &str) -> Option<RunInfo> {
        let runs = self.runs();
        runs.by_key
            .get(key)
            .and_then(|id| runs.by_id.get(id))
            .cloned()
    }

    /// The run for `key`, started in the background if there is none yet.
    fn start(&self, key: String, job: Job, release: &str) -> RunInfo {
        let mut runs = self.runs();
        if let Some(r) = runs.by_key.get(&key).and_then(|id| runs.by_id.get(id)) {
            return r.clone();
        }
        runs.next += 1;
        let id = runs.next;
        let info = RunInfo {
            id,
            job,
            release: release.to_owned(),
            state: RunState::Running,
            reason: None,
            error: None,
            applied: Vec::new(),
            started_at: Utc::now(),
            finished_at: None,
        };
        runs.by_key.insert(key, id);
        runs.by_id.insert(id, info.clone());
        drop(runs);
        tracing::info!(run = id, job = ?job, release, "run started");
        let me = self.clone();
        let handle = tokio::spawn(async move { me.execute(id, job).await });
        if let Ok(mut t) = self.0.tasks.lock() {
            t.retain(|h| !h.is_finished());
            t.push(handle);
        }
        info
    }

    async fn execute(&self, id: u64, job: Job) {
        let Some(release) = self.run(id).map(|r| r.release) else {
            return;
        };
        self.0.metrics.running.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let stop = self.0.runner.stopper();
        let result = sluice_run::gates::until_open(
            self.0.opts.gate_wait,
            self.0.opts.gate_poll,
            &stop,
            |o: &DeployOutcome| !o.finished() && !o.apply.stopped,
            // the per-database mutex is held per attempt: a contract waiting on its gate
            // does not block other runs
            || async {
                let _one = self.0.db.lock().await;
                self.job_once(job, &release).await
            },
            |o| {
                self.update(id, |i| {
                    i.state = RunState::Waiting;
                    i.reason = Some(reason(o));
                });
            },
        )
        .await;
        self.0.metrics.running.fetch_sub(1, Ordering::Relaxed);
        let kind = match job {
            Job::PreDeploy => "pre-deploy",
            Job::PostDeploy => "post-deploy",
            Job::Apply(_) => "apply",
        };
        let state = match &result {
            Ok(o) if o.finished() => RunState::Applied,
            Ok(_) => RunState::Waiting,
            Err(_) => RunState::Failed,
        };
        let outcome = match state {
            RunState::Applied => "applied",
            RunState::Waiting => "waiting",
            _ => "failed",
        };
        self.0
            .metrics
            .run_finished(kind, outcome, started.elapsed().as_secs_f64());
        if let Ok(o) = &result {
            let rows: u64 = o.apply.backfills.iter().map(|b| b.rows).sum();
            self.0
                .metrics
                .backfill_rows
                .fetch_add(rows, Ordering::Relaxed);
        }
        match &result {
            Ok(_) => tracing::info!(run = id, outcome, "run finished"),
            Err(e) => tracing::error!(run = id, error = %e, "run failed"),
        }
        self.update(id, |i| {
            i.state = state;
            i.finished_at = Some(Utc::now());
            match &result {
                Ok(o) => {
                    i.reason = (state != RunState::Applied).then(|| reason(o));
                    i.applied = o
                        .apply
                        .done
                        .iter()
                        .map(|d| format!("{} {} ({})", d.version, d.name, d.phase.name()))
                        .collect();
                }
                Err(e) => i.error = Some(e.to_string()),
            }
        });
    }

    async fn job_once(&self, job: Job, release: &str) -> Result<DeployOutcome, RunError> {
        let e = &self.0.runner;
        let ms = &self.0.migrations;
        match job {
            Job::PreDeploy => e.pre_deploy(ms, release).await,
            Job::PostDeploy => e.post_deploy(ms, release, "migrate serve").await,
            Job::Apply(phase) => {
                let req = ApplyRequest {
                    phase,
                    to: None,
                    release: Some(release.to_owned()),
                    dry_run: false,
                    no_backfill: false,
                };
                Ok(DeployOutcome {
                    release: release.to_owned(),
                    apply: e.apply(ms, &req).await?,
                    ..DeployOutcome::default()
                })
            }
        }
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut RunInfo)) {
        if let Some(i) = self.runs().by_id.get_mut(&id) {
            f(i);
        }
    }

    /// After the listener closed: wait for background runs to reach their safe point.
    pub async fn drain(&self) {
        self.0.runner.stopper().store(true, Ordering::SeqCst);
        // a fleet reading only reads: it stops anywhere
        if let Some(w) = self.0.watcher.lock().ok().and_then(|mut w| w.take()) {
            w.abort();
        }
        let tasks = self
            .0
            .tasks
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        for t in tasks {
            let _ = t.await;
        }
    }
}

fn reason(o: &DeployOutcome) -> String {
    if o.apply.stopped {
        return "stopped at a safe point (server shutting down); the next call continues".into();
    }
    o.apply
        .waiting
        .first()
        .map(|w| {
            format!(
                "{} {} ({}): {}",
                w.version,
                w.name,
                w.phase.name(),
                w.reason
            )
        })
        .unwrap_or_default()
}

/// The router: every route of cli.md "Server routes"; `/v1` behind auth.
pub fn app(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/flagger/{hook}", post(flagger))
        .route("/status", get(status))
        .route("/runs", post(start_run))
        .route("/runs/{id}", get(get_run))
        .route("/fleets/{name}", get(get_fleet))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

/// Serve on `listener` until `shutdown` resolves; then stop accepting and let background
/// runs reach a safe point.
///
/// HTTP/1.1 through hyper directly rather than `axum::serve`, which sets no timer and so
/// no header read timeout: a client trickling its request head would hold its connection
/// (and a task) for ever.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let router = app(state.clone());
    state.watch_fleets();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // out of file descriptors and the like: wait rather than spin
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(
            router
                .clone()
                .map_request(|r: Request<hyper::body::Incoming>| r.map(Body::new)),
        );
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_HEAD);
            let conn = http.serve_connection(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the grace period: closing them");
    }
    tracing::info!("listener closed; waiting for running phases to reach a safe point");
    state.drain().await;
    Ok(())
}

fn answer(code: StatusCode, body: serde_json::Value) -> Response {
    (code, axum::Json(body)).into_response()
}

async fn authenticate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, MAX_BODY))
        .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": format!("body too large (at most {MAX_BODY} bytes)")}),
            );
        }
        Err(_) => {
            return answer(
                StatusCode::REQUEST_TIMEOUT,
                json!({"error": format!("the body did not arrive within {} s", BODY_READ_TIMEOUT.as_secs())}),
            );
        }
    };
    let h = |name: &str| {
        parts
            .headers
            .get(name)
            .map(axum::http::HeaderValue::as_bytes)
    };
    if !s
        .0
        .opts
        .auth
        .check(h("authorization"), h("x-sluice-signature"), &bytes)
    {
        tracing::warn!(path = %parts.uri.path(), "refused a request without a valid token or signature");
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthorized: send `Authorization: Bearer <token>` or `X-Sluice-Signature: sha256=<hex HMAC-SHA256 of the body>`"}),
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Flagger's webhook payload.
#[derive(Debug, Deserialize)]
struct FlaggerHook {
    name: String,
    namespace: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    checksum: String,
    /// Flagger omits it when empty; null is accepted too.
    #[serde(default)]
    metadata: Option<BTreeMap<String, String>>,
}

async fn flagger(State(s): State<AppState>, Path(hook): Path<String>, body: Bytes) -> Response {
    let p: FlaggerHook = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("not a Flagger webhook body: {e}")}),
            );
        }
    };
    let app = format!("{}.{}", p.name, p.namespace);
    // the canary revision; without one the app alone keys the run
    let release = if p.checksum.is_empty() {
        app.clone()
    } else {
        p.checksum.clone()
    };
    let pre_key = format!("pre:{app}:{release}");
    let post_key = format!("post:{app}:{release}");
    match hook.as_str() {
        "confirm-rollout" => {
            let r = s.start(pre_key, Job::PreDeploy, &release);
            gate_answer(&r, "expand")
        }
        "pre-rollout" | "confirm-traffic-increase" | "confirm-promotion" => {
            match s.run_by_key(&pre_key) {
                Some(r) => gate_answer(&r, "expand"),
                None => answer(
                    StatusCode::OK,
                    json!({"status": "pass", "reason": "no run for this revision"}),
                ),
            }
        }
        "post-rollout" => {
            if p.phase != "Succeeded" {
                tracing::info!(app, phase = %p.phase, "post-rollout without success: nothing recorded");
                return answer(
                    StatusCode::OK,
                    json!({"status": "ignored", "reason": format!("phase {}: only Succeeded records a rollout", p.phase)}),
                );
            }
            let r = s.start(post_key, Job::PostDeploy, &release);
            answer(
                StatusCode::ACCEPTED,
                json!({"status": r.state, "run": r.id}),
            )
        }
        "rollback" => {
            let failed = [&pre_key, &post_key]
                .into_iter()
                .filter_map(|k| s.run_by_key(k))
                .find(|r| r.state == RunState::Failed);
            match failed {
                Some(r) => answer(StatusCode::OK, json!({"rollback": true, "reason": r.error})),
                None => answer(
                    StatusCode::CONFLICT,
                    json!({"rollback": false, "reason": "no migration failed"}),
                ),
            }
        }
        "event" => {
            tracing::info!(app, phase = %p.phase, checksum = %p.checksum, metadata = ?p.metadata, "flagger event");
            answer(StatusCode::OK, json!({"status": "logged"}))
        }
        other => answer(
            StatusCode::NOT_FOUND,
            json!({"error": format!("unknown Flagger webhook `{other}`; known: confirm-rollout, pre-rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback, event")}),
        ),
    }
}

/// 200 once the run applied, 409 with the reason until then.
fn gate_answer(r: &RunInfo, what: &str) -> Response {
    match r.state {
        RunState::Applied => answer(StatusCode::OK, json!({"status": "applied", "run": r.id})),
        RunState::Running => answer(
            StatusCode::CONFLICT,
            json!({"status": "running", "run": r.id, "reason": format!("{what} is running for release {}", r.release)}),
        ),
        RunState::Waiting => answer(
            StatusCode::CONFLICT,
            json!({"status": "waiting", "run": r.id, "reason": r.reason}),
        ),
        RunState::Failed => answer(
            StatusCode::CONFLICT,
            json!({"status": "failed", "run": r.id, "reason": r.error}),
        ),
    }
}

#[derive(Debug, Deserialize)]
struct StatusQuery {
    release: Option<String>,
}

/// Phase states for Argo Rollouts' web metric and dashboards.
async fn status(State(s): State<AppState>, Query(q): Query<StatusQuery>) -> Response {
    let report =
        match tokio::time::timeout(DB_ANSWER_WITHIN, s.0.runner.status(&s.0.migrations)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"error": e.to_string()}),
                );
            }
            Err(_) => {
                return answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"error": "the ledger did not answer in time"}),
                );
            }
        };
    let phase_state = |phase: sluice_core::source::Phase| {
        let states: Vec<&str> = report
            .migrations
            .iter()
            .filter(|m| m.phase == phase)
            .map(|m| m.state.as_str())
            .collect();
        if states.contains(&"failed") {
            "failed"
        } else if states.contains(&"running") {
            "running"
        } else if states.iter().all(|s| *s == "applied") {
            "applied"
        } else {
            "pending"
        }
    };
    let mut expand = phase_state(sluice_core::source::Phase::Expand);
    let mut contract = phase_state(sluice_core::source::Phase::Contract);
    // a run of this release in progress shows as running even before its ledger row commits
    if let Some(rel) = &q.release {
        let runs = s.runs();
        for r in runs
            .by_id
            .values()
            .filter(|r| &r.release == rel && r.state == RunState::Running)
        {
            match r.job {
                Job::PreDeploy | Job::Apply(PhaseSel::Expand) if expand != "failed" => {
                    expand = "running";
                }
                // shown by the backfill state below
                Job::Apply(PhaseSel::Backfill) => {}
                Job::PostDeploy | Job::Apply(_) if contract != "failed" => contract = "running",
                _ => {}
            }
        }
    }
    let fills: Vec<&str> = report.backfills.iter().map(|b| b.state.as_str()).collect();
    let mut backfill = if fills.contains(&"failed") {
        "failed"
    } else if fills.contains(&"running") {
        "running"
    } else if fills.iter().all(|s| *s == "applied") && expand == "applied" {
        // nothing to backfill counts as done once expand is
        "applied"
    } else {
        "pending"
    };
    // a pre-deploy run in progress fills after its expands
    if expand == "applied"
        && backfill == "pending"
        && q.release.as_ref().is_some_and(|rel| {
            s.runs().by_id.values().any(|r| {
                &r.release == rel
                    && r.state == RunState::Running
                    && matches!(r.job, Job::PreDeploy | Job::Apply(PhaseSel::Backfill))
            })
        })
    {
        backfill = "running";
    }
    let failed = [expand, backfill, contract].contains(&"failed");
    answer(
        StatusCode::OK,
        json!({
            "release": q.release,
            "phases": {"expand": expand, "backfill": backfill, "contract": contract},
            "ready_for_rollout": expand == "applied" && backfill == "applied",
            "failed": failed,
        }),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    release: String,
    #[serde(default = "default_phase")]
    phase: String,
}

fn default_phase() -> String {
    "expand".into()
}

/// Spinnaker: start a run, 202 + Location of its status.
async fn start_run(State(s): State<AppState>, body: Bytes) -> Response {
    let req: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("body must be {{\"release\": ID, \"phase\": \"expand\"|\"backfill\"|\"contract\"|\"all\"}}: {e}")}),
            );
        }
    };
    if req.release.trim().is_empty() {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "`release` is empty"}),
        );
    }
    let job = match req.phase.as_str() {
        "expand" => Job::PreDeploy,
        "backfill" => Job::Apply(PhaseSel::Backfill),
        "contract" => Job::Apply(PhaseSel::Contract),
        "all" => Job::Apply(PhaseSel::All),
        other => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("unknown phase `{other}`: expand, backfill, contract or all")}),
            );
        }
    };
    let r = s.start(
        format!("run:{}:{}", req.release, req.phase),
        job,
        &req.release,
    );
    let mut h = HeaderMap::new();
    if let Ok(v) = format!("/v1/runs/{}", r.id).parse() {
        h.insert(header::LOCATION, v);
    }
    (StatusCode::ACCEPTED, h, axum::Json(r)).into_response()
}

async fn get_run(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>().ok().and_then(|id| s.run(id)) {
        Some(r) => answer(StatusCode::OK, serde_json::to_value(r).unwrap_or_default()),
        None => answer(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no run {id}")}),
        ),
    }
}

async fn readyz(State(s): State<AppState>) -> Response {
    match tokio::time::timeout(DB_ANSWER_WITHIN, s.0.runner.ready()).await {
        Ok(Ok(())) => answer(StatusCode::OK, json!({"ready": true})),
        Ok(Err(e)) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"ready": false, "reason": e.to_string()}),
        ),
        Err(_) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"ready": false, "reason": "the database did not answer in time"}),
        ),
    }
}

async fn metrics_text(State(s): State<AppState>) -> Response {
    let mut text = s.0.metrics.render();
    s.0.fleets.render_metrics(&mut text);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// A fleet's last reading: 200 with targets x phases; 503 until the first reading ends.
async fn get_fleet(State(s): State<AppState>, Path(name): Path<String>) -> Response {
    match s.0.fleets.get(&name) {
        None => answer(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no fleet `{name}`"), "fleets": s.0.fleets.names()}),
        ),
        Some(v) if v.refreshed_at.is_none() => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": format!("fleet `{name}` has not been read yet; ask again shortly")}),
        ),
        Some(v) => answer(StatusCode::OK, serde_json::to_value(v).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests;
