//! Migration directory layouts and discovery: a file per family of layouts.
//!
//! - `names.rs`: what file and directory names mean (versions, names, directions);
//! - `detect.rs`: listing a directory and telling its layout;
//! - `sections.rs`: dbmate / goose files with up and down sections;
//! - `pop.rs`: ory/pop, every dialect's variant in one directory;
//! - `build.rs`: turning the named files into [`Migration`]s (directives, phases);
//! - `load.rs`: one explicitly named file;
//! - `emit.rs`: the other way: a migration's files in a given layout (`migrate plan`).

mod build;
mod detect;
pub mod emit;
mod load;
mod names;
mod pop;
pub mod scaffold;
mod sections;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::text::NotUtf8;
use super::{Direction, Migration, Phase, Script, SourceFile, Version};
use crate::sql::Dialect;
use build::Builder;
use detect::{Files, detect, list_dir};
pub use load::load_file;
pub use pop::target as pop_dialect;

/// The file layouts Sluice reads.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<version>_<name>/{expand,contract}.{up,down}.sql`, `backfill.toml`.
    Native,
    /// `<version>_<name>.sql` or `.up.sql` / `.down.sql`.
    Sqlx,
    /// `<version>_<name>.up.sql` / `.down.sql`.
    GolangMigrate,
    /// `V<version>__<name>.sql`, undo `U<version>__<name>.sql`.
    Flyway,
    /// `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down` sections.
    Dbmate,
    /// `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down` sections.
    Goose,
    /// `<version>_<name>/up.sql`, `down.sql` (diesel).
    Diesel,
    /// `<version>_<name>[.<dialect>].up.sql` / `.down.sql` (ory/pop): the target dialect's
    /// files, else the dialect-free ones.
    Pop,
    /// A file given on the command line or stdin, outside any recognised layout.
    #[value(skip)]
    Plain,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "native",
            Layout::Sqlx => "sqlx",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Flyway => "flyway",
            Layout::Dbmate => "dbmate",
            Layout::Goose => "goose",
            Layout::Diesel => "diesel",
            Layout::Pop => "pop",
            Layout::Plain => "plain",
        }
    }
}

/// `auto` detects the layout from the directory's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayoutChoice {
    #[default]
    Auto,
    #[serde(untagged)]
    Fixed(Layout),
}

/// Something odd but not fatal (a misnamed file). Always reported, never silent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceWarning {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{}: cannot read: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}: does not exist; check the path or set `migrations.dir` in sluice.toml", path.display())]
    NotFound { path: PathBuf },
    #[error("{}:{}:{}: {err}", path.display(), err.line, err.column)]
    NotUtf8 { path: PathBuf, err: NotUtf8 },
    #[error(
        "two migrations have version {version}: {} and {}; give one of them a new version",
        first.display(),
        second.display()
    )]
    DuplicateVersion {
        version: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{}: {message}", path.display())]
    Layout { path: PathBuf, message: String },
}

/// What a directory holds.
#[derive(Debug)]
pub struct Discovery {
    pub layout: Layout,
    /// Sorted by version.
    pub migrations: Vec<Migration>,
    pub warnings: Vec<SourceWarning>,
}

/// Discover the migrations in `dir`, for PostgreSQL (see [`discover_for`]).
pub fn discover(dir: &Path, choice: LayoutChoice) -> Result<Discovery, SourceError> {
    discover_for(dir, choice, Dialect::default())
}

/// Discover the migrations in `dir` that apply to `dialect`: it only matters where one
/// directory holds several dialects' variants (pop).
pub fn discover_for(
    dir: &Path,
    choice: LayoutChoice,
    dialect: Dialect,
) -> Result<Discovery, SourceError> {
    let entries = list_dir(dir)?;
    let mut b = Builder {
        files: Files::default(),
        warnings: entries.warnings,
        migrations: Vec::new(),
        target: dialect,
        backfills: std::collections::BTreeMap::default(),
    };
    let layout = match choice {
        LayoutChoice::Auto => detect(dir, &entries.list, &mut b.files)?,
        LayoutChoice::Fixed(Layout::Plain) => {
            return Err(SourceError::Layout {
                path: dir.to_owned(),
                message: "the `plain` layout is for single files, not directories; set \
                          `migrations.layout` / `--format-layout` to a directory layout or `auto`"
                    .into(),
            });
        }
        LayoutChoice::Fixed(l) => l,
    };
    match layout {
        Layout::Native | Layout::Diesel => b.directories(layout, &entries.list)?,
        Layout::Pop => b.pop_files(&entries.list)?,
        _ => b.files(layout, &entries.list)?,
    }
    b.attach_backfills();
    // stable sort: equal versions stay in path order for the duplicate message
    b.migrations.sort_by(|a, b| a.version.cmp(&b.version));
    if let Some(w) = b
        .migrations
        .windows(2)
        .find(|w| w[0].version == w[1].version)
    {
        return Err(SourceError::DuplicateVersion {
            version: w[1].version.raw.clone(),
            first: w[0].origin.clone(),
            second: w[1].origin.clone(),
        });
    }
    Ok(Discovery {
        layout,
        migrations: b.migrations,
        warnings: b.warnings,
    })
}
