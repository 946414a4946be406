//! The zero-downtime benchmark at a tiny size against the real PostgreSQL and MariaDB: every
//! change and mode is reported with sane figures, and the load sees what the naive changes
//! break.

// figures are whole milliseconds and counts: exact comparison is meant
#![allow(clippy::float_cmp)]

use std::process::Command;

use serde_json::Value;

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

#[test]
fn tiny_benchmark_reports_every_change_and_mode() {
    let admin = std::env::var("DATABASE_URL_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let json = tiny_benchmark(&admin);
    assert_eq!(json["params"]["engine"], "postgres");
    // old code inserts without the new column: a naive NOT NULL rejects them
    let not_null = &json["changes"][1]["modes"]["naive"]["runs"][0];
    assert!(
        num(
            &not_null["failed_by_kind"]["not_null_violation"],
            "not null"
        ) > 0.0,
        "{not_null}"
    );
}

/// The MariaDB side: the same change set; the type change goes through
/// pt-online-schema-change (the run is not `ok` unless the table it replaced is kept).
#[test]
fn tiny_benchmark_on_mariadb() {
    let admin = std::env::var("DATABASE_URL_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into());
    let json = tiny_benchmark(&admin);
    assert_eq!(json["params"]["engine"], "mysql");
    assert!(
        json["params"]["server_version"]
            .as_str()
            .unwrap()
            .contains("MariaDB")
    );
    let bigint = &json["changes"][2];
    assert_eq!(bigint["change"], "int_to_bigint");
    assert_eq!(bigint["planned"], false);
    assert!(
        bigint["sluice_sql"]
            .as_str()
            .unwrap()
            .starts_with("-- sluice:strategy pt-osc"),
        "{bigint}"
    );
    // strict mode: either the old code's inserts after the naive change fail (the new NOT NULL
    // column has no default), or one of them slipped in a NULL between the UPDATE and the
    // MODIFY and the naive migration itself failed
    let not_null = &json["changes"][1]["modes"]["naive"]["runs"][0];
    assert!(
        naive_may_fail("add_not_null_column", "naive", not_null)
            || num(&not_null["failed_by_kind"]["no_default_value"], "not null") > 0.0,
        "{not_null}"
    );
}

/// MariaDB's naive NOT NULL column (add, UPDATE, MODIFY .. NOT NULL: three statements, each
/// committed on its own) fails when the old code inserted a NULL after the UPDATE: 1265 "Data
/// truncated" or 1138 "Invalid use of NULL value", depending on when the MODIFY meets it.
fn naive_may_fail(change: &str, mode: &str, run: &Value) -> bool {
    (change == "add_not_null_column" || change == "add_computed_column")
        && mode == "naive"
        && run["error"]
            .as_str()
            .is_some_and(|e| e.contains(" 1265 ") || e.contains(" 1138 "))
}

/// Run zdt-bench with 2,000 rows against the server of `admin` and check what holds on any
/// server; returns results.json.
fn tiny_benchmark(admin: &str) -> Value {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(assert_cmd::cargo::cargo_bin("zdt-bench"))
        .args([
            "--rows",
            "2000",
            "--clients",
            "2",
            "--rate",
            "200",
            "--repeat",
            "1",
            "--duration-scale",
            "small",
            "--mode",
            "all",
            "--migrate",
        ])
        .arg(assert_cmd::cargo::cargo_bin("migrate"))
        .arg("--out")
        .arg(out.path())
        .env("ZDT_DATABASE_URL", admin)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "zdt-bench failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(json["params"]["rows"], 2000);
    let changes: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "rename_column",
            "add_not_null_column",
            "int_to_bigint",
            "add_fk",
            "add_index",
            "set_not_null",
            "add_computed_column",
            "delete_rows"
        ]
    );
    for c in json["changes"].as_array().unwrap() {
        let name = c["change"].as_str().unwrap();
        for mode in ["naive", "sluice"] {
            let m = &c["modes"][mode];
            let runs = m["runs"].as_array().unwrap();
            assert_eq!(runs.len(), 1, "{name} {mode}");
            let r = &runs[0];
            let what = format!("{name} {mode}");
            if naive_may_fail(name, mode, r) {
                assert_eq!(r["done"], false, "{what}: {r}");
            } else {
                assert_eq!(r["ok"], true, "{what}: {}", r["error"]);
                assert_eq!(r["done"], true, "{what}: the change is not in the database");
            }
            assert!(num(&r["queries"], &what) > 0.0, "{what}: no load");
            assert!(num(&r["failed"], &what) >= 0.0);
            let max = num(&r["max_latency_ms"], &what);
            let p99 = num(&r["p99_ms"], &what);
            let p50 = num(&r["p50_ms"], &what);
            assert!(max >= p99 && p99 >= p50 && p50 >= 0.0, "{what}: {r}");
            let stall = num(&r["stall_ms"], &what);
            assert!(stall >= 0.0 && stall <= max, "{what}: {r}");
            assert!(!r["steps"].as_array().unwrap().is_empty(), "{what}: {r}");
            assert!(num(&r["migration_ms"], &what) > 0.0, "{what}: {r}");
            let sum: f64 = r["failed_by_kind"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| num(v, &what))
                .sum();
            assert_eq!(sum, num(&r["failed"], &what), "{what}");
            assert_eq!(
                num(&m["summary"]["stall_ms"]["median"], &what),
                stall,
                "{what}: one run is its own median"
            );
            if mode == "sluice" {
                assert_eq!(num(&r["failed"], &what), 0.0, "{what}: {r}");
            }
        }
        let svg = std::fs::read_to_string(out.path().join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("naive"),
            "{name}.svg"
        );
    }
    // the old code's queries name the old column: a naive rename breaks them
    let rename = &json["changes"][0]["modes"]["naive"]["runs"][0];
    assert!(
        num(&rename["failed_by_kind"]["undefined_column"], "rename") > 0.0,
        "{rename}"
    );

    let b = &json["backfill"];
    for mode in ["naive", "sluice"] {
        let r = &b["modes"][mode]["runs"][0];
        assert_eq!(r["ok"], true, "backfill {mode}: {}", r["error"]);
        assert!(num(&r["rows"], mode) >= 2000.0, "backfill {mode}: {r}");
        assert!(num(&r["rows_per_s"], mode) > 0.0, "backfill {mode}: {r}");
        assert!(num(&r["longest_batch_ms"], mode) >= 0.0);
        assert!(num(&r["load_max_ms"], mode) >= 0.0);
    }
    assert!(num(&b["throughput_ratio"], "ratio") > 0.0);
    assert!(stdout.contains("rename_column") && stdout.contains("sluice/naive throughput"));
    json
}
