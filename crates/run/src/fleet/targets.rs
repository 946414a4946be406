//! Where a fleet's targets come from: a static list, a command printing one per line, or a
//! query on a catalog database; as database URLs, or as PostgreSQL schemas of one database
//! (`schemas_in`). The result is deduplicated and sorted, so every process (and every
//! shard) sees the same targets in the same order.

use std::fmt;
use std::time::Duration;

use super::super::driver;
use super::super::url::DbUrl;
use super::super::{RunError, process};

/// How long a `command` may take to list the targets.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the targets are listed.
#[derive(Debug, Clone)]
pub enum Source {
    /// `urls = [...]` (or `schemas = [...]`).
    List(Vec<String>),
    /// `command = "..."`: run with `sh -c`, one target per line of its output.
    Command(String),
    /// `query = "..."`: run on the catalog database, the first column of each row.
    Query(String),
}

/// One database (or one schema of a database) the fleet migrates.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: DbUrl,
    /// Schema-per-tenant: the tenant's schema, first on the `search_path`, with its own ledger.
    pub schema: Option<String>,
}

impl fmt::Display for Target {
    /// The redacted URL (and `#schema`): never a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{}#{s}", self.url),
            None => write!(f, "{}", self.url),
        }
    }
}

impl Target {
    /// The URL the engine connects with: a schema target sets the session's `search_path`
    /// through the connection's startup options.
    pub fn connect_url(&self) -> Result<DbUrl, RunError> {
        match &self.schema {
            None => Ok(self.url.clone()),
            Some(s) => self.url.with_search_path(s),
        }
    }
}

/// The lines of a command's output or a query's rows, as targets.
pub(super) fn parse_lines(
    lines: impl IntoIterator<Item = String>,
    schemas_in: Option<&DbUrl>,
    origin: &str,
) -> Result<Vec<Target>, RunError> {
    let mut out = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        out.push(match schemas_in {
            Some(db) => {
                if t.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                    return Err(RunError::Config(format!(
                        "{origin}, line {}: `{t}` is not a schema name",
                        i + 1
                    )));
                }
                Target {
                    url: db.clone(),
                    schema: Some(t.to_owned()),
                }
            }
            None => Target {
                url: DbUrl::parse(t)
                    .map_err(|e| RunError::Config(format!("{origin}, line {}: {e}", i + 1)))?,
                schema: None,
            },
        });
    }
    Ok(out)
}

/// Sort by the redacted URL and schema, drop duplicates; all targets on one kind of server.
pub(super) fn settle(mut targets: Vec<Target>, fleet: &str) -> Result<Vec<Target>, RunError> {
    targets.sort_by_cached_key(|t| (t.url.to_string(), t.schema.clone()));
    targets.dedup_by(|a, b| a.url.to_string() == b.url.to_string() && a.schema == b.schema);
    if targets.is_empty() {
        return Err(RunError::Config(format!(
            "fleet {fleet}: no targets (its list, command or query gave none)"
        )));
    }
    if let Some(other) = targets
        .iter()
        .find(|t| t.url.dialect() != targets[0].url.dialect())
    {
        return Err(RunError::Config(format!(
            "fleet {fleet}: {other} is not the same kind of server as {}; a fleet is one dialect",
            targets[0]
        )));
    }
    Ok(targets)
}

/// Run `command` with `sh -c` (no secrets inherited) and return its stdout lines.
pub(super) async fn command_lines(command: &str, fleet: &str) -> Result<Vec<String>, RunError> {
    let mut cmd = process::command("sh", &[]);
    cmd.arg("-c")
        .arg(command)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().map_err(|e| {
        RunError::Config(format!(
            "fleet {fleet}: cannot start `sh` for its command: {e}"
        ))
    })?;
    let out = match tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output()).await {
        Err(_) => {
            return Err(RunError::Config(format!(
                "fleet {fleet}: its command did not finish within {} (killed)",
                humantime::format_duration(COMMAND_TIMEOUT)
            )));
        }
        Ok(Err(e)) => {
            return Err(RunError::Config(format!(
                "fleet {fleet}: cannot wait for its command: {e}"
            )));
        }
        Ok(Ok(o)) => o,
    };
    if !out.status.success() {
        let said = super::super::gates::last_line(&String::from_utf8_lossy(&out.stderr));
        return Err(RunError::Config(format!(
            "fleet {fleet}: its command failed ({}){}",
            out.status
                .code()
                .map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit {c}")),
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Run `sql` on the catalog database; the first column of every row.
pub(super) async fn query_lines(
    catalog: &DbUrl,
    sql: &str,
    fleet: &str,
) -> Result<Vec<String>, RunError> {
    let mut conn = driver::connect(catalog).await.map_err(|e| {
        RunError::Db(format!(
            "fleet {fleet}: cannot reach the catalog database {catalog}: {}",
            catalog.scrub(&e.message)
        ))
    })?;
    let rows = conn.query_text(sql).await;
    let _ = conn.close().await;
    let rows = rows.map_err(|e| {
        RunError::Db(format!(
            "fleet {fleet}: its query on {catalog} failed: {} (it must return the targets as text in its first column)",
            catalog.scrub(&e.message)
        ))
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_sorted_unique_targets() {
        let lines = [
            "postgres://app:pw@db2/b",
            "",
            "# a comment",
            "postgres://app:pw@db1/a",
            "  postgres://app:pw@db2/b  ",
        ]
        .map(String::from);
        let t = settle(parse_lines(lines, None, "command").unwrap(), "f").unwrap();
        let shown: Vec<String> = t.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["postgres://app:***@db1/a", "postgres://app:***@db2/b"]
        );
        let e = parse_lines(["nonsense".to_owned()], None, "fleet f: command")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("fleet f: command, line 1:"), "{e}");
        assert!(settle(Vec::new(), "f").is_err());
        let mixed = parse_lines(
            ["postgres://h/a".to_owned(), "mysql://h/b".to_owned()],
            None,
            "x",
        )
        .unwrap();
        assert!(
            settle(mixed, "f")
                .unwrap_err()
                .to_string()
                .contains("one dialect")
        );
    }

    #[test]
    fn schema_lines() {
        let db = DbUrl::parse("postgres://app:pw@h/app").unwrap();
        let t = parse_lines(["tenant_2".into(), "tenant_1".into()], Some(&db), "x").unwrap();
        let t = settle(t, "f").unwrap();
        assert_eq!(t[0].to_string(), "postgres://app:***@h/app#tenant_1");
        assert!(parse_lines(["a b".into()], Some(&db), "x").is_err());
    }
}
