//! The apply engine: one [`Engine`] per database serves the CLI and the HTTP server.
//!
//! - `mod.rs`: the engine, its connections and the ledger's reads and writes; a [`Run`] is
//!   one execution (live or dry) and its [`Session`] the connections it holds.
//! - `apply.rs`, `rollback.rs`, `status.rs`, `housekeeping.rs`: the operations.
//! - `check.rs`: the apply check: the selected phases linted on the live schema before
//!   any runs; what the linter rejects (and the runner cannot make online) is refused.
//! - `phase.rs`: the one executor every phase goes through (transaction or statement by
//!   statement, ledger progress, lock_timeout retries, hooks around it). A dry run is the
//!   same executor on a [`Transcript`] connection: it prints exactly what a live run sends.
//! - `view_rename.rs`: a later expand that changes a table while it is a column rename's
//!   view runs after that rename's contract, or is refused until it can.

mod apply;
mod block;
mod check;
mod housekeeping;
mod phase;
mod rollback;
mod status;
mod view_rename;

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::driver::{self, DbError, Driver, Transcript};
use super::ledger::{BackfillRow, Event, Ledger, LedgerRow, NewEvent, NewRow, State};
use super::model::ProgressFn;
use super::plan::Prepared;
use super::url::DbUrl;
use super::{Progress, RunError, Settings, lock};
use sluice_core::source::Phase;

/// The advisory lock's name (PostgreSQL hashes it; MySQL qualifies it by database).
pub(crate) const LOCK_NAME: &str = "sluice";

/// The apply engine for one database.
pub struct Engine {
    pub(crate) url: DbUrl,
    pub(crate) db: &'static dyn driver::Database,
    pub(crate) settings: Settings,
    pub(crate) ledger: Ledger,
    pub(crate) progress: Option<ProgressFn>,
    pub(crate) stop: Arc<AtomicBool>,
    /// Keep the SQL a live run sends (`ApplyOutcome::sql`), as a dry run does.
    pub(crate) record: bool,
    /// The migration lock's name: [`LOCK_NAME`], or one per ledger when several ledgers
    /// share a database (a schema-per-tenant fleet).
    pub(crate) lock_name: String,
}

/// The connections of one execution: `main` runs the migrations and writes the ledger;
/// `mon` holds the migration lock and watches (blocking sessions, long transactions) from
/// outside any transaction. A dry run's `main` is a [`Transcript`].
pub(crate) struct Session {
    pub(crate) main: Box<dyn Driver>,
    pub(crate) mon: Box<dyn Driver>,
    locked: bool,
}

/// One execution of the engine: live, or dry (nothing sent, nothing fired, no progress).
pub(crate) struct Run<'e> {
    engine: &'e Engine,
    pub(crate) dry: bool,
}

impl Deref for Run<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        self.engine
    }
}

impl Run<'_> {
    /// A live view event; a dry run shows none.
    pub(crate) fn progress(&self, p: Progress) {
        if !self.dry {
            self.engine.progress(p);
        }
    }
}

impl Engine {
    pub fn new(url: DbUrl, settings: Settings) -> Engine {
        let db = driver::database(url.dialect());
        let ledger = Ledger::new(
            db,
            settings.ledger_schema.clone(),
            settings.ledger_table.clone(),
        );
        Engine {
            url,
            db,
            settings,
            ledger,
            progress: None,
            stop: Arc::new(AtomicBool::new(false)),
            record: false,
            lock_name: LOCK_NAME.to_owned(),
        }
    }

    /// Set it to make a running apply stop at the next safe point: between phases, never
    /// inside one (a phase's DDL always runs to its end).
    pub fn stopper(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Take the migration lock under another name: ledgers of their own in one database
    /// (schemas of a fleet) migrate side by side.
    #[must_use]
    pub fn locking_as(mut self, name: impl Into<String>) -> Engine {
        self.lock_name = name.into();
        self
    }

    /// Share a stop flag with others (a fleet stops all its targets' engines at once).
    #[must_use]
    pub fn stopping_with(mut self, stop: Arc<AtomicBool>) -> Engine {
        self.stop = stop;
        self
    }

    /// A live run also returns what it sent (`ApplyOutcome::sql`, `RollbackOutcome::sql`),
    /// in the dry run's form: how tests prove that `--dry-run` shows what runs.
    #[must_use]
    pub fn recording(mut self) -> Engine {
        self.record = true;
        self
    }

    /// Also let these rules through the apply check (`migrate apply --allow`).
    #[must_use]
    pub fn allowing(mut self, allow: Vec<super::Allow>) -> Engine {
        for a in allow {
            if !self.settings.allow.iter().any(|b| b.rule == a.rule) {
                self.settings.allow.push(a);
            }
        }
        self
    }

    /// Call `f` with every [`Progress`] event.
    pub fn with_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Engine {
        self.progress = Some(Box::new(f));
        self
    }

    pub(crate) fn progress(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The URL and settings, to build another engine (the server's) from them.
    pub fn into_parts(self) -> (DbUrl, Settings) {
        (self.url, self.settings)
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub(crate) async fn connect(&self) -> Result<Box<dyn Driver>, RunError> {
        // named by the lock: a killed run's statements are told by it (`lock::wait_for_orphans`)
        let conn = driver::connect_as(&self.url, &self.lock_name)
            .await
            .map_err(RunError::db)?;
        tracing::debug!(db = %self.url, session = conn.session_id(), "connected");
        Ok(conn)
    }

    /// What a migration session runs first: its timeouts, then `[run] init_sql`.
    pub(crate) fn session_settings(&self) -> Vec<String> {
        let mut out = self
            .db
            .session_settings(self.settings.lock_timeout, self.settings.statement_timeout);
        out.extend(self.settings.init_sql.iter().cloned());
        out
    }

    pub(crate) async fn ensure_ledger(&self, conn: &mut dyn Driver) -> Result<(), RunError> {
        if conn
            .ledger_exists(&self.ledger)
            .await
            .map_err(RunError::db)?
        {
            // ledgers created before backfills existed get their table now
            if self.read_backfills(conn).await?.is_none() {
                tracing::info!(table = %self.ledger.backfills(), "creating the backfill ledger");
                conn.exec(&self.ledger.create_backfill_sql())
                    .await
                    .map_err(|e| {
                        RunError::Db(format!(
                            "cannot create the ledger {}: {e}",
                            self.ledger.backfills()
                        ))
                    })?;
            }
            return Ok(());
        }
        tracing::info!(table = %self.ledger.history(), "creating the ledger");
        for s in self.ledger.create_sql() {
            conn.exec(&s).await.map_err(|e| {
                RunError::Db(format!(
                    "cannot create the ledger {}: {e}",
                    self.ledger.history()
                ))
            })?;
        }
        Ok(())
    }

    /// The backfill ledger; `None` when its table does not exist.
    pub(crate) async fn read_backfills(
        &self,
        conn: &mut dyn Driver,
    ) -> Result<Option<Vec<BackfillRow>>, RunError> {
        conn.read_backfills(&self.ledger).await.map_err(|e| {
            RunError::Db(format!(
                "cannot read the ledger {}: {e}",
                self.ledger.backfills()
            ))
        })
    }

    pub(crate) async fn read_ledger(
        &self,
        conn: &mut dyn Driver,
    ) -> Result<(bool, Vec<LedgerRow>, Vec<Event>), RunError> {
        if !conn
            .ledger_exists(&self.ledger)
            .await
            .map_err(RunError::db)?
        {
            return Ok((false, Vec::new(), Vec::new()));
        }
        let rows = conn.read_rows(&self.ledger).await.map_err(|e| {
            RunError::Db(format!(
                "cannot read the ledger {}: {e}",
                self.ledger.history()
            ))
        })?;
        let events = conn.read_events(&self.ledger).await.map_err(|e| {
            RunError::Db(format!(
                "cannot read the ledger {}: {e}",
                self.ledger.events()
            ))
        })?;
        super::plan::check_versions(&rows)?;
        Ok((true, rows, events))
    }

    pub(crate) fn new_row<'a>(
        &'a self,
        p: &'a Prepared,
        state: State,
        done: usize,
        release: Option<&'a str>,
    ) -> NewRow<'a> {
        NewRow {
            version: &p.version,
            phase: p.phase,
            name: &p.name,
            checksum: &p.checksum,
            state,
            statements_done: done,
            statements_total: p.statements.len(),
            down_sql: p.down_sql.as_deref(),
            release,
            applied_by: &self.settings.applied_by,
        }
    }

    /// Write a ledger row in a short transaction of its own.
    pub(crate) async fn write_row(
        &self,
        conn: &mut dyn Driver,
        row: &NewRow<'_>,
    ) -> Result<(), DbError> {
        conn.begin().await?;
        for s in self.ledger.replace_row_sql(row) {
            if let Err(e) = conn.exec(&s).await {
                let _ = conn.rollback().await;
                return Err(e);
            }
        }
        conn.commit().await
    }

    pub(crate) async fn event(
        &self,
        conn: &mut dyn Driver,
        kind: &str,
        version: Option<&str>,
        phase: Option<Phase>,
        release: Option<&str>,
        detail: &str,
    ) -> Result<(), RunError> {
        self.event_from(
            conn,
            kind,
            version,
            phase,
            release,
            detail,
            &self.settings.applied_by,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn event_from(
        &self,
        conn: &mut dyn Driver,
        kind: &str,
        version: Option<&str>,
        phase: Option<Phase>,
        release: Option<&str>,
        detail: &str,
        source: &str,
    ) -> Result<(), RunError> {
        let sql = self.ledger.event_sql(&NewEvent {
            kind,
            version,
            phase,
            release,
            detail,
            source,
        });
        conn.exec(&sql).await.map_err(RunError::db)?;
        tracing::info!(kind, version, release, "event recorded");
        Ok(())
    }

    /// Open an execution. Live: the runner's session settings on `main`, the migration lock
    /// taken on `mon` (waiting up to `lock_wait`), and, with `ledger`, the ledger created when
    /// missing. Dry: `main` records what it would send and reads from a plain connection.
    pub(crate) async fn open(
        &self,
        dry: bool,
        ledger: bool,
    ) -> Result<(Run<'_>, Session), RunError> {
        let run = Run { engine: self, dry };
        if dry {
            let mut main: Box<dyn Driver> =
                Box::new(Transcript::new(self.db, Some(self.connect().await?)));
            if let Some(t) = main.transcript() {
                t.push(format!(
                    "-- on a separate connection, polled until it returns true: {}",
                    self.db.try_lock_sql(&self.lock_name)
                ));
            }
            for s in self.session_settings() {
                main.exec(&s).await.map_err(RunError::db)?;
            }
            if ledger {
                self.ensure_ledger(main.as_mut()).await?;
            }
            let mon = Box::new(Transcript::new(self.db, None));
            return Ok((
                run,
                Session {
                    main,
                    mon,
                    locked: false,
                },
            ));
        }
        let mut main = self.connect().await?;
        if self.record {
            main = Box::new(Transcript::tee(main));
        }
        for set in self.session_settings() {
            if let Err(e) = main.exec(&set).await {
                let _ = main.close().await;
                return Err(RunError::db(e));
            }
        }
        let mut mon = match self.connect().await {
            Ok(c) => c,
            Err(e) => {
                let _ = main.close().await;
                return Err(e);
            }
        };
        let notify = |holder| self.progress(Progress::LockWaiting { holder });
        if let Err(e) = lock::acquire(
            mon.as_mut(),
            &self.lock_name,
            self.settings.lock_wait,
            &notify,
        )
        .await
        {
            let _ = main.close().await;
            let _ = mon.close().await;
            return Err(e);
        }
        let mut s = Session {
            main,
            mon,
            locked: true,
        };
        let ours = [s.main.session_id(), s.mon.session_id()];
        if let Err(e) = lock::wait_for_orphans(s.mon.as_mut(), &ours, self.settings.lock_wait).await
        {
            return Err(self.close(s, Err::<(), _>(e)).await.0.unwrap_err());
        }
        if ledger && let Err(e) = self.ensure_ledger(s.main.as_mut()).await {
            return Err(self.close(s, Err::<(), _>(e)).await.0.unwrap_err());
        }
        Ok((run, s))
    }

    /// End an execution with its result `out`: release the lock, close the connections; a
    /// dry run's transcript comes back with it.
    pub(crate) async fn close<T>(
        &self,
        mut s: Session,
        out: Result<T, RunError>,
    ) -> (Result<T, RunError>, Vec<String>) {
        let sent = s.main.take_sent();
        let out = if s.locked {
            lock::release(s.mon.as_mut(), &self.lock_name, out).await
        } else {
            out
        };
        let _ = s.main.close().await;
        let _ = s.mon.close().await;
        (out, sent)
    }
}

#[cfg(test)]
mod send {
    use super::*;
    use crate::{ApplyRequest, RollbackRequest};
    use sluice_core::source::Migration;

    // the server runs engine futures on its own runtime's tasks: they must be Send
    #[allow(dead_code, clippy::let_underscore_future)]
    fn engine_futures_are_send(e: &Engine, m: &[Migration], a: &ApplyRequest, r: &RollbackRequest) {
        fn send<T: Send>(_: T) {}
        send(e.apply(m, a));
        send(e.rollback(m, r));
        send(e.status(m));
        send(e.gate_check(m));
        send(e.baseline(m, &m[0].version));
        send(e.repair(m, None));
        send(e.rollout_complete("r", "s"));
        send(e.purge(std::time::Duration::ZERO, true));
        send(e.pre_deploy(m, "r"));
        send(e.post_deploy(m, "r", "s"));
        send(e.events());
        send(e.ready());
    }
}
