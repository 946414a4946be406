//! `migrate verify --rows` on MariaDB: the history's tables are filled (parents before
//! children, enums, JSON, a CHECK's listed values, another CHECK refused as a note); a down
//! that loses a column's values is a data difference naming table and column; a correct down
//! with data is proven; UNIQUE and FOREIGN KEY steps that fail on the data are reported (and
//! pass without rows).

use sluice::sql::Dialect;

use crate::common::verify::{data_differences, filled, first_error, verify_change};

const HISTORY: (&str, &str) = (
    "CREATE TABLE owners (id bigint AUTO_INCREMENT PRIMARY KEY, label varchar(20) NOT NULL UNIQUE, created timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE users (id bigint PRIMARY KEY, owner_id bigint NOT NULL, email varchar(100) NOT NULL UNIQUE, nick varchar(30),
  mood enum('happy', 'sad'), score decimal(5, 2), data json, flag tinyint(1) NOT NULL, born date,
  status varchar(10) NOT NULL CHECK (status IN ('active', 'closed')),
  CONSTRAINT users_owner FOREIGN KEY (owner_id) REFERENCES owners (id));
CREATE TABLE negative (id int PRIMARY KEY, v int NOT NULL CHECK (v < 0));",
    "DROP TABLE negative; DROP TABLE users; DROP TABLE owners;",
);

#[test]
fn mysql_the_history_is_filled_parents_first_and_a_refused_check_is_a_note() {
    let (r, json) = verify_change(
        Dialect::Mysql,
        HISTORY,
        (
            "ALTER TABLE users ADD COLUMN age int;",
            "ALTER TABLE users DROP COLUMN age;",
        ),
        // past 1000: MySQL's recursion limit does not apply to the row numbers
        &["--rows", "1200"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let (tables, skipped) = filled(&json);
    assert_eq!(
        tables,
        [("owners".to_owned(), 1200), ("users".to_owned(), 1200)],
        "{r:?}"
    );
    assert_eq!(skipped, ["negative"], "{r:?}");
    // every column got a value: none was filled with the required ones only
    assert!(
        json["runs"][0]["fill"]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["note"].is_null()),
        "{r:?}"
    );
}

#[test]
fn mysql_a_down_that_loses_a_columns_values_is_a_data_difference() {
    let (r, json) = verify_change(
        Dialect::Mysql,
        HISTORY,
        (
            "ALTER TABLE users DROP COLUMN nick;",
            "ALTER TABLE users ADD COLUMN nick varchar(30);",
        ),
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        data_differences(&json),
        [("users".to_owned(), "nick".to_owned())],
        "{r:?}"
    );
    let (r, json) = verify_change(
        Dialect::Mysql,
        HISTORY,
        (
            "ALTER TABLE users MODIFY nick varchar(200);",
            "ALTER TABLE users DROP COLUMN nick; ALTER TABLE users ADD COLUMN nick varchar(30) AFTER email;",
        ),
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        data_differences(&json),
        [("users".to_owned(), "nick".to_owned())],
        "{r:?}"
    );
}

#[test]
fn mysql_a_correct_down_with_data_is_proven() {
    let (r, json) = verify_change(
        Dialect::Mysql,
        HISTORY,
        (
            "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;
ALTER TABLE users MODIFY nick varchar(30) NOT NULL;
CREATE UNIQUE INDEX users_nick_key ON users (nick);
UPDATE users SET age = 1;",
            "DROP INDEX users_nick_key ON users;
ALTER TABLE users MODIFY nick varchar(30);
ALTER TABLE users DROP COLUMN age;",
        ),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json["runs"][0]["migrations"][0]["outcome"], "proven");
    assert!(data_differences(&json).is_empty());
}

#[test]
fn mysql_unique_and_foreign_key_steps_that_fail_on_data_are_reported() {
    for (up, down, says) in [
        (
            "CREATE UNIQUE INDEX users_mood_key ON users (mood);",
            "DROP INDEX users_mood_key ON users;",
            "Duplicate entry",
        ),
        (
            "CREATE TABLE teams (id bigint PRIMARY KEY);
ALTER TABLE users ADD COLUMN team_id bigint;
UPDATE users SET team_id = id;
ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES teams (id);",
            "ALTER TABLE users DROP FOREIGN KEY users_team_fk; ALTER TABLE users DROP COLUMN team_id; DROP TABLE teams;",
            "foreign key constraint fails",
        ),
    ] {
        let (r, json) = verify_change(Dialect::Mysql, HISTORY, (up, down), &[]);
        assert_eq!(r.code, 1, "{r:?}");
        let (step, error) = first_error(&json);
        assert_eq!(step, "up", "{r:?}");
        assert!(error.contains(says), "{says}: {error}");
        let (r, _) = verify_change(Dialect::Mysql, HISTORY, (up, down), &["--rows", "0"]);
        assert_eq!(r.code, 0, "{r:?}");
    }
}

#[test]
fn mysql_values_the_up_changed_and_the_down_left_are_a_note_not_a_failure() {
    let (r, json) = verify_change(
        Dialect::Mysql,
        HISTORY,
        ("UPDATE users SET nick = UPPER(nick);", "SELECT 1;"),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let down = &json["runs"][0]["migrations"][0]["steps"][1];
    assert_eq!(down["data"].as_array().map(Vec::len), Some(0), "{r:?}");
    assert_eq!(
        down["data_notes"][0]["message"],
        "column users.nick: values changed by the up, not changed back by the down",
        "{r:?}"
    );
}
