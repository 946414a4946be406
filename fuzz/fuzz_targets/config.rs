//! `sluice.toml` and `backfill.toml` parsing: an error or a value, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sluice::source::backfill::BackfillSpec;

fuzz_target!(|text: &str| {
    if let Ok(c) = sluice::config::parse(Path::new("sluice.toml"), text) {
        let _ = sluice::config::run_settings(&c.file.run, c.file.migrations.out_of_order);
    }
    let _ = BackfillSpec::parse(Path::new("backfill.toml"), text);
});
