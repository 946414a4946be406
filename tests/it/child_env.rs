//! Child processes never see this process's secrets: pg_repack, pt-online-schema-change and
//! gh-ost (each a stand-in that writes its environment to a file) are started by
//! `migrate apply` with `DATABASE_URL`, `SLUICE_TOKEN`, `SLUICE_HMAC_KEY` and the client
//! password variables set, and none of them arrives. Hook and gate commands: `hooks_pg.rs`,
//! `gates.rs`.

use std::path::{Path, PathBuf};

use crate::common::{Scratch, run, tree};

const STAND_IN: &str = "#!/bin/sh\nenv > \"$SLUICE_TEST_ENV_DUMP\"\nexit 0\n";

/// The stand-in `name` in a directory of its own, and the file it writes.
fn stand_in(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let bin = dir.join(name);
    std::fs::write(&bin, STAND_IN).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (bin, dir.join(format!("{name}.env")))
}

fn secret_run(s: &Scratch, cwd: &Path, dump: &Path, path: Option<&Path>) -> crate::common::Run {
    let mut c = s.migrate(cwd);
    c.env("SLUICE_TOKEN", "token-must-not-leak")
        .env("SLUICE_HMAC_KEY", "hmac-must-not-leak")
        .env("PGPASSWORD", "pgpassword-must-not-leak")
        .env("MYSQL_PWD", "mysqlpwd-must-not-leak")
        .env("SLUICE_TEST_ENV_DUMP", dump)
        .args(["apply", "migrations"]);
    if let Some(p) = path {
        let old = std::env::var("PATH").unwrap_or_default();
        c.env("PATH", format!("{}:{old}", p.display()));
    }
    run(&mut c)
}

fn assert_no_secret(dump: &Path, url: &str) {
    let env = std::fs::read_to_string(dump)
        .unwrap_or_else(|e| panic!("the tool did not run ({}: {e})", dump.display()));
    for leak in [
        "token-must-not-leak",
        "hmac-must-not-leak",
        "pgpassword-must-not-leak",
        "mysqlpwd-must-not-leak",
        url,
    ] {
        assert!(!env.contains(leak), "`{leak}` reached the child:\n{env}");
    }
    for k in ["DATABASE_URL=", "SLUICE_TOKEN=", "SLUICE_HMAC_KEY="] {
        assert!(
            !env.lines().any(|l| l.starts_with(k)),
            "{k} reached the child"
        );
    }
}

#[test]
fn pg_repack_gets_no_secret() {
    let s = Scratch::pg();
    s.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 3000); ANALYZE t;");
    let work = tempfile::tempdir().unwrap();
    let (_, dump) = stand_in(work.path(), "pg_repack");
    let dir = tree(&[
        ("sluice.toml", "[run]\nlarge_table_rows = 1000\n"),
        ("migrations/1_rebuild/expand.up.sql", "VACUUM FULL t;\n"),
        (
            "migrations/1_rebuild/expand.down.sql",
            "-- sluice:irreversible a rebuild\nSELECT 1;\n",
        ),
    ]);
    let r = secret_run(&s, dir.path(), &dump, Some(work.path()));
    assert_eq!(r.code, 0, "{r:?}");
    assert_no_secret(&dump, &s.url);
}

#[test]
fn pt_online_schema_change_gets_no_secret() {
    let s = Scratch::mysql();
    s.exec("CREATE TABLE g (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO g SELECT seq, seq FROM seq_1_to_3000; ANALYZE TABLE g;");
    let work = tempfile::tempdir().unwrap();
    let (bin, dump) = stand_in(work.path(), "pt-online-schema-change");
    let config = format!(
        "dialect = \"mysql\"\nflavour = \"mariadb\"\n[run]\nlarge_table_rows = 1000\npt_osc = \"{}\"\n",
        bin.display()
    );
    let dir = tree(&[
        ("sluice.toml", config.as_str()),
        (
            "migrations/2_widen/expand.up.sql",
            "-- sluice:strategy pt-osc\nALTER TABLE g MODIFY n BIGINT NOT NULL;\n",
        ),
    ]);
    let _ = secret_run(&s, dir.path(), &dump, None);
    assert_no_secret(&dump, &s.url);
}

#[test]
fn gh_ost_gets_no_secret() {
    let s = Scratch::mysql();
    s.exec("CREATE TABLE g (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO g SELECT seq, seq FROM seq_1_to_3000; ANALYZE TABLE g;");
    let work = tempfile::tempdir().unwrap();
    let (bin, dump) = stand_in(work.path(), "gh-ost");
    let config = format!(
        "dialect = \"mysql\"\nflavour = \"mariadb\"\n[run]\nlarge_table_rows = 1000\ngh_ost = \"{}\"\n",
        bin.display()
    );
    let dir = tree(&[
        ("sluice.toml", config.as_str()),
        (
            "migrations/2_widen/expand.up.sql",
            "-- sluice:strategy gh-ost\nALTER TABLE g MODIFY n BIGINT NOT NULL;\n",
        ),
    ]);
    let _ = secret_run(&s, dir.path(), &dump, None);
    assert_no_secret(&dump, &s.url);
}
