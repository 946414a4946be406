//! `migrate serve` over a real socket against a real PostgreSQL: the Flagger sequence with
//! every webhook sent twice, authentication, and answers under 1 s while a long expand runs.

use std::time::{Duration, Instant};

use crate::common::{Scratch, tree};
use sluice::run::Settings;
use sluice::run::hooks::signature;
use sluice::run::url::DbUrl;
use sluice::server::{self, AppState, Auth, Options};
use sluice::source::{LayoutChoice, discover};

const TOKEN: &str = "tok-9f8e7d6c5b4a";
const KEY: &str = "hmac-key-0a1b2c3d";

fn project() -> tempfile::TempDir {
    tree(&[
        (
            "migrations/1_users/expand.up.sql",
            // a long expand: the server must keep answering while it runs
            "CREATE TABLE applied_log (phase text NOT NULL);\nINSERT INTO applied_log VALUES ('expand');\nSELECT pg_sleep(2);\nCREATE TABLE users (id bigint PRIMARY KEY, email text, email_new text);\nINSERT INTO users (id, email) SELECT g, 'User' || g || '@Example.com' FROM generate_series(1, 100000) g;\n",
        ),
        (
            "migrations/1_users/expand.down.sql",
            "DROP TABLE users;\nDROP TABLE applied_log;\n",
        ),
        (
            // and a 100k-row backfill after it
            "migrations/1_users/backfill.toml",
            "table = \"users\"\nkey = [\"id\"]\nwhere = '\"email_new\" IS NULL'\nbatch_size = 2000\npause = \"5ms\"\n[set]\nemail_new = 'lower(\"email\")'\n",
        ),
        (
            "migrations/1_users/contract.up.sql",
            "INSERT INTO applied_log VALUES ('contract');\nALTER TABLE users DROP COLUMN email;\n",
        ),
        (
            "migrations/1_users/contract.down.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
    ])
}

fn state(s: &Scratch, dir: &std::path::Path) -> AppState {
    let found = discover(&dir.join("migrations"), LayoutChoice::Auto).unwrap();
    AppState::new(
        DbUrl::parse(&s.url).unwrap(),
        Settings::default(),
        found.migrations,
        Options {
            auth: Auth::new(Some(TOKEN.into()), Some(KEY.as_bytes().to_vec())).unwrap(),
            gate_poll: Duration::from_millis(200),
            gate_wait: Duration::from_secs(30),
        },
    )
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// Send, and check the answer came under 1 s.
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
        let started = Instant::now();
        let resp = req.send().await.unwrap();
        let code = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "answered in {took:?}: {text}"
        );
        (
            code,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    async fn flagger(&self, hook: &str, phase: &str) -> (u16, serde_json::Value) {
        let body = serde_json::json!({
            "name": "api", "namespace": "prod", "phase": phase,
            "checksum": "6d5f8c7b9", "metadata": {"app": "api"}
        })
        .to_string();
        // signed with the HMAC key (the other calls use the token)
        let sig = signature(KEY.as_bytes(), body.as_bytes());
        self.send(
            self.http
                .post(format!("{}/v1/flagger/{hook}", self.base))
                .header("X-Sluice-Signature", sig)
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }

    async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(TOKEN),
        )
        .await
    }
}

#[test]
fn flagger_sequence_applies_every_phase_once_and_answers_fast() {
    let s = Scratch::pg();
    let dir = project();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::serve(listener, state(&s, dir.path()), async {
            let _ = stop_rx.await;
        }));
        let c = Client {
            http: reqwest::Client::new(),
            base,
        };

        // confirm-rollout, twice: the first starts expand, both answer 409 while it runs
        let (code, body) = c.flagger("confirm-rollout", "Progressing").await;
        assert_eq!(code, 409, "{body}");
        assert_eq!(body["status"], "running");
        let (code, _) = c.flagger("confirm-rollout", "Progressing").await;
        assert_eq!(code, 409);
        let (code, st) = c.get("/v1/status?release=6d5f8c7b9").await;
        assert_eq!(code, 200);
        assert_eq!(st["phases"]["expand"], "running", "{st}");
        assert_eq!(st["ready_for_rollout"], false);

        // repeated until expand is done; every other route stays fast meanwhile
        let mut conflicts = 0;
        let started = Instant::now();
        loop {
            let (code, body) = c.flagger("confirm-rollout", "Progressing").await;
            if code == 200 {
                assert_eq!(body["status"], "applied");
                break;
            }
            assert_eq!(code, 409, "{body}");
            conflicts += 1;
            for path in [
                "/healthz",
                "/readyz",
                "/metrics",
                "/v1/status?release=6d5f8c7b9",
            ] {
                let (code, _) = c.get(path).await;
                assert_eq!(code, 200, "{path}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "expand never finished"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            conflicts >= 3,
            "the 3 s expand was answered 409 only {conflicts} times"
        );
        let (code, _) = c.flagger("confirm-rollout", "Progressing").await;
        assert_eq!(code, 200);
        let (_, st) = c.get("/v1/status?release=6d5f8c7b9").await;
        assert_eq!(st["phases"]["expand"], "applied", "{st}");
        assert_eq!(st["phases"]["backfill"], "applied", "{st}");
        assert_eq!(st["phases"]["contract"], "pending", "{st}");
        assert_eq!(st["ready_for_rollout"], true);
        // no migration failed: rollback answers non-2xx
        let (code, body) = c.flagger("rollback", "Progressing").await;
        assert_eq!(code, 409, "{body}");

        // unauthenticated or badly signed requests: 401 and nothing happens
        let body =
            r#"{"name":"api","namespace":"prod","phase":"Succeeded","checksum":"6d5f8c7b9"}"#;
        let url = format!("{}/v1/flagger/post-rollout", c.base);
        for req in [
            c.http.post(&url).body(body),
            c.http.post(&url).bearer_auth("tok-wrong").body(body),
            c.http
                .post(&url)
                .header(
                    "X-Sluice-Signature",
                    signature(b"other key", body.as_bytes()),
                )
                .body(body),
            c.http
                .post(&url)
                .header("X-Sluice-Signature", "sha256=not-hex")
                .body(body),
        ] {
            let (code, answer) = c.send(req).await;
            assert_eq!(code, 401, "{answer}");
        }
        let (code, _) = c.send(c.http.get(format!("{}/v1/status", c.base))).await;
        assert_eq!(code, 401);
        assert_eq!(
            s.strings("SELECT count(*)::text FROM sluice_events WHERE kind = 'rollout-complete'"),
            ["0"]
        );

        // post-rollout Succeeded, twice: records the rollout and starts contract once
        let (code, first) = c.flagger("post-rollout", "Succeeded").await;
        assert_eq!(code, 202, "{first}");
        let (code, second) = c.flagger("post-rollout", "Succeeded").await;
        assert_eq!(code, 202, "{second}");
        assert_eq!(first["run"], second["run"]);
        let started = Instant::now();
        loop {
            let (_, st) = c.get("/v1/status?release=6d5f8c7b9").await;
            if st["phases"]["contract"] == "applied" {
                break;
            }
            assert_ne!(st["phases"]["contract"], "failed", "{st}");
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "contract never ran: {st}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (code, run) = c.get(&format!("/v1/runs/{}", first["run"])).await;
        assert_eq!(code, 200);
        assert_eq!(run["state"], "applied", "{run}");
        assert_eq!(run["applied"], serde_json::json!(["1 users (contract)"]));
        // late duplicates change nothing
        let (code, _) = c.flagger("confirm-rollout", "Progressing").await;
        assert_eq!(code, 200);
        let (code, again) = c.flagger("post-rollout", "Succeeded").await;
        assert_eq!(code, 202);
        assert_eq!(again["run"], first["run"]);
        let (code, _) = c.flagger("event", "Succeeded").await;
        assert_eq!(code, 200);

        let (_, metrics) = (
            0,
            c.http
                .get(format!("{}/metrics", c.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            metrics.contains("sluice_runs_total{kind=\"pre-deploy\",outcome=\"applied\"} 1\n")
                && metrics
                    .contains("sluice_runs_total{kind=\"post-deploy\",outcome=\"applied\"} 1\n"),
            "{metrics}"
        );

        let _ = stop_tx.send(());
        server.await.unwrap().unwrap();
    });

    // every phase ran exactly once
    assert_eq!(
        s.strings("SELECT phase FROM applied_log ORDER BY phase DESC"),
        ["expand", "contract"]
    );
    assert_eq!(
        s.strings("SELECT phase || ' ' || state FROM sluice_migrations ORDER BY phase DESC"),
        ["expand applied", "contract applied"]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM sluice_events WHERE kind = 'rollout-complete'"),
        ["1"]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM users WHERE email_new IS NULL OR email_new <> lower(email_new)"),
        ["0"]
    );
    assert_eq!(
        s.strings("SELECT email_new FROM users WHERE id = 77"),
        ["user77@example.com"]
    );
    assert_eq!(
        s.strings("SELECT state || ' ' || rows_done FROM sluice_backfill"),
        ["applied 100000"]
    );
}

/// The router without a socket (tower `oneshot`): Spinnaker runs, a failed migration makes
/// Flagger's rollback answer 2xx, bad input is a 4xx.
#[test]
fn runs_and_rollback_through_the_router() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let s = Scratch::pg();
    let dir = tree(&[
        ("migrations/1_t/expand.up.sql", "CREATE TABLE t (id int);\n"),
        ("migrations/1_t/expand.down.sql", "DROP TABLE t;\n"),
        (
            "migrations/2_bad/expand.up.sql",
            "ALTER TABLE missing ADD COLUMN x int;\n",
        ),
        ("migrations/2_bad/expand.down.sql", "SELECT 1;\n"),
    ]);
    let st = state(&s, dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let call = |method: &str, uri: &str, body: &str| {
            let req = Request::builder()
                .method(method)
                .uri(uri)
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::from(body.to_owned()))
                .unwrap();
            let app = server::app(st.clone());
            async move {
                let resp = app.oneshot(req).await.unwrap();
                let code = resp.status().as_u16();
                let loc = resp
                    .headers()
                    .get("location")
                    .map(|v| v.to_str().unwrap().to_owned());
                let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                    .await
                    .unwrap();
                let v: serde_json::Value =
                    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
                (code, loc, v)
            }
        };
        let (code, loc, run) =
            call("POST", "/v1/runs", r#"{"release":"r7","phase":"expand"}"#).await;
        assert_eq!(code, 202, "{run}");
        let loc = loc.unwrap();
        assert_eq!(loc, format!("/v1/runs/{}", run["id"]));
        let (code, _, again) =
            call("POST", "/v1/runs", r#"{"release":"r7","phase":"expand"}"#).await;
        assert_eq!(code, 202);
        assert_eq!(again["id"], run["id"]);
        let started = Instant::now();
        let done = loop {
            let (code, _, r) = call("GET", &loc, "").await;
            assert_eq!(code, 200);
            if r["state"] != "running" {
                break r;
            }
            assert!(started.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(done["state"], "failed", "{done}");
        assert!(
            done["error"]
                .as_str()
                .unwrap()
                .contains("relation \"missing\" does not exist"),
            "{done}"
        );
        let (_, _, status) = call("GET", "/v1/status?release=r7", "").await;
        assert_eq!(status["failed"], true, "{status}");
        assert_eq!(status["phases"]["expand"], "failed");

        // Flagger: confirm-rollout's run fails, then rollback says "roll back now"
        let hook = |h: &str| {
            call(
                "POST",
                &format!("/v1/flagger/{h}"),
                r#"{"name":"web","namespace":"prod","phase":"Progressing","checksum":"c1"}"#,
            )
        };
        let (code, _, _) = hook("rollback").await;
        assert_eq!(code, 409);
        let (code, _, _) = hook("confirm-rollout").await;
        assert_eq!(code, 409);
        let started = Instant::now();
        loop {
            let (code, _, b) = hook("confirm-rollout").await;
            assert_eq!(code, 409);
            if b["status"] == "failed" {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (code, _, b) = hook("rollback").await;
        assert_eq!(code, 200, "{b}");
        assert_eq!(b["rollback"], true);

        // bad input
        assert_eq!(call("POST", "/v1/runs", "{").await.0, 400);
        assert_eq!(
            call("POST", "/v1/runs", r#"{"release":"r","phase":"sideways"}"#)
                .await
                .0,
            400
        );
        assert_eq!(call("GET", "/v1/runs/999", "").await.0, 404);
        assert_eq!(
            call("POST", "/v1/flagger/confirm-rollout", "[]").await.0,
            400
        );
        assert_eq!(
            call(
                "POST",
                "/v1/flagger/unknown",
                r#"{"name":"a","namespace":"b"}"#
            )
            .await
            .0,
            404
        );
        assert_eq!(call("GET", "/healthz", "").await.0, 200);
        st.drain().await;
    });
    assert!(s.table_exists("t"));
}

/// Shutdown while a run is in its first phase: that phase finishes (never aborted mid-DDL),
/// the next one stays pending, and `serve` returns.
#[test]
fn shutdown_lets_the_running_phase_finish_and_leaves_the_rest() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "migrations/1_slow/expand.up.sql",
            "CREATE TABLE slow (id int);\nSELECT pg_sleep(2);\n",
        ),
        ("migrations/1_slow/expand.down.sql", "DROP TABLE slow;\n"),
        (
            "migrations/2_next/expand.up.sql",
            "CREATE TABLE next (id int);\n",
        ),
        ("migrations/2_next/expand.down.sql", "DROP TABLE next;\n"),
    ]);
    let st = state(&s, dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let run = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::serve(listener, st.clone(), async {
            let _ = stop_rx.await;
        }));
        let c = Client {
            http: reqwest::Client::new(),
            base,
        };
        let (code, run) = c
            .send(
                c.http
                    .post(format!("{}/v1/runs", c.base))
                    .bearer_auth(TOKEN)
                    .body(r#"{"release":"r1","phase":"expand"}"#),
            )
            .await;
        assert_eq!(code, 202);
        // wait until the first phase is under way (its ledger row is written in its transaction)
        let started = Instant::now();
        while s
            .strings("SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()")
            .is_empty()
        {
            assert!(started.elapsed() < Duration::from_secs(20), "the run never started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop_tx.send(());
        server.await.unwrap().unwrap();
        st.run(run["id"].as_u64().unwrap()).unwrap()
    });
    assert_eq!(
        serde_json::to_value(run.state).unwrap(),
        "waiting",
        "{run:?}"
    );
    assert!(
        run.reason
            .as_deref()
            .unwrap()
            .contains("stopped at a safe point"),
        "{run:?}"
    );
    assert_eq!(run.applied, ["1 slow (expand)"]);
    assert!(s.table_exists("slow"));
    assert!(!s.table_exists("next"));
    assert_eq!(
        s.strings("SELECT version || ' ' || state FROM sluice_migrations"),
        ["1 applied"]
    );
}

/// post-rollout: `Failed` records nothing; `Succeeded` records the rollout and the contract
/// waits on its gate in the background, applied once the gate holds.
#[test]
fn post_rollout_contract_waits_for_its_gate() {
    use axum::body::Body;
    use axum::http::Request;
    use sluice::run::gates::{CommandGate, Gate};
    use tower::ServiceExt;

    let s = Scratch::pg();
    let dir = project();
    let flag = dir.path().join("rolled-out");
    let found = discover(&dir.path().join("migrations"), LayoutChoice::Auto).unwrap();
    let settings = Settings {
        gate: Gate::All(vec![
            Gate::Recorded,
            Gate::Command(CommandGate {
                command: format!("test -f {}", flag.display()),
                timeout: Duration::from_secs(5),
            }),
        ]),
        ..Settings::default()
    };
    let st = AppState::new(
        DbUrl::parse(&s.url).unwrap(),
        settings,
        found.migrations,
        Options {
            auth: Auth::new(Some(TOKEN.into()), None).unwrap(),
            gate_poll: Duration::from_millis(100),
            gate_wait: Duration::from_secs(60),
        },
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let hook = |h: &str, phase: &str| {
            let body =
                format!(r#"{{"name":"api","namespace":"prod","phase":"{phase}","checksum":"c9"}}"#);
            let req = Request::builder()
                .method("POST")
                .uri(format!("/v1/flagger/{h}"))
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::from(body))
                .unwrap();
            let app = server::app(st.clone());
            async move {
                let resp = app.oneshot(req).await.unwrap();
                let code = resp.status().as_u16();
                let b = axum::body::to_bytes(resp.into_body(), 1 << 20)
                    .await
                    .unwrap();
                (
                    code,
                    serde_json::from_slice::<serde_json::Value>(&b).unwrap(),
                )
            }
        };
        // expand first
        loop {
            let (code, _) = hook("confirm-rollout", "Progressing").await;
            if code == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (code, body) = hook("post-rollout", "Failed").await;
        assert_eq!(code, 200);
        assert_eq!(body["status"], "ignored");
        assert_eq!(
            s.strings("SELECT count(*)::text FROM sluice_events WHERE kind = 'rollout-complete'"),
            ["0"]
        );
        let (code, body) = hook("post-rollout", "Succeeded").await;
        assert_eq!(code, 202, "{body}");
        let run_id = body["run"].as_u64().unwrap();
        let started = Instant::now();
        let waiting = loop {
            let r = st.run(run_id).unwrap();
            if r.state == server::RunState::Waiting {
                break r;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{r:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            waiting
                .reason
                .as_deref()
                .unwrap()
                .contains("waiting on command `test -f"),
            "{waiting:?}"
        );
        assert!(
            s.strings("SELECT state FROM sluice_migrations WHERE phase = 'contract'")
                .is_empty()
        );
        std::fs::write(&flag, "").unwrap();
        let started = Instant::now();
        loop {
            let r = st.run(run_id).unwrap();
            if r.state == server::RunState::Applied {
                assert_eq!(r.applied, ["1 users (contract)"]);
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{r:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        st.drain().await;
    });
    assert_eq!(
        s.strings("SELECT phase FROM applied_log ORDER BY phase DESC"),
        ["expand", "contract"]
    );
}

/// Shutdown during a backfill: it stops after a committed batch (its checkpoint), and the
/// next run resumes there and finishes.
#[test]
fn shutdown_pauses_a_backfill_between_batches() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "migrations/1_t/expand.up.sql",
            "CREATE TABLE t (id bigint PRIMARY KEY, v int, w int);\nINSERT INTO t (id, v) SELECT g, g FROM generate_series(1, 100000) g;\n",
        ),
        ("migrations/1_t/expand.down.sql", "DROP TABLE t;\n"),
        (
            "migrations/1_t/backfill.toml",
            "table = \"t\"\nkey = [\"id\"]\nwhere = '\"w\" IS NULL'\nbatch_size = 1000\npause = \"30ms\"\n[set]\nw = '\"v\" * 2'\n",
        ),
    ]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start_and_stop = |stop_early: bool| {
        let st = state(&s, dir.path());
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(server::serve(listener, st.clone(), async {
                let _ = stop_rx.await;
            }));
            let c = Client {
                http: reqwest::Client::new(),
                base,
            };
            let (code, run) = c
                .send(
                    c.http
                        .post(format!("{}/v1/runs", c.base))
                        .bearer_auth(TOKEN)
                        .body(r#"{"release":"r1","phase":"expand"}"#),
                )
                .await;
            assert_eq!(code, 202);
            let id = run["id"].as_u64().unwrap();
            let started = Instant::now();
            loop {
                let r = st.run(id).unwrap();
                let ledger = s.strings("SELECT to_regclass('sluice_backfill')::text");
                if stop_early && ledger[0].is_empty() {
                    // the ledger is not created yet
                } else if stop_early {
                    let done = s.strings(
                        "SELECT rows_done::text FROM sluice_backfill WHERE state = 'running'",
                    );
                    if done
                        .first()
                        .is_some_and(|n| n.parse::<u64>().unwrap() >= 5000)
                    {
                        break;
                    }
                } else if r.state != server::RunState::Running {
                    break;
                }
                assert!(started.elapsed() < Duration::from_secs(60), "{r:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = stop_tx.send(());
            server.await.unwrap().unwrap();
            st.run(id).unwrap()
        })
    };
    let first = start_and_stop(true);
    assert_eq!(first.state, server::RunState::Waiting, "{first:?}");
    let (state, done) = {
        let r = s.strings("SELECT state || ' ' || rows_done FROM sluice_backfill");
        let (a, b) = r[0].split_once(' ').unwrap();
        (a.to_owned(), b.parse::<u64>().unwrap())
    };
    assert_eq!(state, "running");
    assert!((5000..100_000).contains(&done), "{done}");
    // the rows written so far are exactly the checkpointed ones
    assert_eq!(
        s.strings("SELECT count(*)::text FROM t WHERE w IS NOT NULL"),
        [done.to_string()]
    );
    let second = start_and_stop(false);
    assert_eq!(second.state, server::RunState::Applied, "{second:?}");
    assert_eq!(
        s.strings("SELECT state || ' ' || rows_done FROM sluice_backfill"),
        ["applied 100000"]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM t WHERE w IS DISTINCT FROM v * 2"),
        ["0"]
    );
}
