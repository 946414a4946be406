//! Contract gates through `migrate gate check`: the kubernetes gate against recorded
//! objects (a fake `kubectl` first on PATH prints them), command and http gates, config errors.

mod common;

use std::path::Path;

use common::{Run, run};

/// A `kubectl` that prints the object named by $FAKE_OBJECT and logs its arguments.
fn fake_kubectl(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("kubectl");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"$@\" >> \"$FAKE_ARGS\"\nexec cat \"$FAKE_OBJECT\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
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
            common::repo().join("fixtures/kubernetes").join(fixture),
        )
        .env("FAKE_ARGS", dir.join("args.txt"))
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:9/unused")
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
    let dir = common::tree(&[("sluice.toml", KUBE_CONFIG)]);
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
    let dir = common::tree(&[(
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
        let dir = common::tree(&[("sluice.toml", text)]);
        let r = gate_check(dir.path(), "complete.json", &[]);
        assert_eq!(r.code, 2, "{text}: {r:?}");
        assert!(r.stderr.contains(want), "{text}: {r:?}");
    }
}
