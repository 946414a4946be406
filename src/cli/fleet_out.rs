//! The fleet commands' output: `apply --fleet` wave by wave, `status --fleet` as a table
//! of targets x phases, then the failures. Targets in the fleet's stable order.

use std::fmt::Write;

use crate::run::fleet::{FleetOutcome, FleetStatus, TargetState};

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

pub(super) fn render_apply(out: &FleetOutcome, dry: bool) -> String {
    let mut s = String::new();
    let mine: usize = out
        .waves
        .iter()
        .filter(|w| w.pass == out.waves[0].pass)
        .map(|w| w.targets.len())
        .sum();
    let _ = write!(s, "fleet {}: {}", out.fleet, plural(out.targets, "target"));
    if let Some(sh) = out.shard {
        let _ = write!(s, ", shard {sh} of them: {mine}");
    }
    let _ = writeln!(
        s,
        ", error budget {} failure{}",
        out.failures_allowed,
        if out.failures_allowed == 1 { "" } else { "s" }
    );
    for w in &out.waves {
        let _ = writeln!(
            s,
            "wave {}/{} ({}): {}",
            w.wave,
            w.waves,
            w.pass,
            plural(w.targets.len(), "target")
        );
        for r in &w.targets {
            let what = match r.state {
                TargetState::Applied => {
                    let mut parts = vec![plural(r.phases, "phase")];
                    if r.backfills > 0 {
                        parts.push(plural(r.backfills, "backfill"));
                    }
                    format!("{} in {} ms", parts.join(", "), r.duration_ms)
                }
                TargetState::Failed => r.error.clone().unwrap_or_default(),
                TargetState::Waiting => r.waiting.join("; "),
                TargetState::Current | TargetState::Stopped => String::new(),
            };
            let _ = writeln!(
                s,
                "  {:<10} {}{}{}",
                r.state.name(),
                r.target,
                if what.is_empty() { "" } else { ": " },
                what
            );
            if dry {
                for line in &r.sql {
                    let _ = writeln!(s, "    {line}");
                }
            }
        }
    }
    let count = |st: TargetState| out.results().filter(|r| r.state == st).count();
    let _ = writeln!(
        s,
        "{} applied, {} up to date, {} waiting, {} failed, {} stopped",
        count(TargetState::Applied),
        count(TargetState::Current),
        count(TargetState::Waiting),
        count(TargetState::Failed),
        count(TargetState::Stopped)
    );
    if let Some(why) = &out.stopped {
        let _ = writeln!(s, "stopped: {why}");
    }
    s
}

pub(super) fn render_status(st: &FleetStatus) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "fleet {}: {} in {}",
        st.fleet,
        plural(st.targets.len(), "target"),
        plural(st.waves, "wave")
    );
    let width = st
        .targets
        .iter()
        .map(|t| t.target.chars().count())
        .max()
        .unwrap_or(0)
        .max("TARGET".len());
    let _ = writeln!(
        s,
        "{:<width$}  {:>4}  {:<11}  {:<11}  {:<11}  STATE",
        "TARGET", "WAVE", "EXPAND", "BACKFILL", "CONTRACT"
    );
    for t in &st.targets {
        let _ = writeln!(
            s,
            "{:<width$}  {:>4}  {:<11}  {:<11}  {:<11}  {}",
            t.target, t.wave, t.expand, t.backfill, t.contract, t.state
        );
    }
    let counts: Vec<String> = st.counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(
        s,
        "{}: {}",
        plural(st.targets.len(), "target"),
        counts.join(", ")
    );
    let failed: Vec<_> = st.targets.iter().filter(|t| !t.errors.is_empty()).collect();
    if !failed.is_empty() {
        let _ = writeln!(s, "failures:");
        for t in failed {
            for e in &t.errors {
                let _ = writeln!(s, "  {}: {e}", t.target);
            }
        }
    }
    s
}
