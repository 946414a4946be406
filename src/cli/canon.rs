//! Canonical paths, for telling whether two names reach the same file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `p` resolved (`realpath`), or `p` as given when it cannot be.
pub(super) fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Canonical paths of files, each directory resolved once. `realpath` reads every component
/// of a path again (about ten system calls a file, 15% of a 12,000-file lint's kernel time):
/// a file that is not itself a symlink is its directory's canonical path joined with its name.
#[derive(Default)]
pub(super) struct Canon {
    dirs: BTreeMap<PathBuf, PathBuf>,
}

impl Canon {
    pub(super) fn file(&mut self, p: &Path) -> PathBuf {
        let (Some(parent), Some(name)) = (p.parent(), p.file_name()) else {
            return canon(p);
        };
        // a symlink (or a path that is not there) goes the long way
        if !std::fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink()) {
            return canon(p);
        }
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        self.dirs
            .entry(parent.to_path_buf())
            .or_insert_with(|| canon(parent))
            .join(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_resolves_as_realpath_does() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("a.sql"), "").unwrap();
        std::fs::write(real.join("b.sql"), "").unwrap();
        let mut c = Canon::default();
        let mut paths = vec![
            real.join("a.sql"),
            real.join("b.sql"),
            real.join("./a.sql"),
            real.join("../real/b.sql"),
            real.join("missing.sql"),
        ];
        #[cfg(unix)]
        {
            // a directory reached through a link, and a file that is a link
            std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
            std::os::unix::fs::symlink(real.join("a.sql"), real.join("c.sql")).unwrap();
            paths.push(tmp.path().join("link/a.sql"));
            paths.push(real.join("c.sql"));
            paths.push(tmp.path().join("link/c.sql"));
        }
        for p in paths {
            assert_eq!(c.file(&p), canon(&p), "{}", p.display());
        }
    }
}
