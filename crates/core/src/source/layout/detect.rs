//! Directory listing and layout detection.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::names::{diesel_file, flyway_name, native_file, up_down_name, version_name};
use super::pop::{PopDialect, pop_name};
use super::sections::sniff;
use super::{Layout, SourceError, SourceFile, SourceWarning};

pub(super) struct Entry {
    pub(super) path: PathBuf,
    pub(super) name: String,
    pub(super) is_dir: bool,
}

pub(super) struct Listing {
    pub(super) list: Vec<Entry>,
    pub(super) warnings: Vec<SourceWarning>,
}

/// Hidden files, READMEs and Markdown are documentation or tooling, never migrations.
pub(super) fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.to_ascii_uppercase().starts_with("README")
        || Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

pub(super) fn io_err(path: &Path, e: std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// The entries of `dir` in path order, without ignored ones.
pub(super) fn list_dir(dir: &Path) -> Result<Listing, SourceError> {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SourceError::NotFound {
                path: dir.to_owned(),
            });
        }
        Err(e) => return Err(io_err(dir, e)),
    };
    if !meta.is_dir() {
        return Err(SourceError::Layout {
            path: dir.to_owned(),
            message: "is a file, not a migrations directory; lint it as a single file instead"
                .into(),
        });
    }
    let mut list = Vec::new();
    let mut warnings = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        let path = e.path();
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            warnings.push(SourceWarning {
                path,
                message: "file name is not valid UTF-8; skipped (rename it)".into(),
            });
            continue;
        };
        if ignored(&name) {
            continue;
        }
        // follow symlinks; a dangling one is reported as a file and fails when read
        let is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
        list.push(Entry { path, name, is_dir });
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Listing { list, warnings })
}

/// Read cache: detection sniffs contents that building then needs again.
#[derive(Default)]
pub(super) struct Files(HashMap<PathBuf, Arc<SourceFile>>);

impl Files {
    pub(super) fn get(&mut self, path: &Path) -> Result<Arc<SourceFile>, SourceError> {
        if let Some(f) = self.0.get(path) {
            return Ok(f.clone());
        }
        let f = SourceFile::read(path)?;
        self.0.insert(path.to_owned(), f.clone());
        Ok(f)
    }
}

/// What one directory entry looks like, for detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    NativeDir,
    DieselDir,
    Flyway,
    UpDown,
    Pop,
    Simple,
    Dbmate,
    Goose,
}

impl Kind {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Kind::NativeDir => "native phased directories (expand.up.sql, ...)",
            Kind::DieselDir => "diesel directories (up.sql, down.sql)",
            Kind::Flyway => "Flyway files (V<version>__<name>.sql)",
            Kind::UpDown => "`<version>_<name>.up.sql` / `.down.sql` files",
            Kind::Pop => "pop files (`<version>_<name>.<dialect>.up.sql`)",
            Kind::Simple => "plain `<version>_<name>.sql` files",
            Kind::Dbmate => "dbmate files (-- migrate:up)",
            Kind::Goose => "goose files (-- +goose Up)",
        }
    }
}

pub(super) fn classify(e: &Entry, files: &mut Files) -> Result<Option<Kind>, SourceError> {
    if e.is_dir {
        let names: Vec<String> = std::fs::read_dir(&e.path)
            .map_err(|err| io_err(&e.path, err))?
            .filter_map(|d| d.ok()?.file_name().into_string().ok())
            .collect();
        // a diesel directory may hold a `backfill.toml` too (a planned migration's)
        let has = |f: &dyn Fn(&str) -> bool| names.iter().any(|n| f(n));
        return Ok(if has(&|n| native_file(n).is_some()) {
            Some(Kind::NativeDir)
        } else if has(&|n| diesel_file(n).is_some()) {
            Some(Kind::DieselDir)
        } else if has(&|n| n == "backfill.toml") {
            Some(Kind::NativeDir)
        } else {
            None
        });
    }
    if flyway_name(&e.name).is_some() {
        return Ok(Some(Kind::Flyway));
    }
    if pop_name(&e.name).is_some_and(|n| matches!(n.dialect, PopDialect::Known(_))) {
        return Ok(Some(Kind::Pop));
    }
    if up_down_name(&e.name).is_some_and(|n| n.version.is_some()) {
        return Ok(Some(Kind::UpDown));
    }
    let Some(stem) = e.name.strip_suffix(".sql") else {
        return Ok(None);
    };
    if version_name(stem).is_none() {
        return Ok(None);
    }
    Ok(Some(match sniff(&files.get(&e.path)?.text) {
        Some(Layout::Dbmate) => Kind::Dbmate,
        Some(_) => Kind::Goose,
        None => Kind::Simple,
    }))
}

pub(super) fn detect(
    dir: &Path,
    entries: &[Entry],
    files: &mut Files,
) -> Result<Layout, SourceError> {
    let mut kinds: BTreeMap<Kind, &str> = BTreeMap::new();
    let mut unknown = Vec::new();
    for e in entries {
        match classify(e, files)? {
            Some(k) => {
                kinds.entry(k).or_insert(&e.name);
            }
            None => unknown.push(e),
        }
    }
    let set: Vec<Kind> = kinds.keys().copied().collect();
    // `set` is sorted; plain `<version>_<name>.sql` files next to dbmate / goose ones are
    // migrations of that tool that lack their section (reported when building)
    let layout = match set.as_slice() {
        [] => None,
        [Kind::NativeDir] => Some(Layout::Native),
        [Kind::DieselDir] => Some(Layout::Diesel),
        [Kind::Flyway] => Some(Layout::Flyway),
        [Kind::UpDown] => Some(Layout::GolangMigrate),
        [Kind::Pop] | [Kind::UpDown, Kind::Pop] => Some(Layout::Pop),
        [Kind::Simple] | [Kind::UpDown, Kind::Simple] => Some(Layout::Sqlx),
        [Kind::Dbmate] | [Kind::Simple, Kind::Dbmate] => Some(Layout::Dbmate),
        [Kind::Goose] | [Kind::Simple, Kind::Goose] => Some(Layout::Goose),
        _ => {
            let found: Vec<String> = kinds
                .iter()
                .map(|(k, ex)| format!("{} (e.g. {ex})", k.describe()))
                .collect();
            return Err(SourceError::Layout {
                path: dir.to_owned(),
                message: format!(
                    "mixes migration layouts: {}; keep one layout per directory, or set \
                     `migrations.layout` in sluice.toml / `--format-layout` to say which one applies",
                    found.join(", ")
                ),
            });
        }
    };
    if let Some(l) = layout {
        return Ok(l);
    }
    if unknown.is_empty() {
        return Ok(Layout::Native); // empty: a new project
    }
    let subdirs: Vec<&str> = unknown
        .iter()
        .filter(|e| e.is_dir)
        .map(|e| e.name.as_str())
        .collect();
    let hint = if subdirs.is_empty() {
        String::new()
    } else {
        format!(
            " (its subdirectories {} hold no migrations directly; point `migrations.dir` at one of them?)",
            subdirs.join(", ")
        )
    };
    Err(SourceError::Layout {
        path: dir.to_owned(),
        message: format!(
            "cannot tell the migration layout: none of its {} entries is named like a migration{hint}; \
             set `migrations.layout` in sluice.toml or `--format-layout`",
            unknown.len()
        ),
    })
}
