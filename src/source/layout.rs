//! Migration directory layouts and discovery.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::text::NotUtf8;
use super::{Direction, Migration, Phase, Script, SourceFile, Version};

/// The file layouts Sluice reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum,
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

/// Discover the migrations in `dir`.
pub fn discover(dir: &Path, choice: LayoutChoice) -> Result<Discovery, SourceError> {
    let _ = (dir, choice);
    Err(SourceError::Layout {
        path: dir.to_owned(),
        message: "discovery not implemented yet".into(),
    })
}

/// Load one explicitly named file (or stdin text with its display name) as a migration.
pub fn load_file(path: &Path, stdin_text: Option<String>) -> Result<Migration, SourceError> {
    let file = match stdin_text {
        Some(t) => SourceFile::new(path, super::text::normalize(t.as_bytes()).unwrap_or(t)),
        None => SourceFile::read(path)?,
    };
    Ok(single_script_migration(file, Layout::Plain))
}

fn single_script_migration(file: Arc<SourceFile>, layout: Layout) -> Migration {
    let len = file.text.len();
    Migration {
        version: Version::parse("0").expect("static"),
        name: file.path.display().to_string(),
        layout,
        origin: file.path.clone(),
        scripts: vec![Script {
            file,
            range: 0..len,
            phase: Phase::Expand,
            direction: Direction::Up,
            phased: false,
            no_transaction_marker: false,
            irreversible: None,
        }],
        backfill: None,
    }
}
