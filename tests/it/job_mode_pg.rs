//! `migrate hook pre-deploy|post-deploy` against a real PostgreSQL: idempotent by release,
//! exit 3 while waiting, `--max-duration` stops at a phase boundary and the next call resumes.

use crate::common::{Scratch, run, tree};

fn project(config: &str) -> tempfile::TempDir {
    tree(&[
        ("sluice.toml", config),
        (
            "migrations/1_users/expand.up.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nSELECT pg_sleep(3);\n",
        ),
        ("migrations/1_users/expand.down.sql", "DROP TABLE users;\n"),
        (
            "migrations/2_email/expand.up.sql",
            "ALTER TABLE users ADD COLUMN email_new text;\n",
        ),
        (
            "migrations/2_email/expand.down.sql",
            "ALTER TABLE users DROP COLUMN email_new;\n",
        ),
        (
            "migrations/2_email/contract.up.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        ),
        (
            "migrations/2_email/contract.down.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
    ])
}

fn states(s: &Scratch) -> Vec<String> {
    s.strings("SELECT version || ' ' || phase || ' ' || state FROM sluice_migrations ORDER BY version, phase DESC")
}

#[test]
fn pre_and_post_deploy_are_idempotent_by_release() {
    let s = Scratch::pg();
    let dir = project(
        "[gates.default]\nall = [{ kind = \"recorded\" }, { kind = \"command\", command = \"test -f rolled-out\" }]\n",
    );
    let d = dir.path();
    let hook = |args: &[&str]| run(s.migrate(d).args(["hook"]).args(args).arg("migrations"));

    // stops after the phase running when --max-duration ends; the next call continues
    let r = hook(&["pre-deploy", "--release", "r1", "--max-duration", "1s"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout.contains("not finished within --max-duration"),
        "{r:?}"
    );
    assert_eq!(states(&s), ["1 expand applied"]);
    let r = hook(&["pre-deploy", "--release", "r1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("applied 2 email (expand)"), "{r:?}");
    let r = hook(&["pre-deploy", "--release", "r1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("pre-deploy of release r1: already done, nothing to do"),
        "{r:?}"
    );

    // post-deploy: the rollout is recorded once; contract waits on the command gate
    let r = hook(&["post-deploy", "--release", "r1"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout
            .contains("recorded: rollout of release r1 complete"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("waiting: 2 email (contract): the `all` gate: waiting on command `test -f rolled-out`: exit 1"),
        "{r:?}"
    );
    let r = hook(&["post-deploy", "--release", "r1"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(!r.stdout.contains("recorded:"), "{r:?}");
    // `migrate gate check` shows the same verdict, leaf by leaf
    let r = run(s
        .migrate(d)
        .args(["gate", "check", "migrations", "--format", "json"]));
    assert_eq!(r.code, 3, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["contract"], "2");
    assert_eq!(v["verdict"]["gate"], "all");
    assert_eq!(v["verdict"]["gates"][0]["gate"], "recorded");
    assert_eq!(v["verdict"]["gates"][0]["holds"], true);
    assert_eq!(v["verdict"]["gates"][1]["holds"], false);
    std::fs::write(d.join("rolled-out"), "").unwrap();
    let r = run(s.migrate(d).args(["gate", "check", "migrations"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.starts_with("gate for contract 2: holds\n"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("yes recorded: rollout completion recorded (release r1 at "),
        "{r:?}"
    );
    let r = hook(&["post-deploy", "--release", "r1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("applied 2 email (contract)"), "{r:?}");
    let r = hook(&["post-deploy", "--release", "r1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("already done"), "{r:?}");
    assert_eq!(
        states(&s),
        ["1 expand applied", "2 expand applied", "2 contract applied"]
    );
    assert_eq!(
        s.strings("SELECT kind || ' ' || release_id FROM sluice_events ORDER BY id"),
        ["pre-deploy r1", "rollout-complete r1", "post-deploy r1"]
    );
}
