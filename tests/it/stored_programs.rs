//! MySQL / MariaDB stored-program bodies (`CREATE PROCEDURE .. BEGIN .. END`, triggers,
//! events, MariaDB's compound statements) are one statement each: `migrate apply` must leave
//! the same schema and data as the plain client sending each file whole
//! (`mariadb --delimiter=';;;;' DB < FILE`, the way the projects' own runners send it).
//! Issue 14, point 4: authelia's V0007 failed at statement 3 with error 1064.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{Scratch, run, tree};
use sluice::run::url::DbUrl;

/// The plain client, the reference: the whole file as one multi-statement query; or, for
/// a file with `DELIMITER` lines (the client's own convention), the client splitting it.
fn client(s: &Scratch, file: &Path) -> Result<(), String> {
    let conn = DbUrl::parse(&s.url).unwrap().tool_conn();
    let own_delimiters = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .any(|l| l.starts_with("DELIMITER "));
    let mut cmd = Command::new("mariadb");
    cmd.arg("--protocol=tcp")
        .arg(format!(
            "--delimiter={}",
            if own_delimiters { ";" } else { ";;;;" }
        ))
        .arg(format!("-h{}", conn.host.as_deref().unwrap_or("127.0.0.1")))
        .arg(format!("-P{}", conn.port.unwrap_or(3306)))
        .arg(format!("-u{}", conn.user.as_deref().unwrap_or("root")))
        .arg(&s.name)
        .stdin(Stdio::from(std::fs::File::open(file).unwrap()));
    if let Some(p) = conn.password {
        cmd.env("MYSQL_PWD", p);
    }
    let out = cmd.output().expect("the mariadb client runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Tables, columns, indexes, routines with their bodies, triggers, events and the rows of
/// `log`: everything a stored-program file can change. Sluice's ledger tables excluded.
fn snapshot(s: &Scratch) -> Vec<String> {
    let mut out = s.strings(
        "SELECT CAST(x AS CHAR) FROM (
           SELECT CONCAT_WS('|', 'column', TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '-')) x
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'sluice\\_%'
           UNION ALL SELECT CONCAT_WS('|', 'index', TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME)
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'sluice\\_%'
           UNION ALL SELECT CONCAT_WS('|', 'routine', ROUTINE_TYPE, ROUTINE_NAME, ROUTINE_DEFINITION)
             FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
           UNION ALL SELECT CONCAT_WS('|', 'trigger', TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING, ACTION_STATEMENT)
             FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
           UNION ALL SELECT CONCAT_WS('|', 'event', EVENT_NAME, EVENT_DEFINITION)
             FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()
         ) s ORDER BY 1",
    );
    if s.table_exists("log") {
        out.extend(s.strings("SELECT CAST(CONCAT('log|', msg) AS CHAR) FROM log ORDER BY msg"));
    }
    out
}

/// Apply `sql` with the plain client into one database and with `migrate apply` into
/// another; both succeed or both fail, and the schemas and data are the same.
fn same_as_client(name: &str, sql: &str) -> (Result<(), String>, crate::common::Run) {
    let reference = Scratch::mysql();
    let sluice = Scratch::mysql();
    let dir = tree(&[
        ("sluice.toml", "dialect = \"mysql\"\n"),
        (&format!("m/1_{name}.sql"), sql),
    ]);
    let expected = client(&reference, &dir.path().join(format!("m/1_{name}.sql")));
    let got = run(sluice.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(
        expected.is_ok(),
        got.code == 0,
        "{name}: client {expected:?}, migrate {got:?}"
    );
    assert_eq!(snapshot(&reference), snapshot(&sluice), "{name}: {got:?}");
    (expected, got)
}

const CASES: &[(&str, &str)] = &[
    (
        // authelia V0007's shape: IF EXISTS(..) THEN .. END IF inside BEGIN .. END
        "procedure_with_if_exists",
        "CREATE TABLE log (msg VARCHAR(200) PRIMARY KEY, k INT, CONSTRAINT log_k UNIQUE (k));
DROP PROCEDURE IF EXISTS PROC_DROP_INDEX;

CREATE PROCEDURE PROC_DROP_INDEX(IN tableName VARCHAR(64), IN indexName VARCHAR(64))
BEGIN
    IF EXISTS(
        SELECT * FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = tableName AND INDEX_NAME = indexName)
    THEN
        SET @query = CONCAT('ALTER TABLE ', tableName, ' DROP INDEX ', indexName, ';');
        PREPARE stmt FROM @query;
        EXECUTE stmt;
        DEALLOCATE PREPARE stmt;
    END IF;
END;

CALL PROC_DROP_INDEX('log', 'log_k');
CALL PROC_DROP_INDEX('log', 'missing');
INSERT INTO log VALUES ('done', 1);
",
    ),
    (
        "nested_blocks_loops_handlers_labels",
        "CREATE TABLE log (msg VARCHAR(200) PRIMARY KEY);
CREATE TABLE t (start INT, end INT);
CREATE DEFINER=CURRENT_USER PROCEDURE p(IN n INT)
    COMMENT 'every block kind'
BEGIN
    DECLARE i INT DEFAULT 0;
    DECLARE CONTINUE HANDLER FOR SQLSTATE '23000' BEGIN INSERT INTO log VALUES (CONCAT('dup ', i)); END;
    outer_loop: LOOP
        IF i >= n THEN LEAVE outer_loop; END IF;
        SET i = i + 1;
    END LOOP outer_loop;
    WHILE i < 2 * n DO SET i = i + 1; END WHILE;
    REPEAT SET i = i - 1; UNTIL i <= n END REPEAT;
    CASE i
        WHEN 0 THEN INSERT INTO log VALUES ('zero');
        ELSE INSERT INTO log SELECT CONCAT('case ', CASE WHEN i > 1 THEN IF(i > 2, 'big', 'two') ELSE 'one' END);
    END CASE;
    INSERT INTO log VALUES ('case 3');
    SELECT start, end FROM t FOR UPDATE;
    blk: BEGIN
        INSERT INTO log VALUES (REPEAT('r', 2));
    END blk;
    BEGIN END;
END;
CALL p(3);
",
    ),
    (
        "functions",
        "CREATE TABLE log (msg VARCHAR(200) PRIMARY KEY);
CREATE FUNCTION f(a INT) RETURNS INT DETERMINISTIC RETURN IF(a > 0, 1, 0);
CREATE FUNCTION g() RETURNS INT DETERMINISTIC
BEGIN
    DECLARE x INT DEFAULT 0;
    SET x = x + 41;
    RETURN x + 1;
END;
CREATE FUNCTION h(a INT) RETURNS VARCHAR(10) DETERMINISTIC RETURN CASE WHEN a THEN 'yes' ELSE 'no' END;
INSERT INTO log SELECT CONCAT_WS(',', f(5), g(), h(0));
",
    ),
    (
        "triggers_and_events",
        "CREATE TABLE log (msg VARCHAR(200) PRIMARY KEY);
CREATE TABLE x (a INT, b INT);
CREATE TRIGGER t1 BEFORE INSERT ON x FOR EACH ROW SET NEW.b = IF(NEW.a > 1, 10, 20);
CREATE TRIGGER t2 BEFORE INSERT ON x FOR EACH ROW
    IF NEW.a IS NULL THEN
        SET NEW.a = 0;
    END IF;
CREATE TRIGGER IF NOT EXISTS t3 AFTER INSERT ON x FOR EACH ROW
BEGIN
    INSERT INTO log VALUES (CONCAT('x ', NEW.a, ' ', NEW.b));
END;
CREATE EVENT e ON SCHEDULE EVERY 1 DAY STARTS '2037-01-01 00:00:00' DISABLE DO
BEGIN
    DELETE FROM log WHERE msg = 'never';
    INSERT INTO log VALUES ('never');
END;
INSERT INTO x (a) VALUES (1), (2), (NULL);
",
    ),
    (
        "mariadb_compound_statements",
        "CREATE TABLE log (msg VARCHAR(200) PRIMARY KEY);
BEGIN NOT ATOMIC
    DECLARE total INT DEFAULT 0;
    FOR r IN 1..3 DO
        SET total = total + r;
    END FOR;
    INSERT INTO log VALUES (CONCAT('total ', total));
END;
IF (SELECT COUNT(*) FROM log) = 1 THEN
    INSERT INTO log VALUES ('if at top level');
END IF;
WHILE (SELECT COUNT(*) FROM log) < 3 DO
    INSERT INTO log VALUES (CONCAT('while ', (SELECT COUNT(*) FROM log)));
END WHILE;
REPEAT
    INSERT INTO log VALUES ('repeat once');
UNTIL 1 END REPEAT;
CASE WHEN @a IS NULL THEN
    INSERT INTO log VALUES ('case at top level');
END CASE;
BEGIN NOT ATOMIC
    lbl: LOOP
        INSERT INTO log VALUES ('loop once');
        LEAVE lbl;
    END LOOP lbl;
END;
BEGIN;
INSERT INTO log VALUES ('transaction');
COMMIT;
SET @a := 1;
",
    ),
    (
        "delimiter_lines",
        "CREATE TABLE log (msg VARCHAR(200) PRIMARY KEY);
DELIMITER //
CREATE PROCEDURE d()
BEGIN
    INSERT INTO log VALUES ('from d');
END//
DELIMITER ;
CALL d();
",
    ),
];

#[test]
fn stored_program_bodies_apply_like_the_plain_client() {
    for (name, sql) in CASES {
        let (expected, _) = same_as_client(name, sql);
        assert!(
            expected.is_ok(),
            "{name}: the case itself is valid SQL: {expected:?}"
        );
    }
}

/// The client fails at this file too (after running its first statement: MySQL has no
/// transactional DDL); Sluice refuses the file before running any of it and says where.
#[test]
fn unclosed_stored_program_body_is_refused_before_it_runs() {
    let sql = "CREATE TABLE log (msg VARCHAR(200) PRIMARY KEY);\nCREATE PROCEDURE p()\nBEGIN\n  INSERT INTO log VALUES ('a');\n";
    let reference = Scratch::mysql();
    let sluice = Scratch::mysql();
    let dir = tree(&[
        ("sluice.toml", "dialect = \"mysql\"\n"),
        ("m/1_unclosed.sql", sql),
    ]);
    let expected = client(&reference, &dir.path().join("m/1_unclosed.sql"));
    assert!(expected.is_err_and(|e| e.contains("1064")));
    let got = run(sluice.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(got.code, 2, "{got:?}");
    assert!(
        got.stderr.contains("1_unclosed.sql:3") && got.stderr.contains("never closed by its END"),
        "{got:?}"
    );
    assert!(!sluice.table_exists("log"), "nothing of the file ran");
}

/// Issue 14: authelia's V0007 (two `CREATE PROCEDURE .. BEGIN .. END;`) stopped at
/// statement 3 with error 1064; now the history applies through it as the client does.
#[test]
fn authelia_v0007_procedures_no_longer_fail_with_1064() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora/authelia/internal/storage/migrations/mysql");
    if !dir.is_dir() {
        eprintln!("../shared/corpora not found: authelia not checked");
        return;
    }
    let reference = Scratch::mysql();
    let sluice = Scratch::mysql();
    let mut ups: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    ups.sort();
    for up in ups.iter().take(7) {
        client(&reference, up).unwrap_or_else(|e| panic!("{}: {e}", up.display()));
    }
    let cwd = tree(&[("sluice.toml", "dialect = \"mysql\"\n")]);
    let got = run(sluice
        .migrate(cwd.path())
        .arg("apply")
        .arg(&dir)
        .args(["--to", "0007"]));
    assert_eq!(got.code, 0, "{got:?}");
    assert!(
        got.stdout.contains("applied 0007 ConsistencyFixes"),
        "{got:?}"
    );
    assert_eq!(snapshot(&reference), snapshot(&sluice));
}

/// PostgreSQL 14+: the body of a SQL-standard function (`BEGIN ATOMIC .. END`) is one
/// statement, as psql splits it; plpgsql `$$` bodies are unaffected.
#[test]
fn pg_begin_atomic_bodies_apply_like_psql() {
    let sql = "CREATE TABLE t (a int);
CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;
END;
CREATE PROCEDURE p() LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO t VALUES (1);
    INSERT INTO t VALUES (2);
END;
CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.a := 3; RETURN NEW; END $$;
CALL p();
";
    let reference = Scratch::pg();
    let sluice = Scratch::pg();
    let dir = tree(&[("m/1_atomic.sql", sql)]);
    let conn = DbUrl::parse(&reference.url).unwrap().tool_conn();
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .arg(format!("-h{}", conn.host.as_deref().unwrap_or("127.0.0.1")))
        .arg(format!("-p{}", conn.port.unwrap_or(5432)))
        .arg(format!("-U{}", conn.user.as_deref().unwrap_or("postgres")))
        .arg("-d")
        .arg(&reference.name)
        .arg("-f")
        .arg(dir.path().join("m/1_atomic.sql"))
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "{out:?}");
    let got = run(sluice.migrate(dir.path()).args(["apply", "m"]));
    assert_eq!(got.code, 0, "{got:?}");
    let snap = |s: &Scratch| {
        let mut v = s.strings(
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE n.nspname = 'public' ORDER BY p.proname",
        );
        v.extend(s.strings("SELECT a::text FROM t ORDER BY a"));
        v
    };
    let expected = snap(&reference);
    assert_eq!(expected.len(), 5, "{expected:?}");
    assert_eq!(expected, snap(&sluice));
}
