//! Results: per-run figures, median and spread over repeats, the JSON shape and the table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::load::Sample;
use crate::monitor::LockWait;

#[derive(Debug, Serialize)]
pub struct Results {
    /// Changes only on incompatible changes of this shape.
    pub version: u32,
    pub params: Params,
    pub changes: Vec<ChangeResult>,
    pub backfill: Option<BackfillResult>,
}

#[derive(Debug, Serialize)]
pub struct Params {
    pub rows: u32,
    pub clients: u32,
    pub rate: f64,
    pub repeat: u32,
    pub duration_scale: crate::Scale,
    pub mode: crate::Mode,
    /// `--backfill-batch-time`: the what-if override of every backfill's target batch time.
    pub backfill_batch_time: Option<String>,
    /// `--backfill-pause`: the what-if override of every backfill's pause between batches.
    pub backfill_pause: Option<String>,
    /// `--osc-chunk-time`: the what-if override of pt-online-schema-change's chunk time.
    pub osc_chunk_time: Option<String>,
    /// `postgres` or `mysql` (MariaDB).
    pub engine: crate::db::Engine,
    pub server_version: String,
}

#[derive(Debug, Serialize)]
pub struct ChangeResult {
    pub change: String,
    pub naive_sql: String,
    /// What `migrate plan` was given (or, when `planned` is false, the migration `migrate
    /// apply` ran as written, with its `-- sluice:strategy`).
    pub sluice_sql: String,
    pub planned: bool,
    /// `naive` and `sluice`.
    pub modes: BTreeMap<String, ModeResult>,
}

#[derive(Debug, Serialize)]
pub struct ModeResult {
    pub summary: Summary,
    pub runs: Vec<RunResult>,
}

/// One step of a run (the naive script, a `migrate` call), in ms since the load started.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    pub start_ms: f64,
    pub end_ms: f64,
    /// Exit code of a `migrate` call; `None` for SQL run directly.
    pub exit_code: Option<i32>,
}

#[derive(Debug, Serialize)]
pub struct RunResult {
    /// The migration (and, for Sluice, the tool) completed.
    pub ok: bool,
    pub error: Option<String>,
    /// The change is in the database afterwards (schema and data as the naive SQL leaves them).
    pub done: bool,
    /// The longest stall: the highest latency of the queries in flight while a migration step
    /// (the naive SQL, a `migrate` call) ran.
    pub stall_ms: f64,
    /// p99 of those queries.
    pub stall_p99_ms: f64,
    pub queries: u64,
    pub failed: u64,
    pub failed_by_kind: BTreeMap<String, u64>,
    /// The highest latency of any query of the run: the highest latency of any query.
    pub max_latency_ms: f64,
    /// When that query was scheduled, in ms since the migration started (negative: before).
    pub max_latency_at_ms: f64,
    /// The noise floor: the highest latency of the queries done before the migration started.
    pub before_max_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Time spent migrating (Sluice: the `migrate apply` calls, not the rollout window).
    pub migration_ms: f64,
    /// Longest transaction the migration held open (sampled every few ms from `pg_stat_activity`);
    /// on MySQL its longest running statement (from the process list).
    pub longest_migration_xact_ms: f64,
    /// The lock sampler: who waited on whom, longest first.
    pub lock_waits: Vec<LockWait>,
    pub migration_start_ms: f64,
    pub steps: Vec<Step>,
    #[serde(skip)]
    pub samples: Vec<Sample>,
}

/// Median and spread (min, max) of one figure over the repeats.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Spread {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Spread {
                median: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            f64::midpoint(v[n / 2 - 1], v[n / 2])
        };
        Spread {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub runs: usize,
    pub runs_ok: usize,
    pub stall_ms: Spread,
    pub stall_p99_ms: Spread,
    pub max_latency_ms: Spread,
    pub p50_ms: Spread,
    pub p99_ms: Spread,
    pub failed: Spread,
    pub failed_by_kind: BTreeMap<String, Spread>,
    pub migration_ms: Spread,
    pub before_max_ms: Spread,
}

impl Summary {
    pub fn of(runs: &[RunResult]) -> Summary {
        let f = |g: fn(&RunResult) -> f64| Spread::of(&runs.iter().map(g).collect::<Vec<_>>());
        let kinds: std::collections::BTreeSet<&String> =
            runs.iter().flat_map(|r| r.failed_by_kind.keys()).collect();
        let failed_by_kind = kinds
            .into_iter()
            .map(|k| {
                let v: Vec<f64> = runs
                    .iter()
                    .map(|r| r.failed_by_kind.get(k).copied().unwrap_or(0) as f64)
                    .collect();
                (k.clone(), Spread::of(&v))
            })
            .collect();
        Summary {
            runs: runs.len(),
            runs_ok: runs.iter().filter(|r| r.ok).count(),
            stall_ms: f(|r| r.stall_ms),
            stall_p99_ms: f(|r| r.stall_p99_ms),
            max_latency_ms: f(|r| r.max_latency_ms),
            p50_ms: f(|r| r.p50_ms),
            p99_ms: f(|r| r.p99_ms),
            failed: f(|r| r.failed as f64),
            failed_by_kind,
            migration_ms: f(|r| r.migration_ms),
            before_max_ms: f(|r| r.before_max_ms),
        }
    }
}

/// Latency figures of a set of samples.
pub struct Latency {
    pub queries: u64,
    pub failed: u64,
    pub failed_by_kind: BTreeMap<String, u64>,
    pub max_ms: f64,
    /// Scheduled start of the slowest query.
    pub max_at_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // p in 0..=100: the rank is within 0..=len, clamped below
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn latency<'a>(samples: impl Iterator<Item = &'a Sample>) -> Latency {
    let mut lat = Vec::new();
    let mut failed_by_kind = BTreeMap::new();
    let (mut max_ms, mut max_at_ms) = (0.0f64, 0.0f64);
    for s in samples {
        lat.push(s.latency_ms);
        if s.latency_ms > max_ms {
            (max_ms, max_at_ms) = (s.latency_ms, s.at_ms);
        }
        if let Some(k) = &s.error {
            *failed_by_kind.entry(k.clone()).or_insert(0) += 1;
        }
    }
    lat.sort_by(f64::total_cmp);
    Latency {
        queries: lat.len() as u64,
        failed: failed_by_kind.values().sum(),
        failed_by_kind,
        max_ms,
        max_at_ms,
        p50_ms: percentile(&lat, 50.0),
        p99_ms: percentile(&lat, 99.0),
    }
}

#[derive(Debug, Serialize)]
pub struct BackfillRun {
    pub ok: bool,
    pub error: Option<String>,
    /// Rows the fill updated (Sluice: `rows_done` of its ledger row).
    pub rows: u64,
    /// Rows whose column is set at the end (the table's rows; old-code inserts are filled by
    /// Sluice's trigger only when the planner adds one).
    pub rows_filled: u64,
    /// Sluice's batches (its ledger row).
    pub batches: Option<i64>,
    /// The fill's own time: the UPDATE; Sluice: the ledger's `duration_ms` of the batches.
    pub duration_ms: f64,
    /// Wall time of the step (Sluice: the whole `migrate apply`, expand and VACUUM included).
    pub wall_ms: f64,
    pub rows_per_s: f64,
    /// Longest transaction of the filler (the whole UPDATE; Sluice: its longest batch),
    /// sampled from `pg_stat_activity`.
    pub longest_batch_ms: f64,
    /// The lock sampler: who waited on whom, longest first.
    pub lock_waits: Vec<LockWait>,
    /// Application queries scheduled while the fill ran: how long they waited.
    pub load_queries: u64,
    pub load_failed: u64,
    pub load_max_ms: f64,
    pub load_p99_ms: f64,
    pub steps: Vec<Step>,
}

#[derive(Debug, Serialize)]
pub struct BackfillSummary {
    pub rows_per_s: Spread,
    pub duration_ms: Spread,
    pub longest_batch_ms: Spread,
    pub load_max_ms: Spread,
    pub load_p99_ms: Spread,
    pub load_failed: Spread,
}

impl BackfillSummary {
    pub fn of(runs: &[BackfillRun]) -> BackfillSummary {
        let f = |g: fn(&BackfillRun) -> f64| Spread::of(&runs.iter().map(g).collect::<Vec<_>>());
        BackfillSummary {
            rows_per_s: f(|r| r.rows_per_s),
            duration_ms: f(|r| r.duration_ms),
            longest_batch_ms: f(|r| r.longest_batch_ms),
            load_max_ms: f(|r| r.load_max_ms),
            load_p99_ms: f(|r| r.load_p99_ms),
            load_failed: f(|r| r.load_failed as f64),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BackfillMode {
    pub summary: BackfillSummary,
    pub runs: Vec<BackfillRun>,
}

#[derive(Debug, Serialize)]
pub struct BackfillResult {
    /// What each side runs.
    pub naive_sql: String,
    pub backfill_toml: String,
    /// `naive` (one UPDATE) and `sluice` (batched backfill).
    pub modes: BTreeMap<String, BackfillMode>,
    /// Sluice's median rows/s over the single UPDATE's.
    pub throughput_ratio: f64,
}

fn ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1}s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The lock waits of several runs merged per (waiter, blocker, statement): the three with
/// the longest waits.
fn worst_waits(all: &[&LockWait]) -> Vec<LockWait> {
    let mut merged: Vec<LockWait> = Vec::new();
    for w in all {
        match merged.iter_mut().find(|m| {
            m.waiter == w.waiter && m.blocker == w.blocker && m.blocker_sql == w.blocker_sql
        }) {
            Some(m) => {
                m.max_wait_ms = m.max_wait_ms.max(w.max_wait_ms);
                m.samples += w.samples;
            }
            None => merged.push((*w).clone()),
        }
    }
    merged.sort_by(|a, b| b.max_wait_ms.total_cmp(&a.max_wait_ms));
    merged.truncate(3);
    merged
}

fn spread(s: &Spread, f: fn(f64) -> String) -> String {
    if s.min == s.max {
        f(s.median)
    } else {
        format!("{} ({}-{})", f(s.median), f(s.min), f(s.max))
    }
}

/// The compact stdout table: medians, with min-max when the repeats differ.
pub fn table(r: &Results) -> String {
    let mut out = String::new();
    let count = |v: f64| format!("{v:.0}");
    if !r.changes.is_empty() {
        let _ = writeln!(
            out,
            "{} {}, {} rows, {} clients, {} q/s, {} repeat(s). Latency in ms, median (min-max) over the repeats.\n\
             stall: highest latency of the queries in flight while a migration step ran; p99 of those;\n\
             run max: highest of the whole run; quiet max: highest before the migration (the noise floor)",
            r.params.engine.name(),
            r.params.server_version,
            r.params.rows,
            r.params.clients,
            r.params.rate,
            r.params.repeat
        );
        let _ = writeln!(
            out,
            "{:<20} {:<7} {:>20} {:>18} {:>10} {:>10} {:>6} {:>24} migration",
            "change", "mode", "stall", "p99", "run max", "quiet max", "p50", "failed"
        );
        for c in &r.changes {
            for (mode, m) in &c.modes {
                let s = &m.summary;
                let mut failed = spread(&s.failed, count);
                if !s.failed_by_kind.is_empty() {
                    let kinds: Vec<&str> = s.failed_by_kind.keys().map(String::as_str).collect();
                    failed = format!("{failed} {}", kinds.join(","));
                }
                let mut migration = spread(&s.migration_ms, ms);
                if s.runs_ok < s.runs {
                    migration = format!(
                        "{migration} [{} of {} runs FAILED]",
                        s.runs - s.runs_ok,
                        s.runs
                    );
                }
                let _ = writeln!(
                    out,
                    "{:<20} {:<7} {:>20} {:>18} {:>10} {:>10} {:>6} {:>24} {}",
                    c.change,
                    mode,
                    spread(&s.stall_ms, ms),
                    spread(&s.stall_p99_ms, ms),
                    ms(s.max_latency_ms.median),
                    ms(s.before_max_ms.median),
                    ms(s.p50_ms.median),
                    failed,
                    migration
                );
            }
        }
    }
    let mut waits = Vec::new();
    for c in &r.changes {
        for (mode, m) in &c.modes {
            let all: Vec<&LockWait> = m.runs.iter().flat_map(|r| &r.lock_waits).collect();
            waits.push((format!("{} {mode}", c.change), worst_waits(&all)));
        }
    }
    if let Some(b) = &r.backfill {
        for (mode, m) in &b.modes {
            let all: Vec<&LockWait> = m.runs.iter().flat_map(|r| &r.lock_waits).collect();
            waits.push((format!("backfill {mode}"), worst_waits(&all)));
        }
    }
    if !waits.is_empty() {
        let _ = writeln!(
            out,
            "\nlock waits (sampled every 5 ms, over all repeats): waiter <- blocker, longest wait seen, samples"
        );
        for (what, w) in waits {
            if w.is_empty() {
                let _ = writeln!(out, "{what:<28} none seen");
            }
            for (i, l) in w.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:<28} {} <- {} `{}`: {} ms, {}",
                    if i == 0 { what.as_str() } else { "" },
                    l.waiter,
                    l.blocker,
                    l.blocker_sql,
                    ms(l.max_wait_ms),
                    l.samples
                );
            }
        }
    }
    if let Some(b) = &r.backfill {
        let _ = writeln!(
            out,
            "\nbackfill of {} rows: {:<7} {:>16} {:>14} {:>18} {:>16} {:>14}",
            r.params.rows,
            "mode",
            "rows/s",
            "duration ms",
            "longest batch ms",
            "writers max ms",
            "writers p99"
        );
        for (mode, m) in &b.modes {
            let s = &m.summary;
            let _ = writeln!(
                out,
                "{:<29}{:<7} {:>16} {:>14} {:>18} {:>16} {:>14}",
                "",
                mode,
                count(s.rows_per_s.median),
                ms(s.duration_ms.median),
                ms(s.longest_batch_ms.median),
                ms(s.load_max_ms.median),
                ms(s.load_p99_ms.median)
            );
        }
        let _ = writeln!(
            out,
            "sluice/naive throughput: {:.0}%",
            b.throughput_ratio * 100.0
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_odd_and_even_counts() {
        let s = Spread::of(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Spread::of(&[4.0, 1.0, 2.0, 3.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        assert_eq!(Spread::of(&[]).max, 0.0);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }

    #[test]
    fn failures_counted_by_kind() {
        let s = |lat: f64, e: Option<&str>| Sample {
            at_ms: 0.0,
            latency_ms: lat,
            op: crate::load::Op::Read,
            error: e.map(str::to_owned),
        };
        let l = latency(
            [
                s(1.0, None),
                s(5.0, Some("undefined_column")),
                s(2.0, Some("undefined_column")),
            ]
            .iter(),
        );
        assert_eq!(l.queries, 3);
        assert_eq!(l.failed, 2);
        assert_eq!(l.failed_by_kind["undefined_column"], 2);
        assert_eq!(l.max_ms, 5.0);
    }
}
