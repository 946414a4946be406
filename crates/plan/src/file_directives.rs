//! The naive script's file-level directives, which no step carries: `-- sluice:phase` and
//! `-- sluice:irreversible` are the plan's to decide (noted, not copied), and an
//! `ignore-file` stays with the phase files that still trigger the rules it names.

use std::collections::{BTreeMap, BTreeSet};

use sluice_core::source::directives::{self, Directive};
use sluice_lint::context::ScriptCx;
use sluice_lint::registry;

use crate::PlanPhase;

/// What the naive script's `ignore-file` comments silence: every rule (`all`: one without
/// rule names), else the rule ids.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileIgnores {
    all: bool,
    rules: BTreeSet<&'static str>,
    /// Where each comment was, for the note.
    lines: Vec<(usize, String)>,
}

impl FileIgnores {
    pub(crate) fn is_empty(&self) -> bool {
        !self.all && self.rules.is_empty()
    }

    /// Does an `ignore-file` of the naive script name `rule`?
    pub(crate) fn covers(&self, rule: &str) -> bool {
        self.all || self.rules.contains(rule)
    }
}

/// The rules an `ignore-file` keeps silencing in each generated script, by phase and
/// direction (`true`: the down, so that a phase's up comes first).
pub(crate) type KeptIgnores = BTreeMap<(PlanPhase, bool), BTreeSet<&'static str>>;

/// Read the naive script's file-level directives: notes for those the plan replaces, and the
/// `ignore-file` rules to carry over.
pub(crate) fn read(cx: &ScriptCx<'_>) -> (FileIgnores, Vec<String>) {
    let mut notes = Vec::new();
    let text = &cx.file().text;
    let comments = cx
        .statements
        .iter()
        .flat_map(|st| st.leading_comments.iter().chain(&st.trailing_comments))
        .chain(&cx.orphan_comments);
    let mut ignores = FileIgnores::default();
    for c in comments {
        let line = cx.file().line_col(c.range.start).line;
        let written = text[c.range.clone()].trim_end();
        match directives::parse(text, c) {
            Some(Directive::Phase(_)) => notes.push(format!(
                "line {line}: `{written}` is not carried over: the plan puts each step in the phase it needs, and each phase file says its own"
            )),
            Some(Directive::Irreversible(_)) => notes.push(format!(
                "line {line}: `{written}` is not carried over: the plan writes a down script for each phase it can invert, and marks the phases it cannot"
            )),
            Some(Directive::IgnoreFile { rules }) => {
                if rules.is_empty() {
                    ignores.all = true;
                }
                ignores.rules.extend(
                    rules
                        .iter()
                        .filter_map(|r| registry::lookup(&r.name))
                        .map(|r| r.meta().id),
                );
                ignores.lines.push((line, written.to_owned()));
            }
            _ => {}
        }
    }
    (ignores, notes)
}

/// The note for the carried `ignore-file` comments, once the plan's files are known.
pub(crate) fn ignore_note(ignores: &FileIgnores, kept: &KeptIgnores) -> Option<String> {
    let (line, written) = ignores.lines.first()?;
    let files: Vec<String> = kept
        .iter()
        .map(|((phase, down), rules)| {
            let dir = if *down { "down" } else { "up" };
            let rules: Vec<&str> = rules.iter().copied().collect();
            format!("{}.{dir} ({})", phase.name(), rules.join(", "))
        })
        .collect();
    Some(if files.is_empty() {
        format!(
            "line {line}: `{written}` is not carried over: no phase file triggers the rules it names"
        )
    } else {
        format!(
            "line {line}: `{written}` is kept where its rules still fire: {}",
            files.join("; ")
        )
    })
}
