//! Fleets on the real PostgreSQL: 100 databases in waves with bounded concurrency (both
//! measured from the targets' own clock readings), a failure stopping the fleet after its
//! wave, resume, two shard processes at the wave barrier, and 200 schemas as tenants.

use sluice::run::fleet::{WaveSize, waves};
use sluice::sql::Dialect;

use crate::common::fleet::{Many, assert_waves_in_order, max_overlap, probes};
use crate::common::{Scratch, run, tree};

/// The migration records when it starts and ends (the server's clock, in microseconds);
/// the canary (`..._000`) sleeps longer, so a wave that did not wait for it would show.
const PROBE: &str = "CREATE TABLE probe (what text NOT NULL, at bigint NOT NULL);
INSERT INTO probe VALUES ('start', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
SELECT pg_sleep(CASE WHEN current_database() LIKE '%\\_000' THEN 1.0 ELSE 0.05 END);
INSERT INTO probe VALUES ('end', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
";

fn project(fleet: &str) -> tempfile::TempDir {
    tree(&[
        ("sluice.toml", fleet),
        ("migrations/001_probe.up.sql", PROBE),
        ("migrations/001_probe.down.sql", "DROP TABLE probe;\n"),
    ])
}

fn urls_toml(m: &Many) -> String {
    let list: Vec<String> = m.urls.iter().map(|u| format!("  \"{u}\",")).collect();
    format!("urls = [\n{}\n]\n", list.join("\n"))
}

fn plan(n: usize, sizes: &[&str]) -> Vec<std::ops::Range<usize>> {
    let sizes: Vec<WaveSize> = sizes.iter().map(|s| s.parse().unwrap()).collect();
    waves(n, &sizes)
}

fn ledger_rows(m: &Many) -> Vec<Result<Vec<String>, String>> {
    m.each("SELECT version || ' ' || phase || ' ' || state FROM sluice_migrations")
}

#[test]
fn hundred_databases_in_waves_within_the_concurrency() {
    let m = Many::new(Dialect::Postgres, 100);
    let dir = project(&format!(
        "[fleet.tenants]\n{}waves = [\"1\", \"10%\", \"100%\"]\nconcurrency = 8\n",
        urls_toml(&m)
    ));
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "tenants"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("wave 3/3 (expand): 89 targets"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("100 applied, 0 up to date, 0 waiting, 0 failed"),
        "{}",
        r.stdout
    );
    let p = probes(&m);
    assert!(p.iter().all(Option::is_some), "{p:?}");
    assert_waves_in_order(&p, &plan(100, &["1", "10%", "100%"]));
    let all: Vec<(i64, i64)> = p.iter().flatten().copied().collect();
    let overlap = max_overlap(&all);
    println!("most targets migrating at once: {overlap} (concurrency 8)");
    assert!(overlap <= 8, "{overlap} targets at once");
    assert!(overlap >= 2, "the targets of a wave ran one by one");
    // the output lists the targets in the fleet's order
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("applied"))
        .collect();
    assert_eq!(listed.len(), 100);
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "{listed:?}");

    // again: nothing to do anywhere
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "tenants"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("0 applied, 100 up to date"),
        "{}",
        r.stdout
    );
    let r =
        run(Many::migrate(dir.path()).args(["status", "--fleet", "tenants", "--format", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["counts"], serde_json::json!({"applied": 100}));
    assert_eq!(v["targets"].as_array().unwrap().len(), 100);
    assert_eq!(v["targets"][0]["wave"], 1);
    assert_eq!(v["targets"][99]["expand"], "applied");
}

#[test]
fn a_failure_stops_the_fleet_after_its_wave_and_a_rerun_resumes() {
    let m = Many::new(Dialect::Postgres, 30);
    let waves = plan(30, &["1", "10%", "100%"]);
    assert_eq!(waves, [0..1, 1..4, 4..30]);
    // target 2 (wave 2) already has the table: its expand fails
    m.exec(2, "CREATE TABLE probe (x int)");
    let catalog = Scratch::pg();
    catalog.exec("CREATE TABLE tenants (id int PRIMARY KEY, url text NOT NULL)");
    let rows: Vec<String> = m
        .urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            format!(
                "({i}, '{}')",
                u.replacen("postgres@", "postgres:hunter2@", 1)
            )
        })
        .collect();
    catalog.exec(&format!("INSERT INTO tenants VALUES {}", rows.join(", ")));
    let dir = project(&format!(
        "[fleet.tenants]\nquery = \"SELECT url FROM tenants ORDER BY id\"\ncatalog_url = \"{}\"\nwaves = [\"1\", \"10%\", \"100%\"]\nconcurrency = 3\n",
        catalog.url
    ));
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "tenants"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        !r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("stopped: 1 target(s) failed, more than the error budget allows (0): stopped after wave 2 of 3"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("relation \"probe\" already exists"),
        "{}",
        r.stdout
    );
    let rows = ledger_rows(&m);
    for i in [0, 1, 3] {
        assert_eq!(
            rows[i],
            Ok(vec!["001 expand applied".to_owned()]),
            "target {i}"
        );
    }
    // wave 3 untouched: not even a ledger
    for i in waves[2].clone() {
        assert!(rows[i].is_err(), "target {i} was touched: {:?}", rows[i]);
    }
    let r = run(Many::migrate(dir.path()).args(["status", "--fleet", "tenants"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("30 targets: 3 applied, 1 failed, 26 pending"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("failures:\n  postgres://postgres:***@"),
        "{}",
        r.stdout
    );

    // fixed, run again: the failed target and wave 3 are applied, the rest has nothing to do
    m.exec(2, "DROP TABLE probe");
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "tenants"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("27 applied, 3 up to date, 0 waiting, 0 failed"),
        "{}",
        r.stdout
    );
    assert!(
        ledger_rows(&m)
            .iter()
            .all(|r| r.as_deref() == Ok(&["001 expand applied".to_owned()][..])),
    );
}

#[test]
fn an_error_budget_lets_the_fleet_go_on() {
    let m = Many::new(Dialect::Postgres, 6);
    m.exec(1, "CREATE TABLE probe (x int)");
    let dir = project(&format!(
        "[fleet.f]\n{}waves = [\"1\", \"2\", \"100%\"]\nmax_failures = 1\n",
        urls_toml(&m)
    ));
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stdout
            .contains("5 applied, 0 up to date, 0 waiting, 1 failed"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("stopped:"), "{}", r.stdout);
    // again, as JSON: the same target fails, the others have nothing to do
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f", "--format", "json"]));
    assert_eq!(r.code, 2, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["targets"].as_u64(), v["failures_allowed"].as_u64()),
        (Some(6), Some(1))
    );
    let states: Vec<&str> = v["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["targets"].as_array().unwrap())
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "current", "failed", "current", "current", "current", "current"
        ]
    );
    assert!(v["stopped"].is_null(), "{v}");
}

#[test]
fn two_shard_processes_are_disjoint_complete_and_keep_the_wave_barrier() {
    let m = Many::new(Dialect::Postgres, 20);
    let catalog = Scratch::pg();
    let sizes = ["1", "25%", "100%"];
    let dir = project(&format!(
        "[fleet.f]\n{}catalog_url = \"{}\"\nwaves = [\"1\", \"25%\", \"100%\"]\nconcurrency = 4\n",
        urls_toml(&m),
        catalog.url
    ));
    let spawn = |shard: &str, index: Option<&str>| {
        let mut c = Many::migrate(dir.path());
        c.args([
            "apply",
            "--fleet",
            "f",
            "--shard",
            shard,
            "--run",
            "attempt-1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        if let Some(i) = index {
            c.env("JOB_COMPLETION_INDEX", i);
        }
        c.spawn().unwrap()
    };
    // shard 1 has no canary: without the barrier it would start wave 2 during the canary
    let b = spawn("/2", Some("1"));
    let a = spawn("0/2", None);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(a.status.success(), "{a:?}");
    assert!(b.status.success(), "{b:?}");
    let listed = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.trim().strip_prefix("applied"))
            .map(|l| l.trim().split(':').take(3).collect::<Vec<_>>().join(":"))
            .collect()
    };
    let (la, lb) = (listed(&out(&a)), listed(&out(&b)));
    assert_eq!(la.len() + lb.len(), 20, "{la:?} {lb:?}");
    assert!(la.iter().all(|t| !lb.contains(t)), "{la:?} {lb:?}");
    assert!(out(&a).contains("shard 0/2 of them: 10"), "{}", out(&a));
    assert!(out(&b).contains("shard 1/2 of them: 10"), "{}", out(&b));
    let p = probes(&m);
    assert!(p.iter().all(Option::is_some), "{p:?}");
    assert_waves_in_order(&p, &plan(20, &sizes));
    assert_eq!(
        catalog.strings("SELECT count(*)::text FROM sluice_fleet_waves WHERE run_id = 'attempt-1'"),
        ["6"]
    );
}

#[test]
fn two_hundred_schemas_as_tenants() {
    let db = Scratch::pg();
    let schemas: Vec<String> = (0..200).map(|i| format!("tenant_{i:03}")).collect();
    let ddl: Vec<String> = schemas
        .iter()
        .map(|s| format!("CREATE SCHEMA {s};"))
        .collect();
    db.exec(&ddl.join("\n"));
    db.exec("CREATE TABLE public.tenants (name text PRIMARY KEY)");
    db.exec("INSERT INTO public.tenants SELECT 'tenant_' || lpad(i::text, 3, '0') FROM generate_series(0, 199) i");
    let dir = tree(&[
        (
            "sluice.toml",
            &format!(
                "[fleet.schemas]\nschemas_in = \"{}\"\nquery = \"SELECT name FROM public.tenants\"\nwaves = [\"1\", \"100%\"]\nconcurrency = 8\n",
                db.url
            ),
        ),
        (
            "migrations/001_items.up.sql",
            "CREATE TABLE items (id bigint PRIMARY KEY, name text);\n",
        ),
        ("migrations/001_items.down.sql", "DROP TABLE items;\n"),
    ]);
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "schemas"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("200 applied, 0 up to date"),
        "{}",
        r.stdout
    );
    // each tenant has its table and its own ledger; public has neither
    assert_eq!(
        db.strings("SELECT count(*)::text FROM pg_tables WHERE tablename = 'items' AND schemaname LIKE 'tenant\\_%'"),
        ["200"]
    );
    assert_eq!(
        db.strings("SELECT count(*)::text FROM pg_tables WHERE tablename = 'sluice_migrations' AND schemaname LIKE 'tenant\\_%'"),
        ["200"]
    );
    assert_eq!(
        db.strings("SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('items', 'sluice_migrations')"),
        ["0"]
    );
    let r =
        run(Many::migrate(dir.path()).args(["status", "--fleet", "schemas", "--format", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["counts"], serde_json::json!({"applied": 200}));
    assert!(
        v["targets"][0]["target"]
            .as_str()
            .unwrap()
            .ends_with("#tenant_000"),
        "{v}"
    );
}

#[test]
fn serve_shows_a_fleet_and_its_metrics() {
    use sluice::run::fleet::{Fleet, FleetSpec, Source};
    use sluice::server::{self, AppState, Auth, Fleets, Options};

    let m = Many::new(Dialect::Postgres, 3);
    m.exec(1, "CREATE TABLE probe (x int)");
    let dir = project(&format!(
        "[fleet.f]\n{}waves = [\"100%\"]\nmax_failures = 1\n",
        urls_toml(&m)
    ));
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f"]));
    assert_eq!(r.code, 2, "{r:?}");
    let db = Scratch::pg();
    let migrations = sluice::source::discover(
        &dir.path().join("migrations"),
        sluice::source::LayoutChoice::Auto,
    )
    .unwrap()
    .migrations;
    let fleet = Fleet::new(
        FleetSpec::new("f", Source::List(m.urls.clone())),
        sluice::run::Settings::default(),
    );
    let state = AppState::new(
        sluice::run::url::DbUrl::parse(&db.url).unwrap(),
        sluice::run::Settings::default(),
        migrations,
        Options {
            auth: Auth::new(Some("tok-fleet-1".into()), None).unwrap(),
            gate_poll: std::time::Duration::from_millis(200),
            gate_wait: std::time::Duration::from_secs(5),
        },
    )
    .watching(Fleets::new(vec![fleet]), std::time::Duration::from_secs(1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let srv = tokio::spawn(server::serve(listener, state, async {
            let _ = stop_rx.await;
        }));
        let http = reqwest::Client::new();
        let get = |path: &str, token: bool| {
            let mut r = http.get(format!("{base}{path}"));
            if token {
                r = r.bearer_auth("tok-fleet-1");
            }
            r.send()
        };
        assert_eq!(get("/v1/fleets/f", false).await.unwrap().status(), 401);
        assert_eq!(get("/v1/fleets/nope", true).await.unwrap().status(), 404);
        // 503 until the first reading ends
        let body: serde_json::Value = loop {
            let resp = get("/v1/fleets/f", true).await.unwrap();
            let code = resp.status().as_u16();
            if code == 200 {
                break resp.json().await.unwrap();
            }
            assert_eq!(code, 503);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        assert_eq!(
            body["status"]["counts"],
            serde_json::json!({"applied": 2, "failed": 1}),
            "{body}"
        );
        assert_eq!(body["status"]["targets"][1]["state"], "failed");
        let metrics = get("/metrics", false).await.unwrap().text().await.unwrap();
        assert!(
            metrics.contains("sluice_fleet_targets{fleet=\"f\",state=\"applied\"} 2\n")
                && metrics.contains("sluice_fleet_targets{fleet=\"f\",state=\"failed\"} 1\n"),
            "{metrics}"
        );
        let _ = stop_tx.send(());
        srv.await.unwrap().unwrap();
    });
}

#[test]
fn phase_all_expands_every_target_before_any_contract() {
    let m = Many::new(Dialect::Postgres, 8);
    let dir = tree(&[
        (
            "sluice.toml",
            &format!(
                "[gates.default]\nkind = \"command\"\ncommand = \"true\"\n[fleet.f]\n{}waves = [\"1\", \"100%\"]\nconcurrency = 3\n",
                urls_toml(&m)
            ),
        ),
        (
            "migrations/1_users/expand.up.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text, email_new text);\n",
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
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f", "--phase", "all"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("wave 2/2 (expand): 7 targets"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("wave 1/2 (contract): 1 target"),
        "{}",
        r.stdout
    );
    let at = |phase: &str, col: &str| -> Vec<i64> {
        m.each(&format!(
            "SELECT (extract(epoch FROM {col}) * 1000000)::bigint::text FROM sluice_migrations WHERE phase = '{phase}'"
        ))
        .into_iter()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect()
    };
    let last_expand = at("expand", "finished_at").into_iter().max().unwrap();
    let first_contract = at("contract", "started_at").into_iter().min().unwrap();
    assert!(
        last_expand < first_contract,
        "a contract began before every expand ended"
    );
}

#[test]
fn a_gate_between_waves_holds_the_next_wave_and_dry_runs_send_nothing() {
    let m = Many::new(Dialect::Postgres, 4);
    let dir = project(&format!(
        "[fleet.f]\n{}waves = [\"1\", \"100%\"]\npause = \"10ms\"\ngate = {{ kind = \"command\", command = \"test -f go\" }}\ngate_timeout = \"1s\"\n",
        urls_toml(&m)
    ));
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f", "--dry-run"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("CREATE TABLE probe"), "{}", r.stdout);
    assert!(probes(&m).iter().all(Option::is_none));

    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f"]));
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout
            .contains("stopped: the gate between waves did not hold"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("waiting for the gate: command `test -f go`: exit 1"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("pausing 10ms after wave 1"),
        "{}",
        r.stderr
    );
    let p = probes(&m);
    assert!(
        p[0].is_some() && p[1..].iter().all(Option::is_none),
        "{p:?}"
    );
    std::fs::write(dir.path().join("go"), "").unwrap();
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("3 applied, 1 up to date"), "{}", r.stdout);

    // shards need a run id; an unknown fleet names the configured ones
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "f", "--shard", "0/2"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--shard needs a run id"), "{}", r.stderr);
    let r = run(Many::migrate(dir.path()).args(["status", "--fleet", "g"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("no [fleet.g] in ") && r.stderr.contains("sluice.toml; its fleets: f"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_command_listing_targets_gets_no_secret() {
    let m = Many::new(Dialect::Postgres, 2);
    let dir = project("[fleet.f]\ncommand = \"env > env.txt; cat targets.txt\"\n");
    std::fs::write(dir.path().join("targets.txt"), m.urls.join("\n")).unwrap();
    let r = run(Many::migrate(dir.path())
        .env(
            "DATABASE_URL",
            "postgres://app:catalog-pw-must-not-leak@127.0.0.1:5432/x",
        )
        .env("SLUICE_TOKEN", "token-must-not-leak")
        .env("PGPASSWORD", "pgpassword-must-not-leak")
        .args(["status", "--fleet", "f"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("2 targets: 2 pending"), "{}", r.stdout);
    let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    for leak in [
        "catalog-pw-must-not-leak",
        "token-must-not-leak",
        "pgpassword-must-not-leak",
    ] {
        assert!(!env.contains(leak), "`{leak}` reached the command:\n{env}");
    }
}

#[test]
fn a_shard_alone_gives_up_at_the_barrier_timeout() {
    let m = Many::new(Dialect::Postgres, 3);
    let dir = project(&format!(
        "[fleet.f]\n{}waves = [\"1\", \"100%\"]\nbarrier_timeout = \"1s\"\n",
        urls_toml(&m)
    ));
    let r = run(Many::migrate(dir.path())
        .args(["apply", "--fleet", "f", "--shard", "0/2", "--run", "lonely"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("the other shards did not finish wave 1 within 1s (1 of 2 did)"),
        "{}",
        r.stderr
    );
    // its own target of wave 1 (the canary) ran; wave 2 did not start
    let p = probes(&m);
    assert!(
        p[0].is_some() && p[1..].iter().all(Option::is_none),
        "{p:?}"
    );
}
