//! The generated files the repository keeps for packagers, shell completions under
//! `completions/` and man pages under `docs/man/`, are what the current command line
//! generates. After changing a command or a flag, rewrite them with
//! `SLUICE_UPDATE_GENERATED=1 cargo nextest run --test it -E 'test(/^generated::/)'`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap_complete::Shell;
use sluice::cli::completions::{file_name, man_pages, script};

use crate::common::repo;

const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// Every generated file by directory, then name.
fn expected() -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
    let completions = SHELLS
        .iter()
        .map(|s| (file_name(*s).to_owned(), script(*s)))
        .collect();
    BTreeMap::from([
        ("completions", completions),
        ("docs/man", man_pages().into_iter().collect()),
    ])
}

#[test]
fn completions_and_man_pages_are_current() {
    let update = std::env::var_os("SLUICE_UPDATE_GENERATED").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    for (dir, files) in expected() {
        let dir = repo().join(dir);
        let on_disk: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        for stale in on_disk.iter().filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_none_or(|n| !files.contains_key(n))
        }) {
            if update {
                std::fs::remove_file(stale).unwrap();
            } else {
                problems.push(format!("{}: no longer generated", stale.display()));
            }
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (name, content) in files {
            let path = dir.join(&name);
            if std::fs::read(&path).ok().as_ref() == Some(&content) {
                continue;
            }
            if update {
                std::fs::write(&path, content).unwrap();
            } else {
                problems.push(format!("{}: out of date or missing", path.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate with SLUICE_UPDATE_GENERATED=1 cargo nextest run --test it -E 'test(/^generated::/)'",
        problems.join("\n")
    );
}

#[test]
fn man_pages_cover_every_command() {
    let pages: Vec<String> = man_pages().into_iter().map(|(n, _)| n).collect();
    for page in [
        "migrate.1",
        "migrate-lint.1",
        "migrate-plan.1",
        "migrate-apply.1",
        "migrate-hook-pre-deploy.1",
        "migrate-completions.1",
        "migrate-lsp.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} in {pages:?}");
    }
    let (_, lint) = man_pages()
        .into_iter()
        .find(|(n, _)| n == "migrate-lint.1")
        .unwrap();
    let lint = String::from_utf8(lint).unwrap();
    assert!(lint.starts_with(".ie \\n(.g .ds Aq \\(aq"), "roff: {lint}");
    assert!(lint.contains("markdown"), "every --format value is listed");
}

/// `migrate completions bash` prints the committed script, and bash loads it: `migrate`
/// then completes with the function it defines.
#[test]
fn bash_completion_loads() {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("migrate"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, script(Shell::Bash));
    let script = repo().join("completions").join(file_name(Shell::Bash));
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p migrate && COMP_WORDS=(migrate li) && COMP_CWORD=1 && _migrate migrate li migrate && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("-F _migrate migrate"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l == "lint"),
        "`li` completes to lint: {stdout}"
    );
}
