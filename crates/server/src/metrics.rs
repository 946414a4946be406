//! Prometheus text exposition (format 0.0.4), written by hand: a few counters and sums.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    /// (kind, outcome) -> (count, total seconds)
    runs: Mutex<BTreeMap<(String, String), (u64, f64)>>,
    pub lock_retries: AtomicU64,
    pub backfill_rows: AtomicU64,
    pub running: AtomicU64,
}

impl Metrics {
    pub fn run_finished(&self, kind: &str, outcome: &str, seconds: f64) {
        if let Ok(mut m) = self.runs.lock() {
            let e = m.entry((kind.to_owned(), outcome.to_owned())).or_default();
            e.0 += 1;
            e.1 += seconds;
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let runs = self.runs.lock().map(|m| m.clone()).unwrap_or_default();
        out.push_str("# HELP sluice_runs_total Runs started by the server, by kind and outcome.\n# TYPE sluice_runs_total counter\n");
        for ((k, o), (n, _)) in &runs {
            let _ = writeln!(out, "sluice_runs_total{{kind=\"{k}\",outcome=\"{o}\"}} {n}");
        }
        out.push_str("# HELP sluice_run_duration_seconds Time spent in runs.\n# TYPE sluice_run_duration_seconds summary\n");
        for ((k, o), (n, s)) in &runs {
            let _ = writeln!(
                out,
                "sluice_run_duration_seconds_sum{{kind=\"{k}\",outcome=\"{o}\"}} {s}\nsluice_run_duration_seconds_count{{kind=\"{k}\",outcome=\"{o}\"}} {n}"
            );
        }
        let _ = write!(
            out,
            "# HELP sluice_runs_in_progress Runs in progress.\n# TYPE sluice_runs_in_progress gauge\nsluice_runs_in_progress {}\n\
             # HELP sluice_lock_retries_total Statements retried after a lock timeout.\n# TYPE sluice_lock_retries_total counter\nsluice_lock_retries_total {}\n\
             # HELP sluice_backfill_rows_total Rows written by backfills.\n# TYPE sluice_backfill_rows_total counter\nsluice_backfill_rows_total {}\n",
            self.running.load(Ordering::Relaxed),
            self.lock_retries.load(Ordering::Relaxed),
            self.backfill_rows.load(Ordering::Relaxed),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format() {
        let m = Metrics::default();
        m.run_finished("pre-deploy", "applied", 1.5);
        m.run_finished("pre-deploy", "applied", 0.5);
        m.lock_retries.fetch_add(3, Ordering::Relaxed);
        let t = m.render();
        assert!(
            t.contains("sluice_runs_total{kind=\"pre-deploy\",outcome=\"applied\"} 2\n"),
            "{t}"
        );
        assert!(
            t.contains(
                "sluice_run_duration_seconds_sum{kind=\"pre-deploy\",outcome=\"applied\"} 2\n"
            ),
            "{t}"
        );
        assert!(t.contains("sluice_lock_retries_total 3\n"));
        // every sample line is `name{labels} value` or `name value`
        for l in t.lines().filter(|l| !l.starts_with('#')) {
            let v = l.rsplit(' ').next().unwrap();
            assert!(v.parse::<f64>().is_ok(), "{l}");
        }
    }
}
