//! `migrate purge`: drop for real the columns and tables a contract soft-dropped (renamed to
//! `_sluice_dropped_<name>_<version>`) once that contract is older than the retention.
//!
//! Which object goes is decided here from the ledger alone (pure, unit-tested); the engine
//! finds the objects and drops each in a statement of its own under lock_timeout.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::driver::{DbError, Driver};
use super::ledger::{self, LedgerRow, State};
use super::{Engine, RunError};
use sluice_core::names::{SOFT_DROP_PREFIX, is_soft_dropped_by};
use sluice_core::source::Phase;
use sluice_core::sql::Dialect;
use sluice_core::sql::quote::ident as quote_ident;

/// A soft-dropped object found in the database.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SoftDropped {
    pub schema: String,
    pub table: String,
    /// `None`: the table itself is soft-dropped.
    pub column: Option<String>,
}

impl SoftDropped {
    pub fn kind(&self) -> &'static str {
        if self.column.is_some() {
            "column"
        } else {
            "table"
        }
    }

    /// The soft-dropped name (the column's, or the table's).
    pub fn name(&self) -> &str {
        self.column.as_deref().unwrap_or(&self.table)
    }

    fn qualified_table(&self, backend: Dialect) -> String {
        format!(
            "{}.{}",
            quote_ident(backend, &self.schema),
            quote_ident(backend, &self.table)
        )
    }

    /// `schema.table` or `schema.table.column`, for messages.
    pub fn display(&self) -> String {
        match &self.column {
            Some(c) => format!("{}.{}.{c}", self.schema, self.table),
            None => format!("{}.{}", self.schema, self.table),
        }
    }

    pub fn drop_sql(&self, backend: Dialect) -> String {
        match &self.column {
            Some(c) => format!(
                "ALTER TABLE {} DROP COLUMN {}",
                self.qualified_table(backend),
                quote_ident(backend, c)
            ),
            None => format!("DROP TABLE {}", self.qualified_table(backend)),
        }
    }
}

/// One object `purge` dropped (or would drop), or left with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct PurgeItem {
    pub object: SoftDropped,
    pub kind: &'static str,
    /// The migration whose contract soft-dropped it.
    pub version: Option<String>,
    pub contract_finished_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub sql: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PurgeOutcome {
    pub dropped: Vec<PurgeItem>,
    pub skipped: Vec<PurgeItem>,
}

/// Split `objects` into those to drop and those to keep, with the reason for each: an
/// object goes when an applied contract soft-dropped it and finished before `now - older_than`.
pub fn decide(
    backend: Dialect,
    mut objects: Vec<SoftDropped>,
    rows: &[LedgerRow],
    now: DateTime<Utc>,
    older_than: Duration,
) -> PurgeOutcome {
    objects.sort();
    objects.dedup();
    let cutoff = chrono::Duration::from_std(older_than)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let retention = humantime::format_duration(older_than);
    let mut out = PurgeOutcome::default();
    for o in objects {
        // the most recent applied contract whose version tag the name carries
        let by = rows
            .iter()
            // a table is also soft-dropped by a shadow-table swap, in whatever phase ran it
            .filter(|r| {
                (r.phase == Phase::Contract || o.column.is_none()) && r.state == State::Applied
            })
            .filter(|r| is_soft_dropped_by(o.name(), &r.version))
            .max_by_key(|r| (r.finished_at, r.version.len()));
        let item = |reason: String, sql: Option<String>| PurgeItem {
            kind: o.kind(),
            version: by.map(|r| r.version.clone()),
            contract_finished_at: by.and_then(|r| r.finished_at),
            reason,
            sql,
            object: o.clone(),
        };
        match by {
            None => out.skipped.push(item(
                "no applied contract in the ledger soft-dropped it (its name's version matches none); drop it by hand if it is yours".into(),
                None,
            )),
            Some(r) => match r.finished_at {
                Some(t) if t <= cutoff => out.dropped.push(item(
                    format!(
                        "soft-dropped by the contract of {} {}, finished {}",
                        r.version,
                        r.name,
                        t.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                    Some(o.drop_sql(backend)),
                )),
                Some(t) => out.skipped.push(item(
                    format!(
                        "the contract of {} {} finished {}, less than {retention} ago",
                        r.version,
                        r.name,
                        t.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                    None,
                )),
                None => out.skipped.push(item(
                    format!(
                        "the contract of {} {} has no finish time in the ledger",
                        r.version, r.name
                    ),
                    None,
                )),
            },
        }
    }
    out
}

impl Engine {
    /// Drop soft-dropped objects whose contract finished more than `older_than` ago; with
    /// `dry_run`, only say which.
    pub async fn purge(
        &self,
        older_than: Duration,
        dry_run: bool,
    ) -> Result<PurgeOutcome, RunError> {
        if dry_run {
            let mut conn = self.connect().await?;
            let r = self.purge_decide(conn.as_mut(), older_than).await;
            let _ = conn.close().await;
            return r;
        }
        {
            let mut s = self.locked().await?;
            let main = s.main.as_mut();
            let out: Result<_, RunError> = async {
                let out = self.purge_decide(main, older_than).await?;
                for (i, item) in out.dropped.iter().enumerate() {
                    let Some(sql) = &item.sql else { continue };
                    self.purge_one(main, sql).await.map_err(|e| {
                        let before: Vec<String> = out.dropped[..i]
                            .iter()
                            .map(|d| d.object.display())
                            .collect();
                        RunError::Failed(format!(
                            "purge: {sql} failed: {e}; {}",
                            if before.is_empty() {
                                "nothing was dropped".to_owned()
                            } else {
                                format!("already dropped: {}", before.join(", "))
                            }
                        ))
                    })?;
                    tracing::info!(object = %item.object.display(), "{sql}");
                    let detail = format!(
                        "dropped {} {}: {}",
                        item.kind,
                        item.object.display(),
                        item.reason
                    );
                    self.event(
                        main,
                        ledger::EVENT_PURGE,
                        item.version.as_deref(),
                        Some(Phase::Contract),
                        None,
                        &detail,
                    )
                    .await?;
                }
                Ok(out)
            }
            .await;
            self.close(s, out).await.0
        }
    }

    async fn purge_decide(
        &self,
        conn: &mut dyn Driver,
        older_than: Duration,
    ) -> Result<PurgeOutcome, RunError> {
        let (_, rows, _) = self.read_ledger(conn).await?;
        let found = conn
            .query_text(&self.db.soft_dropped_sql(SOFT_DROP_PREFIX))
            .await
            .map_err(RunError::db)?;
        let objects = found
            .into_iter()
            .filter_map(|r| {
                let mut it = r.into_iter();
                Some(SoftDropped {
                    schema: it.next()??,
                    table: it.next()??,
                    column: it.next().flatten(),
                })
            })
            .collect();
        Ok(decide(
            self.url.dialect(),
            objects,
            &rows,
            Utc::now(),
            older_than,
        ))
    }

    /// One DROP under lock_timeout, retried with back-off on lock timeouts.
    async fn purge_one(&self, main: &mut dyn Driver, sql: &str) -> Result<(), DbError> {
        super::retry::retry(
            &self.settings.retry,
            &mut (main,),
            |e: &DbError| self.db.is_lock_timeout(e),
            |attempt, d, e| {
                tracing::warn!(attempt, delay_ms = d.as_millis() as u64, error = %e, "lock timeout; retrying {sql}");
            },
            |(main,), _| main.exec(sql),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::names::soft_drop;

    fn contract(version: &str, finished: i64, state: State) -> LedgerRow {
        LedgerRow {
            version: version.into(),
            phase: Phase::Contract,
            name: "m".into(),
            checksum: String::new(),
            state,
            statements_done: 1,
            statements_total: 1,
            started_at: None,
            finished_at: DateTime::from_timestamp(finished, 0),
            duration_ms: Some(1),
            down_sql: None,
            release: None,
            applied_by: "t@h".into(),
            error: None,
        }
    }

    fn col(table: &str, column: &str) -> SoftDropped {
        SoftDropped {
            schema: "public".into(),
            table: table.into(),
            column: Some(column.into()),
        }
    }

    #[test]
    fn a_shadow_table_swap_in_an_expand_soft_drops_the_old_table() {
        let now = DateTime::from_timestamp(100_000, 0).unwrap();
        let mut expand = contract("5", 1_000, State::Applied);
        expand.phase = Phase::Expand;
        let objs = vec![
            SoftDropped {
                schema: "public".into(),
                table: soft_drop("accounts", "5"),
                column: None,
            },
            col("users", &soft_drop("name", "5")),
        ];
        let out = decide(
            Dialect::Postgres,
            objs,
            &[expand],
            now,
            Duration::from_secs(3600),
        );
        let dropped: Vec<String> = out.dropped.iter().map(|i| i.object.display()).collect();
        assert_eq!(dropped, ["public._sluice_dropped_accounts_5"]);
        assert_eq!(out.skipped.len(), 1, "a column needs its contract");
    }

    #[test]
    fn old_enough_contracts_drop_others_are_kept_with_a_reason() {
        let now = DateTime::from_timestamp(100_000, 0).unwrap();
        let rows = [
            contract("1", 1_000, State::Applied),
            contract("2", 99_000, State::Applied),
            contract("3", 1_000, State::RolledBack),
        ];
        let objs = vec![
            col("users", &soft_drop("name", "1")),
            col("users", &soft_drop("nick", "2")),
            col("users", &soft_drop("age", "3")),
            SoftDropped {
                schema: "public".into(),
                table: soft_drop("orders", "1"),
                column: None,
            },
            col("users", "_sluice_dropped_x_77"),
        ];
        let out = decide(
            Dialect::Postgres,
            objs,
            &rows,
            now,
            Duration::from_secs(3600),
        );
        let dropped: Vec<String> = out.dropped.iter().map(|i| i.object.display()).collect();
        assert_eq!(
            dropped,
            [
                "public._sluice_dropped_orders_1",
                "public.users._sluice_dropped_name_1"
            ]
        );
        assert_eq!(
            out.dropped[1].sql.as_deref(),
            Some("ALTER TABLE \"public\".\"users\" DROP COLUMN \"_sluice_dropped_name_1\"")
        );
        assert_eq!(
            out.dropped[0].sql.as_deref(),
            Some("DROP TABLE \"public\".\"_sluice_dropped_orders_1\"")
        );
        let skipped: Vec<(String, &str)> = out
            .skipped
            .iter()
            .map(|i| (i.object.display(), i.reason.as_str()))
            .collect();
        assert_eq!(skipped.len(), 3);
        assert!(
            skipped[0].0.ends_with("_sluice_dropped_age_3")
                && skipped[0].1.starts_with("no applied contract")
        );
        assert!(
            skipped[1].0.ends_with("_sluice_dropped_nick_2")
                && skipped[1].1.contains("less than 1h ago")
        );
        assert!(
            skipped[2].0.ends_with("_sluice_dropped_x_77")
                && skipped[2].1.starts_with("no applied contract")
        );
        // zero retention: the recent one goes too
        let out = decide(
            Dialect::Mysql,
            vec![col("users", &soft_drop("nick", "2"))],
            &rows,
            now,
            Duration::ZERO,
        );
        assert_eq!(
            out.dropped[0].sql.as_deref(),
            Some("ALTER TABLE `public`.`users` DROP COLUMN `_sluice_dropped_nick_2`")
        );
    }
}
