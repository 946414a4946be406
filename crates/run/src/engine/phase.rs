//! The executor: every phase of `apply` and `rollback`, live or dry, goes through here.
//!
//! A transactional phase runs in one transaction with its ledger row (retried whole on a
//! lock timeout); any other phase runs statement by statement, its progress recorded after
//! each (resumable), a `BEGIN .. COMMIT` block of the file as one unit. External tools and
//! shadow-table copies are steps of their own. Hooks fire around each phase. A dry run is
//! this same code on a transcript connection (`Run::dry`): statements recorded, tools and
//! copies shown as their steps, no hooks, no progress, durations 0.

use std::time::Instant;

use tracing::Instrument;

use super::super::driver::{Blocker, DbError, Driver};
use super::super::facts::RunFacts;
use super::super::hooks::{self, HookEvent, HookPoint};
use super::super::ledger::{self, LedgerRow, State};
use super::super::plan::{self, Prepared, Step, prepare, resume_point};
use super::super::{Done, Progress, RunError, resume, retry, strategies};
use super::block::{self, block_end};
use super::{Engine, Run};
use sluice_core::source::{Direction, Migration, Phase, Script};
use sluice_core::sql::ops::TxControl;

/// In a failed transactional attempt: the ledger write failed, not a statement.
pub(crate) const LEDGER_STEP: usize = usize::MAX;

pub(crate) fn hook_event(
    p: &Prepared,
    release: Option<&str>,
    error: Option<&RunError>,
) -> HookEvent {
    HookEvent {
        hook: String::new(),
        version: Some(p.version.clone()),
        name: Some(p.name.clone()),
        phase: Some(p.phase.name().to_owned()),
        release: release.map(str::to_owned),
        outcome: Some(if error.is_some() { "failed" } else { "ok" }.to_owned()),
        error: error.map(ToString::to_string),
    }
}

impl Run<'_> {
    /// A phase's duration for the ledger; 0 in a dry run (its text is printed).
    fn elapsed_ms(&self, started: Instant) -> u128 {
        if self.dry {
            0
        } else {
            started.elapsed().as_millis()
        }
    }

    /// Records `err` on the phase's ledger row (`done` statements applied) and gives it back;
    /// a ledger that cannot be written keeps the first error, the one to report.
    pub(crate) async fn record_failure(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        done: usize,
        err: RunError,
    ) -> RunError {
        let _ = main
            .exec(
                &self
                    .ledger
                    .fail_sql(&p.version, p.phase, done, &err.to_string()),
            )
            .await;
        err
    }

    /// One phase with its hooks: `before-<phase>` (may stop it), then the phase, then
    /// `after-<phase>` or `on-failure`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn run_phase(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        facts: &mut RunFacts,
        m: &Migration,
        s: &Script,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<Done, RunError> {
        let p = self.prepare_online(main, facts, m, s).await?;
        if let Some(t) = main.transcript() {
            t.push(format!("-- {}: {}", p.label(), p.path.display()));
            for (line, c) in &p.choices {
                t.push(format!(
                    "-- line {line}: strategy {}{}: {}",
                    c.strategy.name(),
                    if c.forced { " (forced)" } else { "" },
                    c.reason
                ));
            }
        }
        self.before_hooks(main, &p, prior, release).await?;
        match self.run_up(main, mon, &p, prior, release).await {
            Ok(d) if self.dry => {
                facts.note_created(plan::created_tables(self.url.dialect(), &p));
                Ok(d)
            }
            Err(e) if self.dry => Err(e),
            Ok(d) => {
                facts.note_created(plan::created_tables(self.url.dialect(), &p));
                let ev = hook_event(&p, release, None);
                let _ = hooks::fire(&self.settings.hooks, HookPoint::after(p.phase), &ev).await;
                Ok(d)
            }
            Err(e) => {
                let ev = hook_event(&p, release, Some(&e));
                let _ = hooks::fire(&self.settings.hooks, HookPoint::OnFailure, &ev).await;
                Err(e)
            }
        }
    }

    /// Run the `before-<phase>` hooks; when one fails, record why (an event and the phase's
    /// error, so `migrate status` shows it) and stop.
    pub(crate) async fn before_hooks(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<(), RunError> {
        if self.dry {
            return Ok(());
        }
        let point = HookPoint::before(p.phase);
        let ev = HookEvent {
            outcome: None,
            ..hook_event(p, release, None)
        };
        let Err(why) = hooks::fire(&self.settings.hooks, point, &ev).await else {
            return Ok(());
        };
        let msg = format!("{} did not run: {why}", p.label());
        tracing::warn!("{msg}");
        let _ = self
            .event(
                main,
                ledger::EVENT_HOOK_FAILED,
                Some(&p.version),
                Some(p.phase),
                release,
                &msg,
            )
            .await;
        // keep the statements an earlier interrupted run recorded
        let done = match prior {
            Some(r) if matches!(r.state, State::Failed | State::Running) => {
                usize::try_from(r.statements_done).unwrap_or(0)
            }
            _ => {
                let _ = self
                    .write_row(main, &self.new_row(p, State::Failed, 0, release))
                    .await;
                0
            }
        };
        let _ = main
            .exec(&self.ledger.fail_sql(&p.version, p.phase, done, &msg))
            .await;
        Err(RunError::Hook(msg))
    }

    pub(crate) async fn run_up(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<Done, RunError> {
        let span = tracing::info_span!("apply", version = %p.version, phase = p.phase.name());
        self.run_up_in_span(main, mon, p, prior, release)
            .instrument(span)
            .await
    }

    pub(crate) async fn run_up_in_span(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        prior: Option<&LedgerRow>,
        release: Option<&str>,
    ) -> Result<Done, RunError> {
        self.progress(Progress::PhaseStarted {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: p.statements.len(),
            transactional: p.transactional,
        });
        let started = Instant::now();
        let total = p.statements.len();
        if p.transactional {
            let mut conns = (main, mon);
            let r = retry::retry(
                &self.settings.retry,
                &mut conns,
                |(_, e, _): &(usize, DbError, Vec<Blocker>)| self.db.is_lock_timeout(e),
                |n, d, (_, e, _)| {
                    self.backing_off(p, n, d, e, "retrying the migration's transaction");
                },
                |(main, mon), _| {
                    Box::pin(async move {
                        let r = self
                            .try_transactional(&mut **main, &mut **mon, p, release)
                            .await;
                        if r.is_err() {
                            let _ = main.rollback().await;
                        }
                        r
                    })
                },
            )
            .await;
            let (main, _) = conns;
            if let Err((i, e, blockers)) = r {
                let err = if i == LEDGER_STEP {
                    RunError::Db(format!(
                        "{}: cannot write the ledger {}: {e}; nothing of this migration phase remains",
                        p.label(),
                        self.ledger.history()
                    ))
                } else if self.db.is_lock_timeout(&e) {
                    self.lock_give_up(p, i, &e, &blockers)
                } else {
                    self.statement_failed(p, i, i, &e, true)
                };
                let row = self.new_row(p, State::Failed, 0, release);
                let _ = self.write_row(main, &row).await;
                return Err(self.record_failure(main, p, 0, err).await);
            }
            let ms = self.elapsed_ms(started);
            tracing::info!(statements = total, duration_ms = ms as u64, "applied");
            return Ok(Done {
                version: p.version.clone(),
                name: p.name.clone(),
                phase: p.phase,
                statements: total,
                resumed_from: 0,
                transactional: true,
                duration_ms: ms,
            });
        }

        let start = resume_point(p, prior);
        if start > 0
            && let Some(r) = prior
            && usize::try_from(r.statements_total).ok() != Some(total)
        {
            // the online strategy choices differ from the interrupted run's (a table grew
            // past large_table_rows, pg_repack appeared): resuming by index would misstep
            return Err(RunError::Input(format!(
                "{}: the interrupted run had {} statements and this one has {total} (online strategy choices changed since); pin them with `-- sluice:strategy <name>` above the statements, or finish by hand and `migrate repair --version {}`",
                p.label(),
                r.statements_total,
                p.version
            )));
        }
        if start > 0 {
            tracing::warn!(
                resume_from = start + 1,
                "continuing a failed or interrupted run after the statements it completed"
            );
        }
        self.write_row(main, &self.new_row(p, State::Running, start, release))
            .await
            .map_err(|e| RunError::Db(format!("cannot write the ledger: {e}")))?;
        // the interrupted run's session settings are gone with its session
        for (k, st) in p.statements[..start].iter().enumerate() {
            if st.is_sql() && resume::session_setting(self.url.dialect(), &st.sql) {
                tracing::info!(statement = k + 1, "resuming: the session setting again");
                main.exec(&st.sql)
                    .await
                    .map_err(|e| self.statement_failed(p, k, start, &e, false))?;
            }
        }
        // the statement an interruption hit (`running`: killed, its session or server lost;
        // a `failed` one took no effect) may have committed without its progress (MySQL's
        // DDL always commits on its own): until one is found not done, a statement whose
        // effect is already there is not run again (inside a LOCK TABLES block, whose
        // progress is recorded at its UNLOCK, that is each statement of the block)
        let mut uncertain = matches!(prior, Some(r) if r.state == State::Running);
        let mut i = start;
        while i < total {
            // a BEGIN .. COMMIT block of the file goes in one round trip where the server
            // takes one (PostgreSQL), its progress write inside, so its locks are held for
            // the server's work only
            if self.db.multi_statement_round_trip()
                && p.statements[i].tx() == Some(TxControl::Begin)
                && let Some(end) = block_end(p, i)
            {
                // atomic with its progress: done or not at all
                uncertain = false;
                self.run_block(main, mon, p, i, end).await?;
                i = end + 1;
                continue;
            }
            // an explicit BEGIN .. COMMIT of the file (the planner's swaps) or LOCK TABLES
            // .. UNLOCK TABLES is retried whole
            if block::opens(&p.statements[i]) {
                let end = block::stepwise_end(p, i);
                self.run_block_stepwise(main, mon, p, i, end, &mut uncertain)
                    .await?;
                i = end + 1;
                continue;
            }
            self.statement_progress(p, i);
            if uncertain {
                match self.already_done(main, p, i).await? {
                    Some(true) => {
                        main.exec(&self.ledger.progress_sql(&p.version, p.phase, i + 1))
                            .await
                            .map_err(|e| RunError::Db(format!("cannot write the ledger: {e}")))?;
                        i += 1;
                        continue;
                    }
                    // not run before: neither are the statements after it
                    Some(false) => uncertain = false,
                    // cannot tell (an idempotent kind): it runs again, the next one is read
                    None => {}
                }
            }
            if let Err((e, blockers)) = self.exec_retrying(main, mon, p, i).await {
                let err = if self.db.is_lock_timeout(&e) {
                    self.lock_give_up(p, i, &e, &blockers)
                } else {
                    self.statement_failed(p, i, i, &e, false)
                };
                return Err(self.record_failure(main, p, i, err).await);
            }
            main.exec(&self.ledger.progress_sql(&p.version, p.phase, i + 1))
                .await
                .map_err(|e| RunError::Db(format!("cannot write the ledger: {e}")))?;
            i += 1;
        }
        let ms = self.elapsed_ms(started);
        main.exec(&self.ledger.finish_sql(&p.version, p.phase, total, ms))
            .await
            .map_err(|e| RunError::Db(format!("cannot write the ledger: {e}")))?;
        tracing::info!(
            statements = total - start,
            duration_ms = ms as u64,
            "applied"
        );
        Ok(Done {
            version: p.version.clone(),
            name: p.name.clone(),
            phase: p.phase,
            statements: total - start,
            resumed_from: start,
            transactional: false,
            duration_ms: ms,
        })
    }

    /// One attempt at a transactional phase: ledger row, statements, `applied`, commit.
    /// On error: the failing statement's index, the error, and who blocked it.
    pub(crate) async fn try_transactional(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        release: Option<&str>,
    ) -> Result<(), (usize, DbError, Vec<Blocker>)> {
        let ledger_err = |e: DbError| (LEDGER_STEP, e, Vec::new());
        let started = Instant::now();
        // PostgreSQL only (transactional phases are), whose simple protocol takes several
        // statements in one message: the ledger costs two round trips per phase
        let mut head = vec!["BEGIN".to_owned()];
        head.extend(
            self.ledger
                .replace_row_sql(&self.new_row(p, State::Running, 0, release)),
        );
        main.exec(&head.join(";\n")).await.map_err(ledger_err)?;
        for (i, st) in p.statements.iter().enumerate() {
            self.statement_progress(p, i);
            let (r, blockers) = self.exec_probed(main, mon, &st.sql).await;
            r.map_err(|e| (i, e, blockers))?;
        }
        let ms = self.elapsed_ms(started);
        let tail = format!(
            "{};\nCOMMIT",
            self.ledger
                .finish_sql(&p.version, p.phase, p.statements.len(), ms)
        );
        main.exec(&tail).await.map_err(ledger_err)
    }

    /// Back off before retry `attempt` after a lock timeout: log what is retried, report
    /// it to the live view, sleep the jittered delay.
    /// Before retry `attempt` after a lock timeout: log what is retried and tell the live
    /// view (the caller sleeps `d`).
    pub(crate) fn backing_off(
        &self,
        p: &Prepared,
        attempt: u32,
        d: std::time::Duration,
        e: &DbError,
        what: &str,
    ) {
        tracing::warn!(version = %p.version, attempt, delay_ms = d.as_millis() as u64, error = %e, "lock timeout; {what}");
        self.progress(Progress::Retrying {
            version: p.version.clone(),
            attempt,
            delay_ms: d.as_millis() as u64,
        });
    }

    /// One statement outside a transaction, retried on lock timeouts with back-off.
    pub(crate) async fn exec_retrying(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        index: usize,
    ) -> Result<(), (DbError, Vec<Blocker>)> {
        let st = &p.statements[index];
        if st.external()
            && let Some(t) = main.transcript()
        {
            // a tool or a copy runs its own statements: the dry run shows its steps
            t.push(st.sql.clone());
            return Ok(());
        }
        if let Step::Tool(tool) = &st.step {
            let r = match tool {
                strategies::Tool::Repack(r) => self.run_repack(r).await,
                strategies::Tool::PtOsc(o) => match self.pt_osc_leftovers(main, o).await {
                    Ok(true) => Ok(()),
                    Ok(false) => self.run_pt_osc(&p.version, o).await,
                    Err(e) => Err(e),
                },
                strategies::Tool::GhOst(g) => self.run_gh_ost(&p.version, g).await,
            };
            return r.map_err(|e| (e, Vec::new()));
        }
        if let Step::Shadow(sh) = &st.step {
            return self.run_shadow(main, mon, p, index, sh).await;
        }
        if let Step::BatchedDelete(d) = &st.step {
            return self.run_batched_delete(main, p, d).await;
        }
        let mut conns = (main, mon);
        let r = retry::retry(
            &self.settings.retry,
            &mut conns,
            |(e, _): &(DbError, Vec<Blocker>)| self.db.is_lock_timeout(e),
            |n, d, (e, _)| self.backing_off(p, n, d, e, "retrying"),
            |(main, mon), _| {
                Box::pin(async move {
                    if let Step::ConcurrentIndex(schema, name) = &st.step {
                        self.drop_invalid_index(&mut **main, schema.as_deref(), name)
                            .await
                            .map_err(|e| (e, Vec::new()))?;
                    }
                    let (r, blockers) = self.exec_probed(&mut **main, &mut **mon, &st.sql).await;
                    r.map_err(|e| (e, blockers))
                })
            },
        )
        .await;
        let (main, _) = conns;
        let Err((mut e, blockers)) = r else {
            return Ok(());
        };
        // a failed CONCURRENTLY build leaves an INVALID index that slows every write: drop it
        // now rather than on the next run
        if let Step::ConcurrentIndex(schema, name) = &st.step {
            match self.drop_invalid_index(main, schema.as_deref(), name).await {
                Ok(true) => {
                    e.message.push_str(&format!(
                        "; the INVALID index {name} the failed build left was dropped"
                    ));
                }
                Ok(false) => {}
                Err(d) => {
                    e.message.push_str(&format!(
                        "; the INVALID index {name} it left could not be dropped ({d}): drop it with DROP INDEX CONCURRENTLY"
                    ));
                }
            }
        }
        Err((e, blockers))
    }

    /// Whether statement `i` already took effect (see `resume`); `None`: cannot tell, or a
    /// tool or a copy (they resume on their own).
    pub(crate) async fn already_done(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        i: usize,
    ) -> Result<Option<bool>, RunError> {
        let st = &p.statements[i];
        if st.external() || st.tx().is_some() || st.table_lock().is_some() {
            return Ok(None);
        }
        let done = resume::applied(main, self.url.dialect(), &st.sql)
            .await
            .map_err(|e| {
                RunError::Db(format!(
                    "{}:{}: cannot read the catalog to see whether statement {} of {} in {} already ran: {e}",
                    p.path.display(),
                    st.line,
                    i + 1,
                    p.statements.len(),
                    p.label()
                ))
            })?;
        if done == Some(true) {
            tracing::warn!(
                version = %p.version,
                phase = p.phase.name(),
                statement = i + 1,
                line = st.line,
                "the statement's effect is already there (it ran before an interruption, or what it undoes never ran): not run again"
            );
        }
        Ok(done)
    }

    pub(crate) fn statement_progress(&self, p: &Prepared, i: usize) {
        self.progress(Progress::Statement {
            version: p.version.clone(),
            index: i + 1,
            total: p.statements.len(),
            line: p.statements[i].line,
        });
    }
}

impl Engine {
    /// Run one statement; when it is still running after most of `lock_timeout`, ask the
    /// monitor connection who blocks it (only useful if it then times out).
    pub(crate) async fn exec_probed(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        sql: &str,
    ) -> (Result<(), DbError>, Vec<Blocker>) {
        let session = main.session_id();
        let probe_after = self.settings.lock_timeout.mul_f64(0.75);
        let mut fut = main.exec(sql);
        tokio::select! {
            r = &mut fut => return (r, Vec::new()),
            () = tokio::time::sleep(probe_after) => {}
        }
        let blockers = mon.blockers(session).await.unwrap_or_default();
        (fut.await, blockers)
    }

    /// Prepare an up script and rewrite its statements by their online strategies, with
    /// the facts (row estimates, server version, pg_repack) read from `conn`.
    pub(crate) async fn prepare_online(
        &self,
        conn: &mut dyn Driver,
        facts: &mut RunFacts,
        m: &Migration,
        s: &Script,
    ) -> Result<Prepared, RunError> {
        let mut p = prepare(self.url.dialect(), m, s)?;
        // a table copy in an expand whose migration has a contract: swapped in at that contract
        let defer_swap = s.phase == Phase::Expand
            && s.phased
            && m.script(Phase::Contract, Direction::Up).is_some();
        let facts = facts
            .for_strategies(conn, &self.settings, &p, defer_swap)
            .await;
        plan::apply_strategies(self.url.dialect(), &mut p, &facts)?;
        for (line, c) in &p.choices {
            tracing::info!(
                version = %p.version,
                phase = p.phase.name(),
                line,
                strategy = c.strategy.name(),
                forced = c.forced,
                reason = %c.reason,
                "strategy"
            );
        }
        Ok(p)
    }

    /// Run pg_repack for one table; the password goes in `PGPASSWORD`, and its output is
    /// scrubbed of it before it reaches a message.
    pub(crate) async fn run_repack(&self, r: &strategies::repack::Repack) -> Result<(), DbError> {
        let conn = self.url.tool_conn();
        let mut cmd = crate::process::tied_command(&r.bin, &[]);
        cmd.args(r.args(&conn));
        match &conn.password {
            Some(pw) => cmd.env("PGPASSWORD", pw),
            None => cmd.env_remove("PGPASSWORD"),
        };
        tracing::info!(table = %r.table, "pg_repack: rebuilding online");
        let out = cmd
            .output()
            .await
            .map_err(|e| DbError::other(format!("cannot run {}: {e}", r.bin.display())))?;
        if out.status.success() {
            return Ok(());
        }
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Err(DbError::other(format!(
            "pg_repack of {} failed ({}): {}",
            r.table,
            out.status,
            self.url.scrub(text.trim())
        )))
    }

    /// Drop an INVALID index left by a failed `CREATE INDEX CONCURRENTLY` (this run's
    /// earlier attempt or an earlier run): with `IF NOT EXISTS` the retry would otherwise
    /// skip it and record a useless index as applied; without, it would fail.
    pub(crate) async fn drop_invalid_index(
        &self,
        main: &mut dyn Driver,
        schema: Option<&str>,
        name: &str,
    ) -> Result<bool, DbError> {
        let qualified = match schema {
            Some(s) => format!("{}.{}", self.ledger.ident(s), self.ledger.ident(name)),
            None => self.ledger.ident(name),
        };
        if main.invalid_index(&qualified).await? {
            tracing::warn!(index = %qualified, "dropping the INVALID index a failed CREATE INDEX CONCURRENTLY left, before building it again");
            main.exec(&format!("DROP INDEX CONCURRENTLY IF EXISTS {qualified}"))
                .await?;
            return Ok(true);
        }
        Ok(false)
    }

    pub(crate) fn lock_give_up(
        &self,
        p: &Prepared,
        i: usize,
        e: &DbError,
        blockers: &[Blocker],
    ) -> RunError {
        let line = p.statements.get(i).map_or(0, |s| s.line);
        let who = if blockers.is_empty() {
            "no blocking session was seen (it may have finished)".to_owned()
        } else {
            format!(
                "blocked by: {}",
                blockers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        RunError::Failed(format!(
            "{}:{}: statement {} of {} in {} could not take its lock within lock_timeout {} after {} attempts ({e}); {who}; end or wait for those sessions, then run the command again",
            p.path.display(),
            line,
            i + 1,
            p.statements.len(),
            p.label(),
            humantime::format_duration(self.settings.lock_timeout),
            self.settings.retry.retries + 1,
        ))
    }

    /// `i` failed; `done` statements before it are applied (fewer when a transaction block
    /// of the file rolled back).
    pub(crate) fn statement_failed(
        &self,
        p: &Prepared,
        i: usize,
        done: usize,
        e: &DbError,
        transactional: bool,
    ) -> RunError {
        let st = &p.statements[i];
        let what = if transactional {
            "the transaction was rolled back: nothing of this migration phase remains".to_owned()
        } else if done == 0 {
            "no statement of it ran; fix the file and re-run `migrate apply`".to_owned()
        } else {
            format!(
                "statements 1-{done} ran and are recorded in the ledger; fix the file and re-run `migrate apply` (it continues at statement {}), or undo with `migrate rollback`, or start over with `migrate repair --version {}`",
                done + 1,
                p.version
            )
        };
        RunError::Failed(format!(
            "{}:{}: statement {} of {} in {} failed: {e}; {what}",
            p.path.display(),
            st.line,
            i + 1,
            p.statements.len(),
            p.label(),
        ))
    }
}
