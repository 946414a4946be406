//! The copy: the shadow table set up with change capture, then filled in key-range batches.

use std::collections::BTreeMap;
use std::time::Instant;

use super::State;
use super::sql::{
    Copy, capture_sql, columns_sql, copy_sql, first_col, lit, pairs, regclass, upper_sql,
};
use crate::driver::{Blocker, DbError, Driver};
use crate::plan::Prepared;
use crate::strategies::shadow_table::{ShadowTable, q, qn};
use crate::{Engine, Progress, backfill};
use sluice_core::source::backfill::MAX_BATCH_SIZE;

impl Engine {
    /// One transaction: leftovers gone, the shadow with the change applied, outbound
    /// foreign keys, change capture, and the ledger row. Retried on lock timeouts.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn shadow_setup(
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
    pub(super) async fn shadow_columns(
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
    pub(super) async fn shadow_copy(
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
}
