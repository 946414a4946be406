//! File and directory names: versions, names, directions, per layout.

use super::{Direction, Layout, Phase, Version};

pub(super) fn zero() -> Version {
    Version::parse("0").expect("static")
}

pub(super) fn flip(d: Direction) -> Direction {
    match d {
        Direction::Up => Direction::Down,
        Direction::Down => Direction::Up,
    }
}

pub(super) fn dir_word(d: Direction) -> &'static str {
    match d {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

pub(super) fn expected(layout: Layout) -> &'static str {
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
        Layout::Pop => {
            "`<version>_<name>.<dialect>.up.sql` and `.down.sql` (no dialect part: every dialect)"
        }
        Layout::Plain => "a .sql file",
    }
}

/// `expand.up.sql` -> (Expand, Up).
pub(super) fn native_file(name: &str) -> Option<(Phase, Direction)> {
    Some(match name {
        "expand.up.sql" => (Phase::Expand, Direction::Up),
        "expand.down.sql" => (Phase::Expand, Direction::Down),
        "contract.up.sql" => (Phase::Contract, Direction::Up),
        "contract.down.sql" => (Phase::Contract, Direction::Down),
        _ => return None,
    })
}

pub(super) fn diesel_file(name: &str) -> Option<Direction> {
    match name {
        "up.sql" => Some(Direction::Up),
        "down.sql" => Some(Direction::Down),
        _ => None,
    }
}

/// `<version>_<name>` with a plain version (`1`, `0001`, `20240101120000`, `1.2`).
pub(super) fn version_name(stem: &str) -> Option<(Version, String)> {
    let (v, name) = stem.split_once('_')?;
    if name.is_empty() {
        return None;
    }
    Some((Version::parse(v)?, name.to_owned()))
}

/// Directory names: `<version>_<name>`, where the version may also be diesel's
/// `YYYY-MM-DD-HHMMSS[-NNNN]`.
pub(super) fn dir_version_name(dir: &str) -> Option<(Version, String)> {
    let (raw, name) = dir.split_once('_')?;
    if name.is_empty() {
        return None;
    }
    Some((Version::parse_diesel(raw)?, name.to_owned()))
}

/// `<version>_<name>.up.sql` / `.down.sql`, also authelia's `V<version>.<Name>.up.sql`.
pub(super) struct UpDownName<'a> {
    pub(super) stem: &'a str,
    pub(super) direction: Direction,
    pub(super) version: Option<Version>,
    pub(super) name: &'a str,
    /// ory/pop's `<name>.autocommit.up.sql` runs outside a transaction.
    pub(super) autocommit: bool,
}

pub(super) fn up_down_name(file: &str) -> Option<UpDownName<'_>> {
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

pub(super) enum FlywayName<'a> {
    Versioned {
        direction: Direction,
        version: Version,
        name: &'a str,
    },
    Repeatable,
}

pub(super) fn flyway_name(file: &str) -> Option<FlywayName<'_>> {
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
