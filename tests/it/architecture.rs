//! The invariants ARCHITECTURE.md states that can be checked from the source and the
//! dependency graph. Each test names the invariant it guards; a failure lists the offenders.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted, as (path relative to the root, text up to its unit
/// tests): by convention a file's `#[cfg(test)]` module comes last, and tests may print,
/// branch on dialects and start processes.
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join(dir), &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| {
            // Test-only files.
            let name = p.file_name().unwrap().to_string_lossy();
            name != "tests.rs"
                && name != "test_utils.rs"
                && !p.components().any(|c| c.as_os_str() == "tests")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            let rel = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, code)
        })
        .collect()
}

/// Lines of code (comments left out) matching `pred`, as `path:line: text`.
fn offenders(
    files: &[(String, String)],
    skip: &[&str],
    pred: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for (path, code) in files {
        if skip.iter().any(|s| path.starts_with(s)) {
            continue;
        }
        for (i, line) in code.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") {
                continue;
            }
            if pred(t) {
                out.push(format!("{path}:{}: {t}", i + 1));
            }
        }
    }
    out
}

/// The packages a workspace member depends on at run time (normal edges, transitively).
fn runtime_packages(member: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-f",
            "{p}",
            "-p",
            member,
        ])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {member}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Lint and plan do no I/O; only `run` opens connections: the pure crates never depend on
/// a database driver, an async runtime or an HTTP stack, nor on the runner or the server.
#[test]
fn pure_crates_depend_on_no_runtime_database_or_server() {
    let forbidden = [
        "sqlx",
        "tokio",
        "axum",
        "hyper",
        "reqwest",
        "sluice-run",
        "sluice-server",
    ];
    for member in ["sluice-core", "sluice-lint", "sluice-plan"] {
        let deps = runtime_packages(member);
        assert!(
            deps.iter().any(|d| d == member),
            "cargo tree lists {member} itself: {deps:?}"
        );
        let bad: Vec<&String> = deps
            .iter()
            .filter(|d| forbidden.contains(&d.as_str()))
            .collect();
        assert!(bad.is_empty(), "{member} depends on {bad:?}");
    }
}

/// Only `run` opens connections: it is the one member with a database driver; the server
/// reaches the database through the runner.
#[test]
fn only_the_runner_links_the_database_driver() {
    let direct = |manifest: &str| {
        std::fs::read_to_string(root().join(manifest))
            .unwrap()
            .split("[dev-dependencies]")
            .next()
            .unwrap()
            .lines()
            .any(|l| l.trim_start().starts_with("sqlx"))
    };
    assert!(direct("crates/run/Cargo.toml"), "the runner uses sqlx");
    for manifest in [
        "crates/core/Cargo.toml",
        "crates/lint/Cargo.toml",
        "crates/plan/Cargo.toml",
        "crates/server/Cargo.toml",
    ] {
        assert!(!direct(manifest), "{manifest} names sqlx as a dependency");
    }
    let bad = offenders(&sources("crates/server/src"), &[], |l| l.contains("sqlx::"));
    assert!(
        bad.is_empty(),
        "the server talks to the database itself:\n{}",
        bad.join("\n")
    );
}

/// Only the CLI prints: library crates return values and emit `tracing` events.
#[test]
fn only_the_cli_prints() {
    let lib = sources("crates");
    let prints = |l: &str| {
        ["println!", "eprintln!", "print!(", "eprint!(", "dbg!("]
            .iter()
            .any(|m| l.contains(m))
            || l.contains("io::stdout()")
            || l.contains("io::stderr()")
    };
    let bad = offenders(&lib, &[], prints);
    assert!(bad.is_empty(), "library code prints:\n{}", bad.join("\n"));
    // Clippy denies printing in the workspace; only the binary's CLI may lift that.
    let lifted = offenders(&lib, &[], |l| {
        l.contains("clippy::print_stdout") || l.contains("clippy::print_stderr")
    });
    assert!(
        lifted.is_empty(),
        "a library crate allows printing:\n{}",
        lifted.join("\n")
    );
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    for lint in ["print_stdout", "print_stderr"] {
        assert!(
            manifest
                .lines()
                .any(|l| l.trim_start().starts_with(lint) && l.contains("deny")),
            "Cargo.toml's [workspace.lints.clippy] denies {lint}"
        );
    }
}

/// Code outside the driver never branches on the database: the driver answers "how does
/// this database do X"; the strategies pick a family, the URL names the dialect, and the
/// snapshot / introspection entry points dispatch to their per-database reader.
#[test]
fn no_dialect_branch_outside_the_driver() {
    let allowed = [
        "crates/run/src/driver/",
        "crates/run/src/strategies/mod.rs",
        "crates/run/src/url.rs",
        "crates/run/src/snapshot/mod.rs",
        "crates/run/src/introspect",
        // pg_stat_statements is PostgreSQL's own: a URL of another server is refused
        "crates/run/src/verify/queries.rs",
    ];
    let branch = |l: &str| {
        let re = |s: &str| l.contains(s);
        (re("Dialect::Postgres") || re("Dialect::Mysql"))
            && (re("=>")
                || re("== Dialect::")
                || re("!= Dialect::")
                || re("matches!(")
                || l.starts_with('|'))
    };
    let mut bad = offenders(&sources("crates/run/src"), &allowed, branch);
    bad.extend(offenders(&sources("crates/server/src"), &[], branch));
    assert!(
        bad.is_empty(),
        "dialect branches outside the driver:\n{}",
        bad.join("\n")
    );
}

/// Secrets never reach a child process: every child the runner starts goes through
/// `process.rs`, which scrubs the environment (tests/it/child_env.rs checks each tool).
#[test]
fn children_start_only_in_process_rs() {
    let spawns = |l: &str| {
        l.contains("Command::new") || l.contains("process::Command") && !l.starts_with("use ")
    };
    let bad = offenders(&sources("crates"), &["crates/run/src/process.rs"], spawns);
    assert!(
        bad.is_empty(),
        "child processes started outside process.rs:\n{}",
        bad.join("\n")
    );
    // The CLI starts only git (the change set of `--base`), never with a database secret.
    let cli = offenders(&sources("src"), &["src/cli/git.rs"], |l| {
        l.contains("Command::new")
    });
    assert!(
        cli.is_empty(),
        "the CLI starts processes outside git.rs:\n{}",
        cli.join("\n")
    );
}

/// One apply engine for the CLI and the server: the server holds the runner as a trait
/// object and never builds an engine of its own kind.
#[test]
fn the_server_runs_through_the_runner_trait() {
    let server = sources("crates/server/src");
    let uses_trait = server.iter().any(|(_, c)| c.contains("dyn Runner"));
    assert!(uses_trait, "crates/server holds Arc<dyn Runner>");
    let own_sql = offenders(&server, &[], |l| {
        let u = l.to_ascii_uppercase();
        u.contains("\"ALTER TABLE") || u.contains("\"INSERT INTO") || u.contains("\"CREATE TABLE")
    });
    assert!(
        own_sql.is_empty(),
        "the server writes SQL:\n{}",
        own_sql.join("\n")
    );
}
