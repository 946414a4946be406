//! `migrate verify` on PostgreSQL: a correct down is proven; a down that forgets an index, a
//! default, a constraint, a column, an enum label or a trigger fails naming that object; the
//! scratch database is gone afterwards, whatever happened.

use sluice::sql::Dialect;

use crate::common::verify::{Case, check_case, verify_dir};
use crate::common::{admin_url, tree};

const HISTORY: &str = "CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, mood mood);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;";
const HISTORY_DOWN: &str = "DROP TABLE users; DROP FUNCTION touch(); DROP TYPE mood;";

fn case(up: &str, down: &str, object: &'static str) -> Case {
    Case {
        backend: Dialect::Postgres,
        history: (HISTORY, HISTORY_DOWN),
        up: up.to_owned(),
        down: down.to_owned(),
        object,
    }
}

#[test]
fn a_correct_down_is_proven() {
    check_case(&case(
        "CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x';
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '');
ALTER TABLE users ADD COLUMN nick text;
CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();",
        "DROP TRIGGER users_touch ON users;
ALTER TABLE users DROP COLUMN nick;
ALTER TABLE users DROP CONSTRAINT users_email_check;
ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
DROP INDEX users_email_idx;",
        "",
    ));
}

#[test]
fn a_down_forgetting_an_index_fails() {
    check_case(&case(
        "CREATE INDEX users_email_idx ON users (email); ALTER TABLE users ADD COLUMN nick text;",
        "ALTER TABLE users DROP COLUMN nick;",
        "index users_email_idx",
    ));
}

#[test]
fn a_down_forgetting_a_default_fails() {
    check_case(&case(
        "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x';",
        "SELECT 1;",
        "column users.email: default none -> 'x'::text",
    ));
}

#[test]
fn a_down_forgetting_a_constraint_fails() {
    check_case(&case(
        "ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '');",
        "SELECT 1;",
        "constraint users.users_email_check",
    ));
}

#[test]
fn a_down_forgetting_a_column_fails() {
    check_case(&case(
        "ALTER TABLE users ADD COLUMN nick text;",
        "SELECT 1;",
        "column users.nick",
    ));
}

#[test]
fn a_down_forgetting_an_enum_label_fails() {
    check_case(&case(
        "ALTER TYPE mood ADD VALUE 'meh';",
        "SELECT 1;",
        "type mood: labels happy, sad -> happy, sad, meh",
    ));
}

#[test]
fn a_down_forgetting_a_trigger_fails() {
    check_case(&case(
        "CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();",
        "SELECT 1;",
        "trigger users.users_touch",
    ));
}

#[test]
fn a_down_that_drops_too_much_fails_and_the_next_migration_is_still_verified() {
    // 002's down drops the table its up did not create; 003 must be verified on a rebuilt
    // database all the same
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
        (
            "m/002_nick.up.sql",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
        ("m/002_nick.down.sql", "DROP TABLE users;"),
        (
            "m/003_idx.up.sql",
            "CREATE INDEX users_nick_idx ON users (nick);",
        ),
        ("m/003_idx.down.sql", "DROP INDEX users_nick_idx;"),
    ]);
    let (r, json) = verify_dir(dir.path(), Dialect::Postgres, &["m", "--all"]);
    assert_eq!(r.code, 1, "{r:?}");
    let outcomes: Vec<(&str, &str)> = json["runs"][0]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["version"].as_str().unwrap(),
                m["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("001", "proven"), ("002", "failed"), ("003", "proven")],
        "{r:?}"
    );
    let down = &json["runs"][0]["migrations"][1]["steps"][1];
    assert_eq!(down["step"], "down", "{r:?}");
    assert_eq!(
        down["diff"]["differences"][0]["object"], "table users",
        "{r:?}"
    );
    assert_eq!(
        down["diff"]["differences"][0]["change"]["kind"], "missing",
        "{r:?}"
    );
}

#[test]
fn no_scratch_url_is_a_usage_error_and_database_url_is_not_used() {
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
    ]);
    let r = crate::common::run(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .env("DATABASE_URL", admin_url(Dialect::Postgres))
            .env_remove("SLUICE_SCRATCH_URL")
            .args(["verify", "m"]),
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--scratch-url"), "{r:?}");
}
