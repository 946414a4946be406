//! The batched delete's differential test, shared by the servers: the same data and
//! `DELETE`s run by a plain client on one scratch database and by `migrate apply` on another.

use super::{Scratch, run, tree};

/// A native migration whose expand is `up` (a DELETE has no inverse), with `config`.
pub fn cleanup(up: &str, config: &str) -> tempfile::TempDir {
    tree(&[
        ("sluice.toml", config),
        ("migrations/1_cleanup/expand.up.sql", up),
        (
            "migrations/1_cleanup/expand.down.sql",
            "-- sluice:irreversible the rows are gone\nSELECT 1;\n",
        ),
    ])
}

/// What a differential run needs of a server.
pub struct Case<'a> {
    pub scratch: fn() -> Scratch,
    pub data: &'a str,
    pub up: &'a str,
    /// Lines of `up` holding a DELETE the runner batches.
    pub lines: &'a [usize],
    /// The rows left, as one comparable value.
    pub rows: fn(&Scratch) -> Vec<String>,
    /// How many `_sluice_delete_%` tables are left.
    pub scratch_tables: &'a str,
}

/// `migrate apply` of `up` (`large_table_rows` 1000) batches every DELETE of `lines`, each
/// in more than one batch, leaves no scratch table, and the rows the plain client leaves.
/// Returns what `--dry-run` printed.
pub fn runs_in_batches_and_leaves_what_the_client_leaves(c: &Case<'_>) -> String {
    let reference = (c.scratch)();
    reference.exec(c.data);
    reference.exec(c.up);
    let s = (c.scratch)();
    s.exec(c.data);
    let dir = cleanup(c.up, "[run]\nlarge_table_rows = 1000\n");
    let dry = run(s.migrate(dir.path()).args(["apply", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    for line in c.lines {
        let want = format!("-- line {line}: strategy batched-delete");
        assert!(
            dry.stdout.contains(&want),
            "dry run lacks `{want}`:\n{}",
            dry.stdout
        );
    }
    let r = run(s.migrate(dir.path()).args(["apply", "-v"]));
    assert_eq!(r.code, 0, "{r:?}");
    // each took several batches (the first is 1,000 keys)
    let batches: Vec<u64> = r
        .stderr
        .lines()
        .filter(|l| l.contains("batched delete done"))
        .filter_map(|l| {
            l.split("batches=")
                .nth(1)
                .and_then(|t| t.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .collect();
    assert_eq!(batches.len(), c.lines.len(), "{}", r.stderr);
    assert!(batches.iter().all(|b| *b > 1), "{batches:?}\n{}", r.stderr);
    assert_eq!(
        s.strings(c.scratch_tables),
        ["0"],
        "the scratch tables of the keys are dropped"
    );
    assert_eq!(
        (c.rows)(&s),
        (c.rows)(&reference),
        "the rows left differ from the plain client's"
    );
    dry.stdout
}

/// A row the DELETE of `up` matches, held by an application's open transaction (`hold`, an
/// UPDATE that leaves it matching): a batch meeting it gives way within milliseconds (it rolls
/// back, releasing the rows it took, and tries again) instead of waiting `lock_timeout` with
/// them; once the application commits, the row is deleted with the rest. `left` counts the
/// rows that should be gone.
pub fn a_batch_gives_way_to_an_application_row_lock(
    s: &Scratch,
    data: &str,
    up: &str,
    hold: &str,
    left: &str,
) {
    s.exec(data);
    let dir = cleanup(
        up,
        "[run]\nlarge_table_rows = 1000\nlock_timeout = \"1s\"\nlock_retries = 0\n",
    );
    let held = s.hold(hold);
    let (gave_way, out) = super::run_until(
        s.migrate(dir.path()).args(["-vv", "apply"]),
        "giving way",
        std::time::Duration::from_secs(60),
        || held.commit(),
    );
    let log = &out.stderr;
    assert!(gave_way, "no batch gave way: {log}");
    assert_eq!(out.code, 0, "{out:?}");
    // it never waited out lock_timeout, which would have failed the run (no retries)
    assert!(!log.contains("lock timeout deleting a batch"), "{log}");
    assert!(
        super::logged_number(log, "batched delete done", "yields") >= 1,
        "{log}"
    );
    assert_eq!(s.strings(left), ["0"]);
}
