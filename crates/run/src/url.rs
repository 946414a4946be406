//! `DATABASE_URL`: which server it names, and a redacted form for every message and log.

use std::fmt;

use super::RunError;
pub use sluice_core::sql::Dialect;

/// A parsed database URL. `Display` never shows the password.
#[derive(Clone)]
pub struct DbUrl {
    raw: String,
    dialect: Dialect,
    redacted: String,
}

impl DbUrl {
    pub fn parse(raw: &str) -> Result<DbUrl, RunError> {
        let raw = raw.trim();
        let redacted = redact(raw);
        let Some((scheme, _)) = raw.split_once("://") else {
            return Err(RunError::Url(format!(
                "`{redacted}` is not a database URL; expected postgres://user@host:5432/db or mysql://user@host:3306/db"
            )));
        };
        let dialect = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::Mysql,
            other => {
                return Err(RunError::Url(format!(
                    "`{redacted}`: unsupported scheme `{other}`; use postgres://, postgresql://, mysql:// or mariadb://"
                )));
            }
        };
        // sqlx knows only `mysql://`
        let raw = if scheme.eq_ignore_ascii_case("mariadb") {
            format!("mysql://{}", &raw[scheme.len() + 3..])
        } else {
            raw.to_owned()
        };
        Ok(DbUrl {
            raw,
            dialect,
            redacted,
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The full URL, password included: only for the driver, never for messages.
    pub(crate) fn secret(&self) -> &str {
        &self.raw
    }

    /// `text` with this URL's password (as written and percent-decoded) replaced by `***`:
    /// for messages that come from elsewhere (driver errors) and might quote it.
    pub fn scrub(&self, text: &str) -> String {
        let Some(pw) = password(&self.raw) else {
            return text.to_owned();
        };
        let mut out = text.replace(&self.raw, &self.redacted);
        for p in [pw.clone(), percent_decode(&pw)] {
            if p.len() >= 3 {
                out = out.replace(&p, "***");
            }
        }
        out
    }

    /// The same server with another database (tests and tools that create scratch databases).
    pub fn with_database(&self, db: &str) -> DbUrl {
        let (head, query) = match self.raw.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (self.raw.as_str(), None),
        };
        let after_scheme = head.find("://").map_or(0, |i| i + 3);
        let base = match head[after_scheme..].find('/') {
            Some(i) => &head[..after_scheme + i],
            None => head,
        };
        let mut raw = format!("{base}/{db}");
        if let Some(q) = query {
            raw.push('?');
            raw.push_str(q);
        }
        DbUrl {
            redacted: redact(&raw),
            raw,
            dialect: self.dialect,
        }
    }
}

impl DbUrl {
    /// The same database with the session's `search_path` set to `schema` when it connects
    /// (PostgreSQL's startup options): a schema-per-tenant fleet target.
    pub fn with_search_path(&self, schema: &str) -> Result<DbUrl, RunError> {
        if self.dialect != Dialect::Postgres {
            return Err(RunError::Config(format!(
                "{}: schemas as targets are PostgreSQL's (a MySQL schema is a database: list its URL)",
                self.redacted
            )));
        }
        let mut value = String::from("%22");
        for b in schema.bytes() {
            if b.is_ascii_alphanumeric() || b == b'_' {
                value.push(char::from(b));
            } else if b == b'"' {
                value.push_str("%22%22");
            } else {
                value.push_str(&format!("%{b:02X}"));
            }
        }
        value.push_str("%22");
        let sep = if self.raw.contains('?') { '&' } else { '?' };
        let raw = format!("{}{sep}options[search_path]={value}", self.raw);
        Ok(DbUrl {
            redacted: redact(&raw),
            raw,
            dialect: self.dialect,
        })
    }
}

/// Connection parts for external tools (pg_repack, pt-online-schema-change): the password
/// is for an environment variable or a defaults file, never a command line or a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct ToolConn {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub password: Option<String>,
}

impl fmt::Debug for ToolConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolConn")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("database", &self.database)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl DbUrl {
    /// Host, port, user, database and password, percent-decoded.
    pub fn tool_conn(&self) -> ToolConn {
        let raw = &self.raw;
        let (head, query) = match raw.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (raw.as_str(), None),
        };
        let after = head.find("://").map_or(0, |i| i + 3);
        let end = head[after..].find('/').map_or(head.len(), |i| after + i);
        let authority = &head[after..end];
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let user = userinfo
            .map(|u| u.split_once(':').map_or(u, |(u, _)| u))
            .filter(|u| !u.is_empty())
            .map(percent_decode);
        // `[::1]:5432`, `host:5432`, `host`
        let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
            match rest.split_once(']') {
                Some((h, tail)) => (h, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
                None => (rest, None),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, p.parse::<u16>().ok()),
                None => (hostport, None),
            }
        };
        let param = |name: &str| {
            query?.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                k.eq_ignore_ascii_case(name).then(|| percent_decode(v))
            })
        };
        let database = Some(&head[end..])
            .map(|p| p.trim_start_matches('/'))
            .filter(|d| !d.is_empty())
            .map(percent_decode)
            .or_else(|| param("dbname"));
        ToolConn {
            host: Some(host.to_owned())
                .filter(|h| !h.is_empty())
                .or_else(|| param("host")),
            port: port.or_else(|| param("port").and_then(|p| p.parse().ok())),
            user: user.or_else(|| param("user")),
            database,
            password: password(raw).map(|p| percent_decode(&p)),
        }
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({})", self.redacted)
    }
}

fn password(raw: &str) -> Option<String> {
    let head = raw.split('?').next().unwrap_or(raw);
    let after = head.find("://")? + 3;
    let end = head[after..].find('/').map_or(head.len(), |i| after + i);
    let authority = &head[after..end];
    let userinfo = &authority[..authority.rfind('@')?];
    let from_userinfo = userinfo.split_once(':').map(|(_, p)| p.to_owned());
    from_userinfo.or_else(|| {
        raw.split_once('?')?.1.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.eq_ignore_ascii_case("password").then(|| v.to_owned())
        })
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub use sluice_core::redact::redact;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_shown() {
        let u =
            DbUrl::parse("postgres://app:s3cr%40t@db.example:5432/shop?sslmode=disable").unwrap();
        assert_eq!(u.dialect(), Dialect::Postgres);
        assert_eq!(
            u.to_string(),
            "postgres://app:***@db.example:5432/shop?sslmode=disable"
        );
        assert!(!format!("{u:?}").contains("s3cr"));
        assert_eq!(
            redact("mysql://root@h/db?password=hunter2&x=1"),
            "mysql://root@h/db?password=***&x=1"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        // an `@` inside the password
        assert_eq!(redact("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
    }

    #[test]
    fn scrub_foreign_messages() {
        let u = DbUrl::parse("postgres://app:s3cr%40t@h/db").unwrap();
        assert_eq!(
            u.scrub("bad password s3cr@t for postgres://app:s3cr%40t@h/db"),
            "bad password *** for postgres://app:***@h/db"
        );
        let u = DbUrl::parse("postgres://h/db").unwrap();
        assert_eq!(u.scrub("x"), "x");
        assert_eq!(percent_decode("%é%4"), "%é%4");
    }

    #[test]
    fn schemes() {
        let u = DbUrl::parse("mariadb://root:pw@127.0.0.1:3306/x").unwrap();
        assert_eq!(u.dialect(), Dialect::Mysql);
        assert_eq!(u.secret(), "mysql://root:pw@127.0.0.1:3306/x");
        let e = DbUrl::parse("sqlite://u:pw@x").unwrap_err().to_string();
        assert!(
            e.contains("unsupported scheme `sqlite`") && !e.contains("pw"),
            "{e}"
        );
        assert!(DbUrl::parse("nonsense").is_err());
        let v = DbUrl::parse("postgres://u:pw@h:5432/a?sslmode=disable")
            .unwrap()
            .with_database("b");
        assert_eq!(v.secret(), "postgres://u:pw@h:5432/b?sslmode=disable");
        assert_eq!(v.to_string(), "postgres://u:***@h:5432/b?sslmode=disable");
    }
}

#[cfg(test)]
mod tool_conn_tests {
    use super::*;

    #[test]
    fn parts_for_external_tools() {
        let u = DbUrl::parse("postgres://app:p%40ss@db.example:6432/shop?sslmode=disable").unwrap();
        let c = u.tool_conn();
        assert_eq!(c.host.as_deref(), Some("db.example"));
        assert_eq!(c.port, Some(6432));
        assert_eq!(c.user.as_deref(), Some("app"));
        assert_eq!(c.database.as_deref(), Some("shop"));
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert!(!format!("{c:?}").contains("p@ss"));
        let c = DbUrl::parse("mysql://root@127.0.0.1/test")
            .unwrap()
            .tool_conn();
        assert_eq!((c.port, c.password), (None, None));
        assert_eq!(c.host.as_deref(), Some("127.0.0.1"));
    }
}
