//! The zero-downtime benchmark at a tiny size against the real PostgreSQL: every change and
//! mode is reported with sane figures, and the load sees what the naive changes break.

use std::process::Command;

use serde_json::Value;

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

#[test]
fn tiny_benchmark_reports_every_change_and_mode() {
    let out = tempfile::tempdir().unwrap();
    let admin = std::env::var("DATABASE_URL_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
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
        .env("ZDT_DATABASE_URL", &admin)
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
            "set_not_null"
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
            assert_eq!(r["ok"], true, "{what}: {}", r["error"]);
            assert_eq!(r["done"], true, "{what}: the change is not in the database");
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
    // old code inserts without the new column: a naive NOT NULL rejects them
    let not_null = &json["changes"][1]["modes"]["naive"]["runs"][0];
    assert!(
        num(
            &not_null["failed_by_kind"]["not_null_violation"],
            "not null"
        ) > 0.0,
        "{not_null}"
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
}
