//! Fleets on the real MariaDB: 20 databases in waves with bounded concurrency (measured
//! from the targets' own clock readings), a failing target stopping the fleet after its
//! wave with the rest untouched, and a rerun finishing it.

use sluice::run::driver;
use sluice::run::fleet::{BARRIER_TABLE, WaveSize, barrier_create_sql, waves};
use sluice::sql::Dialect;

use crate::common::fleet::{Many, assert_waves_in_order, max_overlap, probes};
use crate::common::{Scratch, run, tree};

/// The migration records when it starts and ends (the server's clock, in microseconds);
/// the canary (`..._000`) sleeps longer, so a wave that did not wait for it would show.
const PROBE: &str = "CREATE TABLE probe (what VARCHAR(10) NOT NULL, at BIGINT NOT NULL);
INSERT INTO probe VALUES ('start', CAST(UNIX_TIMESTAMP(SYSDATE(6)) * 1000000 AS SIGNED));
SELECT SLEEP(IF(DATABASE() LIKE '%\\_000', 1, 0.05));
INSERT INTO probe VALUES ('end', CAST(UNIX_TIMESTAMP(SYSDATE(6)) * 1000000 AS SIGNED));
";

#[test]
fn twenty_mysql_databases_in_waves_a_failure_stops_and_a_rerun_resumes() {
    let m = Many::new(Dialect::Mysql, 20);
    let sizes = ["1", "20%", "100%"];
    let plan = waves(
        20,
        &sizes
            .iter()
            .map(|s| s.parse().unwrap())
            .collect::<Vec<WaveSize>>(),
    );
    assert_eq!(plan, [0..1, 1..5, 5..20]);
    // target 3 (wave 2) already has the table: its expand fails
    m.exec(3, "CREATE TABLE probe (x int)");
    let list: Vec<String> = m.urls.iter().map(|u| format!("\"{u}\"")).collect();
    let dir = tree(&[
        (
            "sluice.toml",
            &format!(
                "dialect = \"mysql\"\nflavour = \"mariadb\"\n[fleet.shards]\nurls = [{}]\nwaves = [\"1\", \"20%\", \"100%\"]\nconcurrency = 4\n",
                list.join(", ")
            ),
        ),
        ("migrations/001_probe.up.sql", PROBE),
        ("migrations/001_probe.down.sql", "DROP TABLE probe;\n"),
    ]);
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "shards"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stdout.contains("stopped after wave 2 of 3"),
        "{}",
        r.stdout
    );
    let ledgers = m.each("SELECT CONCAT(version, ' ', phase, ' ', state) FROM sluice_migrations");
    for i in [0, 1, 2, 4] {
        assert_eq!(
            ledgers[i],
            Ok(vec!["001 expand applied".to_owned()]),
            "target {i}"
        );
    }
    for i in plan[2].clone() {
        assert!(
            ledgers[i].is_err(),
            "target {i} was touched: {:?}",
            ledgers[i]
        );
    }
    m.exec(3, "DROP TABLE probe");
    let r = run(Many::migrate(dir.path()).args(["apply", "--fleet", "shards"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("16 applied, 4 up to date"),
        "{}",
        r.stdout
    );
    let p = probes(&m);
    assert!(p.iter().all(Option::is_some), "{p:?}");
    // the rerun's waves: 3 (fixed) in wave 2, wave 3 after it
    assert_waves_in_order(&p, &[3..4, 5..20]);
    let overlap = max_overlap(&p[5..].iter().flatten().copied().collect::<Vec<_>>());
    println!("most targets migrating at once: {overlap} (concurrency 4)");
    assert!((2..=4).contains(&overlap), "{overlap} targets at once");
    let r =
        run(Many::migrate(dir.path()).args(["status", "--fleet", "shards", "--format", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["counts"], serde_json::json!({"applied": 20}));
}

#[test]
fn two_shard_processes_on_mysql_keep_the_wave_barrier() {
    let m = Many::new(Dialect::Mysql, 8);
    let list: Vec<String> = m.urls.iter().map(|u| format!("\"{u}\"")).collect();
    // no catalog: the shards meet in the first target; a shard that fails shows within the
    // barrier's timeout, not the test's
    let dir = tree(&[
        (
            "sluice.toml",
            &format!(
                "dialect = \"mysql\"\nflavour = \"mariadb\"\n[fleet.f]\nurls = [{}]\nwaves = [\"1\", \"100%\"]\nconcurrency = 2\nbarrier_timeout = \"90s\"\n",
                list.join(", ")
            ),
        ),
        ("migrations/001_probe.up.sql", PROBE),
        ("migrations/001_probe.down.sql", "DROP TABLE probe;\n"),
    ]);
    let spawn = |shard: &str| {
        Many::migrate(dir.path())
            .args(["apply", "--fleet", "f", "--shard", shard])
            .env("SLUICE_FLEET_RUN", "mysql-attempt-1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let b = spawn("1/2");
    let a = spawn("0/2");
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{a:?}");
    assert!(b.status.success(), "{b:?}");
    let p = probes(&m);
    assert!(p.iter().all(Option::is_some), "{p:?}");
    assert_waves_in_order(&p, &[0..1, 1..8]);
    let rows = m.each(
        "SELECT CAST(COUNT(*) AS CHAR) FROM sluice_fleet_waves WHERE run_id = 'mysql-attempt-1'",
    );
    assert_eq!(rows[0], Ok(vec!["4".to_owned()]));
}

/// Shards finishing a wave together write their barrier rows side by side: with one
/// shard's write still open, another's goes through at once (a `DELETE` + `INSERT` pair
/// waits on InnoDB's gap lock here, and two of them deadlock), and a write again of the same
/// key overwrites it.
#[test]
fn barrier_writes_of_two_shards_do_not_wait_on_each_other() {
    for backend in [Dialect::Mysql, Dialect::Postgres] {
        let s = Scratch::new(backend);
        s.exec(&barrier_create_sql());
        let db = driver::database(backend);
        let row = |step: u32, shard: u32, targets: u32| {
            db.upsert_sql(
                BARRIER_TABLE,
                &[
                    ("fleet", db.literal("f")),
                    ("run_id", db.literal("r")),
                    ("step", step.to_string()),
                    ("shard", shard.to_string()),
                    ("shards", "2".into()),
                    ("targets", targets.to_string()),
                    ("failed", "0".into()),
                ],
                &["fleet", "run_id", "step", "shard"],
            )
        };
        s.exec(&row(0, 0, 1));
        s.exec(&row(0, 1, 0));
        let open = s.hold(&row(1, 0, 3));
        let wait = match backend {
            Dialect::Mysql => "SET SESSION innodb_lock_wait_timeout = 2",
            Dialect::Postgres => "SET lock_timeout = '2s'",
        };
        let other = s.try_exec(&format!("{wait}; {}", row(1, 1, 4)));
        open.commit();
        assert_eq!(other, Ok(()), "{backend:?}");
        s.exec(&row(1, 1, 5));
        let got = s.strings(&format!(
            "SELECT CONCAT(step, ':', shard, ':', targets) FROM {BARRIER_TABLE} ORDER BY step, shard"
        ));
        assert_eq!(got, ["0:0:1", "0:1:0", "1:0:3", "1:1:5"], "{backend:?}");
    }
}
