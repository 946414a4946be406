//! `kubernetes` gate: a Deployment or an Argo Rollout is completely rolled out, by the
//! predicate of `kubectl rollout status` (kubectl's `DeploymentStatusViewer`), stricter in
//! two ways: a paused object never counts, and `status.terminatingReplicas` must be 0 where
//! the cluster reports it (old pods still drain after they stop counting as replicas).
//! The object is read with `kubectl get <kind> NAME -n NS -o json`.

use std::time::Duration;

use serde_json::Value;

use super::{Verdict, last_line};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeKind {
    Deployment,
    /// Argo Rollouts' `Rollout`.
    Rollout,
}

impl KubeKind {
    pub fn resource(self) -> &'static str {
        match self {
            KubeKind::Deployment => "deployment",
            KubeKind::Rollout => "rollout",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KubernetesGate {
    pub kind: KubeKind,
    pub name: String,
    pub namespace: String,
    /// The kubectl program (a name looked up on PATH, or a path).
    pub kubectl: String,
    pub context: Option<String>,
    pub timeout: Duration,
}

impl KubernetesGate {
    pub fn label(&self) -> String {
        format!(
            "kubernetes {} {}/{}",
            self.kind.resource(),
            self.namespace,
            self.name
        )
    }

    pub fn args(&self) -> Vec<String> {
        let mut a = vec![
            "get".to_owned(),
            self.kind.resource().to_owned(),
            self.name.clone(),
            "-n".to_owned(),
            self.namespace.clone(),
            "-o".to_owned(),
            "json".to_owned(),
        ];
        if let Some(c) = &self.context {
            a.push("--context".into());
            a.push(c.clone());
        }
        a
    }

    pub async fn check(&self) -> Verdict {
        let (holds, why) = self.ask().await;
        Verdict::leaf(self.label(), holds, why)
    }

    async fn ask(&self) -> (bool, String) {
        let mut cmd = crate::process::command(&self.kubectl, &[]);
        cmd.args(self.args());
        let out = match tokio::time::timeout(self.timeout, cmd.output()).await {
            Err(_) => {
                return (
                    false,
                    format!(
                        "`{}` did not answer within {}",
                        self.kubectl,
                        humantime::format_duration(self.timeout)
                    ),
                );
            }
            Ok(Err(e)) => return (false, format!("cannot run `{}`: {e}", self.kubectl)),
            Ok(Ok(o)) => o,
        };
        if !out.status.success() {
            return (
                false,
                format!(
                    "`{} {}` failed: {}",
                    self.kubectl,
                    self.args().join(" "),
                    last_line(&String::from_utf8_lossy(&out.stderr))
                ),
            );
        }
        match serde_json::from_slice::<Value>(&out.stdout) {
            Ok(obj) => rollout_status(self.kind, &obj),
            Err(e) => (false, format!("kubectl printed no JSON object: {e}")),
        }
    }
}

fn int(v: &Value, pointer: &str) -> Option<i64> {
    let x = v.pointer(pointer)?;
    // Argo Rollouts reports observedGeneration as a string
    x.as_i64()
        .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
}

/// Is the object completely rolled out? (`true`, kubectl's success line) or (`false`, what
/// it waits for). Pure, so it is tested on recorded objects.
pub fn rollout_status(kind: KubeKind, obj: &Value) -> (bool, String) {
    let what = kind.resource();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let generation = int(obj, "/metadata/generation").unwrap_or(0);
    // Argo Rollouts' observedGeneration may be a hash: then it cannot be compared
    let observed = match obj.pointer("/status/observedGeneration") {
        Some(v)
            if kind == KubeKind::Rollout
                && v.as_i64().is_none()
                && int(obj, "/status/observedGeneration").is_none() =>
        {
            generation
        }
        _ => int(obj, "/status/observedGeneration").unwrap_or(0),
    };
    if generation > observed {
        return (
            false,
            format!("Waiting for {what} spec update to be observed..."),
        );
    }
    let paused = obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
        || obj
            .pointer("/status/pauseConditions")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        || obj.pointer("/status/phase").and_then(Value::as_str) == Some("Paused");
    if paused {
        return (
            false,
            format!(
                "{what} {name:?} is paused; resume it (`kubectl rollout resume` / `kubectl argo rollouts promote`)"
            ),
        );
    }
    let conditions = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let deadline = conditions.iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some("Progressing")
            && c.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded")
    });
    if deadline {
        return (
            false,
            format!("{what} {name:?} exceeded its progress deadline"),
        );
    }
    if kind == KubeKind::Rollout
        && obj.pointer("/status/phase").and_then(Value::as_str) == Some("Degraded")
    {
        let msg = obj
            .pointer("/status/message")
            .and_then(Value::as_str)
            .unwrap_or("");
        return (false, format!("{what} {name:?} is Degraded: {msg}"));
    }
    let spec_replicas = obj.pointer("/spec/replicas").map_or(Some(1), Value::as_i64);
    let replicas = int(obj, "/status/replicas").unwrap_or(0);
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    let available = int(obj, "/status/availableReplicas").unwrap_or(0);
    if let Some(want) = spec_replicas
        && updated < want
    {
        return (
            false,
            format!(
                "Waiting for {what} {name:?} rollout to finish: {updated} out of {want} new replicas have been updated..."
            ),
        );
    }
    if replicas > updated {
        return (
            false,
            format!(
                "Waiting for {what} {name:?} rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return (
            false,
            format!(
                "Waiting for {what} {name:?} rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    if let Some(t) = int(obj, "/status/terminatingReplicas")
        && t > 0
    {
        return (
            false,
            format!(
                "Waiting for {what} {name:?} rollout to finish: {t} old replicas are still terminating..."
            ),
        );
    }
    (true, format!("{what} {name:?} successfully rolled out"))
}
