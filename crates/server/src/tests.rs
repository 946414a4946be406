//! The handlers against a fake [`Runner`]: no database, no socket (`app(state)` answers
//! `oneshot` requests). What a real run does is in tests/it/serve_pg.rs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use super::*;
use sluice_core::source::Phase;
use sluice_run::{RunFuture, StatusEntry, StatusReport, Waiting};

/// Counts calls; `pre_deploy` waits until released, so a test sees a run in progress.
#[derive(Default)]
struct Fake {
    pre: AtomicUsize,
    post: AtomicUsize,
    release_pre: tokio::sync::Notify,
    hold_pre: AtomicBool,
    /// post-deploy answers "waiting on the gate" this many times.
    waits: AtomicUsize,
    ready: Mutex<Option<String>>,
    status: Mutex<StatusReport>,
    stop: Arc<AtomicBool>,
}

fn outcome(release: &str) -> DeployOutcome {
    DeployOutcome {
        release: release.to_owned(),
        ..DeployOutcome::default()
    }
}

impl Runner for Fake {
    fn pre_deploy<'a>(
        &'a self,
        _: &'a [Migration],
        release: &'a str,
    ) -> RunFuture<'a, DeployOutcome> {
        Box::pin(async move {
            self.pre.fetch_add(1, Ordering::SeqCst);
            if self.hold_pre.load(Ordering::SeqCst) {
                self.release_pre.notified().await;
            }
            Ok(outcome(release))
        })
    }

    fn post_deploy<'a>(
        &'a self,
        _: &'a [Migration],
        release: &'a str,
        _: &'a str,
    ) -> RunFuture<'a, DeployOutcome> {
        Box::pin(async move {
            self.post.fetch_add(1, Ordering::SeqCst);
            let mut o = outcome(release);
            if self
                .waits
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                o.apply.waiting.push(Waiting {
                    version: "2".into(),
                    name: "drop_old".into(),
                    phase: Phase::Contract,
                    reason: "the `recorded` gate: no rollout completion recorded".into(),
                });
            }
            Ok(o)
        })
    }

    fn apply<'a>(
        &'a self,
        _: &'a [Migration],
        _: &'a ApplyRequest,
    ) -> RunFuture<'a, sluice_run::ApplyOutcome> {
        Box::pin(async { Ok(sluice_run::ApplyOutcome::default()) })
    }

    fn status<'a>(&'a self, _: &'a [Migration]) -> RunFuture<'a, StatusReport> {
        Box::pin(async { Ok(self.status.lock().unwrap().clone()) })
    }

    fn ready(&self) -> RunFuture<'_, ()> {
        Box::pin(async {
            match self.ready.lock().unwrap().clone() {
                None => Ok(()),
                Some(why) => Err(RunError::Db(why)),
            }
        })
    }

    fn stopper(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }
}

fn state(fake: Arc<Fake>, token: Option<&str>) -> AppState {
    AppState::with_runner(
        fake,
        Arc::new(Metrics::default()),
        Vec::new(),
        Options {
            auth: Auth::new(token.map(str::to_owned), None).unwrap_or_else(|| {
                Auth::new(Some("t".into()), None).expect("a token makes an Auth")
            }),
            gate_poll: Duration::from_millis(20),
            gate_wait: Duration::from_millis(500),
        },
    )
}

async fn call(s: &AppState, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", "Bearer t")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let resp = app(s.clone()).oneshot(req).await.unwrap();
    let code = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn hook(phase: &str) -> String {
    format!(r#"{{"name":"shop","namespace":"prod","phase":"{phase}","checksum":"abc123"}}"#)
}

async fn settle(s: &AppState, id: u64) -> RunInfo {
    for _ in 0..200 {
        let r = s.run(id).unwrap();
        if matches!(r.state, RunState::Applied | RunState::Failed) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.run(id).unwrap()
}

#[tokio::test]
async fn a_repeated_webhook_maps_to_one_run() {
    let fake = Arc::new(Fake::default());
    fake.hold_pre.store(true, Ordering::SeqCst);
    let s = state(fake.clone(), Some("t"));
    let (code, body) = call(
        &s,
        "POST",
        "/v1/flagger/confirm-rollout",
        &hook("Progressing"),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["status"], "running");
    let id = body["run"].as_u64().unwrap();
    for _ in 0..20 {
        let (code, body) = call(
            &s,
            "POST",
            "/v1/flagger/confirm-rollout",
            &hook("Progressing"),
        )
        .await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(body["run"].as_u64(), Some(id), "the same run answers");
    }
    fake.release_pre.notify_one();
    assert_eq!(settle(&s, id).await.state, RunState::Applied);
    let (code, body) = call(
        &s,
        "POST",
        "/v1/flagger/confirm-rollout",
        &hook("Progressing"),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        fake.pre.load(Ordering::SeqCst),
        1,
        "exactly one pre-deploy ran"
    );
}

#[tokio::test]
async fn a_contract_waiting_on_its_gate_is_polled_until_it_runs() {
    let fake = Arc::new(Fake::default());
    fake.waits.store(2, Ordering::SeqCst);
    let s = state(fake.clone(), Some("t"));
    let (code, body) = call(&s, "POST", "/v1/flagger/post-rollout", &hook("Succeeded")).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    let r = settle(&s, body["run"].as_u64().unwrap()).await;
    assert_eq!(r.state, RunState::Applied, "{r:?}");
    assert_eq!(
        fake.post.load(Ordering::SeqCst),
        3,
        "two waits, then the contract"
    );
}

#[tokio::test]
async fn post_rollout_without_success_records_nothing() {
    let fake = Arc::new(Fake::default());
    let s = state(fake.clone(), Some("t"));
    let (code, body) = call(&s, "POST", "/v1/flagger/post-rollout", &hook("Failed")).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["status"], "ignored");
    assert_eq!(fake.post.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn bad_requests_are_named() {
    let s = state(Arc::new(Fake::default()), Some("t"));
    let (code, body) = call(&s, "POST", "/v1/flagger/confirm-rollout", "{not json").await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not a Flagger webhook body")
    );
    let (code, body) = call(&s, "POST", "/v1/flagger/teleport", &hook("x")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("confirm-rollout"));
    let (code, _) = call(
        &s,
        "POST",
        "/v1/runs",
        r#"{"release":"r1","phase":"sideways"}"#,
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let (code, _) = call(&s, "GET", "/v1/runs/nope", "").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn requests_without_the_token_are_refused() {
    let fake = Arc::new(Fake::default());
    let s = state(fake.clone(), Some("secret"));
    let (code, body) = call(
        &s,
        "POST",
        "/v1/flagger/confirm-rollout",
        &hook("Progressing"),
    )
    .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(fake.pre.load(Ordering::SeqCst), 0, "nothing ran");
}

#[tokio::test]
async fn readyz_says_why_the_database_is_not_ready() {
    let fake = Arc::new(Fake::default());
    let s = state(fake.clone(), Some("t"));
    assert_eq!(call(&s, "GET", "/readyz", "").await.0, StatusCode::OK);
    *fake.ready.lock().unwrap() = Some("cannot connect to postgres://app@db/shop".into());
    let (code, body) = call(&s, "GET", "/readyz", "").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["reason"].as_str().unwrap().contains("cannot connect"));
}

#[tokio::test]
async fn status_reports_phases_from_the_ledger() {
    let fake = Arc::new(Fake::default());
    let entry = |phase, state: &str| StatusEntry {
        version: "1".into(),
        name: "add".into(),
        phase,
        state: state.into(),
        drifted: false,
        file_missing: false,
        path: None,
        file_checksum: None,
        ledger_checksum: None,
        statements_done: None,
        statements_total: None,
        finished_at: None,
        duration_ms: None,
        release: None,
        applied_by: None,
        error: None,
    };
    fake.status.lock().unwrap().migrations = vec![
        entry(Phase::Expand, "applied"),
        entry(Phase::Contract, "pending"),
    ];
    let s = state(fake, Some("t"));
    let (code, body) = call(&s, "GET", "/v1/status?release=r1", "").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["phases"]["expand"], "applied");
    assert_eq!(body["phases"]["backfill"], "applied");
    assert_eq!(body["phases"]["contract"], "pending");
    assert_eq!(body["ready_for_rollout"], true);
}

#[tokio::test]
async fn runs_start_with_a_location_and_read_back() {
    let fake = Arc::new(Fake::default());
    let s = state(fake.clone(), Some("t"));
    let req = Request::builder()
        .method("POST")
        .uri("/v1/runs")
        .header("authorization", "Bearer t")
        .body(Body::from(r#"{"release":"r7","phase":"expand"}"#))
        .unwrap();
    let resp = app(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let loc = resp.headers()["location"].to_str().unwrap().to_owned();
    let id: u64 = loc.rsplit('/').next().unwrap().parse().unwrap();
    settle(&s, id).await;
    let (code, body) = call(&s, "GET", &loc, "").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["release"], "r7");
    assert_eq!(body["state"], "applied");
}
