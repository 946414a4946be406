//! One explicitly named file (or stdin) as a migration, with its sibling scripts.

use std::path::Path;

use super::build::{Spec, diesel_no_transaction, flyway_no_transaction, make_migration};
use super::names::{
    FlywayName, diesel_file, dir_version_name, dir_word, flip, flyway_name, native_file,
    up_down_name, version_name, zero,
};
use super::pop::{PopDialect, pop_name};
use super::sections::{section_specs, sniff};
use super::{Direction, Layout, Migration, SourceError, SourceFile};

/// Load one explicitly named file (or stdin text with its display name) as a migration.
///
/// The file name says what it is; siblings (the down of an up, the up of a down) are loaded
/// from disk when they exist so that rules about pairs can see them.
pub fn load_file(path: &Path, stdin_text: Option<String>) -> Result<Migration, SourceError> {
    let file = match stdin_text {
        Some(t) => SourceFile::new(
            path,
            crate::source::text::normalize(t.as_bytes()).unwrap_or(t),
        ),
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
        } else if let Some(n) =
            pop_name(file_name).filter(|n| matches!(n.dialect, PopDialect::Known(_)) && !n.fizz)
        {
            // `<v>_<name>.<dialect>[.autocommit].up.sql`: its other direction in the same dialect
            let other = file_name.replace(
                &format!(".{}.sql", dir_word(n.direction)),
                &format!(".{}.sql", dir_word(flip(n.direction))),
            );
            let specs = pair(file, n.direction, None, n.autocommit, &other)?;
            (
                n.version,
                n.name.to_owned(),
                Layout::Pop,
                path.to_owned(),
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
            let mut specs = pair(
                file,
                direction,
                None,
                false,
                &format!("{prefix}{}", &file_name[1..]),
            )?;
            // each script has its own `.conf`
            for s in &mut specs {
                s.no_tx = flyway_no_transaction(&s.file.path, &mut warnings)?;
            }
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
    // beside the file, where directory discovery finds it too (`migrate plan --out` writes it)
    let backfill =
        backfill.or_else(|| sibling_backfill(parent, layout, &version, &name, file_name));
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

/// The backfill file of a migration of a file layout, named on its own: diesel's
/// `backfill.toml` in the migration's directory, Flyway's `V<v>__<name>.backfill.toml`, pop's
/// `<v>_<name>.<dialect>.backfill.toml` (the dialect of `file_name`; as `migrate plan`
/// writes it) or `<v>_<name>.backfill.toml`, the others' `<v>_<name>.backfill.toml`.
fn sibling_backfill(
    parent: &Path,
    layout: Layout,
    version: &super::Version,
    name: &str,
    file_name: &str,
) -> Option<std::path::PathBuf> {
    let plain = parent.join(format!("{}_{name}.backfill.toml", version.raw));
    let candidates = match layout {
        Layout::Native | Layout::Plain => return None,
        Layout::Diesel => vec![parent.join("backfill.toml")],
        Layout::Flyway => vec![parent.join(format!("V{}__{name}.backfill.toml", version.raw))],
        Layout::Pop => {
            let dialect = file_name
                .strip_prefix(&format!("{}_{name}.", version.raw))
                .and_then(|rest| rest.split('.').next());
            let own =
                dialect.map(|d| parent.join(format!("{}_{name}.{d}.backfill.toml", version.raw)));
            own.into_iter().chain([plain]).collect()
        }
        _ => vec![plain],
    };
    candidates.into_iter().find(|c| c.is_file())
}
