//! `[fleet.<name>]`: a fleet's targets and waves, typed into `run::fleet::FleetSpec`.
//! Strict like the rest of the file: unknown keys, a missing or doubled target source, bad
//! sizes and durations are errors with file:line:column. URLs are shown redacted.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, GateConfig, typed_gate};
use crate::run::fleet::{Budget, FleetSpec, Source, WaveSize};
use crate::run::url::DbUrl;
use sluice_core::duration::parse_duration;

/// One `[fleet.<name>]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// The targets' database URLs.
    pub urls: Option<Spanned<Vec<Spanned<String>>>>,
    /// A shell command printing one target per line.
    pub command: Option<Spanned<String>>,
    /// A query on `catalog_url` (else DATABASE_URL) returning one target per row (first
    /// column, as text).
    pub query: Option<Spanned<String>>,
    pub catalog_url: Option<Spanned<String>>,
    /// Schema-per-tenant (PostgreSQL): the targets are schemas of this database, listed by
    /// `schemas`, `command` or `query`.
    pub schemas_in: Option<Spanned<String>>,
    pub schemas: Option<Spanned<Vec<Spanned<String>>>>,
    pub waves: Option<Spanned<Vec<Spanned<String>>>>,
    pub concurrency: Option<Spanned<i64>>,
    /// A count or a percentage of the targets: `0`, `2`, `"5%"`.
    pub max_failures: Option<Spanned<toml::Value>>,
    pub pause: Option<Spanned<String>>,
    /// A gate asked between waves (command, http, kubernetes, or all / any of them).
    pub gate: Option<Spanned<GateConfig>>,
    pub gate_timeout: Option<Spanned<String>>,
    /// With `--shard`: how long a shard waits for the others at the end of a wave.
    pub barrier_timeout: Option<Spanned<String>>,
}

fn url(
    v: &Spanned<String>,
    key: &str,
    invalid: &dyn Fn(usize, String) -> ConfigError,
) -> Result<DbUrl, ConfigError> {
    DbUrl::parse(v.get_ref()).map_err(|e| invalid(v.span().start, format!("`{key}`: {e}")))
}

fn duration(
    v: &Spanned<String>,
    key: &str,
    invalid: &dyn Fn(usize, String) -> ConfigError,
) -> Result<Duration, ConfigError> {
    parse_duration(v.get_ref()).map_err(|e| invalid(v.span().start, format!("`{key}`: {e}")))
}

/// Type one fleet, checking its keys together.
pub(super) fn typed_fleet(
    name: &Spanned<String>,
    node: &Spanned<FleetConfig>,
    invalid: &dyn Fn(usize, String) -> ConfigError,
) -> Result<FleetSpec, ConfigError> {
    let f = node.get_ref();
    let at = node.span().start;
    let fleet = name.get_ref();
    let schemas_in = f
        .schemas_in
        .as_ref()
        .map(|u| url(u, "schemas_in", invalid))
        .transpose()?;
    if let (Some(u), Some(at)) = (&schemas_in, &f.schemas_in)
        && let Err(e) = u.with_search_path("x")
    {
        return Err(invalid(at.span().start, format!("`schemas_in`: {e}")));
    }
    let catalog = f
        .catalog_url
        .as_ref()
        .map(|u| url(u, "catalog_url", invalid))
        .transpose()?;
    let mut sources: Vec<(usize, &str, Source)> = Vec::new();
    if let Some(list) = &f.urls {
        if let Some(s) = &schemas_in {
            return Err(invalid(
                list.span().start,
                format!(
                    "`urls` lists databases, but `schemas_in` makes the targets schemas of {s}: give `schemas` instead"
                ),
            ));
        }
        let mut v = Vec::new();
        for u in list.get_ref() {
            url(u, "urls", invalid)?;
            v.push(u.get_ref().clone());
        }
        sources.push((list.span().start, "urls", Source::List(v)));
    }
    if let Some(list) = &f.schemas {
        if schemas_in.is_none() {
            return Err(invalid(
                list.span().start,
                "`schemas` needs `schemas_in`, the PostgreSQL database they are in".into(),
            ));
        }
        let mut v = Vec::new();
        for s in list.get_ref() {
            let t = s.get_ref().trim();
            if t.is_empty() || t.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                return Err(invalid(
                    s.span().start,
                    format!("`{t}` is not a schema name"),
                ));
            }
            v.push(t.to_owned());
        }
        sources.push((list.span().start, "schemas", Source::List(v)));
    }
    if let Some(c) = &f.command {
        if c.get_ref().trim().is_empty() {
            return Err(invalid(c.span().start, "`command` is empty".into()));
        }
        sources.push((
            c.span().start,
            "command",
            Source::Command(c.get_ref().clone()),
        ));
    }
    if let Some(q) = &f.query {
        if q.get_ref().trim().is_empty() {
            return Err(invalid(q.span().start, "`query` is empty".into()));
        }
        sources.push((q.span().start, "query", Source::Query(q.get_ref().clone())));
    }
    let source = match sources.len() {
        1 => sources.pop().map(|(_, _, s)| s),
        0 => None,
        _ => {
            return Err(invalid(
                sources[1].0,
                format!(
                    "fleet `{fleet}` lists its targets twice (`{}` and `{}`): give one of urls, schemas, command, query",
                    sources[0].1, sources[1].1
                ),
            ));
        }
    };
    let Some(source) = source else {
        return Err(invalid(
            at,
            format!(
                "fleet `{fleet}` has no targets: give `urls = [...]`, `command = \"...\"` (one URL per line) or `query = \"...\"` with `catalog_url`"
            ),
        ));
    };
    let mut spec = FleetSpec::new(fleet.clone(), source);
    spec.catalog_url = catalog;
    spec.schemas_in = schemas_in;
    if let Some(w) = &f.waves {
        if w.get_ref().is_empty() {
            return Err(invalid(
                w.span().start,
                "`waves` is empty: e.g. [\"1\", \"10%\", \"100%\"]".into(),
            ));
        }
        spec.waves = w
            .get_ref()
            .iter()
            .map(|s| {
                s.get_ref()
                    .parse::<WaveSize>()
                    .map_err(|e| invalid(s.span().start, format!("`waves`: {e}")))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(c) = &f.concurrency {
        spec.concurrency = usize::try_from(*c.get_ref())
            .ok()
            .filter(|n| (1..=1024).contains(n))
            .ok_or_else(|| {
                invalid(
                    c.span().start,
                    "`concurrency`: from 1 to 1024 targets at once".into(),
                )
            })?;
    }
    if let Some(m) = &f.max_failures {
        let text = match m.get_ref() {
            toml::Value::Integer(n) if *n >= 0 => n.to_string(),
            toml::Value::String(s) => s.clone(),
            _ => String::from("?"),
        };
        spec.max_failures = text.parse::<Budget>().map_err(|e| {
            invalid(
                m.span().start,
                format!(
                    "`max_failures`: {e}; a count (0, 2) or a percentage of the targets (\"5%\")"
                ),
            )
        })?;
    }
    if let Some(p) = &f.pause {
        spec.pause = duration(p, "pause", invalid)?;
    }
    if let Some(g) = &f.gate {
        let gate = typed_gate(g, invalid)?;
        if gate.has_recorded() {
            return Err(invalid(
                g.span().start,
                "a fleet's gate between waves asks the outside world: `command`, `http` or `kubernetes` (`recorded` belongs to each target's contract)".into(),
            ));
        }
        spec.gate = Some(gate);
    }
    if let Some(t) = &f.gate_timeout {
        spec.gate_timeout = duration(t, "gate_timeout", invalid)?;
    }
    if let Some(t) = &f.barrier_timeout {
        spec.barrier_timeout = duration(t, "barrier_timeout", invalid)?;
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::parse;
    use crate::run::fleet::{Budget, Source, WaveSize};

    fn err(text: &str) -> String {
        parse(Path::new("sluice.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_fleet_is_typed() {
        let c = parse(
            Path::new("sluice.toml"),
            r#"
[fleet.tenants]
query = "SELECT url FROM tenants ORDER BY id"
catalog_url = "postgres://app:hunter2@catalog/main"
waves = ["1", "10%", "100%"]
concurrency = 8
max_failures = "5%"
pause = "5m"
gate = { kind = "command", command = "true" }

[fleet.static]
urls = ["postgres://h/a", "postgres://h/b"]
max_failures = 2
"#,
        )
        .unwrap();
        let f = &c.fleets["tenants"];
        assert!(matches!(&f.source, Source::Query(q) if q.starts_with("SELECT url")));
        assert_eq!(
            f.waves,
            [
                WaveSize::Count(1),
                WaveSize::Percent(10),
                WaveSize::Percent(100)
            ]
        );
        assert_eq!((f.concurrency, f.max_failures), (8, Budget::Percent(5)));
        assert_eq!(f.pause, std::time::Duration::from_secs(300));
        assert!(f.gate.is_some());
        assert_eq!(
            f.catalog_url.as_ref().unwrap().to_string(),
            "postgres://app:***@catalog/main"
        );
        let s = &c.fleets["static"];
        assert_eq!(s.max_failures, Budget::Count(2));
        assert_eq!(s.concurrency, 4);
    }

    #[test]
    fn fleet_errors_name_line_and_column() {
        let e = err("[fleet.a]\nurls = [\"postgres://h/a\"]\ncommand = \"cat list\"\n");
        assert!(
            e.starts_with("sluice.toml:3:11: fleet `a` lists its targets twice"),
            "{e}"
        );
        let e = err("[fleet.a]\nwaves = [\"1\"]\n");
        assert!(
            e.starts_with("sluice.toml:1:1: fleet `a` has no targets"),
            "{e}"
        );
        let e =
            err("[fleet.a]\nurls = [\"postgres://u:hunter2@h/a\", \"oracle://u:hunter2@h/b\"]\n");
        assert!(e.starts_with("sluice.toml:2:37: `urls`:"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = err("[fleet.a]\nurls = [\"postgres://h/a\"]\nwaves = [\"1\", \"0%\"]\n");
        assert!(e.starts_with("sluice.toml:3:15: `waves`:"), "{e}");
        let e = err("[fleet.a]\nurls = [\"postgres://h/a\"]\nconcurrency = 0\n");
        assert!(e.starts_with("sluice.toml:3:15: `concurrency`"), "{e}");
        let e = err("[fleet.a]\nurls = [\"postgres://h/a\"]\nmax_failures = \"lots\"\n");
        assert!(e.starts_with("sluice.toml:3:16: `max_failures`"), "{e}");
        let e = err("[fleet.a]\nurls = [\"postgres://h/a\"]\nconcurency = 2\n");
        assert!(
            e.starts_with("sluice.toml:3:1: unknown field `concurency`"),
            "{e}"
        );
        let e = err("[fleet.a]\nurls = [\"postgres://h/a\"]\ngate = { kind = \"recorded\" }\n");
        assert!(e.starts_with("sluice.toml:3:8: a fleet's gate"), "{e}");
        let e = err("[fleet.a]\nschemas_in = \"mysql://h/app\"\nschemas = [\"t1\"]\n");
        assert!(e.starts_with("sluice.toml:2:14: `schemas_in`:"), "{e}");
        assert!(e.contains("a MySQL schema is a database"), "{e}");
        let e = err("[fleet.a]\nschemas = [\"t1\"]\n");
        assert!(
            e.starts_with("sluice.toml:2:11: `schemas` needs `schemas_in`"),
            "{e}"
        );
    }
}
