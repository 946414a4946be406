//! The engine as it was before it went parallel and streaming: one thread, every script
//! parsed and replayed in order, every change-set script held until the end. The tests
//! compare the parallel engine's findings with this one's.

use std::collections::BTreeSet;
use std::sync::Arc;

use sluice_core::catalog::{Catalog, Origin};
use sluice_core::source::{Direction, Migration, Phase};

use super::LintReport;
use crate::context::{ChangeSet, ScriptCx};
use crate::settings::LintSettings;

pub(super) fn run(
    settings: &LintSettings,
    seed: Catalog,
    history: &[Migration],
    changes: &[Migration],
    each_migration_alone: bool,
) -> LintReport {
    let all = super::in_version_order(history, changes);

    let mut report = LintReport::default();
    let mut seen_files = BTreeSet::new();
    let mut lint_one = |cx: &ScriptCx<'_>, report: &mut LintReport| {
        if seen_files.insert(cx.script.file.path.clone()) {
            report.files.push(cx.script.file.clone());
        }
        report.stats.scripts += 1;
        for st in &cx.statements {
            report.stats.statements += 1;
            match st.parsed {
                crate::context::Parsed::Ok(_) => report.stats.parsed += 1,
                crate::context::Parsed::Unparsed(_) => report.stats.unparsed += 1,
                crate::context::Parsed::SyntaxError(_) => report.stats.syntax_errors += 1,
                crate::context::Parsed::ClientCommand => report.stats.parsed += 1,
            }
        }
        super::lint_script(cx, &mut report.diagnostics);
    };

    let mut catalog = seed;
    let mut cxs: Vec<ScriptCx<'_>> = Vec::new();
    let no_uses = Arc::new(ChangeSet::default());
    for (m, in_change) in all {
        if each_migration_alone {
            catalog.settle();
        }
        catalog.set_origin(if in_change {
            Origin::ChangeSet
        } else {
            Origin::History
        });
        let first = cxs.len();
        for phase in [Phase::Expand, Phase::Contract] {
            let ups = m
                .scripts
                .iter()
                .filter(|s| s.phase == phase && s.direction == Direction::Up);
            for script in ups {
                let cx = ScriptCx::build_on(settings, m, script, &mut catalog, in_change);
                if in_change {
                    cxs.push(cx);
                }
            }
            if !in_change {
                continue;
            }
            // a down script runs on the state its up left; it does not change the replay
            let downs = m
                .scripts
                .iter()
                .filter(|s| s.phase == phase && s.direction == Direction::Down);
            for script in downs {
                let mut scratch = catalog.clone();
                cxs.push(ScriptCx::build_on(settings, m, script, &mut scratch, true));
            }
        }
        if each_migration_alone {
            // the migration is its own change: lint it now and let it go
            let after = Arc::new(catalog.clone());
            for mut cx in cxs.drain(first..) {
                cx.set_change_set(after.clone(), no_uses.clone());
                lint_one(&cx, &mut report);
            }
        }
    }

    let final_catalog = Arc::new(catalog);
    let change_set = Arc::new(ChangeSet {
        uses: cxs
            .iter()
            .filter(|cx| cx.direction() == Direction::Up)
            .flat_map(ScriptCx::object_uses)
            .collect(),
    });
    for mut cx in cxs {
        cx.set_change_set(final_catalog.clone(), change_set.clone());
        lint_one(&cx, &mut report);
    }
    report.stats.files = report.files.len();
    report.diagnostics.sort_by(|a, b| {
        (&a.path, a.start, a.rule, &a.message).cmp(&(&b.path, b.start, b.rule, &b.message))
    });
    report.diagnostics.dedup_by(|a, b| {
        a.path == b.path && a.range == b.range && a.rule == b.rule && a.message == b.message
    });
    report
}
