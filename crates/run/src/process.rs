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
}
