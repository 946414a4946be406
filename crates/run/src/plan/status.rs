//! The status report: each migration's phases as the files and the ledger say.

use std::path::PathBuf;

use super::{row_map, script_checksum};
use crate::RunError;
use crate::ledger::{BackfillRow, Event, LedgerRow, State};
use crate::{BackfillStatus, StatusEntry, StatusReport};
use sluice_core::source::{Direction, Migration, Phase, Version};

pub(crate) fn status_report(
    database: String,
    ledger_exists: bool,
    migrations: &[Migration],
    rows: &[LedgerRow],
    fills: &[BackfillRow],
    events: Vec<Event>,
) -> Result<StatusReport, RunError> {
    let by_key = row_map(rows)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut entries = Vec::new();
    for m in migrations {
        for phase in [Phase::Expand, Phase::Contract] {
            let Some(s) = m.script(phase, Direction::Up) else {
                continue;
            };
            let sum = script_checksum(s);
            let row = by_key.get(&(m.version.clone(), phase)).copied();
            seen.insert((m.version.clone(), phase));
            entries.push(StatusEntry {
                version: m.version.raw.clone(),
                name: m.name.clone(),
                phase,
                state: row
                    .map_or("pending", |r| match r.state {
                        State::RolledBack => "pending",
                        s => s.name(),
                    })
                    .to_owned(),
                drifted: row.is_some_and(|r| r.state == State::Applied && r.checksum != sum),
                file_missing: false,
                path: Some(s.file.path.clone()),
                file_checksum: Some(sum),
                ledger_checksum: row.map(|r| r.checksum.clone()),
                statements_done: row.map(|r| r.statements_done),
                statements_total: row.map(|r| r.statements_total),
                finished_at: row.and_then(|r| r.finished_at),
                duration_ms: row.and_then(|r| r.duration_ms),
                release: row.and_then(|r| r.release.clone()),
                applied_by: row.map(|r| r.applied_by.clone()),
                error: row.and_then(|r| r.error.clone()),
            });
        }
    }
    for ((v, phase), r) in &by_key {
        if seen.contains(&(v.clone(), *phase)) || r.state == State::RolledBack {
            continue;
        }
        entries.push(StatusEntry {
            version: r.version.clone(),
            name: r.name.clone(),
            phase: *phase,
            state: r.state.name().to_owned(),
            drifted: false,
            file_missing: true,
            path: None,
            file_checksum: None,
            ledger_checksum: Some(r.checksum.clone()),
            statements_done: Some(r.statements_done),
            statements_total: Some(r.statements_total),
            finished_at: r.finished_at,
            duration_ms: r.duration_ms,
            release: r.release.clone(),
            applied_by: Some(r.applied_by.clone()),
            error: r.error.clone(),
        });
    }
    // every entry's version came from a file or from a checked ledger row
    entries.sort_by(|a, b| {
        let va = Version::parse_any(&a.version);
        let vb = Version::parse_any(&b.version);
        va.cmp(&vb).then(a.phase.cmp(&b.phase))
    });
    let mut backfills: Vec<BackfillStatus> = Vec::new();
    let entry = |version: &str, name: &str, path: Option<PathBuf>, r: Option<&BackfillRow>| {
        BackfillStatus {
            version: version.to_owned(),
            name: name.to_owned(),
            state: r.map_or("pending", |r| r.state.name()).to_owned(),
            path,
            rows_done: r.map_or(0, |r| r.rows_done),
            batches: r.map_or(0, |r| r.batches),
            batch_size: r.map(|r| r.batch_size),
            last_key: r.and_then(|r| r.last_key.clone()),
            started_at: r.and_then(|r| r.started_at),
            finished_at: r.and_then(|r| r.finished_at),
            duration_ms: r.and_then(|r| r.duration_ms),
            error: r.and_then(|r| r.error.clone()),
        }
    };
    for m in migrations {
        if let Some(path) = &m.backfill {
            let r = fills.iter().find(|r| r.version == m.version.raw);
            backfills.push(entry(&m.version.raw, &m.name, Some(path.clone()), r));
        }
    }
    for r in fills {
        if !backfills.iter().any(|b| b.version == r.version) {
            backfills.push(entry(&r.version, &r.name, None, Some(r)));
        }
    }
    backfills.sort_by(|a, b| Version::parse_any(&a.version).cmp(&Version::parse_any(&b.version)));
    Ok(StatusReport {
        database,
        ledger_exists,
        migrations: entries,
        backfills,
        events,
    })
}
