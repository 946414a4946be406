//! No secret (database password, server token, HMAC key, credentials in a gate URL) appears
//! in any log line or error: failing commands run with -vvv and their output is searched.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::{Scratch, run, tree, url_for};

const DB_PASSWORD: &str = "dbpw-S3kr1t-4711";
const TOKEN: &str = "tok-S3kr1t-4712";
const HMAC_KEY: &str = "hmac-S3kr1t-4713";
const GATE_PASSWORD: &str = "gate-S3kr1t-4714";
const GATE_QUERY: &str = "q-S3kr1t-4715";

fn assert_clean(what: &str, out: &str) {
    assert!(!out.trim().is_empty(), "{what}: no output at all");
    for secret in [DB_PASSWORD, TOKEN, HMAC_KEY, GATE_PASSWORD, GATE_QUERY] {
        assert!(!out.contains(secret), "{what} printed a secret:\n{out}");
    }
}

/// The scratch URL with a password (the test server trusts local connections, so it is
/// sent and ignored).
fn with_password(url: &str) -> String {
    url.replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{DB_PASSWORD}@"),
        1,
    )
}

#[test]
fn failing_commands_never_print_secrets() {
    let s = Scratch::pg();
    let dir = tree(&[
        (
            "sluice.toml",
            &format!(
                r#"
[gates.default]
all = [{{ kind = "recorded" }}, {{ kind = "http", url = "http://user:{GATE_PASSWORD}@127.0.0.1:9/ready?token={GATE_QUERY}", timeout = "2s" }}]
[[hooks]]
on = "on-failure"
url = "http://127.0.0.1:9/hook"
secret_env = "HOOK_KEY"
timeout = "2s"
"#
            ),
        ),
        ("migrations/1_a/expand.up.sql", "CREATE TABLE a (id int);\n"),
        ("migrations/1_a/expand.down.sql", "DROP TABLE a;\n"),
        ("migrations/1_a/contract.up.sql", "DROP TABLE a;\n"),
        (
            "migrations/1_a/contract.down.sql",
            "CREATE TABLE a (id int);\n",
        ),
        (
            "migrations/2_b/expand.up.sql",
            "ALTER TABLE nope ADD COLUMN x int;\n",
        ),
        ("migrations/2_b/expand.down.sql", "SELECT 1;\n"),
    ]);
    let d = dir.path();
    let url = with_password(&s.url);
    assert!(url.contains(DB_PASSWORD));
    let migrate = |args: &[&str]| {
        let mut c = s.migrate(d);
        c.env("DATABASE_URL", &url)
            .env("HOOK_KEY", HMAC_KEY)
            .env("SLUICE_TOKEN", TOKEN)
            .arg("-vvv")
            .args(args);
        let r = run(&mut c);
        (r.code, format!("{}{}", r.stdout, r.stderr))
    };

    // a failing statement
    let (code, out) = migrate(&["apply", "migrations"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("relation \"nope\" does not exist"), "{out}");
    assert!(
        out.contains("on-failure webhook http://127.0.0.1:9/hook failed"),
        "{out}"
    );
    assert_clean("apply", &out);
    // the failing gate (credentials in its URL) and the failing signed webhook
    let (code, out) = migrate(&["gate", "check"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("http http://127.0.0.1:9/ready"), "{out}");
    assert_clean("gate check", &out);
    let (code, out) = migrate(&["rollout", "complete", "--release", "r1"]);
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(d.join("migrations/2_b")).unwrap();
    let (code, out) = migrate(&["apply", "migrations", "--phase", "contract"]);
    assert_eq!(code, 3, "{out}");
    assert_clean("apply contract", &out);
    // an unreachable database
    let mut c = s.migrate(d);
    c.env(
        "DATABASE_URL",
        with_password(&url_for("postgres://postgres@127.0.0.1:9/x", "x")),
    )
    .args(["-vvv", "status", "migrations"]);
    let r = run(&mut c);
    assert_eq!(r.code, 2, "{r:?}");
    assert_clean("status", &format!("{}{}", r.stdout, r.stderr));
    // a server that cannot listen
    let (code, out) = migrate(&["serve", "migrations", "--listen", "256.0.0.1:1"]);
    assert_eq!(code, 2, "{out}");
    assert_clean("serve", &out);
}

#[test]
fn server_refuses_bad_tokens_quietly_and_stops_on_sigterm() {
    let s = Scratch::pg();
    let dir = tree(&[
        ("migrations/1_a/expand.up.sql", "CREATE TABLE a (id int);\n"),
        ("migrations/1_a/expand.down.sql", "DROP TABLE a;\n"),
    ]);
    let key_file = dir.path().join("hmac.key");
    std::fs::write(&key_file, HMAC_KEY).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .current_dir(dir.path())
        .env("DATABASE_URL", with_password(&s.url))
        .env("SLUICE_TOKEN", TOKEN)
        .env_remove("SLUICE_LOG")
        .args([
            "-vvv",
            "serve",
            "migrations",
            "--listen",
            "127.0.0.1:0",
            "--hmac-key-file",
        ])
        .arg(&key_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let addr = loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "server ended: {seen}"
        );
        seen.push_str(&line);
        if let Some(a) = line.trim().strip_prefix("listening on http://") {
            break a.to_owned();
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let url = format!("http://{addr}/v1/runs");
        let body = r#"{"release":"r1","phase":"expand"}"#;
        // the wrong token and a signature made with the token as key: both refused
        let r = c
            .post(&url)
            .bearer_auth(format!("{TOKEN}x"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let sig = sluice::run::hooks::signature(TOKEN.as_bytes(), body.as_bytes());
        let r = c
            .post(&url)
            .header("X-Sluice-Signature", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let r = c
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    });
    // SIGTERM: stop accepting, exit 0
    // the shell's builtin kill: no procps needed
    let st = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let all = format!("{seen}{rest}{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("refused a request without a valid token"),
        "{all}"
    );
    assert!(all.contains("SIGTERM"), "{all}");
    assert_clean("serve", &all);
    assert!(!s.table_exists("a"), "a refused request ran a migration");
}
