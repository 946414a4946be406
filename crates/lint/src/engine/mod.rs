//! The lint engine: runs every enabled rule over every script, applies phases, severities and
//! suppressions, and returns sorted diagnostics. Pure: no I/O, no printing.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use rayon::prelude::*;
use sluice_core::source::directives::{self, Directive, RuleRef};
use sluice_core::source::split::Comment;
use sluice_core::source::{Direction, LineCol, Migration, Phase, Script, SourceFile};

#[cfg(test)]
mod serial;
#[cfg(test)]
mod tests;

use super::context::{ChangeSet, Parked, ScriptCx, Tx};
use super::lock::LockInfo;
use super::registry;
use super::rewrites::{self, Rewrite};
use super::rule::{Category, Dialects, Hit, PhaseScope, Related, Rule, Severity};
use super::settings::LintSettings;
use super::settings::Runner;
use sluice_core::catalog::{Catalog, Origin};

/// One finding, positioned and ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    pub path: PathBuf,
    /// 1-based start (inclusive) and end (exclusive) positions.
    pub start: LineCol,
    pub end: LineCol,
    #[serde(skip)]
    pub range: Range<usize>,
    pub message: String,
    pub lock: Option<LockInfo>,
    /// Mostly the rule's own help: borrowed, not copied into each of thousands of findings.
    pub help: Cow<'static, str>,
    /// Found by scanning the tokens of a statement the parser could not read.
    pub token_scan: bool,
    pub related: Vec<Related>,
    /// The statement's phase.
    pub phase: Phase,
}

/// The result of a lint run.
#[derive(Debug, Default, Clone)]
pub struct LintReport {
    /// Sorted by path, position, rule.
    pub diagnostics: Vec<Diagnostic>,
    /// The files the diagnostics point into, for snippets.
    pub files: Vec<Arc<SourceFile>>,
    pub stats: LintStats,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct LintStats {
    pub files: usize,
    pub scripts: usize,
    pub statements: usize,
    pub parsed: usize,
    pub unparsed: usize,
    pub syntax_errors: usize,
}

impl LintReport {
    /// Is there a finding at or above `level`?
    pub fn fails(&self, level: Severity) -> bool {
        self.diagnostics.iter().any(|d| d.severity >= level)
    }

    pub fn file(&self, path: &std::path::Path) -> Option<&Arc<SourceFile>> {
        self.files.iter().find(|f| f.path == path)
    }

    /// One report of several (e.g. one per migrations directory): findings sorted again.
    pub fn merge(parts: Vec<LintReport>) -> LintReport {
        let mut out = LintReport::default();
        let mut seen = BTreeSet::new();
        for p in parts {
            for f in p.files {
                if seen.insert(f.path.clone()) {
                    out.files.push(f);
                }
            }
            out.diagnostics.extend(p.diagnostics);
            let (s, t) = (&mut out.stats, p.stats);
            s.scripts += t.scripts;
            s.statements += t.statements;
            s.parsed += t.parsed;
            s.unparsed += t.unparsed;
            s.syntax_errors += t.syntax_errors;
        }
        out.stats.files = out.files.len();
        sort_diagnostics(&mut out.diagnostics);
        out
    }
}

/// Lint every script of `migrations` (no history). Each migration is judged on the schema
/// the earlier ones left: a table is new only in the migration that creates it (its files
/// and phases), as when the migrations were deployed one by one.
pub fn lint(settings: &LintSettings, migrations: &[Migration]) -> LintReport {
    run(
        settings,
        Catalog::new(settings.dialect),
        &[],
        migrations,
        true,
    )
}

/// Lint the `changes` on top of the `history`: every migration is replayed into the schema
/// catalog in version order (history and changes interleaved by version), and only the
/// change set's scripts are reported. Tables created in the change set are new (lock rules
/// skip them); tables of the history are existing.
pub fn lint_change_set(
    settings: &LintSettings,
    history: &[Migration],
    changes: &[Migration],
) -> LintReport {
    run(
        settings,
        Catalog::new(settings.dialect),
        history,
        changes,
        false,
    )
}

/// [`lint_change_set`] starting from `seed` instead of an empty catalog (e.g. a schema read
/// from a live database): its objects are existing ones, the history replays on top of it.
pub fn lint_change_set_on(
    settings: &LintSettings,
    seed: Catalog,
    history: &[Migration],
    changes: &[Migration],
) -> LintReport {
    run(settings, seed, history, changes, false)
}

/// The schema `history` leaves on top of `seed`: every up script replayed in version order.
pub fn replay(settings: &LintSettings, seed: Catalog, history: &[Migration]) -> Catalog {
    let mut ordered: Vec<(&Migration, bool)> = history.iter().map(|m| (m, false)).collect();
    ordered.sort_by(|a, b| a.0.version.cmp(&b.0.version));
    let mut catalog = seed;
    catalog.set_origin(Origin::History);
    for batch in batches(&ordered) {
        for mut cx in parse_batch(settings, batch) {
            cx.replay(&mut catalog, false);
        }
    }
    catalog.settle();
    catalog
}

/// Migrations parsed ahead of the replay, per batch: enough to keep every core busy, few
/// enough that a batch's syntax trees stay small next to the files.
const BATCH: usize = 8;

/// Script text per batch, at most (a batch holds at least one migration): syntax trees take
/// about 50 times their text (lemmy's 33 KB file of views: 1.7 MB). Two batches are alive
/// at once, one parsing while the other is replayed and linted, unless the one being linted
/// is this big already.
const BATCH_BYTES: usize = 16 * 1024;

/// `all` cut into batches of [`BATCH`] migrations or [`BATCH_BYTES`] of script text,
/// whichever comes first.
fn batches<'a, 'm>(all: &'a [(&'m Migration, bool)]) -> Vec<&'a [(&'m Migration, bool)]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, one) in all.iter().enumerate() {
        bytes += text_len(std::slice::from_ref(one));
        if i + 1 - start == BATCH || bytes >= BATCH_BYTES {
            out.push(&all[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < all.len() {
        out.push(&all[start..]);
    }
    out
}

/// The length of the scripts of `batch` the replay takes.
fn text_len(batch: &[(&Migration, bool)]) -> usize {
    batch
        .iter()
        .flat_map(|&(m, in_change)| scripts_of(m, in_change))
        .map(|s| s.range.len())
        .sum()
}

/// Scripts parse in parallel (they are independent), the catalog replays them in version
/// order on one thread while the next batch parses, and the rules run in parallel on the
/// replayed scripts. A change-set script is linted as soon as it is replayed; the few whose
/// rules ask for the end of the change set (the final catalog, the other scripts' uses) are
/// parsed and linted again once it is known. The result is the one a serial run gives: every
/// script's findings are put back in replay order before the sort.
fn run(
    settings: &LintSettings,
    seed: Catalog,
    history: &[Migration],
    changes: &[Migration],
    each_migration_alone: bool,
) -> LintReport {
    let all = in_version_order(history, changes);
    let batches = batches(&all);

    let mut state = Replay {
        catalog: seed,
        each_migration_alone,
        no_uses: Arc::new(ChangeSet::default()),
        seq: 0,
        linted: Vec::new(),
        deferred: Vec::new(),
        uses: Vec::new(),
    };
    let mut parsed = batches
        .first()
        .map(|b| parse_batch(settings, b))
        .unwrap_or_default();
    for (i, batch) in batches.iter().enumerate() {
        let current = std::mem::take(&mut parsed);
        let state = &mut state;
        let parse_next = || {
            batches
                .get(i + 1)
                .map(|b| parse_batch(settings, b))
                .unwrap_or_default()
        };
        parsed = if text_len(batch) < BATCH_BYTES {
            rayon::join(|| state.batch(batch, current), parse_next).1
        } else {
            state.batch(batch, current);
            parse_next()
        };
    }
    let Replay {
        catalog,
        mut linted,
        deferred,
        uses,
        ..
    } = state;

    // the change set's end is known: lint the scripts that asked for it
    let final_catalog = Arc::new(catalog);
    let change_set = Arc::new(ChangeSet { uses });
    linted.par_extend(deferred.into_par_iter().map(|(seq, parked)| {
        let mut cx = parked.unpark();
        cx.set_change_set(final_catalog.clone(), change_set.clone());
        (seq, lint_one(&cx))
    }));
    linted.sort_by_key(|(seq, _)| *seq);

    let mut report = LintReport::default();
    report
        .diagnostics
        .reserve_exact(linted.iter().map(|(_, one)| one.diagnostics.len()).sum());
    let mut seen_files = BTreeSet::new();
    for (_, one) in linted {
        if seen_files.insert(one.file.path.clone()) {
            report.files.push(one.file);
        }
        let s = &mut report.stats;
        s.scripts += 1;
        s.statements += one.stats.statements;
        s.parsed += one.stats.parsed;
        s.unparsed += one.stats.unparsed;
        s.syntax_errors += one.stats.syntax_errors;
        report.diagnostics.extend(one.diagnostics);
    }
    report.stats.files = report.files.len();
    sort_diagnostics(&mut report.diagnostics);
    report
}

/// History and changes in version order, each marked whether it is in the change set;
/// stable: equal versions keep the order given (history first).
fn in_version_order<'a>(
    history: &'a [Migration],
    changes: &'a [Migration],
) -> Vec<(&'a Migration, bool)> {
    let mut all: Vec<(&Migration, bool)> = history
        .iter()
        .map(|m| (m, false))
        .chain(changes.iter().map(|m| (m, true)))
        .collect();
    all.sort_by(|a, b| a.0.version.cmp(&b.0.version));
    all
}

/// Sort by path, position, rule and message (stable), then drop repeats. Paths compare
/// component by component, which is slow: each distinct path is ranked once. The findings
/// move in place (a directory can have thousands): only their order is sorted aside.
fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    let ranks: Vec<usize> = {
        // diagnostics come in runs of one file
        let mut paths: Vec<&std::path::Path> = Vec::new();
        for d in diagnostics.iter() {
            if paths.last() != Some(&d.path.as_path()) {
                paths.push(&d.path);
            }
        }
        paths.sort();
        paths.dedup();
        let mut ranks = Vec::with_capacity(diagnostics.len());
        let mut last: Option<(&std::path::Path, usize)> = None;
        for d in diagnostics.iter() {
            let r = match last {
                Some((p, r)) if p == d.path => r,
                _ => paths.binary_search(&d.path.as_path()).unwrap_or(usize::MAX),
            };
            last = Some((&d.path, r));
            ranks.push(r);
        }
        ranks
    };
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&diagnostics[i], &diagnostics[j]);
        (ranks[i], a.start, a.rule, &a.message).cmp(&(ranks[j], b.start, b.rule, &b.message))
    });
    permute(diagnostics, order);
    diagnostics.dedup_by(|a, b| {
        a.path == b.path && a.range == b.range && a.rule == b.rule && a.message == b.message
    });
}

/// Put `v[order[i]]` at `i`, in place: each cycle of the permutation is followed once.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..v.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

/// The scripts of a migration in the order the replay takes them: per phase its ups, then
/// (change set only) its downs, each on the state its up left.
fn scripts_of(m: &Migration, in_change: bool) -> impl Iterator<Item = &Script> {
    [Phase::Expand, Phase::Contract]
        .into_iter()
        .flat_map(move |phase| {
            let of = move |d: Direction| {
                m.scripts
                    .iter()
                    .filter(move |s| s.phase == phase && s.direction == d)
            };
            of(Direction::Up).chain(of(Direction::Down).filter(move |_| in_change))
        })
}

/// Parse every script of a batch, in parallel, in replay order.
fn parse_batch<'a>(
    settings: &'a LintSettings,
    batch: &[(&'a Migration, bool)],
) -> Vec<ScriptCx<'a>> {
    let scripts: Vec<(&Migration, &Script)> = batch
        .iter()
        .flat_map(|&(m, in_change)| scripts_of(m, in_change).map(move |s| (m, s)))
        .collect();
    scripts
        .into_par_iter()
        .map(|(m, s)| ScriptCx::parse(settings, m, s))
        .collect()
}

/// What one script's lint gives.
struct Linted {
    file: Arc<SourceFile>,
    stats: LintStats,
    diagnostics: Vec<Diagnostic>,
}

fn lint_one(cx: &ScriptCx<'_>) -> Linted {
    let mut stats = LintStats::default();
    for st in &cx.statements {
        stats.statements += 1;
        match st.parsed {
            super::context::Parsed::Ok(_) => stats.parsed += 1,
            super::context::Parsed::Unparsed(_) => stats.unparsed += 1,
            super::context::Parsed::SyntaxError(_) => stats.syntax_errors += 1,
            super::context::Parsed::ClientCommand => stats.parsed += 1,
        }
    }
    let mut diagnostics = Vec::new();
    lint_script(cx, &mut diagnostics);
    // held until the run ends
    diagnostics.shrink_to_fit();
    Linted {
        file: cx.script.file.clone(),
        stats,
        diagnostics,
    }
}

/// The in-order part of a run: the catalog and what the replay has produced so far.
struct Replay<'a> {
    catalog: Catalog,
    each_migration_alone: bool,
    no_uses: Arc<ChangeSet>,
    /// Replay position of the next change-set script.
    seq: usize,
    linted: Vec<(usize, Linted)>,
    /// Change-set scripts waiting for the end of the change set.
    deferred: Vec<(usize, Parked<'a>)>,
    /// What the change set's up scripts touch, in replay order.
    uses: Vec<super::context::ObjectUse>,
}

impl<'a> Replay<'a> {
    /// Replay a parsed batch in order, then lint its change-set scripts in parallel.
    fn batch(&mut self, batch: &[(&'a Migration, bool)], parsed: Vec<ScriptCx<'a>>) {
        let mut parsed = parsed.into_iter();
        let mut ready: Vec<(usize, ScriptCx<'a>)> = Vec::new();
        for &(m, in_change) in batch {
            if self.each_migration_alone {
                self.catalog.settle();
            }
            self.catalog.set_origin(if in_change {
                Origin::ChangeSet
            } else {
                Origin::History
            });
            let first = ready.len();
            for _ in scripts_of(m, in_change) {
                let Some(mut cx) = parsed.next() else {
                    unreachable!("parse_batch parses every script of the batch")
                };
                if cx.direction() == Direction::Up {
                    cx.replay(&mut self.catalog, in_change);
                } else {
                    // a down script runs on the state its up left; it does not change the replay
                    let mut scratch = self.catalog.clone();
                    cx.replay(&mut scratch, true);
                }
                if in_change {
                    ready.push((self.seq, cx));
                    self.seq += 1;
                }
            }
            if self.each_migration_alone {
                // the migration is its own change: judged on the schema right after it
                let after = Arc::new(self.catalog.clone());
                for (_, cx) in &mut ready[first..] {
                    cx.set_change_set(after.clone(), self.no_uses.clone());
                }
            } else {
                for (_, cx) in &mut ready[first..] {
                    cx.set_provisional();
                    if cx.direction() == Direction::Up {
                        self.uses.extend(cx.object_uses());
                    }
                }
            }
        }
        // each script is dropped as soon as it is linted: its syntax trees and per-statement
        // catalogs are most of the memory
        let results: Vec<(usize, Result<Linted, Parked<'a>>)> = ready
            .into_par_iter()
            .map(|(seq, cx)| {
                let one = lint_one(&cx);
                // a provisional lint that asked for the change set's end is done again later
                if cx.asked_final() {
                    (seq, Err(cx.park()))
                } else {
                    (seq, Ok(one))
                }
            })
            .collect();
        for (seq, one) in results {
            match one {
                Ok(one) => self.linted.push((seq, one)),
                Err(parked) => self.deferred.push((seq, parked)),
            }
        }
    }
}

/// Does `rule` apply to this script at all (dialect, phase, direction)?
fn applies(rule: &dyn Rule, cx: &ScriptCx<'_>) -> bool {
    let meta = rule.meta();
    let dialect_ok = match meta.dialects {
        Dialects::All => true,
        Dialects::Postgres => cx.dialect() == sluice_core::sql::Dialect::Postgres,
        Dialects::Mysql => cx.dialect() == sluice_core::sql::Dialect::Mysql,
    };
    let phase_ok = !(meta.phase == PhaseScope::ContractOnly && cx.phase() == Phase::Contract);
    let direction_ok =
        !(cx.direction() == Direction::Down && meta.category == Category::Compatibility);
    dialect_ok && phase_ok && direction_ok
}

/// An ignore comment and whether it suppressed anything.
struct Ignore {
    /// Statement it covers; `None` = whole script.
    stmt: Option<usize>,
    /// Empty = every rule (squawk-ignore-file without names).
    rules: Vec<(RuleRef, Option<&'static str>)>,
    comment: Range<usize>,
    used: Vec<bool>,
    used_any: bool,
}

fn lint_script(cx: &ScriptCx<'_>, out: &mut Vec<Diagnostic>) {
    let mut hits: Vec<(&'static dyn Rule, Hit)> = Vec::new();
    for rule in registry::all() {
        if cx.settings.severity(rule.meta()).is_none() || !applies(*rule, cx) {
            continue;
        }
        let mut found = Vec::new();
        rule.check(cx, &mut found);
        hits.extend(found.into_iter().map(|h| (*rule, h)));
    }

    let mut ignores = collect_ignores(cx);
    hits.retain(|(rule, hit)| !suppressed(&mut ignores, rule.meta().id, hit.stmt));

    // unused-ignore is computed after the others and cannot suppress itself
    let unused = registry::lookup("unused-ignore").expect("registered");
    let unused_on = cx.settings.severity(unused.meta()).is_some();
    for ig in &ignores {
        if !unused_on {
            break;
        }
        for ((r, id), used) in ig.rules.iter().zip(&ig.used) {
            let msg = match id {
                None => format!("`{}` is not a known rule; this ignore does nothing", r.name),
                Some(_) if !used => {
                    format!("`{}` is ignored here, but it reports nothing here", r.name)
                }
                Some(_) => continue,
            };
            let stmt = ig.stmt.unwrap_or(0);
            hits.push((unused, Hit::new(stmt, msg).span(r.range.clone())));
        }
        if ig.rules.is_empty() && !ig.used_any {
            let stmt = ig.stmt.unwrap_or(0);
            hits.push((
                unused,
                Hit::new(stmt, "this ignore suppresses nothing").span(ig.comment.clone()),
            ));
        }
    }

    for (rule, hit) in hits {
        let meta = rule.meta();
        let Some(mut severity) = cx.settings.severity(meta) else {
            continue;
        };
        let stmt = cx.statements.get(hit.stmt);
        if hit.warning_only
            || (meta.category == Category::Locks && stmt.is_some_and(|s| on_small_tables(cx, s)))
        {
            severity = severity.min(Severity::Warning);
        }
        let rewrite = stmt.and_then(|s| runner_rewrite(cx, s, meta.id));
        if rewrite.is_some() {
            severity = severity.min(Severity::Warning);
        }
        let range = hit
            .span
            .clone()
            .or_else(|| stmt.map(|s| s.range.clone()))
            .unwrap_or(cx.script.range.start..cx.script.range.start);
        let file = cx.file();
        let mut help = hit.help.map_or(Cow::Borrowed(meta.help), Cow::Owned);
        if let Some(r) = rewrite {
            help = format!(
                "{} (see `migrate apply --dry-run`); otherwise: {help}",
                r.describe()
            )
            .into();
        }
        if meta.has_recipe && !hit.no_recipe {
            // point at the command that writes the safe version of this very file
            let run = format!("`migrate plan {}`", file.path.display());
            if help.contains("`migrate plan`") {
                help = help.replace("`migrate plan`", &run).into();
            } else {
                help.to_mut().push_str(&format!("; or run {run}"));
            }
        }
        out.push(Diagnostic {
            rule: meta.id,
            severity,
            path: file.path.clone(),
            start: file.line_col(range.start),
            end: file.line_col(range.end),
            range,
            message: hit.message,
            lock: hit.lock,
            help,
            token_scan: stmt.is_some_and(|s| s.token_scan) && meta.id != "unparsed-statement",
            related: hit.related,
            phase: cx.phase(),
        });
    }
}

/// The runner's rewrite that answers `rule`'s finding on `st`, when the sluice runner runs
/// the script (the one table: `rewrites`).
fn runner_rewrite(cx: &ScriptCx<'_>, st: &super::context::Stmt, rule: &str) -> Option<Rewrite> {
    if cx.settings.runner.effective(cx.migration.layout) != Runner::Sluice || st.tx == Tx::Explicit
    {
        return None;
    }
    let [op] = st.ops.as_slice() else {
        return None;
    };
    let text = &cx.file().text;
    let pinned = st
        .leading_comments
        .iter()
        .filter_map(|c| directives::parse(text, c))
        .any(|d| matches!(d, Directive::Strategy(n) if n.trim() == "plain"));
    if pinned {
        return None;
    }
    let server = if cx.dialect() == sluice_core::sql::Dialect::Postgres {
        cx.settings.server_version
    } else {
        0
    };
    rewrites::of(cx.dialect(), server, op, st.tx == Tx::Wrapped)
        .filter(|r| r.certain() && r.answers(cx.phase()).contains(&rule))
        .filter(|r| *r != Rewrite::BatchedDelete || batchable(cx, st, op))
}

/// Does the runner batch `op`'s `DELETE` on the schema before `st`? Its batches walk the
/// table's primary key, and a foreign key of the table to itself that refuses the delete
/// of a referenced row (`NO ACTION`, the default, or `RESTRICT`) keeps it one statement
/// (the runner checks the same on the live table).
fn batchable(
    cx: &ScriptCx<'_>,
    st: &super::context::Stmt,
    op: &sluice_core::sql::Operation,
) -> bool {
    let Some(t) = op.table().and_then(|t| cx.catalog(st.index).table(t)) else {
        return false;
    };
    let refuses = |c: &sluice_core::catalog::Constraint| {
        c.kind == sluice_core::sql::ops::ConstraintKind::ForeignKey
            && c.references.as_ref().is_some_and(|r| {
                r.name == t.name.name
                    && (r.schema.is_none() || t.name.schema.is_none() || r.schema == t.name.schema)
            })
            && !c.fk_clause.as_deref().is_some_and(|f| {
                let f = f.to_ascii_uppercase();
                [
                    "ON DELETE CASCADE",
                    "ON DELETE SET NULL",
                    "ON DELETE SET DEFAULT",
                ]
                .iter()
                .any(|a| f.contains(a))
            })
    };
    t.has_primary_key() && !t.constraints.iter().any(refuses)
}

/// Does the statement touch only tables known (from a live database) to be small?
fn on_small_tables(cx: &ScriptCx<'_>, st: &super::context::Stmt) -> bool {
    if cx.settings.table_rows.is_empty() {
        return false;
    }
    // a foreign key also locks the table it references
    let referenced = st.ops.iter().filter_map(|op| match op {
        sluice_core::sql::Operation::AddConstraint { constraint, .. } => {
            constraint.references.as_ref()
        }
        _ => None,
    });
    let mut tables = st
        .ops
        .iter()
        .filter_map(|op| op.table())
        .chain(referenced)
        .peekable();
    tables.peek().is_some() && tables.all(|t| cx.settings.is_small_table(t))
}

fn collect_ignores(cx: &ScriptCx<'_>) -> Vec<Ignore> {
    let text = &cx.file().text;
    let mut ignores = Vec::new();
    let mut push = |stmt: Option<usize>, c: &Comment| match directives::parse(text, c) {
        // a statement ignore with no statement after it covers nothing (reported as unused)
        Some(Directive::Ignore { rules, .. }) => {
            ignores.push(Ignore::new(Some(stmt.unwrap_or(usize::MAX)), rules, c));
        }
        Some(Directive::IgnoreFile { rules }) => ignores.push(Ignore::new(None, rules, c)),
        _ => {}
    };
    for st in &cx.statements {
        for c in st.leading_comments.iter().chain(&st.trailing_comments) {
            push(Some(st.index), c);
        }
    }
    for c in &cx.orphan_comments {
        push(None, c);
    }
    ignores
}

impl Ignore {
    fn new(stmt: Option<usize>, rules: Vec<RuleRef>, c: &Comment) -> Self {
        let rules: Vec<_> = rules
            .into_iter()
            .map(|r| {
                let id = registry::lookup(&r.name).map(|rule| rule.meta().id);
                (r, id)
            })
            .collect();
        Ignore {
            stmt,
            used: vec![false; rules.len()],
            rules,
            comment: c.range.clone(),
            used_any: false,
        }
    }
}

fn suppressed(ignores: &mut [Ignore], rule: &'static str, stmt: usize) -> bool {
    let mut hit = false;
    for ig in ignores.iter_mut() {
        if ig.stmt.is_some_and(|s| s != stmt) {
            continue;
        }
        if ig.rules.is_empty() {
            ig.used_any = true;
            hit = true;
            continue;
        }
        for ((_, id), used) in ig.rules.iter().zip(ig.used.iter_mut()) {
            if *id == Some(rule) {
                *used = true;
                ig.used_any = true;
                hit = true;
            }
        }
    }
    hit
}

/// Lint a snippet of SQL as one migration of the plain layout, e.g. a rule's documentation
/// example. The snippet's own comments set what the file layout would: `-- sluice:phase
/// contract`, `-- sluice:no-transaction` (and the other tools' markers), `-- sluice:irreversible
/// <reason>`. The migration gets an empty down script, so missing-down-migration stays
/// silent; use [`lint_snippet_without_down`] to lint an up script that has none.
pub fn lint_snippet(settings: &LintSettings, name: &str, sql: &str) -> LintReport {
    lint(settings, &[snippet_migration(settings, name, sql, true)])
}

/// [`lint_snippet`] for a lone up script: the migration has no down script.
pub fn lint_snippet_without_down(settings: &LintSettings, name: &str, sql: &str) -> LintReport {
    lint(settings, &[snippet_migration(settings, name, sql, false)])
}

fn snippet_migration(
    _settings: &LintSettings,
    name: &str,
    sql: &str,
    with_down: bool,
) -> Migration {
    use sluice_core::source::{Layout, Script};

    // load_file reads the directives; an in-memory text never fails to load
    let mut m = sluice_core::source::load_file(std::path::Path::new(name), Some(sql.to_owned()))
        .expect("in-memory snippet");
    // a snippet stands for the up script of a phased migration
    m.layout = Layout::Native;
    m.scripts.retain(|s| s.direction == Direction::Up);
    if with_down && let Some(up) = m.scripts.first().cloned() {
        let down = SourceFile::new(format!("{name}.down"), String::new());
        m.scripts.push(Script {
            range: 0..0,
            file: down,
            direction: Direction::Down,
            no_transaction_marker: false,
            irreversible: None,
            ..up
        });
    }
    m
}

#[cfg(test)]
mod permute_tests {
    use super::permute;

    #[test]
    fn puts_each_element_where_the_order_says() {
        for order in [
            vec![],
            vec![0],
            vec![1, 0],
            vec![2, 0, 1],
            vec![0, 3, 1, 2, 4],
            vec![5, 4, 3, 2, 1, 0],
        ] {
            let mut v: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            let want: Vec<usize> = order.iter().map(|&i| v[i]).collect();
            permute(&mut v, order);
            assert_eq!(v, want);
        }
    }
}

#[cfg(test)]
mod seed_tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use sluice_core::sql::Operation;
    use sluice_core::sql::ops::{ColumnSpec, ObjName};

    fn table(name: &str) -> Operation {
        Operation::CreateTable {
            table: ObjName::new(Some("public"), name),
            columns: vec![ColumnSpec::new("a".into(), "bigint".into())],
            constraints: Vec::new(),
            if_not_exists: false,
            from_query: false,
        }
    }

    #[test]
    fn lock_findings_on_small_live_tables_are_warnings() {
        // a runner that builds indexes as written (sluice's would build them CONCURRENTLY)
        let mut settings = LintSettings {
            large_table_rows: 1000,
            runner: Runner::Sqlx,
            ..LintSettings::default()
        };
        settings.table_rows = Arc::new(BTreeMap::from([
            (ObjName::new(Some("public"), "small"), 10),
            (ObjName::new(Some("public"), "big"), 5000),
        ]));
        let mut seed = Catalog::new(settings.dialect);
        seed.apply(&table("small"));
        seed.apply(&table("big"));
        let m = snippet_migration(
            &settings,
            "1_x.sql",
            "CREATE INDEX i ON small (a);\nCREATE INDEX j ON big (a);\nCREATE INDEX k ON other (a);\n",
            true,
        );
        let report = lint_change_set_on(&settings, seed, &[], &[m]);
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.rule == "require-concurrent-index-creation")
            .map(|d| (d.start.line, d.severity))
            .collect();
        assert_eq!(
            found,
            [
                (1, Severity::Warning),
                (2, Severity::Error),
                // no estimate: unknown size stays an error
                (3, Severity::Error),
            ]
        );
    }
}

#[cfg(test)]
mod rewrite_tests {
    use super::*;

    fn found(runner: Runner, sql: &str) -> Vec<(&'static str, usize, Severity, String)> {
        let settings = LintSettings {
            runner,
            ..LintSettings::default()
        };
        let history = snippet_migration(
            &settings,
            "1_t.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int);\nCREATE TABLE users (id bigint PRIMARY KEY);\n",
            true,
        );
        let mut m = snippet_migration(&settings, "2_x.sql", sql, true);
        m.version = sluice_core::source::Version::parse("2").expect("digits");
        lint_change_set(&settings, &[history], &[m])
            .diagnostics
            .into_iter()
            .filter(|d| d.rule != "prefer-robust-stmts")
            .map(|d| (d.rule, d.start.line, d.severity, d.help.into_owned()))
            .collect()
    }

    /// What the sluice runner makes online is a warning saying so; another runner, which
    /// runs it as written, keeps the error.
    #[test]
    fn the_runner_rewrites_decide_with_one_table() {
        let index = "CREATE INDEX orders_user_idx ON orders (user_id);\n";
        let sluice = found(Runner::Auto, index);
        assert_eq!(sluice.len(), 1, "{sluice:?}");
        assert_eq!(sluice[0].0, "require-concurrent-index-creation");
        assert_eq!(sluice[0].2, Severity::Warning);
        assert!(sluice[0].3.contains("CONCURRENTLY"), "{}", sluice[0].3);
        let sqlx = found(Runner::Sqlx, index);
        let sqlx: Vec<_> = sqlx.iter().filter(|d| d.0 == sluice[0].0).collect();
        assert_eq!(sqlx[0].2, Severity::Error, "{sqlx:?}");

        let validate = "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n";
        let rule = |v: &[(&str, usize, Severity, String)]| {
            v.iter()
                .filter(|d| d.0 == "validate-in-same-transaction")
                .map(|d| (d.1, d.2))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            rule(&found(Runner::Sluice, validate)),
            [(2, Severity::Warning)]
        );
        assert_eq!(rule(&found(Runner::Sqlx, validate)), [(2, Severity::Error)]);
        // in a BEGIN .. COMMIT of the file the runner keeps the statements as written
        let block = format!("BEGIN;\n{validate}COMMIT;\n");
        assert_eq!(rule(&found(Runner::Sluice, &block)), [(3, Severity::Error)]);
        // pinned plain: as written
        let pinned =
            "-- sluice:strategy plain\nCREATE INDEX orders_user_idx ON orders (user_id);\n";
        let p = found(Runner::Sluice, pinned);
        assert_eq!(p[0].2, Severity::Error, "{p:?}");
    }
}

#[cfg(test)]
mod compound_tests {
    use super::*;
    use sluice_core::sql::Dialect;

    /// The linter splits as the runner does: a stored-program body or a `BEGIN ATOMIC` body
    /// is one statement, never a run of broken pieces or a transaction of the file's own.
    #[test]
    fn lint_sees_a_stored_program_body_as_one_statement() {
        let my = LintSettings {
            dialect: Dialect::Mysql,
            ..LintSettings::default()
        };
        let sql = "DROP PROCEDURE IF EXISTS p;\nCREATE PROCEDURE p(IN t VARCHAR(64))\nBEGIN\n  IF EXISTS(SELECT 1) THEN\n    SELECT 1;\n  END IF;\nEND;\nCALL p('x');\n";
        let r = lint_snippet(&my, "1_p.sql", sql);
        assert_eq!(r.stats.statements, 3, "{:?}", r.diagnostics);
        assert_eq!(r.stats.syntax_errors, 0);
        assert!(
            !r.diagnostics
                .iter()
                .any(|d| d.rule == "transaction-nesting"),
            "{:?}",
            r.diagnostics
        );
        let pg = LintSettings::default();
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;\nSELECT 2;\n";
        let r = lint_snippet(&pg, "1_f.sql", sql);
        assert_eq!(
            (r.stats.statements, r.stats.parsed),
            (2, 2),
            "{:?}",
            r.diagnostics
        );
    }
}
