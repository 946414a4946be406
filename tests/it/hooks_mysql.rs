//! Phase hooks on MariaDB (statement-by-statement phases): a failing before-contract hook
//! stops contract and the ledger says why; job mode is idempotent by release.

use crate::common::{Scratch, run, tree};

#[test]
fn before_contract_hook_and_job_mode_on_mariadb() {
    let s = Scratch::mysql();
    let dir = tree(&[
        (
            "sluice.toml",
            "dialect = \"mysql\"\n[[hooks]]\non = \"before-contract\"\ncommand = \"test -f allow || { echo 'frozen' >&2; exit 1; }\"\n",
        ),
        (
            "migrations/1_users/expand.up.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nALTER TABLE users ADD COLUMN email_new text;\n",
        ),
        ("migrations/1_users/expand.down.sql", "DROP TABLE users;\n"),
        (
            "migrations/1_users/contract.up.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        ),
        (
            "migrations/1_users/contract.down.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
    ]);
    let d = dir.path();
    let hook = |args: &[&str]| run(s.migrate(d).args(["hook"]).args(args).arg("migrations"));
    let r = hook(&["pre-deploy", "--release", "m1"]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = hook(&["pre-deploy", "--release", "m1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("already done"), "{r:?}");
    let r = hook(&["post-deploy", "--release", "m1"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("failed: exit 1: frozen"), "{r:?}");
    let rows = s.strings(
        "SELECT CONCAT(phase, ' ', state, ' ', COALESCE(error, '')) FROM sluice_migrations ORDER BY phase DESC",
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].starts_with("expand applied"), "{rows:?}");
    assert!(
        rows[1].starts_with("contract failed 1 users (contract) did not run: before-contract hook"),
        "{rows:?}"
    );
    std::fs::write(d.join("allow"), "").unwrap();
    let r = hook(&["post-deploy", "--release", "m1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("applied 1 users (contract)"), "{r:?}");
    assert_eq!(
        s.strings("SELECT CONCAT(kind, ' ', release_id) FROM sluice_events ORDER BY id"),
        [
            "pre-deploy m1",
            "rollout-complete m1",
            "hook-failed m1",
            "post-deploy m1"
        ]
    );
}
