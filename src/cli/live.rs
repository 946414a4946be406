//! The live view of a runner command: progress events as lines and a backfill bar on a
//! terminal, as periodic log lines otherwise (stderr; stdout stays the result).

use std::time::Duration;

use crate::run::Progress;

/// Progress on stderr (stdout stays the result): lines and a backfill progress bar on a
/// terminal; otherwise backfill progress as `tracing` lines every few seconds.
pub(super) struct LiveView {
    pub(super) tty: bool,
    pub(super) bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    pub(super) last_log: std::sync::Mutex<Option<std::time::Instant>>,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

impl LiveView {
    pub(super) fn show(&self, p: &Progress) {
        if self.tty {
            self.show_tty(p);
        } else {
            self.log(p);
        }
    }

    fn show_tty(&self, p: &Progress) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            Progress::BackfillStarted {
                version,
                name,
                table,
                estimated_rows,
                rows_done,
                resumed_at,
            } => {
                if let Some(k) = resumed_at {
                    eprintln!("{version} {name} (backfill of {table}): resuming at key {k}");
                }
                let b = indicatif::ProgressBar::new(estimated_rows.unwrap_or(0).max(*rows_done));
                let style = indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {human_pos}/{human_len} rows, {msg}, ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
                b.set_style(style);
                b.set_prefix(format!("{version} {name} (backfill of {table})"));
                b.set_position(*rows_done);
                b.reset_eta();
                *bar = Some(b);
            }
            Progress::BackfillBatch {
                rows_done,
                rows_per_s,
                ..
            } => {
                if let Some(b) = bar.as_ref() {
                    if b.length().is_some_and(|l| l < *rows_done) {
                        b.set_length(*rows_done);
                    }
                    b.set_position(*rows_done);
                    b.set_message(format!("{rows_per_s:.0} rows/s"));
                }
            }
            Progress::BackfillThrottled { lag_ms, max_ms, .. } => {
                if let Some(b) = bar.as_ref() {
                    b.set_message(format!("paused: replica lag {lag_ms} ms > {max_ms} ms"));
                }
            }
            Progress::BackfillFinished { .. } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            other => match bar.as_ref() {
                Some(b) => b.suspend(|| print_progress(other)),
                None => print_progress(other),
            },
        }
    }

    /// Not a terminal: backfill progress as log lines, at most one per LOG_EVERY.
    fn log(&self, p: &Progress) {
        match p {
            Progress::BackfillStarted {
                version,
                table,
                estimated_rows,
                rows_done,
                resumed_at,
                ..
            } => {
                tracing::info!(
                    version,
                    table,
                    estimated_rows,
                    rows_done,
                    resumed_at,
                    "backfill started"
                );
            }
            Progress::BackfillBatch {
                version,
                rows_done,
                batches,
                batch_size,
                rows_per_s,
                estimated_rows,
            } => {
                let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
                let now = std::time::Instant::now();
                if last.is_none_or(|t| now.duration_since(t) >= LOG_EVERY) {
                    *last = Some(now);
                    let eta_s = estimated_rows
                        .filter(|t| *t > *rows_done && *rows_per_s > 0.0)
                        .map(|t| ((t - rows_done) as f64 / rows_per_s).round() as u64);
                    tracing::info!(
                        version,
                        rows_done,
                        batches,
                        batch_size,
                        rows_per_s = rows_per_s.round() as u64,
                        estimated_rows,
                        eta_s,
                        "backfill progress"
                    );
                }
            }
            Progress::BackfillThrottled {
                version,
                lag_ms,
                max_ms,
            } => {
                tracing::info!(version, lag_ms, max_ms, "backfill paused: replica lag");
            }
            Progress::Tool {
                version,
                tool,
                table,
                percent,
                line,
            } => {
                // copy percentages at most once per LOG_EVERY; every other line as it comes
                if percent.is_some() {
                    let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
                    let now = std::time::Instant::now();
                    if last.is_some_and(|t| now.duration_since(t) < LOG_EVERY)
                        && *percent != Some(100)
                    {
                        return;
                    }
                    *last = Some(now);
                }
                tracing::info!(version, tool, table, percent, "{line}");
            }
            Progress::BackfillFinished {
                version,
                rows_done,
                batches,
                duration_ms,
            } => {
                let duration_ms = *duration_ms as u64;
                tracing::info!(
                    version,
                    rows_done,
                    batches,
                    duration_ms,
                    "backfill finished"
                );
            }
            _ => {}
        }
    }
}

/// The live view's lines on a terminal.
fn print_progress(p: &Progress) {
    match p {
        Progress::LockWaiting { holder } => eprintln!(
            "waiting for the migration lock{}",
            holder.map_or_else(String::new, |h| format!(" (held by session {h})"))
        ),
        Progress::PhaseStarted {
            version,
            name,
            phase,
            statements,
            transactional,
        } => eprintln!(
            "{version} {name} ({}): {statements} statement{}{}",
            phase.name(),
            if *statements == 1 { "" } else { "s" },
            if *transactional {
                ", one transaction"
            } else {
                ", one by one"
            }
        ),
        Progress::Statement {
            index, total, line, ..
        } => eprintln!("  statement {index}/{total} (line {line})"),
        Progress::Retrying {
            attempt, delay_ms, ..
        } => eprintln!("  lock timeout: retry {attempt} in {delay_ms} ms"),
        Progress::Tool {
            tool, table, line, ..
        } => eprintln!("  {tool} ({table}): {line}"),
        Progress::BackfillStarted { .. }
        | Progress::BackfillBatch { .. }
        | Progress::BackfillThrottled { .. }
        | Progress::BackfillFinished { .. } => {}
    }
}
