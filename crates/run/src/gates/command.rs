//! `command` gate: holds when a shell command exits 0 within its timeout.

use std::time::Duration;

use super::{Verdict, last_line};

#[derive(Debug, Clone, PartialEq)]
pub struct CommandGate {
    /// Run with `sh -c`.
    pub command: String,
    pub timeout: Duration,
}

pub use crate::process::SECRET_ENV;

/// The outcome of one shell command.
pub(crate) struct Ran {
    pub(crate) ok: bool,
    /// Why it failed, in words.
    pub(crate) why: String,
}

/// Run `command` with `sh -c`, extra environment, no secrets inherited (`SECRET_ENV` and
/// `hide`); killed at `timeout`.
pub(crate) async fn run_shell(
    command: &str,
    env: &[(String, String)],
    hide: &[&str],
    timeout: Duration,
) -> Ran {
    let mut cmd = crate::process::command("sh", hide);
    cmd.arg("-c")
        .arg(command)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Ran {
                ok: false,
                why: format!("cannot start `sh`: {e}"),
            };
        }
    };
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => Ran {
            ok: false,
            why: format!(
                "did not finish within {} (killed)",
                humantime::format_duration(timeout)
            ),
        },
        Ok(Err(e)) => Ran {
            ok: false,
            why: format!("cannot wait for it: {e}"),
        },
        Ok(Ok(out)) => {
            let status = match out.status.code() {
                Some(c) => format!("exit {c}"),
                None => "killed by a signal".to_owned(),
            };
            let said = last_line(&String::from_utf8_lossy(&out.stderr));
            let said = if said.is_empty() {
                last_line(&String::from_utf8_lossy(&out.stdout))
            } else {
                said
            };
            Ran {
                ok: out.status.success(),
                why: if said.is_empty() {
                    status
                } else {
                    format!("{status}: {said}")
                },
            }
        }
    }
}

impl CommandGate {
    pub fn label(&self) -> String {
        format!("command `{}`", self.command)
    }

    pub async fn check(&self) -> Verdict {
        let r = run_shell(&self.command, &[], &[], self.timeout).await;
        Verdict::leaf(self.label(), r.ok, r.why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exit_status_decides() {
        let ok = CommandGate {
            command: "true".into(),
            timeout: Duration::from_secs(10),
        };
        let v = ok.check().await;
        assert!(v.holds, "{v:?}");
        assert_eq!(v.why, "exit 0");
        let no = CommandGate {
            command: "echo 'not rolled out' >&2; exit 4".into(),
            timeout: Duration::from_secs(10),
        };
        let v = no.check().await;
        assert!(!v.holds);
        assert_eq!(v.why, "exit 4: not rolled out");
        let slow = CommandGate {
            command: "sleep 5".into(),
            timeout: Duration::from_millis(100),
        };
        let v = slow.check().await;
        assert!(!v.holds);
        assert!(v.why.contains("did not finish within 100ms"), "{}", v.why);
    }
}
