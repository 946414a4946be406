//! Phase hooks against a real PostgreSQL: a failing before-contract hook stops contract and
//! the ledger says why; hooks see the run in their environment, never the database URL.

use crate::common::{Scratch, run, states, tree};

fn status_json(s: &Scratch, d: &std::path::Path) -> serde_json::Value {
    let r = run(s
        .migrate(d)
        .args(["status", "migrations", "--format", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    serde_json::from_str(&r.stdout).unwrap()
}

const EXPAND: &str = "ALTER TABLE users ADD COLUMN email_new text;\n";
const EXPAND_DOWN: &str = "ALTER TABLE users DROP COLUMN email_new;\n";
const CONTRACT: &str = "ALTER TABLE users DROP COLUMN email;\n";
const CONTRACT_DOWN: &str = "ALTER TABLE users ADD COLUMN email text;\n";

fn project(hooks: &str) -> tempfile::TempDir {
    tree(&[
        ("sluice.toml", hooks),
        (
            "migrations/1_users/expand.up.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        ),
        ("migrations/1_users/expand.down.sql", "DROP TABLE users;\n"),
        ("migrations/2_email/expand.up.sql", EXPAND),
        ("migrations/2_email/expand.down.sql", EXPAND_DOWN),
        ("migrations/2_email/contract.up.sql", CONTRACT),
        ("migrations/2_email/contract.down.sql", CONTRACT_DOWN),
    ])
}

fn column_exists(s: &Scratch, col: &str) -> bool {
    !s.strings(&format!(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users' AND column_name = '{col}'"
    ))
    .is_empty()
}

#[test]
fn failing_before_contract_hook_stops_contract_and_the_ledger_says_why() {
    let s = Scratch::pg();
    let dir = project(
        r#"
[[hooks]]
on = "after-expand"
command = "echo \"$SLUICE_HOOK $SLUICE_VERSION $SLUICE_NAME $SLUICE_PHASE $SLUICE_RELEASE $SLUICE_OUTCOME ${DATABASE_URL:-no-url}\" >> hook-env.txt"
[[hooks]]
on = "before-contract"
command = "test -f allow-contract || { echo 'change freeze until Monday' >&2; exit 1; }"
"#,
    );
    let d = dir.path();
    let r = run(s
        .migrate(d)
        .args(["apply", "migrations", "--release", "r1"]));
    assert_eq!(r.code, 0, "{r:?}");
    let env = std::fs::read_to_string(d.join("hook-env.txt")).unwrap();
    assert_eq!(
        env.lines().collect::<Vec<_>>(),
        [
            "after-expand 1 users expand r1 ok no-url",
            "after-expand 2 email expand r1 ok no-url"
        ]
    );
    let r = run(s
        .migrate(d)
        .args(["rollout", "complete", "--release", "r1"]));
    assert_eq!(r.code, 0, "{r:?}");

    let r = run(s
        .migrate(d)
        .args(["apply", "migrations", "--phase", "contract"]));
    assert_eq!(r.code, 1, "{r:?}");
    let why = "2 email (contract) did not run: before-contract hook `test -f allow-contract || { echo 'change freeze until Monday' >&2; exit 1; }` failed: exit 1: change freeze until Monday";
    assert!(r.stderr.contains(why), "{r:?}");
    assert!(column_exists(&s, "email"), "the contract must not have run");

    // the ledger: the phase's error and an event; `migrate status` shows both
    let st = status_json(&s, d);
    assert_eq!(
        states(&st),
        ["1 expand applied", "2 expand applied", "2 contract failed"]
    );
    let contract = &st["migrations"][2];
    assert_eq!(contract["error"], why);
    assert_eq!(contract["statements_done"], 0);
    let hook_events: Vec<_> = st["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "hook-failed")
        .collect();
    assert_eq!(hook_events.len(), 1);
    assert_eq!(hook_events[0]["detail"], why);
    assert_eq!(hook_events[0]["version"], "2");
    let r = run(s.migrate(d).args(["status", "migrations"]));
    assert!(r.stdout.contains("change freeze until Monday"), "{r:?}");

    // once the hook passes, the contract runs
    std::fs::write(d.join("allow-contract"), "").unwrap();
    let r = run(s
        .migrate(d)
        .args(["apply", "migrations", "--phase", "contract"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!column_exists(&s, "email"));
    let st = status_json(&s, d);
    assert_eq!(
        states(&st),
        ["1 expand applied", "2 expand applied", "2 contract applied"]
    );
    assert!(st["migrations"][2]["error"].is_null());
}

#[test]
fn failing_before_rollback_hook_stops_the_rollback() {
    let s = Scratch::pg();
    let dir = project(
        r#"
[[hooks]]
on = "before-rollback"
command = "echo \"rollback of $SLUICE_VERSION $SLUICE_PHASE refused\" >&2; exit 2"
"#,
    );
    let d = dir.path();
    let r = run(s.migrate(d).args(["apply", "migrations"]));
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(s.migrate(d).args(["rollback", "migrations"]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("exit 2: rollback of 2 expand refused"),
        "{r:?}"
    );
    assert!(column_exists(&s, "email_new"));
}

#[test]
fn after_backfill_hook_runs_once_the_backfill_is_done() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "sluice.toml",
            "[[hooks]]\non = \"after-backfill\"\ncommand = \"echo \\\"$SLUICE_HOOK $SLUICE_VERSION $SLUICE_PHASE $SLUICE_RELEASE $SLUICE_OUTCOME\\\" >> hook-env.txt\"\n",
        ),
        (
            "migrations/1_t/expand.up.sql",
            "CREATE TABLE t (id bigint PRIMARY KEY, v int, w int);\nINSERT INTO t (id, v) SELECT g, g FROM generate_series(1, 5000) g;\n",
        ),
        ("migrations/1_t/expand.down.sql", "DROP TABLE t;\n"),
        (
            "migrations/1_t/backfill.toml",
            "table = \"t\"\nkey = [\"id\"]\nwhere = '\"w\" IS NULL'\nbatch_size = 1000\n[set]\nw = '\"v\" + 1'\n",
        ),
    ]);
    let d = dir.path();
    let r = run(s
        .migrate(d)
        .args(["apply", "migrations", "--release", "r5"]));
    assert_eq!(r.code, 0, "{r:?}");
    let env = std::fs::read_to_string(d.join("hook-env.txt")).unwrap();
    assert_eq!(env, "after-backfill 1 backfill r5 ok\n");
    assert_eq!(
        s.strings("SELECT count(*)::text FROM t WHERE w = v + 1"),
        ["5000"]
    );
}
