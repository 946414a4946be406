//! What the runner commands print: the outcomes of apply and rollback, the status table.

use std::fmt::Write as _;

use crate::run::url::DbUrl;
use crate::run::{self, ApplyOutcome, StatusReport};

use super::exit;

pub(super) fn print_sql(sql: &[String]) {
    let mut out = String::new();
    for s in sql {
        if s.starts_with("-- ") {
            let _ = writeln!(out, "\n{s}");
        } else {
            let _ = writeln!(out, "{};", s.trim_end().trim_end_matches(';'));
        }
    }
    print!("{out}");
}

pub(super) fn print_backfills(out: &ApplyOutcome, version: &str) {
    for b in out.backfills.iter().filter(|b| b.version == version) {
        print_backfill(b);
    }
}

pub(super) fn print_backfill(b: &run::BackfillDone) {
    let resumed = b.resumed_at.as_ref().map_or_else(String::new, |k| {
        format!(", resumed at key {k} ({} rows in all)", b.rows_total)
    });
    println!(
        "backfilled {} {} (table {}): {} row{} in {} batch{} in {} ms{}{}",
        b.version,
        b.name,
        b.table,
        b.rows,
        if b.rows == 1 { "" } else { "s" },
        b.batches,
        if b.batches == 1 { "" } else { "es" },
        b.duration_ms,
        resumed,
        if b.vacuumed {
            ", then VACUUM (ANALYZE) in the background"
        } else {
            ""
        }
    );
}

pub(super) fn render_apply(out: &ApplyOutcome, dry_run: bool, url: &DbUrl) -> u8 {
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    if dry_run {
        println!("-- dry run against {url}: nothing was executed");
        print_sql(&out.sql);
    } else {
        for d in &out.done {
            let resumed = if d.resumed_from > 0 {
                format!(", continued after statement {}", d.resumed_from)
            } else {
                String::new()
            };
            println!(
                "applied {} {} ({}): {} statement{} in {} ms{}",
                d.version,
                d.name,
                d.phase.name(),
                d.statements,
                if d.statements == 1 { "" } else { "s" },
                d.duration_ms,
                resumed
            );
            if d.phase == crate::source::Phase::Expand {
                print_backfills(out, &d.version);
            }
        }
        // backfills of migrations whose expand ran earlier
        for b in &out.backfills {
            if !out
                .done
                .iter()
                .any(|d| d.version == b.version && d.phase == crate::source::Phase::Expand)
            {
                print_backfill(b);
            }
        }
        if out.done.is_empty() && out.backfills.is_empty() && out.waiting.is_empty() {
            if out.pending.is_empty() {
                println!("nothing to apply: {url} is up to date");
            } else {
                println!(
                    "nothing to apply now: {} phase{} of the directory {} pending on {url}",
                    out.pending.len(),
                    if out.pending.len() == 1 { "" } else { "s" },
                    if out.pending.len() == 1 { "is" } else { "are" },
                );
            }
        }
    }
    for p in &out.pending {
        println!(
            "pending: {} {} ({}): {}",
            p.version,
            p.name,
            p.phase.name(),
            p.reason
        );
    }
    for w in &out.waiting {
        println!(
            "waiting: {} {} ({}): {}",
            w.version,
            w.name,
            w.phase.name(),
            w.reason
        );
    }
    if out.waiting.is_empty() {
        exit::OK
    } else {
        exit::WAITING
    }
}

pub(super) fn render_status(r: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "database: {}", r.database);
    if !r.ledger_exists {
        let _ = writeln!(out, "ledger: not created yet (the first apply creates it)");
    }
    let wv = r
        .migrations
        .iter()
        .map(|e| e.version.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let wn = r
        .migrations
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:wv$}  {:wn$}  {:8}  STATE",
        "VERSION", "NAME", "PHASE"
    );
    let mut shown = std::collections::BTreeSet::new();
    for (i, e) in r.migrations.iter().enumerate() {
        let mut state = e.state.clone();
        match e.state.as_str() {
            "applied" => {
                if let Some(t) = e.finished_at {
                    let _ = write!(state, " {}", t.format("%Y-%m-%d %H:%M:%S UTC"));
                }
                if let Some(rel) = &e.release {
                    let _ = write!(state, " release {rel}");
                }
            }
            "failed" | "running" => {
                let _ = write!(
                    state,
                    ": {} of {} statements done",
                    e.statements_done.unwrap_or(0),
                    e.statements_total.unwrap_or(0)
                );
                if let Some(err) = &e.error {
                    let first = err.lines().next().unwrap_or("");
                    let _ = write!(state, "; {first}");
                }
            }
            _ => {}
        }
        if e.drifted {
            let _ = write!(
                state,
                " | EDITED since applied: ledger checksum {}, file checksum {} (`migrate repair`)",
                e.ledger_checksum.as_deref().unwrap_or("?"),
                e.file_checksum.as_deref().unwrap_or("?")
            );
        }
        if e.file_missing {
            state.push_str(" | no file for it in the migrations directory");
        }
        let _ = writeln!(
            out,
            "{:wv$}  {:wn$}  {:8}  {}",
            e.version,
            e.name,
            e.phase.name(),
            state
        );
        // a version's backfill sits between its expand and its contract
        let next_same = r
            .migrations
            .get(i + 1)
            .is_some_and(|n| n.version == e.version);
        if e.phase == crate::source::Phase::Expand || !next_same {
            for b in r.backfills.iter().filter(|b| b.version == e.version) {
                if shown.contains(&b.version) {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "{:wv$}  {:wn$}  {:8}  {}",
                    b.version,
                    b.name,
                    "backfill",
                    backfill_state(b)
                );
                shown.insert(b.version.clone());
            }
        }
    }
    for b in r.backfills.iter().filter(|b| !shown.contains(&b.version)) {
        let _ = writeln!(
            out,
            "{:wv$}  {:wn$}  {:8}  {}",
            b.version,
            b.name,
            "backfill",
            backfill_state(b)
        );
    }
    let rollouts: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.kind == run::ledger::EVENT_ROLLOUT)
        .collect();
    if let Some(last) = rollouts.last() {
        let _ = writeln!(
            out,
            "last rollout completed: release {} at {}",
            last.release.as_deref().unwrap_or("?"),
            last.at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    out
}

pub(super) fn backfill_state(b: &run::BackfillStatus) -> String {
    let mut s = b.state.clone();
    if b.state != "pending" {
        let _ = write!(
            s,
            ": {} row{} in {} batch{}",
            b.rows_done,
            if b.rows_done == 1 { "" } else { "s" },
            b.batches,
            if b.batches == 1 { "" } else { "es" }
        );
    }
    match b.state.as_str() {
        "applied" => {
            if let Some(t) = b.finished_at {
                let _ = write!(s, ", finished {}", t.format("%Y-%m-%d %H:%M:%S UTC"));
            }
        }
        "running" | "failed" => {
            if let Some(k) = &b.last_key {
                let _ = write!(s, ", last key {k}");
            }
            if let Some(err) = &b.error {
                let _ = write!(s, "; {}", err.lines().next().unwrap_or(""));
            }
        }
        _ => {}
    }
    if b.path.is_none() {
        s.push_str(" | no backfill.toml for it in the migrations directory");
    }
    s
}
