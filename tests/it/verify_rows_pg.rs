//! `migrate verify --rows` on PostgreSQL: the history's tables are filled (parents before
//! children, enums, arrays, a CHECK's listed values, other CHECKs refused as a note); a down
//! that loses a column's values is a data difference naming table and column; a correct down
//! with data is proven; NOT NULL and FOREIGN KEY steps that fail on the data are reported (and
//! pass without rows).

use sluice::sql::Dialect;

use crate::common::verify::{data_differences, filled, first_error, verify_change};

const HISTORY: (&str, &str) = (
    "CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE owners (id bigserial PRIMARY KEY, label varchar(20) NOT NULL UNIQUE, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE users (id bigint PRIMARY KEY, owner_id bigint NOT NULL REFERENCES owners (id), email text NOT NULL UNIQUE,
  nick text, mood mood, score numeric(5, 2), data jsonb, tags text[], uid uuid, born date,
  status text NOT NULL CHECK (status IN ('active', 'closed')));
CREATE TABLE negative (id int PRIMARY KEY, v int NOT NULL CHECK (v < 0));",
    "DROP TABLE negative; DROP TABLE users; DROP TABLE owners; DROP TYPE mood;",
);

#[test]
fn the_history_is_filled_parents_first_and_a_refused_check_is_a_note() {
    let (r, json) = verify_change(
        Dialect::Postgres,
        HISTORY,
        (
            "ALTER TABLE users ADD COLUMN age int;",
            "ALTER TABLE users DROP COLUMN age;",
        ),
        &["--rows", "300"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let (tables, skipped) = filled(&json);
    assert_eq!(
        tables,
        [("owners".to_owned(), 300), ("users".to_owned(), 300)],
        "{r:?}"
    );
    assert_eq!(skipped, ["negative"], "{r:?}");
    // every column got a value (the CHECK's listed values for status): no table was filled
    // with the required columns only
    assert!(
        json["runs"][0]["fill"]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["note"].is_null()),
        "{r:?}"
    );
    assert!(
        json["runs"][0]["fill"]["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("negative_v_check"),
        "{r:?}"
    );
}

#[test]
fn a_down_that_loses_a_columns_values_is_a_data_difference() {
    let (r, json) = verify_change(
        Dialect::Postgres,
        HISTORY,
        (
            "ALTER TABLE users DROP COLUMN nick;",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(json["runs"][0]["migrations"][0]["outcome"], "failed");
    assert_eq!(
        data_differences(&json),
        [("users".to_owned(), "nick".to_owned())],
        "{r:?}"
    );
    // the schema is restored: only the column order differs, a note
    let down = &json["runs"][0]["migrations"][0]["steps"][1];
    assert_eq!(down["step"], "down");
    assert_eq!(
        down["diff"]["differences"].as_array().map(Vec::len),
        Some(0)
    );
    // the same down drops and re-adds in one script: the values are gone all the same
    let (r, json) = verify_change(
        Dialect::Postgres,
        HISTORY,
        (
            "ALTER TABLE users ALTER COLUMN nick TYPE varchar(200);",
            "ALTER TABLE users DROP COLUMN nick; ALTER TABLE users ADD COLUMN nick text;",
        ),
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        data_differences(&json),
        [("users".to_owned(), "nick".to_owned())],
        "{r:?}"
    );
    // without rows there is nothing to lose
    let (r, json) = verify_change(
        Dialect::Postgres,
        HISTORY,
        (
            "ALTER TABLE users DROP COLUMN nick;",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
        &["--rows", "0"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(json["runs"][0]["fill"].is_null(), "{r:?}");
}

#[test]
fn a_correct_down_with_data_is_proven() {
    let (r, json) = verify_change(
        Dialect::Postgres,
        HISTORY,
        (
            "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;
ALTER TABLE users ALTER COLUMN nick SET NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_nick_key UNIQUE (nick);
ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 0);
UPDATE users SET age = 1;",
            "ALTER TABLE users DROP CONSTRAINT users_score_check;
ALTER TABLE users DROP CONSTRAINT users_nick_key;
ALTER TABLE users ALTER COLUMN nick DROP NOT NULL;
ALTER TABLE users DROP COLUMN age;",
        ),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json["runs"][0]["migrations"][0]["outcome"], "proven");
    assert!(data_differences(&json).is_empty());
    assert_eq!(filled(&json).0.len(), 2, "{r:?}");
}

#[test]
fn not_null_and_foreign_key_steps_that_fail_on_data_are_reported() {
    for (up, down, says) in [
        (
            "ALTER TABLE users ADD COLUMN age int NOT NULL;",
            "ALTER TABLE users DROP COLUMN age;",
            "contains null values",
        ),
        (
            "CREATE TABLE teams (id bigint PRIMARY KEY);
ALTER TABLE users ADD COLUMN team_id bigint;
UPDATE users SET team_id = id;
ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES teams (id);",
            "ALTER TABLE users DROP COLUMN team_id; DROP TABLE teams;",
            "violates foreign key constraint \"users_team_fk\"",
        ),
    ] {
        let (r, json) = verify_change(Dialect::Postgres, HISTORY, (up, down), &[]);
        assert_eq!(r.code, 1, "{r:?}");
        let (step, error) = first_error(&json);
        assert_eq!(step, "up", "{r:?}");
        assert!(error.contains(says), "{says}: {error}");
        assert!(error.contains("--rows 0"), "{error}");
        // on empty tables the same step passes
        let (r, _) = verify_change(Dialect::Postgres, HISTORY, (up, down), &["--rows", "0"]);
        assert_eq!(r.code, 0, "{r:?}");
    }
}

#[test]
fn values_the_up_changed_and_the_down_left_are_a_note_not_a_failure() {
    // an up that rewrites values (a data fix, a trigger's timestamp): the down did not lose
    // them, it left what the up made
    let (r, json) = verify_change(
        Dialect::Postgres,
        HISTORY,
        ("UPDATE users SET nick = upper(nick);", "SELECT 1;"),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let down = &json["runs"][0]["migrations"][0]["steps"][1];
    assert_eq!(down["step"], "down");
    assert_eq!(down["data"].as_array().map(Vec::len), Some(0), "{r:?}");
    let notes: Vec<&str> = down["data_notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        ["column users.nick: values changed by the up, not changed back by the down"],
        "{r:?}"
    );
}

#[test]
fn seeded_and_trigger_filled_tables_are_kept_and_give_their_rows_to_children() {
    // kinds: seeded by the history; stats: filled by a trigger on owners while owners fills;
    // both keep their rows, and their children reference them
    let history = (
        "CREATE TABLE kinds (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO kinds VALUES (1, 'a'), (2, 'b');
CREATE TABLE owners (id bigserial PRIMARY KEY, kind_id int NOT NULL REFERENCES kinds (id));
CREATE TABLE stats (owner_id bigint PRIMARY KEY REFERENCES owners (id), n int NOT NULL DEFAULT 0);
CREATE FUNCTION owners_stats() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO stats (owner_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER owners_stats AFTER INSERT ON owners FOR EACH ROW EXECUTE FUNCTION owners_stats();
CREATE TABLE stat_notes (id bigint PRIMARY KEY, stat_id bigint NOT NULL REFERENCES stats (owner_id), body text);",
        "DROP TABLE stat_notes; DROP TABLE stats; DROP TABLE owners; DROP FUNCTION owners_stats(); DROP TABLE kinds;",
    );
    let (r, json) = verify_change(
        Dialect::Postgres,
        history,
        (
            "ALTER TABLE stat_notes ADD COLUMN seen boolean;",
            "ALTER TABLE stat_notes DROP COLUMN seen;",
        ),
        &["--rows", "200"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let (tables, skipped) = filled(&json);
    assert_eq!(
        tables,
        [("owners".to_owned(), 200), ("stat_notes".to_owned(), 200)],
        "{r:?}"
    );
    assert_eq!(skipped, ["kinds", "stats"], "{r:?}");
}
