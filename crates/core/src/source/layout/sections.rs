//! dbmate and goose: one file with `-- migrate:up` / `-- +goose Up` sections.

use std::sync::Arc;

use super::build::Spec;
use super::names::dir_word;
use super::{Direction, Layout, SourceFile, SourceWarning};
use crate::source::split::{GooseMarker, goose_marker};

/// Which sectioned layout a file's content uses, if any.
pub(super) fn sniff(text: &str) -> Option<Layout> {
    text.lines().find_map(|line| match section_marker(line)? {
        (Layout::Dbmate, Marker::Section(..)) => Some(Layout::Dbmate),
        (Layout::Goose, Marker::Section(..)) => Some(Layout::Goose),
        _ => None,
    })
}

pub(super) enum Marker {
    /// Starts the up or down section; true when the marker says no transaction (dbmate).
    Section(Direction, bool),
    /// goose `NO TRANSACTION`: the whole file.
    NoTransaction,
}

/// A dbmate or goose marker line (markers must start the line, as in the tools).
pub(super) fn section_marker(line: &str) -> Option<(Layout, Marker)> {
    let body = line.strip_prefix("--")?;
    if let Some(rest) = body.trim_start().strip_prefix("migrate:") {
        let mut words = rest.split_whitespace();
        let direction = match words.next()? {
            "up" => Direction::Up,
            "down" => Direction::Down,
            _ => return None,
        };
        let no_tx = words.any(|w| w == "transaction:false");
        return Some((Layout::Dbmate, Marker::Section(direction, no_tx)));
    }
    Some((
        Layout::Goose,
        match goose_marker(body)? {
            GooseMarker::Up => Marker::Section(Direction::Up, false),
            GooseMarker::Down => Marker::Section(Direction::Down, false),
            GooseMarker::NoTransaction => Marker::NoTransaction,
            GooseMarker::Begin | GooseMarker::End => return None,
        },
    ))
}

/// The up and down sections of a dbmate / goose file.
pub(super) fn section_specs(
    file: &Arc<SourceFile>,
    layout: Layout,
    warnings: &mut Vec<SourceWarning>,
) -> Vec<Spec> {
    let text = &file.text;
    let mut marks: Vec<(usize, Direction, bool)> = Vec::new();
    let mut file_no_tx = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        match section_marker(line.trim_end()) {
            Some((l, Marker::Section(d, no_tx))) if l == layout => marks.push((offset, d, no_tx)),
            Some((l, Marker::NoTransaction)) if l == layout => file_no_tx = true,
            _ => {}
        }
        offset += line.len();
    }
    let header = 0..marks.first().map_or(text.len(), |m| m.0);
    let mut specs: Vec<Spec> = Vec::new();
    for (i, &(start, direction, no_tx)) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(text.len(), |m| m.0);
        if specs.iter().any(|s| s.direction == direction) {
            warnings.push(SourceWarning {
                path: file.path.clone(),
                message: format!(
                    "line {}: a second {} section; only the first is used",
                    file.line_col(start).line,
                    dir_word(direction)
                ),
            });
            continue;
        }
        specs.push(Spec {
            file: file.clone(),
            range: start..end,
            header: header.clone(),
            direction,
            phase: None,
            no_tx: no_tx || file_no_tx,
        });
    }
    specs
}
