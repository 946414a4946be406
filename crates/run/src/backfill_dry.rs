//! `migrate apply --dry-run` of a backfill: the statements its first batch of each fill runs
//! and the shape of the rest, from the ledger's checkpoint.

use sluice_core::source::Migration;
use sluice_core::source::backfill::BackfillSpec;

use super::Engine;
use super::backfill::{Loaded, decode_checkpoint, encode_checkpoint};
use super::backfill_batch::{Batches, YIELD_AFTER, YIELDS};
use super::driver::ServerVersion;
use super::ledger::{BackfillRow, State};

impl Engine {
    /// `--dry-run`: the statements of the first batch and the shape of the rest.
    pub(super) fn backfill_dry_sql(
        &self,
        m: &Migration,
        loaded: &Loaded,
        prior: Option<&BackfillRow>,
        server: &ServerVersion,
        out: &mut Vec<String>,
    ) {
        let spec = &loaded.fills[0];
        let version = m.version.raw.as_str();
        let resume = prior.filter(|r| matches!(r.state, State::Running | State::Failed));
        let (first, mut last) = resume
            .and_then(|r| r.last_key.as_deref())
            .and_then(decode_checkpoint)
            .unwrap_or((0, None));
        out.push(format!(
            "-- backfill {} {}: {} ({} rows per batch{}), each batch in its own transaction with its checkpoint",
            m.version,
            m.name,
            loaded.path.display(),
            spec.batch_size,
            if spec.target_batch_time.is_some() {
                ", adapted to target_batch_time"
            } else {
                ""
            }
        ));
        match resume {
            Some(_) => out.push(self.ledger.resume_backfill_sql(version)),
            None => {
                out.push("BEGIN".into());
                out.extend(self.ledger.start_backfill_sql(
                    version,
                    &m.name,
                    &loaded.checksum,
                    spec.batch_size,
                    &self.settings.applied_by,
                ));
                out.push("COMMIT".into());
            }
        }
        let n = loaded.fills.len();
        for (part, spec) in loaded.fills.iter().enumerate().skip(first) {
            if n > 1 {
                out.push(format!(
                    "-- fill {} of {n}: {} ({} rows per batch)",
                    part + 1,
                    spec.table,
                    spec.batch_size
                ));
            }
            let last = if part == first { last.take() } else { None };
            self.dry_fill_sql(version, spec, part, n, last.as_deref(), server, out);
        }
    }

    /// The dry-run statements of fill `part` of `n`, from `last`.
    #[allow(clippy::too_many_arguments)]
    fn dry_fill_sql(
        &self,
        version: &str,
        spec: &BackfillSpec,
        part: usize,
        n: usize,
        last: Option<&[String]>,
        server: &ServerVersion,
        out: &mut Vec<String>,
    ) {
        // without the catalog, numeric keys show as quoted literals (same meaning)
        let b = Batches::new(self.db, spec, vec![false; spec.key.len()])
            .with_read_committed(true)
            .with_yield_prefix(self.db.batch_yield_prefix(server));
        let settings = |set: String| {
            format!(
                "{set} -- after {YIELDS} tries that gave way to a row lock, the session's lock_timeout"
            )
        };
        let upper = if part == 0 {
            "[$upper]".to_owned()
        } else {
            format!("{{\"fill\":{},\"key\":[$upper]}}", part + 1)
        };
        let checkpoint = || {
            self.ledger
                .checkpoint_sql(version, &upper, 0, spec.batch_size)
                .replace("rows_done + 0", "rows_done + $rows")
        };
        // the last batch of a fill before the last starts the next one
        let end = if part + 1 < n {
            self.ledger
                .checkpoint_sql(
                    version,
                    &encode_checkpoint(part + 1, None),
                    0,
                    spec.batch_size,
                )
                .replace("rows_done + 0", "rows_done + $rows")
        } else {
            self.ledger
                .finish_backfill_sql(version, 0, 0)
                .replace("rows_done + 0", "rows_done + $rows")
        };
        if let (Some(one), Some(set)) = (
            b.one_statement_sql(last, spec.batch_size),
            b.settings_sql(Some(YIELD_AFTER)),
        ) {
            // PostgreSQL, one-column key: the upper key found by the UPDATE's statement
            out.push("BEGIN".into());
            out.push(settings(set));
            out.push(
                "-- one statement: the upper key ($upper, none for the last batch), the UPDATE, $rows"
                    .into(),
            );
            out.push(one);
            out.push(checkpoint());
            out.push("COMMIT".into());
            out.push(if part + 1 < n {
                format!("-- and so on from $last = $upper, until no upper key is found: that last batch ends at the largest key and checkpoints the start of fill {}", part + 2)
            } else {
                "-- and so on from $last = $upper, until no upper key is found: that last batch ends at the largest key and marks the backfill complete".into()
            });
            return;
        }
        out.push(b.upper_sql(last, spec.batch_size));
        let placeholder = vec!["$upper".to_owned(); spec.key.len()];
        if let Some(s) = b.isolation_sql() {
            out.push("-- each batch (unless the binary log is statement-based):".into());
            out.push(s.into());
        }
        out.push("BEGIN".into());
        if let Some(set) = b.settings_sql(Some(YIELD_AFTER)) {
            out.push(settings(set));
        }
        let update = b.update_sql(last, Some(&placeholder));
        out.push(match b.yield_prefix() {
            Some(p) => format!(
                "{p}{update} -- after {YIELDS} tries that gave way to a row lock, without the prefix"
            ),
            None => update,
        });
        out.push(checkpoint());
        out.push("COMMIT".into());
        out.push(
            "-- and so on from $last = $upper, until the SELECT finds no row; then the last batch:"
                .into(),
        );
        let last_ph = vec!["$last".to_owned(); spec.key.len()];
        out.push("BEGIN".into());
        if let Some(set) = b.settings_sql(Some(YIELD_AFTER)) {
            out.push(set);
        }
        out.push(b.update_sql(Some(&last_ph), None));
        out.push(end);
        out.push("COMMIT".into());
    }
}
