//! Parse + classify, and the token-scan fallback, on both dialects: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::sql::{Dialect, classify, parse, tokscan};

fuzz_target!(|text: &str| {
    for d in [Dialect::Postgres, Dialect::Mysql] {
        match parse(d, text) {
            Ok(stmts) => {
                for s in &stmts {
                    let _ = classify::classify(d, s);
                }
            }
            Err(_) => {
                let _ = tokscan::scan(d, text);
            }
        }
    }
});
