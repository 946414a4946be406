//! One document from several reports rendered a part at a time (the CLI lints migration
//! directories one after another and prints each part as it comes, holding no more than
//! one directory's findings, and not their text: a part is handed over about a hundred
//! findings at a time). The output is the one [`super::render`] gives for the
//! [`LintReport::merge`] of the parts, as long as the parts come in path order.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{Format, RenderOptions, gcc, github, human, json, render};
use rayon::prelude::*;

use crate::engine::{Diagnostic, LintReport, LintStats};
use crate::rule::Severity;

pub struct Stream {
    format: Format,
    opts: RenderOptions,
    stats: LintStats,
    errors: usize,
    warnings: usize,
    /// Files with findings (human summary).
    paths: BTreeSet<PathBuf>,
    /// Is a finding at or above this level there?
    fails_on: Severity,
    fails: bool,
    started: bool,
    /// Formats rendered as one document at the end (SARIF, GitLab, Markdown): the parts so far.
    held: Vec<LintReport>,
}

impl Stream {
    pub fn new(format: Format, opts: RenderOptions, fails_on: Severity) -> Self {
        Stream {
            format,
            opts,
            stats: LintStats::default(),
            errors: 0,
            warnings: 0,
            paths: BTreeSet::new(),
            fails_on,
            fails: false,
            started: false,
            held: Vec::new(),
        }
    }

    /// Hand the text of one more part to `emit`, in pieces of about a hundred findings for the
    /// formats printed as they come (a part can be a directory of thousands of findings).
    pub fn part<E>(
        &mut self,
        report: LintReport,
        mut emit: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<(), E> {
        let s = report.stats;
        self.stats.files += s.files;
        self.stats.scripts += s.scripts;
        self.stats.statements += s.statements;
        self.stats.parsed += s.parsed;
        self.stats.unparsed += s.unparsed;
        self.stats.syntax_errors += s.syntax_errors;
        self.fails |= report.fails(self.fails_on);
        let (errors, warnings) = super::counts(&report);
        let before = self.errors + self.warnings;
        self.errors += errors;
        self.warnings += warnings;
        let first = !self.started;
        self.started = true;
        let all = &report.diagnostics;
        match self.format {
            Format::Gcc => in_parallel(all, |_, d| gcc::line(d), &mut emit),
            Format::Github => in_parallel(all, |_, d| github::line(d), &mut emit),
            Format::Json => {
                if first {
                    emit(&json::open())?;
                }
                in_parallel(all, |i, d| json::item(d, before + i > 0), &mut emit)
            }
            Format::Human => {
                self.paths
                    .extend(report.diagnostics.iter().map(|d| d.path.clone()));
                let renderer = human::renderer(self.opts.color);
                all.iter()
                    .try_for_each(|d| emit(&human::finding(&renderer, &report, d)))
            }
            Format::Sarif | Format::Gitlab | Format::Markdown => {
                self.held.push(report);
                Ok(())
            }
        }
    }

    /// The text that closes the document.
    pub fn finish(self) -> String {
        match self.format {
            Format::Gcc | Format::Github => String::new(),
            Format::Json => json::close(&self.stats, self.errors, self.warnings, !self.started),
            Format::Human => human::summary_line(
                &human::summary_of(
                    self.errors,
                    self.warnings,
                    self.paths.len(),
                    self.stats.files,
                ),
                self.opts.color,
            ),
            Format::Sarif | Format::Gitlab | Format::Markdown => {
                render(&LintReport::merge(self.held), self.format, &self.opts)
            }
        }
    }

    /// Did any part have a finding at or above the fail level?
    pub fn fails(&self) -> bool {
        self.fails
    }
}

/// Findings rendered a chunk at a time, each chunk on every core, handed over in order: a
/// directory's findings can be tens of thousands of lines, and only one chunk's text is held.
fn in_parallel<E>(
    all: &[Diagnostic],
    one: impl Fn(usize, &Diagnostic) -> String + Sync,
    mut emit: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    const CHUNK: usize = 1024;
    const PIECE: usize = 128;
    for (c, chunk) in all.chunks(CHUNK).enumerate() {
        let pieces: Vec<String> = chunk
            .par_chunks(PIECE)
            .enumerate()
            .map(|(p, piece)| {
                let at = c * CHUNK + p * PIECE;
                piece
                    .iter()
                    .enumerate()
                    .map(|(i, d)| one(at + i, d))
                    .collect()
            })
            .collect();
        pieces.iter().try_for_each(|s| emit(s))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    /// The fixture split into one part per file.
    fn parts() -> (LintReport, Vec<LintReport>) {
        let whole = fixture::report();
        let mut parts = Vec::new();
        for f in &whole.files {
            let mut p = LintReport {
                files: vec![f.clone()],
                ..LintReport::default()
            };
            p.diagnostics = whole
                .diagnostics
                .iter()
                .filter(|d| d.path == f.path)
                .cloned()
                .collect();
            p.stats.files = 1;
            parts.push(p);
        }
        let mut whole = LintReport::merge(parts.clone());
        whole.stats = LintStats {
            files: parts.len(),
            ..LintStats::default()
        };
        (whole, parts)
    }

    #[test]
    fn parts_render_as_the_whole() {
        let (whole, parts) = parts();
        assert!(whole.diagnostics.len() > 3);
        for &format in <Format as clap::ValueEnum>::value_variants() {
            let opts = RenderOptions::default();
            let mut stream = Stream::new(format, opts, Severity::Error);
            let mut out = String::new();
            for p in parts.clone() {
                stream
                    .part(p, |s| {
                        out.push_str(s);
                        Ok::<_, std::convert::Infallible>(())
                    })
                    .unwrap();
            }
            assert!(stream.fails());
            out.push_str(&stream.finish());
            assert_eq!(out, render(&whole, format, &opts), "{format:?}");
        }
    }

    /// A part of more findings than one rendering chunk: the pieces rendered on several
    /// threads come out in order, JSON's separators included.
    #[test]
    fn a_large_part_renders_in_order() {
        let (whole, _) = parts();
        let mut big = whole.clone();
        big.diagnostics = (0..9_000)
            .map(|i| {
                let mut d = whole.diagnostics[i % whole.diagnostics.len()].clone();
                d.message = format!("{} #{i}", d.message);
                d
            })
            .collect();
        for format in [Format::Gcc, Format::Github, Format::Json] {
            let opts = RenderOptions::default();
            let mut stream = Stream::new(format, opts, Severity::Error);
            let mut out = String::new();
            let mut pieces = 0;
            stream
                .part(big.clone(), |s| {
                    pieces += 1;
                    out.push_str(s);
                    Ok::<_, std::convert::Infallible>(())
                })
                .unwrap();
            out.push_str(&stream.finish());
            assert!(pieces > 2, "{format:?}: {pieces} pieces");
            assert_eq!(out, render(&big, format, &opts), "{format:?}");
        }
    }

    #[test]
    fn no_parts_render_as_an_empty_report() {
        for format in [Format::Human, Format::Json, Format::Gcc, Format::Sarif] {
            let opts = RenderOptions::default();
            let stream = Stream::new(format, opts, Severity::Error);
            assert!(!stream.fails());
            assert_eq!(
                stream.finish(),
                render(&LintReport::default(), format, &opts),
                "{format:?}"
            );
        }
    }
}
