//! `migrate verify` on MariaDB: a correct down is proven; a down that forgets an index, a
//! default, a constraint, a column, an enum value or a trigger fails naming that object.

use sluice::sql::Dialect;

use crate::common::verify::{Case, check_case};

const HISTORY: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100) NOT NULL, mood enum('happy', 'sad'));";
const HISTORY_DOWN: &str = "DROP TABLE users;";

fn case(up: &str, down: &str, object: &'static str) -> Case {
    Case {
        backend: Dialect::Mysql,
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
ALTER TABLE users ADD COLUMN nick varchar(20);
CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW SET NEW.email = LOWER(NEW.email);",
        "DROP TRIGGER users_touch;
ALTER TABLE users DROP COLUMN nick;
ALTER TABLE users DROP CONSTRAINT users_email_check;
ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
DROP INDEX users_email_idx ON users;",
        "",
    ));
}

#[test]
fn a_down_forgetting_an_index_fails() {
    check_case(&case(
        "CREATE INDEX users_email_idx ON users (email); ALTER TABLE users ADD COLUMN nick varchar(20);",
        "ALTER TABLE users DROP COLUMN nick;",
        "index users.users_email_idx",
    ));
}

#[test]
fn a_down_forgetting_a_default_fails() {
    check_case(&case(
        "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x';",
        "SELECT 1;",
        "column users.email: default none -> 'x'",
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
        "ALTER TABLE users ADD COLUMN nick varchar(20);",
        "SELECT 1;",
        "column users.nick",
    ));
}

#[test]
fn a_down_forgetting_an_enum_value_fails() {
    check_case(&case(
        "ALTER TABLE users MODIFY mood enum('happy', 'sad', 'meh');",
        "SELECT 1;",
        "column users.mood: type enum('happy','sad') -> enum('happy','sad','meh')",
    ));
}

#[test]
fn a_down_forgetting_a_trigger_fails() {
    check_case(&case(
        "CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW SET NEW.email = LOWER(NEW.email);",
        "SELECT 1;",
        "trigger users.users_touch",
    ));
}

#[test]
fn an_expand_renaming_a_column_fails_the_old_query_check() {
    let dir = crate::common::tree(&[
        ("m/001_base.up.sql", HISTORY),
        ("m/001_base.down.sql", HISTORY_DOWN),
        (
            "m/002_rename.up.sql",
            "ALTER TABLE users RENAME COLUMN email TO mail;",
        ),
        (
            "m/002_rename.down.sql",
            "ALTER TABLE users RENAME COLUMN mail TO email;",
        ),
        (
            "old.sql",
            "SELECT id FROM users;\nSELECT email FROM users WHERE id = ?;",
        ),
        ("new.sql", "SELECT mail FROM users WHERE id = ?;"),
    ]);
    let (r, json) = crate::common::verify::verify_dir(
        dir.path(),
        Dialect::Mysql,
        &[
            "m/002_rename.up.sql",
            "--old-queries",
            "old.sql",
            "--new-queries",
            "new.sql",
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let steps = json["runs"][0]["migrations"][0]["steps"]
        .as_array()
        .unwrap();
    let failing: Vec<(&str, &str, &str)> = steps
        .iter()
        .flat_map(|s| {
            s["queries"].as_array().unwrap().iter().map(move |q| {
                (
                    s["step"].as_str().unwrap(),
                    q["set"].as_str().unwrap(),
                    q["origin"].as_str().unwrap(),
                )
            })
        })
        .collect();
    assert_eq!(failing, [("up", "old", "old.sql:2")], "{r:?}");
    let error = steps[0]["queries"][0]["error"].as_str().unwrap();
    assert!(error.contains("Unknown column 'email'"), "{error}");
}

/// The planner's own output for each MySQL recipe, verified with the old and the new
/// application's queries (the PostgreSQL test's helper, with MariaDB's recipes).
#[test]
fn the_planners_output_passes_verify_with_old_and_new_queries_on_mysql() {
    const CONFIG: &str = "dialect = \"mysql\"\nflavour = \"mariadb\"\nserver_version = \"10.11\"\n";
    const INIT: &str = "CREATE TABLE owners (id BIGINT PRIMARY KEY, label VARCHAR(100));
CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner_id BIGINT, name VARCHAR(100) NOT NULL, email VARCHAR(100),
  balance INT NOT NULL DEFAULT 0, note VARCHAR(100)) DEFAULT CHARSET=utf8mb4;
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE TABLE events (id BIGINT NOT NULL, kind VARCHAR(20));";
    let cases: &[(&str, &str, &str)] = &[
        (
            "ALTER TABLE accounts RENAME COLUMN name TO full_name;",
            "SELECT name FROM accounts WHERE id = ?; UPDATE accounts SET name = ? WHERE id = ?;",
            "SELECT full_name FROM accounts WHERE id = ?; UPDATE accounts SET full_name = ? WHERE id = ?;",
        ),
        (
            "ALTER TABLE accounts CHANGE email mail VARCHAR(100);",
            "UPDATE accounts SET email = ? WHERE id = ?;",
            "UPDATE accounts SET mail = ? WHERE id = ?;",
        ),
        (
            "ALTER TABLE accounts MODIFY balance BIGINT NOT NULL DEFAULT 0;",
            "INSERT INTO accounts (id, name, balance) VALUES (?, ?, ?);",
            "UPDATE accounts SET balance = ? WHERE id = ?;",
        ),
        (
            "-- sluice:backfill CONCAT('h-', id)\nALTER TABLE accounts ADD COLUMN handle VARCHAR(50) NOT NULL;",
            "INSERT INTO accounts (id, name) VALUES (?, ?);",
            "INSERT INTO accounts (id, name, handle) VALUES (?, ?, ?);",
        ),
        (
            "ALTER TABLE accounts ADD COLUMN handle VARCHAR(50);\nUPDATE accounts SET handle = CONCAT('h-', id);\nALTER TABLE accounts MODIFY handle VARCHAR(50) NOT NULL;",
            "INSERT INTO accounts (id, name) VALUES (?, ?);",
            "SELECT handle FROM accounts WHERE id = ?;",
        ),
        (
            // three recipes with triggers on one table: the contract's down must create
            // them again in the expand's order (MariaDB fires them in creation order)
            "-- sluice:backfill 7\nALTER TABLE accounts ADD COLUMN tier INT NOT NULL;\nALTER TABLE accounts MODIFY balance BIGINT NOT NULL DEFAULT 0;\nALTER TABLE accounts CHANGE email mail VARCHAR(100);",
            "INSERT INTO accounts (id, name, balance, email) VALUES (?, ?, ?, ?);",
            "UPDATE accounts SET balance = ?, mail = ?, tier = ? WHERE id = ?;",
        ),
        (
            "CREATE INDEX accounts_owner_idx ON accounts (owner_id);",
            "UPDATE accounts SET owner_id = ? WHERE id = ?;",
            "SELECT COUNT(*) FROM accounts WHERE owner_id = ?;",
        ),
        (
            "ALTER TABLE accounts ADD UNIQUE INDEX accounts_email_key (email);",
            "INSERT INTO accounts (id, name, email) VALUES (?, ?, ?);",
            "SELECT id FROM accounts WHERE email = ?;",
        ),
        (
            "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);",
            "UPDATE accounts SET owner_id = ? WHERE id = ?;",
            "INSERT INTO accounts (id, name, owner_id) VALUES (?, ?, ?);",
        ),
        (
            "ALTER TABLE accounts DROP COLUMN note;",
            "SELECT note FROM accounts WHERE id = ?;",
            "INSERT INTO accounts (id, name) VALUES (?, ?);",
        ),
        (
            // the new name a view of the table until the contract's atomic RENAME
            "ALTER TABLE events RENAME TO happenings;",
            "INSERT INTO events (id, kind) VALUES (?, ?); UPDATE events SET kind = ? WHERE id = ?; SELECT kind FROM events WHERE id = ?;",
            "INSERT INTO happenings (id, kind) VALUES (?, ?); UPDATE happenings SET kind = ? WHERE id = ?; DELETE FROM happenings WHERE id = ?;",
        ),
        (
            "DROP TABLE events;",
            "SELECT kind FROM events WHERE id = ?;",
            "SELECT 1;",
        ),
    ];
    let problems = crate::common::verify::planned_changes_verify(
        Dialect::Mysql,
        (
            INIT,
            "DROP TABLE events; DROP TABLE accounts; DROP TABLE owners;",
        ),
        Some(CONFIG),
        cases,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
