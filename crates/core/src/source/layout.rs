//! Migration directory layouts and discovery.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::directives::{self, Directive};
use super::split::{GooseMarker, SplitOptions, goose_marker, split};
use super::text::NotUtf8;
use super::{Direction, Migration, Phase, Script, SourceFile, Version};

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
    let entries = list_dir(dir)?;
    let mut b = Builder {
        files: Files::default(),
        warnings: entries.warnings,
        migrations: Vec::new(),
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
        _ => b.files(layout, &entries.list)?,
    }
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

/// Load one explicitly named file (or stdin text with its display name) as a migration.
///
/// The file name says what it is; siblings (the down of an up, the up of a down) are loaded
/// from disk when they exist so that rules about pairs can see them.
pub fn load_file(path: &Path, stdin_text: Option<String>) -> Result<Migration, SourceError> {
    let file = match stdin_text {
        Some(t) => SourceFile::new(path, super::text::normalize(t.as_bytes()).unwrap_or(t)),
        None => SourceFile::read(path)?,
    };
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path.parent().unwrap_or(Path::new(""));
    let parent_name = parent.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut warnings = Vec::new();
    // the given script, then its other direction when that file exists
    let pair = |file, direction, phase, no_tx, sibling: &str| -> Result<Vec<Spec>, SourceError> {
        let mut specs = vec![Spec::whole(file, direction, phase, no_tx)];
        let p = parent.join(sibling);
        if p.is_file() {
            specs.push(Spec::whole(
                SourceFile::read(&p)?,
                flip(direction),
                phase,
                no_tx,
            ));
        }
        Ok(specs)
    };
    let in_dir =
        || dir_version_name(parent_name).unwrap_or_else(|| (zero(), parent_name.to_owned()));

    let (version, name, layout, origin, specs, backfill) =
        if let Some((phase, direction)) = native_file(file_name) {
            let (version, name) = in_dir();
            let other = format!("{}.{}.sql", phase.name(), dir_word(flip(direction)));
            let specs = pair(file, direction, Some(phase), false, &other)?;
            let backfill = Some(parent.join("backfill.toml")).filter(|p| p.is_file());
            (
                version,
                name,
                Layout::Native,
                parent.to_owned(),
                specs,
                backfill,
            )
        } else if let Some(direction) = diesel_file(file_name) {
            let (version, name) = in_dir();
            let no_tx = diesel_no_transaction(&parent.join("metadata.toml"), &mut warnings)?;
            let other = format!("{}.sql", dir_word(flip(direction)));
            let specs = pair(file, direction, None, no_tx, &other)?;
            (
                version,
                name,
                Layout::Diesel,
                parent.to_owned(),
                specs,
                None,
            )
        } else if let Some(n) = up_down_name(file_name) {
            let (version, name) = match n.version {
                Some(v) => (v, n.name.to_owned()),
                None => (zero(), n.stem.to_owned()),
            };
            let other = format!("{}.{}.sql", n.stem, dir_word(flip(n.direction)));
            let specs = pair(file, n.direction, None, n.autocommit, &other)?;
            (
                version,
                name,
                Layout::GolangMigrate,
                path.to_owned(),
                specs,
                None,
            )
        } else if let Some(FlywayName::Versioned {
            direction,
            version,
            name,
        }) = flyway_name(file_name)
        {
            // V1__x.sql <-> U1__x.sql
            let prefix = if direction == Direction::Up { 'U' } else { 'V' };
            let specs = pair(
                file,
                direction,
                None,
                false,
                &format!("{prefix}{}", &file_name[1..]),
            )?;
            (
                version,
                name.to_owned(),
                Layout::Flyway,
                path.to_owned(),
                specs,
                None,
            )
        } else {
            let stem = file_name.strip_suffix(".sql").unwrap_or(file_name);
            let versioned = version_name(stem);
            match sniff(&file.text) {
                Some(layout) => {
                    let (version, name) = versioned.unwrap_or_else(|| (zero(), stem.to_owned()));
                    let specs = section_specs(&file, layout, &mut warnings);
                    (version, name, layout, path.to_owned(), specs, None)
                }
                None => {
                    let version = versioned.map_or_else(zero, |(v, _)| v);
                    let specs = vec![Spec::whole(file, Direction::Up, None, false)];
                    let name = path.display().to_string();
                    (version, name, Layout::Plain, path.to_owned(), specs, None)
                }
            }
        };
    let migration = make_migration(
        version,
        name,
        layout,
        origin,
        specs,
        backfill,
        &mut warnings,
    );
    // load_file has no channel for warnings; they are minor (e.g. a bad metadata.toml)
    for w in warnings {
        tracing::warn!(path = %w.path.display(), "{}", w.message);
    }
    Ok(migration)
}

// ---------------------------------------------------------------------------------------------
// Directory listing and detection

struct Entry {
    path: PathBuf,
    name: String,
    is_dir: bool,
}

struct Listing {
    list: Vec<Entry>,
    warnings: Vec<SourceWarning>,
}

/// Hidden files, READMEs and Markdown are documentation or tooling, never migrations.
fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.to_ascii_uppercase().starts_with("README")
        || name.ends_with(".md")
}

fn io_err(path: &Path, e: std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// The entries of `dir` in path order, without ignored ones.
fn list_dir(dir: &Path) -> Result<Listing, SourceError> {
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
struct Files(HashMap<PathBuf, Arc<SourceFile>>);

impl Files {
    fn get(&mut self, path: &Path) -> Result<Arc<SourceFile>, SourceError> {
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
enum Kind {
    NativeDir,
    DieselDir,
    Flyway,
    UpDown,
    Simple,
    Dbmate,
    Goose,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::NativeDir => "native phased directories (expand.up.sql, ...)",
            Kind::DieselDir => "diesel directories (up.sql, down.sql)",
            Kind::Flyway => "Flyway files (V<version>__<name>.sql)",
            Kind::UpDown => "`<version>_<name>.up.sql` / `.down.sql` files",
            Kind::Simple => "plain `<version>_<name>.sql` files",
            Kind::Dbmate => "dbmate files (-- migrate:up)",
            Kind::Goose => "goose files (-- +goose Up)",
        }
    }
}

fn classify(e: &Entry, files: &mut Files) -> Result<Option<Kind>, SourceError> {
    if e.is_dir {
        let names: Vec<String> = std::fs::read_dir(&e.path)
            .map_err(|err| io_err(&e.path, err))?
            .filter_map(|d| d.ok()?.file_name().into_string().ok())
            .collect();
        return Ok(
            if names
                .iter()
                .any(|n| native_file(n).is_some() || n == "backfill.toml")
            {
                Some(Kind::NativeDir)
            } else if names.iter().any(|n| diesel_file(n).is_some()) {
                Some(Kind::DieselDir)
            } else {
                None
            },
        );
    }
    if flyway_name(&e.name).is_some() {
        return Ok(Some(Kind::Flyway));
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

fn detect(dir: &Path, entries: &[Entry], files: &mut Files) -> Result<Layout, SourceError> {
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

// ---------------------------------------------------------------------------------------------
// File names

fn zero() -> Version {
    Version::parse("0").expect("static")
}

fn flip(d: Direction) -> Direction {
    match d {
        Direction::Up => Direction::Down,
        Direction::Down => Direction::Up,
    }
}

fn dir_word(d: Direction) -> &'static str {
    match d {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

fn expected(layout: Layout) -> &'static str {
    match layout {
        Layout::Native => {
            "`<version>_<name>/` holding expand.up.sql, expand.down.sql, contract.up.sql, contract.down.sql, backfill.toml"
        }
        Layout::Diesel => "`<version>_<name>/` holding up.sql and down.sql",
        Layout::Sqlx => "`<version>_<name>.sql`, or `<version>_<name>.up.sql` and `.down.sql`",
        Layout::GolangMigrate => "`<version>_<name>.up.sql` and `<version>_<name>.down.sql`",
        Layout::Flyway => "`V<version>__<name>.sql` (undo: `U<version>__<name>.sql`)",
        Layout::Dbmate => {
            "`<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down` sections"
        }
        Layout::Goose => "`<version>_<name>.sql` with `-- +goose Up` and `-- +goose Down` sections",
        Layout::Plain => "a .sql file",
    }
}

/// `expand.up.sql` -> (Expand, Up).
fn native_file(name: &str) -> Option<(Phase, Direction)> {
    Some(match name {
        "expand.up.sql" => (Phase::Expand, Direction::Up),
        "expand.down.sql" => (Phase::Expand, Direction::Down),
        "contract.up.sql" => (Phase::Contract, Direction::Up),
        "contract.down.sql" => (Phase::Contract, Direction::Down),
        _ => return None,
    })
}

fn diesel_file(name: &str) -> Option<Direction> {
    match name {
        "up.sql" => Some(Direction::Up),
        "down.sql" => Some(Direction::Down),
        _ => None,
    }
}

/// `<version>_<name>` with a plain version (`1`, `0001`, `20240101120000`, `1.2`).
fn version_name(stem: &str) -> Option<(Version, String)> {
    let (v, name) = stem.split_once('_')?;
    if name.is_empty() {
        return None;
    }
    Some((Version::parse(v)?, name.to_owned()))
}

/// Directory names: `<version>_<name>`, where the version may also be diesel's
/// `YYYY-MM-DD-HHMMSS[-NNNN]`.
fn dir_version_name(dir: &str) -> Option<(Version, String)> {
    let (raw, name) = dir.split_once('_')?;
    if name.is_empty() {
        return None;
    }
    Some((Version::parse_diesel(raw)?, name.to_owned()))
}

/// `<version>_<name>.up.sql` / `.down.sql`, also authelia's `V<version>.<Name>.up.sql`.
struct UpDownName<'a> {
    stem: &'a str,
    direction: Direction,
    version: Option<Version>,
    name: &'a str,
    /// ory/pop's `<name>.autocommit.up.sql` runs outside a transaction.
    autocommit: bool,
}

fn up_down_name(file: &str) -> Option<UpDownName<'_>> {
    let (stem, direction) = if let Some(s) = file.strip_suffix(".up.sql") {
        (s, Direction::Up)
    } else {
        (file.strip_suffix(".down.sql")?, Direction::Down)
    };
    let split = stem
        .split_once('_')
        .filter(|(v, n)| !n.is_empty() && Version::parse(v).is_some())
        .or_else(|| {
            let (v, n) = stem.strip_prefix('V')?.split_once('.')?;
            (!n.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then_some((v, n))
        });
    let (version, name) = match split {
        Some((v, n)) => (Version::parse(v), n),
        None => (None, stem),
    };
    Some(UpDownName {
        stem,
        direction,
        version,
        name,
        autocommit: name.ends_with(".autocommit"),
    })
}

enum FlywayName<'a> {
    Versioned {
        direction: Direction,
        version: Version,
        name: &'a str,
    },
    Repeatable,
}

fn flyway_name(file: &str) -> Option<FlywayName<'_>> {
    let stem = file.strip_suffix(".sql")?;
    if stem.starts_with("R__") {
        return Some(FlywayName::Repeatable);
    }
    let direction = match stem.as_bytes().first()? {
        b'V' => Direction::Up,
        b'U' => Direction::Down,
        _ => return None,
    };
    let (v, name) = stem[1..].split_once("__")?;
    Some(FlywayName::Versioned {
        direction,
        version: Version::parse(v)?,
        name,
    })
}

/// Which sectioned layout a file's content uses, if any.
fn sniff(text: &str) -> Option<Layout> {
    text.lines().find_map(|line| match section_marker(line)? {
        (Layout::Dbmate, Marker::Section(..)) => Some(Layout::Dbmate),
        (Layout::Goose, Marker::Section(..)) => Some(Layout::Goose),
        _ => None,
    })
}

enum Marker {
    /// Starts the up or down section; true when the marker says no transaction (dbmate).
    Section(Direction, bool),
    /// goose `NO TRANSACTION`: the whole file.
    NoTransaction,
}

/// A dbmate or goose marker line (markers must start the line, as in the tools).
fn section_marker(line: &str) -> Option<(Layout, Marker)> {
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

// ---------------------------------------------------------------------------------------------
// Building migrations

/// A script before its directives are read.
struct Spec {
    file: Arc<SourceFile>,
    range: Range<usize>,
    /// The file's text before its first section (file-level directives); whole file otherwise.
    header: Range<usize>,
    direction: Direction,
    /// Set by the layout (native); otherwise from a `-- sluice:phase` directive.
    phase: Option<Phase>,
    /// Marker found by the layout (diesel metadata, dbmate option, goose, autocommit).
    no_tx: bool,
}

impl Spec {
    fn whole(
        file: Arc<SourceFile>,
        direction: Direction,
        phase: Option<Phase>,
        no_tx: bool,
    ) -> Spec {
        let len = file.text.len();
        Spec {
            file,
            range: 0..len,
            header: 0..len,
            direction,
            phase,
            no_tx,
        }
    }
}

/// Directives in the comments before the first statement of `text[range]`.
fn leading_directives(text: &str, range: Range<usize>, goose: bool) -> Vec<Directive> {
    let Some(sub) = text.get(range) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for chunk in split(
        sub,
        SplitOptions {
            mysql: false,
            goose,
        },
    ) {
        out.extend(
            chunk
                .leading_comments
                .iter()
                .filter_map(|c| directives::parse(sub, c)),
        );
        if chunk.stmt.is_some() {
            break;
        }
    }
    out
}

/// The up and down sections of a dbmate / goose file.
fn section_specs(
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

fn make_migration(
    version: Version,
    name: String,
    layout: Layout,
    origin: PathBuf,
    specs: Vec<Spec>,
    backfill: Option<PathBuf>,
    warnings: &mut Vec<SourceWarning>,
) -> Migration {
    let goose = layout == Layout::Goose;
    let mut scripts = Vec::new();
    let mut directive_phase = None;
    for spec in specs {
        let mut found = leading_directives(&spec.file.text, spec.header.clone(), goose);
        if spec.header != spec.range {
            found.extend(leading_directives(
                &spec.file.text,
                spec.range.clone(),
                goose,
            ));
        }
        let mut no_tx = spec.no_tx;
        let mut irreversible = None;
        let mut phase = None;
        for d in found {
            match d {
                Directive::NoTransaction => no_tx = true,
                Directive::Irreversible(r) if spec.direction == Direction::Up => {
                    irreversible = Some(r)
                }
                Directive::Phase(p) => phase = phase.or(Some(p)),
                _ => {}
            }
        }
        match (spec.phase, phase) {
            (Some(fixed), Some(p)) if fixed != p => warnings.push(SourceWarning {
                path: spec.file.path.clone(),
                message: format!(
                    "`-- sluice:phase {}` is ignored: the file name makes this a {} script",
                    p.name(),
                    fixed.name()
                ),
            }),
            // the up's directive wins over the down's
            (None, Some(p)) if directive_phase.is_none() || spec.direction == Direction::Up => {
                directive_phase = Some(p);
            }
            _ => {}
        }
        scripts.push(Script {
            file: spec.file,
            range: spec.range,
            phase: spec.phase.unwrap_or(Phase::Expand),
            direction: spec.direction,
            phased: spec.phase.is_some(),
            no_transaction_marker: no_tx,
            irreversible,
        });
    }
    if layout != Layout::Native
        && let Some(p) = directive_phase
    {
        // a single-phase migration moves as a whole
        for s in &mut scripts {
            s.phase = p;
            s.phased = true;
        }
    }
    scripts.sort_by_key(|s| (s.phase, s.direction));
    Migration {
        version,
        name,
        layout,
        origin,
        scripts,
        backfill,
    }
}

/// diesel's `metadata.toml`: `run_in_transaction = false`.
fn diesel_no_transaction(
    path: &Path,
    warnings: &mut Vec<SourceWarning>,
) -> Result<bool, SourceError> {
    if !path.is_file() {
        return Ok(false);
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    match text.parse::<toml::Table>() {
        Ok(t) => Ok(t.get("run_in_transaction").and_then(toml::Value::as_bool) == Some(false)),
        Err(e) => {
            warnings.push(SourceWarning {
                path: path.to_owned(),
                message: format!("not valid TOML, ignored: {}", e.message()),
            });
            Ok(false)
        }
    }
}

struct Builder {
    files: Files,
    warnings: Vec<SourceWarning>,
    migrations: Vec<Migration>,
}

impl Builder {
    fn warn(&mut self, path: &Path, what: &str, layout: Layout) {
        self.warnings.push(SourceWarning {
            path: path.to_owned(),
            message: format!("{what}; skipped (expected {})", expected(layout)),
        });
    }

    /// Native and diesel: one directory per migration.
    fn directories(&mut self, layout: Layout, entries: &[Entry]) -> Result<(), SourceError> {
        for e in entries {
            if !e.is_dir {
                self.warn(&e.path, "not a migration directory", layout);
                continue;
            }
            let Some((version, name)) = dir_version_name(&e.name) else {
                self.warn(&e.path, "directory name has no `<version>_` prefix", layout);
                continue;
            };
            let inner = list_dir(&e.path)?;
            self.warnings.extend(inner.warnings);
            let mut specs = Vec::new();
            let mut backfill = None;
            let mut metadata_no_tx = false;
            for f in &inner.list {
                let known = match layout {
                    Layout::Native => native_file(&f.name).map(|(p, d)| (Some(p), d)),
                    _ => diesel_file(&f.name).map(|d| (None, d)),
                };
                match known {
                    Some((phase, direction)) if !f.is_dir => {
                        let file = self.files.get(&f.path)?;
                        specs.push(Spec::whole(file, direction, phase, false));
                    }
                    _ if f.is_dir => {
                        self.warn(&f.path, "unexpected directory inside a migration", layout)
                    }
                    _ if layout == Layout::Native && f.name == "backfill.toml" => {
                        backfill = Some(f.path.clone())
                    }
                    _ if layout == Layout::Diesel && f.name == "metadata.toml" => {
                        metadata_no_tx = diesel_no_transaction(&f.path, &mut self.warnings)?;
                    }
                    _ => self.warn(&f.path, "unknown file in a migration directory", layout),
                }
            }
            if specs.is_empty() && backfill.is_none() {
                self.warn(&e.path, "migration directory holds no scripts", layout);
                continue;
            }
            for s in &mut specs {
                s.no_tx |= metadata_no_tx;
            }
            let m = make_migration(
                version,
                name,
                layout,
                e.path.clone(),
                specs,
                backfill,
                &mut self.warnings,
            );
            self.migrations.push(m);
        }
        Ok(())
    }

    /// The file layouts: each file is an up, a down, or both (sections).
    fn files(&mut self, layout: Layout, entries: &[Entry]) -> Result<(), SourceError> {
        // version -> (name, origin, up, down); entries come in path order, so a taken slot
        // holds the first of two duplicates
        let mut groups: BTreeMap<Version, Group> = BTreeMap::new();
        for e in entries {
            if e.is_dir {
                self.warn(&e.path, "subdirectories are not scanned", layout);
                continue;
            }
            let Some(Parts {
                version,
                name,
                specs,
            }) = self.file_parts(layout, e)?
            else {
                continue;
            };
            let g = groups.entry(version.clone()).or_insert_with(|| Group {
                name: name.clone(),
                origin: e.path.clone(),
                up: None,
                down: None,
            });
            for spec in specs {
                let slot = match spec.direction {
                    Direction::Up => &mut g.up,
                    Direction::Down => &mut g.down,
                };
                if let Some((first, _)) = slot
                    && first != &e.path
                {
                    return Err(SourceError::DuplicateVersion {
                        version: version.raw.clone(),
                        first: first.clone(),
                        second: e.path.clone(),
                    });
                }
                *slot = Some((e.path.clone(), spec));
            }
            if g.up.as_ref().is_some_and(|(p, _)| p == &e.path) {
                // the up file names the migration
                g.name = name;
                g.origin = e.path.clone();
            }
        }
        for (version, g) in groups {
            let specs = [g.up, g.down]
                .into_iter()
                .flatten()
                .map(|(_, s)| s)
                .collect();
            let m = make_migration(
                version,
                g.name,
                layout,
                g.origin,
                specs,
                None,
                &mut self.warnings,
            );
            self.migrations.push(m);
        }
        Ok(())
    }

    /// The version, name and scripts one file contributes; `None` when it is not a migration
    /// (a warning says why).
    fn file_parts(&mut self, layout: Layout, e: &Entry) -> Result<Option<Parts>, SourceError> {
        let Some(stem) = e.name.strip_suffix(".sql") else {
            self.warn(&e.path, "not a .sql file", layout);
            return Ok(None);
        };
        let (version, name, specs) = match layout {
            Layout::Flyway => match flyway_name(&e.name) {
                Some(FlywayName::Versioned {
                    direction,
                    version,
                    name,
                }) => {
                    let file = self.files.get(&e.path)?;
                    (
                        version,
                        name.to_owned(),
                        vec![Spec::whole(file, direction, None, false)],
                    )
                }
                Some(FlywayName::Repeatable) => {
                    self.warnings.push(SourceWarning {
                        path: e.path.clone(),
                        message: "Flyway repeatable migrations (R__) are not supported; skipped"
                            .into(),
                    });
                    return Ok(None);
                }
                None => {
                    let versioned_prefix = stem.starts_with(['V', 'U'])
                        && stem[1..].starts_with(|c: char| c.is_ascii_digit());
                    let what = if versioned_prefix {
                        "version and name must be separated by two underscores (`__`)"
                    } else {
                        "not named like a Flyway migration"
                    };
                    self.warn(&e.path, what, layout);
                    return Ok(None);
                }
            },
            Layout::Sqlx | Layout::GolangMigrate => {
                let parsed = match up_down_name(&e.name) {
                    Some(n) => n
                        .version
                        .clone()
                        .map(|v| (v, n.name.to_owned(), n.direction, n.autocommit)),
                    None if layout == Layout::GolangMigrate => {
                        self.warn(&e.path, "no `.up.sql` / `.down.sql` suffix", layout);
                        return Ok(None);
                    }
                    None => version_name(stem).map(|(v, n)| (v, n, Direction::Up, false)),
                };
                let Some((version, name, direction, no_tx)) = parsed else {
                    self.warn(&e.path, "no `<version>_` prefix", layout);
                    return Ok(None);
                };
                let file = self.files.get(&e.path)?;
                (
                    version,
                    name,
                    vec![Spec::whole(file, direction, None, no_tx)],
                )
            }
            _ => {
                let Some((version, name)) = version_name(stem) else {
                    self.warn(&e.path, "no `<version>_` prefix", layout);
                    return Ok(None);
                };
                let file = self.files.get(&e.path)?;
                let specs = section_specs(&file, layout, &mut self.warnings);
                if !specs.iter().any(|s| s.direction == Direction::Up) {
                    let marker = if layout == Layout::Goose {
                        "-- +goose Up"
                    } else {
                        "-- migrate:up"
                    };
                    self.warn(&e.path, &format!("has no `{marker}` section"), layout);
                    return Ok(None);
                }
                (version, name, specs)
            }
        };
        Ok(Some(Parts {
            version,
            name,
            specs,
        }))
    }
}

struct Parts {
    version: Version,
    name: String,
    specs: Vec<Spec>,
}

struct Group {
    name: String,
    origin: PathBuf,
    up: Option<(PathBuf, Spec)>,
    down: Option<(PathBuf, Spec)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn auto(dir: &tempfile::TempDir) -> Discovery {
        discover(dir.path(), LayoutChoice::Auto).unwrap()
    }

    /// (version, phase, direction, phased, no-tx, script text) per script, migrations in order.
    fn summary(d: &Discovery) -> Vec<(String, Phase, Direction, bool, bool, String)> {
        d.migrations
            .iter()
            .flat_map(|m| {
                m.scripts.iter().map(|s| {
                    let text = s.text().to_owned();
                    (
                        m.version.raw.clone(),
                        s.phase,
                        s.direction,
                        s.phased,
                        s.no_transaction_marker,
                        text,
                    )
                })
            })
            .collect()
    }

    use Direction::{Down, Up};
    use Phase::{Contract, Expand};

    #[test]
    fn native_phased_directories() {
        let dir = tree(&[
            (
                "2_rename/expand.up.sql",
                "-- sluice:no-transaction\ncreate index concurrently i on t(a);",
            ),
            ("2_rename/expand.down.sql", "drop index i;"),
            (
                "2_rename/contract.up.sql",
                "-- sluice:irreversible data is gone\nalter table t drop column b;",
            ),
            ("2_rename/backfill.toml", "table = 't'"),
            ("1_init/expand.up.sql", "create table t(a int);"),
            ("README.md", "docs"),
            (".hidden", ""),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::Native);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        assert_eq!(
            summary(&d),
            [
                (
                    "1".into(),
                    Expand,
                    Up,
                    true,
                    false,
                    "create table t(a int);".into()
                ),
                (
                    "2".into(),
                    Expand,
                    Up,
                    true,
                    true,
                    "-- sluice:no-transaction\ncreate index concurrently i on t(a);".into()
                ),
                (
                    "2".into(),
                    Expand,
                    Down,
                    true,
                    false,
                    "drop index i;".into()
                ),
                (
                    "2".into(),
                    Contract,
                    Up,
                    true,
                    false,
                    "-- sluice:irreversible data is gone\nalter table t drop column b;".into()
                ),
            ]
        );
        let m = &d.migrations[1];
        assert_eq!(m.name, "rename");
        assert_eq!(m.origin, dir.path().join("2_rename"));
        assert_eq!(m.backfill, Some(dir.path().join("2_rename/backfill.toml")));
        assert_eq!(
            m.script(Contract, Up).unwrap().irreversible.as_deref(),
            Some("data is gone")
        );
        assert!(m.has_down(Expand));
        assert!(!m.has_down(Contract));
    }

    #[test]
    fn diesel_directories_with_metadata() {
        let dir = tree(&[
            ("00000000000000_diesel_initial_setup/up.sql", "select 1;"),
            ("00000000000000_diesel_initial_setup/down.sql", "select 2;"),
            (
                "2024-02-12-120203_idx/up.sql",
                "create index concurrently i on t(a);",
            ),
            (
                "2024-02-12-120203_idx/down.sql",
                "drop index concurrently i;",
            ),
            (
                "2024-02-12-120203_idx/metadata.toml",
                "run_in_transaction = false\n",
            ),
            ("2024-02-12-120203-0000_later/up.sql", "select 3;"),
            ("2019-03-22-170700_old/up.sql", "select 0;"),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::Diesel);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        let s = summary(&d);
        let versions: Vec<_> = d
            .migrations
            .iter()
            .map(|m| m.version.raw.as_str())
            .collect();
        assert_eq!(
            versions,
            [
                "00000000000000",
                "2019-03-22-170700",
                "2024-02-12-120203",
                "2024-02-12-120203-0000"
            ]
        );
        assert_eq!(
            s[3],
            (
                "2024-02-12-120203".into(),
                Expand,
                Up,
                false,
                true,
                "create index concurrently i on t(a);".into()
            )
        );
        assert_eq!(s[4].2, Down);
        assert!(s[4].4, "metadata applies to the down too");
        assert!(!s[0].4);
    }

    #[test]
    fn sqlx_simple_and_reversible() {
        let dir = tree(&[
            ("1_init.sql", "-- no-transaction\ncreate table t(a int);"),
            (
                "2_more.up.sql",
                "-- sluice:phase contract\nalter table t drop column a;",
            ),
            ("2_more.down.sql", "alter table t add column a int;"),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::Sqlx);
        assert_eq!(
            summary(&d),
            [
                (
                    "1".into(),
                    Expand,
                    Up,
                    false,
                    true,
                    "-- no-transaction\ncreate table t(a int);".into()
                ),
                (
                    "2".into(),
                    Contract,
                    Up,
                    true,
                    false,
                    "-- sluice:phase contract\nalter table t drop column a;".into()
                ),
                (
                    "2".into(),
                    Contract,
                    Down,
                    true,
                    false,
                    "alter table t add column a int;".into()
                ),
            ]
        );
        assert_eq!(d.migrations[1].origin, dir.path().join("2_more.up.sql"));
        assert_eq!(d.migrations[1].name, "more");
    }

    #[test]
    fn golang_migrate_and_authelia_names() {
        let dir = tree(&[
            ("000001_create.up.sql", "create table t(a int);"),
            ("000001_create.down.sql", "drop table t;"),
            (
                "000002_idx.autocommit.up.sql",
                "create index concurrently i on t(a);",
            ),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::GolangMigrate);
        assert_eq!(
            summary(&d),
            [
                (
                    "000001".into(),
                    Expand,
                    Up,
                    false,
                    false,
                    "create table t(a int);".into()
                ),
                (
                    "000001".into(),
                    Expand,
                    Down,
                    false,
                    false,
                    "drop table t;".into()
                ),
                (
                    "000002".into(),
                    Expand,
                    Up,
                    false,
                    true,
                    "create index concurrently i on t(a);".into()
                ),
            ]
        );
        let dir = tree(&[
            ("V0001.Initial_Schema.up.sql", "select 1;"),
            ("V0001.Initial_Schema.down.sql", "select 2;"),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::GolangMigrate);
        assert_eq!(d.migrations.len(), 1);
        assert_eq!(d.migrations[0].name, "Initial_Schema");
        assert_eq!(d.migrations[0].scripts.len(), 2);
    }

    #[test]
    fn flyway_versions_undo_and_repeatable() {
        let dir = tree(&[
            ("V1.10__later.sql", "select 3;"),
            ("V1.2__add.sql", "select 2;"),
            ("U1.2__add.sql", "select -2;"),
            ("V1_1__first.sql", "select 1;"),
            ("R__views.sql", "create view v as select 1;"),
            ("V3_bad.sql", "select 4;"),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::Flyway);
        let s: Vec<_> = summary(&d).into_iter().map(|s| (s.0, s.2, s.5)).collect();
        assert_eq!(
            s,
            [
                ("1_1".into(), Up, "select 1;".into()),
                ("1.2".into(), Up, "select 2;".into()),
                ("1.2".into(), Down, "select -2;".into()),
                ("1.10".into(), Up, "select 3;".into()),
            ]
        );
        let w: Vec<_> = d
            .warnings
            .iter()
            .map(|w| {
                (
                    w.path.file_name().unwrap().to_str().unwrap(),
                    w.message.as_str(),
                )
            })
            .collect();
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(w[0].0, "R__views.sql");
        assert!(w[0].1.contains("not supported"));
        assert_eq!(w[1].0, "V3_bad.sql");
        assert!(
            w[1].1.contains("two underscores") && w[1].1.contains("V<version>__<name>.sql"),
            "{}",
            w[1].1
        );
    }

    #[test]
    fn dbmate_sections() {
        let text = "-- header\n-- migrate:up transaction:false\ncreate index concurrently i on t(a);\n\n-- migrate:down\ndrop index i;\n";
        let dir = tree(&[
            ("20240101000000_idx.sql", text),
            ("20240102000000_b.sql", "-- migrate:up\nselect 1;\n"),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::Dbmate);
        let m = &d.migrations[0];
        let up = m.script(Expand, Up).unwrap();
        let down = m.script(Expand, Down).unwrap();
        let up_start = text.find("-- migrate:up").unwrap();
        let down_start = text.find("-- migrate:down").unwrap();
        assert_eq!(up.range, up_start..down_start);
        assert_eq!(down.range, down_start..text.len());
        assert!(up.no_transaction_marker);
        assert!(!down.no_transaction_marker);
        assert!(!up.phased);
        assert_eq!(d.migrations[1].scripts.len(), 1);
    }

    #[test]
    fn goose_sections() {
        let text = "-- sluice:phase contract\n-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nselect 1;\n-- +goose StatementEnd\n-- +goose Down\nselect 2;\n";
        let dir = tree(&[("00001_a.sql", text)]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::Goose);
        let m = &d.migrations[0];
        let up = m.script(Contract, Up).unwrap();
        let down = m.script(Contract, Down).unwrap();
        assert_eq!(
            up.range,
            text.find("-- +goose Up").unwrap()..text.find("-- +goose Down").unwrap()
        );
        assert_eq!(down.text(), "-- +goose Down\nselect 2;\n");
        assert!(up.no_transaction_marker && down.no_transaction_marker);
        assert!(up.phased && down.phased);
    }

    #[test]
    fn orders_numerically() {
        let dir = tree(&[
            ("10_b.sql", "select 10;"),
            ("2_a.sql", "select 2;"),
            ("1_z.sql", "select 1;"),
        ]);
        let v: Vec<_> = auto(&dir)
            .migrations
            .iter()
            .map(|m| m.version.raw.clone())
            .collect();
        assert_eq!(v, ["1", "2", "10"]);
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let dir = tree(&[("1_a.sql", "select 1;"), ("001_b.sql", "select 2;")]);
        let err = discover(dir.path(), LayoutChoice::Auto).unwrap_err();
        let SourceError::DuplicateVersion { first, second, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(
            (first, second),
            (&dir.path().join("001_b.sql"), &dir.path().join("1_a.sql"))
        );
        let dir = tree(&[
            ("1_a/expand.up.sql", "select 1;"),
            ("01_b/expand.up.sql", "select 1;"),
        ]);
        let err = discover(dir.path(), LayoutChoice::Auto).unwrap_err();
        let SourceError::DuplicateVersion { first, second, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(
            (first, second),
            (&dir.path().join("01_b"), &dir.path().join("1_a"))
        );
        assert!(err.to_string().contains("01_b") && err.to_string().contains("1_a"));
    }

    #[test]
    fn misnamed_files_warn() {
        let dir = tree(&[
            ("1_ok.up.sql", "select 1;"),
            ("1_ok.down.sql", "select 1;"),
            ("add_users.up.sql", "select 1;"),
            ("1_x.up.sq", "select 1;"),
            ("notes.txt", "x"),
            ("2_no_down.up.sql", "select 2;"),
        ]);
        let d = auto(&dir);
        assert_eq!(d.layout, Layout::GolangMigrate);
        assert_eq!(d.migrations.len(), 2, "an up without a down is a migration");
        let w: Vec<_> = d
            .warnings
            .iter()
            .map(|w| w.path.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(w, ["1_x.up.sq", "add_users.up.sql", "notes.txt"]);
        assert!(
            d.warnings
                .iter()
                .all(|w| w.message.contains("expected `<version>_<name>.up.sql`"))
        );

        let dir = tree(&[
            ("1_a/expand.up.sql", "select 1;"),
            ("1_a/expand.sql", "select 1;"),
            ("loose.sql", ""),
        ]);
        let d = auto(&dir);
        let w: Vec<_> = d
            .warnings
            .iter()
            .map(|w| {
                (
                    w.path.file_name().unwrap().to_str().unwrap(),
                    w.message.as_str(),
                )
            })
            .collect();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].0, "expand.sql");
        assert!(w[0].1.contains("unknown file") && w[0].1.contains("expand.up.sql"));
        assert_eq!(w[1].0, "loose.sql");

        // a fixed layout reports what does not fit it
        let dir = tree(&[("1_a.sql", "select 1;"), ("2_b.up.sql", "select 2;")]);
        let d = discover(dir.path(), LayoutChoice::Fixed(Layout::GolangMigrate)).unwrap();
        assert_eq!(d.migrations.len(), 1);
        assert_eq!(d.warnings.len(), 1);
        assert!(d.warnings[0].message.contains(".up.sql"));
    }

    #[test]
    fn mixed_and_undecidable_layouts_are_errors() {
        let dir = tree(&[("V1__a.sql", "select 1;"), ("2_b.up.sql", "select 2;")]);
        let err = discover(dir.path(), LayoutChoice::Auto)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mixes")
                && err.contains("migrations.layout")
                && err.contains("--format-layout"),
            "{err}"
        );
        let dir = tree(&[("add_users.sql", "select 1;")]);
        let err = discover(dir.path(), LayoutChoice::Auto)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot tell") && err.contains("migrations.layout"),
            "{err}"
        );
        // an empty directory is a new project
        let dir = tree(&[]);
        assert!(auto(&dir).migrations.is_empty());
    }

    #[test]
    fn not_found_and_not_utf8() {
        let dir = tree(&[]);
        let missing = dir.path().join("nope");
        assert!(
            matches!(discover(&missing, LayoutChoice::Auto), Err(SourceError::NotFound { path }) if path == missing)
        );
        std::fs::write(dir.path().join("1_a.sql"), b"select 1;\nselect '\xff';").unwrap();
        let err = discover(dir.path(), LayoutChoice::Auto).unwrap_err();
        let SourceError::NotUtf8 { path, err } = err else {
            panic!("{err}")
        };
        assert_eq!(path, dir.path().join("1_a.sql"));
        assert_eq!((err.line, err.column), (2, 9));
    }

    #[test]
    fn load_file_finds_siblings() {
        let dir = tree(&[
            ("3_x/expand.up.sql", "select 1;"),
            ("3_x/expand.down.sql", "select 2;"),
            ("4_y/down.sql", "select 4;"),
            ("4_y/up.sql", "select 3;"),
            ("4_y/metadata.toml", "run_in_transaction = false"),
            ("5_z.down.sql", "select 6;"),
            ("5_z.up.sql", "select 5;"),
            ("V6__w.sql", "select 7;"),
            ("U6__w.sql", "select 8;"),
            (
                "7_d.sql",
                "-- migrate:up\nselect 1;\n-- migrate:down\nselect 2;\n",
            ),
            ("loose.sql", "select 9;"),
        ]);
        let load = |p: &str| load_file(&dir.path().join(p), None).unwrap();
        let kinds = |m: &Migration| {
            m.scripts
                .iter()
                .map(|s| (s.phase, s.direction))
                .collect::<Vec<_>>()
        };

        let m = load("3_x/expand.up.sql");
        assert_eq!(
            (m.layout, m.version.raw.as_str(), m.name.as_str()),
            (Layout::Native, "3", "x")
        );
        assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);
        assert!(m.scripts.iter().all(|s| s.phased));

        let m = load("4_y/down.sql");
        assert_eq!((m.layout, m.version.raw.as_str()), (Layout::Diesel, "4"));
        assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);
        assert!(m.scripts.iter().all(|s| s.no_transaction_marker));

        let m = load("5_z.down.sql");
        assert_eq!(
            (m.layout, m.version.raw.as_str()),
            (Layout::GolangMigrate, "5")
        );
        assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);
        assert_eq!(m.script(Expand, Down).unwrap().text(), "select 6;");

        let m = load("V6__w.sql");
        assert_eq!(
            (m.layout, m.version.raw.as_str(), m.name.as_str()),
            (Layout::Flyway, "6", "w")
        );
        assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);

        let m = load("7_d.sql");
        assert_eq!((m.layout, m.version.raw.as_str()), (Layout::Dbmate, "7"));
        assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);

        let m = load("loose.sql");
        assert_eq!((m.layout, m.version.raw.as_str()), (Layout::Plain, "0"));
        assert_eq!(kinds(&m), [(Expand, Up)]);

        // stdin with a display name: no file needs to exist
        let m = load_file(
            Path::new("<stdin>"),
            Some("-- sluice:phase contract\r\nselect 1;".into()),
        )
        .unwrap();
        assert_eq!(m.scripts[0].text(), "-- sluice:phase contract\nselect 1;");
        assert_eq!((m.scripts[0].phase, m.scripts[0].phased), (Contract, true));
    }

    #[test]
    fn odd_names_never_panic() {
        let names = [
            "1_.sql",
            "_x.sql",
            "V__x.sql",
            "U.sql",
            "V.sql",
            ".up.sql",
            "up.sql",
            "1_x..up.sql",
            "V1.up.sql",
            "Vé.x.up.sql",
            "é_x.sql",
            "R__.sql",
            "1.2_x.sql",
            "-_x/up.sql",
            "1-_x/up.sql",
            "--1_x/expand.up.sql",
            "99999999999999999999999999999999999999999_x.sql",
            "1_x/nested/up.sql",
        ];
        let files: Vec<_> = names.iter().map(|n| (*n, "select 1;")).collect();
        let dir = tree(&files);
        let layouts = [
            Layout::Native,
            Layout::Sqlx,
            Layout::GolangMigrate,
            Layout::Flyway,
            Layout::Dbmate,
            Layout::Goose,
            Layout::Diesel,
            Layout::Plain,
        ];
        let _ = discover(dir.path(), LayoutChoice::Auto);
        for l in layouts {
            let _ = discover(dir.path(), LayoutChoice::Fixed(l));
        }
        for n in names {
            let _ = load_file(&dir.path().join(n), None);
        }
    }
}
