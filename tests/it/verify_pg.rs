//! `migrate verify` on PostgreSQL: a correct down is proven; a down that forgets an index, a
//! default, a constraint, a column, an enum label or a trigger fails naming that object; the
//! scratch database is gone afterwards, whatever happened.

use sluice::sql::Dialect;

use crate::common::verify::{Case, check_case, planned_changes_verify, verify_dir};
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

#[test]
fn an_expand_renaming_a_column_fails_the_old_query_check() {
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
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
            "SELECT email FROM users WHERE id = $1;\nSELECT id FROM users;",
        ),
        ("new.sql", "SELECT mail FROM users WHERE id = $1;"),
    ]);
    let (r, json) = verify_dir(
        dir.path(),
        Dialect::Postgres,
        &[
            "m/002_rename.up.sql",
            "--old-queries",
            "old.sql",
            "--new-queries",
            "new.sql",
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let m = &json["runs"][0]["migrations"][0];
    assert_eq!(m["outcome"], "failed", "{r:?}");
    let failing: Vec<(String, String, String)> = m["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["queries"].as_array().unwrap().iter().map(move |q| {
                (
                    s["step"].as_str().unwrap().to_owned(),
                    q["set"].as_str().unwrap().to_owned(),
                    q["origin"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    // the old query on email fails once the column is renamed; the other old one and the
    // new one prepare
    assert_eq!(
        failing,
        [("up".to_owned(), "old".to_owned(), "old.sql:1".to_owned())],
        "{r:?}"
    );
    let error = m["steps"][0]["queries"][0]["error"].as_str().unwrap();
    assert!(error.contains("column \"email\" does not exist"), "{error}");
}

/// The planner's own output for each recipe, verified with the old and the new
/// application's queries: every phase's down restores the schema, the old queries prepare
/// until the contract, the new ones from the expand on.
#[test]
fn the_planners_output_passes_verify_with_old_and_new_queries() {
    const INIT: &str = "CREATE TABLE owners (id bigint PRIMARY KEY, label text);
CREATE TABLE accounts (id bigint PRIMARY KEY, owner_id bigint, name text NOT NULL, email text, balance int NOT NULL DEFAULT 0, note text);
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE TABLE events (id bigint NOT NULL, kind text);";
    let cases: &[(&str, &str, &str)] = &[
        (
            "ALTER TABLE accounts RENAME COLUMN name TO full_name;",
            "SELECT name FROM accounts WHERE id = $1; UPDATE accounts SET name = $2 WHERE id = $1;",
            "SELECT full_name FROM accounts WHERE id = $1; UPDATE accounts SET full_name = $2 WHERE id = $1;",
        ),
        (
            "ALTER TABLE accounts RENAME TO ledger;",
            "SELECT name FROM accounts WHERE id = $1; INSERT INTO accounts (id, name) VALUES ($1, $2);",
            "SELECT name FROM ledger WHERE id = $1; INSERT INTO ledger (id, name) VALUES ($1, $2);",
        ),
        (
            "-- sluice:backfill 'h-' || id::text\nALTER TABLE accounts ADD COLUMN handle text NOT NULL;",
            "INSERT INTO accounts (id, name) VALUES ($1, $2);",
            "INSERT INTO accounts (id, name, handle) VALUES ($1, $2, $3);",
        ),
        (
            "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;",
            "UPDATE accounts SET balance = balance + 1 WHERE id = $1;",
            "UPDATE accounts SET balance = $2 WHERE id = $1;",
        ),
        (
            "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
            "INSERT INTO accounts (id, name, email) VALUES ($1, $2, $3);",
            "SELECT email FROM accounts WHERE id = $1;",
        ),
        (
            "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);",
            "UPDATE accounts SET owner_id = $2 WHERE id = $1;",
            "INSERT INTO accounts (id, name, owner_id) VALUES ($1, $2, $3);",
        ),
        (
            "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
            "INSERT INTO accounts (id, name, email) VALUES ($1, $2, $3);",
            "SELECT id FROM accounts WHERE email = $1;",
        ),
        (
            "CREATE INDEX accounts_owner_idx ON accounts (owner_id);",
            "UPDATE accounts SET owner_id = $2 WHERE id = $1;",
            "SELECT count(*) FROM accounts WHERE owner_id = $1;",
        ),
        (
            "ALTER TABLE accounts DROP COLUMN note;",
            "SELECT note FROM accounts WHERE id = $1;",
            "INSERT INTO accounts (id, name) VALUES ($1, $2);",
        ),
    ];
    let problems = planned_changes_verify(
        Dialect::Postgres,
        (
            INIT,
            "DROP TABLE events; DROP TABLE accounts; DROP TABLE owners;",
        ),
        None,
        cases,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// A column renamed through a view (`[plan] rename_column = "view"`) passes verify with the
/// old and the new application's queries; a query a view cannot take (`ON CONFLICT ON
/// CONSTRAINT`, as the README warns) is found at the expand.
#[test]
fn a_rename_through_a_view_passes_verify_and_finds_what_a_view_cannot_take() {
    const INIT: &str = "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL, email text CONSTRAINT accounts_email_key UNIQUE);";
    let init = (INIT, "DROP TABLE accounts;");
    let config = Some("[plan]\nrename_column = \"view\"\n");
    let rename = "ALTER TABLE accounts RENAME COLUMN name TO full_name;";
    // the first application's queries prepare at every phase, the second's upsert does not
    let problems = planned_changes_verify(
        Dialect::Postgres,
        init,
        config,
        &[
            (
                rename,
                "SELECT name FROM accounts WHERE id = $1; INSERT INTO accounts (id, name, email) VALUES ($1, $2, $3) ON CONFLICT (email) DO UPDATE SET name = excluded.name;",
                "SELECT full_name FROM accounts WHERE id = $1; UPDATE accounts SET full_name = $2 WHERE id = $1 RETURNING *;",
            ),
            (
                rename,
                "INSERT INTO accounts (id, name, email) VALUES ($1, $2, $3) ON CONFLICT ON CONSTRAINT accounts_email_key DO NOTHING;",
                "SELECT full_name FROM accounts WHERE id = $1;",
            ),
        ],
    );
    assert!(
        problems.len() == 1
            && problems[0].contains(r#""set": "old""#)
            && problems[0].contains(
                r#"constraint \"accounts_email_key\" for table \"accounts\" does not exist"#
            ),
        "{problems:#?}"
    );
}

#[test]
fn pre_deploy_with_verify_applies_only_proven_migrations() {
    let s = crate::common::Scratch::pg();
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
        (
            "m/002_nick.up.sql",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
        ("m/002_nick.down.sql", "SELECT 1;"),
    ]);
    let pre = |release: &str| {
        crate::common::run(s.migrate(dir.path()).args([
            "hook",
            "pre-deploy",
            "m",
            "--release",
            release,
            "--verify",
            "--scratch-url",
            &admin_url(Dialect::Postgres),
        ]))
    };
    // 002's down forgets the column: nothing is applied, not even the proven 001
    let r = pre("r1");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("column users.nick left behind"), "{r:?}");
    assert!(!s.table_exists("users"), "{r:?}");
    std::fs::write(
        dir.path().join("m/002_nick.down.sql"),
        "ALTER TABLE users DROP COLUMN nick;",
    )
    .unwrap();
    let r = pre("r2");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(s.table_exists("users"), "{r:?}");
    assert_eq!(
        s.strings("SELECT version FROM sluice_migrations WHERE state = 'applied' ORDER BY 1"),
        ["001", "002"]
    );
}

#[test]
fn ctrl_c_drops_the_scratch_database() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tree(&[
        ("m/001_slow.up.sql", "SELECT pg_sleep(30);"),
        ("m/001_slow.down.sql", "SELECT 1;"),
    ]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("SLUICE_LOG")
        .env("NO_COLOR", "1")
        .args(["-v", "verify", "m", "--all", "--scratch-url"])
        .arg(admin_url(Dialect::Postgres))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the guard's name, from the log line that announces the database
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let name = loop {
        let raw = lines
            .next()
            .expect("the log names the scratch database")
            .unwrap();
        // without colour codes, whatever the log writer decides
        let mut line = String::new();
        let mut esc = false;
        for c in raw.chars() {
            match (esc, c) {
                (false, '\u{1b}') => esc = true,
                (true, 'm') => esc = false,
                (false, c) => line.push(c),
                (true, _) => {}
            }
        }
        if let Some(rest) = line.split("database=").nth(1)
            && line.contains("scratch database created")
        {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert!(
        crate::common::verify::databases_left(Dialect::Postgres).contains(&name),
        "{name} exists while verify runs"
    );
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(status.code(), Some(2), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("interrupted by SIGINT")),
        "{rest:?}"
    );
    assert!(
        !crate::common::verify::databases_left(Dialect::Postgres).contains(&name),
        "{name} left behind after Ctrl-C: {rest:?}"
    );
}

#[test]
fn sarif_and_github_outputs_point_at_the_down_script() {
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
        (
            "m/002_nick.up.sql",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
        ("m/002_nick.down.sql", "SELECT 1;"),
    ]);
    let out = |format: &str| {
        crate::common::run(
            std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
                .current_dir(dir.path())
                .env_remove("DATABASE_URL")
                .args(["verify", "m/002_nick.up.sql", "--format", format])
                .args(["--scratch-url", &admin_url(Dialect::Postgres)]),
        )
    };
    let r = out("sarif");
    assert_eq!(r.code, 1, "{r:?}");
    let sarif: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let v = crate::sarif_schema::validator();
    let errors: Vec<String> = v.iter_errors(&sarif).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    // the down leaves the column; the up again then fails on it
    let rules: Vec<&str> = results
        .iter()
        .map(|x| x["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["down-restores-schema", "step-runs"], "{r:?}");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "m/002_nick.up.sql"
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "m/002_nick.down.sql"
    );
    assert!(
        results[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("column users.nick left behind"),
        "{r:?}"
    );

    let r = out("github");
    assert_eq!(r.code, 1, "{r:?}");
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            "::error file=m/002_nick.down.sql,line=1,title=migrate verify 002 (down-restores-schema)::down%3A differs"
        ) || first.starts_with(
            "::error file=m/002_nick.down.sql,line=1,title=migrate verify 002 (down-restores-schema)::down: differs"
        ),
        "{first}"
    );
    assert!(
        first.contains("%0A  column users.nick left behind"),
        "{first}"
    );
}

/// The old application's queries read from a production `pg_stat_statements` (a private
/// server: the shared one does not preload the library, and only a restart could): an
/// add-column expand keeps them preparing; a rename fails them, each named by its queryid.
#[test]
fn queries_from_pg_stat_statements_are_the_old_queries() {
    use sqlx::{Connection, Executor};

    let Some(prod) = crate::common::servers::PrivatePg::start_with(&[
        "shared_preload_libraries=pg_stat_statements",
    ]) else {
        panic!("no PostgreSQL server programs under /usr/lib/postgresql");
    };
    let url = prod.url("postgres");
    crate::common::block_on(async {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        c.execute("CREATE EXTENSION pg_stat_statements")
            .await
            .unwrap();
        c.execute(sqlx::raw_sql(HISTORY)).await.unwrap();
        // the application at work: the extended protocol, as drivers send it
        sqlx::query("INSERT INTO users (id, email) VALUES ($1, $2)")
            .bind(1_i64)
            .bind("a@x")
            .execute(&mut c)
            .await
            .unwrap();
        for _ in 0..3 {
            sqlx::query("SELECT email FROM users WHERE id = $1")
                .bind(1_i64)
                .fetch_all(&mut c)
                .await
                .unwrap();
        }
        sqlx::query("SELECT id FROM users ORDER BY id LIMIT 10")
            .fetch_all(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
        (
            "m/002_nick.up.sql",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
        ("m/002_nick.down.sql", "ALTER TABLE users DROP COLUMN nick;"),
        (
            "m/003_rename.up.sql",
            "ALTER TABLE users RENAME COLUMN email TO mail;",
        ),
        (
            "m/003_rename.down.sql",
            "ALTER TABLE users RENAME COLUMN mail TO email;",
        ),
    ]);
    let from = ["--queries-from-pg-stat-statements", url.as_str()];
    let (r, json) = verify_dir(
        dir.path(),
        Dialect::Postgres,
        &[&["m/002_nick.up.sql"][..], &from[..]].concat(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        json["runs"][0]["migrations"][0]["outcome"], "proven",
        "{r:?}"
    );

    let (r, json) = verify_dir(
        dir.path(),
        Dialect::Postgres,
        &[&["m/003_rename.up.sql"][..], &from[..]].concat(),
    );
    assert_eq!(r.code, 1, "{r:?}");
    let m = &json["runs"][0]["migrations"][0];
    assert_eq!(m["version"], "003");
    let failed: Vec<(&str, &str, &str)> = m["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["queries"].as_array().unwrap().iter().map(move |q| {
                (
                    s["step"].as_str().unwrap(),
                    q["query"].as_str().unwrap(),
                    q["origin"].as_str().unwrap(),
                )
            })
        })
        .collect();
    // the two statements naming email, normalized as the server recorded them; the
    // query on id alone still prepares
    let queries: Vec<&str> = failed.iter().map(|f| f.1).collect();
    assert_eq!(
        queries,
        [
            "SELECT email FROM users WHERE id = $1",
            "INSERT INTO users (id, email) VALUES ($1, $2)"
        ],
        "{r:?}"
    );
    assert!(
        failed
            .iter()
            .all(|(step, _, origin)| *step == "up" && origin.starts_with("pg_stat_statements #")),
        "{failed:?}"
    );
}

#[test]
fn pg_stat_statements_that_cannot_be_read_is_a_connection_error() {
    // a database without the extension: the queries cannot be read, verify does not start
    let s = crate::common::Scratch::pg();
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
    ]);
    let r = crate::common::run(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .args(["verify", "m", "--queries-from-pg-stat-statements", &s.url])
            .args(["--scratch-url", &admin_url(Dialect::Postgres)]),
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("cannot read pg_stat_statements")
            && r.stderr.contains("CREATE EXTENSION"),
        "{r:?}"
    );
}

#[test]
fn the_scratch_server_comes_from_sluice_toml() {
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
    ]);
    let verify = || {
        crate::common::run(
            std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
                .current_dir(dir.path())
                .env_remove("DATABASE_URL")
                .env_remove("SLUICE_SCRATCH_URL")
                .args(["verify", "m"]),
        )
    };
    std::fs::write(
        dir.path().join("sluice.toml"),
        "[verify]\nscratch_url = \"nope\"\n",
    )
    .unwrap();
    let r = verify();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("sluice.toml:2:15: [verify] scratch_url"),
        "{r:?}"
    );
    std::fs::write(
        dir.path().join("sluice.toml"),
        format!(
            "[verify]\nscratch_url = \"{}\"\n",
            admin_url(Dialect::Postgres)
        ),
    )
    .unwrap();
    let r = verify();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .starts_with("proven 001 users: up ok, down ok, up again ok"),
        "{r:?}"
    );
}

#[test]
fn an_irreversible_up_is_applied_not_rolled_back_and_a_missing_down_fails() {
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
        (
            "m/002_purge.up.sql",
            "-- sluice:irreversible the old rows are gone\nDELETE FROM users WHERE mood = 'sad';",
        ),
        (
            "m/003_nick.up.sql",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
    ]);
    let (r, json) = verify_dir(dir.path(), Dialect::Postgres, &["m", "--all"]);
    assert_eq!(r.code, 1, "{r:?}");
    let migs = json["runs"][0]["migrations"].as_array().unwrap();
    let outcomes: Vec<(&str, &str)> = migs
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
        [
            ("001", "proven"),
            ("002", "irreversible"),
            ("003", "failed")
        ],
        "{r:?}"
    );
    let error = migs[2]["steps"][1]["error"].as_str().unwrap();
    assert!(
        error.starts_with("no down script: the migration cannot be rolled back"),
        "{error}"
    );
}

#[test]
fn a_bare_file_name_in_the_migrations_directory_has_its_history() {
    // run from inside the directory: the file's directory is `.`, its earlier migrations
    // the history
    let dir = tree(&[
        ("m/001_users.up.sql", HISTORY),
        ("m/001_users.down.sql", HISTORY_DOWN),
        (
            "m/002_nick.up.sql",
            "ALTER TABLE users ADD COLUMN nick text;",
        ),
        ("m/002_nick.down.sql", "ALTER TABLE users DROP COLUMN nick;"),
    ]);
    let (r, json) = verify_dir(
        &dir.path().join("m"),
        Dialect::Postgres,
        &["002_nick.up.sql"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json["runs"][0]["history"], 1, "{r:?}");
    assert_eq!(json["runs"][0]["migrations"][0]["version"], "002", "{r:?}");
}

/// `--setup`: what a deployment does outside its migrations, run on the scratch database
/// before the history (chirpstack's history indexes with `gin_trgm_ops` and never creates
/// pg_trgm: its replay failed in verify).
#[test]
fn setup_runs_before_the_history() {
    let dir = tree(&[
        (
            "m/001_tenants.up.sql",
            "CREATE TABLE tenant (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX tenant_name_trgm ON tenant USING gin (name gin_trgm_ops);",
        ),
        ("m/001_tenants.down.sql", "DROP TABLE tenant;"),
        (
            "m/002_note.up.sql",
            "ALTER TABLE tenant ADD COLUMN note text;",
        ),
        (
            "m/002_note.down.sql",
            "ALTER TABLE tenant DROP COLUMN note;",
        ),
        (
            "setup.sql",
            "-- the deployment's own step\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\n",
        ),
        (
            "bad.sql",
            "SELECT 1;\nCREATE EXTENSION sluice_no_such_extension;\n",
        ),
    ]);
    let verify = |extra: &[&str]| {
        crate::common::run(
            std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
                .current_dir(dir.path())
                .env_remove("DATABASE_URL")
                .args(["verify", "m/002_note.up.sql", "--scratch-url"])
                .arg(admin_url(Dialect::Postgres))
                .args(extra),
        )
    };
    // without it the history cannot replay
    let r = verify(&[]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("gin_trgm_ops"), "{r:?}");
    let (r, json) = verify_dir(
        dir.path(),
        Dialect::Postgres,
        &["m/002_note.up.sql", "--setup", "setup.sql"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        json["runs"][0]["migrations"][0]["outcome"], "proven",
        "{r:?}"
    );
    // a failing statement names itself; a missing file names the file
    let r = verify(&["--setup", "bad.sql"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("setup statement 2 of 2 failed") && r.stderr.contains("--setup"),
        "{r:?}"
    );
    let r = verify(&["--setup", "missing.sql"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("missing.sql: cannot read the --setup file"),
        "{r:?}"
    );
}

/// A table of more columns than a PostgreSQL function takes arguments (100): the row
/// checksums of chirpstack's 60-column `device_profile` failed ("cannot pass more than 100
/// arguments to a function") and stopped verify.
#[test]
fn a_wide_table_is_checksummed() {
    let cols: Vec<String> = (1..=60).map(|i| format!("c{i} int")).collect();
    let history = format!(
        "CREATE TABLE wide (id bigint PRIMARY KEY, {});",
        cols.join(", ")
    );
    let dir = tree(&[
        ("m/001_wide.up.sql", history.as_str()),
        ("m/001_wide.down.sql", "DROP TABLE wide;"),
        ("m/002_drop.up.sql", "ALTER TABLE wide DROP COLUMN c60;"),
        (
            "m/002_drop.down.sql",
            "ALTER TABLE wide ADD COLUMN c60 int;",
        ),
    ]);
    let (r, json) = verify_dir(
        dir.path(),
        Dialect::Postgres,
        &["m/002_drop.up.sql", "--rows", "5"],
    );
    // the down re-adds c60 empty: its generated values are lost, and verify says so
    assert_eq!(r.code, 1, "{r:?}");
    let m = &json["runs"][0]["migrations"][0];
    assert_eq!(m["outcome"], "failed", "{r:?}");
    assert!(r.stdout.contains("c60"), "{r:?}");
}
