//! The shadow-table copy's executor (the plan is `strategies::shadow_table`).
//!
//! A state machine in the ledger's `_shadow` table, one row per statement: `copying` (setup
//! done, checkpoint `last_key`), `replaying` (copy done), `applied` (swapped). Every step is
//! a transaction of its own, so a crash at any point leaves a state the next run continues
//! from: the setup (shadow, log, trigger, ledger row) commits whole; each copy batch commits
//! with its checkpoint; the swap commits with the migration's `statements_done`, so a
//! swapped table is never copied again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use tracing::Instrument;

use super::driver::{Blocker, DbError, Driver};
use super::keyrange::{KeyRange, where_clause};
use super::plan::Prepared;
use super::strategies::shadow_table::{ShadowTable, q, qn};
use super::{Engine, Progress, backfill, retry};
use sluice_core::names;
use sluice_core::source::backfill::MAX_BATCH_SIZE;
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::quote::literal as quote_literal;

/// The first copy batch; later ones adapt toward `shadow_batch_time`.
const FIRST_BATCH: u64 = 1_000;
/// The swap starts once the log holds at most this many rows (replayed under its lock).
const SWAP_BELOW: u64 = 1_000;
/// Replay rounds before swapping anyway (writes outpacing the replay).
const MAX_REPLAY_ROUNDS: u32 = 10_000;

type Rows = Vec<Vec<Option<String>>>;

fn lit(s: &str) -> String {
    quote_literal(Dialect::Postgres, s)
}

fn regclass(t: &ObjName) -> String {
    format!("to_regclass({})", lit(&qn(t)))
}

/// The first column of each row, NULLs skipped.
fn first_col(rows: Rows) -> Vec<String> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

fn pairs(rows: Rows) -> Vec<(String, String)> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some((it.next()??, it.next()??))
        })
        .collect()
}

/// Columns of `t`: name, type, generated.
fn columns_sql(t: &ObjName) -> String {
    format!(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), (a.attgenerated <> '')::text FROM pg_attribute a WHERE a.attrelid = {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        regclass(t)
    )
}

/// The copy's column list and the expressions selecting them from the old table.
struct Copy {
    insert: Vec<String>,
    select: Vec<String>,
    /// Key column -> its select expression (a cast when its type changes).
    key_exprs: BTreeMap<String, String>,
}

impl Copy {
    fn cols(&self) -> String {
        self.insert.join(", ")
    }

    fn exprs(&self) -> String {
        self.select.join(", ")
    }
}

/// The live table's key range (PostgreSQL gives the untyped key literals the key columns'
/// types).
fn key_range(s: &ShadowTable) -> KeyRange {
    let pg = crate::driver::database(Dialect::Postgres);
    KeyRange::new(pg, &s.table, &s.key, vec![false; s.key.len()])
}

/// `INSERT INTO shadow .. SELECT .. FROM table WHERE key > last AND key <= upper`.
fn copy_sql(
    s: &ShadowTable,
    c: &Copy,
    last: Option<&[String]>,
    upper: Option<&[String]>,
) -> String {
    let range = key_range(s);
    format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}{} ON CONFLICT DO NOTHING",
        qn(&s.shadow()),
        c.cols(),
        c.exprs(),
        range.target(),
        where_clause(&range.bounds(last, upper))
    )
}

/// The key of the row `n` rows after `last` in key order, as text.
fn upper_sql(s: &ShadowTable, last: Option<&[String]>, n: u64) -> String {
    key_range(s).upper_sql(last, n)
}

/// Replay the log into the shadow: every logged key's row leaves the shadow and comes back
/// as the table holds it (or not, when deleted there), then those log rows go. Run in one
/// REPEATABLE READ transaction (or under the swap's lock) the statements share a snapshot:
/// the log rows removed are exactly those replayed, and the shadow then equals the table at
/// that snapshot for every logged key, so its unique indexes hold as the table's do.
/// Idempotent: a replay repeated after a crash changes nothing.
fn replay_sql(s: &ShadowTable, c: &Copy) -> Vec<String> {
    let log = qn(&s.log());
    let sh = qn(&s.shadow());
    let kt = s.key_tuple("");
    let keys = s.key_list("");
    // the shadow's key values from the logged (old-typed) ones
    let shadow_keys = s
        .key
        .iter()
        .map(|k| c.key_exprs.get(k).cloned().unwrap_or_else(|| q(k)))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        format!("DELETE FROM {sh} WHERE {kt} IN (SELECT {shadow_keys} FROM {log})"),
        format!(
            "INSERT INTO {sh} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {} WHERE {kt} IN (SELECT {keys} FROM {log})",
            c.cols(),
            c.exprs(),
            qn(&s.table)
        ),
        format!("DELETE FROM {log}"),
    ]
}

/// What drops an unfinished copy (the table itself is untouched).
fn abandon_sql(s: &ShadowTable) -> Vec<String> {
    vec![
        format!("DROP TRIGGER {} ON {}", q(&s.trigger()), qn(&s.table)),
        format!("DROP FUNCTION {}()", qn(&s.function())),
        format!("DROP TABLE {}, {}", qn(&s.shadow()), qn(&s.log())),
    ]
}

/// The log table, the function and the trigger capturing changed keys.
fn capture_sql(s: &ShadowTable, key_types: &[(String, String)]) -> Vec<String> {
    let log = qn(&s.log());
    let cols: Vec<String> = key_types
        .iter()
        .map(|(k, ty)| format!("{} {ty}", q(k)))
        .collect();
    let keys = s.key_list("");
    let row = |rec: &str| {
        s.key
            .iter()
            .map(|k| format!("{rec}.{}", q(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        format!(
            "CREATE TABLE {log} (sluice_seq bigserial PRIMARY KEY, sluice_op text NOT NULL, {})",
            cols.join(", ")
        ),
        format!(
            "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $sluice$\nBEGIN\n  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ROW({old}) IS DISTINCT FROM ROW({new})) THEN\n    INSERT INTO {log} (sluice_op, {keys}) VALUES (left(TG_OP, 1), {old});\n  END IF;\n  IF TG_OP <> 'DELETE' THEN\n    INSERT INTO {log} (sluice_op, {keys}) VALUES (left(TG_OP, 1), {new});\n  END IF;\n  RETURN NULL;\nEND\n$sluice$",
            qn(&s.function()),
            old = row("OLD"),
            new = row("NEW"),
        ),
        format!(
            "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW EXECUTE FUNCTION {}()",
            q(&s.trigger()),
            qn(&s.table),
            qn(&s.function())
        ),
    ]
}

/// Each index: name, exact signature (kind, method, key columns, expression and predicate
/// texts), loose signature (the same without the texts: a type change rewrites them, e.g.
/// `hot_rank <> 0` becomes `hot_rank <> 0::double precision`).
fn index_signatures_sql(t: &ObjName) -> String {
    format!(
        "SELECT c.relname::text, l.sig || ':' || coalesce(pg_get_expr(i.indexprs, i.indrelid), '') || ':' || coalesce(pg_get_expr(i.indpred, i.indrelid), ''), \
         l.sig || ':' || (i.indexprs IS NOT NULL)::text || ':' || (i.indpred IS NOT NULL)::text \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam \
         CROSS JOIN LATERAL (SELECT i.indisprimary::text || i.indisunique::text || am.amname::text || ':' || \
           (SELECT string_agg(coalesce(a.attname::text, '#'), ',' ORDER BY k.o) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n) AS sig) l \
         WHERE i.indrelid = {} ORDER BY 1",
        regclass(t)
    )
}

/// (name, exact signature, loose signature) rows.
fn signatures(rows: Rows) -> Vec<[String; 3]> {
    rows.into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter();
            Some([it.next()??, it.next()??, it.next()??])
        })
        .collect()
}

/// Old index name -> new index name, for indexes that match one to one: by exact signature,
/// then the rest by loose signature.
fn index_pairs(old: Vec<[String; 3]>, new: Vec<[String; 3]>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for level in [1, 2] {
        let by_sig = |v: &[[String; 3]], taken: &dyn Fn(&str) -> bool| {
            let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for sig in v.iter().filter(|s| !taken(&s[0])) {
                m.entry(sig[level].clone())
                    .or_default()
                    .push(sig[0].clone());
            }
            m
        };
        let o = by_sig(&old, &|n| out.iter().any(|(a, _)| a == n));
        let n = by_sig(&new, &|n| out.iter().any(|(_, b)| b == n));
        for (sig, names) in o {
            if let ([a], Some([b])) = (names.as_slice(), n.get(&sig).map(Vec::as_slice)) {
                out.push((a.clone(), b.clone()));
            }
        }
    }
    out.sort();
    out
}

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

    /// One transaction: leftovers gone, the shadow with the change applied, outbound
    /// foreign keys, change capture, and the ledger row. Retried on lock timeouts.
    #[allow(clippy::too_many_arguments)]
    async fn shadow_setup(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        s: &ShadowTable,
        ledger: &str,
        at: &str,
        insert_row: &str,
        blockers: &mut Vec<Blocker>,
    ) -> Result<(), DbError> {
        let t = qn(&s.table);
        let cols = main.query_text(&columns_sql(&s.table)).await?;
        let types: BTreeMap<String, String> = pairs(cols).into_iter().collect();
        let key_types = s
            .key
            .iter()
            .map(|k| {
                types
                    .get(k)
                    .map(|ty| (k.clone(), ty.clone()))
                    .ok_or_else(|| DbError::other(format!("{t} has no key column {}", q(k))))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fks = pairs(
            main.query_text(&format!(
                "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = {} AND contype = 'f' ORDER BY conname",
                regclass(&s.table)
            ))
            .await?,
        );
        let leftover_trigger = !main
            .query_text(&format!(
                "SELECT 1 FROM pg_trigger WHERE tgrelid = {} AND tgname = {}",
                regclass(&s.table),
                lit(&s.trigger())
            ))
            .await?
            .is_empty();
        let sh = qn(&s.shadow());
        let mut stmts = Vec::new();
        if leftover_trigger {
            stmts.push(format!("DROP TRIGGER {} ON {t}", q(&s.trigger())));
        }
        stmts.push(format!("DROP FUNCTION IF EXISTS {}()", qn(&s.function())));
        stmts.push(format!("DROP TABLE IF EXISTS {}", qn(&s.log())));
        stmts.push(format!("DROP TABLE IF EXISTS {sh}"));
        stmts.push(format!("CREATE TABLE {sh} (LIKE {t} INCLUDING ALL)"));
        if let Some(a) = &s.alter {
            // the statement's own clauses, on the empty shadow: instant there
            stmts.push(format!("ALTER TABLE {sh} {a}"));
        }
        for (name, def) in &fks {
            stmts.push(format!("ALTER TABLE {sh} ADD CONSTRAINT {} {def}", q(name)));
        }
        // storage parameters (fillfactor, autovacuum settings): LIKE leaves them behind
        let options = first_col(
            main.query_text(&format!(
                "SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE oid = {} AND reloptions IS NOT NULL",
                regclass(&s.table)
            ))
            .await?,
        );
        if let Some(o) = options.first().filter(|o| !o.is_empty()) {
            stmts.push(format!("ALTER TABLE {sh} SET ({o})"));
        }
        stmts.extend(capture_sql(s, &key_types));
        stmts.push(format!("DELETE FROM {ledger} WHERE {at}"));
        stmts.push(insert_row.to_owned());
        self.tx_retrying(main, mon, &stmts, "setting up the shadow table", blockers)
            .await?;
        tracing::info!(shadow = %sh, "shadow table ready, changes captured");
        Ok(())
    }

    /// The copy's columns: the shadow's (not generated) that the table also has, selected
    /// through the statement's USING expression or a cast to the new type.
    async fn shadow_columns(
        &self,
        main: &mut dyn Driver,
        s: &ShadowTable,
    ) -> Result<Copy, DbError> {
        let old: BTreeMap<String, String> = pairs(main.query_text(&columns_sql(&s.table)).await?)
            .into_iter()
            .collect();
        let new = main.query_text(&columns_sql(&s.shadow())).await?;
        let mut c = Copy {
            insert: Vec::new(),
            select: Vec::new(),
            key_exprs: BTreeMap::new(),
        };
        for r in new {
            let mut it = r.into_iter();
            let (Some(Some(name)), Some(Some(ty)), Some(Some(generated))) =
                (it.next(), it.next(), it.next())
            else {
                continue;
            };
            let Some(old_ty) = old.get(&name) else {
                continue;
            };
            if generated == "true" {
                continue;
            }
            let expr = match s.using.get(&name) {
                Some(u) => format!("({u})"),
                None if *old_ty != ty => format!("CAST({} AS {ty})", q(&name)),
                None => q(&name),
            };
            c.insert.push(q(&name));
            if s.key.contains(&name) {
                c.key_exprs.insert(name.clone(), expr.clone());
            }
            c.select.push(expr);
        }
        if c.insert.is_empty() {
            return Err(DbError::other(format!(
                "the shadow of {} shares no column with it",
                qn(&s.table)
            )));
        }
        Ok(c)
    }

    /// Key-range batches from the checkpoint, each with its checkpoint in one transaction;
    /// the last one moves the row to `replaying`.
    #[allow(clippy::too_many_arguments)]
    async fn shadow_copy(
        &self,
        main: &mut dyn Driver,
        p: &Prepared,
        s: &ShadowTable,
        c: &Copy,
        ledger: &str,
        at: &str,
        st: &mut State,
    ) -> Result<(), DbError> {
        let started = Instant::now();
        let mut rows = 0u64;
        let mut batches = 0u64;
        let estimated_rows = first_col(
            main.query_text(&format!(
                "SELECT reltuples::bigint::text FROM pg_class WHERE oid = {} AND reltuples >= 0",
                regclass(&s.table)
            ))
            .await?,
        )
        .first()
        .and_then(|v| v.parse().ok());
        // the live view's row bar, as for a backfill
        let name = format!("{} shadow-table copy", p.name);
        self.progress(Progress::BackfillStarted {
            version: p.version.clone(),
            name: name.clone(),
            table: s.table.to_string(),
            estimated_rows,
            rows_done: st.rows_done,
            resumed_at: st.last_key.as_deref().map(backfill::encode_key),
        });
        loop {
            let size = st.batch_size.clamp(1, MAX_BATCH_SIZE);
            let found = main
                .query_text(&upper_sql(s, st.last_key.as_deref(), size))
                .await?;
            let upper: Option<Vec<String>> = match found.into_iter().next() {
                None => None,
                Some(r) => Some(r.into_iter().collect::<Option<Vec<_>>>().ok_or_else(|| {
                    DbError::other(format!(
                        "a primary key column of {} holds NULL",
                        qn(&s.table)
                    ))
                })?),
            };
            let t0 = Instant::now();
            main.begin().await?;
            let r = async {
                let n = main
                    .exec_count(&copy_sql(s, c, st.last_key.as_deref(), upper.as_deref()))
                    .await?;
                let checkpoint = match &upper {
                    Some(u) => format!(
                        "UPDATE {ledger} SET last_key = {}, rows_done = rows_done + {n}, batches = batches + 1, batch_size = {size} WHERE {at}",
                        lit(&backfill::encode_key(u))
                    ),
                    None => format!(
                        "UPDATE {ledger} SET state = 'replaying', rows_done = rows_done + {n}, batches = batches + 1 WHERE {at}"
                    ),
                };
                main.exec(&checkpoint).await?;
                main.commit().await?;
                Ok::<u64, DbError>(n)
            }
            .await;
            let n = match r {
                Ok(n) => n,
                Err(e) => {
                    let _ = main.rollback().await;
                    return Err(e);
                }
            };
            let took = t0.elapsed();
            rows += n;
            batches += 1;
            st.rows_done += n;
            self.progress(Progress::BackfillBatch {
                version: p.version.clone(),
                rows_done: st.rows_done,
                batches,
                batch_size: size,
                rows_per_s: rows as f64 / started.elapsed().as_secs_f64().max(0.001),
                estimated_rows,
            });
            tracing::debug!(
                rows = n,
                batch_size = size,
                took_ms = took.as_millis() as u64,
                "copy batch"
            );
            let Some(u) = upper else {
                break;
            };
            st.last_key = Some(u);
            st.batch_size = backfill::next_batch_size(size, took, self.settings.shadow_batch_time);
            if !self.settings.shadow_pause.is_zero() {
                tokio::time::sleep(self.settings.shadow_pause).await;
            }
        }
        st.state = "replaying".into();
        self.progress(Progress::BackfillFinished {
            version: p.version.clone(),
            rows_done: st.rows_done,
            batches,
            duration_ms: started.elapsed().as_millis(),
        });
        tracing::info!(
            rows,
            rows_total = st.rows_done,
            duration_ms = started.elapsed().as_millis() as u64,
            "shadow-table copy done"
        );
        Ok(())
    }

    /// The swap: one transaction under lock_timeout, retried with back-off.
    #[allow(clippy::too_many_arguments)]
    async fn shadow_swap(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        index: usize,
        s: &ShadowTable,
        c: &Copy,
        ledger: &str,
        at: &str,
        blockers: &mut Vec<Blocker>,
    ) -> Result<(), DbError> {
        let t = qn(&s.table);
        let rc = regclass(&s.table);
        let mut dropped = s.dropped();
        let schema_q = |name: &str| {
            qn(&ObjName {
                schema: s.table.schema.clone(),
                name: name.to_owned(),
            })
        };
        // a second copy of the same table in one migration: its old table gets its own name
        let taken = first_col(
            main.query_text(&format!(
                "SELECT ({} IS NOT NULL)::text",
                regclass(&ObjName {
                    schema: s.table.schema.clone(),
                    name: dropped.clone()
                })
            ))
            .await?,
        );
        if taken.first().map(String::as_str) == Some("true") {
            dropped = names::soft_drop(&format!("{}_{}", s.table.name, index + 1), &s.version);
        }
        // catalog facts the swap's statements need; DDL on the table meanwhile is the
        // migration author's to avoid
        let seqs = pairs(
            main.query_text(&format!(
                "SELECT s.oid::regclass::text, a.attname::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' \
                 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = {rc} AND d.deptype = 'a' ORDER BY 1, 2"
            ))
            .await?,
        );
        let identity = first_col(
            main.query_text(&format!(
                "SELECT a.attname::text FROM pg_attribute a JOIN pg_attribute n ON n.attrelid = {} AND n.attname = a.attname AND n.attidentity <> '' \
                 WHERE a.attrelid = {rc} AND a.attidentity <> '' AND NOT a.attisdropped ORDER BY 1",
                regclass(&s.shadow())
            ))
            .await?,
        );
        let new_cols: BTreeSet<String> = pairs(main.query_text(&columns_sql(&s.shadow())).await?)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let fks = first_col(
            main.query_text(&format!(
                "SELECT conname::text FROM pg_constraint WHERE conrelid = {rc} AND contype = 'f' ORDER BY 1"
            ))
            .await?,
        );
        // what would tie the soft-dropped copy to objects later DDL drops: defaults (a
        // serial's sequence, functions), generated expressions, CHECKs (functions)
        let defaults = pairs(
            main.query_text(&format!(
                "SELECT a.attname::text, a.attgenerated::text FROM pg_attribute a WHERE a.attrelid = {rc} AND a.atthasdef AND NOT a.attisdropped ORDER BY a.attnum"
            ))
            .await?,
        );
        let checks = first_col(
            main.query_text(&format!(
                "SELECT conname::text FROM pg_constraint WHERE conrelid = {rc} AND contype = 'c' ORDER BY 1"
            ))
            .await?,
        );
        let old_indexes = signatures(main.query_text(&index_signatures_sql(&s.table)).await?);
        let indexes = index_pairs(
            old_indexes.clone(),
            signatures(main.query_text(&index_signatures_sql(&s.shadow())).await?),
        );

        // privileges, the table's comment and owner: LIKE leaves them behind
        let grants = first_col(
            main.query_text(&format!(
                "SELECT format('GRANT %s ON TABLE %s TO %s%s', a.privilege_type, {sh}, \
                 CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, \
                 CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) \
                 FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee \
                 WHERE c.oid = {rc} AND a.grantee <> c.relowner \
                 UNION ALL SELECT format('COMMENT ON TABLE %s IS %L', {sh}, obj_description({rc}, 'pg_class')) WHERE obj_description({rc}, 'pg_class') IS NOT NULL \
                 UNION ALL SELECT format('ALTER TABLE %s OWNER TO %I', {sh}, pg_get_userbyid(relowner)) FROM pg_class WHERE oid = {rc} AND pg_get_userbyid(relowner) <> current_user \
                 ORDER BY 1",
                sh = lit(&qn(&s.shadow()))
            ))
            .await?,
        );

        let mut stmts = vec![format!("LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE")];
        stmts.extend(replay_sql(s, c));
        stmts.extend([
            format!("DROP TRIGGER {} ON {t}", q(&s.trigger())),
            format!("DROP FUNCTION {}()", qn(&s.function())),
            format!("DROP TABLE {}", qn(&s.log())),
        ]);
        // the old table must not hold parent rows back, nor hold on to sequences and
        // functions the new table uses (a later `DROP COLUMN id` drops the serial's sequence)
        for fk in fks.iter().chain(&checks) {
            stmts.push(format!("ALTER TABLE {t} DROP CONSTRAINT {}", q(fk)));
        }
        for (col, generated) in &defaults {
            let c = q(col);
            stmts.push(match generated.as_str() {
                "" => format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"),
                // PostgreSQL 18's VIRTUAL column stores nothing and cannot drop its
                // expression: the soft-dropped copy loses the column, not data
                "v" => format!("ALTER TABLE {t} DROP COLUMN {c}"),
                _ => format!("ALTER TABLE {t} ALTER COLUMN {c} DROP EXPRESSION"),
            });
        }
        // identity columns of the copy got sequences of their own: carry the position on
        for col in &identity {
            stmts.push(format!(
                "SELECT setval(pg_get_serial_sequence({}, {c}), v) FROM (SELECT pg_sequence_last_value(pg_get_serial_sequence({}, {c})::regclass) AS v) x WHERE v IS NOT NULL",
                lit(&qn(&s.shadow())),
                lit(&t),
                c = lit(col)
            ));
        }
        stmts.extend(grants);
        stmts.push(format!("ALTER TABLE {t} RENAME TO {}", q(&dropped)));
        let tag = names::version_tag(&s.version);
        // every old index leaves its name (one left unpaired must not keep it: a later
        // `DROP INDEX name` would drop the soft-dropped table's index instead)
        for [old, ..] in &old_indexes {
            stmts.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                schema_q(old),
                q(&names::fit(
                    "_sluice_old_",
                    old,
                    &format!("_{tag}_{}", index + 1)
                ))
            ));
        }
        stmts.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            qn(&s.shadow()),
            q(&s.table.name)
        ));
        for (old, new) in &indexes {
            stmts.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                schema_q(new),
                q(old)
            ));
        }
        // serial columns' sequences follow the new table (a purge of the old one would
        // otherwise drop them)
        for (seq, col) in &seqs {
            if new_cols.contains(col) {
                stmts.push(format!("ALTER SEQUENCE {seq} OWNED BY {t}.{}", q(col)));
            }
        }
        stmts.push(format!(
            "UPDATE {ledger} SET state = 'applied', finished_at = clock_timestamp() WHERE {at}"
        ));
        // the statement counts as done in the same transaction: a crash right after the
        // swap never copies the new table again
        stmts.push(self.ledger.progress_sql(&p.version, p.phase, index + 1));
        self.tx_retrying(main, mon, &stmts, "swapping in the shadow table", blockers)
            .await?;
        tracing::info!(table = %t, old = %dropped, "shadow table swapped in; the old table stays until `migrate purge`");
        Ok(())
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
mod tests {
    use super::*;

    fn plan() -> ShadowTable {
        ShadowTable {
            table: ObjName::new(None, "accounts"),
            key: vec!["id".into()],
            alter: Some("ALTER COLUMN id TYPE bigint".into()),
            using: BTreeMap::new(),
            what: "ALTER TABLE",
            version: "7".into(),
        }
    }

    fn copy() -> Copy {
        Copy {
            insert: vec!["id".into(), "v".into()],
            select: vec!["CAST(id AS bigint)".into(), "v".into()],
            key_exprs: [("id".to_string(), "CAST(id AS bigint)".to_string())].into(),
        }
    }

    #[test]
    fn batch_and_replay_sql() {
        let s = plan();
        assert_eq!(
            copy_sql(&s, &copy(), Some(&["10".into()]), Some(&["2'0".into()])),
            "INSERT INTO _sluice_shadow_accounts (id, v) OVERRIDING SYSTEM VALUE SELECT CAST(id AS bigint), v FROM \"accounts\" WHERE \"id\" > '10' AND \"id\" <= '2''0' ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            upper_sql(&s, None, 500),
            "SELECT \"id\"::text AS sluice_k0 FROM \"accounts\" ORDER BY \"id\" LIMIT 1 OFFSET 499"
        );
        assert_eq!(
            replay_sql(&s, &copy()),
            [
                "DELETE FROM _sluice_shadow_accounts WHERE \"id\" IN (SELECT CAST(id AS bigint) FROM _sluice_shadow_accounts_log)",
                "INSERT INTO _sluice_shadow_accounts (id, v) OVERRIDING SYSTEM VALUE SELECT CAST(id AS bigint), v FROM accounts WHERE \"id\" IN (SELECT \"id\" FROM _sluice_shadow_accounts_log)",
                "DELETE FROM _sluice_shadow_accounts_log",
            ]
        );
        let mut two = plan();
        two.key = vec!["a".into(), "b".into()];
        assert_eq!(
            upper_sql(&two, Some(&["1".into(), "x".into()]), 1),
            "SELECT \"a\"::text AS sluice_k0, \"b\"::text AS sluice_k1 FROM \"accounts\" WHERE (\"a\", \"b\") > ('1', 'x') ORDER BY \"a\", \"b\" LIMIT 1 OFFSET 0"
        );
    }

    /// (name, exact signature, loose signature) rows.
    fn v(x: &[(&str, &str, &str)]) -> Vec<[String; 3]> {
        x.iter()
            .map(|(a, b, c)| [a.to_string(), b.to_string(), c.to_string()])
            .collect()
    }

    #[test]
    fn indexes_pair_one_to_one() {
        assert_eq!(
            index_pairs(
                v(&[
                    ("accounts_pkey", "p:id", "p:id"),
                    ("a1", "i:a", "i:a"),
                    ("a2", "i:a", "i:a")
                ]),
                v(&[
                    ("_sluice_shadow_accounts_pkey", "p:id", "p:id"),
                    ("x1", "i:a", "i:a"),
                    ("x2", "i:a", "i:a")
                ]),
            ),
            [(
                "accounts_pkey".to_string(),
                "_sluice_shadow_accounts_pkey".to_string()
            )]
        );
    }

    /// lemmy 2023-08-23-182533_scaled_rank: `hot_rank` int -> float rewrote the predicate
    /// of `idx_post_aggregates_nonzero_hotrank` (`hot_rank <> 0` became `hot_rank <>
    /// 0::double precision`); the copy's index kept its `_sluice_shadow_..` name.
    #[test]
    fn lemmy_an_index_whose_predicate_text_changed_pairs_by_its_shape() {
        assert_eq!(
            index_pairs(
                v(&[
                    ("idx_published", "i:published::", "i:published:false:false"),
                    (
                        "idx_nonzero_hotrank",
                        "i:published::(hot_rank <> 0)",
                        "i:published:false:true"
                    ),
                ]),
                v(&[
                    (
                        "s_published_idx",
                        "i:published::",
                        "i:published:false:false"
                    ),
                    (
                        "s_published_idx1",
                        "i:published::(hot_rank <> (0)::double precision)",
                        "i:published:false:true"
                    ),
                ]),
            ),
            [
                (
                    "idx_nonzero_hotrank".to_string(),
                    "s_published_idx1".to_string()
                ),
                ("idx_published".to_string(), "s_published_idx".to_string()),
            ]
        );
    }
}
