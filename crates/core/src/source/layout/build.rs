//! Building migrations from the files a layout names: scripts, directives, phases.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::detect::{Entry, Files, io_err, list_dir};
use super::names::{
    FlywayName, diesel_file, dir_version_name, expected, flyway_name, native_file, up_down_name,
    version_name,
};
use super::pop::{PopDialect, pop_name, target as pop_target};
use super::sections::section_specs;
use super::{
    Direction, Layout, Migration, Phase, Script, SourceError, SourceFile, SourceWarning, Version,
};
use crate::source::directives::{self, Directive};
use crate::source::split::{SplitOptions, split};
use crate::sql::Dialect;

/// A script before its directives are read.
pub(super) struct Spec {
    pub(super) file: Arc<SourceFile>,
    pub(super) range: Range<usize>,
    /// The file's text before its first section (file-level directives); whole file otherwise.
    pub(super) header: Range<usize>,
    pub(super) direction: Direction,
    /// Set by the layout (native); otherwise from a `-- sluice:phase` directive.
    pub(super) phase: Option<Phase>,
    /// Marker found by the layout (diesel metadata, dbmate option, goose, autocommit).
    pub(super) no_tx: bool,
}

impl Spec {
    pub(super) fn whole(
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
pub(super) fn leading_directives(text: &str, range: Range<usize>, goose: bool) -> Vec<Directive> {
    let Some(sub) = text.get(range) else {
        return Vec::new();
    };
    // `directives::parse` only answers a comment holding one of these words (as written, case
    // and all): a text without any has no directive, and splitting all of it (most of the
    // cost of discovering a directory) would find none
    if !crate::source::directives::WORDS
        .iter()
        .any(|w| sub.contains(w))
    {
        return Vec::new();
    }
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

pub(super) fn make_migration(
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
pub(super) fn diesel_no_transaction(
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

/// Flyway's script configuration beside a script (`V1__x.sql.conf`, Flyway 6.1+): does it say
/// `executeInTransaction=false`? Java properties: `key=value` or `key: value`, `#` / `!`
/// comments.
pub(super) fn flyway_no_transaction(
    script: &Path,
    warnings: &mut Vec<SourceWarning>,
) -> Result<bool, SourceError> {
    let mut conf = script.as_os_str().to_owned();
    conf.push(".conf");
    let path = PathBuf::from(conf);
    if !path.is_file() {
        return Ok(false);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
    let mut no_tx = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', '!']) {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        if key.trim() != "executeInTransaction" {
            continue;
        }
        match value.trim() {
            v if v.eq_ignore_ascii_case("false") => no_tx = true,
            v if v.eq_ignore_ascii_case("true") => no_tx = false,
            v => warnings.push(SourceWarning {
                path: path.clone(),
                message: format!(
                    "executeInTransaction must be true or false, not `{v}`; ignored (Flyway \
                     wraps the script in a transaction)"
                ),
            }),
        }
    }
    Ok(no_tx)
}

pub(super) struct Builder {
    pub(super) files: Files,
    pub(super) warnings: Vec<SourceWarning>,
    pub(super) migrations: Vec<Migration>,
    /// The dialect whose migrations are wanted (pop keeps every dialect in one directory).
    pub(super) target: Dialect,
    /// File layouts: `<version>_<name>.backfill.toml` by version, with its pop rank.
    pub(super) backfills: BTreeMap<Version, (u8, PathBuf)>,
}

impl Builder {
    pub(super) fn warn(&mut self, path: &Path, what: &str, layout: Layout) {
        self.warnings.push(SourceWarning {
            path: path.to_owned(),
            message: format!("{what}; skipped (expected {})", expected(layout)),
        });
    }

    pub(super) fn note(&mut self, path: &Path, message: &str) {
        self.warnings.push(SourceWarning {
            path: path.to_owned(),
            message: message.to_owned(),
        });
    }

    /// File layouts: a `<version>_<name>.backfill.toml` (Flyway `V<version>__<name>..`, pop
    /// with the dialect part) is the backfill of migration `<version>`. True when `e` is
    /// such a file (taken, or reported).
    pub(super) fn backfill_file(&mut self, layout: Layout, e: &Entry) -> bool {
        let Some(stem) = e.name.strip_suffix(".backfill.toml") else {
            return false;
        };
        let parsed = match layout {
            Layout::Flyway => stem
                .strip_prefix('V')
                .and_then(|s| s.split_once("__"))
                .and_then(|(v, _)| Version::parse(v))
                .map(|v| (v, 1)),
            Layout::Pop => match pop_name(&format!("{stem}.up.sql")) {
                Some(n) => match n.dialect {
                    PopDialect::All => Some((n.version, 1)),
                    PopDialect::Known(d) if d == pop_target(self.target) => Some((n.version, 2)),
                    _ => return true, // another dialect's backfill
                },
                None => None,
            },
            _ => version_name(stem).map(|(v, _)| (v, 1)),
        };
        let Some((version, rank)) = parsed else {
            self.warn(
                &e.path,
                "a backfill file needs the version of its migration",
                layout,
            );
            return true;
        };
        match self.backfills.get(&version) {
            Some((r, first)) if *r == rank => {
                let message = format!(
                    "two backfill files for version {version}: {} and this one; skipped (keep one)",
                    first.display()
                );
                self.note(&e.path, &message);
            }
            Some((r, _)) if *r > rank => {}
            _ => {
                self.backfills.insert(version, (rank, e.path.clone()));
            }
        }
        true
    }

    /// File layouts: a subdirectory (reported) or a backfill file (taken) is no script.
    pub(super) fn not_a_script(&mut self, layout: Layout, e: &Entry) -> bool {
        if e.is_dir {
            self.warn(&e.path, "subdirectories are not scanned", layout);
            return true;
        }
        if layout == Layout::Flyway && e.name.ends_with(".sql.conf") {
            return true; // a script's configuration, read with its script
        }
        self.backfill_file(layout, e)
    }

    /// Give each migration of a file layout its backfill file.
    pub(super) fn attach_backfills(&mut self) {
        for (version, (_, path)) in std::mem::take(&mut self.backfills) {
            match self.migrations.iter_mut().find(|m| m.version == version) {
                Some(m) => m.backfill = Some(path),
                None => self.note(
                    &path,
                    &format!("no migration has version {version}: this backfill is skipped"),
                ),
            }
        }
    }

    /// Native and diesel: one directory per migration.
    pub(super) fn directories(
        &mut self,
        layout: Layout,
        entries: &[Entry],
    ) -> Result<(), SourceError> {
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
                    _ if f.name == "backfill.toml" => backfill = Some(f.path.clone()),
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
    pub(super) fn files(&mut self, layout: Layout, entries: &[Entry]) -> Result<(), SourceError> {
        // version -> (name, origin, up, down); entries come in path order, so a taken slot
        // holds the first of two duplicates
        let mut groups: BTreeMap<Version, Group> = BTreeMap::new();
        for e in entries {
            if self.not_a_script(layout, e) {
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
    pub(super) fn file_parts(
        &mut self,
        layout: Layout,
        e: &Entry,
    ) -> Result<Option<Parts>, SourceError> {
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
                    let no_tx = flyway_no_transaction(&e.path, &mut self.warnings)?;
                    (
                        version,
                        name.to_owned(),
                        vec![Spec::whole(file, direction, None, no_tx)],
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

pub(super) struct Parts {
    pub(super) version: Version,
    pub(super) name: String,
    pub(super) specs: Vec<Spec>,
}

pub(super) struct Group {
    pub(super) name: String,
    pub(super) origin: PathBuf,
    pub(super) up: Option<(PathBuf, Spec)>,
    pub(super) down: Option<(PathBuf, Spec)>,
}
