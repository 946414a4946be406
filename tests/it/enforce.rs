//! The apply check (issue 15): `migrate apply` lints the pending phases on the live schema
//! and refuses what the linter rejects, unless the runner makes it online. Each refusal
//! class and each accepted-because-made-safe class on PostgreSQL and MariaDB, with the
//! ledger's event and, after a refusal, the schema snapshot unchanged.

use std::path::Path;

use crate::common::{Scratch, run, snapshot, tree};

/// Tables of at least this many rows are large in these tests (`[run] large_table_rows`).
const CONFIG: &str = "[run]\nlarge_table_rows = 1000\n";
const CONFIG_MYSQL: &str =
    "dialect = \"mysql\"\nflavour = \"mariadb\"\n[run]\nlarge_table_rows = 1000\n";

const INIT_PG: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int);\n";
const DROP_INIT: &str = "DROP TABLE orders;\nDROP TABLE users;\n";
const INIT_MYSQL: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100));\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int, note varchar(50));\n";

/// A scratch database with `users` (10 rows) and `orders` (5000 rows, analyzed), applied
/// through `migrate` from `dir` (whose first file creates them).
fn setup(s: &Scratch, dir: &Path) {
    let r = run(s.migrate(dir).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    match s.backend {
        sluice::sql::Dialect::Postgres => s.exec(
            "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 10) g;
             INSERT INTO orders SELECT g, g % 10 + 1, g FROM generate_series(1, 5000) g;
             ANALYZE users; ANALYZE orders;",
        ),
        sluice::sql::Dialect::Mysql => s.exec(
            "INSERT INTO users SELECT seq, CONCAT('u', seq) FROM seq_1_to_10;
             INSERT INTO orders SELECT seq, seq % 10 + 1, seq, 'n' FROM seq_1_to_5000;
             ANALYZE TABLE users, orders;",
        ),
    }
}

fn events(s: &Scratch) -> Vec<String> {
    s.strings(match s.backend {
        sluice::sql::Dialect::Postgres => {
            "SELECT kind || ' ' || COALESCE(version, '-') || ' ' || COALESCE(phase, '-') || ' ' || detail FROM sluice_events WHERE kind IN ('refused', 'allowed') ORDER BY id"
        }
        sluice::sql::Dialect::Mysql => {
            "SELECT CONCAT(kind, ' ', COALESCE(version, '-'), ' ', COALESCE(phase, '-'), ' ', detail) FROM sluice_events WHERE kind IN ('refused', 'allowed') ORDER BY id"
        }
    })
}

fn applied(s: &Scratch) -> Vec<String> {
    s.strings(match s.backend {
        sluice::sql::Dialect::Postgres => {
            "SELECT version || ' ' || phase || ' ' || state FROM sluice_migrations ORDER BY version, phase"
        }
        sluice::sql::Dialect::Mysql => {
            "SELECT CONCAT(version, ' ', phase, ' ', state) FROM sluice_migrations ORDER BY version, phase"
        }
    })
}

/// Apply `dir` and expect a refusal by `rule`: exit 1, lint's rendering, a `refused` event,
/// nothing executed (schema and ledger rows unchanged). A dry run is refused too.
fn assert_refused(s: &Scratch, dir: &Path, rule: &str, version: &str) {
    let before = snapshot(s);
    let rows_before = applied(s);
    let dry = run(s
        .migrate(dir)
        .args(["apply", "m", "--phase", "all", "--dry-run"]));
    assert_eq!(dry.code, 1, "{dry:?}");
    assert!(dry.stderr.contains(&format!("error[{rule}]")), "{dry:?}");
    let r = run(s.migrate(dir).args(["apply", "m", "--phase", "all"]));
    assert_eq!(r.code, 1, "{r:?}");
    // printed as `migrate lint` prints it: rule, file:line:col, help
    assert!(r.stderr.contains(&format!("error[{rule}]")), "{r:?}");
    assert!(r.stderr.contains(&format!(" --> m/{version}")), "{r:?}");
    assert!(r.stderr.contains("= help:"), "{r:?}");
    assert!(r.stderr.contains("apply refused"), "{r:?}");
    assert!(r.stderr.contains(&format!("--allow {rule}")), "{r:?}");
    assert_eq!(snapshot(s), before, "a refused apply changed the schema");
    assert_eq!(applied(s), rows_before, "a refused apply wrote ledger rows");
    let ev = events(s);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].starts_with(&format!("refused {version} ")) && ev[0].contains(rule),
        "{ev:?}"
    );
}

// ---------------------------------------------------------------- PostgreSQL: refusals

#[test]
fn pg_refuses_a_drop_column_in_an_expand() {
    // the case: a sqlx-layout file is an expand; it runs before the rollout
    let s = Scratch::pg();
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        ("m/1_init.up.sql", INIT_PG),
        (
            "m/1_init.down.sql",
            "DROP TABLE orders;\nDROP TABLE users;\n",
        ),
    ]);
    setup(&s, dir.path());
    std::fs::write(
        dir.path().join("m/2_drop_email.up.sql"),
        "ALTER TABLE orders DROP COLUMN total;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m/2_drop_email.down.sql"),
        "ALTER TABLE orders ADD COLUMN total int;\n",
    )
    .unwrap();
    assert_refused(&s, dir.path(), "ban-drop-column", "2");

    // a suppression the author means, with its reason, lets it through like lint
    std::fs::write(
        dir.path().join("m/2_drop_email.up.sql"),
        "-- sluice:ignore ban-drop-column -- the code stopped reading it two releases ago\nALTER TABLE orders DROP COLUMN total;\n",
    )
    .unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(applied(&s).contains(&"2 expand applied".to_owned()));

    // a small table (10 rows) never refuses
    std::fs::write(
        dir.path().join("m/3_drop_email.up.sql"),
        "ALTER TABLE users DROP COLUMN email;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m/3_drop_email.down.sql"),
        "ALTER TABLE users ADD COLUMN email text;\n",
    )
    .unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(events(&s).len(), 1, "{:?}", events(&s));
}

#[test]
fn pg_allow_lets_a_rule_through_and_records_who() {
    let s = Scratch::pg();
    let dir = tree(&[("sluice.toml", CONFIG), ("m/1_init.sql", INIT_PG)]);
    setup(&s, dir.path());
    std::fs::write(
        dir.path().join("m/2_drop.sql"),
        "-- sluice:irreversible test\nALTER TABLE orders DROP COLUMN total;\n",
    )
    .unwrap();
    let bad = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--allow", "no-such-rule"]));
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("unknown rule"), "{bad:?}");
    let r = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--allow", "ban-drop-column"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !s.strings(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'orders'"
        )
        .contains(&"total".to_owned())
    );
    let ev = events(&s);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].starts_with("allowed 2 expand ban-drop-column allowed by --allow on the command line: m/2_drop.sql:2:"),
        "{ev:?}"
    );
    let who = s.strings("SELECT source FROM sluice_events WHERE kind = 'allowed'");
    assert!(who[0].contains('@'), "{who:?}");

    // from sluice.toml (the way in job mode and serve)
    std::fs::write(
        dir.path().join("sluice.toml"),
        format!("{CONFIG}allow = [\"ban-drop-table\"]\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m/3_drop_users.sql"),
        "-- sluice:irreversible test\nDROP TABLE orders;\n",
    )
    .unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    let ev = events(&s);
    assert!(
        ev[1].starts_with("allowed 3 expand ban-drop-table allowed by [run] allow in sluice.toml"),
        "{ev:?}"
    );
}

/// The same refusal on both servers: a migration with a contract whose expand drops a column.
fn refuses_a_contract_step_in_an_expand(s: &Scratch, config: &str, init: &str) {
    let dir = tree(&[
        ("sluice.toml", config),
        ("m/1_init/expand.up.sql", init),
        ("m/1_init/expand.down.sql", DROP_INIT),
    ]);
    setup(s, dir.path());
    for (f, text) in [
        ("expand.up.sql", "ALTER TABLE orders DROP COLUMN total;\n"),
        (
            "expand.down.sql",
            "ALTER TABLE orders ADD COLUMN total int;\n",
        ),
        ("contract.up.sql", "SELECT 1;\n"),
        ("contract.down.sql", "SELECT 1;\n"),
    ] {
        let p = dir.path().join("m/2_drop_email").join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    assert_refused(s, dir.path(), "contract-before-expand", "2");
}

#[test]
fn pg_refuses_a_contract_step_in_an_expand() {
    refuses_a_contract_step_in_an_expand(&Scratch::pg(), CONFIG, INIT_PG);
}

/// A statement whose lock the runner has no online form for: refused by `rule` on the
/// large `orders`; the same statement on the small `users` runs (its lock is brief).
fn refuses_on_the_large_table_only(
    s: &Scratch,
    (config, init): (&str, &str),
    (large, small): (&str, &str),
    rule: &str,
) {
    let dir = tree(&[("sluice.toml", config), ("m/1_init.sql", init)]);
    setup(s, dir.path());
    std::fs::write(dir.path().join("m/2_change.sql"), large).unwrap();
    assert_refused(s, dir.path(), rule, "2");
    std::fs::write(dir.path().join("m/2_change.sql"), small).unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn pg_refuses_a_lock_the_runner_cannot_make_online_on_a_large_table_only() {
    // unnamed: VALIDATE could not name it, so the runner has no online form
    refuses_on_the_large_table_only(
        &Scratch::pg(),
        (CONFIG, INIT_PG),
        (
            "ALTER TABLE orders ADD CHECK (total >= 0);\n",
            "ALTER TABLE users ADD CHECK (id > 0);\n",
        ),
        "constraint-missing-not-valid",
    );
}

#[test]
fn pg_a_tenant_schema_is_checked_on_its_own_tables() {
    // schema per tenant: two tenants with an `orders` of their own, one large, one empty. An
    // unqualified name resolves on the target's search_path, so the small tenant's apply is
    // not refused for its neighbour's size (the check once read every schema of the database)
    let s = Scratch::pg();
    s.exec(
        "CREATE SCHEMA tenant_big; CREATE SCHEMA tenant_small;
         CREATE TABLE tenant_big.orders (id bigint PRIMARY KEY, total int);
         CREATE TABLE tenant_small.orders (id bigint PRIMARY KEY, total int);
         INSERT INTO tenant_big.orders SELECT g, g FROM generate_series(1, 5000) g;
         ANALYZE tenant_big.orders; ANALYZE tenant_small.orders;",
    );
    let tenant = |schema: &str| {
        let sep = if s.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={schema}", s.url)
    };
    let change = "ALTER TABLE orders ADD CHECK (total >= 0);\n";
    let dir = tree(&[("sluice.toml", CONFIG), ("m/1_check.sql", change)]);
    let apply = |schema: &str| {
        run(s
            .migrate(dir.path())
            .env("DATABASE_URL", tenant(schema))
            .args(["apply", "m"]))
    };
    let r = apply("tenant_small");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings("SELECT count(*)::text FROM pg_constraint WHERE conrelid = 'tenant_small.orders'::regclass AND contype = 'c'"),
        ["1"]
    );
    let r = apply("tenant_big");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("error[constraint-missing-not-valid]"),
        "{r:?}"
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM pg_constraint WHERE conrelid = 'tenant_big.orders'::regclass AND contype = 'c'"),
        ["0"]
    );

    // a schema the change names explicitly is read too, whatever the search_path
    std::fs::write(
        dir.path().join("m/2_big.sql"),
        "ALTER TABLE tenant_big.orders ADD CHECK (id > 0);\n",
    )
    .unwrap();
    let r = apply("tenant_small");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("error[constraint-missing-not-valid]")
            && r.stderr.contains("m/2_big.sql"),
        "{r:?}"
    );
    // and a schema the change puts on its own search_path (the URL's is public's)
    std::fs::write(
        dir.path().join("m/2_big.sql"),
        "SET search_path TO tenant_big;\nALTER TABLE orders ADD CHECK (id > 0);\n",
    )
    .unwrap();
    let r = run(s
        .migrate(dir.path())
        .env("DATABASE_URL", &s.url)
        .args(["apply", "m"]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("error[constraint-missing-not-valid]")
            && r.stderr.contains("m/2_big.sql"),
        "{r:?}"
    );
}

// ------------------------------------------------------- PostgreSQL: made safe, accepted

#[test]
fn pg_accepts_what_the_runner_makes_online_and_lint_agrees() {
    let s = Scratch::pg();
    let dir = tree(&[("sluice.toml", CONFIG), ("m/1_init.sql", INIT_PG)]);
    setup(&s, dir.path());
    let file = "CREATE INDEX orders_user_idx ON orders (user_id);\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n";
    std::fs::write(dir.path().join("m/2_index.sql"), file).unwrap();
    // lint with the default runner agrees: warnings that say what the runner does
    let lint = run(s.migrate(dir.path()).args(["lint", "m/2_index.sql"]));
    assert_eq!(lint.code, 0, "{lint:?}");
    assert!(lint.stdout.contains("the sluice runner builds"), "{lint:?}");
    // another runner would build it as written: an error
    let sqlx = run(s
        .migrate(dir.path())
        .args(["lint", "--runner", "sqlx", "m/2_index.sql"]));
    assert_eq!(sqlx.code, 1, "{sqlx:?}");
    assert!(
        sqlx.stdout
            .contains("error[require-concurrent-index-creation]"),
        "{sqlx:?}"
    );

    let dry = run(s.migrate(dir.path()).args(["apply", "m", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    // the verdict comes before the phase's SQL
    let check = dry
        .stdout
        .find("-- check: 2 index (expand): passes")
        .expect("verdict");
    let sql = dry.stdout.find("CREATE INDEX CONCURRENTLY").expect("sql");
    assert!(check < sql, "{dry:?}");
    assert!(
        dry.stdout
            .contains("-- check: line 1: made online by the runner (concurrent-index)"),
        "{dry:?}"
    );
    assert!(
        dry.stdout
            .contains("-- check: line 2: made online by the runner (not-valid-validate)"),
        "{dry:?}"
    );

    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'orders_user_idx'::regclass"
        ),
        ["true"]
    );
    assert_eq!(
        s.strings("SELECT convalidated::text FROM pg_constraint WHERE conname = 'orders_user_fk'"),
        ["true"]
    );
    assert!(events(&s).is_empty());
}

#[test]
fn pg_contract_set_not_null_goes_through_a_check() {
    let s = Scratch::pg();
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        ("m/1_init/expand.up.sql", INIT_PG),
        ("m/1_init/expand.down.sql", DROP_INIT),
    ]);
    setup(&s, dir.path());
    for (f, text) in [
        ("expand.up.sql", "SELECT 1;\n"),
        ("expand.down.sql", "SELECT 1;\n"),
        (
            "contract.up.sql",
            "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;\n",
        ),
        (
            "contract.down.sql",
            "ALTER TABLE orders ALTER COLUMN total DROP NOT NULL;\n",
        ),
    ] {
        let p = dir.path().join("m/2_total_required").join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    // the contract waits for the rollout: said so, never "up to date"
    assert!(!r.stdout.contains("up to date"), "{r:?}");
    assert!(
        r.stdout.contains("pending: 2 total_required (contract)"),
        "{r:?}"
    );
    let r = run(s
        .migrate(dir.path())
        .args(["rollout", "complete", "--release", "r1"]));
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--phase", "contract"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings("SELECT is_nullable::text FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'total'"),
        ["NO"]
    );
}

/// A `-- sluice:` comment that does nothing is refused on any table, new ones too: the
/// file would not run as its author wrote it.
#[test]
fn pg_refuses_a_directive_that_does_nothing() {
    let s = Scratch::pg();
    let dir = tree(&[("sluice.toml", CONFIG), ("m/1_init.sql", INIT_PG)]);
    setup(&s, dir.path());
    std::fs::write(
        dir.path().join("m/2_tags.sql"),
        "-- sluice:no-transction\nCREATE TABLE tags (id bigint PRIMARY KEY);\nCREATE INDEX CONCURRENTLY tags_id_idx ON tags (id);\n",
    )
    .unwrap();
    assert_refused(&s, dir.path(), "unknown-directive", "2");
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert!(
        r.stderr
            .contains("`-- sluice:no-transction` is not a Sluice directive"),
        "{r:?}"
    );
    // spelt right, it applies
    std::fs::write(
        dir.path().join("m/2_tags.sql"),
        "-- sluice:no-transaction\nCREATE TABLE tags (id bigint PRIMARY KEY);\nCREATE INDEX CONCURRENTLY tags_id_idx ON tags (id);\n",
    )
    .unwrap();
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        applied(&s).contains(&"2 expand applied".to_owned()),
        "{:?}",
        applied(&s)
    );
}

#[test]
fn pg_a_fresh_database_is_never_refused() {
    // tables created earlier in the same run are new, whatever the statements after
    let s = Scratch::pg();
    let dir = tree(&[
        ("sluice.toml", CONFIG),
        ("m/1_init.sql", INIT_PG),
        (
            "m/2_more.sql",
            "CREATE INDEX orders_total_idx ON orders (total);\nALTER TABLE orders ADD CHECK (total >= 0);\nALTER TABLE users DROP COLUMN email;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(events(&s).is_empty());
}

/// VALIDATE of a constraint added NOT VALID in the same file runs in its own transaction
/// on a large table: while it scans, the ADD's lock is gone and writes go on. The CHECK
/// calls a function that blocks on an advisory lock the test holds (for every session but
/// the writer's), so the validation is observably in progress when the writer writes.
#[test]
fn pg_validate_runs_in_its_own_transaction_and_writes_go_on() {
    use sqlx::{Connection, Executor};

    let s = Scratch::pg();
    let dir = tree(&[
        (
            "sluice.toml",
            "[run]\nlarge_table_rows = 1000\nlock_timeout = \"60s\"\n",
        ),
        ("m/1_init.sql", INIT_PG),
    ]);
    setup(&s, dir.path());
    s.exec(
        "CREATE FUNCTION gate(v int) RETURNS boolean LANGUAGE sql VOLATILE AS $$
           SELECT CASE WHEN current_setting('sluice_test.free', true) = 'on' THEN true
                       ELSE pg_advisory_lock_shared(4242) IS NOT NULL END AND v >= 0
         $$",
    );
    std::fs::write(
        dir.path().join("m/2_check.sql"),
        "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (gate(total)) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\n",
    )
    .unwrap();
    let dry = run(s.migrate(dir.path()).args(["apply", "m", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(dry.stdout.contains("strategy own-transaction"), "{dry:?}");
    // the statements run one by one (the ledger's progress between them), no BEGIN
    let ddl = &dry.stdout[dry.stdout.find("ADD CONSTRAINT").unwrap()..];
    assert!(!ddl.contains("BEGIN"), "{dry:?}");

    crate::common::block_on(async {
        let mut holder = sqlx::PgConnection::connect(&s.url).await.unwrap();
        holder
            .execute("SELECT pg_advisory_lock(4242)")
            .await
            .unwrap();
        let mut apply = s.migrate(dir.path());
        apply.args(["apply", "m", "-q"]);
        let child = std::thread::spawn(move || run(&mut apply));
        let mut watch = sqlx::PgConnection::connect(&s.url).await.unwrap();
        // wait (bounded) until the runner's VALIDATE is scanning, stopped in gate()
        let mut pid: Option<i32> = None;
        for _ in 0..1200 {
            pid = sqlx::query_scalar(
                "SELECT pid FROM pg_stat_activity WHERE wait_event = 'advisory' AND query LIKE '%VALIDATE CONSTRAINT%'",
            )
            .fetch_optional(&mut watch)
            .await
            .unwrap();
            if pid.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let pid = pid.expect("the runner's VALIDATE scans, held in gate()");
        // the ADD has committed: the validating session holds only SHARE UPDATE EXCLUSIVE
        let held: Vec<String> = sqlx::query_scalar(
            "SELECT mode FROM pg_locks WHERE pid = $1 AND granted AND relation = 'orders'::regclass ORDER BY mode",
        )
        .bind(pid)
        .fetch_all(&mut watch)
        .await
        .unwrap();
        assert_eq!(held, ["ShareUpdateExclusiveLock"]);
        // a writer goes through while the validation is in progress
        let mut writer = sqlx::PgConnection::connect(&s.url).await.unwrap();
        writer.execute("SET lock_timeout = '5s'").await.unwrap();
        writer.execute("SET sluice_test.free = 'on'").await.unwrap();
        writer
            .execute("INSERT INTO orders VALUES (100001, 1, 5)")
            .await
            .expect("writes are not blocked during the validation");
        writer
            .execute("UPDATE orders SET total = total + 1 WHERE id = 1")
            .await
            .unwrap();
        holder
            .execute("SELECT pg_advisory_unlock(4242)")
            .await
            .unwrap();
        let r = child.join().unwrap();
        assert_eq!(r.code, 0, "{r:?}");
    });
    assert_eq!(
        s.strings(
            "SELECT convalidated::text FROM pg_constraint WHERE conname = 'orders_total_check'"
        ),
        ["true"]
    );
}

// ------------------------------------------------------------------------------- MariaDB

#[test]
fn mysql_refuses_a_drop_column_in_an_expand() {
    let s = Scratch::mysql();
    let dir = tree(&[
        ("sluice.toml", CONFIG_MYSQL),
        ("m/1_init.up.sql", INIT_MYSQL),
        (
            "m/1_init.down.sql",
            "DROP TABLE orders;\nDROP TABLE users;\n",
        ),
    ]);
    setup(&s, dir.path());
    std::fs::write(
        dir.path().join("m/2_drop_email.up.sql"),
        "ALTER TABLE orders DROP COLUMN total;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m/2_drop_email.down.sql"),
        "ALTER TABLE orders ADD COLUMN total int;\n",
    )
    .unwrap();
    assert_refused(&s, dir.path(), "ban-drop-column", "2");
    let r = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--allow", "ban-drop-column"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        events(&s)[1].starts_with("allowed 2 expand ban-drop-column"),
        "{:?}",
        events(&s)
    );
}

#[test]
fn mysql_refuses_a_contract_step_in_an_expand() {
    refuses_a_contract_step_in_an_expand(&Scratch::mysql(), CONFIG_MYSQL, INIT_MYSQL);
}

#[test]
fn mysql_refuses_a_table_copy_it_cannot_make_online_on_a_large_table_only() {
    // ALGORITHM=COPY as written: the runner keeps what the file pins
    refuses_on_the_large_table_only(
        &Scratch::mysql(),
        (CONFIG_MYSQL, INIT_MYSQL),
        (
            "ALTER TABLE orders ALGORITHM=COPY, ADD COLUMN x int;\n",
            "ALTER TABLE users ALGORITHM=COPY, ADD COLUMN x int;\n",
        ),
        "mysql-ban-algorithm-copy",
    );
}

#[test]
fn mysql_accepts_a_table_copy_the_runner_makes_online() {
    let has_pt_osc = std::process::Command::new("sh")
        .args(["-c", "command -v pt-online-schema-change"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_pt_osc,
        "pt-online-schema-change is missing: scripts/test.sh installs percona-toolkit"
    );
    let s = Scratch::mysql();
    let dir = tree(&[("sluice.toml", CONFIG_MYSQL), ("m/1_init.sql", INIT_MYSQL)]);
    setup(&s, dir.path());
    // lint: a table copy on MariaDB (mysql-requires-table-copy); the runner copies online
    std::fs::write(
        dir.path().join("m/2_fk.sql"),
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n",
    )
    .unwrap();
    let dry = run(s.migrate(dir.path()).args(["apply", "m", "--dry-run"]));
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout
            .contains("-- check: line 1: made online by the runner (pt-osc)"),
        "{dry:?}"
    );
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        s.strings("SELECT CAST(CONSTRAINT_NAME AS CHAR) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()").len(),
        1
    );
    assert!(events(&s).is_empty());
}

#[test]
fn mysql_a_fresh_database_is_never_refused() {
    let s = Scratch::mysql();
    let dir = tree(&[
        ("sluice.toml", CONFIG_MYSQL),
        ("m/1_init.sql", INIT_MYSQL),
        (
            "m/2_more.sql",
            "ALTER TABLE orders ALGORITHM=COPY, ADD COLUMN x int;\nALTER TABLE users DROP COLUMN email;\n",
        ),
    ]);
    let r = run(s.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(events(&s).is_empty());
}

// ------------------------------------------------------------------------------ job mode

/// In job mode the only way past the check is `[run] allow` in sluice.toml: the hook takes
/// no `--allow`, refuses like `apply`, and records what the config let through.
#[test]
fn pg_job_mode_refuses_and_allows_from_config_only() {
    let s = Scratch::pg();
    let dir = tree(&[("sluice.toml", CONFIG), ("m/1_init.sql", INIT_PG)]);
    setup(&s, dir.path());
    std::fs::write(
        dir.path().join("m/2_drop.sql"),
        "-- sluice:irreversible test\nALTER TABLE orders DROP COLUMN total;\n",
    )
    .unwrap();
    let hook = |extra: &[&str]| {
        run(s
            .migrate(dir.path())
            .args(["hook", "pre-deploy", "--release", "r1"])
            .args(extra)
            .arg("m"))
    };
    let flag = hook(&["--allow", "ban-drop-column"]);
    assert_eq!(flag.code, 2, "the hook has no --allow: {flag:?}");
    let before = snapshot(&s);
    let r = hook(&[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("error[ban-drop-column]"), "{r:?}");
    assert_eq!(snapshot(&s), before);
    std::fs::write(
        dir.path().join("sluice.toml"),
        format!("{CONFIG}allow = [\"ban-drop-column\"]\n"),
    )
    .unwrap();
    let r = hook(&[]);
    assert_eq!(r.code, 0, "{r:?}");
    let ev = events(&s);
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(ev[0].starts_with("refused 2 expand"), "{ev:?}");
    assert!(
        ev[1].starts_with("allowed 2 expand ban-drop-column allowed by [run] allow in sluice.toml"),
        "{ev:?}"
    );
}
