//! The shadow-table copy's executor (the plan is `strategies::shadow_table`).
//!
//! A state machine in the ledger's `_shadow` table, one row per statement: `copying` (setup
//! done, checkpoint `last_key`), `replaying` (copy done), `applied` (swapped). Every step is
//! a transaction of its own, so a crash at any point leaves a state the next run continues
//! from: the setup (shadow, log, trigger, ledger row) commits whole; each copy batch commits
//! with its checkpoint; the swap commits with the migration's `statements_done`, so a
//! swapped table is never copied again.

mod copy;
mod sql;
mod swap;

use std::collections::BTreeMap;

use tracing::Instrument;

use super::driver::{Blocker, DbError, Driver};
use super::plan::Prepared;
use super::strategies::shadow_table::{ShadowTable, q, qn};
use super::{Engine, retry};
use sluice_core::sql::ops::ObjName;
use sql::{abandon_sql, first_col, lit, regclass, replay_sql};

/// The first copy batch; later ones adapt toward `shadow_batch_time`.
const FIRST_BATCH: u64 = 1_000;
/// The swap starts once the log holds at most this many rows (replayed under its lock).
const SWAP_BELOW: u64 = 1_000;
/// Replay rounds before swapping anyway (writes outpacing the replay).
const MAX_REPLAY_ROUNDS: u32 = 10_000;

struct State {
    state: String,
    last_key: Option<Vec<String>>,
    rows_done: u64,
    batch_size: u64,
}

impl Engine {
    /// Run (or continue) one shadow-table copy: statement `index` of `p`.
    /// On a lock timeout, the sessions seen blocking it.
    pub(super) async fn run_shadow(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        index: usize,
        s: &ShadowTable,
    ) -> Result<(), (DbError, Vec<Blocker>)> {
        let span = tracing::info_span!("shadow_table", table = %s.table);
        let mut blockers = Vec::new();
        let mut in_place = false;
        self.run_shadow_in_span(main, mon, p, index, s, &mut blockers, &mut in_place)
            .instrument(span)
            .await
            .map_err(|mut e| {
                if in_place {
                    // the trigger keeps logging until the copy ends one way or the other
                    e.message = format!(
                        "{}; the shadow-table copy of {} stays in place (trigger, log, shadow) and a re-run of `migrate apply` continues it; to abandon it instead: {}",
                        e.message,
                        qn(&s.table),
                        abandon_sql(s).join("; ")
                    );
                }
                (e, blockers)
            })
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_shadow_in_span(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        index: usize,
        s: &ShadowTable,
        blockers: &mut Vec<Blocker>,
        in_place: &mut bool,
    ) -> Result<(), DbError> {
        let ledger = self.ledger.shadow_copies();
        main.exec(&format!(
            "CREATE TABLE IF NOT EXISTS {ledger} (\n  version text NOT NULL,\n  phase text NOT NULL,\n  statement bigint NOT NULL,\n  table_name text NOT NULL,\n  state text NOT NULL,\n  last_key text,\n  rows_done bigint NOT NULL DEFAULT 0,\n  batches bigint NOT NULL DEFAULT 0,\n  batch_size bigint NOT NULL DEFAULT 0,\n  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n  finished_at timestamptz,\n  PRIMARY KEY (version, phase, statement)\n)"
        ))
        .await?;
        let at = format!(
            "version = {} AND phase = {} AND statement = {}",
            lit(&p.version),
            lit(p.phase.name()),
            index + 1
        );
        let prior = self.shadow_state(main, &ledger, &at, s).await?;
        let mut st = match prior {
            Some(st) => {
                tracing::info!(state = %st.state, rows_done = st.rows_done, "continuing an interrupted shadow-table copy");
                st
            }
            None => {
                let insert_row = format!(
                    "INSERT INTO {ledger} (version, phase, statement, table_name, state, batch_size) VALUES ({}, {}, {}, {}, 'copying', {FIRST_BATCH})",
                    lit(&p.version),
                    lit(p.phase.name()),
                    index + 1,
                    lit(&s.table.to_string())
                );
                self.shadow_setup(main, mon, s, &ledger, &at, &insert_row, blockers)
                    .await?;
                State {
                    state: "copying".into(),
                    last_key: None,
                    rows_done: 0,
                    batch_size: FIRST_BATCH,
                }
            }
        };
        *in_place = true;
        let copy = self.shadow_columns(main, s).await?;
        if st.state == "copying" {
            self.shadow_copy(main, p, s, &copy, &ledger, &at, &mut st)
                .await?;
        }
        for _ in 0..MAX_REPLAY_ROUNDS {
            let left = first_col(
                main.query_text(&format!("SELECT count(*)::text FROM {}", qn(&s.log())))
                    .await?,
            );
            let left: u64 = left.first().and_then(|v| v.parse().ok()).unwrap_or(0);
            if left <= SWAP_BELOW {
                break;
            }
            tracing::debug!(left, "replaying the change log");
            let mut stmts = vec!["SET TRANSACTION ISOLATION LEVEL REPEATABLE READ".to_owned()];
            stmts.extend(replay_sql(s, &copy));
            self.run_tx(main, mon, &stmts, blockers).await?;
        }
        self.shadow_swap(main, mon, p, index, s, &copy, &ledger, &at, blockers)
            .await?;
        *in_place = false;
        // fresh statistics for the new table (the planner and later row estimates)
        if let Err(e) = main.exec(&format!("ANALYZE {}", qn(&s.table))).await {
            tracing::warn!(error = %e, "ANALYZE after the swap failed; autovacuum will get to it");
        }
        Ok(())
    }

    /// The ledger row of an interrupted copy whose objects are all there; `None`: start
    /// over (none, swapped by an earlier apply, or leftovers of a lost setup).
    async fn shadow_state(
        &self,
        main: &mut dyn Driver,
        ledger: &str,
        at: &str,
        s: &ShadowTable,
    ) -> Result<Option<State>, DbError> {
        let rows = main
            .query_text(&format!(
                "SELECT state, last_key, rows_done::text, batch_size::text FROM {ledger} WHERE {at}"
            ))
            .await?;
        let Some(r) = rows.into_iter().next() else {
            return Ok(None);
        };
        let mut it = r.into_iter();
        let (Some(Some(state)), Some(last), Some(done), Some(size)) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return Ok(None);
        };
        if state != "copying" && state != "replaying" {
            return Ok(None);
        }
        let present = first_col(
            main.query_text(&format!(
                "SELECT ({} IS NOT NULL AND {} IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = {} AND tgname = {}))::text",
                regclass(&s.shadow()),
                regclass(&s.log()),
                regclass(&s.table),
                lit(&s.trigger())
            ))
            .await?,
        );
        if present.first().map(String::as_str) != Some("true") {
            tracing::warn!("the interrupted shadow-table copy's objects are gone; starting over");
            return Ok(None);
        }
        let last_key = match last {
            Some(k) => Some(serde_json::from_str::<Vec<String>>(&k).ok().filter(|v| v.len() == s.key.len()).ok_or_else(|| {
                DbError::other(format!(
                    "the shadow-table checkpoint {k} in {ledger} does not fit the key ({}); the table's primary key changed since the copy started: delete the ledger row and re-run",
                    s.key_list("")
                ))
            })?),
            None => None,
        };
        Ok(Some(State {
            state,
            last_key,
            rows_done: done.and_then(|d| d.parse().ok()).unwrap_or(0),
            batch_size: size
                .and_then(|d| d.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(FIRST_BATCH),
        }))
    }

    /// One transaction, each statement probed for blockers (see `exec_probed`).
    async fn run_tx(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        stmts: &[String],
        blockers: &mut Vec<Blocker>,
    ) -> Result<(), DbError> {
        main.begin().await?;
        for st in stmts {
            let (r, b) = self.exec_probed(main, mon, st).await;
            if let Err(e) = r {
                *blockers = b;
                let _ = main.rollback().await;
                return Err(e);
            }
        }
        main.commit().await
    }

    /// Before the rollback of `version`'s `phase` that did not finish: the shadow-table
    /// copies it left unfinished (`copying`, `replaying`) go, trigger first (it logs every
    /// write), then the function, the log and the shadow, with their ledger rows. The table
    /// itself was never swapped, so nothing else of the copy remains.
    pub(super) async fn shadow_abandon(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        version: &str,
        phase: &str,
    ) -> Result<(), DbError> {
        let ledger = self.ledger.shadow_copies();
        let exists = main
            .query_text(&format!(
                "SELECT 'y'::text WHERE to_regclass({}) IS NOT NULL",
                lit(&ledger)
            ))
            .await?;
        if exists.is_empty() {
            return Ok(());
        }
        let at = format!(
            "version = {} AND phase = {} AND state IN ('copying', 'replaying')",
            lit(version),
            lit(phase)
        );
        let copies = first_col(
            main.query_text(&format!(
                "SELECT table_name FROM {ledger} WHERE {at} ORDER BY statement"
            ))
            .await?,
        );
        for table in copies {
            let s = ShadowTable {
                table: match table.split_once('.') {
                    Some((schema, name)) => ObjName::new(Some(schema), name),
                    None => ObjName::new(None, &table),
                },
                key: Vec::new(),
                alter: None,
                using: BTreeMap::new(),
                what: "ALTER TABLE",
                version: version.to_owned(),
            };
            let t = qn(&s.table);
            let stmts = vec![
                format!("DROP TRIGGER IF EXISTS {} ON {t}", q(&s.trigger())),
                format!("DROP FUNCTION IF EXISTS {}()", qn(&s.function())),
                format!("DROP TABLE IF EXISTS {}, {}", qn(&s.shadow()), qn(&s.log())),
                format!(
                    "DELETE FROM {ledger} WHERE {at} AND table_name = {}",
                    lit(&table)
                ),
            ];
            tracing::warn!(table = %t, "rollback: dropping the unfinished shadow-table copy");
            self.tx_retrying(
                main,
                mon,
                &stmts,
                "dropping an unfinished shadow-table copy",
                &mut Vec::new(),
            )
            .await?;
        }
        Ok(())
    }

    /// One transaction, retried whole on lock timeouts with the configured back-off.
    async fn tx_retrying(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        stmts: &[String],
        what: &str,
        blockers: &mut Vec<Blocker>,
    ) -> Result<(), DbError> {
        let mut state = (main, mon, blockers);
        retry::retry(
            &self.settings.retry,
            &mut state,
            |e: &DbError| self.db.is_lock_timeout(e),
            |attempt, d, e| {
                tracing::warn!(attempt, delay_ms = d.as_millis() as u64, error = %e, "lock timeout {what}; retrying");
            },
            |(main, mon, blockers), _| {
                Box::pin(self.run_tx(&mut **main, &mut **mon, stmts, blockers))
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests;
