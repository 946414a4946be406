//! The batched delete on real PostgreSQL: `migrate apply` runs a `DELETE` of a large table
//! as a note of its keys, then batches, and leaves the rows `psql` running the statement
//! leaves (the reference: the same data and statements on a second database, by a plain
//! client).

use crate::common::{Scratch, batched, run, tree};

/// lemmy's duplicate `ap_id`s (the first of each kept), orphans of a deleted parent, and a
/// condition on the row; `comment` has a composite key.
const DATA: &str = "
CREATE TABLE person (id int PRIMARY KEY);
INSERT INTO person SELECT g FROM generate_series(1, 50) g;
CREATE TABLE post (id int PRIMARY KEY, ap_id text NOT NULL, creator_id int NOT NULL, removed boolean NOT NULL);
INSERT INTO post SELECT g, 'ap' || (g % 3000), g % 100 + 1, g % 7 = 0 FROM generate_series(1, 12000) g;
CREATE TABLE comment (tenant text, id bigint, body text, PRIMARY KEY (tenant, id));
INSERT INTO comment SELECT 't' || (g % 3), g, CASE WHEN g % 2 = 0 THEN '' ELSE 'b' END FROM generate_series(1, 4000) g;
ANALYZE;
";

const UP: &str = "DELETE FROM post a USING (
    SELECT min(id) AS id, ap_id FROM post GROUP BY ap_id HAVING count(*) > 1) b
WHERE a.ap_id = b.ap_id AND a.id <> b.id;

DELETE FROM post WHERE creator_id NOT IN (SELECT id FROM person);

DELETE FROM comment WHERE body = '';
";

fn rows(s: &Scratch) -> Vec<String> {
    s.strings(
        "SELECT (SELECT string_agg(id::text, ',' ORDER BY id) FROM post) || ' / ' || (SELECT string_agg(tenant || ':' || id, ',' ORDER BY tenant, id) FROM comment)",
    )
}

#[test]
fn a_delete_of_a_large_table_runs_in_batches_and_leaves_what_psql_leaves() {
    let dry = batched::runs_in_batches_and_leaves_what_the_client_leaves(&batched::Case {
        scratch: Scratch::pg,
        data: DATA,
        up: UP,
        lines: &[1, 5, 7],
        rows,
        scratch_tables: "SELECT count(*)::text FROM pg_class WHERE relname LIKE '\\_sluice\\_delete\\_%'",
    });
    assert!(
        dry.contains("batched delete of \"comment\" by tenant, id"),
        "{dry}"
    );
}

/// With a foreign runner's layout or a table without a primary key the statement runs as
/// written, and lint says why (an error: nothing batches it).
#[test]
fn lint_counts_on_the_batches_only_for_a_table_with_a_primary_key() {
    let dir = tree(&[
        (
            "migrations/1_t/expand.up.sql",
            "CREATE TABLE t (id int PRIMARY KEY, gone boolean);\nCREATE TABLE nokey (a int, gone boolean);\nCREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree, gone boolean);\nCREATE TABLE thread (id int PRIMARY KEY, parent int REFERENCES thread ON DELETE CASCADE, gone boolean);\n",
        ),
        (
            "migrations/1_t/expand.down.sql",
            "DROP TABLE t, nokey, tree, thread;\n",
        ),
        (
            "migrations/2_cleanup/contract.up.sql",
            "DELETE FROM t WHERE gone;\n",
        ),
        (
            "migrations/2_cleanup/contract.down.sql",
            "-- sluice:irreversible the rows are gone\nSELECT 1;\n",
        ),
        (
            "migrations/3_cleanup/contract.up.sql",
            "DELETE FROM nokey WHERE gone;\n",
        ),
        (
            "migrations/3_cleanup/contract.down.sql",
            "-- sluice:irreversible the rows are gone\nSELECT 1;\n",
        ),
        (
            "migrations/4_cleanup/contract.up.sql",
            "DELETE FROM tree WHERE gone;\n",
        ),
        (
            "migrations/4_cleanup/contract.down.sql",
            "-- sluice:irreversible the rows are gone\nSELECT 1;\n",
        ),
        (
            "migrations/5_cleanup/contract.up.sql",
            "DELETE FROM thread WHERE gone;\n",
        ),
        (
            "migrations/5_cleanup/contract.down.sql",
            "-- sluice:irreversible the rows are gone\nSELECT 1;\n",
        ),
    ]);
    let r = run(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .env("SLUICE_CACHE_DIR", "off")
            .args(["lint", "--format", "gcc", "migrations"]),
    );
    let out = format!("{}{}", r.stdout, r.stderr);
    let finding = |file: &str| {
        out.lines()
            .find(|l| l.contains(file) && l.contains("unbatched-backfill"))
            .unwrap_or_else(|| panic!("no finding in {file}:\n{out}"))
            .to_owned()
    };
    assert!(finding("2_cleanup").contains("warning"), "{out}");
    assert!(finding("3_cleanup").contains("error"), "{out}");
    // a key to itself that refuses the delete keeps it one statement; a cascading one not
    assert!(finding("4_cleanup").contains("error"), "{out}");
    assert!(finding("5_cleanup").contains("warning"), "{out}");
    assert_eq!(r.code, 1, "{out}");
}

/// A batch that fails (a trigger refuses one row's delete) stops the apply with the rows
/// already deleted gone and the scratch table dropped; once the cause is gone, a re-run notes
/// the keys that still match and ends where `psql` ends.
#[test]
fn a_failed_batch_is_resumed_by_a_rerun() {
    let reference = Scratch::pg();
    reference.exec(DATA);
    reference.exec(UP);
    let s = Scratch::pg();
    s.exec(DATA);
    s.exec(
        "CREATE FUNCTION keep_7000() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF OLD.id = 7000 THEN RAISE EXCEPTION 'post 7000 is kept'; END IF; RETURN OLD; END $$;
         CREATE TRIGGER keep_7000 BEFORE DELETE ON post FOR EACH ROW EXECUTE FUNCTION keep_7000();",
    );
    let dir = batched::cleanup(UP, "[run]\nlarge_table_rows = 1000\n");
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("batched delete of post: the batch after key")
            && r.stderr.contains("post 7000 is kept")
            && r.stderr.contains("rows are deleted and stay so"),
        "{r:?}"
    );
    let left: i64 = s.strings("SELECT count(*)::text FROM post")[0]
        .parse()
        .unwrap();
    assert!(
        left < 12_000 && left > 3_000,
        "the batches before the failure are committed: {left} rows left"
    );
    assert!(
        s.strings("SELECT relname::text FROM pg_class WHERE relname LIKE '\\_sluice\\_delete\\_%'")
            .is_empty(),
        "the scratch table is dropped on the failure"
    );
    s.exec("DROP TRIGGER keep_7000 ON post");
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        rows(&s),
        rows(&reference),
        "the rows left differ from psql's"
    );
}

/// A table referencing itself (a comment tree, `ON DELETE NO ACTION`): one statement
/// deletes a parent and its replies together, PostgreSQL checking the key at its end, where
/// batches by key would delete parents before a later batch reaches their replies and fail.
/// So the runner keeps it one statement, and lint (the apply check) says so: an error, which
/// `--allow unbatched-backfill` lets through, as written.
#[test]
fn a_table_referencing_itself_is_deleted_in_one_statement() {
    let s = Scratch::pg();
    s.exec(
        "CREATE TABLE note (id int PRIMARY KEY, parent_id int REFERENCES note (id), gone boolean NOT NULL);
         INSERT INTO note SELECT g, CASE WHEN g > 1500 THEN g - 1500 END, true FROM generate_series(1, 3000) g;
         ANALYZE note;",
    );
    let dir = batched::cleanup(
        "DELETE FROM note WHERE gone;\n",
        "[run]\nlarge_table_rows = 1000\n",
    );
    let r = run(s.migrate(dir.path()).args(["apply"]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("error[unbatched-backfill]"), "{r:?}");
    let dry =
        run(s
            .migrate(dir.path())
            .args(["apply", "--dry-run", "--allow", "unbatched-backfill"]));
    assert!(
        dry.stdout
            .contains("-- line 1: strategy plain: note references itself (note_parent_id_fkey"),
        "{dry:?}"
    );
    let r = run(s
        .migrate(dir.path())
        .args(["apply", "--allow", "unbatched-backfill"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(s.strings("SELECT count(*)::text FROM note"), ["0"]);
}

#[test]
fn a_batch_gives_way_to_an_application_row_lock() {
    batched::a_batch_gives_way_to_an_application_row_lock(
        &Scratch::pg(),
        DATA,
        "DELETE FROM post WHERE removed;\n",
        // post 3500 is removed: the DELETE takes it, in a batch after the first
        "UPDATE post SET ap_id = 'held' WHERE id = 3500",
        "SELECT count(*)::text FROM post WHERE removed",
    );
}
