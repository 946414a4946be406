//! The GitHub Action (`action.yml`) and the workflow that uses it (`examples/github/`).
//!
//! Beyond the YAML's shape, the action's steps are run here as the runner runs a composite
//! action: each `run:` script with `bash -eo pipefail` in a scratch git repository, its `env:`
//! and `if:` expressions evaluated (the subset the action uses; anything else fails the test),
//! `$GITHUB_OUTPUT`, `$GITHUB_PATH` and `$GITHUB_STEP_SUMMARY` honoured. The `uses:` steps are
//! stood in for: the cache misses, the SARIF upload checks the file it would send; `gh` and
//! `cargo` are stubs that record their calls.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

use crate::common::{git, repo};

fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// The `${{ .. }}` expressions in a string.
fn expressions(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${{") {
        let end = rest[i..].find("}}").expect("a closed expression") + i;
        out.push(rest[i + 3..end].trim().to_owned());
        rest = &rest[end + 2..];
    }
    out
}

#[test]
fn action_shape() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_mapping().unwrap();
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let mut ids: Vec<&str> = Vec::new();
    for step in steps {
        let id = str_of(&step["id"]);
        // every expression names a declared input or an earlier step's output, never
        // appears inside a script (no script injection through a branch name or a path)
        let mut exprs = Vec::new();
        for key in ["env", "with"] {
            if let Some(m) = step[key].as_mapping() {
                for v in m.values() {
                    exprs.extend(expressions(str_of(v)));
                }
            }
        }
        exprs.extend(expressions(str_of(&step["working-directory"])));
        if let Some(cond) = step["if"].as_str() {
            exprs.push(cond.to_owned());
        }
        if let Some(script) = step["run"].as_str() {
            assert_eq!(
                step["shell"], "bash",
                "{id}: a composite run step names its shell"
            );
            assert!(
                expressions(script).is_empty(),
                "{id}: expressions go through env, not into the script"
            );
        }
        for e in exprs {
            for word in e.split(|c: char| !(c.is_alphanumeric() || "._-".contains(c))) {
                if let Some(name) = word.strip_prefix("inputs.") {
                    assert!(
                        inputs.contains_key(name),
                        "{id}: `{e}` names no declared input"
                    );
                } else if let Some(rest) = word.strip_prefix("steps.") {
                    let step = rest.split('.').next().unwrap();
                    assert!(ids.contains(&step), "{id}: `{e}` names no earlier step");
                }
            }
        }
        ids.push(id);
    }
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@")),
        "{uses:?}"
    );
    for out in action["outputs"].as_mapping().unwrap().values() {
        for e in expressions(str_of(&out["value"])) {
            let step = e.strip_prefix("steps.").unwrap().split('.').next().unwrap();
            assert!(ids.contains(&step), "output from an unknown step: {e}");
        }
    }
}

#[test]
fn the_example_workflow_uses_the_action() {
    let wf = yaml("examples/github/sluice-lint.yml");
    let action = yaml("action.yml");
    let steps = wf["jobs"]["lint"]["steps"].as_sequence().unwrap();
    let checkout = steps
        .iter()
        .find(|s| str_of(&s["uses"]).starts_with("actions/checkout@"))
        .unwrap();
    assert_eq!(
        checkout["with"]["fetch-depth"].as_i64(),
        Some(0),
        "--base needs the base commit's history"
    );
    // `uses: <owner>/<repo>@<ref>`: this repository, as the SARIF report names it
    let sluice = steps
        .iter()
        .find(|s| str_of(&s["uses"]).contains("/sluice@"))
        .expect("a step uses the action");
    let (repo_name, _) = str_of(&sluice["uses"]).split_once('@').unwrap();
    assert!(
        sluice::lint::report::sarif::INFORMATION_URI.ends_with(&format!("/{repo_name}")),
        "{repo_name}"
    );
    let inputs = action["inputs"].as_mapping().unwrap();
    if let Some(with) = sluice["with"].as_mapping() {
        for k in with.keys() {
            assert!(inputs.contains_key(k), "the action has no input {k:?}");
        }
    }
    let perms = &wf["permissions"];
    assert_eq!(perms["security-events"], "write", "SARIF upload");
    assert_eq!(perms["pull-requests"], "write", "the comment");
}

/// A scratch repository: `main` holds the users table; `HEAD` renames a column.
fn scratch_repo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    };
    git(root, &["init", "-q"]);
    write(
        "migrations/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "users"]);
    let out = Command::new("git")
        .args(["-C", root.to_str().unwrap(), "rev-parse", "HEAD"])
        .output()
        .unwrap();
    let base = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    write(
        "migrations/0002_rename.sql",
        "ALTER TABLE users RENAME COLUMN name TO full_name;\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "rename"]);
    (dir, base)
}

/// What a run of the action did.
#[derive(Debug, Default)]
struct Run {
    /// Step id -> (exit code, stdout); skipped steps are absent.
    steps: BTreeMap<String, (i32, String)>,
    outputs: BTreeMap<String, String>,
    summary: String,
    /// The markdown report the action wrote.
    markdown: String,
    uploaded: Option<serde_json::Value>,
    gh_calls: Vec<String>,
    /// The body `gh` posted or patched.
    gh_body: Option<String>,
    cargo_calls: Vec<String>,
}

/// Run the action's steps in `workspace`. `path`: the PATH the runner starts with (the
/// stubs' directory is put first). `github`: the `github.*` context.
fn run_action(
    workspace: &Path,
    path: &str,
    inputs: &[(&str, &str)],
    github: &[(&str, &str)],
    existing_comment: Option<&str>,
) -> Run {
    let action = yaml("action.yml");
    let tmp = tempfile::tempdir().unwrap();
    let (home, temp, stubs) = (
        tmp.path().join("home"),
        tmp.path().join("runner-temp"),
        tmp.path().join("stubs"),
    );
    for d in [&home, &temp, &stubs] {
        std::fs::create_dir_all(d).unwrap();
    }
    let gh_log = tmp.path().join("gh.log");
    let gh_body = tmp.path().join("gh.body");
    let cargo_log = tmp.path().join("cargo.log");
    let stub = |name: &str, script: &str| {
        let p = stubs.join(name);
        std::fs::write(&p, script).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    };
    // gh: lists the existing comment (if any), records what it posts
    stub(
        "gh",
        &format!(
            "#!/usr/bin/env bash\necho \"$*\" >> '{}'\nfor a in \"$@\"; do case \"$a\" in body=@*) cp \"${{a#body=@}}\" '{}';; esac; done\ncase \"$*\" in *--method*) ;; *) {} ;; esac\n",
            gh_log.display(),
            gh_body.display(),
            existing_comment.map_or("true".to_owned(), |id| format!("echo {id}")),
        ),
    );
    // cargo install: the binary the tests built, into --root
    stub(
        "cargo",
        &format!(
            "#!/usr/bin/env bash\necho \"$*\" >> '{}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\nmkdir -p \"$root/bin\" && cp '{}' \"$root/bin/migrate\"\n",
            cargo_log.display(),
            assert_cmd::cargo::cargo_bin("migrate").display()
        ),
    );

    let mut ctx: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in github {
        ctx.insert(format!("github.{k}"), (*v).to_owned());
    }
    ctx.insert("runner.os".into(), "Linux".into());
    ctx.insert("runner.temp".into(), temp.display().to_string());
    let eval = |ctx: &BTreeMap<String, String>, s: &str| -> String {
        let mut out = s.to_owned();
        for e in expressions(s) {
            let v = ctx.get(&e).cloned().unwrap_or_default();
            out = out.replacen(&format!("${{{{ {e} }}}}"), &v, 1);
        }
        out
    };
    for (name, spec) in action["inputs"].as_mapping().unwrap() {
        let name = str_of(name);
        let given = inputs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let value = given.map_or_else(|| eval(&ctx, str_of(&spec["default"])), str::to_owned);
        ctx.insert(format!("inputs.{name}"), value);
    }
    // `a == 'x'` / `a != 'x'` joined by `&&`
    let holds = |ctx: &BTreeMap<String, String>, cond: &str| -> bool {
        cond.split("&&").all(|part| {
            let (lhs, rhs, eq) = match part.split_once("!=") {
                Some((l, r)) => (l, r, false),
                None => {
                    let (l, r) = part
                        .split_once("==")
                        .unwrap_or_else(|| panic!("unsupported condition `{cond}`"));
                    (l, r, true)
                }
            };
            let rhs = rhs.trim();
            let lit = rhs
                .strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .unwrap_or_else(|| panic!("unsupported condition `{cond}`"));
            let value = ctx.get(lhs.trim()).cloned().unwrap_or_default();
            (value == lit) == eq
        })
    };

    let mut run = Run::default();
    let mut extra_path: Vec<String> = Vec::new();
    let summary = temp.join("step-summary.md");
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        let id = str_of(&step["id"]).to_owned();
        if let Some(cond) = step["if"].as_str()
            && !holds(&ctx, cond)
        {
            continue;
        }
        let mut outputs: BTreeMap<String, String> = BTreeMap::new();
        if let Some(uses) = step["uses"].as_str() {
            if uses.starts_with("actions/cache@") {
                outputs.insert("cache-hit".into(), "false".into());
            } else if uses.starts_with("github/codeql-action/upload-sarif@") {
                let file = eval(&ctx, str_of(&step["with"]["sarif_file"]));
                let text = std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("upload-sarif: {file}: {e}"));
                run.uploaded = Some(serde_json::from_str(&text).unwrap());
            } else {
                panic!("no stand-in for `uses: {uses}`");
            }
            run.steps.insert(id.clone(), (0, String::new()));
        } else {
            let script = tmp.path().join(format!("{id}.sh"));
            std::fs::write(&script, str_of(&step["run"])).unwrap();
            let output_file = temp.join(format!("{id}.output"));
            let path_file = temp.join(format!("{id}.path"));
            std::fs::write(&output_file, "").unwrap();
            std::fs::write(&path_file, "").unwrap();
            let wd = workspace.join(eval(&ctx, str_of(&step["working-directory"])));
            let mut full_path = vec![stubs.display().to_string()];
            full_path.extend(extra_path.iter().rev().cloned());
            full_path.push(path.to_owned());
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(&wd)
                .env_clear()
                .env("PATH", full_path.join(":"))
                .env("HOME", &home)
                .env("RUNNER_TEMP", &temp)
                .env("GITHUB_ACTION_PATH", repo())
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_PATH", &path_file)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("NO_COLOR", "1");
            if let Some(env) = step["env"].as_mapping() {
                for (k, v) in env {
                    cmd.env(str_of(k), eval(&ctx, str_of(v)));
                }
            }
            let out = cmd.output().unwrap();
            let code = out.status.code().unwrap_or(-1);
            run.steps.insert(
                id.clone(),
                (code, String::from_utf8_lossy(&out.stdout).into_owned()),
            );
            for line in std::fs::read_to_string(&output_file).unwrap().lines() {
                let (k, v) = line.split_once('=').expect("name=value outputs");
                outputs.insert(k.to_owned(), v.to_owned());
            }
            extra_path.extend(
                std::fs::read_to_string(&path_file)
                    .unwrap()
                    .lines()
                    .map(str::to_owned),
            );
            if code != 0 {
                // the runner stops at a failed step
                eprintln!("{id}: {}", String::from_utf8_lossy(&out.stderr));
                for (k, v) in outputs {
                    ctx.insert(format!("steps.{id}.outputs.{k}"), v);
                }
                break;
            }
        }
        for (k, v) in outputs {
            ctx.insert(format!("steps.{id}.outputs.{k}"), v);
        }
    }
    for (name, spec) in action["outputs"].as_mapping().unwrap() {
        run.outputs
            .insert(str_of(name).to_owned(), eval(&ctx, str_of(&spec["value"])));
    }
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    run.summary = read(&summary);
    run.markdown = read(Path::new(&run.outputs["markdown-file"]));
    run.gh_calls = read(&gh_log).lines().map(str::to_owned).collect();
    run.gh_body = std::fs::read_to_string(&gh_body).ok();
    run.cargo_calls = read(&cargo_log).lines().map(str::to_owned).collect();
    run
}

fn bin_dir() -> PathBuf {
    assert_cmd::cargo::cargo_bin("migrate")
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn action_reports_a_pull_requests_findings() {
    let (dir, base) = scratch_repo();
    let path = format!("{}:/usr/bin:/bin", bin_dir().display());
    let run = run_action(
        dir.path(),
        &path,
        &[],
        &[
            ("event.pull_request.base.sha", base.as_str()),
            ("event.pull_request.number", "7"),
            ("event_name", "pull_request"),
            ("repository", "acme/shop"),
            ("token", "t0ken"),
        ],
        None,
    );
    // migrate is on PATH: nothing installed
    assert!(!run.steps.contains_key("install"), "{run:#?}");
    assert!(run.cargo_calls.is_empty());
    // annotations for the change set only (0001 is history)
    let (code, annotations) = &run.steps["lint"];
    assert_eq!(*code, 0, "the lint step records the exit code: {run:#?}");
    assert_eq!(run.outputs["exit-code"], "1");
    let rules = |lines: Vec<&str>| -> Vec<String> {
        let mut r: Vec<String> = lines.into_iter().map(str::to_owned).collect();
        r.sort();
        r
    };
    let titles = rules(
        annotations
            .lines()
            .map(|l| {
                assert!(l.contains(" file=migrations/0002_rename.sql,"), "{l}");
                l.split("title=")
                    .nth(1)
                    .unwrap()
                    .split("::")
                    .next()
                    .unwrap()
            })
            .collect(),
    );
    assert_eq!(
        titles,
        [
            "missing-down-migration",
            "renaming-column",
            "require-lock-timeout"
        ]
    );
    assert!(annotations.contains("::error file=migrations/0002_rename.sql,line=1,col=19,"));
    // code scanning gets the same findings
    let sarif = run.uploaded.as_ref().expect("SARIF uploaded");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        rules(
            results
                .iter()
                .map(|r| r["ruleId"].as_str().unwrap())
                .collect()
        ),
        titles
    );
    // the comment: the markdown report, posted (no earlier comment), and in the job summary
    let report = &run.markdown;
    assert!(
        report.starts_with("<!-- sluice-lint -->\n### ❌ Sluice: 2 errors, 1 warning in 1 file"),
        "{report}"
    );
    assert_eq!(run.gh_body.as_ref(), Some(report));
    assert_eq!(run.gh_calls.len(), 2, "{:?}", run.gh_calls);
    assert!(run.gh_calls[0].starts_with("api repos/acme/shop/issues/7/comments --paginate"));
    assert!(run.gh_calls[1].starts_with("api --method POST repos/acme/shop/issues/7/comments"));
    assert_eq!(&run.summary, report);
    // and the job fails on the finding
    assert_eq!(run.steps["verdict"].0, 1);
}

#[test]
fn action_installs_migrate_and_updates_its_comment_when_clean() {
    let (dir, _) = scratch_repo();
    // no migrate on PATH: the action installs it from its own source (cargo is a stub)
    let run = run_action(
        dir.path(),
        "/usr/bin:/bin",
        &[("paths", "migrations/0001_users.sql"), ("sarif", "false")],
        &[
            ("event.pull_request.number", "7"),
            ("event_name", "pull_request"),
            ("repository", "acme/shop"),
        ],
        Some("4242"),
    );
    assert_eq!(run.steps["find"].0, 0, "{run:#?}");
    assert_eq!(run.cargo_calls.len(), 1, "{run:#?}");
    let call = &run.cargo_calls[0];
    assert!(
        call.starts_with(&format!(
            "install --locked --path {} --bin migrate --root ",
            repo().display()
        )),
        "{call}"
    );
    assert!(run.uploaded.is_none(), "sarif: false");
    assert_eq!(run.outputs["exit-code"], "0", "{run:#?}");
    // the earlier comment is updated to say the change is now clean
    assert!(
        run.gh_calls
            .iter()
            .any(|c| c.starts_with("api --method PATCH repos/acme/shop/issues/comments/4242")),
        "{:?}",
        run.gh_calls
    );
    assert!(
        run.gh_body
            .as_deref()
            .unwrap()
            .contains("✅ Sluice: no findings in 1 file")
    );
    assert_eq!(run.steps["verdict"].0, 0);
}
