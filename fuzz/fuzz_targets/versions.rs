//! The version and file-name parsers of every layout: a fuzzed path loaded as one migration
//! (its text given, as from stdin), and the version parsers themselves. Never panics; a
//! parsed version orders consistently with itself.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use sluice::source::Version;
use sluice::source::layout::load_file;

fuzz_target!(|input: (&str, &str, &str)| {
    let (dir, file, text) = input;
    if dir.contains('\0') || file.contains('\0') || file.contains('/') {
        return;
    }
    // under a directory that does not exist: no sibling is ever read
    let path = PathBuf::from("/nonexistent-sluice-fuzz").join(dir).join(file);
    let _ = load_file(&path, Some(text.to_owned()));
    for raw in [dir, file] {
        for v in [Version::parse(raw), Version::parse_any(raw), Version::parse_diesel(raw)]
            .into_iter()
            .flatten()
        {
            assert_eq!(v.cmp(&v), std::cmp::Ordering::Equal);
        }
    }
});
