//! The deployment examples in `examples/` (and `.pre-commit-hooks.yaml`): they parse, their
//! `migrate` command lines are accepted by the real CLI, the Flagger Canary's webhooks drive
//! the server, and the `AnalysisTemplate`'s JSON path and success condition read the status.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use clap::Parser;
use serde::Deserialize;
use serde_yaml::Value;
use tower::ServiceExt;

use crate::common::{Scratch, repo, tree};
use sluice::run::Settings;
use sluice::run::url::DbUrl;
use sluice::server::{self, AppState, Auth, Options};
use sluice::source::{LayoutChoice, discover};

fn docs(rel: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{rel}: {e}")))
        .collect()
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[*k],
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

/// The real command line accepts these arguments.
fn accepts(args: &[String]) {
    let mut argv = vec!["migrate".to_owned()];
    argv.extend(args.iter().cloned());
    if let Err(e) = sluice::cli::Cli::try_parse_from(&argv) {
        panic!("`{}` is not a valid command line: {e}", argv.join(" "));
    }
}

/// The image the examples run `migrate` from (the `Dockerfile`'s, tagged with this version;
/// `-online` for its online target).
const IMAGE: &str = "ghcr.io/sluice-migrate/sluice";

/// The `migrate` container of a pod spec, checked: the Sluice image at this version, its
/// entrypoint (no `command`), `runAsNonRoot` (the image's user is numeric, so the kubelet can
/// check it), and a working directory that an init
/// container fills with the release's `sluice.toml` and `migrations/`. Its args.
fn migrate_container(rel: &str, pod: &Value) -> Vec<String> {
    let c = &pod["containers"][0];
    assert_eq!(c["name"], "migrate", "{rel}");
    let image = c["image"].as_str().unwrap();
    let tag = format!("{IMAGE}:{}", env!("CARGO_PKG_VERSION"));
    assert!(
        image == tag || image == format!("{tag}-online") || image.contains(&format!("\"{tag}\"")),
        "{rel}: {image} is not {tag}"
    );
    assert!(
        c.get("command").is_none(),
        "{rel}: the image's entrypoint runs migrate"
    );
    assert_eq!(c["securityContext"]["runAsNonRoot"], true, "{rel}");
    let workdir = c["workingDir"].as_str().unwrap();
    let volume = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == workdir)
        .map(|m| m["name"].clone())
        .unwrap_or_else(|| panic!("{rel}: nothing is mounted at {workdir}"));
    let fills = pod["initContainers"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|i| {
            let cmd = strings(&i["command"]);
            let into = i["volumeMounts"]
                .as_sequence()
                .unwrap()
                .iter()
                .find(|m| m["name"] == volume)
                .map(|m| format!("{}/", m["mountPath"].as_str().unwrap()));
            cmd[..2] == ["cp", "-R"]
                && cmd.iter().any(|a| a.ends_with("/sluice.toml"))
                && cmd.iter().any(|a| a.ends_with("/migrations"))
                && into.as_ref() == cmd.last()
        });
    assert!(
        fills,
        "{rel}: no init container copies the project into {workdir}"
    );
    strings(&c["args"])
}

/// (hook annotation, args) of each Job.
fn jobs(rel: &str, annotation: &str) -> Vec<(String, Vec<String>)> {
    docs(rel)
        .iter()
        .map(|d| {
            assert_eq!(d["kind"], "Job", "{rel}");
            let args = migrate_container(rel, s(d, &["spec", "template", "spec"]));
            (
                s(d, &["metadata", "annotations", annotation])
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                args,
            )
        })
        .collect()
}

#[test]
fn helm_argocd_and_kubernetes_jobs() {
    let helm = jobs("examples/helm/templates/migrate-jobs.yaml", "helm.sh/hook");
    assert_eq!(helm.len(), 2);
    assert_eq!(helm[0].0, "pre-install,pre-upgrade");
    assert_eq!(helm[0].1[..2], ["hook", "pre-deploy"]);
    assert_eq!(helm[1].0, "post-install,post-upgrade");
    assert_eq!(helm[1].1[..2], ["hook", "post-deploy"]);
    let argo = jobs(
        "examples/argocd/migrate-hooks.yaml",
        "argocd.argoproj.io/hook",
    );
    assert_eq!(argo[0].0, "PreSync");
    assert_eq!(argo[0].1[..2], ["hook", "pre-deploy"]);
    assert_eq!(argo[1].0, "PostSync");
    assert_eq!(argo[1].1[..2], ["hook", "post-deploy"]);
    let plain = jobs("examples/kubernetes/migrate-jobs.yaml", "none");
    assert_eq!(plain.len(), 2);
    assert_eq!(plain[0].1[..2], ["hook", "pre-deploy"]);
    assert_eq!(plain[1].1[..2], ["hook", "post-deploy"]);
    for (_, args) in helm.iter().chain(&argo).chain(&plain) {
        assert!(args.contains(&"--release".to_owned()));
        accepts(args);
    }
    let server = docs("examples/flagger/sluice-server.yaml");
    let rel = "examples/flagger/sluice-server.yaml";
    accepts(&migrate_container(
        rel,
        s(&server[0], &["spec", "template", "spec"]),
    ));
}

#[test]
fn kubernetes_fleet_job() {
    let rel = "examples/kubernetes/fleet-job.yaml";
    let job = &docs(rel)[0];
    assert_eq!(job["kind"], "Job");
    assert_eq!(s(job, &["spec", "completionMode"]), "Indexed");
    let completions = s(job, &["spec", "completions"]).as_u64().unwrap();
    assert_eq!(s(job, &["spec", "parallelism"]).as_u64(), Some(completions));
    let pod = s(job, &["spec", "template", "spec"]);
    let args = migrate_container(rel, pod);
    assert_eq!(args[..3], ["apply", "--fleet", "tenants"]);
    accepts(&args);
    // `--shard /N` with N the Job's completions: the index comes from JOB_COMPLETION_INDEX
    let shard = &args[args.iter().position(|a| a == "--shard").unwrap() + 1];
    assert_eq!(*shard, format!("/{completions}"));
    let parsed = sluice::run::fleet::Shard::parse(shard, Some("3")).unwrap();
    assert_eq!((parsed.index, parsed.count), (3, 4));
    // every pod of the Job shares its run id: the Job's uid
    let env = pod["containers"][0]["env"].as_sequence().unwrap();
    let run = env
        .iter()
        .find(|e| e["name"] == "SLUICE_FLEET_RUN")
        .unwrap();
    assert_eq!(
        s(run, &["valueFrom", "fieldRef", "fieldPath"]),
        "metadata.labels['batch.kubernetes.io/controller-uid']"
    );
    assert!(
        env.iter()
            .any(|e| e["name"] == "DATABASE_URL" && e["valueFrom"]["secretKeyRef"].is_mapping())
    );
}

#[test]
fn pre_commit_hook() {
    let hooks = &docs(".pre-commit-hooks.yaml")[0];
    let h = &hooks[0];
    assert_eq!(h["id"], "sluice-lint");
    let entry: Vec<String> = h["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(entry[0], "migrate");
    // pre-commit appends the staged file names
    let mut args = entry[1..].to_vec();
    args.push("migrations/1_a/expand.up.sql".into());
    accepts(&args);
    let files = regex::Regex::new(h["files"].as_str().unwrap()).unwrap();
    assert!(files.is_match("migrations/1_a/expand.up.sql"));
    assert!(!files.is_match("src/main.rs"));
}

/// Argo Rollouts' `{$.a.b}` JSON path (the subset the example uses).
fn json_path<'a>(v: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    let inner = path
        .strip_prefix("{$")
        .and_then(|p| p.strip_suffix('}'))
        .unwrap();
    let pointer = inner.replace('.', "/");
    v.pointer(&pointer).unwrap_or(&serde_json::Value::Null)
}

/// `result == <literal>` (the success conditions the example uses).
fn success(condition: &str, result: &serde_json::Value) -> bool {
    let (lhs, rhs) = condition.split_once("==").unwrap();
    assert_eq!(lhs.trim(), "result");
    let want: serde_json::Value = serde_json::from_str(&rhs.trim().replace('\'', "\"")).unwrap();
    *result == want
}

#[test]
fn flagger_canary_and_analysis_template_against_the_server() {
    let s_db = Scratch::pg();
    let dir = tree(&[
        (
            "migrations/1_users/expand.up.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        ),
        ("migrations/1_users/expand.down.sql", "DROP TABLE users;\n"),
        (
            "migrations/1_users/contract.up.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        ),
        (
            "migrations/1_users/contract.down.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
    ]);
    let found = discover(&dir.path().join("migrations"), LayoutChoice::Auto).unwrap();
    let state = AppState::new(
        DbUrl::parse(&s_db.url).unwrap(),
        Settings::default(),
        found.migrations,
        Options {
            auth: Auth::new(Some("example-token".into()), None).unwrap(),
            gate_poll: Duration::from_millis(100),
            gate_wait: Duration::from_secs(10),
        },
    );
    let canary = &docs("examples/flagger/canary.yaml")[0];
    let (name, namespace) = (
        canary["metadata"]["name"].as_str().unwrap(),
        canary["metadata"]["namespace"].as_str().unwrap(),
    );
    // webhook type -> (path on the server, metadata)
    let hooks: Vec<(String, String, serde_json::Value)> =
        s(canary, &["spec", "analysis", "webhooks"])
            .as_sequence()
            .unwrap()
            .iter()
            .map(|w| {
                let url = w["url"].as_str().unwrap();
                let path = url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap();
                let meta = serde_json::to_value(&w["metadata"]).unwrap();
                (w["type"].as_str().unwrap().to_owned(), path, meta)
            })
            .collect();
    for (kind, path, _) in &hooks {
        assert_eq!(
            *path,
            format!("/v1/flagger/{kind}"),
            "Flagger's type and the route agree"
        );
    }
    let template = &docs("examples/argo-rollouts/analysis-template.yaml")[0];
    let metric = s(template, &["spec", "metrics", "0"]);
    let web = &metric["provider"]["web"];
    let status_path = {
        let url = web["url"]
            .as_str()
            .unwrap()
            .replace("{{args.release}}", "abc123");
        url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap()
    };
    let auth_header = web["headers"][0]["value"]
        .as_str()
        .unwrap()
        .replace("{{args.sluice-token}}", "example-token");
    assert_eq!(metric["failureLimit"].as_i64(), Some(-1));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let call = |method: &str, path: &str, body: String, auth: &str| {
            let req = Request::builder()
                .method(method)
                .uri(path)
                .header("authorization", auth)
                .body(Body::from(body))
                .unwrap();
            let app = server::app(state.clone());
            async move {
                let resp = app.oneshot(req).await.unwrap();
                let code = resp.status().as_u16();
                let b = axum::body::to_bytes(resp.into_body(), 1 << 20)
                    .await
                    .unwrap();
                (
                    code,
                    serde_json::from_slice::<serde_json::Value>(&b).unwrap_or_default(),
                )
            }
        };
        // Flagger's payload for a webhook of the example (as its proxy forwards it)
        let flagger = |kind: &str, phase: &str| {
            let (_, path, meta) = hooks.iter().find(|(k, _, _)| k == kind).unwrap();
            let body = serde_json::json!({
                "name": name, "namespace": namespace, "phase": phase,
                "checksum": "abc123", "metadata": meta,
            });
            call("POST", path, body.to_string(), "Bearer example-token")
        };
        let analysis = || async {
            let (code, body) = call("GET", &status_path, String::new(), &auth_header).await;
            assert_eq!(code, 200, "{body}");
            let result = json_path(&body, web["jsonPath"].as_str().unwrap()).clone();
            success(metric["successCondition"].as_str().unwrap(), &result)
        };

        assert!(!analysis().await, "nothing applied yet");
        let started = Instant::now();
        loop {
            let (code, body) = flagger("confirm-rollout", "Progressing").await;
            if code == 200 {
                break;
            }
            assert_eq!(code, 409, "{body}");
            assert!(started.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(analysis().await, "expand applied: the analysis succeeds");
        assert_eq!(flagger("rollback", "Progressing").await.0, 409);
        assert_eq!(flagger("event", "Progressing").await.0, 200);
        assert_eq!(flagger("post-rollout", "Succeeded").await.0, 202);
        let started = Instant::now();
        loop {
            let (_, st) = call("GET", &status_path, String::new(), &auth_header).await;
            if st["phases"]["contract"] == "applied" {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{st}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        state.drain().await;
    });
    assert_eq!(
        s_db.strings(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users'"
        ),
        ["id"]
    );
}
