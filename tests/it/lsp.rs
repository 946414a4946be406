//! `migrate lsp` end to end: a scripted client spawns the server and talks JSON-RPC over its
//! stdin / stdout, as an editor does.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::tree;

const TIMEOUT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Messages read but not yet asked for.
    backlog: Vec<Value>,
}

impl Client {
    fn spawn(cwd: &Path) -> Client {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("migrate"))
            .args(["lsp", "--stdio"])
            .current_dir(cwd)
            .env_remove("SLUICE_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("migrate lsp starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("a Content-Length header")];
                stdout.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 0,
            backlog: Vec::new(),
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Send a request; its id.
    fn request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// The first message (read now or earlier) that `want` accepts.
    fn expect(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&want) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(m) if want(&m) => return m,
                Ok(m) => self.backlog.push(m),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {what} within {TIMEOUT:?}; got {:#?}", self.backlog)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the server closed stdout before {what}; got {:#?}",
                        self.backlog
                    )
                }
            }
        }
    }

    fn response(&mut self, id: i64) -> Value {
        let m = self.expect(&format!("response {id}"), |m| {
            m["id"] == id && m.get("method").is_none()
        });
        assert!(m.get("error").is_none(), "{m}");
        m["result"].clone()
    }

    /// The diagnostics published for `uri` at document `version`.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let m = self.expect(&format!("diagnostics of version {version}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

fn file_uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// (rule, start line, start character, end line, end character), 0-based as in LSP.
fn spans(diags: &[Value]) -> Vec<(String, u64, u64, u64, u64)> {
    let mut out: Vec<_> = diags
        .iter()
        .map(|d| {
            let r = &d["range"];
            (
                d["code"].as_str().unwrap_or("").to_owned(),
                r["start"]["line"].as_u64().unwrap(),
                r["start"]["character"].as_u64().unwrap(),
                r["end"]["line"].as_u64().unwrap(),
                r["end"]["character"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `migrate lint --format json FILE`, as the same spans.
fn cli_spans(cwd: &Path, file: &str) -> Vec<(String, u64, u64, u64, u64)> {
    let out = Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .args(["lint", "--format", "json", file])
        .current_dir(cwd)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut spans: Vec<_> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let n = |p: &str, k: &str| d[p][k].as_u64().unwrap() - 1;
            (
                d["rule"].as_str().unwrap().to_owned(),
                n("start", "line"),
                n("start", "column"),
                n("end", "line"),
                n("end", "column"),
            )
        })
        .collect();
    spans.sort();
    spans
}

const USERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(50) NOT NULL);\n";
/// Widening passes only on the schema the history leaves (the column's type is known).
const OPEN: &str = "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\nCREATE INDEX users_name ON users (name);\n";
const RENAME: &str = "ALTER TABLE users RENAME COLUMN name TO full_name;\n";

#[test]
fn diagnostics_hover_code_actions_and_plan_over_stdio() {
    let dir = tree(&[
        ("migrations/0001_users.sql", USERS),
        // on disk: harmless; the editor's unsaved text is what counts
        ("migrations/0002_change.sql", "SELECT 1;\n"),
    ]);
    let root = dir.path().canonicalize().unwrap();
    let path = root.join("migrations/0002_change.sql");
    let uri = file_uri(&path);
    let mut c = Client::spawn(&root);

    let init = c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": file_uri(&root),
            "capabilities": {"workspace": {
                "applyEdit": true,
                "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}
            }}
        }),
    );
    let caps = c.response(init)["capabilities"].clone();
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["executeCommandProvider"]["commands"][0], "sluice.plan");
    c.notify("initialized", json!({}));

    // open: the widening passes since the history says `name` is varchar(50)
    // (changing-column-type without it); the index is a finding
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "sql", "version": 1, "text": OPEN}}),
    );
    let diags = c.diagnostics(&uri, 1);
    assert_eq!(
        spans(&diags),
        [
            ("require-concurrent-index-creation".into(), 1, 7, 1, 12),
            ("statements-after-access-exclusive".into(), 1, 0, 1, 39),
        ],
        "{diags:#?}"
    );
    let d = diags
        .iter()
        .find(|d| d["code"] == "require-concurrent-index-creation")
        .unwrap();
    // a warning, not an error: the sluice runner (the directory's default) builds the index
    // CONCURRENTLY (lint::rewrites), as `migrate lint` says too
    assert_eq!(d["severity"], 2);
    assert_eq!(d["source"], "sluice");
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("lint-rules/require-concurrent-index-creation.md")
    );
    assert!(d["message"].as_str().unwrap().contains("\nhelp: "), "{d}");

    // incremental changes: the two statements become a rename
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [
                {
                    "range": {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}},
                    "text": ""
                },
                {
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                    "text": RENAME
                }
            ]
        }),
    );
    let diags = c.diagnostics(&uri, 2);
    // the same findings as `migrate lint` on the saved file
    std::fs::write(&path, RENAME).unwrap();
    let cli = cli_spans(&root, "migrations/0002_change.sql");
    assert_eq!(spans(&diags), cli);
    assert_eq!(
        spans(&diags),
        [("renaming-column".into(), 0, 18, 0, 24)],
        "{diags:#?}"
    );

    // hover on the finding: the rule's documentation
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 20}}),
    );
    let hover = c.response(hover);
    let md = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(
        md.starts_with("**renaming-column** (error): renaming column `name`"),
        "{md}"
    );
    assert!(md.contains("# renaming-column"), "{md}");
    assert!(md.contains("**Plan recipe:**"), "{md}");
    let nothing = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}),
    );
    assert_eq!(c.response(nothing), Value::Null);

    // code actions on the finding: the ignore comment and the plan
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 20}, "end": {"line": 0, "character": 20}},
            "context": {"diagnostics": diags}
        }),
    );
    let actions = c.response(actions);
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:#?}");
    let ignore = &actions[0];
    assert_eq!(ignore["kind"], "quickfix");
    let edits = &ignore["edit"]["changes"][&uri];
    assert_eq!(
        edits[0]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}})
    );
    let comment = edits[0]["newText"].as_str().unwrap().to_owned();
    assert!(
        comment.starts_with("-- sluice:ignore renaming-column -- "),
        "{comment}"
    );
    let plan = &actions[1];
    assert_eq!(plan["kind"], "refactor.rewrite");
    assert_eq!(plan["command"]["command"], "sluice.plan");

    // plan this migration: the server asks the client to write the phased files
    let exec = c.request(
        "workspace/executeCommand",
        json!({"command": "sluice.plan", "arguments": plan["command"]["arguments"]}),
    );
    let apply = c.expect("workspace/applyEdit", |m| {
        m["method"] == "workspace/applyEdit"
    });
    let ops = apply["params"]["edit"]["documentChanges"]
        .as_array()
        .unwrap();
    let phased = root.join("migrations/0002_change");
    let created: Vec<String> = ops
        .iter()
        .filter(|o| o["kind"] == "create")
        .map(|o| o["uri"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        created.contains(&file_uri(&phased.join("expand.up.sql"))),
        "{ops:#?}"
    );
    assert!(
        created.contains(&file_uri(&phased.join("contract.up.sql"))),
        "{ops:#?}"
    );
    let expand = ops
        .iter()
        .find(|o| o["textDocument"]["uri"] == file_uri(&phased.join("expand.up.sql")))
        .unwrap();
    let text = expand["edits"][0]["newText"].as_str().unwrap();
    assert!(text.contains("full_name"), "{text}");
    assert!(
        ops.iter().any(|o| o["kind"] == "delete" && o["uri"] == uri),
        "the naive file is replaced: {ops:#?}"
    );
    c.send(json!({"jsonrpc": "2.0", "id": apply["id"], "result": {"applied": true}}));
    let result = c.response(exec);
    assert_eq!(result["applied"], true);
    let names: Vec<&str> = result["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"expand.up.sql") && names.contains(&"contract.up.sql"),
        "{names:?}"
    );
    assert_eq!(result["recipes"][0]["line"], 1);

    // the ignore comment, applied by the editor, silences the finding
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 3},
            "contentChanges": [{"range": edits[0]["range"], "text": comment}]
        }),
    );
    assert_eq!(c.diagnostics(&uri, 3), Vec::<Value>::new());

    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    let closed = c.expect("empty diagnostics on close", |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"].is_null()
    });
    assert_eq!(closed["params"]["diagnostics"], json!([]));

    let shutdown = c.request("shutdown", Value::Null);
    assert_eq!(c.response(shutdown), Value::Null);
    c.notify("exit", Value::Null);
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(s) = c.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn a_bad_config_is_a_diagnostic_not_a_crash() {
    let dir = tree(&[
        ("sluice.toml", "dialect = \"oracle\"\n"),
        ("migrations/0001_a.sql", "SELECT 1;\n"),
    ]);
    let root = dir.path().canonicalize().unwrap();
    let uri = file_uri(&root.join("migrations/0001_a.sql"));
    let mut c = Client::spawn(&root);
    let init = c.request("initialize", json!({"processId": null, "capabilities": {}}));
    c.response(init);
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "sql", "version": 7, "text": "SELECT 1;\n"}}),
    );
    let diags = c.diagnostics(&uri, 7);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let msg = diags[0]["message"].as_str().unwrap();
    assert!(msg.starts_with("cannot lint this file: "), "{msg}");
    assert!(msg.contains("sluice.toml"), "{msg}");
    // a request the server does not know is an error response, not a crash
    let id = c.request("textDocument/definition", json!({}));
    let m = c.expect("an error", |m| m["id"] == id);
    assert_eq!(m["error"]["code"], -32601);
    let shutdown = c.request("shutdown", Value::Null);
    c.response(shutdown);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
}
