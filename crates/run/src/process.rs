//! The one place the runner starts child processes: pg_repack, pt-online-schema-change,
//! gh-ost, kubectl, and the shell of hook and gate commands. Every child starts without the
//! secrets of this process ([`SECRET_ENV`], and what the configuration names, such as a
//! hook's `secret_env`), with stdin closed, and is killed when its handle is dropped unless
//! it is meant to outlive the run (gh-ost waiting for its cut-over).

use std::ffi::OsStr;

/// Environment variables a child process never inherits (they hold secrets).
pub const SECRET_ENV: &[&str] = &["DATABASE_URL", "SLUICE_TOKEN", "SLUICE_HMAC_KEY"];

/// Variables of the database clients that may carry a password, also scrubbed (a tool is
/// given its own password explicitly, never by inheritance).
const CLIENT_SECRETS: &[&str] = &["PGPASSWORD", "MYSQL_PWD"];

/// A command for `program`, scrubbed of the secrets and of `hide`; stdin closed, killed on
/// drop. Callers add arguments, pipes and the variables the tool needs.
pub fn command(program: impl AsRef<OsStr>, hide: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
    for k in SECRET_ENV.iter().chain(CLIENT_SECRETS).chain(hide) {
        cmd.env_remove(k);
    }
    cmd
}

/// Like [`command`], for a tool that must end with this process: a runner killed with
/// SIGKILL runs no destructor, so `kill_on_drop` never fires and the tool would go on alone
/// (a pt-online-schema-change swapping tables while the next run starts over). On Linux,
/// with util-linux's `setpriv` installed, the tool starts through `setpriv --pdeathsig
/// KILL`: the kernel kills it when its parent dies.
pub fn tied_command(program: impl AsRef<OsStr>, hide: &[&str]) -> tokio::process::Command {
    match setpriv() {
        Some(setpriv) => {
            let mut cmd = command(setpriv, hide);
            cmd.args(["--pdeathsig", "KILL", "--"]).arg(program);
            cmd
        }
        None => command(program, hide),
    }
}

/// `setpriv` on the PATH (Linux only).
fn setpriv() -> Option<&'static std::path::Path> {
    static FOUND: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            if !cfg!(target_os = "linux") {
                return None;
            }
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("setpriv"))
                    .find(|p| p.is_file())
            })
        })
        .as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_removed_from_the_child() {
        let cmd = command("sh", &["HOOK_SECRET"]);
        let removed: Vec<String> = cmd
            .as_std()
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        for k in SECRET_ENV
            .iter()
            .chain(CLIENT_SECRETS)
            .chain(&["HOOK_SECRET"])
        {
            assert!(
                removed.iter().any(|r| r == k),
                "{k} is inherited: {removed:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_tied_tool_runs_with_its_arguments() {
        let out = tied_command("echo", &[])
            .arg("copied")
            .stdout(std::process::Stdio::piped())
            .output()
            .await
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "copied\n");
    }
}
