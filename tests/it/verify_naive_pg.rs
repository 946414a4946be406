//! `migrate verify --naive` on PostgreSQL: the planner's phases, every one up, give the schema
//! and the rows the naive migration gives (a volatile default's values a note); a change that
//! does not (an index missing, another default, other values) fails with each named; a naive
//! migration that fails on the data is reported as such.

use std::process::Command;

use sluice::sql::Dialect;

use crate::common::verify::{planned_ups, verify_dir};
use crate::common::{run, tree};

const HISTORY: &str = "CREATE TABLE owners (id bigserial PRIMARY KEY, label text NOT NULL);
CREATE TABLE users (id bigint PRIMARY KEY, owner_id bigint NOT NULL, score int NOT NULL, full_name text, email text,
  joined timestamp NOT NULL DEFAULT '2020-01-01');";

/// A directory with the history (001), the naive migration as 002 and a copy of it under
/// `naive/`.
fn dir_with(naive: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![
        ("m/001_base.up.sql", HISTORY),
        (
            "m/001_base.down.sql",
            "DROP TABLE users; DROP TABLE owners;",
        ),
        ("naive/002_change.up.sql", naive),
    ];
    files.extend_from_slice(extra);
    tree(&files)
}

/// `(object, kind)` of each schema difference of the comparison with the naive migration.
fn schema_differences(json: &serde_json::Value) -> Vec<(String, String)> {
    json["runs"][0]["naive"]["diff"]["differences"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["object"].as_str().unwrap().to_owned(),
                        d["change"]["kind"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn data(json: &serde_json::Value, key: &str) -> Vec<String> {
    json["runs"][0]["naive"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}.{}",
                d["table"].as_str().unwrap(),
                d["column"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn the_planners_phases_give_what_the_naive_migration_gives() {
    let naive = "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 7;
ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT now();
ALTER TABLE users ALTER COLUMN score TYPE bigint USING score * 2;
ALTER TABLE users RENAME COLUMN full_name TO name;
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users ADD CONSTRAINT users_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users ALTER COLUMN joined TYPE timestamptz;
";
    let dir = dir_with(naive, &[("m/002_change.up.sql", naive)]);
    let mut args = planned_ups(dir.path(), "m/002_change.up.sql", "m", &[]);
    // the expand, its parts after each backfill, the contract
    assert_eq!(args.len(), 4, "{args:?}");
    assert!(args[3].ends_with("_contract.up.sql"), "{args:?}");
    args.extend(["--naive", "naive/002_change.up.sql", "--rows", "50"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, json) = verify_dir(dir.path(), Dialect::Postgres, &args);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json["proven"], true, "{r:?}");
    let n = &json["runs"][0]["naive"];
    assert_eq!(n["step"], "same as naive", "{r:?}");
    assert!(n["error"].is_null(), "{r:?}");
    assert_eq!(schema_differences(&json), [], "{r:?}");
    assert!(data(&json, "data").is_empty(), "{r:?}");
    // now() is evaluated when each side fills the column: a note, not a failure
    assert_eq!(data(&json, "data_notes"), ["users.seen"], "{r:?}");
}

#[test]
fn a_change_unlike_the_naive_migration_names_each_difference() {
    let dir = dir_with(
        "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 7;
CREATE INDEX users_email_idx ON users (email);
UPDATE users SET score = score * 2;",
        &[
            (
                "m/002_change.up.sql",
                "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 8;
UPDATE users SET score = score + 1;",
            ),
            (
                "m/002_change.down.sql",
                "ALTER TABLE users DROP COLUMN age;",
            ),
        ],
    );
    let args = [
        "m/002_change.up.sql",
        "--naive",
        "naive/002_change.up.sql",
        "--rows",
        "20",
    ];
    let (r, json) = verify_dir(dir.path(), Dialect::Postgres, &args);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(json["proven"], false, "{r:?}");
    // its own round trip holds: only the comparison fails
    assert_eq!(
        json["runs"][0]["migrations"][0]["outcome"], "proven",
        "{r:?}"
    );
    assert_eq!(
        schema_differences(&json),
        [
            ("column users.age".to_owned(), "changed".to_owned()),
            ("index users_email_idx".to_owned(), "missing".to_owned()),
        ],
        "{r:?}"
    );
    assert_eq!(data(&json, "data"), ["users.age", "users.score"], "{r:?}");

    // the human output and the annotations say it
    let human = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .arg("verify")
        .args(args)
        .args([
            "--scratch-url",
            &crate::common::admin_url(Dialect::Postgres),
            "--format",
            "github",
        ]));
    assert_eq!(human.code, 1, "{human:?}");
    assert!(
        human.stdout.contains("(same-schema-as-naive)")
            && human
                .stdout
                .contains("index users_email_idx missing (the naive migration makes it)")
            && human.stdout.contains("(same-data-as-naive)"),
        "{human:?}"
    );
}

#[test]
fn a_naive_migration_that_fails_on_the_data_is_reported() {
    let dir = dir_with(
        "ALTER TABLE users ADD COLUMN age int NOT NULL;",
        &[
            (
                "m/002_change.up.sql",
                "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;",
            ),
            (
                "m/002_change.down.sql",
                "ALTER TABLE users DROP COLUMN age;",
            ),
        ],
    );
    let (r, json) = verify_dir(
        dir.path(),
        Dialect::Postgres,
        &["m/002_change.up.sql", "--naive", "naive/002_change.up.sql"],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let e = json["runs"][0]["naive"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        e.starts_with("the naive migration failed") && e.contains("--rows 0"),
        "{r:?}"
    );

    // a missing naive file is a usage error naming it
    let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir.path())
        .args([
            "verify",
            "m/002_change.up.sql",
            "--naive",
            "naive/nope.up.sql",
        ])
        .args([
            "--scratch-url",
            &crate::common::admin_url(Dialect::Postgres),
        ]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("naive/nope.up.sql"), "{r:?}");
}

/// `UPDATE .. FROM` with aliases, planned as a batched backfill whose batches keep the join
/// (lemmy's `UPDATE person p SET .. FROM local_user lu WHERE ..`: refused before), gives the
/// naive statement's rows; both tables have an `id`, so the batches' key range is qualified.
#[test]
fn an_update_from_is_batched_and_gives_the_naive_rows() {
    let naive = "UPDATE owners o SET label = u.full_name || '/' || u.email FROM users u WHERE u.owner_id = o.id AND u.email IS NOT NULL;\n";
    let dir = dir_with(naive, &[("m/002_change.up.sql", naive)]);
    let mut args = planned_ups(dir.path(), "m/002_change.up.sql", "m", &[]);
    let fill = std::fs::read_to_string(dir.path().join("m/002_change.backfill.toml")).unwrap();
    assert!(
        fill.contains("alias = \"o\"") && fill.contains("from = \"users u\""),
        "{fill}"
    );
    args.extend(["--naive", "naive/002_change.up.sql", "--rows", "50"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, json) = verify_dir(dir.path(), Dialect::Postgres, &args);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json["proven"], true, "{r:?}");
    assert_eq!(schema_differences(&json), [], "{r:?}");
    assert!(data(&json, "data").is_empty(), "{r:?}");
}

/// A column the naive migration's own UPDATE fills from a volatile function (lemmy's
/// `multi-community` draws names with `gen_random_uuid()`): each side draws its own values,
/// a note, not a difference; a fill of the same column from the row stays compared.
#[test]
fn values_the_migration_itself_draws_are_a_note() {
    let naive = "ALTER TABLE users ADD COLUMN token text;
UPDATE users SET token = gen_random_uuid()::text;
ALTER TABLE users ADD COLUMN tag text;
UPDATE users SET tag = 'u' || id;
";
    let dir = dir_with(naive, &[("m/002_change.up.sql", naive)]);
    let mut args = planned_ups(dir.path(), "m/002_change.up.sql", "m", &[]);
    args.extend(["--naive", "naive/002_change.up.sql", "--rows", "50"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, json) = verify_dir(dir.path(), Dialect::Postgres, &args);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json["proven"], true, "{r:?}");
    assert!(data(&json, "data").is_empty(), "{r:?}");
    assert_eq!(data(&json, "data_notes"), ["users.token"], "{r:?}");
    let note = json["runs"][0]["naive"]["data_notes"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        note.contains("the migration's own `gen_random_uuid()::TEXT`"),
        "{note}"
    );
}
