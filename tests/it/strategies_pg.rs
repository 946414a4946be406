//! Online strategies on real PostgreSQL: what `--dry-run` shows, and what `apply` leaves.

use crate::common::{Scratch, run, tree};

const CONFIG: &str = "[run]\nlarge_table_rows = 1000\n";

fn big(s: &Scratch) {
    s.exec(
        "CREATE TABLE owners (id int PRIMARY KEY);
         INSERT INTO owners SELECT g FROM generate_series(1, 10) g;
         CREATE TABLE accounts (id int PRIMARY KEY, owner_id int, email text, note text);
         INSERT INTO accounts SELECT g, g % 10 + 1, 'e' || g, 'n' FROM generate_series(1, 20000) g;
         CREATE TABLE tiny (id int PRIMARY KEY, a int);
         INSERT INTO tiny VALUES (1, 1);
         ANALYZE;",
    );
}

#[test]
fn unsafe_statements_run_their_online_form() {
    let s = Scratch::pg();
    big(&s);
    let up = "CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
CREATE INDEX tiny_a_idx ON tiny (a);
-- sluice:strategy plain
CREATE INDEX accounts_note_idx ON accounts (note);
";
    let dir = tree(&[
        // SET NOT NULL in an expand and an index pinned plain on a large table are what this
        // test means to run: the apply check lets them through by config
        (
            "sluice.toml",
            "[run]\nlarge_table_rows = 1000\nallow = [\"adding-not-nullable-field\", \"require-concurrent-index-creation\"]\n",
        ),
        ("migrations/1_online/expand.up.sql", up),
        (
            "migrations/1_online/expand.down.sql",
            "-- sluice:irreversible test\nSELECT 1;\n",
        ),
    ]);
    let dry = run(s.migrate(dir.path()).args(["apply", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    let out = &dry.stdout;
    for want in [
        "-- line 1: strategy concurrent-index",
        "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts(email)",
        "-- line 2: strategy not-valid-validate",
        "REFERENCES owners(id) NOT VALID",
        "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_owner_fk",
        "-- line 3: strategy not-null-check",
        "-- line 4: strategy plain: tiny has about 1 rows (below large_table_rows 1000)",
        "-- line 6: strategy plain (forced)",
        "CREATE INDEX accounts_note_idx ON accounts (note)",
    ] {
        assert!(out.contains(want), "dry run lacks `{want}`:\n{out}");
    }
    assert!(
        !out.contains("BEGIN\n"),
        "the script must run statement by statement:\n{out}"
    );

    let r = run(s.migrate(dir.path()).args(["apply", "-v"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("strategy") && r.stderr.contains("concurrent-index"),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT string_agg(c.relname || ':' || i.indisvalid, ',' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE '%\\_idx'"),
        ["accounts_email_idx:true,accounts_note_idx:true,tiny_a_idx:true"]
    );
    assert_eq!(
        s.strings("SELECT conname || ':' || convalidated FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype IN ('f', 'c') ORDER BY 1"),
        ["accounts_owner_fk:true"],
        "the FK is validated and the NOT NULL check is gone"
    );
    assert_eq!(
        s.strings("SELECT attnotnull::text FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'email'"),
        ["true"]
    );
}

#[test]
fn unknown_or_misplaced_strategies_are_input_errors() {
    let s = Scratch::pg();
    big(&s);
    let dir = tree(&[
        (
            "migrations/1_x/expand.up.sql",
            "-- sluice:strategy warp\nCREATE INDEX i ON accounts (email);\n",
        ),
        ("migrations/1_x/expand.down.sql", "DROP INDEX i;\n"),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("expand.up.sql:2: unknown strategy `warp`"),
        "{r:?}"
    );
    assert!(
        s.strings("SELECT relname::text FROM pg_class WHERE relname = 'i'")
            .is_empty()
    );
}

#[test]
fn vacuum_full_goes_through_pg_repack() {
    assert!(
        sluice::run::strategies::repack::find().is_some(),
        "pg_repack is not installed: scripts/test.sh installs postgresql-15-repack"
    );
    let s = Scratch::pg();
    big(&s);
    let before = s.strings("SELECT pg_relation_filenode('accounts')::text");
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        (
            "migrations/1_repack/expand.up.sql",
            "VACUUM FULL accounts;\n",
        ),
        (
            "migrations/1_repack/expand.down.sql",
            "-- sluice:irreversible a rebuild\nSELECT 1;\n",
        ),
    ]);
    let dry = run(s.migrate(dir.path()).args(["apply", "--dry-run"]));
    assert!(
        dry.stdout.contains("strategy pg-repack")
            && dry.stdout.contains("--no-kill-backend --no-order"),
        "{dry:?}"
    );
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings("SELECT extname::text FROM pg_extension WHERE extname = 'pg_repack'"),
        ["pg_repack"]
    );
    assert_ne!(
        s.strings("SELECT pg_relation_filenode('accounts')::text"),
        before,
        "the table was rebuilt"
    );
    assert_eq!(s.strings("SELECT count(*)::text FROM accounts"), ["20000"]);
}

#[test]
fn failed_unique_build_leaves_no_invalid_index_and_names_the_duplicate() {
    let s = Scratch::pg();
    big(&s);
    s.exec("UPDATE accounts SET email = 'dup@x' WHERE id IN (7, 8); ANALYZE accounts;");
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        // rewritten to CREATE UNIQUE INDEX CONCURRENTLY by the concurrent-index strategy
        (
            "migrations/1_u/expand.up.sql",
            "CREATE UNIQUE INDEX accounts_email_key ON accounts (email);\n",
        ),
        (
            "migrations/1_u/expand.down.sql",
            "DROP INDEX accounts_email_key;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("Key (email)=(dup@x) is duplicated")
            && r.stderr
                .contains("the INVALID index accounts_email_key the failed build left was dropped"),
        "{r:?}"
    );
    assert!(
        s.strings("SELECT relname::text FROM pg_class WHERE relname = 'accounts_email_key'")
            .is_empty(),
        "no leftover index"
    );
    // fixed data: the same migration goes through
    s.exec("UPDATE accounts SET email = 'e8' WHERE id = 8");
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'accounts_email_key'::regclass"),
        ["true"]
    );
}
