//! What an apply runs given the ledger: drift and order checks, phase order, contract gates.

use super::{Prepared, ledger_version, row_map, script_checksum};
use crate::OutOfOrder;
use crate::RunError;
use crate::gates::{self, Verdict};
use crate::ledger::{BackfillRow, Event, LedgerRow, State};
use crate::{ApplyRequest, Waiting};
use sluice_core::source::{Direction, Migration, Phase, Script, Version};

/// What an apply will do.
#[derive(Debug, Default)]
pub(crate) struct Plan<'m> {
    pub(crate) items: Vec<(&'m Migration, &'m Script)>,
    /// Migrations whose backfill runs, after the expands and before the contracts.
    pub(crate) backfills: Vec<&'m Migration>,
    pub(crate) waiting: Vec<Waiting>,
    pub(crate) warnings: Vec<String>,
    /// The gate's verdict for each pending contract whose expand is applied.
    pub(crate) verdicts: Vec<(String, Verdict)>,
}

fn drift_message(script: &Script, m: &Migration, row: &LedgerRow, file_sum: &str) -> String {
    format!(
        "{}: migration {} ({}) was edited after it was applied: ledger checksum {}, file checksum {}; restore the file, or accept the change with `migrate repair --version {}`",
        script.file.path.display(),
        m.version,
        script.phase.name(),
        row.checksum,
        file_sum,
        m.version
    )
}

/// `plan_gated` with the default gate, `recorded`.
#[cfg(test)]
pub(crate) fn plan<'m>(
    migrations: &'m [Migration],
    rows: &[LedgerRow],
    events: &[Event],
    fills: &[BackfillRow],
    req: &ApplyRequest,
    policy: OutOfOrder,
) -> Result<Plan<'m>, RunError> {
    plan_gated(
        migrations,
        rows,
        events,
        fills,
        req,
        policy,
        &Verdict::recorded_placeholder(),
    )
}

/// Whether some contract in range is not applied (then the gate must be asked).
pub(crate) fn contract_pending(
    migrations: &[Migration],
    rows: &[LedgerRow],
    req: &ApplyRequest,
) -> bool {
    // the ledger's versions were checked when it was read (`check_versions`); were one not
    // orderable, asking the gate is the cautious answer and `plan_gated` refuses anyway
    let Ok(by_key) = row_map(rows) else {
        return true;
    };
    req.phase.has(Phase::Contract)
        && migrations.iter().any(|m| {
            req.to.as_ref().is_none_or(|to| m.version <= *to)
                && m.script(Phase::Contract, Direction::Up).is_some()
                && by_key
                    .get(&(m.version.clone(), Phase::Contract))
                    .is_none_or(|r| r.state != State::Applied)
        })
}

/// Decide what to apply: refuse drifted checksums and out-of-order versions, keep phase
/// order, and hold back contracts whose gate does not hold. `gate` is the verdict of the
/// gates outside the ledger (`gates::evaluate`); `recorded` is decided here per contract.
/// Pure: no I/O.
pub(crate) fn plan_gated<'m>(
    migrations: &'m [Migration],
    rows: &[LedgerRow],
    events: &[Event],
    fills: &[BackfillRow],
    req: &ApplyRequest,
    policy: OutOfOrder,
    gate: &Verdict,
) -> Result<Plan<'m>, RunError> {
    let by_key = row_map(rows)?;
    let mut drift = Vec::new();
    for m in migrations {
        for s in m.scripts.iter().filter(|s| s.direction == Direction::Up) {
            if let Some(row) = by_key.get(&(m.version.clone(), s.phase)) {
                let sum = script_checksum(s);
                if row.state == State::Applied && row.checksum != sum {
                    drift.push(drift_message(s, m, row, &sum));
                }
            }
        }
    }
    if !drift.is_empty() {
        return Err(RunError::Drift(drift.join("\n")));
    }

    let in_range = |m: &Migration| req.to.as_ref().is_none_or(|to| m.version <= *to);
    let live = |r: &&LedgerRow| r.state != State::RolledBack;
    let versioned = rows
        .iter()
        .filter(live)
        .map(|r| Ok((ledger_version(&r.version)?, r)))
        .collect::<Result<Vec<_>, RunError>>()?;
    let newest_of = |contracts_only: bool| {
        versioned
            .iter()
            .filter(|(_, r)| !contracts_only || r.phase == Phase::Contract)
            .max_by(|a, b| a.0.cmp(&b.0))
            .cloned()
    };
    let newest = newest_of(false);
    // a contract-only migration (a single-phase layout's planned contract) waits for its
    // gate while later expands go on: it is late only behind a later contract
    let newest_contract = newest_of(true);
    let mut out = Plan::default();
    if newest.is_some() {
        let touched: std::collections::BTreeSet<Version> = rows
            .iter()
            .filter(live)
            .map(|r| ledger_version(&r.version))
            .collect::<Result<_, _>>()?;
        for m in migrations.iter().filter(|m| in_range(m)) {
            let untouched = !touched.contains(&m.version);
            let ups = || m.scripts.iter().filter(|s| s.direction == Direction::Up);
            let selected = ups().any(|s| req.phase.has(s.phase));
            let contract_only = ups().all(|s| s.phase == Phase::Contract);
            let Some((newest, newest_row)) = (if contract_only {
                newest_contract.as_ref()
            } else {
                newest.as_ref()
            }) else {
                continue;
            };
            if untouched && selected && m.version < *newest {
                let msg = format!(
                    "{}: migration {} is pending but older than the newest applied migration {} ({})",
                    m.origin.display(),
                    m.version,
                    newest,
                    newest_row.name
                );
                match policy {
                    OutOfOrder::Strict => {
                        return Err(RunError::Refused(format!(
                            "{msg}; give it a newer version, or set `migrations.out_of_order = \"allow\"` in sluice.toml"
                        )));
                    }
                    OutOfOrder::Warn => out.warnings.push(format!(
                        "{msg}; applying it anyway (out_of_order = \"warn\")"
                    )),
                    OutOfOrder::Allow => {}
                }
            }
        }
    }

    let applied = |v: &Version, p: Phase| {
        by_key
            .get(&(v.clone(), p))
            .filter(|r| r.state == State::Applied)
            .copied()
    };
    if req.phase.has(Phase::Expand) {
        for m in migrations.iter().filter(|m| in_range(m)) {
            if let Some(s) = m.script(Phase::Expand, Direction::Up)
                && applied(&m.version, Phase::Expand).is_none()
            {
                out.items.push((m, s));
            }
        }
    }
    let fill_row = |m: &Migration| fills.iter().find(|r| r.version == m.version.raw);
    let fill_done = |m: &Migration| fill_row(m).is_some_and(|r| r.state == State::Applied);
    if req.phase.runs_backfill(req.no_backfill) {
        for m in migrations.iter().filter(|m| in_range(m)) {
            if m.backfill.is_none() || fill_done(m) {
                continue;
            }
            let has_expand = m.script(Phase::Expand, Direction::Up).is_some();
            let expand_ready = !has_expand
                || applied(&m.version, Phase::Expand).is_some()
                || out.items.iter().any(|(o, _)| std::ptr::eq(*o, m));
            if expand_ready {
                out.backfills.push(m);
            } else {
                out.warnings.push(format!(
                    "{}: the backfill of {} waits for its expand phase: run `migrate apply --phase expand`",
                    m.origin.display(),
                    m.version
                ));
            }
        }
    }
    if req.phase.has(Phase::Contract) {
        for m in migrations.iter().filter(|m| in_range(m)) {
            let Some(s) = m.script(Phase::Contract, Direction::Up) else {
                continue;
            };
            if applied(&m.version, Phase::Contract).is_some() {
                continue;
            }
            let wait = |reason: String| Waiting {
                version: m.version.raw.clone(),
                name: m.name.clone(),
                phase: Phase::Contract,
                reason,
            };
            if !out.waiting.is_empty() {
                // contracts run in version order: one waiting holds back the later ones
                out.waiting.push(wait(format!(
                    "runs after the contract of {}",
                    out.waiting[0].version
                )));
                continue;
            }
            // its own backfill, and any earlier migration's (a single-phase layout's planned
            // contract is a migration of its own, after the expand that holds the backfill)
            let unfilled = migrations.iter().find(|o| {
                o.version <= m.version
                    && o.backfill.is_some()
                    && !fill_done(o)
                    && !out.backfills.iter().any(|b| std::ptr::eq(*b, *o))
            });
            if let Some(o) = unfilled {
                let progress = fill_row(o).map_or_else(
                    || "it has not started".to_owned(),
                    |r| format!("it is {} with {} rows done", r.state.name(), r.rows_done),
                );
                let whose = if std::ptr::eq(o, m) {
                    "its backfill".to_owned()
                } else {
                    format!("the backfill of {} {}", o.version, o.name)
                };
                out.waiting.push(wait(format!(
                    "{whose} is not complete ({progress}); run `migrate apply --phase backfill` first"
                )));
                continue;
            }
            let reference = if m.script(Phase::Expand, Direction::Up).is_some() {
                match applied(&m.version, Phase::Expand) {
                    Some(r) => r.finished_at,
                    None => {
                        out.waiting.push(wait(format!(
                            "its expand phase is not applied yet{}; then record the rollout of the new code with `migrate rollout complete --release ID`",
                            if req.phase.has(Phase::Expand) {
                                " (it is applied in this run)"
                            } else {
                                ": run `migrate apply --phase expand` first"
                            }
                        )));
                        continue;
                    }
                }
            } else {
                // a contract-only migration waits for a rollout after the expands before it
                by_key
                    .iter()
                    .filter(|((v, p), r)| {
                        *p == Phase::Expand && *v <= m.version && r.state == State::Applied
                    })
                    .filter_map(|(_, r)| r.finished_at)
                    .max()
            };
            let v = gate.with_recorded(&gates::recorded(reference, events));
            if v.holds {
                out.items.push((m, s));
            } else {
                out.waiting
                    .push(wait(format!("the `{}` gate: {}", v.gate, v.why)));
            }
            out.verdicts.push((m.version.raw.clone(), v));
        }
    }
    Ok(out)
}

/// Where a non-transactional phase continues: after the statements a failed or
/// interrupted run recorded.
pub(crate) fn resume_point(p: &Prepared, prior: Option<&LedgerRow>) -> usize {
    match prior {
        Some(r) if !p.transactional && matches!(r.state, State::Failed | State::Running) => {
            usize::try_from(r.statements_done)
                .unwrap_or(0)
                .min(p.statements.len())
        }
        _ => 0,
    }
}
