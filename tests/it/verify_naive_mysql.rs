//! `migrate verify --naive` on MariaDB: the planner's phases give what the naive migration
//! gives, including the drop of an indexed column (which MariaDB will not drop instantly: the
//! apply engine pinned ALGORITHM=INSTANT on it and the naive migration failed to apply).

use sluice::sql::Dialect;

use crate::common::tree;
use crate::common::verify::{planned_ups, verify_dir};

#[test]
fn the_planners_phases_give_what_the_naive_migration_gives() {
    let naive = "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 7;
ALTER TABLE users RENAME COLUMN full_name TO name;
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users DROP COLUMN legacy;
";
    let dir = tree(&[
        (
            "m/001_base.up.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, score int NOT NULL, full_name varchar(100), email varchar(100), legacy varchar(20));
CREATE INDEX users_legacy_idx ON users (legacy);",
        ),
        ("m/001_base.down.sql", "DROP TABLE users;"),
        ("m/002_change.up.sql", naive),
        ("naive/002_change.up.sql", naive),
    ]);
    let mut args = planned_ups(
        dir.path(),
        "m/002_change.up.sql",
        "m",
        &["--dialect", "mysql"],
    );
    assert_eq!(args.len(), 2, "{args:?}");
    args.extend(["--naive", "naive/002_change.up.sql", "--rows", "50"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, json) = verify_dir(dir.path(), Dialect::Mysql, &args);
    assert_eq!(r.code, 0, "{r:?}");
    let n = &json["runs"][0]["naive"];
    assert!(n["error"].is_null(), "{r:?}");
    assert_eq!(
        n["diff"]["differences"].as_array().map_or(0, Vec::len),
        0,
        "{r:?}"
    );
    assert_eq!(n["data"].as_array().map(Vec::len), Some(0), "{r:?}");
    assert!(
        json["runs"][0]["fill"]["tables"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{r:?}"
    );
}
