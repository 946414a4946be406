//! Application code for the deploy-boundary rules: which changed paths are code, and the
//! text of the files under `lint.code_paths` (minus `lint.code_ignore` and the migration
//! directories), read here so the linter itself does no I/O.

use std::path::{Path, PathBuf};

use anyhow::Context;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::lint::settings::{CodeFile, CodeIndex};

/// Files larger than this are not scanned (generated bundles, data).
const MAX_FILE: u64 = 2 * 1024 * 1024;

pub struct CodeScope {
    base: PathBuf,
    patterns: Vec<String>,
    include: GlobSet,
    ignore: GlobSet,
    migration_dirs: Vec<PathBuf>,
}

fn glob(p: &str) -> anyhow::Result<Glob> {
    GlobBuilder::new(p)
        .literal_separator(true)
        .build()
        .with_context(|| format!("invalid glob `{p}` in sluice.toml"))
}

/// A pattern and, for a plain directory name, everything below it.
fn set(patterns: &[String]) -> anyhow::Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_start_matches("./").trim_end_matches('/');
        b.add(glob(p)?);
        b.add(glob(&format!("{p}/**"))?);
    }
    b.build().context("invalid globs in sluice.toml")
}

impl CodeScope {
    /// `base`: the directory globs are relative to (the config file's), canonical.
    pub fn new(
        base: &Path,
        code_paths: &[String],
        code_ignore: &[String],
        migration_dirs: &[PathBuf],
    ) -> anyhow::Result<Self> {
        Ok(CodeScope {
            base: base.to_path_buf(),
            patterns: code_paths.to_vec(),
            include: set(code_paths)?,
            ignore: set(code_ignore)?,
            migration_dirs: migration_dirs.to_vec(),
        })
    }

    fn in_migrations(&self, path: &Path) -> bool {
        self.migration_dirs.iter().any(|d| path.starts_with(d))
    }

    fn relative<'p>(&self, path: &'p Path) -> Option<&'p Path> {
        path.strip_prefix(&self.base).ok()
    }

    /// How to show a path: relative to the config's directory when under it.
    pub fn shown(&self, path: &Path) -> PathBuf {
        self.relative(path).unwrap_or(path).to_path_buf()
    }

    /// Is a changed path application code? With `code_paths`: it matches them (and not
    /// `code_ignore`); without: any path outside the migration directories.
    pub fn is_code(&self, path: &Path) -> bool {
        if self.in_migrations(path) {
            return false;
        }
        if self.patterns.is_empty() {
            return true;
        }
        self.relative(path)
            .is_some_and(|r| self.include.is_match(r) && !self.ignore.is_match(r))
    }

    /// Read every file under `code_paths` (UTF-8 text, not ignored, outside the migration
    /// directories, hidden directories skipped).
    pub fn scan(&self) -> CodeIndex {
        let mut index = CodeIndex::default();
        let mut roots: Vec<PathBuf> = self
            .patterns
            .iter()
            .map(|p| {
                let literal: PathBuf = Path::new(p.trim_start_matches("./"))
                    .components()
                    .take_while(|c| {
                        !c.as_os_str()
                            .to_string_lossy()
                            .contains(['*', '?', '[', '{'])
                    })
                    .collect();
                self.base.join(literal)
            })
            .collect();
        roots.sort();
        roots.dedup();
        let mut seen = std::collections::BTreeSet::new();
        for root in roots {
            self.walk(&root, &mut index, &mut seen);
        }
        index.files.sort_by(|a, b| a.path.cmp(&b.path));
        index
    }

    fn walk(
        &self,
        path: &Path,
        index: &mut CodeIndex,
        seen: &mut std::collections::BTreeSet<PathBuf>,
    ) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if self.in_migrations(path) {
            return;
        }
        if meta.is_dir() {
            let Ok(entries) = std::fs::read_dir(path) else {
                return;
            };
            let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            children.sort();
            for c in children {
                let hidden = c
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                if !hidden {
                    self.walk(&c, index, seen);
                }
            }
        } else if meta.is_file() && meta.len() <= MAX_FILE && self.is_code(path) {
            if !seen.insert(path.to_path_buf()) {
                return;
            }
            if let Ok(text) = std::fs::read_to_string(path) {
                index.files.push(CodeFile {
                    path: self.shown(path),
                    text,
                });
            }
        }
    }
}
