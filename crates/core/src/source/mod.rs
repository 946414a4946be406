//! Migration sources: files on disk, their layouts, versions, phases and statements.
//!
//! Nothing here knows SQL beyond what splitting needs; nothing here opens a database.

pub mod backfill;
pub mod directives;
pub mod layout;
pub mod split;
pub mod text;

use std::cmp::Ordering;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

pub use layout::{
    Discovery, Layout, LayoutChoice, SourceError, SourceWarning, discover, discover_for, load_file,
};
pub use text::{LineCol, LineIndex};

/// A migration file read from disk (or stdin), normalised.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given / discovered (used in every message).
    pub path: PathBuf,
    /// Normalised text (no BOM, LF line ends).
    pub text: String,
    /// SHA-256 of `text`, hex, computed on first use (lint never needs it).
    checksum: OnceLock<String>,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Arc<Self> {
        let lines = LineIndex::new(&text);
        Arc::new(SourceFile {
            path: path.into(),
            text,
            checksum: OnceLock::new(),
            lines,
        })
    }

    /// SHA-256 of `text`, hex.
    pub fn checksum(&self) -> &str {
        self.checksum.get_or_init(|| text::checksum(&self.text))
    }

    /// Read and normalise a file; errors name the file (and line/column for bad UTF-8).
    pub fn read(path: &Path) -> Result<Arc<Self>, SourceError> {
        let bytes = std::fs::read(path).map_err(|e| SourceError::Io {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let text = text::normalize(&bytes).map_err(|e| SourceError::NotUtf8 {
            path: path.to_owned(),
            err: e,
        })?;
        Ok(Self::new(path, text))
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }
}

/// A migration version: the digits of its name, compared numerically part by part
/// (`2` < `10`, `1.2` < `1.10`, `0001` == `1`).
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// As written in the file name.
    pub raw: String,
    #[serde(skip)]
    pub parts: Vec<u128>,
}

impl Version {
    /// Parse `20240101120000`, `1`, `1.2.3`, `1_2` (Flyway allows `_` as a separator).
    pub fn parse(raw: &str) -> Option<Version> {
        if raw.is_empty() {
            return None;
        }
        let parts: Option<Vec<u128>> = raw
            .split(['.', '_'])
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                // strip leading zeros so 0001 == 1 and very long stamps still fit
                let digits = p.trim_start_matches('0');
                if digits.len() > 38 {
                    return None;
                }
                Some(if digits.is_empty() {
                    0
                } else {
                    digits.parse().ok()?
                })
            })
            .collect();
        let mut parts = parts?;
        while parts.len() > 1 && parts.last() == Some(&0) {
            parts.pop();
        }
        Some(Version {
            raw: raw.to_owned(),
            parts,
        })
    }

    /// A version as any layout writes it: plain (`Version::parse`) or diesel's
    /// `YYYY-MM-DD-HHMMSS[-NNNN]`. The ledger stores `raw`; this gives back the order the
    /// files had, so every comparison of ledger versions agrees with apply's.
    pub fn parse_any(raw: &str) -> Option<Version> {
        Version::parse(raw).or_else(|| Version::parse_diesel(raw))
    }

    /// diesel's dashed timestamps. diesel orders the dash-less strings; the `-NNNN` suffix
    /// must order within the second (not make the number 10^4 times larger), and `X-0000`
    /// still comes after `X`.
    pub fn parse_diesel(raw: &str) -> Option<Version> {
        if raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return None;
        }
        let digits: String = raw.chars().filter(|c| *c != '-').collect();
        let mut v = Version::parse(&digits)?;
        v.raw = raw.to_owned();
        if raw.contains('-') && digits.len() > 14 && digits.is_char_boundary(14) {
            v.parts = vec![digits[..14].parse().ok()?, digits[14..].parse().ok()?];
        }
        Some(v)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.parts == other.parts
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts)
    }
}
impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Which deploy phase a script belongs to (see phases.md). Backfill is declarative TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Expand,
    Contract,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Contract => "contract",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

/// One runnable SQL script: a whole file, or a section of one (dbmate, goose).
#[derive(Debug, Clone)]
pub struct Script {
    pub file: Arc<SourceFile>,
    /// The part of `file.text` that is this script.
    pub range: Range<usize>,
    pub phase: Phase,
    pub direction: Direction,
    /// True when the phase was set by the layout (native directories) or a
    /// `-- sluice:phase` directive, false for single-phase layouts defaulting to expand.
    pub phased: bool,
    /// Transaction markers found in the file (`-- sluice:no-transaction`, goose, dbmate, sqlx,
    /// diesel `run_in_transaction = false`). Auto-detection happens in the linter and runner.
    pub no_transaction_marker: bool,
    /// `-- sluice:irreversible <reason>` on an up script.
    pub irreversible: Option<String>,
}

impl Script {
    pub fn text(&self) -> &str {
        &self.file.text[self.range.clone()]
    }
}

/// A migration: one version, one name, its scripts (ups and downs per phase).
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: Version,
    pub name: String,
    pub layout: Layout,
    /// The directory (native, diesel) or the up file that defines it.
    pub origin: PathBuf,
    pub scripts: Vec<Script>,
    /// `backfill.toml` of a native phased migration.
    pub backfill: Option<PathBuf>,
}

impl Migration {
    pub fn script(&self, phase: Phase, direction: Direction) -> Option<&Script> {
        self.scripts
            .iter()
            .find(|s| s.phase == phase && s.direction == direction)
    }

    /// Whether `phase` has a down script (the missing-down rule checks ups against this).
    pub fn has_down(&self, phase: Phase) -> bool {
        self.script(phase, Direction::Down).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("2") < v("10"));
        assert!(v("1.2") < v("1.10"));
        assert_eq!(v("0001"), v("1"));
        assert_eq!(v("1.0"), v("1"));
        assert!(v("20240101120000") > v("999"));
        assert!(Version::parse("1a").is_none());
        assert!(Version::parse("").is_none());
        assert!(Version::parse("1..2").is_none());
    }

    #[test]
    fn ledger_versions_order_like_diesel_directories() {
        let v = |s| Version::parse_any(s).unwrap();
        // crates.io mixes plain and dashed stamps in one history
        assert!(v("20170820180453") < v("2017-09-23-182408"));
        assert!(v("2017-09-23-182408") < v("2026-07-30-140000-0000"));
        assert!(v("2026-07-30-140000") < v("2026-07-30-140000-0000"));
        assert!(v("2026-07-30-140000-0000") < v("2026-07-30-140001"));
        assert!(Version::parse_any("2017-09-23-").is_none());
        assert!(Version::parse_any("release-1").is_none());
    }
}
