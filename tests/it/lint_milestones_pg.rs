//! The lint rules' PostgreSQL version milestones against the real server: each statement is
//! run on a table of the live server and whether it rewrote the table (a new relfilenode) is
//! read off the catalog; `migrate lint`, told that server's version, must report a rewrite
//! finding exactly when the server rewrote. The server is the reference: on PostgreSQL 18
//! (`DATABASE_URL_PG` of an 18 server, as CI's second pass runs it) the cases that 18 no
//! longer rewrites (a VIRTUAL generated column) must pass.

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

/// (setup after `CREATE TABLE t (id int PRIMARY KEY, a int, v varchar(10))`, the statement,
/// the rule that reports its rewrite, the lowest major version that has the statement)
const CASES: &[(&str, &str, &str, u32)] = &[
    (
        "",
        "ALTER TABLE t ADD COLUMN c int DEFAULT 5",
        "adding-field-with-default",
        11,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c text DEFAULT now()::text",
        "adding-field-with-default",
        11,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c float DEFAULT random()",
        "adding-field-with-default",
        11,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()",
        "adding-field-with-default",
        13,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c bigserial",
        "adding-field-with-default",
        11,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY",
        "adding-field-with-default",
        11,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) STORED",
        "adding-field-with-default",
        12,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) VIRTUAL",
        "adding-field-with-default",
        18,
    ),
    (
        "",
        "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2)",
        "adding-field-with-default",
        18,
    ),
    (
        "",
        "ALTER TABLE t ALTER COLUMN a TYPE bigint",
        "changing-column-type",
        11,
    ),
    (
        "",
        "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)",
        "changing-column-type",
        11,
    ),
    (
        "",
        "ALTER TABLE t ALTER COLUMN v TYPE text",
        "changing-column-type",
        11,
    ),
    (
        "",
        "ALTER TABLE t ALTER COLUMN a TYPE text",
        "changing-column-type",
        11,
    ),
];

fn major(s: &Scratch) -> u32 {
    s.strings("SELECT (current_setting('server_version_num')::int / 10000)::text")[0]
        .parse()
        .unwrap()
}

#[test]
fn rewrite_findings_match_what_the_server_rewrites() {
    let s = Scratch::pg();
    let major = major(&s);
    let mut checked = Vec::new();
    let mut wrong = Vec::new();
    for (i, (setup, sql, rule, since)) in CASES.iter().enumerate() {
        if major < *since {
            continue;
        }
        let t = format!("t{i}");
        s.exec(&format!(
            "CREATE TABLE {t} (id int PRIMARY KEY, a int, v varchar(10));
             INSERT INTO {t} (id, a, v) SELECT g, g, 'x' FROM generate_series(1, 100) g;{}",
            setup.replace("TABLE t ", &format!("TABLE {t} "))
        ));
        let node = format!("SELECT pg_relation_filenode('{t}')::text");
        let before = s.strings(&node);
        let stmt = sql.replace("TABLE t ", &format!("TABLE {t} "));
        s.exec(&stmt);
        let rewrote = s.strings(&node) != before;

        // lint the statement on a history that creates the table, for this server's version
        let dir = tree(&[
            (
                "sluice.toml",
                &format!(
                    "dialect = \"postgres\"\nserver_version = \"{major}\"\n[lint]\nrunner = \"sluice\"\n"
                ),
            ),
            (
                "migrations/1_t/up.sql",
                "CREATE TABLE t (id int PRIMARY KEY, a int, v varchar(10));\n",
            ),
            ("migrations/1_t/down.sql", "DROP TABLE t;\n"),
            ("migrations/2_change/up.sql", &format!("{sql};\n")),
            ("migrations/2_change/down.sql", "SELECT 1;\n"),
        ]);
        let r = run(migrate(dir.path()).args([
            "lint",
            "migrations/2_change/up.sql",
            "--format",
            "json",
        ]));
        let found = r.stdout.contains(&format!("\"rule\":\"{rule}\""))
            || r.stdout.contains(&format!("\"rule\": \"{rule}\""));
        checked.push(format!("{sql}: server rewrote {rewrote}, lint {found}"));
        if found != rewrote {
            wrong.push(format!(
                "PostgreSQL {major}: `{sql}` {} the table but lint {} {rule}\n{}",
                if rewrote {
                    "rewrote"
                } else {
                    "did not rewrite"
                },
                if found { "reported" } else { "did not report" },
                r.stdout
            ));
        }
    }
    eprintln!("PostgreSQL {major}:\n{}", checked.join("\n"));
    assert!(checked.len() >= 10, "{checked:?}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
