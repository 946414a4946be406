//! `migrate verify` runs for the verify tests: a small history, one migration whose down is
//! right or forgets one object, checked through the JSON and the human output.

use std::path::Path;
use std::process::Command;

use sluice::sql::Dialect;
use sqlx::Connection;

use super::{Run, admin_url, run, tree};

/// One migration after a one-migration history; `object`: what the failure must name
/// (empty: the down is right and the change is proven).
pub struct Case {
    pub backend: Dialect,
    pub history: (&'static str, &'static str),
    pub up: String,
    pub down: String,
    pub object: &'static str,
}

/// `migrate verify ARGS --format json` in `dir` against the backend's server, and the JSON.
/// The scratch database the report names must be gone afterwards.
pub fn verify_dir(dir: &Path, backend: Dialect, args: &[&str]) -> (Run, serde_json::Value) {
    let r = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SLUICE_LOG")
        .arg("verify")
        .args(args)
        .args(["--scratch-url", &admin_url(backend), "--format", "json"]));
    let json: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {r:?}"));
    for run in json["runs"].as_array().unwrap() {
        let name = run["database"].as_str().unwrap();
        assert!(name.starts_with("sluice_verify_"), "{name}");
        assert!(
            !databases_left(backend).iter().any(|d| d == name),
            "scratch database {name} left behind"
        );
    }
    (r, json)
}

/// Databases named `sluice_verify_*` on the backend's server.
pub fn databases_left(backend: Dialect) -> Vec<String> {
    let admin = admin_url(backend);
    // a thread of its own: the caller may be inside a runtime
    std::thread::spawn(move || {
        super::block_on(async move {
            match backend {
                Dialect::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
                    sqlx::query_scalar::<_, String>(
                        "SELECT datname::text FROM pg_database WHERE datname LIKE 'sluice\\_verify\\_%'",
                    )
                    .fetch_all(&mut c)
                    .await
                    .unwrap()
                }
                Dialect::Mysql => {
                    let mut c = sqlx::MySqlConnection::connect(&admin).await.unwrap();
                    sqlx::query_scalar::<_, String>(
                        "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'sluice\\_verify\\_%'",
                    )
                    .fetch_all(&mut c)
                    .await
                    .unwrap()
                }
            }
        })
    })
    .join()
    .unwrap()
}

/// Verify the case's migration (an explicit file: the change; 001 is history) and check the
/// outcome: proven, or failed with `object` named in the failure of the down.
pub fn check_case(c: &Case) {
    let dir = tree(&[
        ("m/001_base.up.sql", c.history.0),
        ("m/001_base.down.sql", c.history.1),
        ("m/002_change.up.sql", &c.up),
        ("m/002_change.down.sql", &c.down),
    ]);
    let (r, json) = verify_dir(dir.path(), c.backend, &["m/002_change.up.sql"]);
    let run = &json["runs"][0];
    assert_eq!(run["history"], 1, "{r:?}");
    let migs = run["migrations"].as_array().unwrap();
    assert_eq!(migs.len(), 1, "{r:?}");
    let m = &migs[0];
    assert_eq!(m["version"], "002", "{r:?}");
    if c.object.is_empty() {
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(m["outcome"], "proven", "{r:?}");
        assert_eq!(json["proven"], true);
        let steps: Vec<&str> = m["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["up", "down", "up again"], "{r:?}");
        return;
    }
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(m["outcome"], "failed", "{r:?}");
    assert!(
        m["path"].as_str().unwrap().ends_with("002_change.down.sql"),
        "the failure points at the down script: {r:?}"
    );
    let down = m["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "down")
        .unwrap_or_else(|| panic!("no down step: {r:?}"));
    let named: Vec<String> = down["diff"]["differences"]
        .as_array()
        .unwrap_or_else(|| panic!("no diff on the down: {r:?}"))
        .iter()
        .map(|d| d["object"].as_str().unwrap().to_owned())
        .collect();
    let object = c.object.split(':').next().unwrap();
    assert!(
        named.iter().any(|n| n == object),
        "{object} not named in {named:?}: {r:?}"
    );
    // the human output says it too
    let human = run_human(dir.path(), c.backend, "m/002_change.up.sql");
    assert_eq!(human.code, 1, "{human:?}");
    assert!(human.stdout.contains(c.object), "{}: {human:?}", c.object);
    assert!(human.stdout.contains("FAILED 002 change"), "{human:?}");
}

fn run_human(dir: &Path, backend: Dialect, file: &str) -> Run {
    run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .args(["verify", file, "--scratch-url", &admin_url(backend)]))
}

/// A history (001) and one change (002) with data: `migrate verify 002 ARGS` (the default
/// `--rows` unless ARGS says), its run, JSON and the 002 migration's report.
pub fn verify_change(
    backend: Dialect,
    history: (&str, &str),
    change: (&str, &str),
    args: &[&str],
) -> (Run, serde_json::Value) {
    let dir = tree(&[
        ("m/001_base.up.sql", history.0),
        ("m/001_base.down.sql", history.1),
        ("m/002_change.up.sql", change.0),
        ("m/002_change.down.sql", change.1),
    ]);
    let mut all = vec!["m/002_change.up.sql"];
    all.extend_from_slice(args);
    verify_dir(dir.path(), backend, &all)
}

/// `(table, column)` of each data difference of the migration's steps.
pub fn data_differences(json: &serde_json::Value) -> Vec<(String, String)> {
    json["runs"][0]["migrations"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["data"].as_array().unwrap().iter())
        .map(|d| {
            (
                d["table"].as_str().unwrap().to_owned(),
                d["column"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The tables the fill filled, with their rows, and those it skipped.
pub fn filled(json: &serde_json::Value) -> (Vec<(String, u64)>, Vec<String>) {
    let fill = &json["runs"][0]["fill"];
    let tables = fill["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no fill in {json}"))
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_owned(),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    let skipped = fill["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap().to_owned())
        .collect();
    (tables, skipped)
}

/// The first failing step's name and error.
pub fn first_error(json: &serde_json::Value) -> (String, String) {
    let steps = json["runs"][0]["migrations"][0]["steps"]
        .as_array()
        .unwrap();
    let s = steps
        .iter()
        .find(|s| !s["error"].is_null())
        .unwrap_or_else(|| panic!("no failing step in {json}"));
    (
        s["step"].as_str().unwrap().to_owned(),
        s["error"].as_str().unwrap().to_owned(),
    )
}

/// The planner's own output for each `(naive change, old queries, new queries)` after
/// `init` (`migrate plan`, written as the next migration of a phased directory whose first
/// migration is `init`), verified with the old and the new application's queries: every
/// phase's down restores schema and data, the old queries prepare until the contract, the
/// new ones from the expand on. The failures, each with verify's output.
pub fn planned_changes_verify(
    backend: Dialect,
    init: (&str, &str),
    config: Option<&str>,
    cases: &[(&str, &str, &str)],
) -> Vec<String> {
    let mut problems = Vec::new();
    for (naive, old, new) in cases {
        let dirs = super::recipe_dirs(init.0, init.1, naive, config);
        let work = dirs.work.path();
        std::fs::write(work.join("old.sql"), old).unwrap();
        std::fs::write(work.join("new.sql"), new).unwrap();
        let planned = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .current_dir(&dirs.naive)
            .args(["plan", "0002_change.sql", "--out"])
            .arg(dirs.migrations.join("0002_change")));
        assert_eq!(planned.code, 0, "plan of {naive}: {planned:?}");
        let (r, json) = verify_dir(
            work,
            backend,
            &[
                // a directory alone: its newest migration is the change
                "migrations",
                "--old-queries",
                "old.sql",
                "--new-queries",
                "new.sql",
            ],
        );
        let m = &json["runs"][0]["migrations"][0];
        let steps: Vec<&str> = m["steps"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["step"].as_str()).collect())
            .unwrap_or_default();
        let through_view = config.is_some_and(|c| c.contains("rename_column = \"view\""));
        if naive.contains("RENAME COLUMN") && !through_view {
            // phased: each phase went up, down (contract first) and up again
            assert_eq!(
                steps,
                [
                    "expand",
                    "backfill",
                    "contract",
                    "contract.down",
                    "expand.down",
                    "expand again",
                    "backfill again",
                    "contract again"
                ],
                "{r:?}"
            );
        }
        // the history's tables held rows: the steps ran on data
        let filled = json["runs"][0]["fill"]["tables"]
            .as_array()
            .map_or(0, Vec::len);
        if r.code != 0 || m["outcome"] != "proven" || m["version"] != "0002" || filled == 0 {
            problems.push(format!("{naive}:\n{}", r.stdout));
        }
    }
    problems
}

/// `migrate plan FILE --out DIR ARGS` in `dir`, and the up files it wrote, sorted: the
/// change to verify.
pub fn planned_ups(dir: &Path, file: &str, out: &str, args: &[&str]) -> Vec<String> {
    let plan = run(Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir)
        .args(["plan", file, "--out", out])
        .args(args));
    assert_eq!(plan.code, 0, "{plan:?}");
    let mut ups: Vec<String> = plan
        .stderr
        .lines()
        .chain(plan.stdout.lines())
        .filter_map(|l| l.strip_prefix("wrote "))
        .filter(|p| p.ends_with(".up.sql"))
        .map(str::to_owned)
        .collect();
    ups.sort();
    ups
}
