//! `sluice.toml` and `backfill.toml` parsing: an error naming the file, or a value; never a
//! panic. A parsed backfill spec written back (as the planner writes one) reads back equal.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sluice_core::source::backfill::BackfillSpec;

fuzz_target!(|text: &str| {
    match sluice::config::parse(Path::new("sluice.toml"), text) {
        Ok(c) => {
            let _ = sluice::config::run_settings(&c.file.run, c.file.migrations.out_of_order);
            let _ = c.gate(Some("production"));
            let _ = c.gate(None);
        }
        Err(e) => assert!(e.to_string().starts_with("sluice.toml"), "{e}"),
    }
    let path = Path::new("backfill.toml");
    match BackfillSpec::parse_all(path, text) {
        Ok(fills) => {
            let written = BackfillSpec::all_to_toml(&fills, "written back\nby the fuzzer");
            let again = BackfillSpec::parse_all(path, &written);
            assert_eq!(again.as_ref(), Ok(&fills), "backfill.toml round trip");
        }
        Err(e) => assert!(e.to_string().starts_with("backfill.toml"), "{e}"),
    }
});
