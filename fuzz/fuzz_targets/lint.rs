//! The whole lint of one file after a small history: never panics. The input's first line
//! (up to a newline) is the history, the rest the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::lint::test_utils::Case;

const HISTORY: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text, n int DEFAULT 0);\n\
CREATE INDEX users_name_idx ON users (name);\n\
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), total int);\n";

fuzz_target!(|text: &str| {
    let (extra, file) = text.split_once('\n').unwrap_or(("", text));
    let _ = Case::new(file).history(HISTORY).history(extra).diagnostics();
    let _ = Case::new(file).mariadb("10.11").history(extra).diagnostics();
    let _ = Case::new(file).contract().history(HISTORY).diagnostics();
});
