//! Backfills: a migration's `backfill.toml` run in key-range batches between its expand and
//! its contract.
//!
//! Each batch finds its upper key (`SELECT key .. WHERE key > $last ORDER BY key LIMIT 1
//! OFFSET n-1`; on PostgreSQL with a one-column key inside the UPDATE's statement), then
//! updates `key > $last AND key <= $upper AND (where)` in a short transaction of its own
//! that also writes the checkpoint (last key, rows done) to the ledger: a crash loses or repeats no batch's checkpoint. The last batch (no upper key)
//! marks the backfill complete in the same transaction. Key values travel as text (JSON in
//! the ledger) and go into SQL as quoted literals; identifiers through the ledger's quoting.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::backfill_batch::{At, BatchDone, Batches};
use super::driver::{DbError, Driver, ServerVersion};
use super::facts::{self, RunFacts};
use super::ledger::{BackfillRow, State};
use super::url::DbUrl;
use super::{Engine, Progress, RunError, driver};
use sluice_core::source::Migration;
use sluice_core::source::backfill::{BackfillSpec, MAX_BATCH_SIZE};
use sluice_core::sql::ops::ObjName;

/// Growth and shrink bounds of one adaptation step (pt-online-schema-change adapts its
/// chunk size toward `--chunk-time` the same way, so one odd batch cannot swing it far).
const MAX_GROWTH: f64 = 2.0;
const MAX_SHRINK: f64 = 0.5;

/// How long the backfill waits to see its VACUUM started (then it leaves it to autovacuum).
const VACUUM_START: Duration = Duration::from_secs(10);
/// How long a contract waits for a VACUUM started behind a backfill.
const VACUUM_WAIT: Duration = Duration::from_secs(30 * 60);

/// How often replication lag is polled while a replica lags.
const LAG_POLL: Duration = Duration::from_secs(1);

/// The next batch size: scaled by `target / took`, within the bounded factors, 1..=MAX.
pub fn next_batch_size(current: u64, took: Duration, target: Duration) -> u64 {
    let took = took.as_secs_f64().max(0.000_1);
    let factor = (target.as_secs_f64() / took).clamp(MAX_SHRINK, MAX_GROWTH);
    let next = (current.max(1) as f64 * factor).round();
    (next as u64).clamp(1, MAX_BATCH_SIZE)
}

/// A `backfill.toml` read and checked, ready to run.
#[derive(Debug, Clone)]
pub(super) struct Loaded {
    pub(super) path: PathBuf,
    pub(super) text: String,
    pub(super) checksum: String,
    /// One table's fill, or several run in order (never empty).
    pub(super) fills: Vec<BackfillSpec>,
}

impl Loaded {
    /// The tables it fills, for messages: `a`, or `a, b`.
    pub(super) fn tables(&self) -> String {
        let names: Vec<&str> = self.fills.iter().map(|f| f.table.as_str()).collect();
        names.join(", ")
    }
}

pub(super) fn load(m: &Migration) -> Result<Option<Loaded>, RunError> {
    let Some(path) = &m.backfill else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| RunError::Input(format!("{}: cannot read: {e}", path.display())))?;
    let fills = BackfillSpec::parse_all(path, &text)
        .map_err(|e| RunError::Input(format!("{e}; fix the file")))?;
    Ok(Some(Loaded {
        path: path.clone(),
        checksum: sluice_core::source::text::checksum(&text),
        text,
        fills,
    }))
}

pub(super) fn spec_table(spec: &BackfillSpec) -> ObjName {
    ObjName::new(spec.schema.as_deref(), &spec.table)
}

pub(crate) fn is_numeric_type(ty: &str) -> bool {
    let t = ty.to_ascii_lowercase();
    [
        "smallint",
        "integer",
        "bigint",
        "int",
        "tinyint",
        "mediumint",
        "numeric",
        "decimal",
        "real",
        "double",
        "float",
    ]
    .iter()
    .any(|n| t == *n || t.starts_with(&format!("{n}(")) || t.starts_with(&format!("{n} ")))
}

pub(super) fn encode_key(vals: &[String]) -> String {
    serde_json::to_string(vals).unwrap_or_else(|_| "[]".into())
}

fn decode_key(s: &str) -> Option<Vec<String>> {
    serde_json::from_str(s).ok()
}

/// The ledger's checkpoint of a file of several fills past its first: the fill (counted
/// from 1) and its last batch's key, none when it has not started.
#[derive(Debug, Serialize, serde::Deserialize)]
struct LaterFill {
    fill: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<Vec<String>>,
}

/// The checkpoint text of `key` in fill `part` (from 0): the first fill's as a key alone,
/// as a file of one fill writes it.
pub(super) fn encode_checkpoint(part: usize, key: Option<&[String]>) -> String {
    match (part, key) {
        (0, Some(k)) => encode_key(k),
        _ => serde_json::to_string(&LaterFill {
            fill: part + 1,
            key: key.map(<[String]>::to_vec),
        })
        .unwrap_or_else(|_| "[]".into()),
    }
}

/// The fill (from 0) and key of a checkpoint text.
pub(super) fn decode_checkpoint(s: &str) -> Option<(usize, Option<Vec<String>>)> {
    if let Some(k) = decode_key(s) {
        return Some((0, Some(k)));
    }
    let later: LaterFill = serde_json::from_str(s).ok()?;
    Some((later.fill.checked_sub(1)?, later.key))
}

/// `line:column` of the `nth` (from 0) `name = ...` in the TOML text, for messages.
fn position_of(text: &str, name: &str, nth: usize) -> String {
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(name)
            && rest.trim_start().starts_with('=')
        {
            if seen == nth {
                return format!("{}:{}", i + 1, line.len() - t.len() + 1);
            }
            seen += 1;
        }
    }
    "1:1".into()
}

/// One backfill that ran (or would run, in a dry run).
#[derive(Debug, Clone, Serialize)]
pub struct BackfillDone {
    pub version: String,
    pub name: String,
    pub table: String,
    /// Rows this run updated.
    pub rows: u64,
    /// Rows updated over every run of it.
    pub rows_total: u64,
    pub batches: u64,
    /// The checkpoint key an earlier run left, when this run resumed there.
    pub resumed_at: Option<String>,
    pub duration_ms: u128,
    /// `VACUUM (ANALYZE)` ran after it (PostgreSQL, more than `large_table_rows` rows).
    pub vacuumed: bool,
    /// `Engine::stopper` was set: it stopped after a committed batch, the checkpoint is
    /// where the next run resumes.
    pub stopped: bool,
}

/// Where a backfill resumes: the fill (from 0), its last batch's key, the rows done before,
/// the batch size.
struct Resume {
    part: usize,
    last: Option<Vec<String>>,
    rows_before: u64,
    size: u64,
}

/// One fill's walk, from `last`.
struct Walk<'a> {
    m: &'a Migration,
    loaded: &'a Loaded,
    part: usize,
    last: Option<Vec<String>>,
    size: u64,
    /// Rows of the backfill done before this walk (earlier fills, earlier runs).
    rows_before: u64,
    /// When this run of the backfill started (the last batch records its duration).
    started: Instant,
}

/// What one fill's walk did.
#[derive(Debug, Default)]
struct Filled {
    rows: u64,
    batches: u64,
    /// Tries that gave way to an application's row lock.
    yields: u64,
    stopped: bool,
}

/// Throttling on replica lag: which connections to ask, said once when there are none.
struct Lag {
    max: Option<Duration>,
    replicas: Vec<Box<dyn Driver>>,
    checked_none: bool,
}

impl Engine {
    /// Check the tables and keys, then run the batches from the checkpoint of `prior`.
    pub(super) async fn run_backfill(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        m: &Migration,
        loaded: &Loaded,
        prior: Option<&BackfillRow>,
        server: &ServerVersion,
    ) -> Result<BackfillDone, RunError> {
        let span = tracing::info_span!("backfill", version = %m.version, table = %loaded.tables());
        tracing::Instrument::instrument(
            self.run_backfill_in_span(main, mon, m, loaded, prior, server),
            span,
        )
        .await
    }

    /// The key columns' numeric flags of fill `part`, once its table, key and `[set]`
    /// columns are found.
    async fn check_table(
        &self,
        conn: &mut dyn Driver,
        loaded: &Loaded,
        part: usize,
    ) -> Result<Vec<bool>, RunError> {
        let spec = &loaded.fills[part];
        let cols: Vec<(String, String)> = conn
            .columns(&spec_table(spec))
            .await
            .map_err(RunError::db)?
            .into_iter()
            .map(|c| (c.name, c.data_type))
            .collect();
        let table = match &spec.schema {
            Some(s) => format!("{s}.{}", spec.table),
            None => spec.table.clone(),
        };
        if spec.from.is_some() && !self.db.update_from() {
            return Err(RunError::Input(format!(
                "{}: fill of `{table}`: `from` is PostgreSQL's UPDATE .. FROM; on MySQL / MariaDB write the joined value into `[set]` as a subquery",
                loaded.path.display(),
            )));
        }
        if cols.is_empty() {
            return Err(RunError::Input(format!(
                "{}:{}: table `{table}` does not exist; `table` must name the table to fill (its expand must have run)",
                loaded.path.display(),
                position_of(&loaded.text, "table", part)
            )));
        }
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        let missing = |c: &str| !names.contains(&c);
        let mut numeric = Vec::new();
        for k in &spec.key {
            if missing(k) {
                return Err(RunError::Input(format!(
                    "{}:{}: key column `{k}` does not exist in table `{table}` (its columns: {}); fix `key`",
                    loaded.path.display(),
                    position_of(&loaded.text, "key", part),
                    names.join(", ")
                )));
            }
            numeric.push(cols.iter().any(|(n, t)| n == k && is_numeric_type(t)));
        }
        if let Some(c) = spec.set.keys().find(|c| missing(c)) {
            return Err(RunError::Input(format!(
                "{}: `[set]` names column `{c}`, which table `{table}` does not have (its columns: {}); fix `[set]`",
                loaded.path.display(),
                names.join(", ")
            )));
        }
        Ok(numeric)
    }

    async fn run_backfill_in_span(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        m: &Migration,
        loaded: &Loaded,
        prior: Option<&BackfillRow>,
        server: &ServerVersion,
    ) -> Result<BackfillDone, RunError> {
        let version = m.version.raw.as_str();
        let ledger_err = |e: DbError| {
            RunError::Db(format!(
                "backfill of {version}: cannot write the ledger {}: {e}",
                self.ledger.backfills()
            ))
        };

        // where to start: the checkpoint of an interrupted or failed run
        let resume = prior.filter(|r| matches!(r.state, State::Running | State::Failed));
        let mut from = Resume {
            part: 0,
            last: None,
            rows_before: 0,
            size: loaded.fills[0].batch_size,
        };
        if let Some(r) = resume {
            if let Some(k) = &r.last_key {
                let (part, key) = decode_checkpoint(k)
                    .filter(|(p, key)| {
                        loaded.fills.get(*p).is_some_and(|f| {
                            key.as_ref().is_none_or(|key| key.len() == f.key.len())
                        })
                    })
                    .ok_or_else(|| {
                        RunError::Refused(format!(
                            "{}: the checkpoint of the backfill of {version} is {k}, which does not fit its fills ({}); the file changed since it started: restore it, or roll back the expand to start over",
                            loaded.path.display(),
                            loaded
                                .fills
                                .iter()
                                .map(|f| format!("{}: {} key column(s)", f.table, f.key.len()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                from.part = part;
                from.size = loaded.fills[part].batch_size;
                // the stored size is the fill's own only once one of its batches ran
                if loaded.fills[part].target_batch_time.is_some()
                    && r.batch_size > 0
                    && key.is_some()
                {
                    from.size = (r.batch_size as u64).min(MAX_BATCH_SIZE);
                }
                from.last = key;
            }
            from.rows_before = u64::try_from(r.rows_done).unwrap_or(0);
            if r.checksum != loaded.checksum {
                tracing::warn!(file = %loaded.path.display(), "backfill.toml changed since this backfill started; continuing from its checkpoint");
            }
            main.exec(&self.ledger.resume_backfill_sql(version))
                .await
                .map_err(ledger_err)?;
            let at = r.last_key.as_deref().unwrap_or("(the start)");
            tracing::info!(rows_done = from.rows_before, "resuming at key {at}");
        } else {
            main.begin().await.map_err(ledger_err)?;
            for s in self.ledger.start_backfill_sql(
                version,
                &m.name,
                &loaded.checksum,
                from.size,
                &self.settings.applied_by,
            ) {
                if let Err(e) = main.exec(&s).await {
                    let _ = main.rollback().await;
                    return Err(ledger_err(e));
                }
            }
            main.commit().await.map_err(ledger_err)?;
        }
        let resumed_at = resume.and_then(|r| r.last_key.clone());
        // every table is checked before the first batch
        let mut numeric = Vec::new();
        for part in 0..loaded.fills.len() {
            match self.check_table(main, loaded, part).await {
                Ok(n) => numeric.push(n),
                Err(e) => {
                    let _ = main
                        .exec(&self.ledger.fail_backfill_sql(version, &e.to_string(), 0))
                        .await;
                    return Err(e);
                }
            }
        }
        let read_committed = self.batch_read_committed(main).await;
        let flush_after = self.batch_flush_after(main).await;

        let started = Instant::now();
        let mut done = BackfillDone {
            version: version.to_owned(),
            name: m.name.clone(),
            table: loaded.tables(),
            rows: 0,
            rows_total: from.rows_before,
            batches: 0,
            resumed_at,
            duration_ms: 0,
            vacuumed: false,
            stopped: false,
        };
        let first = from.part;
        let mut yields = 0u64;
        for (part, numeric) in numeric.into_iter().enumerate().skip(first) {
            let spec = &loaded.fills[part];
            let batches = Batches::new(self.db, spec, numeric)
                .with_read_committed(read_committed)
                .with_flush_after(flush_after)
                .with_yield_prefix(self.db.batch_yield_prefix(server));
            let walk = Walk {
                m,
                loaded,
                part,
                last: if part == first {
                    from.last.take()
                } else {
                    None
                },
                size: if part == first {
                    from.size
                } else {
                    spec.batch_size
                },
                rows_before: done.rows_total,
                started,
            };
            let filled = self.fill(main, mon, &batches, walk).await;
            let ms = started.elapsed().as_millis();
            done.duration_ms = ms;
            let filled = match filled {
                Ok(f) => f,
                Err(e) => {
                    let _ = main
                        .exec(&self.ledger.fail_backfill_sql(version, &e.to_string(), ms))
                        .await;
                    return Err(e);
                }
            };
            done.rows += filled.rows;
            done.rows_total += filled.rows;
            done.batches += filled.batches;
            yields += filled.yields;
            if filled.stopped {
                tracing::warn!(
                    rows = done.rows,
                    rows_total = done.rows_total,
                    batches = done.batches,
                    "asked to stop: backfill paused at its checkpoint"
                );
                done.stopped = true;
                return Ok(done);
            }
            // this fill's rows, counting an earlier run's only when it resumed in this fill
            let fill_rows = filled.rows + if part == first { from.rows_before } else { 0 };
            if fill_rows > self.settings.large_table_rows
                && let Some(sql) = self.db.after_large_backfill_sql(batches.target())
            {
                tracing::info!(table = %batches.target(), rows = fill_rows, "{sql}: the backfill left many dead tuples; it runs in the background");
                done.vacuumed |= self.vacuum_behind(main, &sql).await;
            }
        }
        tracing::info!(
            rows = done.rows,
            rows_total = done.rows_total,
            batches = done.batches,
            yields,
            duration_ms = done.duration_ms as u64,
            "backfill complete"
        );
        Ok(done)
    }

    /// The batches of one fill, from `walk.last` to its table's end: the last batch
    /// checkpoints the next fill's start, or marks the backfill complete.
    async fn fill(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        batches: &Batches,
        walk: Walk<'_>,
    ) -> Result<Filled, RunError> {
        let Walk {
            m,
            loaded,
            part,
            mut last,
            mut size,
            rows_before,
            started,
        } = walk;
        let version = m.version.raw.as_str();
        let spec = &loaded.fills[part];
        let final_fill = part + 1 == loaded.fills.len();
        let estimate = RunFacts::new().rows(main, &spec_table(spec)).await;
        if let Some((fl, log, room)) = facts::fill_log(main, self.db, &spec_table(spec)).await {
            tracing::debug!(log, room, "log the fill writes, room the server has for it");
            // a small fill's flushing is over before anyone waits: only large tables
            let large = estimate.is_some_and(|n| n > self.settings.large_table_rows);
            if let Some(w) = facts::fill_log_advice(batches.target(), &fl, log, room)
                && large
            {
                tracing::warn!("{w}");
            }
        }
        // the bar counts every fill's rows: this one's estimate comes after the others' done
        let estimate = estimate.map(|n| n + rows_before);
        self.progress(Progress::BackfillStarted {
            version: version.to_owned(),
            name: m.name.clone(),
            table: spec.table.clone(),
            estimated_rows: estimate,
            rows_done: rows_before,
            resumed_at: last.as_deref().map(|k| encode_checkpoint(part, Some(k))),
        });
        let fill_started = Instant::now();
        let mut lag = Lag {
            max: spec.max_replication_lag,
            replicas: Vec::new(),
            checked_none: false,
        };
        if lag.max.is_some() && self.db.replica_lag_on_primary().is_err() {
            for url in &self.settings.replicas {
                match self.connect_replica(url).await {
                    Ok(c) => lag.replicas.push(c),
                    Err(e) => {
                        // a configured replica we cannot watch: no blind backfill
                        for r in lag.replicas.drain(..) {
                            let _ = r.close().await;
                        }
                        return Err(RunError::Db(format!(
                            "backfill of {version}: cannot watch the replica lag: {e}"
                        )));
                    }
                }
            }
        }
        let mut out = Filled::default();
        let result: Result<(), RunError> = async {
            loop {
                self.wait_for_replicas(mon, &mut lag, version).await;
                let at = At {
                    version,
                    part,
                    final_fill,
                    last: last.as_deref(),
                    size,
                    started,
                };
                let BatchDone {
                    upper,
                    rows: n,
                    took,
                    yields: y,
                } = self.batch(main, batches, &at).await?;
                out.rows += n;
                out.batches += 1;
                out.yields += u64::from(y);
                let elapsed = fill_started.elapsed().as_secs_f64().max(0.001);
                self.progress(Progress::BackfillBatch {
                    version: version.to_owned(),
                    rows_done: rows_before + out.rows,
                    batches: out.batches,
                    batch_size: size,
                    rows_per_s: out.rows as f64 / elapsed,
                    estimated_rows: estimate,
                });
                tracing::debug!(
                    rows = n,
                    batch_size = size,
                    took_ms = took.as_millis() as u64,
                    "batch"
                );
                let Some(u) = upper else {
                    return Ok(());
                };
                if let Some(t) = spec.target_batch_time {
                    size = next_batch_size(size, took, t);
                }
                last = Some(u);
                // a safe point: the batch and its checkpoint are committed
                if self.stop.load(std::sync::atomic::Ordering::SeqCst) {
                    out.stopped = true;
                    return Ok(());
                }
                if !spec.pause.is_zero() {
                    tokio::time::sleep(spec.pause).await;
                }
            }
        }
        .await;
        for r in lag.replicas.drain(..) {
            let _ = r.close().await;
        }
        result?;
        if !out.stopped {
            tracing::info!(
                table = %batches.target(),
                rows = out.rows,
                batches = out.batches,
                yields = out.yields,
                "fill complete"
            );
            self.progress(Progress::BackfillFinished {
                version: version.to_owned(),
                rows_done: rows_before + out.rows,
                batches: out.batches,
                duration_ms: started.elapsed().as_millis(),
            });
        }
        Ok(out)
    }

    /// Start `sql` (the VACUUM after a large backfill) on a connection of its own and return
    /// once the server runs it: the phase does not wait for it, and the server finishes it
    /// even when this process ends first (a backend notices a closed client only when it
    /// next writes to it). A contract waits for it ([`Engine::wait_for_vacuums`]): its DDL
    /// would queue behind it, and the application behind that DDL. False when it could not
    /// be started.
    async fn vacuum_behind(&self, main: &mut dyn Driver, sql: &str) -> bool {
        let Some(marked) = self.db.background_sql(sql) else {
            return false;
        };
        let mut c = match driver::connect(&self.url).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot connect to run {sql}; autovacuum will get to it");
                return false;
            }
        };
        if let Some(settings) = self.db.background_settings_sql()
            && let Err(e) = c.exec(settings).await
        {
            tracing::warn!(error = %e, "{settings} failed; the VACUUM runs without it");
        }
        let Some(started_sql) = self.db.background_started_sql(c.session_id()) else {
            let _ = c.close().await;
            return false;
        };
        let task = tokio::spawn(async move {
            let r = c.exec(&marked).await;
            let _ = c.close().await;
            r
        });
        let t0 = Instant::now();
        while t0.elapsed() < VACUUM_START {
            if task.is_finished() {
                return match task.await {
                    Ok(Ok(())) => true,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "{sql} failed; autovacuum will get to it");
                        false
                    }
                    Err(_) => false,
                };
            }
            let running = main
                .query_text(&started_sql)
                .await
                .ok()
                .and_then(driver::first)
                .is_some_and(|v| v == "true");
            if running {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tracing::warn!("{sql} did not start within {VACUUM_START:?}; autovacuum will get to it");
        false
    }

    /// Before a phase or a rollback: wait while a VACUUM started behind a backfill still runs
    /// (this run's or an earlier one's, a killed run's too), at most [`VACUUM_WAIT`]. A wait
    /// that holds no lock.
    pub(super) async fn wait_for_vacuums(&self, mon: &mut dyn Driver) {
        let Some(sql) = self.db.background_running_sql() else {
            return;
        };
        let t0 = Instant::now();
        let mut announced = false;
        loop {
            let n = mon
                .query_text(&sql)
                .await
                .ok()
                .and_then(driver::first)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            if n == 0 {
                if announced {
                    tracing::info!(
                        waited_ms = t0.elapsed().as_millis() as u64,
                        "the VACUUM after the backfill is done"
                    );
                }
                return;
            }
            if t0.elapsed() > VACUUM_WAIT {
                tracing::warn!(
                    "a VACUUM after a backfill still runs after {VACUUM_WAIT:?}; going on"
                );
                return;
            }
            if !announced {
                tracing::info!(
                    "waiting for the VACUUM after the backfill: the next phase's DDL would queue behind it"
                );
                announced = true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn connect_replica(&self, url: &DbUrl) -> Result<Box<dyn Driver>, RunError> {
        driver::connect(url).await.map_err(RunError::db)
    }

    /// Wait while a replica lags more than `max_replication_lag`.
    async fn wait_for_replicas(&self, mon: &mut dyn Driver, lag: &mut Lag, version: &str) {
        let Some(max) = lag.max else {
            return;
        };
        let mut announced = false;
        loop {
            let current = match self.db.replica_lag_on_primary() {
                Ok(()) => mon.replication_lag().await,
                Err(connected_sql) if lag.replicas.is_empty() => {
                    if !lag.checked_none {
                        // replicas pulling the binlog: say once that nobody watches them
                        let n = mon
                            .query_text(connected_sql)
                            .await
                            .ok()
                            .and_then(|r| r.first().and_then(|c| c.first().cloned().flatten()))
                            .and_then(|v| v.parse::<u64>().ok())
                            .unwrap_or(0);
                        if n > 0 {
                            tracing::warn!(
                                replicas = n,
                                "replicas are connected but `[run] replicas` lists none: max_replication_lag is not watched"
                            );
                            lag.checked_none = true;
                        }
                    }
                    Ok(None)
                }
                Err(_) => {
                    let mut worst: Option<Duration> = None;
                    let mut err = None;
                    for r in &mut lag.replicas {
                        match r.replication_lag().await {
                            Ok(Some(d)) => worst = Some(worst.map_or(d, |w| w.max(d))),
                            Ok(None) => {}
                            Err(e) => err = Some(e),
                        }
                    }
                    match err {
                        Some(e) => Err(e),
                        None => Ok(worst),
                    }
                }
            };
            match current {
                Ok(None) => {
                    if !lag.checked_none {
                        tracing::debug!("no replicas known: no throttling on replication lag");
                        lag.checked_none = true;
                    }
                    return;
                }
                Ok(Some(d)) if d <= max => return,
                Ok(Some(d)) => {
                    if !announced {
                        tracing::info!(
                            lag_ms = d.as_millis() as u64,
                            max_ms = max.as_millis() as u64,
                            "a replica lags; pausing the backfill"
                        );
                        announced = true;
                    }
                    self.progress(Progress::BackfillThrottled {
                        version: version.to_owned(),
                        lag_ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                        max_ms: max.as_millis() as u64,
                    });
                    tokio::time::sleep(LAG_POLL).await;
                }
                Err(e) => {
                    // not knowing the lag must not stop the backfill (the monitor may lack rights)
                    tracing::warn!(error = %e, "cannot read replication lag; not throttling");
                    lag.max = None;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_moves_toward_the_target_within_bounds() {
        let t = Duration::from_millis(100);
        // twice too slow: half
        assert_eq!(next_batch_size(1000, Duration::from_millis(200), t), 500);
        // much too slow: at most halved per step
        assert_eq!(next_batch_size(1000, Duration::from_secs(10), t), 500);
        // four times too fast: at most doubled per step
        assert_eq!(next_batch_size(1000, Duration::from_millis(25), t), 2000);
        // on target: unchanged
        assert_eq!(next_batch_size(1000, Duration::from_millis(100), t), 1000);
        // proportional inside the bounds
        assert_eq!(next_batch_size(1000, Duration::from_millis(80), t), 1250);
        // never below 1, never above the maximum
        assert_eq!(next_batch_size(1, Duration::from_secs(5), t), 1);
        assert_eq!(
            next_batch_size(MAX_BATCH_SIZE, Duration::ZERO, t),
            MAX_BATCH_SIZE
        );
        // converges from a tiny start on a fast table
        let mut s = 1;
        for _ in 0..30 {
            s = next_batch_size(s, Duration::from_micros(10 * s), t);
        }
        assert_eq!(s, 10_000);
    }

    #[test]
    fn numeric_types_and_checkpoint_keys() {
        assert!(is_numeric_type("bigint") && is_numeric_type("numeric(10,2)"));
        assert!(!is_numeric_type("text") && !is_numeric_type("interval"));
        let k = encode_key(&["1".into(), "a\"b".into()]);
        assert_eq!(
            decode_key(&k),
            Some(vec!["1".to_owned(), "a\"b".to_owned()])
        );
        // the first fill's checkpoint is a key alone, as a file of one fill writes it
        let key = vec!["7".to_owned()];
        assert_eq!(encode_checkpoint(0, Some(&key)), "[\"7\"]");
        assert_eq!(decode_checkpoint("[\"7\"]"), Some((0, Some(key.clone()))));
        // a later fill names itself (from 1), without a key until its first batch
        assert_eq!(encode_checkpoint(1, None), "{\"fill\":2}");
        assert_eq!(decode_checkpoint("{\"fill\":2}"), Some((1, None)));
        let later = encode_checkpoint(2, Some(&key));
        assert_eq!(later, "{\"fill\":3,\"key\":[\"7\"]}");
        assert_eq!(decode_checkpoint(&later), Some((2, Some(key))));
        assert_eq!(decode_checkpoint("{\"fill\":0}"), None);
        assert_eq!(decode_checkpoint("not json"), None);
    }

    #[test]
    fn positions_in_the_file() {
        assert_eq!(
            position_of("table = 't'\n  key = ['id']\n", "key", 0),
            "2:3"
        );
        assert_eq!(position_of("keyless = 1\nkey='id'\n", "key", 0), "2:1");
        // the second fill's
        let two = "[[fill]]\ntable = 'a'\n[[fill]]\n table = 'b'\n";
        assert_eq!(position_of(two, "table", 1), "4:2");
    }
}
