//! `migrate status --fleet`: every target's ledger read (with bounded concurrency) into
//! one table, targets x phases, with the errors of the failed ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use sluice_core::source::{Migration, Phase};

use super::super::{RunError, StatusReport};
use super::{Fleet, waves};

/// One target's line.
#[derive(Debug, Clone, Serialize)]
pub struct TargetStatus {
    pub target: String,
    /// Its wave, from 1.
    pub wave: usize,
    /// `applied`, `pending`, `running`, `failed`, `unreachable`: the worst of its phases.
    pub state: String,
    /// Per phase: `applied`, `pending`, `running`, `failed`, or `-` (none in the files).
    pub expand: String,
    pub backfill: String,
    pub contract: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FleetStatus {
    pub fleet: String,
    pub waves: usize,
    pub targets: Vec<TargetStatus>,
    /// Targets by state.
    pub counts: BTreeMap<String, usize>,
}

/// How bad a state is, for the worst of several.
fn rank(s: &str) -> u8 {
    match s {
        "-" => 0,
        "applied" => 1,
        "rolled_back" | "pending" => 2,
        "running" => 3,
        "failed" => 4,
        _ => 5,
    }
}

fn worst<'a>(states: impl IntoIterator<Item = &'a str>) -> String {
    states
        .into_iter()
        .map(|s| if s == "rolled_back" { "pending" } else { s })
        .max_by_key(|s| rank(s))
        .unwrap_or("-")
        .to_owned()
}

/// One target's line from its status report.
pub(super) fn summarise(target: String, wave: usize, r: &StatusReport) -> TargetStatus {
    let phase = |p: Phase| {
        worst(
            r.migrations
                .iter()
                .filter(|e| e.phase == p)
                .map(|e| e.state.as_str()),
        )
    };
    let expand = phase(Phase::Expand);
    let contract = phase(Phase::Contract);
    let backfill = worst(r.backfills.iter().map(|b| b.state.as_str()));
    let mut errors: Vec<String> = r
        .migrations
        .iter()
        .filter_map(|e| {
            e.error
                .as_ref()
                .map(|x| format!("{} {} ({}): {x}", e.version, e.name, e.phase.name()))
        })
        .collect();
    errors.extend(r.backfills.iter().filter_map(|b| {
        b.error
            .as_ref()
            .map(|x| format!("{} {} (backfill): {x}", b.version, b.name))
    }));
    let state = worst([expand.as_str(), backfill.as_str(), contract.as_str()]);
    TargetStatus {
        target,
        wave,
        state: if state == "-" {
            "applied".into()
        } else {
            state
        },
        expand,
        backfill,
        contract,
        errors,
    }
}

impl Fleet {
    /// Every target's ledger (`targets` from [`Fleet::targets`]), in the stable order.
    pub async fn status(
        &self,
        targets: &[super::Target],
        migrations: Arc<[Migration]>,
    ) -> Result<FleetStatus, RunError> {
        let plan = waves(targets.len(), &self.spec.waves);
        let wave_of = |i: usize| {
            plan.iter()
                .position(|r| r.contains(&i))
                .map_or(0, |w| w + 1)
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(self.spec.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for (i, t) in targets.iter().enumerate() {
            let engine = self.engine(t);
            let (permits, migrations) = (permits.clone(), migrations.clone());
            let (label, wave, url) = (t.to_string(), wave_of(i), t.url.clone());
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let r = match engine {
                    Ok(e) => e.status(&migrations).await,
                    Err(e) => Err(e),
                };
                let line = match r {
                    Ok(r) => summarise(label, wave, &r),
                    Err(e) => TargetStatus {
                        target: label,
                        wave,
                        state: "unreachable".into(),
                        expand: "?".into(),
                        backfill: "?".into(),
                        contract: "?".into(),
                        errors: vec![url.scrub(&e.to_string())],
                    },
                };
                (i, line)
            });
        }
        let mut lines = Vec::with_capacity(targets.len());
        while let Some(r) = set.join_next().await {
            lines.push(r.map_err(|e| RunError::Db(format!("a fleet target's task ended: {e}")))?);
        }
        lines.sort_by_key(|(i, _)| *i);
        let targets: Vec<TargetStatus> = lines.into_iter().map(|(_, l)| l).collect();
        let mut counts = BTreeMap::new();
        for t in &targets {
            *counts.entry(t.state.clone()).or_insert(0) += 1;
        }
        Ok(FleetStatus {
            fleet: self.spec.name.clone(),
            waves: plan.len(),
            targets,
            counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_phase_state_wins() {
        assert_eq!(worst(["applied", "pending"]), "pending");
        assert_eq!(worst(["applied", "failed", "running"]), "failed");
        assert_eq!(worst(["rolled_back", "applied"]), "pending");
        assert_eq!(worst([]), "-");
        let empty = StatusReport::default();
        let s = summarise("t".into(), 1, &empty);
        assert_eq!((s.state.as_str(), s.expand.as_str()), ("applied", "-"));
    }
}
