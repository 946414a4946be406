//! Parse + classify, and the token-scan fallback, on both dialects, statement by statement as
//! the linter sees them: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_core::source::split::{SplitOptions, split};
use sluice_core::sql::{Dialect, classify, parse, tokscan};

fuzz_target!(|text: &str| {
    for d in [Dialect::Postgres, Dialect::Mysql] {
        let opts = SplitOptions {
            mysql: d == Dialect::Mysql,
            goose: false,
        };
        for c in split(text, opts) {
            let Some(stmt) = c.stmt else { continue };
            let sql = &text[stmt];
            if let Ok(stmts) = parse(d, sql) {
                for s in &stmts {
                    let _ = classify::classify(d, s);
                    let _ = classify::bounded_batch(s);
                }
            }
            // the fallback runs on what the parser refuses; it must cope with anything
            let _ = tokscan::scan(d, sql);
        }
    }
});
