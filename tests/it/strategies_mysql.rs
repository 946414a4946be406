//! MySQL / MariaDB runner strategies on real MariaDB: pinned algorithms, a table copy through
//! pt-online-schema-change under a write load, and gh-ost's postponed cut-over (with a
//! stand-in script: gh-ost is not packaged in Debian).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::common::{Scratch, run, tree};
use sqlx::Connection;

const ROWS: u32 = 200_000;

fn checksum(s: &Scratch, table: &str) -> String {
    s.strings(&format!(
        "SELECT CAST(CONCAT(COUNT(*), ' ', SUM(CRC32(CONCAT_WS('|', id, n, pad)))) AS CHAR) FROM {table} WHERE id <= {ROWS}"
    ))
    .join("")
}

fn column_type(s: &Scratch, table: &str, column: &str) -> String {
    s.strings(&format!(
        "SELECT CAST(DATA_TYPE AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' AND COLUMN_NAME = '{column}'"
    ))
    .join("")
}

/// The application: inserts a row, then updates it, in a loop, until stopped; counts
/// successes and failures (a failed write is any error once retried). It sends text SQL:
/// MariaDB 10.11 fails a connection's cached server-side prepared INSERT / UPDATE of the
/// table with 1146 "`_<t>_new` doesn't exist" right after pt-online-schema-change creates
/// its triggers (seen here; see README). Like any InnoDB
/// application it retries a deadlock (1213, "try restarting transaction") up to 3 times:
/// with `innodb_autoinc_lock_mode = 1` (MariaDB's default; MySQL 8 uses 2) the copy's
/// INSERT .. SELECT holds the new table's AUTO-INC lock for a whole chunk, and a trigger
/// write racing it at the copy's last key can deadlock. The retries are counted.
struct Writer {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    errors: Arc<std::sync::Mutex<Vec<String>>>,
    deadlocks: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(url: &str) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
        let deadlocks = Arc::new(AtomicU64::new(0));
        let (url, st, o, f, e, dl) = (
            url.to_owned(),
            stop.clone(),
            ok.clone(),
            failed.clone(),
            errors.clone(),
            deadlocks.clone(),
        );
        let handle = std::thread::spawn(move || {
            crate::common::block_on(async move {
                let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
                let mut k: i64 = 0;
                while !st.load(Ordering::SeqCst) {
                    k += 1;
                    let mut r = Ok(());
                    for attempt in 0..4 {
                        r = async {
                            let mut tx = c.begin().await?;
                            let res = sqlx::raw_sql(&format!(
                                "INSERT INTO big (n, pad) VALUES ({k}, 'w')"
                            ))
                            .execute(&mut *tx)
                            .await?;
                            let id = res.last_insert_id();
                            sqlx::raw_sql(&format!("UPDATE big SET n = n + 1 WHERE id = {id}"))
                                .execute(&mut *tx)
                                .await?;
                            tx.commit().await
                        }
                        .await;
                        let deadlock = matches!(&r, Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("40001"));
                        if !deadlock || attempt == 3 {
                            break;
                        }
                        // InnoDB rolled the whole transaction back: run it again
                        dl.fetch_add(1, Ordering::SeqCst);
                    }
                    match r {
                        Ok(()) => {
                            o.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(err) => {
                            f.fetch_add(1, Ordering::SeqCst);
                            e.lock().unwrap().push(err.to_string());
                        }
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            });
        });
        Writer {
            stop,
            ok,
            failed,
            errors,
            deadlocks,
            handle: Some(handle),
        }
    }

    /// Writes acknowledged, writes failed, their errors, deadlock retries.
    fn finish(&mut self) -> (u64, u64, Vec<String>, u64) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
        (
            self.ok.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
            self.errors.lock().unwrap().clone(),
            self.deadlocks.load(Ordering::SeqCst),
        )
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn seed(s: &Scratch) {
    s.exec(&format!(
        "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, n INT NOT NULL, pad VARCHAR(40));
         INSERT INTO big (n, pad) SELECT seq, CONCAT('pad ', seq) FROM seq_1_to_{ROWS};
         ANALYZE TABLE big;"
    ));
}

const CONFIG: &str = "dialect = \"mysql\"\nflavour = \"mariadb\"\n[run]\nlarge_table_rows = 10000\nlock_timeout = \"5s\"\n";

#[test]
fn int_to_bigint_through_pt_osc_under_a_write_load() {
    assert!(
        crate::common::run(
            std::process::Command::new("sh").args(["-c", "command -v pt-online-schema-change"])
        )
        .code
            == 0,
        "pt-online-schema-change is missing: scripts/test.sh installs percona-toolkit"
    );
    let s = Scratch::mysql();
    seed(&s);
    let before = checksum(&s, "big");
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        (
            "migrations/2_widen/expand.up.sql",
            "-- the new code writes values past INT\nALTER TABLE big MODIFY n BIGINT NOT NULL;\n",
        ),
        (
            "migrations/2_widen/expand.down.sql",
            "ALTER TABLE big MODIFY n INT NOT NULL;\n",
        ),
        (
            "migrations/2_widen/contract.up.sql",
            "ALTER TABLE big ALTER COLUMN pad SET DEFAULT 'x';\n",
        ),
        (
            "migrations/2_widen/contract.down.sql",
            "ALTER TABLE big ALTER COLUMN pad DROP DEFAULT;\n",
        ),
    ]);
    let migs = dir.path().join("migrations");

    // --dry-run shows the choice
    let dry = run(s.migrate(&migs).args(["apply", ".", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(dry.stdout.contains("strategy pt-osc"), "{}", dry.stdout);
    assert!(dry.stdout.contains("--no-swap-tables"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("password="), "{}", dry.stdout);

    let mut writer = Writer::start(&s.url);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let expand = run(s
        .migrate(&migs)
        .args(["-v", "apply", ".", "--phase", "expand"]));
    assert_eq!(expand.code, 0, "{expand:?}");
    // progress visible: pt-online-schema-change's copy percentages reach the log
    assert!(
        expand.stderr.contains("pt-online-schema-change") && expand.stderr.contains("Copying"),
        "{}",
        expand.stderr
    );
    assert!(expand.stderr.contains("percent="), "{}", expand.stderr);
    // the copy is done and kept in sync, but the swap waits for the contract gate
    assert_eq!(column_type(&s, "big", "n"), "int");
    assert_eq!(column_type(&s, "_big_osc_2", "n"), "bigint");
    let waiting = run(s.migrate(&migs).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(
        waiting.code, 3,
        "contract waits for the rollout: {waiting:?}"
    );
    assert_eq!(column_type(&s, "big", "n"), "int");

    run(s
        .migrate(&migs)
        .args(["rollout", "complete", "--release", "r2"]));
    let contract = run(s
        .migrate(&migs)
        .args(["-v", "apply", ".", "--phase", "contract"]));
    assert_eq!(contract.code, 0, "{contract:?}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (ok, failed, errors, deadlock_retries) = writer.finish();
    eprintln!(
        "write load: {ok} transactions, {failed} failed, {deadlock_retries} deadlock retries"
    );

    assert_eq!(failed, 0, "failed application writes: {errors:?}");
    assert!(ok > 10, "the write load ran ({ok} writes)");
    assert_eq!(column_type(&s, "big", "n"), "bigint");
    assert_eq!(
        checksum(&s, "big"),
        before,
        "the original rows are unchanged"
    );
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM big"),
        [(u64::from(ROWS) + ok).to_string()],
        "every acknowledged insert is in the swapped table"
    );
    // every writer row carries its update (n = k + 1), whichever side of the copy it hit
    assert_eq!(
        s.strings(&format!(
            "SELECT CAST(COUNT(*) AS CHAR) FROM big WHERE id > {ROWS} AND pad = 'w' AND n < 2"
        )),
        ["0"]
    );
    assert_eq!(
        s.strings(
            "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        ),
        ["0"],
        "pt-online-schema-change's triggers are gone"
    );
    // the old table is kept until purge
    assert!(s.table_exists("_sluice_dropped_big_2"));
    let purge = run(s.migrate(&migs).args(["purge", "--older-than", "0s"]));
    assert_eq!(purge.code, 0, "{purge:?}");
    assert!(!s.table_exists("_sluice_dropped_big_2"), "{purge:?}");
}

#[test]
fn rolling_back_an_expand_drops_the_copy_waiting_for_its_contract() {
    let s = Scratch::mysql();
    seed_small(&s);
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        (
            "migrations/2_widen/expand.up.sql",
            "-- sluice:strategy pt-osc\nALTER TABLE big MODIFY n BIGINT NOT NULL;\n",
        ),
        (
            "migrations/2_widen/expand.down.sql",
            "ALTER TABLE big MODIFY n INT NOT NULL;\n",
        ),
        (
            "migrations/2_widen/contract.up.sql",
            "ALTER TABLE big ALTER COLUMN pad SET DEFAULT 'x';\n",
        ),
    ]);
    let migs = dir.path().join("migrations");
    let r = run(s.migrate(&migs).args(["apply", ".", "--phase", "expand"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(s.table_exists("_big_osc_2"));
    let r = run(s.migrate(&migs).args(["rollback", ".", "--steps", "1"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!s.table_exists("_big_osc_2"));
    assert_eq!(
        s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"),
        ["0"]
    );
    // writes work again without the copy
    s.exec("INSERT INTO big (n, pad) VALUES (1, 'after')");
    assert_eq!(column_type(&s, "big", "n"), "int");
}

fn seed_small(s: &Scratch) {
    s.exec(
        "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, n INT NOT NULL, pad VARCHAR(40));
         INSERT INTO big (n, pad) SELECT seq, 'p' FROM seq_1_to_5000;",
    );
}

#[test]
fn pinned_algorithms_and_forced_strategies() {
    let s = Scratch::mysql();
    s.exec("CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20)); INSERT INTO t SELECT seq, seq, 'x' FROM seq_1_to_100;");
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        (
            "migrations/2_add/expand.up.sql",
            "ALTER TABLE t ADD COLUMN c INT;\nALTER TABLE t ADD INDEX t_a (a);\n-- sluice:strategy inplace\nALTER TABLE t ADD COLUMN d INT;\n",
        ),
        (
            "migrations/2_add/expand.down.sql",
            "ALTER TABLE t DROP COLUMN d, DROP INDEX t_a, DROP COLUMN c;\n",
        ),
    ]);
    let migs = dir.path().join("migrations");
    let dry = run(s.migrate(&migs).args(["apply", ".", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    for want in [
        "ALTER TABLE t ADD COLUMN c INT, ALGORITHM = INSTANT;",
        "ALTER TABLE t ADD INDEX t_a (a), ALGORITHM = INPLACE, LOCK = NONE;",
        "ALTER TABLE t ADD COLUMN d INT, ALGORITHM = INPLACE, LOCK = NONE;",
        "strategy inplace (forced)",
    ] {
        assert!(dry.stdout.contains(want), "{want}:\n{}", dry.stdout);
    }
    let r = run(s.migrate(&migs).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(column_type(&s, "t", "d"), "int");

    // a strategy that cannot apply is a clear error naming file and line
    let bad = tree(&[
        ("sluice.toml", CONFIG),
        (
            "migrations/3_x/expand.up.sql",
            "SELECT 1;\n-- sluice:strategy pg-repack\nALTER TABLE t ADD COLUMN e INT;\n",
        ),
    ]);
    let r = run(s
        .migrate(&bad.path().join("migrations"))
        .args(["apply", ".", "--dry-run"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("expand.up.sql:3") && r.stderr.contains("PostgreSQL strategy"),
        "{r:?}"
    );
}

/// A collation change pins what MariaDB accepts: INSTANT outside any index, INPLACE (the
/// index rebuilt) for a column in a UNIQUE key, where ALGORITHM=INSTANT fails with ER 1846.
#[test]
fn collation_changes_pin_what_the_server_accepts() {
    let s = Scratch::mysql();
    s.exec(
        "CREATE TABLE u (id INT PRIMARY KEY, email VARCHAR(100), handle VARCHAR(100), UNIQUE KEY u_email (email)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
         INSERT INTO u SELECT seq, CONCAT('e', seq), CONCAT('h', seq) FROM seq_1_to_100;",
    );
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        (
            "migrations/2_bin/expand.up.sql",
            "ALTER TABLE u MODIFY email VARCHAR(100) COLLATE utf8mb4_bin;\nALTER TABLE u MODIFY handle VARCHAR(100) COLLATE utf8mb4_bin;\n",
        ),
        (
            "migrations/2_bin/expand.down.sql",
            "ALTER TABLE u MODIFY handle VARCHAR(100);\nALTER TABLE u MODIFY email VARCHAR(100);\n",
        ),
    ]);
    let migs = dir.path().join("migrations");
    let dry = run(s.migrate(&migs).args(["apply", ".", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    for want in [
        "MODIFY COLUMN email VARCHAR(100) COLLATE utf8mb4_bin, ALGORITHM = INPLACE, LOCK = NONE;",
        "MODIFY COLUMN handle VARCHAR(100) COLLATE utf8mb4_bin, ALGORITHM = INSTANT;",
    ] {
        assert!(dry.stdout.contains(want), "{want}:\n{}", dry.stdout);
    }
    let r = run(s.migrate(&migs).args(["apply", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    let collations = s.strings(
        "SELECT CAST(CONCAT(COLUMN_NAME, ' ', COLLATION_NAME) AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'u' AND COLLATION_NAME IS NOT NULL ORDER BY 1",
    );
    assert_eq!(collations, ["email utf8mb4_bin", "handle utf8mb4_bin"]);
    // and back: the down script's MODIFYs take the table's default again
    let r = run(s.migrate(&migs).args(["rollback", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    let collations = s.strings(
        "SELECT CAST(CONCAT(COLUMN_NAME, ' ', COLLATION_NAME) AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'u' AND COLLATION_NAME IS NOT NULL ORDER BY 1",
    );
    assert_eq!(
        collations,
        ["email utf8mb4_general_ci", "handle utf8mb4_general_ci"]
    );
}

/// A stand-in for gh-ost (not installed here): records its arguments, runs the
/// begin-postponed hook, waits while the postpone flag file exists, then cuts over with the
/// mariadb client the way gh-ost would (ghost table altered and filled, atomic rename,
/// original kept as `_<t>_del`) and runs the success hook.
const GH_OST_STAND_IN: &str = r#"#!/bin/sh
set -e
echo "$@" > "$SLUICE_TEST_GHOST_ARGS"
for a in "$@"; do
  case "$a" in
    --database=*) db="${a#--database=}" ;;
    --table=*) t="${a#--table=}" ;;
    --alter=*) alter="${a#--alter=}" ;;
    --postpone-cut-over-flag-file=*) flag="${a#--postpone-cut-over-flag-file=}" ;;
    --hooks-path=*) hooks="${a#--hooks-path=}" ;;
    --host=*) host="${a#--host=}" ;;
    --port=*) port="${a#--port=}" ;;
    --user=*) user="${a#--user=}" ;;
  esac
done
my() { mariadb --protocol=tcp -h "$host" -P "$port" -u "$user" "$db" -e "$1"; }
my "CREATE TABLE _${t}_gho LIKE $t; ALTER TABLE _${t}_gho $alter; INSERT INTO _${t}_gho SELECT * FROM $t"
if [ -n "$flag" ] && [ -e "$flag" ]; then
  [ -x "$hooks/gh-ost-on-begin-postponed" ] && "$hooks/gh-ost-on-begin-postponed"
  while [ -e "$flag" ]; do sleep 0.2; done
fi
my "REPLACE INTO _${t}_gho SELECT * FROM $t; RENAME TABLE $t TO _${t}_del, _${t}_gho TO $t"
echo CUTOVER_DONE >> "$SLUICE_TEST_GHOST_ARGS"
[ -x "$hooks/gh-ost-on-success" ] && "$hooks/gh-ost-on-success"
exit 0
"#;

#[test]
fn gh_ost_cuts_over_only_when_the_contract_gate_holds() {
    let s = Scratch::mysql();
    s.exec("CREATE TABLE g (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO g SELECT seq, seq FROM seq_1_to_20000; ANALYZE TABLE g;");
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("gh-ost");
    std::fs::write(&bin, GH_OST_STAND_IN).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let args_file = work.path().join("args");
    let config = format!("{CONFIG}gh_ost = \"{}\"\n", bin.display());
    let dir = tree(&[
        ("sluice.toml", config.as_str()),
        (
            "migrations/2_widen/expand.up.sql",
            "-- sluice:strategy gh-ost\nALTER TABLE g MODIFY n BIGINT NOT NULL;\n",
        ),
        (
            "migrations/2_widen/contract.up.sql",
            "ALTER TABLE g ALTER COLUMN n SET DEFAULT 0;\n",
        ),
    ]);
    let migs = dir.path().join("migrations");
    let expand = run(s
        .migrate(&migs)
        .env("SLUICE_TEST_GHOST_ARGS", &args_file)
        .args(["apply", ".", "--phase", "expand"]));
    assert_eq!(expand.code, 0, "{expand:?}");
    let args = std::fs::read_to_string(&args_file).unwrap();
    for want in [
        "--table=g",
        "--alter=MODIFY COLUMN n BIGINT NOT NULL",
        "--postpone-cut-over-flag-file=",
        "--execute",
    ] {
        assert!(args.contains(want), "{want} in {args}");
    }
    assert!(!args.contains("password"), "{args}");
    // the gate does not hold: no cut-over, however long we wait
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(column_type(&s, "g", "n"), "int");
    assert!(
        !std::fs::read_to_string(&args_file)
            .unwrap()
            .contains("CUTOVER_DONE")
    );
    let waiting = run(s.migrate(&migs).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(waiting.code, 3, "{waiting:?}");
    assert_eq!(column_type(&s, "g", "n"), "int");

    run(s
        .migrate(&migs)
        .args(["rollout", "complete", "--release", "r2"]));
    let contract = run(s.migrate(&migs).args(["apply", ".", "--phase", "contract"]));
    assert_eq!(contract.code, 0, "{contract:?}");
    assert!(
        std::fs::read_to_string(&args_file)
            .unwrap()
            .contains("CUTOVER_DONE")
    );
    assert_eq!(column_type(&s, "g", "n"), "bigint");
    assert_eq!(s.strings("SELECT CAST(COUNT(*) AS CHAR) FROM g"), ["20000"]);
    assert!(
        s.table_exists("_sluice_dropped_g_2"),
        "the old table is kept until purge"
    );
}
