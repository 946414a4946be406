//! ory/pop (kratos, keto, hydra): `<version>_<name>[.<dialect>][.autocommit].<up|down>.sql`,
//! the variants of every dialect side by side in one directory.
//!
//! As pop (`popx`) does: a file without a dialect part is for every dialect; a file of the
//! target dialect replaces it for its version and direction; files of other dialects are not
//! migrations here. Dialect synonyms fold as pop registers them (`pg`, `postgresql` ->
//! `postgres`; `crdb`, `cockroachdb` -> `cockroach`; `sqlite` -> `sqlite3`). `.autocommit`
//! runs outside a transaction. A file holding only blank and `--` comment lines runs
//! nothing and is recorded (pop skips running it too). `.fizz` files (pop's own DSL) are
//! not SQL: reported and skipped.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::build::{Builder, Spec, make_migration};
use super::detect::Entry;
use super::{Direction, Layout, SourceError, Version};
use crate::sql::Dialect;

/// The dialect part of a pop file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PopDialect {
    /// No dialect part: every dialect.
    All,
    /// One pop knows, by its canonical name.
    Known(&'static str),
    /// One pop does not know: pop skips the file.
    Unknown(String),
}

impl PopDialect {
    fn parse(part: &str) -> PopDialect {
        PopDialect::Known(match part {
            "postgres" | "postgresql" | "pg" => "postgres",
            "mysql" => "mysql",
            "mariadb" => "mariadb",
            "cockroach" | "cockroachdb" | "crdb" => "cockroach",
            "sqlite3" | "sqlite" => "sqlite3",
            _ => return PopDialect::Unknown(part.to_owned()),
        })
    }
}

/// A pop migration file name, parsed.
#[derive(Debug)]
pub(super) struct PopName<'a> {
    pub(super) version: Version,
    pub(super) name: &'a str,
    pub(super) dialect: PopDialect,
    pub(super) autocommit: bool,
    pub(super) direction: Direction,
    pub(super) fizz: bool,
}

/// `<digits>_<name>[.<dialect>][.autocommit].<up|down>.<sql|fizz>`, the name without dots.
pub(super) fn pop_name(file: &str) -> Option<PopName<'_>> {
    let (stem, fizz) = match file.strip_suffix(".sql") {
        Some(s) => (s, false),
        None => (file.strip_suffix(".fizz")?, true),
    };
    let (stem, direction) = match stem.strip_suffix(".up") {
        Some(s) => (s, Direction::Up),
        None => (stem.strip_suffix(".down")?, Direction::Down),
    };
    let (stem, autocommit) = match stem.strip_suffix(".autocommit") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let (head, dialect) = match stem.split_once('.') {
        Some((head, part)) => {
            let lower = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            if part.is_empty() || !part.bytes().all(lower) {
                return None;
            }
            (head, PopDialect::parse(part))
        }
        None => (stem, PopDialect::All),
    };
    let (version, name) = head.split_once('_')?;
    if name.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(PopName {
        version: Version::parse(version)?,
        name,
        dialect,
        autocommit,
        direction,
        fizz,
    })
}

/// The pop dialect whose files are the migrations for `dialect` (MariaDB too reads `mysql`).
pub fn target(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "postgres",
        Dialect::Mysql => "mysql",
    }
}

/// A chosen file of one version and direction: 2 for the target dialect, 1 for every dialect.
struct Pick {
    rank: u8,
    path: PathBuf,
    name: String,
    spec: Spec,
}

impl Builder {
    /// pop: per version and direction, the target dialect's file, else the dialect-free one.
    pub(super) fn pop_files(&mut self, entries: &[Entry]) -> Result<(), SourceError> {
        let layout = Layout::Pop;
        let target = target(self.target);
        let mut picks: BTreeMap<(Version, Direction), Pick> = BTreeMap::new();
        for e in entries {
            if self.not_a_script(layout, e) {
                continue;
            }
            let Some(n) = pop_name(&e.name) else {
                self.warn(&e.path, "not named like a pop migration", layout);
                continue;
            };
            let rank = match &n.dialect {
                _ if n.fizz => {
                    self.note(&e.path, "fizz migrations (pop's own DSL) are not SQL; skipped: generate its SQL with `soda generate sql`");
                    continue;
                }
                PopDialect::All => 1,
                PopDialect::Known(d) if *d == target => 2,
                PopDialect::Known("mariadb") if target == "mysql" => {
                    self.note(&e.path, "pop's `mariadb` files are skipped: Sluice applies the `mysql` files on MySQL and MariaDB alike");
                    continue;
                }
                PopDialect::Known(_) => continue, // another dialect's variant
                PopDialect::Unknown(d) => {
                    let what = format!("`{d}` is not a dialect pop knows (pop skips the file too)");
                    self.warn(&e.path, &what, layout);
                    continue;
                }
            };
            let key = (n.version.clone(), n.direction);
            match picks.get(&key) {
                Some(p) if p.rank == rank => {
                    return Err(SourceError::DuplicateVersion {
                        version: n.version.raw.clone(),
                        first: p.path.clone(),
                        second: e.path.clone(),
                    });
                }
                Some(p) if p.rank > rank => continue,
                _ => {}
            }
            let file = self.files.get(&e.path)?;
            let spec = Spec::whole(file, n.direction, None, n.autocommit);
            picks.insert(
                key,
                Pick {
                    rank,
                    path: e.path.clone(),
                    name: n.name.to_owned(),
                    spec,
                },
            );
        }
        // up then down of each version; the up names the migration
        let mut by_version: BTreeMap<Version, Vec<Pick>> = BTreeMap::new();
        for ((v, _), p) in picks {
            by_version.entry(v).or_default().push(p);
        }
        for (version, picks) in by_version {
            let (name, origin) = (picks[0].name.clone(), picks[0].path.clone());
            let specs = picks.into_iter().map(|p| p.spec).collect();
            let m = make_migration(
                version,
                name,
                layout,
                origin,
                specs,
                None,
                &mut self.warnings,
            );
            self.migrations.push(m);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pop_names() {
        let n = pop_name("20150100000001000000_networks.postgres.up.sql").unwrap();
        assert_eq!(
            (n.version.raw.as_str(), n.name, &n.dialect, n.direction),
            (
                "20150100000001000000",
                "networks",
                &PopDialect::Known("postgres"),
                Direction::Up
            )
        );
        let n = pop_name("1_x.pg.autocommit.down.sql").unwrap();
        assert_eq!(n.dialect, PopDialect::Known("postgres"));
        assert!(n.autocommit && n.direction == Direction::Down);
        let n = pop_name("1_x.autocommit.up.sql").unwrap();
        assert_eq!(n.dialect, PopDialect::All);
        assert!(n.autocommit);
        assert_eq!(pop_name("1_x.up.sql").unwrap().dialect, PopDialect::All);
        assert_eq!(
            pop_name("1_x.crdb.up.sql").unwrap().dialect,
            PopDialect::Known("cockroach")
        );
        assert_eq!(
            pop_name("1_x.oracle.up.sql").unwrap().dialect,
            PopDialect::Unknown("oracle".into())
        );
        assert!(pop_name("1_x.up.fizz").unwrap().fizz);
        for bad in [
            "V1__x.sql",
            "x.up.sql",
            "1_.up.sql",
            "1_x.sql",
            "1_x.Postgres.up.sql",
            "1_x.a.b.up.sql",
            "V0001.Initial.up.sql",
        ] {
            assert!(pop_name(bad).is_none(), "{bad}");
        }
    }
}
