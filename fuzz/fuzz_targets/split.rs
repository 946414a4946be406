//! The statement splitter, PostgreSQL and MySQL lexers (goose blocks too): never panics, and
//! its chunks partition the input exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::source::split::{SplitOptions, split};

fuzz_target!(|text: &str| {
    for (mysql, goose) in [(false, false), (true, false), (false, true)] {
        let chunks = split(text, SplitOptions { mysql, goose });
        let mut at = 0;
        for c in &chunks {
            assert_eq!(c.range.start, at, "chunks are contiguous");
            at = c.range.end;
        }
        assert_eq!(at, text.len(), "chunks cover the input");
    }
});
