//! The version and file-name parsers of every layout (native, sqlx, golang-migrate, Flyway,
//! dbmate, goose, diesel, pop, plain): a fuzzed path loaded as one migration (its text given,
//! as from stdin), the version parsers, and the way back: a migration emitted in each layout
//! reads back with its version and name, and `next_version` gives a free, later version.
//! Never panics.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use sluice_core::source::Version;
use sluice_core::source::layout::emit::{NewMigration, emit, next_version, parse_stem};
use sluice_core::source::layout::{Layout, load_file};
use sluice_core::sql::Dialect;

const LAYOUTS: [Layout; 7] = [
    Layout::Sqlx,
    Layout::GolangMigrate,
    Layout::Flyway,
    Layout::Dbmate,
    Layout::Goose,
    Layout::Diesel,
    Layout::Pop,
];

// `<layout byte><dir>\n<file>\n<text>`: the seeds are the corpora's paths and texts
fuzz_target!(|data: &[u8]| {
    let Some((&byte, rest)) = data.split_first() else {
        return;
    };
    let Ok(rest) = std::str::from_utf8(rest) else {
        return;
    };
    let mut parts = rest.splitn(3, '\n');
    let (dir, file, text) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let (layout, mysql) = (byte & 0x7f, byte & 0x80 != 0);
    // a name under a directory that does not exist: no sibling file is ever read
    if !dir.contains(['/', '\0']) && dir != ".." && !file.contains(['/', '\0']) {
        let path = PathBuf::from("/nonexistent-sluice-fuzz")
            .join(dir)
            .join(file);
        let _ = load_file(&path, Some(text.to_owned()));
    }
    for raw in [dir, file] {
        for v in [
            Version::parse(raw),
            Version::parse_any(raw),
            Version::parse_diesel(raw),
        ]
        .into_iter()
        .flatten()
        {
            assert_eq!(v.raw, raw, "a version displays as written");
        }
    }
    let layout = LAYOUTS[usize::from(layout) % LAYOUTS.len()];
    let dialect = if mysql {
        Dialect::Mysql
    } else {
        Dialect::Postgres
    };

    // the next free version after `dir` (read as the layout reads a file name), `file` taken
    let stem = |raw: &str| {
        if layout == Layout::Flyway {
            format!("V{raw}__x")
        } else {
            format!("{raw}_x")
        }
    };
    if let Some((after, _)) = parse_stem(layout, &stem(dir)) {
        let taken: Vec<Version> = parse_stem(layout, &stem(file))
            .map(|(v, _)| v)
            .into_iter()
            .collect();
        if let Some(next) = next_version(layout, &after, &taken) {
            let (v, _) =
                parse_stem(layout, &stem(&next)).expect("the next version parses in its layout");
            assert!(v > after, "{next} after {}", after.raw);
            assert!(
                !taken.iter().any(|t| *t > after && *t <= v),
                "{next} skips a taken version"
            );
        }
    }

    // emitted files read back as the migration they were written for: a plain version (as
    // the planner writes one) and a name starting with a letter
    let version: String = dir.chars().filter(char::is_ascii_digit).take(20).collect();
    let name: String = file
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .take(30)
        .collect();
    if version.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_lowercase())
        || name.ends_with("autocommit")
    {
        return;
    }
    let m = NewMigration {
        version: &version,
        name: &name,
        up: text,
        down: Some("SELECT 1;"),
        no_transaction: mysql,
    };
    let files = emit(layout, dialect, &m).expect("a file layout emits");
    let want = Version::parse(&version).expect("digits");
    for (path, text) in files {
        // backfill.toml, diesel's metadata.toml, Flyway's .sql.conf: not scripts
        if path.extension().is_some_and(|e| e == "toml" || e == "conf") {
            continue;
        }
        let path = Path::new("/nonexistent-sluice-fuzz").join(path);
        let got = load_file(&path, Some(text)).expect("an emitted file loads");
        assert_eq!(got.version, want, "{}: version", path.display());
        assert_eq!(got.name, name, "{}: name", path.display());
    }
});
