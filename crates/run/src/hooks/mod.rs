//! Phase hooks (phases.md "Hooks"): a shell command or a signed webhook at fixed points of a
//! run. A failing `before-*` hook stops the phase; other hooks' failures are logged.
//!
//! Details reach a command through environment variables (`SLUICE_HOOK`, `SLUICE_VERSION`,
//! `SLUICE_NAME`, `SLUICE_PHASE`, `SLUICE_RELEASE`, `SLUICE_OUTCOME`, `SLUICE_ERROR`) and a
//! webhook through its JSON body; never the database URL or any key.

use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::gates::command::run_shell;
use super::gates::http::redact_url;
use sluice_core::source::Phase;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a hook runs. One variant per point, so wiring a new phase is one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookPoint {
    BeforeExpand,
    AfterExpand,
    AfterBackfill,
    BeforeContract,
    AfterContract,
    OnFailure,
    BeforeRollback,
    AfterRollback,
}

impl HookPoint {
    pub fn name(self) -> &'static str {
        match self {
            HookPoint::BeforeExpand => "before-expand",
            HookPoint::AfterExpand => "after-expand",
            HookPoint::AfterBackfill => "after-backfill",
            HookPoint::BeforeContract => "before-contract",
            HookPoint::AfterContract => "after-contract",
            HookPoint::OnFailure => "on-failure",
            HookPoint::BeforeRollback => "before-rollback",
            HookPoint::AfterRollback => "after-rollback",
        }
    }

    /// A failing hook here stops what follows.
    pub fn is_before(self) -> bool {
        matches!(
            self,
            HookPoint::BeforeExpand | HookPoint::BeforeContract | HookPoint::BeforeRollback
        )
    }

    pub fn before(phase: Phase) -> HookPoint {
        match phase {
            Phase::Expand => HookPoint::BeforeExpand,
            Phase::Contract => HookPoint::BeforeContract,
        }
    }

    pub fn after(phase: Phase) -> HookPoint {
        match phase {
            Phase::Expand => HookPoint::AfterExpand,
            Phase::Contract => HookPoint::AfterContract,
        }
    }
}

/// The HMAC key of a webhook: read when the hook fires, never stored in messages.
#[derive(Clone, PartialEq)]
pub enum KeySource {
    File(PathBuf),
    Env(String),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "File({})", p.display()),
            KeySource::Env(n) => write!(f, "Env({n})"),
        }
    }
}

impl KeySource {
    fn read(&self) -> Result<Vec<u8>, String> {
        let key = match self {
            KeySource::File(p) => std::fs::read(p)
                .map_err(|e| format!("cannot read the HMAC key file {}: {e}", p.display()))?,
            KeySource::Env(n) => std::env::var(n)
                .map_err(|_| format!("the HMAC key variable {n} is not set"))?
                .into_bytes(),
        };
        // a trailing newline in a key file is not part of the key
        let trimmed = key.trim_ascii_end().to_vec();
        if trimmed.is_empty() {
            return Err("the HMAC key is empty".into());
        }
        Ok(trimmed)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Run with `sh -c`.
    Command(String),
    Webhook {
        url: String,
        key: Option<KeySource>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub on: HookPoint,
    pub action: Action,
    pub timeout: Duration,
}

impl Hook {
    pub fn label(&self) -> String {
        match &self.action {
            Action::Command(c) => format!("{} hook `{c}`", self.on.name()),
            Action::Webhook { url, .. } => {
                format!("{} webhook {}", self.on.name(), redact_url(url))
            }
        }
    }
}

/// What a hook is told.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HookEvent {
    pub hook: String,
    pub version: Option<String>,
    pub name: Option<String>,
    pub phase: Option<String>,
    pub release: Option<String>,
    /// `ok`, `failed`, or absent before the phase runs.
    pub outcome: Option<String>,
    pub error: Option<String>,
}

impl HookEvent {
    pub fn env(&self) -> Vec<(String, String)> {
        let f = |o: &Option<String>| o.clone().unwrap_or_default();
        vec![
            ("SLUICE_HOOK".into(), self.hook.clone()),
            ("SLUICE_VERSION".into(), f(&self.version)),
            ("SLUICE_NAME".into(), f(&self.name)),
            ("SLUICE_PHASE".into(), f(&self.phase)),
            ("SLUICE_RELEASE".into(), f(&self.release)),
            ("SLUICE_OUTCOME".into(), f(&self.outcome)),
            ("SLUICE_ERROR".into(), f(&self.error)),
        ]
    }
}

/// `sha256=<hex HMAC-SHA256 of body>`, the `X-Sluice-Signature` header value.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Run every hook configured for `point`, in file order. The first failure of a
/// `before-*` hook is returned (the rest do not run); other failures are logged.
pub async fn fire(hooks: &[Hook], point: HookPoint, ev: &HookEvent) -> Result<(), String> {
    // webhook keys held in variables stay out of every hook command's environment
    let hide: Vec<&str> = hooks
        .iter()
        .filter_map(|h| match &h.action {
            Action::Webhook {
                key: Some(KeySource::Env(n)),
                ..
            } => Some(n.as_str()),
            _ => None,
        })
        .collect();
    for h in hooks.iter().filter(|h| h.on == point) {
        let mut ev = ev.clone();
        ev.hook = point.name().to_owned();
        tracing::info!(hook = %h.label(), version = ev.version.as_deref(), "running hook");
        if let Err(why) = run_one(h, &ev, &hide).await {
            let msg = format!("{} failed: {why}", h.label());
            if point.is_before() {
                return Err(msg);
            }
            tracing::warn!("{msg}");
        }
    }
    Ok(())
}

async fn run_one(h: &Hook, ev: &HookEvent, hide: &[&str]) -> Result<(), String> {
    match &h.action {
        Action::Command(c) => {
            let r = run_shell(c, &ev.env(), hide, h.timeout).await;
            if r.ok { Ok(()) } else { Err(r.why) }
        }
        Action::Webhook { url, key } => {
            let body = serde_json::to_vec(ev).map_err(|e| e.to_string())?;
            let client = reqwest::Client::builder()
                .timeout(h.timeout)
                .build()
                .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
            let mut req = client
                .post(url)
                .header("content-type", "application/json")
                .body(body.clone());
            if let Some(k) = key {
                req = req.header("X-Sluice-Signature", signature(&k.read()?, &body));
            }
            let resp = req.send().await.map_err(|e| {
                if e.is_timeout() {
                    format!("no answer within {}", humantime::format_duration(h.timeout))
                } else {
                    format!("request failed: {}", e.without_url())
                }
            })?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(format!("answered {}", resp.status()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[tokio::test]
    async fn commands_see_the_event_and_before_hooks_stop() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("env.txt");
        let hooks = vec![
            Hook {
                on: HookPoint::BeforeContract,
                action: Action::Command(format!(
                    "echo \"$SLUICE_HOOK $SLUICE_VERSION $SLUICE_PHASE $SLUICE_RELEASE ${{DATABASE_URL:-none}}\" > {}",
                    out.display()
                )),
                timeout: Duration::from_secs(10),
            },
            Hook {
                on: HookPoint::BeforeContract,
                action: Action::Command("echo 'freeze window' >&2; exit 1".into()),
                timeout: Duration::from_secs(10),
            },
        ];
        let ev = HookEvent {
            version: Some("7".into()),
            phase: Some("contract".into()),
            release: Some("r9".into()),
            ..HookEvent::default()
        };
        let e = fire(&hooks, HookPoint::BeforeContract, &ev)
            .await
            .unwrap_err();
        assert_eq!(
            e,
            "before-contract hook `echo 'freeze window' >&2; exit 1` failed: exit 1: freeze window"
        );
        let seen = std::fs::read_to_string(&out).unwrap();
        assert_eq!(seen.trim(), "before-contract 7 contract r9 none");
        // a webhook key's variable (HOME here, always set) is hidden from hook commands
        let hooks = vec![
            Hook {
                on: HookPoint::OnFailure,
                action: Action::Webhook {
                    url: "http://127.0.0.1:9/".into(),
                    key: Some(KeySource::Env("HOME".into())),
                },
                timeout: Duration::from_secs(10),
            },
            Hook {
                on: HookPoint::AfterExpand,
                action: Action::Command(format!("echo \"${{HOME:-hidden}}\" > {}", out.display())),
                timeout: Duration::from_secs(10),
            },
        ];
        fire(&hooks, HookPoint::AfterExpand, &ev).await.unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "hidden");
        // an after hook's failure does not stop anything
        let after = vec![Hook {
            on: HookPoint::AfterContract,
            action: Action::Command("exit 1".into()),
            timeout: Duration::from_secs(10),
        }];
        assert!(fire(&after, HookPoint::AfterContract, &ev).await.is_ok());
    }
}
