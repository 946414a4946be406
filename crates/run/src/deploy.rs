//! Job mode (controllers.md): `pre-deploy` applies expand (then backfill) before the new
//! code rolls out, `post-deploy` records the rollout and applies contract when its gate
//! holds. Both are idempotent by release: a finished release is recorded as an event, and a
//! second call for it does nothing. The HTTP server's Flagger and Spinnaker routes call them.

use serde::Serialize;

use super::ledger::{self, Event};
use super::{ApplyOutcome, ApplyRequest, Engine, PhaseSel, RunError};
use sluice_core::source::Migration;

/// What a job-mode step did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeployOutcome {
    pub release: String,
    /// The release had been done before: nothing ran.
    pub already_done: bool,
    /// This call recorded the rollout completion (post-deploy).
    pub recorded_rollout: bool,
    pub apply: ApplyOutcome,
}

impl DeployOutcome {
    /// Finished: nothing waits on a gate and nothing was left for later.
    pub fn finished(&self) -> bool {
        self.already_done || (self.apply.waiting.is_empty() && !self.apply.stopped)
    }
}

fn has(events: &[Event], kind: &str, release: &str) -> bool {
    events
        .iter()
        .any(|e| e.kind == kind && e.release.as_deref() == Some(release))
}

impl Engine {
    /// The ledger's events (none before the ledger exists).
    pub async fn events(&self) -> Result<Vec<Event>, RunError> {
        let mut conn = self.connect().await?;
        let r = self.read_ledger(conn.as_mut()).await;
        let _ = conn.close().await;
        Ok(r?.2)
    }

    /// The database answers and the ledger (if created) reads: `/readyz`.
    pub async fn ready(&self) -> Result<(), RunError> {
        let mut conn = self.connect().await?;
        let r = self.read_ledger(conn.as_mut()).await;
        let _ = conn.close().await;
        r.map(|_| ())
    }

    async fn mark(&self, kind: &str, release: &str, detail: &str) -> Result<(), RunError> {
        {
            let mut s = self.locked().await?;
            let main = s.main.as_mut();
            let out: Result<_, RunError> = async {
                self.event(main, kind, None, None, Some(release), detail)
                    .await
            }
            .await;
            self.close(s, out).await.0
        }
    }

    /// Apply expand, then the backfills, for `release`, once.
    pub async fn pre_deploy(
        &self,
        migrations: &[Migration],
        release: &str,
    ) -> Result<DeployOutcome, RunError> {
        let mut out = DeployOutcome {
            release: release.to_owned(),
            ..DeployOutcome::default()
        };
        if has(&self.events().await?, ledger::EVENT_PRE_DEPLOY, release) {
            out.already_done = true;
            return Ok(out);
        }
        let req = ApplyRequest {
            phase: PhaseSel::Expand,
            to: None,
            release: Some(release.to_owned()),
            dry_run: false,
            no_backfill: false,
        };
        out.apply = self.apply(migrations, &req).await?;
        if out.finished() {
            self.mark(
                ledger::EVENT_PRE_DEPLOY,
                release,
                "pre-deploy done: expand and backfills applied",
            )
            .await?;
        }
        Ok(out)
    }

    /// Record the rollout of `release` (once), then apply contract when its gate holds.
    pub async fn post_deploy(
        &self,
        migrations: &[Migration],
        release: &str,
        source: &str,
    ) -> Result<DeployOutcome, RunError> {
        let mut out = DeployOutcome {
            release: release.to_owned(),
            ..DeployOutcome::default()
        };
        let events = self.events().await?;
        if has(&events, ledger::EVENT_POST_DEPLOY, release) {
            out.already_done = true;
            return Ok(out);
        }
        if !has(&events, ledger::EVENT_ROLLOUT, release) {
            self.rollout_complete(release, source).await?;
            out.recorded_rollout = true;
        }
        let req = ApplyRequest {
            phase: PhaseSel::Contract,
            to: None,
            release: Some(release.to_owned()),
            dry_run: false,
            no_backfill: false,
        };
        out.apply = self.apply(migrations, &req).await?;
        if out.finished() {
            self.mark(
                ledger::EVENT_POST_DEPLOY,
                release,
                "post-deploy done: rollout recorded, contract applied",
            )
            .await?;
        }
        Ok(out)
    }
}
