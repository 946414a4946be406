//! Contract gates (phases.md "The contract gate"): may the contract of a migration run yet?
//!
//! `recorded` reads the ledger and is decided per migration by the planner (pure); the other
//! kinds ask the outside world (`command`, `http`, `kubernetes`), so [`evaluate`] runs them
//! once per apply and leaves `recorded` leaves as placeholders that
//! [`Verdict::with_recorded`] fills in. `all` / `any` combine and nest.

pub mod command;
pub mod http;
pub mod kubernetes;
mod wait;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ledger::{EVENT_ROLLOUT, Event};

pub use command::CommandGate;
pub use http::HttpGate;
pub use kubernetes::{KubeKind, KubernetesGate};
pub use wait::until_open;

/// Default time a `command` / `http` / `kubernetes` gate may take before it counts as "no".
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A configured gate (typed from `[gates.<env>]` in sluice.toml).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Gate {
    #[default]
    Recorded,
    Command(CommandGate),
    Http(HttpGate),
    Kubernetes(KubernetesGate),
    All(Vec<Gate>),
    Any(Vec<Gate>),
}

impl Gate {
    /// Whether any leaf is `recorded` (then the ledger must be read to decide).
    pub fn has_recorded(&self) -> bool {
        match self {
            Gate::Recorded => true,
            Gate::All(v) | Gate::Any(v) => v.iter().any(Gate::has_recorded),
            _ => false,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Gate::Recorded => "recorded".into(),
            Gate::Command(c) => c.label(),
            Gate::Http(h) => h.label(),
            Gate::Kubernetes(k) => k.label(),
            Gate::All(_) => "all".into(),
            Gate::Any(_) => "any".into(),
        }
    }
}

/// A gate's answer and why; combinators carry their children's verdicts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub gate: String,
    pub holds: bool,
    pub why: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<Verdict>,
    /// A `recorded` leaf not decided yet.
    #[serde(skip)]
    pending_recorded: bool,
}

impl Verdict {
    pub fn leaf(gate: impl Into<String>, holds: bool, why: impl Into<String>) -> Verdict {
        Verdict {
            gate: gate.into(),
            holds,
            why: why.into(),
            gates: Vec::new(),
            pending_recorded: false,
        }
    }

    /// The default gate before `recorded` is decided.
    pub fn recorded_placeholder() -> Verdict {
        Verdict {
            pending_recorded: true,
            ..Verdict::leaf("recorded", false, "decided from the ledger")
        }
    }

    fn combine(gate: &str, children: Vec<Verdict>) -> Verdict {
        let all = gate == "all";
        let holds = if all {
            children.iter().all(|c| c.holds)
        } else {
            children.iter().any(|c| c.holds)
        };
        let why = if holds {
            let ok: Vec<&str> = children
                .iter()
                .filter(|c| c.holds)
                .map(|c| c.gate.as_str())
                .collect();
            if all {
                format!("all {} hold", children.len())
            } else {
                format!("{} holds", ok.join(", "))
            }
        } else {
            let no: Vec<String> = children
                .iter()
                .filter(|c| !c.holds)
                .map(|c| format!("{}: {}", c.gate, c.why))
                .collect();
            if all {
                format!("waiting on {}", no.join("; "))
            } else if children.is_empty() {
                "`any` with no gate never holds".into()
            } else {
                format!("none holds: {}", no.join("; "))
            }
        };
        Verdict {
            gate: gate.into(),
            holds,
            why,
            gates: children,
            pending_recorded: false,
        }
    }

    /// This verdict with every `recorded` placeholder replaced by `rec`.
    pub fn with_recorded(&self, rec: &Verdict) -> Verdict {
        if self.pending_recorded {
            return rec.clone();
        }
        if self.gates.is_empty() && self.gate != "all" && self.gate != "any" {
            return self.clone();
        }
        let children = self.gates.iter().map(|c| c.with_recorded(rec)).collect();
        Verdict::combine(&self.gate, children)
    }

    /// Every verdict of the tree, depth first, with its depth (for printing).
    pub fn flatten(&self) -> Vec<(usize, &Verdict)> {
        let mut out = Vec::new();
        fn walk<'a>(v: &'a Verdict, d: usize, out: &mut Vec<(usize, &'a Verdict)>) {
            out.push((d, v));
            for c in &v.gates {
                walk(c, d + 1, out);
            }
        }
        walk(self, 0, &mut out);
        out
    }
}

/// Ask every gate that lives outside the ledger; `recorded` leaves stay placeholders.
pub async fn evaluate(gate: &Gate) -> Verdict {
    match gate {
        Gate::Recorded => Verdict::recorded_placeholder(),
        Gate::Command(c) => c.check().await,
        Gate::Http(h) => h.check().await,
        Gate::Kubernetes(k) => k.check().await,
        Gate::All(v) | Gate::Any(v) => {
            let mut children = Vec::with_capacity(v.len());
            for g in v {
                children.push(Box::pin(evaluate(g)).await);
            }
            Verdict::combine(&gate.label(), children)
        }
    }
}

/// The `recorded` gate: a rollout completion recorded after `reference` (when the
/// migration's expand finished; `None`: nothing to wait for but a rollout).
pub fn recorded(reference: Option<DateTime<Utc>>, events: &[Event]) -> Verdict {
    let last = events
        .iter()
        .filter(|e| e.kind == EVENT_ROLLOUT)
        .max_by_key(|e| e.at);
    let holds = match (last, reference) {
        (Some(e), Some(r)) => e.at > r,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if holds {
        let e = last.map_or_else(String::new, |e| {
            format!(
                " (release {} at {})",
                e.release.as_deref().unwrap_or("?"),
                e.at.format("%Y-%m-%d %H:%M:%S%.3f UTC")
            )
        });
        return Verdict::leaf("recorded", true, format!("rollout completion recorded{e}"));
    }
    let since = reference.map_or_else(String::new, |r| {
        format!(
            " after its expand finished at {}",
            r.format("%Y-%m-%d %H:%M:%S%.3f UTC")
        )
    });
    Verdict::leaf(
        "recorded",
        false,
        format!(
            "no rollout completion recorded{since}; once the code that no longer needs the old schema is fully rolled out, run `migrate rollout complete --release ID`"
        ),
    )
}

/// Keep a child's output short in a verdict: its last non-empty line, at most 300 chars.
pub(crate) fn last_line(s: &str) -> String {
    let line = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let line = line.trim();
    if line.chars().count() > 300 {
        let cut: String = line.chars().take(300).collect();
        format!("{cut}...")
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinators_nest_and_resolve_recorded() {
        let tree = Verdict::combine(
            "all",
            vec![
                Verdict::recorded_placeholder(),
                Verdict::combine(
                    "any",
                    vec![
                        Verdict::leaf("http a", false, "503"),
                        Verdict::leaf("command b", true, "exit 0"),
                    ],
                ),
            ],
        );
        let yes = tree.with_recorded(&Verdict::leaf("recorded", true, "ok"));
        assert!(yes.holds);
        assert_eq!(yes.why, "all 2 hold");
        let no = tree.with_recorded(&Verdict::leaf("recorded", false, "no rollout"));
        assert!(!no.holds);
        assert_eq!(no.why, "waiting on recorded: no rollout");
        assert_eq!(no.flatten().len(), 5);
        let none = Verdict::combine("any", vec![Verdict::leaf("x", false, "down")]);
        assert_eq!(none.why, "none holds: x: down");
        assert!(!none.holds);
    }

    #[test]
    fn recorded_needs_a_rollout_after_expand() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let ev = Event {
            id: 1,
            kind: EVENT_ROLLOUT.into(),
            version: None,
            phase: None,
            release: Some("r1".into()),
            detail: String::new(),
            source: "cli".into(),
            at: at("2026-01-01T00:00:10Z"),
        };
        assert!(recorded(Some(at("2026-01-01T00:00:00Z")), std::slice::from_ref(&ev)).holds);
        assert!(!recorded(Some(at("2026-01-01T00:00:20Z")), std::slice::from_ref(&ev)).holds);
        assert!(recorded(None, std::slice::from_ref(&ev)).holds);
        assert!(!recorded(None, &[]).holds);
    }
}
