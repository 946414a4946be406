//! A replayed history kept between runs: a pull request's lint replays the same hundreds of
//! migrations every time to lint one file. The caller (the CLI) stores the catalog those
//! migrations leave under a key of everything the replay reads; this module makes the key
//! and the bytes, and reads them back. Pure: no I/O.
//!
//! Only the history below the change set's lowest version is cached: later history
//! migrations interleave with the change set and replay as before, so
//! `lint_change_set_on(settings, decode(..), &rest, changes)` gives what
//! `lint_change_set(settings, &history, changes)` gives (`tests` compares them on the corpora).

use std::hash::{DefaultHasher, Hasher};

use serde::{Deserialize, Serialize};
use sluice_core::catalog::{Catalog, CatalogImage};
use sluice_core::source::Migration;

use super::settings::LintSettings;

/// Bumped when the encoding or what the key covers changes.
const FORMAT: u32 = 3;

/// History below the change set's lowest version (cacheable) and the rest (replayed with
/// the change set), each in the order given.
pub fn split_history(
    history: Vec<Migration>,
    changes: &[Migration],
) -> (Vec<Migration>, Vec<Migration>) {
    let Some(lowest) = changes.iter().map(|m| &m.version).min() else {
        return (Vec::new(), history);
    };
    history.into_iter().partition(|m| m.version < *lowest)
}

/// The key of a replay of `history` from an empty catalog (the same within one build): the build (`build`: something
/// that changes with the binary), the settings the parser and the catalog read, and every
/// byte, path, version, layout, phase, direction and range of every script of `history`.
pub fn key(settings: &LintSettings, build: &str, history: &[Migration]) -> String {
    // two SipHash streams told apart by a first word: a 128-bit key, and at a few times
    // sha256's speed (hashing the history is most of a cached run)
    let mut h = [DefaultHasher::new(), DefaultHasher::new()];
    h[0].write_u8(0);
    h[1].write_u8(1);
    let mut field = |b: &[u8]| {
        for h in &mut h {
            h.write_usize(b.len());
            h.write(b);
        }
    };
    field(format!("sluice replay cache {FORMAT}").as_bytes());
    field(build.as_bytes());
    field(
        format!(
            "{:?} {} {} {:?}",
            settings.dialect, settings.mariadb, settings.server_version, settings.server_patch
        )
        .as_bytes(),
    );
    for m in history {
        field(format!("{:?} {:?} {}", m.version, m.layout, m.scripts.len()).as_bytes());
        for s in &m.scripts {
            field(s.file.path.as_os_str().as_encoded_bytes());
            field(
                format!(
                    "{:?} {:?} {:?} {} {}",
                    s.phase, s.direction, s.range, s.phased, s.no_transaction_marker
                )
                .as_bytes(),
            );
            field(s.file.text.as_bytes());
        }
    }
    format!("{:016x}{:016x}", h[0].finish(), h[1].finish())
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    key: String,
    catalog: CatalogImage,
}

#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    key: &'a str,
    catalog: &'a CatalogImage,
}

/// The bytes to store for `catalog` under `key`.
pub fn encode(key: &str, catalog: &Catalog) -> Vec<u8> {
    let image = catalog.image();
    serde_json::to_vec(&StoredRef {
        format: FORMAT,
        key,
        catalog: &image,
    })
    .unwrap_or_default()
}

/// The catalog stored under `key`; `None` when the bytes are not a complete entry of this
/// format for this very key (truncated, corrupt, another key's file, an older format).
pub fn decode(key: &str, bytes: &[u8]) -> Option<Catalog> {
    let stored: Stored = serde_json::from_slice(bytes).ok()?;
    (stored.format == FORMAT && stored.key == key).then(|| Catalog::from_image(stored.catalog))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::source::load_file;

    fn migration(name: &str, sql: &str) -> Migration {
        load_file(std::path::Path::new(name), Some(sql.to_owned())).expect("in memory")
    }

    #[test]
    fn the_key_covers_every_byte_and_the_settings() {
        let s = LintSettings::default();
        let a = [migration("1_a.sql", "CREATE TABLE t (a int);")];
        let k = key(&s, "b", &a);
        assert_eq!(k, key(&s, "b", &a), "stable");
        assert_ne!(k, key(&s, "b2", &a), "build");
        let edited = [migration("1_a.sql", "CREATE TABLE t (a bigint);")];
        assert_ne!(k, key(&s, "b", &edited), "text");
        let renamed = [migration("1_b.sql", "CREATE TABLE t (a int);")];
        assert_ne!(k, key(&s, "b", &renamed), "path");
        let my = LintSettings {
            dialect: sluice_core::sql::Dialect::Mysql,
            ..LintSettings::default()
        };
        assert_ne!(k, key(&my, "b", &a), "dialect");
    }

    #[test]
    fn only_a_whole_entry_of_its_key_reads_back() {
        let mut c = Catalog::new(sluice_core::sql::Dialect::Postgres);
        c.apply_statement(None, &[], true);
        let bytes = encode("k", &c);
        assert_eq!(
            format!("{:?}", decode("k", &bytes).expect("reads back")),
            format!("{c:?}")
        );
        assert!(decode("other", &bytes).is_none());
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode("k", &bytes[..cut]).is_none(), "{cut}");
        }
        assert!(decode("k", b"\xff\x00garbage").is_none());
    }
}
