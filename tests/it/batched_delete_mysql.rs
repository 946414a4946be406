//! The batched delete on real MariaDB: `migrate apply` runs a `DELETE` of a large table as
//! a note of its keys (under READ COMMITTED), then batches, and leaves the rows the
//! `mariadb` client running the statements leaves (the reference: the same data and
//! statements on a second database, by a plain client).

use crate::common::{Scratch, batched, run};

/// Duplicate `ap_id`s (the first of each kept), orphans of a missing creator, and a
/// condition on the row; `comment` has a composite key.
const DATA: &str = "
CREATE TABLE person (id int PRIMARY KEY);
INSERT INTO person SELECT seq FROM seq_1_to_50;
CREATE TABLE post (id int PRIMARY KEY, ap_id varchar(20) NOT NULL, creator_id int NOT NULL, removed boolean NOT NULL);
INSERT INTO post SELECT seq, CONCAT('ap', seq % 3000), seq % 100 + 1, seq % 7 = 0 FROM seq_1_to_12000;
CREATE TABLE comment (tenant varchar(10), id bigint, body varchar(10), PRIMARY KEY (tenant, id));
INSERT INTO comment SELECT CONCAT('t', seq % 3), seq, IF(seq % 2 = 0, '', 'b') FROM seq_1_to_4000;
ANALYZE TABLE person, post, comment;
";

const UP: &str = "DELETE FROM post WHERE id NOT IN (
    SELECT id FROM (SELECT min(id) AS id FROM post GROUP BY ap_id) AS firsts);

DELETE FROM post WHERE creator_id NOT IN (SELECT id FROM person);

DELETE FROM comment WHERE body = '';
";

fn rows(s: &Scratch) -> Vec<String> {
    s.strings(
        "SET STATEMENT group_concat_max_len = 1000000 FOR SELECT CAST(CONCAT((SELECT GROUP_CONCAT(id ORDER BY id SEPARATOR ',') FROM post), ' / ', (SELECT GROUP_CONCAT(CONCAT(tenant, ':', id) ORDER BY tenant, id SEPARATOR ',') FROM comment)) AS CHAR)",
    )
}

#[test]
fn a_delete_of_a_large_table_runs_in_batches_and_leaves_what_the_client_leaves() {
    batched::runs_in_batches_and_leaves_what_the_client_leaves(&batched::Case {
        scratch: Scratch::mysql,
        data: DATA,
        up: UP,
        lines: &[1, 4, 6],
        rows,
        scratch_tables: "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_sluice\\_delete\\_%'",
    });
}

/// The note reads under READ COMMITTED: a row an application holds locked (an open
/// transaction's UPDATE of a row the DELETE keeps) does not stop it, as InnoDB's
/// `CREATE TABLE .. SELECT` would under REPEATABLE READ, which takes a shared lock on every
/// row it reads.
#[test]
fn the_note_reads_past_an_application_row_lock() {
    use sqlx::{Connection, Executor};
    let s = Scratch::mysql();
    s.exec(DATA);
    let dir = batched::cleanup(
        "DELETE FROM post WHERE removed;\n",
        "[run]\nlarge_table_rows = 1000\nlock_timeout = \"1s\"\nlock_retries = 0\n",
    );
    let url = s.url.clone();
    let (held, release) = (
        std::sync::Arc::new(std::sync::Barrier::new(2)),
        std::sync::Arc::new(std::sync::Barrier::new(2)),
    );
    let (h, r) = (held.clone(), release.clone());
    let app = std::thread::spawn(move || {
        crate::common::block_on(async move {
            let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
            c.execute("BEGIN").await.unwrap();
            // post 1 is not removed: the DELETE keeps it, the note reads it
            c.execute("UPDATE post SET ap_id = 'held' WHERE id = 1")
                .await
                .unwrap();
            h.wait();
            r.wait();
            c.execute("ROLLBACK").await.unwrap();
        })
    });
    held.wait();
    let out = run(s.migrate(dir.path()).args(["apply", "-v"]));
    release.wait();
    app.join().unwrap();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("batched delete done"), "{}", out.stderr);
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM post WHERE removed"),
        ["0"]
    );
}

#[test]
fn a_batch_gives_way_to_an_application_row_lock() {
    batched::a_batch_gives_way_to_an_application_row_lock(
        &Scratch::mysql(),
        DATA,
        "DELETE FROM post WHERE removed;\n",
        // post 3500 is removed: the DELETE takes it, in a batch after the first
        "UPDATE post SET ap_id = 'held' WHERE id = 3500",
        "SELECT CAST(COUNT(*) AS CHAR) FROM post WHERE removed",
    );
}
