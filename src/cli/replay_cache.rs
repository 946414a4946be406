//! Where `migrate lint` keeps replayed histories between runs (`lint::replay_cache` makes
//! the keys and the bytes): `$SLUICE_CACHE_DIR`, else `$XDG_CACHE_HOME/sluice`, else
//! `~/.cache/sluice`; `SLUICE_CACHE_DIR=off` turns it off. Entries are written to a
//! temporary file and renamed into place, so a reader sees a whole entry or none; an entry
//! that does not read back (corrupt, another key, another format) is replayed again and
//! overwritten. The newest [`KEEP`] entries are kept.

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::lint::{self as linter, LintReport, LintSettings, replay_cache};
use crate::source::Migration;

/// Entries kept (one per history a change set was linted on).
const KEEP: usize = 16;

/// The cache directory, `None` when turned off or no home is known.
fn dir() -> Option<PathBuf> {
    match std::env::var_os("SLUICE_CACHE_DIR") {
        Some(d) if d == "off" || d.is_empty() => None,
        Some(d) => Some(PathBuf::from(d)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|d| d.join("sluice")),
    }
}

/// Changes with every build of the binary: its version, size and modification time.
fn build_id() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok());
    let stamp = exe.map(|m| {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!("{} {mtime}", m.len())
    });
    format!(
        "{} {}",
        env!("CARGO_PKG_VERSION"),
        stamp.unwrap_or_default()
    )
}

/// `lint_change_set(settings, &history, changes)`, with the history below the change set
/// read from the cache when it holds it (replayed and stored when not).
pub(super) fn lint_change_set(
    settings: &LintSettings,
    history: Vec<Migration>,
    changes: &[Migration],
) -> LintReport {
    let Some(dir) = dir() else {
        return linter::lint_change_set(settings, &history, changes);
    };
    let (below, rest) = replay_cache::split_history(history, changes);
    if below.is_empty() {
        return linter::lint_change_set(settings, &rest, changes);
    }
    let key = replay_cache::key(settings, &build_id(), &below);
    let path = dir.join(format!("replay-{key}.json"));
    let cached = std::fs::read(&path)
        .ok()
        .and_then(|bytes| replay_cache::decode(&key, &bytes));
    let seed = match cached {
        Some(seed) => {
            tracing::info!(path = %path.display(), migrations = below.len(), "replayed history read from the cache");
            seed
        }
        None => {
            let seed = linter::engine::replay(settings, Catalog::new(settings.dialect), &below);
            if let Err(e) = store(&dir, &path, &replay_cache::encode(&key, &seed)) {
                tracing::warn!(path = %path.display(), error = %e, "cannot write the replay cache");
            }
            seed
        }
    };
    drop(below);
    linter::lint_change_set_on(settings, seed, &rest, changes)
}

/// Write `bytes` to `path` whole (temporary file, rename), then drop the oldest entries.
fn store(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".replay-{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("replay-") && name.ends_with(".json")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    entries.sort();
    let extra = entries.len().saturating_sub(KEEP);
    for (_, old) in entries.into_iter().take(extra) {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}
