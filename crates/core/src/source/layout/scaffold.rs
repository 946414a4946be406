//! `migrate new`: the empty files of a new migration, named as its directory's layout names
//! them (the CLI writes them).

use std::path::{Path, PathBuf};

use crate::source::Layout;
use crate::sql::Dialect;

/// What `migrate new` was asked for.
pub struct New<'a> {
    pub dir: &'a Path,
    pub layout: Layout,
    /// A timestamp version, `YYYYMMDDHHMMSS`.
    pub version: &'a str,
    /// As the user wrote it: made lower case, other characters `_`.
    pub name: &'a str,
    /// Native layout: contract files too.
    pub phased: bool,
    /// pop: the dialect part of the names.
    pub dialect: Dialect,
    /// pop orders versions as text: a new one is padded to the widest there.
    pub width: usize,
}

/// The files (path, text) of the new migration; a refusal in words.
pub fn files(new: &New<'_>) -> Result<Vec<(PathBuf, String)>, String> {
    let name: String = new
        .name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.trim_matches('_').is_empty() {
        return Err(format!(
            "`{}`: give the migration a name with letters or digits",
            new.name
        ));
    }
    if new.phased && new.layout != Layout::Native {
        return Err(format!(
            "{}: --phased needs the native layout (directories with expand/contract scripts); this directory uses {}",
            new.dir.display(),
            new.layout.name()
        ));
    }
    let v = new.version;
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let header = |what: &str| format!("-- {what}\n");
    match new.layout {
        Layout::Native => {
            let d = new.dir.join(format!("{v}_{name}"));
            files.push((
                d.join("expand.up.sql"),
                header(
                    "expand: additive, backward compatible (runs before the new code rolls out)",
                ),
            ));
            files.push((d.join("expand.down.sql"), header("undo expand.up.sql")));
            if new.phased {
                files.push((
                    d.join("contract.up.sql"),
                    header("contract: remove and restrict (runs after the rollout completed)"),
                ));
                files.push((d.join("contract.down.sql"), header("undo contract.up.sql")));
            }
        }
        Layout::Flyway => {
            files.push((new.dir.join(format!("V{v}__{name}.sql")), String::new()));
            files.push((new.dir.join(format!("U{v}__{name}.sql")), String::new()));
        }
        Layout::Dbmate => files.push((
            new.dir.join(format!("{v}_{name}.sql")),
            "-- migrate:up\n\n-- migrate:down\n".into(),
        )),
        Layout::Goose => files.push((
            new.dir.join(format!("{v}_{name}.sql")),
            "-- +goose Up\n\n-- +goose Down\n".into(),
        )),
        Layout::Diesel => {
            let d = new.dir.join(format!("{v}_{name}"));
            files.push((d.join("up.sql"), String::new()));
            files.push((d.join("down.sql"), String::new()));
        }
        Layout::Pop => {
            let d = super::pop_dialect(new.dialect);
            let width = new.width;
            let v = format!("{v:0<width$}");
            files.push((
                new.dir.join(format!("{v}_{name}.{d}.up.sql")),
                String::new(),
            ));
            files.push((
                new.dir.join(format!("{v}_{name}.{d}.down.sql")),
                String::new(),
            ));
        }
        Layout::Sqlx | Layout::GolangMigrate | Layout::Plain => {
            files.push((new.dir.join(format!("{v}_{name}.up.sql")), String::new()));
            files.push((new.dir.join(format!("{v}_{name}.down.sql")), String::new()));
        }
    }
    Ok(files)
}
