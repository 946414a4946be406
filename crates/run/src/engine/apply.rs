//! `migrate apply`: pending phases in order, expands, then backfills, then contracts.

use std::collections::BTreeSet;
use std::time::Duration;

use super::super::backfill::{self, BackfillDone, Loaded};
use super::super::driver::Driver;
use super::super::facts::RunFacts;
use super::super::gates::{self, Verdict};
use super::super::hooks::{self, HookEvent, HookPoint};
use super::super::ledger::{self, LedgerRow};
use super::super::plan::{contract_pending, plan_gated, row_map};
use super::super::strategies::Family;
use super::super::{ApplyOutcome, ApplyRequest, RunError};
use super::check::Verdicts;
use super::view_rename;
use super::{Engine, Run};
use sluice_core::source::{Migration, Phase, Script};

impl Engine {
    /// Apply pending migration phases in order; with `req.dry_run`, the same run on a
    /// transcript: `ApplyOutcome::sql` holds what it would send.
    pub async fn apply(
        &self,
        migrations: &[Migration],
        req: &ApplyRequest,
    ) -> Result<ApplyOutcome, RunError> {
        let (run, mut s) = self.open(req.dry_run, true).await?;
        let out = run
            .apply_in(s.main.as_mut(), s.mon.as_mut(), migrations, req)
            .await;
        let (out, sent) = self.close(s, out).await;
        out.map(|mut o| {
            o.sql = sent;
            o
        })
    }

    /// The verdict of the gates outside the ledger, asked only when a contract is pending.
    pub(crate) async fn external_gates(
        &self,
        migrations: &[Migration],
        rows: &[LedgerRow],
        req: &ApplyRequest,
    ) -> Verdict {
        if contract_pending(migrations, rows, req) {
            gates::evaluate(&self.settings.gate).await
        } else {
            Verdict::recorded_placeholder()
        }
    }
}

impl Run<'_> {
    pub(crate) async fn apply_in(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        migrations: &[Migration],
        req: &ApplyRequest,
    ) -> Result<ApplyOutcome, RunError> {
        let (_, rows, events) = self.read_ledger(main).await?;
        let fills = self.read_backfills(main).await?.unwrap_or_default();
        let gate = self.external_gates(migrations, &rows, req).await;
        let plan = match plan_gated(
            migrations,
            &rows,
            &events,
            &fills,
            req,
            self.settings.out_of_order,
            &gate,
        ) {
            Ok(p) => p,
            Err(e) => {
                if let RunError::Drift(msg) = &e {
                    // the refusal is part of the history `repair` resolves
                    let _ = self
                        .event(
                            main,
                            ledger::EVENT_DRIFT_REFUSED,
                            None,
                            None,
                            req.release.as_deref(),
                            msg,
                        )
                        .await;
                }
                return Err(e);
            }
        };
        let mut out = ApplyOutcome {
            waiting: plan.waiting,
            warnings: plan.warnings,
            ..ApplyOutcome::default()
        };
        let by_key = row_map(&rows)?;
        out.pending = not_selected(migrations, &plan.items, &by_key, &out.waiting, req);
        // every file is checked before anything runs
        let mut loaded = Vec::new();
        for m in &plan.backfills {
            if let Some(l) = backfill::load(m)? {
                loaded.push((*m, l));
            }
        }
        let mut reported = BTreeSet::new();
        let mut facts = RunFacts::new();
        let (expands, contracts): (Vec<_>, Vec<_>) = plan
            .items
            .into_iter()
            .partition(|(_, s)| s.phase == Phase::Expand);
        let backfilled: Vec<&Migration> = loaded.iter().map(|(m, _)| *m).collect();
        let (expands, contracts) = view_rename::order(
            self.url.dialect(),
            migrations,
            &by_key,
            expands,
            contracts,
            &backfilled,
        )?;
        let release = req.release.as_deref();
        // the check: nothing runs unless every selected phase passes
        let order: Vec<_> = expands.iter().chain(&contracts).copied().collect();
        let verdicts = self.check(main, &order, &rows, release).await?;

        for (m, s) in expands {
            if self.stop_requested(&mut out) {
                return Ok(out);
            }
            self.report_long_transactions(mon, &mut reported).await;
            if !self.dry {
                self.wait_for_vacuums(mon).await;
            }
            show(main, &verdicts, m, s);
            let prior = by_key.get(&(m.version.clone(), s.phase)).copied();
            out.done.push(
                self.run_phase(main, mon, &mut facts, m, s, prior, release)
                    .await?,
            );
        }
        // expand, backfill, contract: a contract never runs before its backfill ends
        for (m, l) in &loaded {
            if self.stop_requested(&mut out) {
                return Ok(out);
            }
            let prior = fills.iter().find(|r| r.version == m.version.raw);
            let ev = HookEvent {
                version: Some(m.version.raw.clone()),
                name: Some(m.name.clone()),
                phase: Some("backfill".into()),
                release: release.map(str::to_owned),
                ..HookEvent::default()
            };
            // asked once per run (the facts cache it): MariaDB's batches give way by a prefix
            let server = facts.server(main).await;
            if self.dry {
                if let Some(t) = main.transcript() {
                    self.backfill_dry_sql(m, l, prior, &server, t);
                }
                out.backfills.push(dry_backfill(m, l));
                continue;
            }
            let b = match self.run_backfill(main, mon, m, l, prior, &server).await {
                Ok(b) => b,
                Err(e) => {
                    let ev = HookEvent {
                        outcome: Some("failed".into()),
                        error: Some(e.to_string()),
                        ..ev
                    };
                    let _ = hooks::fire(&self.settings.hooks, HookPoint::OnFailure, &ev).await;
                    return Err(e);
                }
            };
            let stopped = b.stopped;
            out.backfills.push(b);
            if stopped {
                out.stopped = true;
                return Ok(out);
            }
            let ev = HookEvent {
                outcome: Some("ok".into()),
                ..ev
            };
            let _ = hooks::fire(&self.settings.hooks, HookPoint::AfterBackfill, &ev).await;
        }
        for (m, s) in contracts {
            if self.stop_requested(&mut out) {
                return Ok(out);
            }
            self.report_long_transactions(mon, &mut reported).await;
            if !self.dry {
                // its DDL would queue behind a VACUUM a backfill left running
                self.wait_for_vacuums(mon).await;
            }
            if Family::of(self.url.dialect()) == Family::Mysql {
                // the gate holds: table copies the expand kept in sync swap in now
                self.osc_swaps(main, &m.version.raw).await?;
            }
            show(main, &verdicts, m, s);
            let prior = by_key.get(&(m.version.clone(), s.phase)).copied();
            out.done.push(
                self.run_phase(main, mon, &mut facts, m, s, prior, release)
                    .await?,
            );
        }
        Ok(out)
    }

    /// `Engine::stopper` was set: note it in `out` (the caller returns before the next phase).
    fn stop_requested(&self, out: &mut ApplyOutcome) -> bool {
        if self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            tracing::warn!("asked to stop: leaving the remaining phases pending");
            out.stopped = true;
        }
        out.stopped
    }

    /// Before each phase, warn (once per session) about transactions open longer than
    /// lock_timeout: they can block its DDL and make CONCURRENTLY wait.
    async fn report_long_transactions(&self, mon: &mut dyn Driver, reported: &mut BTreeSet<i64>) {
        let age = self.settings.lock_timeout.max(Duration::from_secs(1));
        if let Ok(list) = mon.long_transactions(age).await {
            for b in list {
                if reported.insert(b.pid) {
                    tracing::warn!(session = %b, "an open transaction may block this migration");
                }
            }
        }
    }
}

/// Up phases not applied that `req` does not select (nor waits for): what `migrate apply`
/// names instead of "nothing to apply".
fn not_selected(
    migrations: &[Migration],
    items: &[(&Migration, &Script)],
    by_key: &std::collections::BTreeMap<(sluice_core::source::Version, Phase), &LedgerRow>,
    waiting: &[crate::Waiting],
    req: &ApplyRequest,
) -> Vec<crate::Waiting> {
    let mut out = Vec::new();
    for m in migrations {
        if req.to.as_ref().is_some_and(|to| m.version > *to) {
            continue;
        }
        for s in m
            .scripts
            .iter()
            .filter(|s| s.direction == sluice_core::source::Direction::Up)
        {
            let applied = by_key
                .get(&(m.version.clone(), s.phase))
                .is_some_and(|r| r.state == ledger::State::Applied);
            let selected = items
                .iter()
                .any(|(im, is)| im.version == m.version && is.phase == s.phase);
            let waits = waiting
                .iter()
                .any(|w| w.version == m.version.raw && w.phase == s.phase);
            if applied || selected || waits || req.phase.has(s.phase) {
                continue;
            }
            let reason = match s.phase {
                Phase::Contract => {
                    "a contract runs after the rollout: `migrate apply --phase contract` (or `--phase all`) applies it once its gate holds"
                }
                Phase::Expand => "an expand: `migrate apply` (`--phase expand`) applies it",
            };
            out.push(crate::Waiting {
                version: m.version.raw.clone(),
                name: m.name.clone(),
                phase: s.phase,
                reason: reason.to_owned(),
            });
        }
    }
    out
}

/// A dry run prints the check's verdict of a phase before its SQL.
fn show(main: &mut dyn Driver, verdicts: &Verdicts, m: &Migration, s: &Script) {
    if let Some(t) = main.transcript() {
        for line in verdicts.of(&m.version.raw, s.phase) {
            t.push(line.clone());
        }
    }
}

fn dry_backfill(m: &Migration, l: &Loaded) -> BackfillDone {
    BackfillDone {
        version: m.version.raw.clone(),
        name: m.name.clone(),
        table: l.tables(),
        rows: 0,
        rows_total: 0,
        batches: 0,
        resumed_at: None,
        duration_ms: 0,
        vacuumed: false,
        stopped: false,
    }
}
