//! Bad input at the edges of `migrate serve` (issue 18), through the binary and a real
//! socket: malformed and oversized requests, wrong and missing auth, slow clients, a
//! thousand concurrent webhooks for one revision. Nothing panics, nothing runs twice, the
//! server keeps answering and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Scratch, tree};
use sluice::run::hooks::signature;

const TOKEN: &str = "tok-edge-5e4d3c2b1a";
const KEY: &str = "hmac-edge-0f1e2d3c";

struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// `migrate serve` on a free port over a migration whose expand logs each run and takes
    /// a second.
    fn start(s: &Scratch) -> Server {
        let dir = tree(&[
            (
                "migrations/1_log/expand.up.sql",
                "CREATE TABLE applied_log (phase text NOT NULL);\nINSERT INTO applied_log VALUES ('expand');\nSELECT pg_sleep(1);\n",
            ),
            (
                "migrations/1_log/expand.down.sql",
                "DROP TABLE applied_log;\n",
            ),
        ]);
        let mut child = s
            .migrate(dir.path())
            .args(["serve", "migrations", "--listen", "127.0.0.1:0", "-v"])
            .env("SLUICE_TOKEN", TOKEN)
            .env("SLUICE_HMAC_KEY", KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("migrate serve says where it listens")
                .unwrap();
            if let Some(a) = line.split("listening on http://").nth(1) {
                break a.trim().to_owned();
            }
        };
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&l);
                s.push('\n');
            }
        });
        Server {
            child,
            addr,
            stderr,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM; the exit code, and what it logged.
    fn stop(mut self) -> (i32, String) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let code = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        let log = self.stderr.lock().unwrap().clone();
        (code, log)
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw request on its own connection; the status code of the answer (0: the server
/// closed the connection without one).
fn raw(addr: &str, bytes: &[u8]) -> u16 {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // the server may answer (and close) before it has read everything
    let _ = c.write_all(bytes);
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn no_panic(code: i32, log: &str) {
    assert_eq!(code, 0, "clean exit on SIGTERM: {log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn malformed_and_oversized_requests_get_4xx_and_the_server_keeps_serving() {
    let s = Scratch::pg();
    let mut srv = Server::start(&s);
    let a = srv.addr.clone();
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let cases: Vec<(&str, Vec<u8>, &[u16])> = vec![
        ("garbage request line", b"\x00\xff\xfe GARBAGE\r\n\r\n".to_vec(), &[400, 0]),
        ("no HTTP version", b"GET /healthz\r\n\r\n".to_vec(), &[400, 0]),
        (
            "a 200 KB header",
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(200_000)).into_bytes(),
            &[431, 400, 0],
        ),
        (
            "5,000 headers",
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{}\r\n", "X-H: 1\r\n".repeat(5000)).into_bytes(),
            &[431, 400, 0],
        ),
        (
            "broken JSON",
            format!("POST /v1/runs HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 8\r\nConnection: close\r\n\r\n{{\"releas").into_bytes(),
            &[400],
        ),
        (
            "JSON of the wrong shape",
            format!("POST /v1/runs HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 18\r\nConnection: close\r\n\r\n{{\"release\": [1,2]}}").into_bytes(),
            &[400],
        ),
        (
            "an unknown phase",
            format!("POST /v1/runs HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 34\r\nConnection: close\r\n\r\n{{\"release\":\"r\",\"phase\":\"sideways\"}}").into_bytes(),
            &[400],
        ),
        (
            "a 2 MB body",
            format!("POST /v1/runs HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 2000000\r\nConnection: close\r\n\r\n{}", "x".repeat(2_000_000)).into_bytes(),
            &[413],
        ),
        (
            "a 2 MB chunked body",
            format!("POST /v1/flagger/confirm-rollout HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{}0\r\n\r\n", format!("10000\r\n{}\r\n", "y".repeat(65536)).repeat(32)).into_bytes(),
            &[413],
        ),
        (
            "a Content-Length that lies",
            format!("POST /v1/runs HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 99999999999999999999\r\nConnection: close\r\n\r\n{{}}").into_bytes(),
            &[400, 413, 0],
        ),
        (
            "a run id that is no number",
            format!("GET /v1/runs/%00%ff..%2f HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n").into_bytes(),
            &[404, 400],
        ),
        (
            "an unknown route",
            b"GET /v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
            &[404, 401],
        ),
        (
            "a wrong method",
            b"DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
            &[405],
        ),
    ];
    for (what, bytes, want) in &cases {
        let code = raw(&a, bytes);
        assert!(
            want.contains(&code),
            "{what}: answered {code}, expected one of {want:?}"
        );
        assert!(srv.alive(), "{what}: the server died");
    }
    assert_eq!(
        raw(
            &a,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ),
        200
    );
    // none of it started a run
    assert!(!s.table_exists("applied_log"));
    let (code, log) = srv.stop();
    no_panic(code, &log);
}

#[test]
fn wrong_and_missing_auth_is_refused_and_starts_nothing() {
    let s = Scratch::pg();
    let srv = Server::start(&s);
    let body = r#"{"name":"api","namespace":"prod","phase":"Progressing","checksum":"abc"}"#;
    let good_sig = signature(KEY.as_bytes(), body.as_bytes());
    let rt = rt();
    let http = reqwest::Client::new();
    let hook = srv.url("/v1/flagger/confirm-rollout");
    let post = || http.post(&hook).body(body);
    let refused = [
        ("no credentials", post()),
        ("a wrong token", post().bearer_auth("tok-wrong")),
        (
            "the token with a suffix",
            post().bearer_auth(format!("{TOKEN}x")),
        ),
        ("an empty bearer", post().header("Authorization", "Bearer ")),
        ("basic auth", post().basic_auth("admin", Some(TOKEN))),
        (
            "a signature of another body",
            post().header("X-Sluice-Signature", signature(KEY.as_bytes(), b"{}")),
        ),
        (
            "a signature with another key",
            post().header("X-Sluice-Signature", signature(b"other", body.as_bytes())),
        ),
        (
            "a signature that is not hex",
            post().header("X-Sluice-Signature", "sha256=zz"),
        ),
        (
            "a signature without its prefix",
            post().header("X-Sluice-Signature", good_sig.trim_start_matches("sha256=")),
        ),
        (
            "a non-UTF-8 header",
            post().header(
                "Authorization",
                reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
            ),
        ),
    ];
    rt.block_on(async {
        for (what, req) in refused {
            let r = req.send().await.unwrap();
            assert_eq!(r.status().as_u16(), 401, "{what}");
        }
        // the status routes are behind auth too
        let r = http.get(srv.url("/v1/status")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let r = http.get(srv.url("/v1/runs/1")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401);
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !s.table_exists("applied_log"),
        "a refused call started a run"
    );
    let (code, log) = srv.stop();
    no_panic(code, &log);
    assert!(
        !log.contains(TOKEN) && !log.contains(KEY),
        "a secret in the log: {log}"
    );
}

#[test]
fn slow_clients_are_cut_off_and_do_not_stop_others() {
    let s = Scratch::pg();
    let srv = Server::start(&s);
    // slowloris: 50 connections sending their request head a byte a second
    let slow: Vec<std::thread::JoinHandle<(bool, Duration)>> = (0..50)
        .map(|_| {
            let a = srv.addr.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut c = TcpStream::connect(&a).unwrap();
                let head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
                for b in head.iter().cycle() {
                    if c.write_all(&[*b]).is_err() || started.elapsed() > Duration::from_secs(40) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
                // the server closed it: a read ends (a 408 or nothing)
                c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut buf = [0u8; 256];
                let closed = !matches!(c.read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
                (closed, started.elapsed())
            })
        })
        .collect();
    // a slow body: the head at once, then a byte a second
    let a = srv.addr.clone();
    let slow_body = std::thread::spawn(move || {
        let started = Instant::now();
        let mut c = TcpStream::connect(&a).unwrap();
        c.write_all(
            format!("POST /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n{{").as_bytes(),
        )
        .unwrap();
        c.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        let mut out = Vec::new();
        while started.elapsed() < Duration::from_secs(40) {
            let _ = c.write_all(b" ");
            let mut buf = [0u8; 512];
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
            if !out.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1000));
        }
        (
            String::from_utf8_lossy(&out).into_owned(),
            started.elapsed(),
        )
    });
    // meanwhile everyone else is served at once
    std::thread::sleep(Duration::from_secs(2));
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(
            raw(
                &srv.addr,
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            ),
            200
        );
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }
    for h in slow {
        let (closed, after) = h.join().unwrap();
        assert!(closed, "a slow client was never cut off");
        assert!(
            after < Duration::from_secs(20),
            "cut off only after {after:?}"
        );
    }
    let (answer, after) = slow_body.join().unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "{answer:?} after {after:?}"
    );
    let (code, log) = srv.stop();
    no_panic(code, &log);
}

#[test]
fn a_thousand_concurrent_webhooks_for_one_revision_start_exactly_one_run() {
    let s = Scratch::pg();
    let srv = Server::start(&s);
    let body = r#"{"name":"api","namespace":"prod","phase":"Progressing","checksum":"rev-1"}"#;
    let sig = signature(KEY.as_bytes(), body.as_bytes());
    let rt = rt();
    let (codes, runs) = rt.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let url = srv.url("/v1/flagger/confirm-rollout");
        let calls: Vec<_> = (0..1000)
            .map(|_| {
                let req = http
                    .post(&url)
                    .header("X-Sluice-Signature", &sig)
                    .body(body);
                tokio::spawn(async move {
                    let r = req.send().await.unwrap();
                    let code = r.status().as_u16();
                    let v: serde_json::Value = r.json().await.unwrap();
                    (code, v["run"].as_u64())
                })
            })
            .collect();
        let mut codes = std::collections::BTreeMap::new();
        let mut runs = std::collections::BTreeSet::new();
        for c in calls {
            let (code, run) = c.await.unwrap();
            *codes.entry(code).or_insert(0) += 1;
            runs.insert(run);
        }
        (codes, runs)
    });
    assert_eq!(
        runs.len(),
        1,
        "one run for one revision: {runs:?} ({codes:?})"
    );
    assert!(codes.keys().all(|c| [200, 409].contains(c)), "{codes:?}");
    // wait for it, then count
    let deadline = Instant::now() + Duration::from_secs(60);
    while s
        .strings("SELECT state FROM sluice_migrations")
        .first()
        .map(String::as_str)
        != Some("applied")
    {
        assert!(Instant::now() < deadline, "the run did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(s.strings("SELECT phase FROM applied_log"), ["expand"]);
    let second = rt.block_on(async {
        reqwest::Client::new()
            .get(srv.url("/v1/runs/2"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(second, 404, "no second run");
    let (code, log) = srv.stop();
    no_panic(code, &log);
    assert_eq!(log.matches("run started").count(), 1, "{log}");
}
