//! The statement splitter, PostgreSQL and MySQL lexers (goose blocks too): never panics, and
//! its chunks partition the input exactly, each statement and terminator inside its chunk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_core::source::split::{SplitOptions, split};

fuzz_target!(|text: &str| {
    for (mysql, goose) in [(false, false), (true, false), (false, true), (true, true)] {
        let chunks = split(text, SplitOptions { mysql, goose });
        let mut at = 0;
        for c in &chunks {
            assert_eq!(c.range.start, at, "chunks are contiguous");
            assert!(c.range.start <= c.range.end);
            at = c.range.end;
            for r in [c.stmt.as_ref(), c.terminator.as_ref()]
                .into_iter()
                .flatten()
            {
                assert!(
                    c.range.start <= r.start && r.end <= c.range.end,
                    "inside its chunk"
                );
                assert!(text.get(r.clone()).is_some(), "on char boundaries");
            }
            let comments = c
                .leading_comments
                .iter()
                .chain(&c.trailing_comments)
                .chain(&c.inner_comments);
            for k in comments {
                assert!(
                    c.range.start <= k.range.start && k.range.end <= c.range.end,
                    "comment inside its chunk"
                );
                assert!(
                    k.range.start <= k.body.start && k.body.end <= k.range.end,
                    "body inside its comment"
                );
                assert!(
                    text.get(k.body.clone()).is_some(),
                    "comment body on char boundaries"
                );
            }
            if let Some(e) = c.error {
                assert!(e.offset <= text.len(), "error offset inside the input");
            }
        }
        assert_eq!(at, text.len(), "chunks cover the input");
    }
});
