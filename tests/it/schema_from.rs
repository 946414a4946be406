//! `migrate lint --schema-from`: the catalog seeded from a live PostgreSQL database, row
//! estimates deciding whether lock findings are errors.

use std::process::Command;

use crate::common::{Scratch, run, tree};

fn migrate(cwd: &std::path::Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("migrate"));
    c.current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("SLUICE_LOG")
        .env("NO_COLOR", "1");
    c
}

#[test]
fn live_schema_and_row_estimates() {
    let s = Scratch::pg();
    s.exec(
        "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50) NOT NULL);
         CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
         INSERT INTO orders SELECT g, g FROM generate_series(1, 500) g;
         ANALYZE orders;",
    );
    let dir = tree(&[
        ("sluice.toml", "[run]\nlarge_table_rows = 100\n"),
        (
            "change.sql",
            // pinned as written: the sluice runner would build them CONCURRENTLY
            "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);\n\
             -- sluice:strategy plain\n\
             CREATE INDEX i ON orders (id);\n\
             -- sluice:strategy plain\n\
             CREATE INDEX j ON users (email);\n",
        ),
    ]);
    let lint = |extra: &[&str]| {
        let r = run(migrate(dir.path())
            .args(["lint", "change.sql", "--format", "json"])
            .args(extra));
        assert_eq!(r.code, 1, "{r:?}");
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        v["diagnostics"]
            .as_array()
            .unwrap_or_else(|| panic!("no diagnostics array: {v}"))
            .iter()
            .map(|d| {
                format!(
                    "{} {} {}",
                    d["start"]["line"].as_u64().unwrap(),
                    d["rule"].as_str().unwrap(),
                    d["severity"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    // the live schema knows email is varchar(50) (widening is binary-coercible), orders is
    // large (500 analyzed rows >= 100) and users small (empty)
    assert_eq!(
        lint(&["--schema-from", &s.url]),
        [
            "3 statements-after-access-exclusive warning",
            "3 require-concurrent-index-creation error",
            "5 require-concurrent-index-creation warning",
        ]
    );
    // without it: the type is unknown and no table is known to be small
    assert_eq!(
        lint(&[]),
        [
            "1 changing-column-type error",
            "3 statements-after-access-exclusive warning",
            "3 require-concurrent-index-creation error",
            "5 require-concurrent-index-creation error",
        ]
    );
}

/// MySQL: the live tables' default charset and collation decide a `MODIFY` that names
/// neither (it takes them again): latin1_bin kept, no charset change, no table copy.
#[test]
fn mysql_live_table_defaults_decide_a_modify() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE tags (name VARCHAR(50) NOT NULL PRIMARY KEY, n INT) DEFAULT CHARSET=latin1 COLLATE=latin1_bin;",
    );
    let dir = tree(&[
        (
            "sluice.toml",
            "dialect = \"mysql\"\nflavour = \"mariadb\"\n",
        ),
        (
            "change.sql",
            "SET SESSION lock_wait_timeout = 2;\nALTER TABLE tags MODIFY name VARCHAR(50) NOT NULL DEFAULT 'x', ALGORITHM=INSTANT;\nALTER TABLE tags MODIFY name VARCHAR(50) NOT NULL DEFAULT 'x' COLLATE latin1_swedish_ci, ALGORITHM=INPLACE, LOCK=NONE;\n",
        ),
    ]);
    let r = run(migrate(dir.path()).args(["lint", "change.sql", "--schema-from", &s.url]));
    // only the second MODIFY changes the primary key's collation: a table copy
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("error[mysql-requires-table-copy]")
            && r.stdout.contains(
                "changes the collation from latin1_bin to latin1_swedish_ci of a PRIMARY KEY column"
            ),
        "{r:?}"
    );
    assert!(!r.stdout.contains("change.sql:2:"), "{r:?}");
}

#[test]
fn wrong_url_is_an_error_without_the_password() {
    let dir = tree(&[("change.sql", "CREATE INDEX i ON t (a);\n")]);
    let r = run(migrate(dir.path()).args([
        "lint",
        "--schema-from",
        "postgres://sluice:hunter2secret@127.0.0.1:1/nowhere",
        "change.sql",
    ]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("cannot connect"), "{r:?}");
    assert!(!r.stderr.contains("hunter2secret"), "{r:?}");
    assert!(!r.stdout.contains("hunter2secret"), "{r:?}");
}

#[test]
fn mysql_connection_errors_hide_the_password() {
    let dir = tree(&[("change.sql", "CREATE INDEX i ON t (a);\n")]);
    let r = run(migrate(dir.path()).args([
        "lint",
        "--schema-from",
        "mysql://root:hunter2secret@127.0.0.1:3306/x",
        "change.sql",
    ]));
    // MySQL / MariaDB are read from information_schema now; a wrong password fails to connect
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("cannot connect"), "{r:?}");
    assert!(!r.stderr.contains("hunter2secret"), "{r:?}");
}

#[test]
fn snapshot_reads_constraints_indexes_and_schemas() {
    use sluice::run::introspect;
    use sluice::run::url::DbUrl;
    use sluice::sql::Operation;

    let s = Scratch::pg();
    s.exec(
        "CREATE SCHEMA app;
         CREATE TABLE app.accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                    name text DEFAULT 'x', created timestamptz DEFAULT now());
         CREATE TABLE posts (id serial PRIMARY KEY, account_id bigint, title text,
                             CONSTRAINT posts_title_unique UNIQUE (title));
         ALTER TABLE posts ADD CONSTRAINT posts_account_fk FOREIGN KEY (account_id)
             REFERENCES app.accounts (id) NOT VALID;
         ALTER TABLE posts ADD CONSTRAINT title_nn CHECK (title IS NOT NULL) NOT VALID;
         CREATE INDEX posts_partial ON posts (account_id) WHERE title IS NOT NULL;
         CREATE INDEX posts_lower ON posts (lower(title)) INCLUDE (id);
         CREATE INDEX posts_brin ON posts USING brin (id) WITH (pages_per_range = 16);
         CREATE INDEX posts_plain ON posts USING btree (account_id, title);",
    );
    let url = DbUrl::parse(&s.url).unwrap();
    let snap = crate::common::block_on(introspect::snapshot(&url, &introspect::Scope::AllSchemas))
        .unwrap();
    let names: Vec<String> = snap
        .ops
        .iter()
        .map(|op| match op {
            Operation::CreateTable { table, columns, .. } => format!(
                "table {table}({})",
                columns
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.data_type))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Operation::AddConstraint { table, constraint } => format!(
                "constraint {table} {} {:?} {:?} not_valid={} refs={:?} check={:?}",
                constraint.name.as_deref().unwrap_or("?"),
                constraint.kind,
                constraint.columns,
                constraint.not_valid,
                constraint.references.as_ref().map(ToString::to_string),
                constraint.check_expr,
            ),
            Operation::CreateIndex {
                name,
                table,
                columns,
                shape,
                ..
            } => format!(
                "index {table} {} {columns:?} {shape:?}",
                name.as_deref().unwrap_or("?")
            ),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "table app.accounts(id bigint, name text, created timestamp with time zone)",
            "table public.posts(id integer, account_id bigint, title text)",
            "constraint app.accounts accounts_pkey PrimaryKey [\"id\"] not_valid=false refs=None check=None",
            "constraint public.posts posts_pkey PrimaryKey [\"id\"] not_valid=false refs=None check=None",
            "constraint public.posts posts_title_unique Unique [\"title\"] not_valid=false refs=None check=None",
            "constraint public.posts title_nn Check [\"title\"] not_valid=true refs=None check=Some(\"(title IS NOT NULL)\")",
            "constraint public.posts posts_account_fk ForeignKey [\"account_id\"] not_valid=true refs=Some(\"app.accounts\") check=None",
            "index public.posts posts_brin [\"id\"] Written(\"USING BRIN (id) WITH (pages_per_range = '16')\")",
            "index public.posts posts_lower [\"lower(title)\"] Written(\"USING BTREE (lower(title)) INCLUDE (id)\")",
            "index public.posts posts_partial [\"account_id\"] Written(\"USING BTREE (account_id) WHERE (title IS NOT NULL)\")",
            "index public.posts posts_plain [\"account_id\", \"title\"] Columns",
        ]
    );
    assert_eq!(snap.index_states.len(), 1, "{:?}", snap.index_states);
    assert!(snap.index_states[0].partial && snap.index_states[0].valid);
    // never analyzed and empty: known to be empty
    assert_eq!(snap.rows.values().copied().collect::<Vec<_>>(), [0, 0]);
}

/// PostgreSQL 18: a NOT VALID NOT NULL constraint sets `attnotnull` but proves nothing about
/// the rows already there; `--schema-from` reads it as the constraint, so a contract's SET
/// NOT NULL still scans (finding) until the constraint is validated (none). On older servers
/// the form does not exist and the test says so.
#[test]
fn pg18_not_valid_not_null_is_read_as_such() {
    let s = Scratch::pg();
    let major: u32 = s.strings("SELECT (current_setting('server_version_num')::int / 10000)::text")
        [0]
    .parse()
    .unwrap();
    if major < 18 {
        eprintln!(
            "PostgreSQL {major}: no NOT NULL .. NOT VALID before 18; run with DATABASE_URL_PG of an 18 server"
        );
        return;
    }
    s.exec(
        "CREATE TABLE t (id bigint PRIMARY KEY, c int);
         ALTER TABLE t ADD CONSTRAINT t_c_not_null NOT NULL c NOT VALID;",
    );
    let dir = tree(&[(
        "change.sql",
        "-- sluice:phase contract\nALTER TABLE t ALTER COLUMN c SET NOT NULL;\n",
    )]);
    let lint = || {
        run(migrate(dir.path()).args([
            "lint",
            "change.sql",
            "--format",
            "json",
            "--schema-from",
            &s.url,
        ]))
    };
    // a warning under the sluice runner (it proves NOT NULL online), an error otherwise
    let r = lint();
    assert!(
        r.stdout.contains("adding-not-nullable-field") && r.stdout.contains("still NOT VALID"),
        "{r:?}"
    );
    s.exec("ALTER TABLE t VALIDATE CONSTRAINT t_c_not_null");
    let r = lint();
    assert!(!r.stdout.contains("adding-not-nullable-field"), "{r:?}");
}

/// `migrate plan --schema-from`: a foreign key read off the live database (its definition
/// from `pg_get_constraintdef`) is copied onto the shadow column of a type change, under its
/// own name and with its actions.
#[test]
fn plan_copies_a_live_foreign_key_onto_the_shadow_column() {
    let s = Scratch::pg();
    s.exec(
        "CREATE TABLE owners (id int PRIMARY KEY);
         CREATE TABLE accounts (id bigint PRIMARY KEY,
             owner_id int CONSTRAINT acc_owner REFERENCES owners (id) ON DELETE SET NULL);",
    );
    let dir = tree(&[(
        "0002_widen.sql",
        "ALTER TABLE accounts ALTER COLUMN owner_id TYPE bigint;\n",
    )]);
    let r = run(migrate(dir.path()).args(["plan", "0002_widen.sql", "--schema-from", &s.url]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains(
            "ADD CONSTRAINT acc_owner_sluice_new FOREIGN KEY (owner_id_sluice_new) REFERENCES owners(id) ON DELETE SET NULL NOT VALID;"
        ) && r.stdout.contains("RENAME CONSTRAINT acc_owner_sluice_new TO acc_owner;"),
        "{}",
        r.stdout
    );
}
