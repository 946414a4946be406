//! One backfill batch: its SQL ([`Batches`]) and its run ([`Engine::batch`]).
//!
//! A batch finds its upper key, then updates its key range and writes its checkpoint in one
//! short transaction. On PostgreSQL the transaction opens with its own `lock_timeout` of
//! [`YIELD_AFTER`] and without waiting for the commit's WAL flush, and travels in two round
//! trips (`BEGIN; SET LOCAL ..; WITH .. UPDATE ..`, the upper key found by the UPDATE's own
//! statement on a one-column key, then the checkpoint with `COMMIT`); elsewhere the upper
//! key is a query of its own before the transaction. A batch that meets an application's
//! row lock so gives way within a few milliseconds, rolls back (releasing the rows it had
//! already taken, on which other application writes would otherwise queue) and runs again; after [`YIELDS`] such tries it
//! waits like any statement, `[run] lock_timeout` with the retry policy. MariaDB has no lock
//! timeout under a second for a transaction, but one of 0 s for a statement: there the
//! giving-way tries run the UPDATE as `SET STATEMENT innodb_lock_wait_timeout = 0 FOR ..`.

use std::time::{Duration, Instant};

use super::backfill::{encode_checkpoint, encode_key, spec_table};
use super::driver::{Database, DbError, Driver};
use super::keyrange::{KeyRange, where_clause};
use super::retry::Attempt;
use super::{Engine, Progress, RunError};
use sluice_core::source::backfill::BackfillSpec;

/// A batch waits at most this long for an application's row lock before it gives way.
pub(super) const YIELD_AFTER: Duration = Duration::from_millis(5);
/// Tries that give way before a batch waits the regular `lock_timeout`.
pub(super) const YIELDS: u32 = 20;
/// Longest pause after giving way (the pause is random, 1 ms up to this).
const YIELD_PAUSE_MS: u64 = 5;

/// The SQL of one backfill: the key range it walks, the batch statements.
#[derive(Debug, Clone)]
pub(super) struct Batches {
    db: &'static dyn Database,
    range: KeyRange,
    set: String,
    where_: Option<String>,
    /// `AS <alias>` (quoted) and `FROM <list>` (as written) of an `UPDATE .. FROM` fill.
    alias: Option<String>,
    from: Option<String>,
    /// MySQL: each batch runs under READ COMMITTED (see [`Batches::isolation_sql`]).
    read_committed: bool,
    /// The server has `backend_flush_after` (see [`Database::batch_flush_after_sql`]).
    flush_after: bool,
    /// MariaDB: the giving-way tries' UPDATE prefix ([`Database::batch_yield_prefix`]).
    yield_prefix: Option<&'static str>,
}

impl Batches {
    pub(super) fn new(
        db: &'static dyn Database,
        spec: &BackfillSpec,
        numeric: Vec<bool>,
    ) -> Batches {
        let set = spec
            .set
            .iter()
            .map(|(c, e)| format!("{} = {e}", db.ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        Batches {
            db,
            range: KeyRange::new(db, &spec_table(spec), &spec.key, numeric),
            set,
            where_: spec.where_.clone(),
            alias: spec.alias.as_ref().map(|a| db.ident(a)),
            from: spec.from.clone(),
            read_committed: false,
            flush_after: true,
            yield_prefix: None,
        }
    }

    /// The UPDATE prefix of the tries that give way (see [`Database::batch_yield_prefix`]).
    pub(super) fn with_yield_prefix(mut self, prefix: Option<&'static str>) -> Batches {
        self.yield_prefix = prefix;
        self
    }

    /// The first tries of a batch give way to application row locks: by the transaction's
    /// lock timeout or by the UPDATE's prefix.
    pub(super) fn gives_way(&self) -> bool {
        self.settings_sql(Some(YIELD_AFTER)).is_some() || self.yield_prefix.is_some()
    }

    /// The UPDATE prefix of the tries that give way, if they need one.
    pub(super) fn yield_prefix(&self) -> Option<&'static str> {
        self.yield_prefix
    }

    /// Run each batch under READ COMMITTED (MySQL, when the binary log allows it).
    pub(super) fn with_read_committed(mut self, on: bool) -> Batches {
        self.read_committed = on && self.db.batch_isolation().is_some();
        self
    }

    /// Whether the batches set the write-back setting (off when the server lacks it).
    pub(super) fn with_flush_after(mut self, on: bool) -> Batches {
        self.flush_after = on;
        self
    }

    /// What goes before each batch's `BEGIN`. Under InnoDB's default REPEATABLE READ the
    /// batch's UPDATE locks every row it scans and the gaps between them until it commits, so
    /// a write to a row the batch does not change (already filled, by a trigger or the new
    /// code), or an insert into its key range, waits for the whole batch; under READ
    /// COMMITTED it locks only the rows it changes.
    pub(super) fn isolation_sql(&self) -> Option<&'static str> {
        self.db
            .batch_isolation()
            .filter(|_| self.read_committed)
            .map(|(_, set)| set)
    }

    /// What goes right after each batch's `BEGIN` (see [`Database::batch_settings_sql`]);
    /// `yield_after`: the batch's own lock timeout.
    pub(super) fn settings_sql(&self, yield_after: Option<Duration>) -> Option<String> {
        self.db.batch_settings_sql(yield_after, self.flush_after)
    }

    pub(super) fn target(&self) -> &str {
        self.range.target()
    }

    /// The key of the batch's last row: `n` rows after `last` in key order.
    pub(super) fn upper_sql(&self, last: Option<&[String]>, n: u64) -> String {
        self.range.upper_sql(last, n)
    }

    /// `UPDATE <target>[ AS <alias>] SET <set>[ FROM <list>]`, and the key range as the
    /// UPDATE's conditions name it: qualified when the fill has an alias or a `FROM`.
    fn update_head(&self) -> (String, KeyRange) {
        let t = self.range.target();
        let mut head = format!("UPDATE {t}");
        if let Some(a) = &self.alias {
            head.push_str(&format!(" AS {a}"));
        }
        head.push_str(&format!(" SET {}", self.set));
        if let Some(f) = &self.from {
            head.push_str(&format!(" FROM {f}"));
        }
        let range = match (&self.alias, &self.from) {
            (Some(a), _) => self.range.qualified(a),
            (None, Some(_)) => self.range.qualified(t),
            (None, None) => self.range.clone(),
        };
        (head, range)
    }

    /// The batch's UPDATE; no `upper` for the last batch.
    pub(super) fn update_sql(&self, last: Option<&[String]>, upper: Option<&[String]>) -> String {
        let (head, range) = self.update_head();
        let mut conds = range.bounds(last, upper);
        if let Some(w) = &self.where_ {
            conds.push(format!("({w})"));
        }
        format!("{head}{}", where_clause(&conds))
    }

    /// The batch in one statement (PostgreSQL, one-column key): its upper key, `n` rows after
    /// `last`, found and its range updated together, which saves the upper key's round trip.
    /// One row comes back: `1` when there is an upper key (else this is the last batch, whose
    /// range ends at the largest key), that key as text, the rows changed.
    pub(super) fn one_statement_sql(&self, last: Option<&[String]>, n: u64) -> Option<String> {
        if !self.db.update_in_with() {
            return None;
        }
        let key = self.range.single()?;
        let t = self.range.target();
        let after: Vec<String> = last
            .map(|l| self.range.compare(">", l))
            .into_iter()
            .collect();
        let from = where_clause(&after);
        let (head, range) = self.update_head();
        let qkey = range.single()?.to_owned();
        let mut conds: Vec<String> = last.map(|l| range.compare(">", l)).into_iter().collect();
        conds.push(format!("{qkey} <= (SELECT {key} FROM sluice_b)"));
        if let Some(w) = &self.where_ {
            conds.push(format!("({w})"));
        }
        // COALESCE looks for the largest key only for the last batch, walking the index
        // backwards; not max(): types such as uuid order but have no max aggregate
        Some(format!(
            "WITH sluice_u AS (SELECT {key} FROM {t}{from} ORDER BY {key} LIMIT 1 OFFSET {}), \
             sluice_b AS (SELECT COALESCE((SELECT {key} FROM sluice_u), (SELECT {key} FROM {t}{from} ORDER BY {key} DESC LIMIT 1)) AS {key}), \
             sluice_d AS ({head}{} RETURNING 1) \
             SELECT (SELECT count(*) FROM sluice_u)::text, (SELECT {} FROM sluice_u), (SELECT count(*) FROM sluice_d)::text",
            n.max(1) - 1,
            where_clause(&conds),
            self.db.as_text(key),
        ))
    }

    #[cfg(test)]
    pub(super) fn range(&self) -> &KeyRange {
        &self.range
    }
}

/// What one committed batch did.
pub(super) struct BatchDone {
    /// Its upper key; `None`: it was the last batch.
    pub(super) upper: Option<Vec<String>>,
    /// Rows it changed.
    pub(super) rows: u64,
    /// How long its (last) transaction took.
    pub(super) took: Duration,
    /// Tries that gave way to an application's row lock before it committed.
    pub(super) yields: u32,
}

pub(super) enum BatchError {
    Db(DbError),
    Run(RunError),
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Db(e) => e.fmt(f),
            BatchError::Run(e) => e.fmt(f),
        }
    }
}

impl From<DbError> for BatchError {
    fn from(e: DbError) -> Self {
        BatchError::Db(e)
    }
}

/// Where a batch is in the walk.
pub(super) struct At<'a> {
    pub(super) version: &'a str,
    /// The fill of the file (from 0) and whether it is its last.
    pub(super) part: usize,
    pub(super) final_fill: bool,
    pub(super) last: Option<&'a [String]>,
    pub(super) size: u64,
    /// When the backfill started (the last batch records its duration).
    pub(super) started: Instant,
}

/// Up to [`YIELDS`] tries of a batch that gives way: `attempt` runs it waiting at most
/// [`YIELD_AFTER`] for a row lock and undoes its own partial work (a `ROLLBACK`) before it
/// returns an error. A lock timeout is a try that gave way: a random pause of 1 ms up to
/// [`YIELD_PAUSE_MS`], then the next. Returns the tries that gave way and the first other
/// outcome; `None`: every try gave way, the caller then waits like any statement.
pub(super) async fn giving_way<S, T, E>(
    state: &mut S,
    is_lock_timeout: impl Fn(&E) -> bool,
    mut attempt: impl for<'s> FnMut(&'s mut S) -> Attempt<'s, T, E>,
) -> (u32, Option<Result<T, E>>)
where
    S: ?Sized,
    E: std::fmt::Display,
{
    for yields in 0..YIELDS {
        match attempt(state).await {
            Err(e) if is_lock_timeout(&e) => {
                tracing::debug!(yields = yields + 1, error = %e, "a row of the batch is locked: giving way");
                let ms = rand::random_range(1..=YIELD_PAUSE_MS);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            r => return (yields, Some(r)),
        }
    }
    (YIELDS, None)
}

impl Engine {
    /// Whether batches may run under READ COMMITTED ([`Database::batch_isolation`]: MySQL,
    /// unless a statement-based binary log refuses it); false where the server sets none or
    /// the probe fails.
    pub(super) async fn batch_read_committed(&self, main: &mut dyn Driver) -> bool {
        match self.db.batch_isolation() {
            Some((allowed, _)) => main
                .query_text(allowed)
                .await
                .ok()
                .and_then(super::driver::first)
                .is_some_and(|v| v == "1"),
            None => false,
        }
    }

    /// Whether batches may set the write-back setting of [`Database::batch_settings_sql`]:
    /// the server's probe says `1`, or there is none (the default holds); a fork without the
    /// setting says `0`.
    pub(super) async fn batch_flush_after(&self, main: &mut dyn Driver) -> bool {
        let on = match self.db.batch_flush_after_sql() {
            Some(probe) => main
                .query_text(probe)
                .await
                .ok()
                .and_then(super::driver::first)
                .is_none_or(|v| v != "0"),
            None => true,
        };
        if !on {
            tracing::info!("the server has no backend_flush_after: the batches do not set it");
        }
        on
    }

    /// One batch: first up to [`YIELDS`] tries that give way to application row locks after
    /// [`YIELD_AFTER`] (where the server takes a per-transaction lock timeout), then tries
    /// retried whole on lock timeouts under `[run] lock_timeout` and the retry policy.
    pub(super) async fn batch(
        &self,
        main: &mut dyn Driver,
        b: &Batches,
        at: &At<'_>,
    ) -> Result<BatchDone, RunError> {
        let mut state = (main,);
        let (yields, quick) = if b.gives_way() {
            giving_way(
                &mut state,
                |e: &BatchError| matches!(e, BatchError::Db(e) if self.db.is_lock_timeout(e)),
                |(main,)| {
                    Box::pin(async move {
                        let r = self.try_batch(&mut **main, b, at, Some(YIELD_AFTER)).await;
                        if r.is_err() {
                            let _ = main.rollback().await;
                        }
                        r
                    })
                },
            )
            .await
        } else {
            (0, None)
        };
        let (main,) = state;
        let r = match quick {
            Some(r) => r,
            None => self.batch_waiting(main, b, at).await,
        };
        match r {
            Ok(mut d) => {
                d.yields = yields;
                Ok(d)
            }
            Err(BatchError::Db(e)) => {
                let at_key = at.last.map_or_else(
                    || "the start".to_owned(),
                    |l| format!("key {}", encode_key(l)),
                );
                Err(RunError::Failed(format!(
                    "backfill of {} ({}): the batch after {at_key} failed{}: {e}; every batch before it is done and checkpointed; fix the cause and re-run `migrate apply`, it resumes there",
                    at.version,
                    b.target(),
                    if self.db.is_lock_timeout(&e) {
                        format!(
                            " to take its row locks within lock_timeout {} after {} attempts",
                            humantime::format_duration(self.settings.lock_timeout),
                            self.settings.retry.retries + 1
                        )
                    } else {
                        String::new()
                    }
                )))
            }
            Err(BatchError::Run(e)) => Err(e),
        }
    }

    /// The batch under the session's `lock_timeout`, retried whole on lock timeouts.
    async fn batch_waiting(
        &self,
        main: &mut dyn Driver,
        b: &Batches,
        at: &At<'_>,
    ) -> Result<BatchDone, BatchError> {
        // the connection in a tuple: the attempts' borrows are then bounded by its lifetime
        let mut state = (main,);
        super::retry::retry(
            &self.settings.retry,
            &mut state,
            |e: &BatchError| matches!(e, BatchError::Db(e) if self.db.is_lock_timeout(e)),
            |attempt, d, e| {
                if let BatchError::Db(e) = e {
                    tracing::warn!(attempt, delay_ms = d.as_millis() as u64, error = %e, "lock timeout; retrying the batch");
                }
                self.progress(Progress::Retrying {
                    version: at.version.to_owned(),
                    attempt,
                    delay_ms: d.as_millis() as u64,
                });
            },
            |(main,), _| {
                Box::pin(async move {
                    let r = self.try_batch(&mut **main, b, at, None).await;
                    if r.is_err() {
                        let _ = main.rollback().await;
                    }
                    r
                })
            },
        )
        .await
    }

    /// One try: the upper key, then the UPDATE and the checkpoint in one transaction.
    async fn try_batch(
        &self,
        main: &mut dyn Driver,
        b: &Batches,
        at: &At<'_>,
        yield_after: Option<Duration>,
    ) -> Result<BatchDone, BatchError> {
        let version = at.version;
        let null_key = || {
            BatchError::Run(RunError::Input(format!(
                "backfill of {version}: a key column of {} holds NULL; `key` must name NOT NULL column(s) that identify a row",
                b.target()
            )))
        };
        let checkpoint = |upper: &Option<Vec<String>>, n: u64| match upper {
            Some(u) => self.ledger.checkpoint_sql(
                version,
                &encode_checkpoint(at.part, Some(u)),
                n,
                at.size,
            ),
            // a fill's last batch before the file's last fill: the next fill starts there
            None if !at.final_fill => self.ledger.checkpoint_sql(
                version,
                &encode_checkpoint(at.part + 1, None),
                n,
                at.size,
            ),
            None => self
                .ledger
                .finish_backfill_sql(version, n, at.started.elapsed().as_millis()),
        };
        let set = b.settings_sql(yield_after);
        if let (Some(set), Some(one)) = (&set, b.one_statement_sql(at.last, at.size))
            && self.db.multi_statement_round_trip()
        {
            // two round trips: open, find the upper key and update; checkpoint and commit
            let t0 = Instant::now();
            let row = main
                .query_text(&format!("BEGIN; {set}; {one}"))
                .await?
                .into_iter()
                .next()
                .unwrap_or_default();
            let cell = |i: usize| row.get(i).cloned().flatten();
            let upper = match cell(0).as_deref() {
                Some("1") => Some(vec![cell(1).ok_or_else(null_key)?]),
                _ => None,
            };
            let rows = cell(2).and_then(|n| n.parse().ok()).unwrap_or(0);
            main.exec(&format!("{}; COMMIT", checkpoint(&upper, rows)))
                .await?;
            return Ok(BatchDone {
                upper,
                rows,
                took: t0.elapsed(),
                yields: 0,
            });
        }
        let found = main.query_text(&b.upper_sql(at.last, at.size)).await?;
        let upper = match found.into_iter().next() {
            None => None,
            Some(cols) => Some(
                cols.into_iter()
                    .collect::<Option<Vec<String>>>()
                    .ok_or_else(null_key)?,
            ),
        };
        let mut update = b.update_sql(at.last, upper.as_deref());
        if let (Some(_), Some(p)) = (yield_after, b.yield_prefix()) {
            update = format!("{p}{update}");
        }
        let t0 = Instant::now();
        if let Some(s) = b.isolation_sql() {
            main.exec(s).await?;
        }
        let rows = match set {
            Some(set) if self.db.multi_statement_round_trip() => {
                // three round trips: the upper key; open and update; checkpoint and commit
                let n = main.exec_count(&format!("BEGIN; {set}; {update}")).await?;
                main.exec(&format!("{}; COMMIT", checkpoint(&upper, n)))
                    .await?;
                n
            }
            set => {
                main.begin().await?;
                if let Some(s) = set {
                    main.exec(&s).await?;
                }
                let n = main.exec_count(&update).await?;
                main.exec(&checkpoint(&upper, n)).await?;
                main.commit().await?;
                n
            }
        };
        Ok(BatchDone {
            upper,
            rows,
            took: t0.elapsed(),
            yields: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::sql::Dialect;
    use std::path::Path;

    fn spec(text: &str) -> BackfillSpec {
        BackfillSpec::parse(Path::new("backfill.toml"), text).unwrap()
    }

    #[test]
    fn batch_settings_per_server() {
        let s = spec("table = 't'\nkey = 'id'\n[set]\nx = '1'\n");
        let pg = Batches::new(crate::driver::database(Dialect::Postgres), &s, vec![true]);
        assert_eq!(
            pg.settings_sql(Some(YIELD_AFTER)).as_deref(),
            Some(
                "SET LOCAL lock_timeout = '5ms'; SET LOCAL synchronous_commit = off; \
                 SET LOCAL backend_flush_after = '256kB'"
            )
        );
        assert_eq!(
            pg.settings_sql(None).as_deref(),
            Some("SET LOCAL synchronous_commit = off; SET LOCAL backend_flush_after = '256kB'")
        );
        // a server without backend_flush_after (a fork): the batches do not set it
        let fork = pg.with_flush_after(false);
        assert_eq!(
            fork.settings_sql(Some(YIELD_AFTER)).as_deref(),
            Some("SET LOCAL lock_timeout = '5ms'; SET LOCAL synchronous_commit = off")
        );
        let my = Batches::new(crate::driver::database(Dialect::Mysql), &s, vec![true]);
        assert_eq!(my.settings_sql(Some(YIELD_AFTER)), None);
    }

    /// `UPDATE .. FROM` (lemmy's `UPDATE person p SET .. FROM local_user lu WHERE ..`): the
    /// alias and the FROM list kept, the key range qualified (both tables have an `id`).
    #[test]
    fn batch_sql_of_an_update_from() {
        let s = spec(
            "table = 'person'\nkey = 'id'\nwhere = 'p.id = lu.person_id'\nalias = 'p'\nfrom = 'local_user lu'\n[set]\nadmin = 'lu.admin'\n",
        );
        let b = Batches::new(crate::driver::database(Dialect::Postgres), &s, vec![true]);
        let (last, upper) = (vec!["10".to_owned()], vec!["20".to_owned()]);
        assert_eq!(
            b.update_sql(Some(&last), Some(&upper)),
            "UPDATE \"person\" AS \"p\" SET \"admin\" = lu.admin FROM local_user lu WHERE \"p\".\"id\" > 10 AND \"p\".\"id\" <= 20 AND (p.id = lu.person_id)"
        );
        // the upper key is found on the table alone
        assert_eq!(
            b.upper_sql(Some(&last), 5),
            "SELECT \"id\"::text AS sluice_k0 FROM \"person\" WHERE \"id\" > 10 ORDER BY \"id\" LIMIT 1 OFFSET 4"
        );
        let one = b.one_statement_sql(Some(&last), 5).unwrap();
        assert!(
            one.contains("sluice_d AS (UPDATE \"person\" AS \"p\" SET \"admin\" = lu.admin FROM local_user lu WHERE \"p\".\"id\" > 10 AND \"p\".\"id\" <= (SELECT \"id\" FROM sluice_b) AND (p.id = lu.person_id) RETURNING 1)"),
            "{one}"
        );
        // without an alias the table's name qualifies the key
        let s = spec(
            "table = 'person'\nkey = 'id'\nfrom = 'local_user'\n[set]\nadmin = 'local_user.admin'\n",
        );
        let b = Batches::new(crate::driver::database(Dialect::Postgres), &s, vec![true]);
        assert_eq!(
            b.update_sql(Some(&last), None),
            "UPDATE \"person\" SET \"admin\" = local_user.admin FROM local_user WHERE \"person\".\"id\" > 10"
        );
    }

    #[test]
    fn batch_sql_single_and_composite_keys() {
        let s = spec("table = 'users'\nkey = 'id'\nwhere = '\"b\" IS NULL'\n[set]\nb = '\"a\"'\n");
        let b = Batches::new(crate::driver::database(Dialect::Postgres), &s, vec![true]);
        assert_eq!(
            b.upper_sql(None, 500),
            "SELECT \"id\"::text AS sluice_k0 FROM \"users\" ORDER BY \"id\" LIMIT 1 OFFSET 499"
        );
        let last = vec!["10".to_owned()];
        let upper = vec!["20".to_owned()];
        assert_eq!(
            b.update_sql(Some(&last), Some(&upper)),
            "UPDATE \"users\" SET \"b\" = \"a\" WHERE \"id\" > 10 AND \"id\" <= 20 AND (\"b\" IS NULL)"
        );
        assert_eq!(
            b.update_sql(Some(&last), None),
            "UPDATE \"users\" SET \"b\" = \"a\" WHERE \"id\" > 10 AND (\"b\" IS NULL)"
        );

        // one statement on PostgreSQL: the upper key, or the largest key for the last batch
        assert_eq!(
            b.one_statement_sql(Some(&last), 500).as_deref(),
            Some(
                "WITH sluice_u AS (SELECT \"id\" FROM \"users\" WHERE \"id\" > 10 ORDER BY \"id\" LIMIT 1 OFFSET 499), \
                 sluice_b AS (SELECT COALESCE((SELECT \"id\" FROM sluice_u), (SELECT \"id\" FROM \"users\" WHERE \"id\" > 10 ORDER BY \"id\" DESC LIMIT 1)) AS \"id\"), \
                 sluice_d AS (UPDATE \"users\" SET \"b\" = \"a\" WHERE \"id\" > 10 AND \"id\" <= (SELECT \"id\" FROM sluice_b) AND (\"b\" IS NULL) RETURNING 1) \
                 SELECT (SELECT count(*) FROM sluice_u)::text, (SELECT \"id\"::text FROM sluice_u), (SELECT count(*) FROM sluice_d)::text"
            )
        );

        let s = spec("table = 't'\nschema = 'app'\nkey = ['a', 'b']\n[set]\nx = '1'\n");
        let b = Batches::new(
            crate::driver::database(Dialect::Mysql),
            &s,
            vec![true, false],
        );
        let last = vec!["3".to_owned(), "it's".to_owned()];
        assert_eq!(
            b.upper_sql(Some(&last), 10),
            "SELECT CAST(`a` AS CHAR) AS sluice_k0, CAST(`b` AS CHAR) AS sluice_k1 FROM `app`.`t` WHERE (`a` > 3 OR (`a` = 3 AND `b` > CONVERT(X'HEX' USING utf8mb4))) ORDER BY `a`, `b` LIMIT 1 OFFSET 9"
                .replace("HEX", &hex::encode("it's"))
        );
        assert_eq!(b.update_sql(None, None), "UPDATE `app`.`t` SET `x` = 1");
        // no UPDATE inside WITH on MySQL; a composite key keeps its upper-key query
        assert_eq!(b.one_statement_sql(None, 10), None);
        let pg2 = Batches::new(
            crate::driver::database(Dialect::Postgres),
            &s,
            vec![true, false],
        );
        assert_eq!(pg2.one_statement_sql(None, 10), None);
        let upper = vec!["5".to_owned(), "z".to_owned()];
        assert_eq!(
            b.update_sql(None, Some(&upper)),
            "UPDATE `app`.`t` SET `x` = 1 WHERE (`a` < 5 OR (`a` = 5 AND `b` <= 'z'))"
        );
        let s3 = spec("table = 't'\nkey = ['a', 'b', 'c']\n[set]\nx = '1'\n");
        let b3 = Batches::new(crate::driver::database(Dialect::Mysql), &s3, vec![true; 3]);
        let v = vec!["1".to_owned(), "2".to_owned(), "3".to_owned()];
        assert_eq!(
            b3.range().compare(">", &v),
            "(`a` > 1 OR (`a` = 1 AND `b` > 2) OR (`a` = 1 AND `b` = 2 AND `c` > 3))"
        );
        // PostgreSQL keeps the row value, which its index ranges understand
        let bp = Batches::new(
            crate::driver::database(Dialect::Postgres),
            &s3,
            vec![true; 3],
        );
        assert_eq!(
            bp.range().compare("<=", &v),
            "(\"a\", \"b\", \"c\") <= (1, 2, 3)"
        );
    }
}
