//! Contract gates through `migrate gate check`: the kubernetes gate against recorded
//! objects (a fake `kubectl` first on PATH prints them), command and http gates, config errors.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{Run, run};

/// A `kubectl` that prints the object named by `$FAKE_OBJECT` and logs its arguments.
fn fake_kubectl(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("kubectl");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"$@\" >> \"$FAKE_ARGS\"\nexec cat \"$FAKE_OBJECT\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn gate_check(dir: &Path, fixture: &str, extra: &[&str]) -> Run {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"));
    c.current_dir(dir)
        .env("PATH", path)
        .env(
            "FAKE_OBJECT",
            crate::common::repo()
                .join("fixtures/kubernetes")
                .join(fixture),
        )
        .env("FAKE_ARGS", dir.join("args.txt"))
        .env_remove("DATABASE_URL")
        .env_remove("SLUICE_ENV")
        .args(["gate", "check"])
        .args(extra);
    run(&mut c)
}

const KUBE_CONFIG: &str = r#"
[gates.prod]
kind = "kubernetes"
deployment = "api"
namespace = "prod"
[gates.argo]
kind = "kubernetes"
rollout = "api"
namespace = "prod"
"#;

#[test]
fn kubernetes_verdicts_match_kubectl_rollout_status() {
    let dir = crate::common::tree(&[("sluice.toml", KUBE_CONFIG)]);
    fake_kubectl(dir.path());
    // (fixture, holds, kubectl rollout status's message)
    let cases = [
        (
            "complete.json",
            true,
            "deployment \"api\" successfully rolled out",
        ),
        (
            "progressing.json",
            false,
            "Waiting for deployment \"api\" rollout to finish: 1 out of 3 new replicas have been updated...",
        ),
        (
            "old-replicas-pending.json",
            false,
            "Waiting for deployment \"api\" rollout to finish: 1 old replicas are pending termination...",
        ),
        (
            "terminating.json",
            false,
            "Waiting for deployment \"api\" rollout to finish: 1 old replicas are still terminating...",
        ),
        (
            "deadline-exceeded.json",
            false,
            "deployment \"api\" exceeded its progress deadline",
        ),
        ("paused.json", false, "deployment \"api\" is paused"),
        (
            "spec-not-observed.json",
            false,
            "Waiting for deployment spec update to be observed...",
        ),
        (
            "unavailable.json",
            false,
            "Waiting for deployment \"api\" rollout to finish: 2 of 3 updated replicas are available...",
        ),
    ];
    for (fixture, holds, message) in cases {
        let r = gate_check(dir.path(), fixture, &["--env", "prod", "--format", "json"]);
        assert_eq!(r.code, if holds { 0 } else { 3 }, "{fixture}: {r:?}");
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["holds"], holds, "{fixture}");
        assert_eq!(v["verdict"]["gate"], "kubernetes deployment prod/api");
        let why = v["verdict"]["why"].as_str().unwrap();
        assert!(why.starts_with(message), "{fixture}: {why}");
    }
    let args = std::fs::read_to_string(dir.path().join("args.txt")).unwrap();
    assert_eq!(
        args.lines().next().unwrap(),
        "get deployment api -n prod -o json"
    );
    // Argo Rollouts: Healthy holds, a canary pause step does not
    let r = gate_check(dir.path(), "rollout-healthy.json", &["--env", "argo"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("yes kubernetes rollout prod/api: rollout \"api\" successfully rolled out"),
        "{r:?}"
    );
    let r = gate_check(dir.path(), "rollout-paused.json", &["--env", "argo"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stdout.contains("rollout \"api\" is paused"), "{r:?}");
}

#[test]
fn combinators_and_command_gates() {
    let dir = crate::common::tree(&[(
        "sluice.toml",
        r#"
[gates.default]
any = [
  { kind = "command", command = "echo 'canary at 20%' >&2; exit 1" },
  { all = [{ kind = "command", command = "true" }, { kind = "command", command = "exit 0" }] },
]
[gates.strict]
all = [{ kind = "command", command = "true" }, { kind = "command", command = "echo 'not yet' >&2; false", timeout = "5s" }]
"#,
    )]);
    fake_kubectl(dir.path());
    let r = gate_check(dir.path(), "complete.json", &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("yes any: all holds"), "{r:?}");
    assert!(
        r.stdout
            .contains("no  command `echo 'canary at 20%' >&2; exit 1`: exit 1: canary at 20%"),
        "{r:?}"
    );
    let r = gate_check(dir.path(), "complete.json", &["--env", "strict"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout
            .contains("no  all: waiting on command `echo 'not yet' >&2; false`: exit 1: not yet"),
        "{r:?}"
    );
    let r = gate_check(dir.path(), "complete.json", &["--env", "staging"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("no [gates.staging]; configured environments: default, strict"),
        "{r:?}"
    );
}

#[test]
fn bad_gate_config_names_line_and_column() {
    for (text, want) in [
        (
            "[gates.prod]\nkind = \"kubernetes\"\ndeployment = \"api\"\nurl = \"http://x\"\n",
            "sluice.toml:4:7: `url` does not belong to a `kubernetes` gate",
        ),
        (
            "[gates.prod]\nkind = \"kubernet\"\n",
            "sluice.toml:2:8: unknown gate kind `kubernet`",
        ),
        (
            "[gates.prod]\nall = [{ kind = \"http\" }]\n",
            "sluice.toml:2:8: a `http` gate needs `url`",
        ),
        (
            "[gates.prod]\nkind = \"http\"\nurl = \"http://x/\"\npointer = \"status\"\n",
            "sluice.toml:4:11: `pointer` is an RFC 6901 JSON pointer",
        ),
        (
            "[[hooks]]\non = \"before-contrac\"\ncommand = \"x\"\n",
            "sluice.toml:2:6: unknown variant `before-contrac`",
        ),
        (
            "[[hooks]]\non = \"before-contract\"\ncommand = \"x\"\nurl = \"http://x/\"\n",
            "sluice.toml:1:1: a hook needs exactly one of `command`",
        ),
    ] {
        let dir = crate::common::tree(&[("sluice.toml", text)]);
        let r = gate_check(dir.path(), "complete.json", &[]);
        assert_eq!(r.code, 2, "{text}: {r:?}");
        assert!(r.stderr.contains(want), "{text}: {r:?}");
    }
}

/// A local HTTP server for the `http` gate and for webhooks: answers `/ok` with JSON,
/// `/down` with 503, and records what `/hook` receives.
async fn local_server() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(Option<String>, Vec<u8>)>>>,
) {
    use axum::routing::{get, post};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let rec = seen.clone();
    let app = axum::Router::new()
        .route(
            "/ok",
            get(|| async {
                axum::Json(serde_json::json!({"version": 42, "state": {"phase": "done"}}))
            }),
        )
        .route(
            "/down",
            get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "starting") }),
        )
        .route(
            "/hook",
            post(move |h: axum::http::HeaderMap, body: axum::body::Bytes| {
                let rec = rec.clone();
                async move {
                    let sig = h
                        .get("x-sluice-signature")
                        .map(|v| v.to_str().unwrap().to_owned());
                    rec.lock().unwrap().push((sig, body.to_vec()));
                    "ok"
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

#[test]
fn http_gate_and_signed_webhook_against_a_local_server() {
    use sluice::run::gates::HttpGate;
    use sluice::run::hooks::{self, Action, Hook, HookEvent, HookPoint, KeySource};
    use std::time::Duration;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (base, seen) = local_server().await;
        let gate =
            |path: &str, pointer: Option<&str>, expect: Option<serde_json::Value>| HttpGate {
                url: format!("{base}{path}"),
                pointer: pointer.map(str::to_owned),
                expect,
                timeout: Duration::from_secs(5),
            };
        let v = gate("/ok", None, None).check().await;
        assert!(v.holds, "{v:?}");
        assert_eq!(v.why, "answered 200 OK");
        let v = gate("/down", None, None).check().await;
        assert!(!v.holds);
        assert_eq!(v.why, "answered 503 Service Unavailable");
        let v = gate("/ok", Some("/version"), Some(serde_json::json!(40)))
            .check()
            .await;
        assert!(v.holds, "{v:?}");
        let v = gate("/ok", Some("/version"), Some(serde_json::json!(43)))
            .check()
            .await;
        assert!(!v.holds);
        assert_eq!(v.why, "/version is 42, waiting for >= 43");
        let v = gate("/ok", Some("/state/phase"), Some(serde_json::json!("done")))
            .check()
            .await;
        assert!(v.holds, "{v:?}");

        // a signed webhook: the receiver can verify the signature of the exact body
        let key_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(key_file.path(), "webhook-key\n").unwrap();
        let hooks = vec![Hook {
            on: HookPoint::AfterContract,
            action: Action::Webhook {
                url: format!("{base}/hook"),
                key: Some(KeySource::File(key_file.path().to_owned())),
            },
            timeout: Duration::from_secs(5),
        }];
        let ev = HookEvent {
            version: Some("3".into()),
            phase: Some("contract".into()),
            release: Some("r2".into()),
            outcome: Some("ok".into()),
            ..HookEvent::default()
        };
        hooks::fire(&hooks, HookPoint::AfterContract, &ev)
            .await
            .unwrap();
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        let (sig, body) = &got[0];
        assert_eq!(
            sig.as_deref(),
            Some(hooks::signature(b"webhook-key", body).as_str())
        );
        let body: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["hook"], "after-contract");
        assert_eq!(body["version"], "3");
        assert_eq!(body["release"], "r2");
        assert_eq!(body["outcome"], "ok");
    });
}
