//! The git questions `migrate lint --base` asks, via the `git` command.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .output()
        .context("cannot run `git` (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("git printed a path that is not UTF-8")
}

/// The repository's top directory.
pub fn toplevel(dir: &Path) -> anyhow::Result<PathBuf> {
    Ok(PathBuf::from(
        git(dir, &["rev-parse", "--show-toplevel"])?.trim(),
    ))
}

/// Files added or changed since `base` (`git diff <base>...HEAD`), plus uncommitted and
/// untracked changes, as absolute paths under the repository's top directory.
pub fn changed_since(dir: &Path, base: &str) -> anyhow::Result<Vec<PathBuf>> {
    let top = toplevel(dir)?;
    let range = format!("{base}...HEAD");
    let lists = [
        &["diff", "--name-only", "--no-renames", range.as_str()][..],
        &["diff", "--name-only", "--no-renames", "HEAD"][..],
        &["ls-files", "--others", "--exclude-standard"][..],
    ];
    // the three are independent: run them side by side (a pull request's lint waits on them)
    let outs: Vec<anyhow::Result<String>> = std::thread::scope(|s| {
        let running: Vec<_> = lists
            .iter()
            .map(|args| s.spawn(|| git(&top, args)))
            .collect();
        running
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("git listing thread panicked"))
            })
            .collect()
    });
    let mut names = Vec::new();
    for out in outs {
        let out = out.with_context(|| format!("cannot list the changes since `{base}`"))?;
        names.extend(out.lines().filter(|l| !l.is_empty()).map(|l| top.join(l)));
    }
    names.sort();
    names.dedup();
    Ok(names)
}
