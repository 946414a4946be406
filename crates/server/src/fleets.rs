//! Fleets in `migrate serve`: each fleet's status (every target's ledger, through
//! `run::fleet`) read by a background task every few seconds and kept in memory, so
//! `GET /v1/fleets/{name}` and `/metrics` answer at once, however many targets there are.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sluice_core::source::Migration;
use sluice_run::fleet::{Fleet, FleetStatus};

/// The last reading of one fleet.
#[derive(Debug, Clone, Serialize)]
pub struct FleetView {
    pub fleet: String,
    /// When the last reading finished (`None`: not read yet).
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Why the last reading failed (the targets could not be listed).
    pub error: Option<String>,
    pub status: Option<FleetStatus>,
}

struct Entry {
    fleet: Fleet,
    view: Mutex<FleetView>,
}

/// The fleets the server watches, by name.
#[derive(Default)]
pub struct Fleets {
    entries: BTreeMap<String, Entry>,
}

impl Fleets {
    pub fn new(fleets: Vec<Fleet>) -> Fleets {
        let entries = fleets
            .into_iter()
            .map(|f| {
                let name = f.spec().name.clone();
                let view = FleetView {
                    fleet: name.clone(),
                    refreshed_at: None,
                    error: None,
                    status: None,
                };
                (
                    name,
                    Entry {
                        fleet: f,
                        view: Mutex::new(view),
                    },
                )
            })
            .collect();
        Fleets { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<FleetView> {
        self.entries
            .get(name)
            .map(|e| e.view.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Read every fleet once.
    pub async fn refresh(&self, migrations: &Arc<[Migration]>) {
        for e in self.entries.values() {
            let r = match e.fleet.targets().await {
                Ok(t) => e.fleet.status(&t, migrations.clone()).await,
                Err(err) => Err(err),
            };
            let mut v = e.view.lock().unwrap_or_else(|p| p.into_inner());
            v.refreshed_at = Some(Utc::now());
            match r {
                Ok(s) => {
                    v.status = Some(s);
                    v.error = None;
                }
                Err(err) => v.error = Some(err.to_string()),
            }
        }
    }

    /// `sluice_fleet_targets{fleet,state}`: targets by state at the last reading.
    pub fn render_metrics(&self, out: &mut String) {
        if self.entries.is_empty() {
            return;
        }
        out.push_str("# HELP sluice_fleet_targets Targets of a fleet by state, at the last reading.\n# TYPE sluice_fleet_targets gauge\n");
        let mut stamps = String::new();
        for (name, e) in &self.entries {
            let v = e.view.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = &v.status {
                for (state, n) in &s.counts {
                    let _ = writeln!(
                        out,
                        "sluice_fleet_targets{{fleet=\"{}\",state=\"{}\"}} {n}",
                        label(name),
                        label(state)
                    );
                }
            }
            if let Some(at) = v.refreshed_at {
                let _ = writeln!(
                    stamps,
                    "sluice_fleet_refreshed_timestamp_seconds{{fleet=\"{}\"}} {}",
                    label(name),
                    at.timestamp()
                );
            }
        }
        out.push_str("# HELP sluice_fleet_refreshed_timestamp_seconds When a fleet was last read.\n# TYPE sluice_fleet_refreshed_timestamp_seconds gauge\n");
        out.push_str(&stamps);
    }
}

/// A Prometheus label value, escaped.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
