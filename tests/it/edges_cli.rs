//! Config and command-line values out of range (issue 18): each is refused with exit 2 and
//! a message naming the value, before anything touches the database; nothing panics.

use crate::common::{Scratch, run, tree};

const MIGRATION: &str = "CREATE TABLE t (id int PRIMARY KEY);\n";

fn refused(r: &crate::common::Run, what: &str, says: &str) {
    assert_eq!(r.code, 2, "{what}: {r:?}");
    assert!(!r.stderr.contains("panicked"), "{what}: {r:?}");
    assert!(
        r.stderr.contains(says),
        "{what}: the message should say `{says}`: {r:?}"
    );
}

#[test]
fn run_settings_out_of_range_are_refused_with_the_key() {
    let s = Scratch::pg();
    let cases = [
        ("lock_timeout = \"0ms\"", "must be more than zero"),
        ("lock_timeout = \"-1s\"", "lock_timeout"),
        ("lock_timeout = \"30d\"", "at most 24 days"),
        (
            "statement_timeout = \"99999999999999d\"",
            "statement_timeout",
        ),
        ("lock_retries = -3", "sluice.toml:2"),
        ("lock_retries = 100000000000000", "sluice.toml:2"),
        ("large_table_rows = -1", "sluice.toml:2"),
        ("lock_timeout = 5", "sluice.toml:2"),
        ("shadow_batch_time = \"soon\"", "shadow_batch_time"),
    ];
    for (line, says) in cases {
        let dir = tree(&[
            ("sluice.toml", &format!("[run]\n{line}\n")),
            ("migrations/1_t/expand.up.sql", MIGRATION),
        ]);
        let r = run(s.migrate(dir.path()).args(["apply", "migrations"]));
        refused(&r, line, says);
    }
    assert!(
        !s.table_exists("sluice_migrations"),
        "a refused config touched the database"
    );
}

#[test]
fn backfill_values_out_of_range_are_refused_with_file_line_and_column() {
    let s = Scratch::pg();
    let cases = [
        ("batch_size = 0", "backfill.toml:3:14"),
        ("batch_size = -5", "backfill.toml:3:14"),
        ("batch_size = 99999999999999999999", "backfill.toml:3:14"),
        ("pause = \"-1s\"", "backfill.toml:3:9"),
        ("target_batch_time = \"0ms\"", "backfill.toml:3:21"),
    ];
    for (line, says) in cases {
        let dir = tree(&[
            (
                "migrations/1_t/expand.up.sql",
                "CREATE TABLE t (id int PRIMARY KEY, v int);\n",
            ),
            (
                "migrations/1_t/backfill.toml",
                &format!("table = \"t\"\nkey = [\"id\"]\n{line}\n[set]\nv = \"1\"\n"),
            ),
        ]);
        let r = run(s.migrate(dir.path()).args(["apply", "migrations"]));
        refused(&r, line, says);
    }
}

#[test]
fn command_line_values_out_of_range_are_refused() {
    let s = Scratch::pg();
    let dir = tree(&[("migrations/1_t/expand.up.sql", MIGRATION)]);
    let cases: [(&[&str], &str); 10] = [
        (&["rollback", "migrations", "--steps", "0"], "--steps"),
        (&["rollback", "migrations", "--steps", "-1"], "-1"),
        (
            &["rollback", "migrations", "--steps", "99999999999999999999"],
            "--steps",
        ),
        (
            &["apply", "migrations", "--lock-wait", "-5s"],
            "unexpected argument",
        ),
        (&["apply", "migrations", "--wait", "1e400s"], "--wait"),
        (
            &["apply", "migrations", "--to", "abc"],
            "not a migration version",
        ),
        (&["apply", "migrations", "--phase", "sideways"], "--phase"),
        (
            &["serve", "migrations", "--listen", "999.1.1.1:99999"],
            "cannot listen",
        ),
        (&["serve", "migrations", "--gate-poll", "0s"], "--gate-poll"),
        (
            &["status", "migrations", "--database-url", "mysql://[::1"],
            "cannot connect",
        ),
    ];
    for (args, says) in cases {
        let r = run(s.migrate(dir.path()).env("SLUICE_TOKEN", "t").args(args));
        refused(&r, &args.join(" "), says);
    }
    assert!(!s.table_exists("t"), "a refused command ran a migration");
}
