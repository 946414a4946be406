//! `migrate status` and `migrate gate check`: read-only views of the ledger and the gates.

use super::super::gates;
use super::super::ledger::State;
use super::super::plan::{plan_gated, status_report};
use super::super::{ApplyRequest, GateReport, PhaseSel, RunError, StatusReport};
use super::Engine;
use sluice_core::source::{Migration, Phase};

impl Engine {
    /// Versions by phase with their state, drift and the recorded events.
    pub async fn status(&self, migrations: &[Migration]) -> Result<StatusReport, RunError> {
        let mut conn = self.connect().await?;
        let (exists, rows, events) = self.read_ledger(conn.as_mut()).await?;
        let fills = if exists {
            self.read_backfills(conn.as_mut())
                .await?
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let _ = conn.close().await;
        status_report(
            self.url.to_string(),
            exists,
            migrations,
            &rows,
            &fills,
            events,
        )
    }

    /// The gate's verdict for the first pending contract (what `migrate gate check` shows).
    pub async fn gate_check(&self, migrations: &[Migration]) -> Result<GateReport, RunError> {
        let (rows, events, fills) = if self.settings.gate.has_recorded() {
            let mut conn = self.connect().await?;
            let r = async {
                let (exists, rows, events) = self.read_ledger(conn.as_mut()).await?;
                let fills = if exists {
                    self.read_backfills(conn.as_mut())
                        .await?
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                Ok::<_, RunError>((rows, events, fills))
            }
            .await;
            let _ = conn.close().await;
            r?
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let req = ApplyRequest {
            phase: PhaseSel::Contract,
            to: None,
            release: None,
            dry_run: true,
            no_backfill: false,
        };
        let external = gates::evaluate(&self.settings.gate).await;
        let plan = plan_gated(
            migrations,
            &rows,
            &events,
            &fills,
            &req,
            self.settings.out_of_order,
            &external,
        )?;
        if let Some((version, v)) = plan.verdicts.first() {
            return Ok(GateReport {
                contract: Some(version.clone()),
                holds: v.holds,
                verdict: v.clone(),
                waiting: plan.waiting,
            });
        }
        // no contract to judge: the gate as of the newest applied expand
        let newest_expand = rows
            .iter()
            .filter(|r| r.phase == Phase::Expand && r.state == State::Applied)
            .filter_map(|r| r.finished_at)
            .max();
        let v = external.with_recorded(&gates::recorded(newest_expand, &events));
        Ok(GateReport {
            contract: None,
            holds: v.holds,
            verdict: v,
            waiting: plan.waiting,
        })
    }
}
