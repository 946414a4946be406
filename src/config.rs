//! `sluice.toml`: found by walking up from the working directory, or given with `--config`.
//!
//! Parsing is strict (unknown keys are errors, so typos never pass silently) and every error
//! names the file, line and column.

mod fleet;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::lint::Severity;
use crate::lint::registry;
use crate::lint::settings::{Level, LintSettings, Runner};
pub use crate::run::OutOfOrder;
use crate::run::gates::{self, Gate};
use crate::run::hooks::{self, Hook, HookPoint};
use crate::run::url::DbUrl;
use crate::run::{RunError, Settings};
use crate::source::{LayoutChoice, LineIndex};
use crate::sql::Dialect;
use sluice_core::duration::parse_duration;

pub const FILE_NAME: &str = "sluice.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    Mysql,
    Mariadb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationsConfig {
    pub dir: Option<PathBuf>,
    #[serde(default)]
    pub layout: LayoutChoice,
    #[serde(default)]
    pub out_of_order: OutOfOrder,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    pub fail_on: Option<FailOn>,
    pub runner: Option<Runner>,
    /// Globs (relative to this file's directory) of application code.
    #[serde(default)]
    pub code_paths: Vec<String>,
    /// Globs under `code_paths` not to scan for references (generated code, vendored files).
    #[serde(default)]
    pub code_ignore: Vec<String>,
    #[serde(default)]
    pub rules: BTreeMap<Spanned<String>, Spanned<Level>>,
}

/// `[run]`: read here so typos are caught; the runner consumes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub lock_timeout: Option<String>,
    pub lock_retries: Option<u32>,
    pub statement_timeout: Option<String>,
    pub large_table_rows: Option<u64>,
    /// Shadow-table copy: the duration each copy batch aims at (default 100ms).
    pub shadow_batch_time: Option<String>,
    /// Shadow-table copy: a pause between copy batches (default none).
    pub shadow_pause: Option<String>,
    /// Batched delete: the duration each batch aims at (default 10ms).
    pub delete_batch_time: Option<String>,
    pub ledger_table: Option<String>,
    pub ledger_schema: Option<String>,
    /// MySQL/MariaDB replica URLs whose lag throttles backfills (PostgreSQL asks the primary).
    #[serde(default)]
    pub replicas: Vec<String>,
    /// MySQL: pt-online-schema-change / gh-ost binaries (default: found on PATH).
    pub pt_osc: Option<String>,
    pub gh_ost: Option<String>,
    /// MySQL: pt-online-schema-change's `--alter-foreign-keys-method` for tables other
    /// tables reference (without it such tables are refused).
    pub alter_foreign_keys_method: Option<String>,
    /// MySQL: the duration each pt-online-schema-change copy chunk aims at (default 10ms).
    pub osc_chunk_time: Option<String>,
    /// Lint rules the apply check lets through (recorded as `allowed` events); the only way
    /// in job mode and `migrate serve`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Statements every migration session runs first (after its timeouts).
    #[serde(default)]
    pub init_sql: Vec<String>,
}

/// `[plan]`: choices `migrate plan` makes the same way for every migration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// PostgreSQL `RENAME COLUMN`: `copy` (default) or `view` (see `migrate plan --help`).
    pub rename_column: Option<crate::plan::RenameColumn>,
}

/// `[verify]`: where `migrate verify` creates its scratch database.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// A server and a role that may create databases (never the application's database:
    /// verify creates its own there and drops it).
    pub scratch_url: Option<Spanned<String>>,
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub dialect: Option<Dialect>,
    pub flavour: Option<Flavour>,
    pub server_version: Option<Spanned<String>>,
    #[serde(default)]
    pub migrations: MigrationsConfig,
    #[serde(default)]
    pub lint: LintConfig,
    #[serde(default)]
    pub run: RunConfig,
    #[serde(default)]
    pub plan: PlanConfig,
    #[serde(default)]
    pub verify: VerifyConfig,
    /// Contract gates per environment (`[gates.<env>]`), typed into `Config::gates`.
    #[serde(default)]
    pub gates: BTreeMap<Spanned<String>, Spanned<GateConfig>>,
    #[serde(default)]
    pub hooks: Vec<Spanned<HookConfig>>,
    /// Fleets (`[fleet.<name>]`), typed into `Config::fleets`.
    #[serde(default)]
    pub fleet: BTreeMap<Spanned<String>, Spanned<fleet::FleetConfig>>,
}

/// One gate node as written: `kind = ...` with that kind's keys, or `all` / `any`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    pub kind: Option<Spanned<String>>,
    pub all: Option<Vec<Spanned<GateConfig>>>,
    pub any: Option<Vec<Spanned<GateConfig>>>,
    pub timeout: Option<Spanned<String>>,
    /// `command`
    pub command: Option<Spanned<String>>,
    /// `http`
    pub url: Option<Spanned<String>>,
    pub pointer: Option<Spanned<String>>,
    pub expect: Option<Spanned<toml::Value>>,
    /// `kubernetes`
    pub deployment: Option<Spanned<String>>,
    pub rollout: Option<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    pub kubectl: Option<Spanned<String>>,
    pub context: Option<Spanned<String>>,
}

/// One `[[hooks]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    pub on: Spanned<HookPoint>,
    pub command: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    /// HMAC-SHA256 key of a webhook: a file (relative to sluice.toml) or an env variable.
    pub secret_file: Option<Spanned<PathBuf>>,
    pub secret_env: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
}

/// A loaded configuration and where it came from.
#[derive(Debug, Default)]
pub struct Config {
    /// `None` when no file was found (all defaults).
    pub path: Option<PathBuf>,
    pub file: ConfigFile,
    pub lint: LintSettings,
    /// Typed `[gates.<env>]`.
    pub gates: BTreeMap<String, Gate>,
    /// Typed `[[hooks]]`, in file order.
    pub hooks: Vec<Hook>,
    /// Typed `[fleet.<name>]`.
    pub fleets: BTreeMap<String, crate::run::fleet::FleetSpec>,
}

impl Config {
    /// The directory relative paths in the file are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_ref()
            .and_then(|p| p.parent())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// The gate of an environment (`--env` / `SLUICE_ENV`): without one, `[gates.default]`,
    /// else `recorded` alone. A named environment must be configured when any is.
    pub fn gate(&self, env: Option<&str>) -> Result<Gate, String> {
        match env.filter(|e| !e.is_empty()) {
            Some(e) if !self.gates.is_empty() => self.gates.get(e).cloned().ok_or_else(|| {
                format!(
                    "{}: no [gates.{e}]; configured environments: {}",
                    self.path
                        .as_deref()
                        .map_or_else(|| FILE_NAME.into(), |p| p.display().to_string()),
                    self.gates.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }),
            _ => Ok(self.gates.get("default").cloned().unwrap_or_default()),
        }
    }

    /// The migrations directory: `migrations.dir` (relative to the config file), else `./migrations`.
    pub fn migrations_dir(&self) -> PathBuf {
        match &self.file.migrations.dir {
            Some(d) if d.is_absolute() => d.clone(),
            Some(d) => {
                let base = self.base_dir();
                if base == Path::new(".") || base.as_os_str().is_empty() {
                    d.clone()
                } else {
                    base.join(d)
                }
            }
            None => PathBuf::from("migrations"),
        }
    }
}

/// Find `sluice.toml` in `start` or any parent directory.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Load the config: `explicit` if given (must exist), else the nearest `sluice.toml` above `cwd`.
pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => find(cwd),
    };
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Io {
        path: path.clone(),
        message: e.to_string(),
    })?;
    parse(&path, &text)
}

/// Parse and validate a config text.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let index = LineIndex::new(text);
    let invalid = |offset: usize, message: String| {
        let pos = index.line_col(text, offset);
        ConfigError::Invalid {
            path: path.to_owned(),
            line: pos.line,
            column: pos.column,
            message,
        }
    };
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        invalid(offset, e.message().trim().to_owned())
    })?;

    let mut lint = LintSettings::default();
    if let Some(d) = file.dialect {
        lint.dialect = d;
    }
    lint.mariadb = file.flavour == Some(Flavour::Mariadb);
    if let Some(v) = &file.server_version {
        lint.server_version = parse_version(v.get_ref(), lint.dialect).ok_or_else(|| {
            invalid(
                v.span().start,
                format!(
                    "invalid server_version `{}`: expected e.g. \"15\" or \"8.0\"",
                    v.get_ref()
                ),
            )
        })?;
        // MySQL verdicts change within a series (8.0.12, 8.0.29): keep the patch release
        if lint.dialect == Dialect::Mysql {
            lint.server_patch = v
                .get_ref()
                .trim()
                .split('.')
                .nth(2)
                .and_then(|p| p.parse().ok());
        }
    } else if lint.dialect == Dialect::Mysql {
        lint.server_version = if lint.mariadb { 1011 } else { 80 };
    }
    if let Some(r) = file.lint.runner {
        lint.runner = r;
    }
    if let Some(n) = file.run.large_table_rows {
        lint.large_table_rows = n;
    }
    if let Some(f) = file.lint.fail_on {
        lint.fail_on = match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        };
    }
    for (name, level) in &file.lint.rules {
        let Some(rule) = registry::lookup(name.get_ref()) else {
            return Err(invalid(
                name.span().start,
                unknown_rule_message(name.get_ref()),
            ));
        };
        lint.levels.insert(rule.meta().id, *level.get_ref());
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut gates = BTreeMap::new();
    for (env, g) in &file.gates {
        gates.insert(env.get_ref().clone(), typed_gate(g, &invalid)?);
    }
    if let Some(u) = &file.verify.scratch_url {
        DbUrl::parse(u.get_ref())
            .map_err(|e| invalid(u.span().start, format!("[verify] scratch_url: {e}")))?;
    }
    let hooks = file
        .hooks
        .iter()
        .map(|h| typed_hook(h, base, &invalid))
        .collect::<Result<Vec<_>, _>>()?;
    let mut fleets = BTreeMap::new();
    for (name, f) in &file.fleet {
        fleets.insert(
            name.get_ref().clone(),
            fleet::typed_fleet(name, f, &invalid)?,
        );
    }
    Ok(Config {
        path: Some(path.to_owned()),
        file,
        lint,
        gates,
        hooks,
        fleets,
    })
}

fn duration_key(
    v: Option<&Spanned<String>>,
    default: Duration,
    invalid: &dyn Fn(usize, String) -> ConfigError,
) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(default),
        Some(t) => match sluice_core::duration::parse_duration(t.get_ref()) {
            Ok(d) if !d.is_zero() => Ok(d),
            Ok(_) => Err(invalid(
                t.span().start,
                "`timeout` must be more than 0".into(),
            )),
            Err(e) => Err(invalid(t.span().start, format!("`timeout`: {e}"))),
        },
    }
}

/// Check a gate node's keys against its kind and type it.
fn typed_gate(
    node: &Spanned<GateConfig>,
    invalid: &dyn Fn(usize, String) -> ConfigError,
) -> Result<Gate, ConfigError> {
    let g = node.get_ref();
    let at = node.span().start;
    let present: Vec<(&str, Option<usize>)> = vec![
        ("timeout", g.timeout.as_ref().map(|v| v.span().start)),
        ("command", g.command.as_ref().map(|v| v.span().start)),
        ("url", g.url.as_ref().map(|v| v.span().start)),
        ("pointer", g.pointer.as_ref().map(|v| v.span().start)),
        ("expect", g.expect.as_ref().map(|v| v.span().start)),
        ("deployment", g.deployment.as_ref().map(|v| v.span().start)),
        ("rollout", g.rollout.as_ref().map(|v| v.span().start)),
        ("namespace", g.namespace.as_ref().map(|v| v.span().start)),
        ("kubectl", g.kubectl.as_ref().map(|v| v.span().start)),
        ("context", g.context.as_ref().map(|v| v.span().start)),
    ];
    let only = |kind: &str, allowed: &[&str]| -> Result<(), ConfigError> {
        for (key, pos) in &present {
            if let Some(p) = pos
                && !allowed.contains(key)
            {
                return Err(invalid(
                    *p,
                    format!(
                        "`{key}` does not belong to a `{kind}` gate (its keys: {})",
                        if allowed.is_empty() {
                            "none".to_owned()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    };
    let list = |v: &Vec<Spanned<GateConfig>>| -> Result<Vec<Gate>, ConfigError> {
        v.iter().map(|c| typed_gate(c, invalid)).collect()
    };
    let required =
        |v: &Option<Spanned<String>>, key: &str, kind: &str| -> Result<String, ConfigError> {
            match v {
                Some(s) if !s.get_ref().trim().is_empty() => Ok(s.get_ref().clone()),
                Some(s) => Err(invalid(s.span().start, format!("`{key}` is empty"))),
                None => Err(invalid(at, format!("a `{kind}` gate needs `{key}`"))),
            }
        };
    match (&g.kind, &g.all, &g.any) {
        (None, Some(all), None) => {
            only("all", &[])?;
            Ok(Gate::All(list(all)?))
        }
        (None, None, Some(any)) => {
            only("any", &[])?;
            Ok(Gate::Any(list(any)?))
        }
        (Some(kind), None, None) => {
            let timeout = duration_key(g.timeout.as_ref(), gates::DEFAULT_TIMEOUT, invalid)?;
            match kind.get_ref().as_str() {
                "recorded" => {
                    only("recorded", &[])?;
                    Ok(Gate::Recorded)
                }
                "command" => {
                    only("command", &["command", "timeout"])?;
                    Ok(Gate::Command(gates::CommandGate {
                        command: required(&g.command, "command", "command")?,
                        timeout,
                    }))
                }
                "http" => {
                    only("http", &["url", "pointer", "expect", "timeout"])?;
                    let url = required(&g.url, "url", "http")?;
                    if let Some(u) = &g.url
                        && reqwest::Url::parse(&url).is_err()
                    {
                        return Err(invalid(u.span().start, "`url` is not a URL".into()));
                    }
                    let pointer = match &g.pointer {
                        Some(p) if !(p.get_ref().is_empty() || p.get_ref().starts_with('/')) => {
                            return Err(invalid(
                                p.span().start,
                                "`pointer` is an RFC 6901 JSON pointer: empty or starting with `/`, e.g. \"/status/version\"".into(),
                            ));
                        }
                        p => p.as_ref().map(|p| p.get_ref().clone()),
                    };
                    if let Some(e) = &g.expect
                        && pointer.is_none()
                    {
                        return Err(invalid(e.span().start, "`expect` needs a `pointer`".into()));
                    }
                    let expect = match &g.expect {
                        Some(e) => Some(serde_json::to_value(e.get_ref()).map_err(|err| {
                            invalid(e.span().start, format!("`expect`: {err}"))
                        })?),
                        None => None,
                    };
                    Ok(Gate::Http(gates::HttpGate {
                        url,
                        pointer,
                        expect,
                        timeout,
                    }))
                }
                "kubernetes" => {
                    only(
                        "kubernetes",
                        &["deployment", "rollout", "namespace", "kubectl", "context", "timeout"],
                    )?;
                    let (kind, name) = match (&g.deployment, &g.rollout) {
                        (Some(_), None) => (
                            gates::KubeKind::Deployment,
                            required(&g.deployment, "deployment", "kubernetes")?,
                        ),
                        (None, Some(_)) => (
                            gates::KubeKind::Rollout,
                            required(&g.rollout, "rollout", "kubernetes")?,
                        ),
                        _ => {
                            return Err(invalid(
                                at,
                                "a `kubernetes` gate needs exactly one of `deployment` (a Deployment) or `rollout` (an Argo Rollout)".into(),
                            ));
                        }
                    };
                    Ok(Gate::Kubernetes(gates::KubernetesGate {
                        kind,
                        name,
                        namespace: g
                            .namespace
                            .as_ref()
                            .map_or_else(|| "default".to_owned(), |n| n.get_ref().clone()),
                        kubectl: g
                            .kubectl
                            .as_ref()
                            .map_or_else(|| "kubectl".to_owned(), |n| n.get_ref().clone()),
                        context: g.context.as_ref().map(|c| c.get_ref().clone()),
                        timeout,
                    }))
                }
                other => Err(invalid(
                    kind.span().start,
                    format!(
                        "unknown gate kind `{other}`; kinds: recorded, command, http, kubernetes (combine with `all = [...]` / `any = [...]`)"
                    ),
                )),
            }
        }
        _ => Err(invalid(
            at,
            "a gate is either `kind = \"recorded\" | \"command\" | \"http\" | \"kubernetes\"` with its keys, or `all = [...]`, or `any = [...]`".into(),
        )),
    }
}

fn typed_hook(
    h: &Spanned<HookConfig>,
    base: &Path,
    invalid: &dyn Fn(usize, String) -> ConfigError,
) -> Result<Hook, ConfigError> {
    let c = h.get_ref();
    let at = h.span().start;
    let timeout = duration_key(c.timeout.as_ref(), hooks::DEFAULT_TIMEOUT, invalid)?;
    let action = match (&c.command, &c.url) {
        (Some(cmd), None) => {
            if let Some(s) = c
                .secret_file
                .as_ref()
                .map(|s| s.span().start)
                .or(c.secret_env.as_ref().map(|s| s.span().start))
            {
                return Err(invalid(
                    s,
                    "a command hook has no secret (only webhooks are signed)".into(),
                ));
            }
            if cmd.get_ref().trim().is_empty() {
                return Err(invalid(cmd.span().start, "`command` is empty".into()));
            }
            hooks::Action::Command(cmd.get_ref().clone())
        }
        (None, Some(url)) => {
            if reqwest::Url::parse(url.get_ref()).is_err() {
                return Err(invalid(url.span().start, "`url` is not a URL".into()));
            }
            let key = match (&c.secret_file, &c.secret_env) {
                (Some(f), None) => Some(hooks::KeySource::File(base.join(f.get_ref()))),
                (None, Some(e)) => Some(hooks::KeySource::Env(e.get_ref().clone())),
                (None, None) => None,
                (Some(_), Some(e)) => {
                    return Err(invalid(
                        e.span().start,
                        "give `secret_file` or `secret_env`, not both".into(),
                    ));
                }
            };
            hooks::Action::Webhook {
                url: url.get_ref().clone(),
                key,
            }
        }
        _ => {
            return Err(invalid(
                at,
                "a hook needs exactly one of `command` (run with sh -c) or `url` (a webhook)"
                    .into(),
            ));
        }
    };
    Ok(Hook {
        on: *c.on.get_ref(),
        action,
        timeout,
    })
}

/// "unknown rule `x`" with the closest known id, for config and CLI errors.
pub fn unknown_rule_message(name: &str) -> String {
    let best = registry::closest(
        name,
        registry::all()
            .iter()
            .flat_map(|r| std::iter::once(r.meta().id).chain(r.meta().aliases.iter().copied())),
    );
    match best {
        Some(id) => {
            format!("unknown rule `{name}` (did you mean `{id}`?); `migrate rules` lists them")
        }
        None => format!("unknown rule `{name}`; `migrate rules` lists them"),
    }
}

/// Rule names (ids or squawk aliases) for the apply check to let through, resolved to ids.
pub fn allow_list<'a>(
    names: impl IntoIterator<Item = &'a str>,
    source: sluice_run::AllowSource,
) -> Result<Vec<sluice_run::Allow>, String> {
    let mut out: Vec<sluice_run::Allow> = Vec::new();
    for name in names {
        let rule = registry::lookup(name.trim())
            .ok_or_else(|| unknown_rule_message(name.trim()))?
            .meta()
            .id;
        if !out.iter().any(|a| a.rule == rule) {
            out.push(sluice_run::Allow { rule, source });
        }
    }
    Ok(out)
}

/// PostgreSQL "15" / "15.4" -> 15; MySQL "8.0" -> 80, "8.0.29" -> 80; MariaDB "10.11" -> 1011.
fn parse_version(v: &str, dialect: Dialect) -> Option<u32> {
    let mut parts = v.trim().split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    match dialect {
        Dialect::Postgres => Some(major),
        Dialect::Mysql if major >= 10 => Some(major * 100 + minor),
        Dialect::Mysql => Some(major * 10 + minor),
    }
}

/// Longest lock or statement timeout a server takes: 2^31 - 1 ms (about 24.8 days).
const MAX_SERVER_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// `[run]` and `migrations.out_of_order` from sluice.toml, resolved into the runner's settings.
pub fn run_settings(run: &RunConfig, out_of_order: OutOfOrder) -> Result<Settings, RunError> {
    let dur = |key: &str, v: &Option<String>| -> Result<Option<Duration>, RunError> {
        v.as_deref()
            .map(|s| {
                parse_duration(s).map_err(|e| {
                    RunError::Config(format!("sluice.toml: [run] {key} = \"{s}\": {e}"))
                })
            })
            .transpose()
    };
    let mut s = Settings {
        out_of_order,
        ledger_schema: run.ledger_schema.clone(),
        ledger_table: run.ledger_table.clone(),
        ..Settings::default()
    };
    // the servers take these in milliseconds as a 32-bit integer (PostgreSQL's GUC limit)
    let at_most = |key: &str, v: &Option<String>, d: Duration| {
        if d > MAX_SERVER_TIMEOUT {
            return Err(RunError::Config(format!(
                "sluice.toml: [run] {key} = \"{}\": at most 24 days (the server's limit)",
                v.as_deref().unwrap_or_default()
            )));
        }
        Ok(d)
    };
    if let Some(d) = dur("lock_timeout", &run.lock_timeout)? {
        if d.is_zero() {
            // PostgreSQL reads 0 as "wait for ever": a DDL would queue behind any transaction
            return Err(RunError::Config(format!(
                "sluice.toml: [run] lock_timeout = \"{}\": must be more than zero (0 would wait for ever behind any transaction); e.g. \"2s\"",
                run.lock_timeout.as_deref().unwrap_or_default()
            )));
        }
        s.lock_timeout = at_most("lock_timeout", &run.lock_timeout, d)?;
    }
    // "0" or "off" means no statement timeout
    s.statement_timeout = dur("statement_timeout", &run.statement_timeout)?
        .filter(|d| !d.is_zero())
        .map(|d| at_most("statement_timeout", &run.statement_timeout, d))
        .transpose()?;
    if let Some(r) = run.lock_retries {
        s.retry.retries = r;
    }
    if let Some(n) = run.large_table_rows {
        s.large_table_rows = n;
    }
    s.pt_osc = run.pt_osc.as_ref().map(std::path::PathBuf::from);
    s.gh_ost = run.gh_ost.as_ref().map(std::path::PathBuf::from);
    if let Some(m) = &run.alter_foreign_keys_method {
        if !["auto", "rebuild_constraints", "drop_swap", "none"].contains(&m.as_str()) {
            return Err(RunError::Config(format!(
                "sluice.toml: [run] alter_foreign_keys_method = \"{m}\": expected auto, rebuild_constraints, drop_swap or none (pt-online-schema-change's --alter-foreign-keys-method)"
            )));
        }
        s.alter_foreign_keys_method = Some(m.clone());
    }
    if let Some(d) = dur("shadow_batch_time", &run.shadow_batch_time)? {
        s.shadow_batch_time = d.max(Duration::from_millis(1));
    }
    if let Some(d) = dur("shadow_pause", &run.shadow_pause)? {
        s.shadow_pause = d;
    }
    if let Some(d) = dur("delete_batch_time", &run.delete_batch_time)? {
        s.delete_batch_time = d.max(Duration::from_millis(1));
    }
    for (i, sql) in run.init_sql.iter().enumerate() {
        if sql.trim().is_empty() {
            return Err(RunError::Config(format!(
                "sluice.toml: [run] init_sql[{i}] is empty: give one SQL statement each, or remove it"
            )));
        }
    }
    s.init_sql = run.init_sql.clone();
    if let Some(d) = dur("osc_chunk_time", &run.osc_chunk_time)? {
        // pt-online-schema-change takes seconds with three decimals
        s.osc_chunk_time = d.max(Duration::from_millis(1));
    }
    s.allow = allow_list(
        run.allow.iter().map(String::as_str),
        sluice_run::AllowSource::Config,
    )
    .map_err(|e| RunError::Config(format!("sluice.toml: [run] allow: {e}")))?;
    for r in &run.replicas {
        s.replicas.push(
            DbUrl::parse(r)
                .map_err(|e| RunError::Config(format!("sluice.toml: [run] replicas: {e}")))?,
        );
    }
    Ok(s)
}

#[cfg(test)]
mod tests {

    #[test]
    fn shadow_copy_settings() {
        let run = RunConfig {
            shadow_batch_time: Some("20ms".into()),
            shadow_pause: Some("5ms".into()),
            delete_batch_time: Some("25ms".into()),
            ..RunConfig::default()
        };
        let s = run_settings(&run, OutOfOrder::Strict).unwrap();
        assert_eq!(s.shadow_batch_time, Duration::from_millis(20));
        assert_eq!(s.shadow_pause, Duration::from_millis(5));
        assert_eq!(s.delete_batch_time, Duration::from_millis(25));
        let bad = RunConfig {
            shadow_batch_time: Some("fast".into()),
            ..RunConfig::default()
        };
        let e = run_settings(&bad, OutOfOrder::Strict).unwrap_err();
        assert!(
            e.to_string().contains("[run] shadow_batch_time = \"fast\""),
            "{e}"
        );
    }
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("sluice.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn full_shape_parses() {
        let text = r#"
dialect = "postgres"
server_version = "15"
[migrations]
dir = "db/migrations"
layout = "auto"
out_of_order = "strict"
[lint]
fail_on = "warning"
runner = "sluice"
code_paths = ["src/**"]
[lint.rules]
ban-drop-column = "warning"
adding-foreign-key-constraint = "off"
[run]
lock_timeout = "2s"
lock_retries = 10
large_table_rows = 100000
[gates.production]
all = [{ kind = "recorded" }]
[[hooks]]
on = "before-contract"
command = "./notify.sh"
"#;
        let c = parse(Path::new("conf/sluice.toml"), text).unwrap();
        assert_eq!(c.lint.fail_on, Severity::Warning);
        assert_eq!(c.lint.levels.get("ban-drop-column"), Some(&Level::Warning));
        assert_eq!(c.migrations_dir(), Path::new("conf/db/migrations"));
        assert_eq!(c.gates["production"], Gate::All(vec![Gate::Recorded]));
        assert_eq!(c.hooks.len(), 1);
        assert_eq!(c.hooks[0].on, HookPoint::BeforeContract);
    }

    #[test]
    fn plan_choices() {
        let c = parse(
            Path::new("sluice.toml"),
            "[plan]\nrename_column = \"view\"\n",
        )
        .unwrap();
        assert_eq!(
            c.file.plan.rename_column,
            Some(crate::plan::RenameColumn::View)
        );
        let c = parse(Path::new("sluice.toml"), "").unwrap();
        assert_eq!(c.file.plan.rename_column, None);
        let e = err("[plan]\nrename_column = \"alias\"\n");
        assert!(
            e.contains("sluice.toml:2")
                && e.contains("unknown variant `alias`, expected `copy` or `view`"),
            "{e}"
        );
    }

    #[test]
    fn gates_and_hooks_are_typed() {
        let text = r#"
[gates.production]
all = [{ kind = "recorded" }, { kind = "kubernetes", deployment = "api", namespace = "prod" }]
[gates.default]
any = [
  { kind = "http", url = "https://api.example.com/version", pointer = "/min_version", expect = 42, timeout = "3s" },
  { kind = "command", command = "true" },
]
[[hooks]]
on = "after-contract"
url = "https://hooks.example.com/sluice"
secret_file = "keys/hook.key"
timeout = "5s"
"#;
        let c = parse(Path::new("conf/sluice.toml"), text).unwrap();
        let Gate::All(all) = &c.gates["production"] else {
            panic!("{:?}", c.gates)
        };
        assert_eq!(
            all[1],
            Gate::Kubernetes(gates::KubernetesGate {
                kind: gates::KubeKind::Deployment,
                name: "api".into(),
                namespace: "prod".into(),
                kubectl: "kubectl".into(),
                context: None,
                timeout: gates::DEFAULT_TIMEOUT,
            })
        );
        let Gate::Any(any) = &c.gates["default"] else {
            panic!()
        };
        assert_eq!(
            any[0],
            Gate::Http(gates::HttpGate {
                url: "https://api.example.com/version".into(),
                pointer: Some("/min_version".into()),
                expect: Some(serde_json::json!(42)),
                timeout: Duration::from_secs(3),
            })
        );
        assert_eq!(c.gate(None).unwrap(), c.gates["default"]);
        assert_eq!(c.gate(Some("production")).unwrap(), c.gates["production"]);
        assert!(
            c.gate(Some("prod"))
                .unwrap_err()
                .contains("no [gates.prod]")
        );
        assert_eq!(
            c.hooks[0].action,
            hooks::Action::Webhook {
                url: "https://hooks.example.com/sluice".into(),
                key: Some(hooks::KeySource::File(PathBuf::from("conf/keys/hook.key"))),
            }
        );
        // no gates configured: `recorded` whatever the environment
        let none = parse(Path::new("sluice.toml"), "").unwrap();
        assert_eq!(none.gate(Some("production")).unwrap(), Gate::Recorded);
        let e = err("[gates.x]\nkind = \"command\"\ncommand = \"true\"\ntimeout = \"soon\"\n");
        assert!(
            e.starts_with("sluice.toml:4:11: `timeout`: not a duration"),
            "{e}"
        );
        let e = err("[[hooks]]\non = \"after-expand\"\ncommand = \"x\"\nsecret_env = \"K\"\n");
        assert!(
            e.starts_with("sluice.toml:4:14: a command hook has no secret"),
            "{e}"
        );
    }

    #[test]
    fn unknown_rule_names_line_and_column() {
        let e = err("[lint.rules]\nban-drop-colum = \"off\"\n");
        assert!(
            e.starts_with(
                "sluice.toml:2:1: unknown rule `ban-drop-colum` (did you mean `ban-drop-column`?)"
            ),
            "{e}"
        );
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        assert!(
            err("dialekt = \"postgres\"").starts_with("sluice.toml:1:1: unknown field `dialekt`")
        );
        let e = err("dialect = \"oracle\"");
        assert!(
            e.starts_with("sluice.toml:1:11: unknown variant `oracle`"),
            "{e}"
        );
        let e = err("[lint.rules]\nsyntax-error = \"loud\"");
        assert!(e.starts_with("sluice.toml:2:16:"), "{e}");
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("15.4", Dialect::Postgres), Some(15));
        assert_eq!(parse_version("8.0.29", Dialect::Mysql), Some(80));
        assert_eq!(parse_version("10.11", Dialect::Mysql), Some(1011));
        assert_eq!(parse_version("x", Dialect::Postgres), None);
    }

    #[test]
    fn mysql_patch_release_and_flavour() {
        let c = parse(
            Path::new("sluice.toml"),
            "dialect = \"mysql\"\nserver_version = \"8.0.28\"\n",
        )
        .unwrap();
        let server = c.lint.mysql_server();
        assert_eq!((server.mariadb, server.major, server.minor), (false, 8, 0));
        assert_eq!(server.patch, Some(28));
        assert!(!server.at_least(8, 0, 29));
        let c = parse(
            Path::new("sluice.toml"),
            "dialect = \"mysql\"\nflavour = \"mariadb\"\n",
        )
        .unwrap();
        assert_eq!(c.lint.mysql_server().to_string(), "MariaDB 10.11");
        let c = parse(Path::new("sluice.toml"), "dialect = \"mysql\"\n").unwrap();
        // "8.0" without a patch release: the latest 8.0
        assert!(c.lint.mysql_server().at_least(8, 0, 29));
    }
}
