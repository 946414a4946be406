//! `migrate rollback`: applied phases in reverse, each through its stored down SQL.

use std::time::Instant;

use tracing::Instrument;

use super::super::driver::{Blocker, DbError, Driver};
use super::super::hooks::{self, HookEvent, HookPoint};
use super::super::ledger::{self, LedgerRow, State};
use super::super::plan::{Prepared, prepare_down, rollback_targets};
use super::super::strategies::Family;
use super::super::{Done, Progress, RollbackOutcome, RollbackRequest, RunError, resume, retry};
use super::block::block_end;
use super::phase::LEDGER_STEP;
use super::{Engine, Run};
use sluice_core::source::{Direction, Migration, Phase, Version};
use sluice_core::sql::ops::TxControl;

impl Engine {
    /// Roll back applied phases in reverse, running the down SQL stored when they ran; with
    /// `req.dry_run`, the same run on a transcript (`RollbackOutcome::sql`).
    pub async fn rollback(
        &self,
        migrations: &[Migration],
        req: &RollbackRequest,
    ) -> Result<RollbackOutcome, RunError> {
        let (run, mut s) = self.open(req.dry_run, false).await?;
        let out = run
            .rollback_in(s.main.as_mut(), s.mon.as_mut(), migrations, req)
            .await;
        let (out, sent) = self.close(s, out).await;
        out.map(|mut o| {
            o.sql = sent;
            o
        })
    }

    /// The down SQL stored when the phase ran; when none was stored (applied before its down
    /// file existed, or baselined without one), the down script in the migrations directory.
    pub(crate) fn prepare_rollback(
        &self,
        migrations: &[Migration],
        row: &LedgerRow,
    ) -> Result<Prepared, RunError> {
        // a failed statement took no effect, so a phase failed at its first statement left
        // nothing; an interrupted one (`running`: killed, its connection or server lost) may
        // have committed that statement without recording it, so its down script runs
        if row.state == State::Failed && row.statements_done == 0 {
            // nothing of it ran: only the ledger row changes
            return prepare_down(self.url.dialect(), row, "");
        }
        if let Some(down) = row.down_sql.as_deref() {
            return prepare_down(self.url.dialect(), row, down);
        }
        let from_file = Version::parse_any(&row.version).and_then(|v| {
            migrations
                .iter()
                .find(|m| m.version == v)
                .and_then(|m| m.script(row.phase, Direction::Down))
        });
        match from_file {
            Some(script) => {
                tracing::warn!(version = %row.version, phase = row.phase.name(), file = %script.file.path.display(), "no down SQL stored in the ledger; using the down script from the migrations directory");
                prepare_down(self.url.dialect(), row, script.text())
            }
            None => Err(RunError::Refused(format!(
                "migration {} {} ({}) has no down script, neither in the ledger nor in the migrations directory (irreversible?); write a new migration that undoes it instead",
                row.version,
                row.name,
                row.phase.name()
            ))),
        }
    }
}

impl Run<'_> {
    pub(crate) async fn rollback_in(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        migrations: &[Migration],
        req: &RollbackRequest,
    ) -> Result<RollbackOutcome, RunError> {
        let (exists, rows, _) = self.read_ledger(main).await?;
        let fills = exists && self.read_backfills(main).await?.is_some();
        let targets = rollback_targets(&rows, req)?;
        let mut out = RollbackOutcome::default();
        for row in targets {
            let ev = HookEvent {
                version: Some(row.version.clone()),
                name: Some(row.name.clone()),
                phase: Some(row.phase.name().to_owned()),
                release: row.release.clone(),
                ..HookEvent::default()
            };
            let hooks = if self.dry {
                &[][..]
            } else {
                &self.settings.hooks[..]
            };
            if let Err(why) = hooks::fire(hooks, HookPoint::BeforeRollback, &ev).await {
                let msg = format!(
                    "rollback of {} {} ({}) did not run: {why}",
                    row.version,
                    row.name,
                    row.phase.name()
                );
                let _ = self
                    .event(
                        main,
                        ledger::EVENT_HOOK_FAILED,
                        Some(&row.version),
                        Some(row.phase),
                        None,
                        &msg,
                    )
                    .await;
                return Err(RunError::Hook(msg));
            }
            if !self.dry {
                // a VACUUM a backfill left running (a killed run's too) would meet the down's
                // DDL: it queues behind it, or, on a catalog row both update, one of them
                // fails (`tuple concurrently updated`)
                self.wait_for_vacuums(mon).await;
            }
            match self.rollback_one(main, mon, migrations, row, fills).await {
                Ok(d) => {
                    let ev = HookEvent {
                        outcome: Some("ok".into()),
                        ..ev
                    };
                    let _ = hooks::fire(hooks, HookPoint::AfterRollback, &ev).await;
                    out.done.push(d);
                }
                Err(e) => {
                    let ev = HookEvent {
                        outcome: Some("failed".into()),
                        error: Some(e.to_string()),
                        ..ev
                    };
                    let _ = hooks::fire(hooks, HookPoint::OnFailure, &ev).await;
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    pub(crate) async fn rollback_one(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        migrations: &[Migration],
        row: &LedgerRow,
        fills: bool,
    ) -> Result<Done, RunError> {
        let mut p = self.prepare_rollback(migrations, row)?;
        if Family::of(self.url.dialect()) == Family::Mysql && p.phase == Phase::Expand {
            // a table copy waiting for this migration's contract goes with its expand
            self.osc_abandon(main, &p.version).await?;
            if row.state != State::Applied {
                // and so does a copy the interruption left half-done
                // (from the stored down SQL: a phase failed at its first statement runs
                // none of it, but its tool may have left a copy)
                let tables = match row.down_sql.as_deref() {
                    Some(down) => super::super::plan::prepare_down(self.url.dialect(), row, down)
                        .map(|d| super::super::plan::tables_of(self.url.dialect(), &d))
                        .unwrap_or_default(),
                    None => super::super::plan::tables_of(self.url.dialect(), &p),
                };
                let swapped = self.pt_osc_abandon(main, &p.version, &tables).await?;
                if swapped
                    && p.statements.is_empty()
                    && let Some(down) = row.down_sql.as_deref()
                {
                    // the tool failed after its swap (its session killed while it dropped its
                    // triggers): its first statement took effect after all, so the down runs
                    p = super::super::plan::prepare_down(self.url.dialect(), row, down)?;
                }
            }
        }
        if Family::of(self.url.dialect()) == Family::Postgres && row.state != State::Applied {
            // a shadow-table copy the interruption left half-done goes with its phase
            self.shadow_abandon(main, mon, &p.version, p.phase.name())
                .await
                .map_err(|e| {
                    RunError::Db(format!(
                        "rollback of {}: cannot drop its unfinished shadow-table copy: {e}",
                        p.label()
                    ))
                })?;
        }
        // A down script runs as written, as the plain client runs it, unless the phase was
        // interrupted (its up stopped part-way) or an earlier rollback of it did not finish:
        // only then is a down statement whose effect is already there skipped (see `resume`).
        let resumable = row.state != State::Applied || row.error.is_some();
        if !p.transactional {
            // marks the row, so a rollback killed part-way is resumed by the next one
            main.exec(&self.ledger.set_error_sql(
                &p.version,
                p.phase,
                "rollback started and not finished; the next rollback skips the down statements that already took effect",
            ))
            .await
            .map_err(|e| {
                RunError::Db(format!(
                    "rollback of {}: cannot write the ledger {}: {e}",
                    p.label(),
                    self.ledger.history()
                ))
            })?;
        }
        let span = tracing::info_span!("rollback", version = %p.version, phase = p.phase.name());
        self.rollback_in_span(main, mon, &p, fills, resumable)
            .instrument(span)
            .await
    }

    /// `fills`: the backfill ledger exists, so an expand's rollback clears its backfill.
    /// `resumable`: down statements whose effect is already there are skipped.
    pub(crate) async fn rollback_in_span(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        fills: bool,
        resumable: bool,
    ) -> Result<Done, RunError> {
        self.progress(Progress::PhaseStarted {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: p.statements.len(),
            transactional: p.transactional,
        });
        if let Some(t) = main.transcript() {
            t.push(format!("-- rollback {}", p.label()));
        }
        let started = Instant::now();
        let mut conns = (main, mon);
        let r = retry::retry(
            &self.settings.retry,
            &mut conns,
            // a transactional down is retried whole; statements outside one were already
            // retried one by one
            |(_, e, _): &(usize, DbError, Vec<Blocker>)| {
                p.transactional && self.db.is_lock_timeout(e)
            },
            |n, d, (_, e, _)| self.backing_off(p, n, d, e, "retrying the rollback"),
            |(main, mon), _| {
                Box::pin(self.rollback_attempt(&mut **main, &mut **mon, p, fills, resumable))
            },
        )
        .await;
        let (main, _) = conns;
        if let Err((i, e, blockers)) = r {
            let err = if i == LEDGER_STEP {
                RunError::Db(format!(
                    "rollback of {}: cannot write the ledger {}: {e}",
                    p.label(),
                    self.ledger.history()
                ))
            } else if self.db.is_lock_timeout(&e) {
                self.lock_give_up(p, i, &e, &blockers)
            } else {
                RunError::Failed(format!(
                    "rollback of {} failed at statement {} of {} (line {} of the stored down SQL): {e}; {}",
                    p.label(),
                    i + 1,
                    p.statements.len(),
                    p.statements.get(i).map_or(0, |s| s.line),
                    if p.transactional {
                        "nothing of the rollback remains"
                    } else {
                        "earlier statements of the down script ran; fix the database by hand, then `migrate repair`"
                    }
                ))
            };
            let _ = main
                .exec(
                    &self
                        .ledger
                        .set_error_sql(&p.version, p.phase, &err.to_string()),
                )
                .await;
            return Err(err);
        }
        let ms = if self.dry {
            0
        } else {
            started.elapsed().as_millis()
        };
        tracing::info!(
            statements = p.statements.len(),
            duration_ms = ms as u64,
            "rolled back"
        );
        Ok(Done {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: p.statements.len(),
            resumed_from: 0,
            transactional: p.transactional,
            duration_ms: ms,
        })
    }

    /// A down statement whose effect is already there is not run: the up it undoes
    /// stopped before that step (interrupted, or failed part-way), or an interrupted
    /// rollback ran it (see `resume`).
    async fn undone_already(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        i: usize,
        resumable: bool,
    ) -> Result<bool, (usize, DbError, Vec<Blocker>)> {
        if !resumable {
            return Ok(false);
        }
        self.already_done(main, p, i)
            .await
            .map(|d| d == Some(true))
            .map_err(|e| (i, DbError::other(e.to_string()), Vec::new()))
    }

    /// Statements `begin..=end` (a transaction block) of a down script: their net effect is
    /// already there.
    async fn block_undone_already(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        begin: usize,
        end: usize,
    ) -> Result<bool, (usize, DbError, Vec<Blocker>)> {
        let sqls: Vec<&str> = p.statements[begin..=end]
            .iter()
            .filter(|st| st.tx().is_none())
            .map(|st| st.sql.as_str())
            .collect();
        let done = resume::applied_all(main, self.url.dialect(), &sqls)
            .await
            .map_err(|e| (begin, e, Vec::new()))?;
        if done == Some(true) {
            tracing::warn!(version = %p.version, phase = p.phase.name(), from = begin + 1, to = end + 1, "the down block's effect is already there: not run");
        }
        Ok(done == Some(true))
    }

    /// Statements `begin..=end`, a `BEGIN` .. `COMMIT` block of a down script on a server with
    /// transactional DDL: a lock timeout or a deadlock inside rolled the whole block back, so
    /// the block is retried from its `BEGIN` with back-off (retrying the one statement would
    /// only meet the aborted transaction).
    async fn undo_block(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        begin: usize,
        end: usize,
    ) -> Result<(), (usize, DbError, Vec<Blocker>)> {
        let mut conns = (main, mon);
        retry::retry(
            &self.settings.retry,
            &mut conns,
            |(_, e, _): &(usize, DbError, Vec<Blocker>)| self.db.is_lock_timeout(e),
            |n, d, (_, e, _)| {
                self.backing_off(p, n, d, e, "retrying the transaction block from its BEGIN");
            },
            |(main, mon), _| {
                Box::pin(async move {
                    for k in begin..=end {
                        self.statement_progress(p, k);
                        let (r, blockers) = self
                            .exec_probed(&mut **main, &mut **mon, &p.statements[k].sql)
                            .await;
                        if let Err(e) = r {
                            let _ = main.exec("ROLLBACK").await;
                            return Err((k, e, blockers));
                        }
                    }
                    Ok(())
                })
            },
        )
        .await
    }

    /// One attempt at a down script: its statements, the ledger row `rolled_back` (and the
    /// backfill row of an expand); a transactional one in one transaction, rolled back on
    /// error.
    async fn rollback_attempt(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        fills: bool,
        resumable: bool,
    ) -> Result<(), (usize, DbError, Vec<Blocker>)> {
        let r = async {
            if p.transactional {
                main.begin()
                    .await
                    .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
                for (i, st) in p.statements.iter().enumerate() {
                    self.statement_progress(p, i);
                    if self.undone_already(main, p, i, resumable).await? {
                        continue;
                    }
                    let (r, b) = self.exec_probed(main, mon, &st.sql).await;
                    r.map_err(|e| (i, e, b))?;
                }
            } else {
                let mut i = 0;
                while i < p.statements.len() {
                    // a BEGIN .. COMMIT block of the down script undoes an atomic step of
                    // the up: when the up never ran that step, the block's net effect (a
                    // column swap back) is already there, though no statement's alone is
                    if resumable
                        && p.statements[i].tx() == Some(TxControl::Begin)
                        && let Some(end) = block_end(p, i)
                        && self.block_undone_already(main, p, i, end).await?
                    {
                        i = end + 1;
                        continue;
                    }
                    if self.db.transactional_ddl()
                        && p.statements[i].tx() == Some(TxControl::Begin)
                        && let Some(end) = block_end(p, i)
                    {
                        // undone whole or not at all: no statement of it is skipped alone
                        self.undo_block(main, mon, p, i, end).await?;
                        i = end + 1;
                        continue;
                    }
                    self.statement_progress(p, i);
                    if self.undone_already(main, p, i, resumable).await? {
                        i += 1;
                        continue;
                    }
                    self.exec_retrying(main, mon, p, i)
                        .await
                        .map_err(|(e, b)| (i, e, b))?;
                    i += 1;
                }
            }
            main.exec(
                &self
                    .ledger
                    .set_state_sql(&p.version, p.phase, State::RolledBack),
            )
            .await
            .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
            if fills && p.phase == Phase::Expand {
                // the backfill filled what the expand made: both go
                main.exec(&self.ledger.delete_backfill_sql(&p.version))
                    .await
                    .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
            }
            if p.transactional {
                main.commit()
                    .await
                    .map_err(|e| (LEDGER_STEP, e, Vec::new()))?;
            }
            Ok::<(), (usize, DbError, Vec<Blocker>)>(())
        }
        .await;
        if r.is_err() && p.transactional {
            let _ = main.rollback().await;
        }
        r
    }
}
