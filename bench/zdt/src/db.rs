//! The server under test (PostgreSQL or MariaDB / MySQL) and its scratch databases: one
//! template loaded once, a fresh copy per run.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use serde::Serialize;
use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, MySqlConnection, PgConnection, Row};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The application name of load connections, so monitors can tell them from the runner's.
/// On MySQL, which has no application name, every load statement starts with this comment.
pub const LOAD_APP: &str = "zdt-load";

/// Owners referenced by `accounts.owner_id`.
pub const OWNERS: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    /// MariaDB or MySQL (the load and the bench speak the MySQL protocol).
    Mysql,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MariaDB",
        }
    }
}

/// Connection options of one database.
#[derive(Clone)]
pub enum Opts {
    Pg(PgConnectOptions),
    My(MySqlConnectOptions),
}

impl Opts {
    pub fn engine(&self) -> Engine {
        match self {
            Opts::Pg(_) => Engine::Postgres,
            Opts::My(_) => Engine::Mysql,
        }
    }

    /// The same options naming the client `app` (PostgreSQL's `application_name`).
    pub fn named(&self, app: &str) -> Opts {
        match self {
            Opts::Pg(o) => Opts::Pg(o.clone().application_name(app)),
            Opts::My(o) => Opts::My(o.clone()),
        }
    }

    pub async fn connect(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Opts::Pg(o) => Conn::Pg(PgConnection::connect_with(o).await?),
            Opts::My(o) => Conn::My(MySqlConnection::connect_with(o).await?),
        })
    }
}

/// A parameter of a load query (see `changes::Queries`).
#[derive(Debug, Clone)]
pub enum Param {
    Int(i32),
    Text(String),
}

/// One connection to either server.
pub enum Conn {
    Pg(PgConnection),
    My(MySqlConnection),
}

impl Conn {
    /// Run a script through the simple/text protocol (several statements allowed).
    pub async fn script(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Conn::Pg(c) => c.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
            Conn::My(c) => c.execute(sqlx::raw_sql(sql)).await.map(|_| ()),
        }
    }

    /// Run one application statement whose parameters are `$1`, `$2`, ...: bound to a
    /// prepared statement on PostgreSQL; inlined and sent as text on MySQL (as most MySQL
    /// client libraries do by default, and because a server-side prepared statement breaks
    /// when an online schema change tool adds triggers: see README).
    pub async fn run(&mut self, sql: &str, params: &[Param]) -> Result<(), sqlx::Error> {
        match self {
            Conn::Pg(c) => {
                let mut q = sqlx::query(sql);
                for p in params {
                    q = match p {
                        Param::Int(i) => q.bind(*i),
                        Param::Text(s) => q.bind(s.clone()),
                    };
                }
                q.execute(&mut *c).await.map(|_| ())
            }
            Conn::My(c) => c
                .execute(sqlx::raw_sql(&inline(sql, params)))
                .await
                .map(|_| ()),
        }
    }

    /// The first column of the first row as a truth value (`NULL` or no row: false).
    pub async fn truth(&mut self, sql: &str) -> Result<bool, sqlx::Error> {
        let row = match self {
            Conn::Pg(c) => sqlx::query_scalar::<_, Option<bool>>(sql)
                .fetch_optional(&mut *c)
                .await?
                .flatten(),
            Conn::My(c) => sqlx::query_scalar::<_, Option<i64>>(sql)
                .fetch_optional(&mut *c)
                .await?
                .flatten()
                .map(|v| v != 0),
        };
        Ok(row == Some(true))
    }

    /// The first row's columns as integers (`None`: no row; a NULL column is `None`).
    pub async fn ints(&mut self, sql: &str) -> Result<Option<Vec<Option<i64>>>, sqlx::Error> {
        macro_rules! read {
            ($c:expr) => {{
                let row = sqlx::query(sql).fetch_optional(&mut *$c).await?;
                row.map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<i64>, _>(i).ok().flatten())
                        .collect()
                })
            }};
        }
        Ok(match self {
            Conn::Pg(c) => read!(c),
            Conn::My(c) => read!(c),
        })
    }

    /// Every row, each column as text (NULL: empty); the query casts to text itself.
    pub async fn texts(&mut self, sql: &str) -> Result<Vec<Vec<String>>, sqlx::Error> {
        macro_rules! read {
            ($c:expr) => {{
                sqlx::query(sql)
                    .fetch_all(&mut *$c)
                    .await?
                    .into_iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| {
                                // MariaDB's information_schema may answer in binary strings
                                r.try_get::<Option<String>, _>(i)
                                    .ok()
                                    .flatten()
                                    .or_else(|| {
                                        r.try_get::<Option<Vec<u8>>, _>(i)
                                            .ok()
                                            .flatten()
                                            .map(|b| String::from_utf8_lossy(&b).into_owned())
                                    })
                                    .unwrap_or_default()
                            })
                            .collect()
                    })
                    .collect()
            }};
        }
        Ok(match self {
            Conn::Pg(c) => read!(c),
            Conn::My(c) => read!(c),
        })
    }

    /// The first column of the first row as a float (0 when absent).
    pub async fn float(&mut self, sql: &str) -> Result<f64, sqlx::Error> {
        let v = match self {
            Conn::Pg(c) => {
                sqlx::query_scalar::<_, Option<f64>>(sql)
                    .fetch_one(&mut *c)
                    .await?
            }
            Conn::My(c) => {
                sqlx::query_scalar::<_, Option<f64>>(sql)
                    .fetch_one(&mut *c)
                    .await?
            }
        };
        Ok(v.unwrap_or(0.0))
    }

    pub async fn close(self) {
        match self {
            Conn::Pg(c) => c.close().await.ok(),
            Conn::My(c) => c.close().await.ok(),
        };
    }
}

/// `sql` with `$1`, `$2`, ... replaced by the parameters as literals (highest index first,
/// so `$1` never eats the start of `$10`).
pub fn inline(sql: &str, params: &[Param]) -> String {
    let mut out = sql.to_owned();
    for (i, p) in params.iter().enumerate().rev() {
        let lit = match p {
            Param::Int(v) => v.to_string(),
            Param::Text(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
        };
        out = out.replace(&format!("${}", i + 1), &lit);
    }
    out
}

pub struct Server {
    engine: Engine,
    admin_url: String,
    admin: Opts,
}

impl Server {
    /// `postgres://` / `postgresql://`, or `mysql://` / `mariadb://`.
    pub fn new(admin_url: &str) -> anyhow::Result<Server> {
        let redacted = sluice_core::redact::redact(admin_url);
        let scheme = admin_url
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        let (engine, admin_url) = match scheme.as_str() {
            "postgres" | "postgresql" => (Engine::Postgres, admin_url.to_owned()),
            // sqlx and `migrate` both take `mysql://`
            "mysql" | "mariadb" => (
                Engine::Mysql,
                format!("mysql://{}", &admin_url[scheme.len() + 3..]),
            ),
            _ => anyhow::bail!(
                "`{redacted}` is not a postgres://, postgresql://, mysql:// or mariadb:// URL"
            ),
        };
        // a slow migration statement is the point here, not a warning
        let admin = match engine {
            Engine::Postgres => Opts::Pg(
                PgConnectOptions::from_str(&admin_url)
                    .with_context(|| format!("`{redacted}` is not a PostgreSQL URL"))?
                    .disable_statement_logging(),
            ),
            Engine::Mysql => Opts::My(
                MySqlConnectOptions::from_str(&admin_url)
                    .with_context(|| format!("`{redacted}` is not a MySQL URL"))?
                    .disable_statement_logging(),
            ),
        };
        Ok(Server {
            engine,
            admin_url,
            admin,
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn options(&self, db: &str) -> Opts {
        match &self.admin {
            Opts::Pg(o) => Opts::Pg(o.clone().database(db)),
            Opts::My(o) => Opts::My(o.clone().database(db)),
        }
    }

    /// The URL of database `db` (for the `migrate` subprocess; never printed).
    pub fn url(&self, db: &str) -> String {
        let (head, query) = match self.admin_url.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (self.admin_url.as_str(), None),
        };
        let after = head.find("://").map_or(0, |i| i + 3);
        let base = match head[after..].find('/') {
            Some(i) => &head[..after + i],
            None => head,
        };
        match query {
            Some(q) => format!("{base}/{db}?{q}"),
            None => format!("{base}/{db}"),
        }
    }

    async fn admin(&self) -> anyhow::Result<Conn> {
        self.admin.connect().await.with_context(|| {
            format!(
                "cannot connect to {}",
                sluice_core::redact::redact(&self.admin_url)
            )
        })
    }

    async fn admin_exec(&self, sql: &str) -> anyhow::Result<()> {
        let mut c = self.admin().await?;
        let r = c.script(sql).await;
        c.close().await;
        Ok(r?)
    }

    pub fn fresh_name(kind: &str) -> String {
        format!(
            "zdt_{kind}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        )
    }

    /// Create the template database: `owners` and `accounts` with `rows` rows (PostgreSQL:
    /// vacuumed, so every copy starts with set hint bits and a visibility map).
    pub async fn create_template(&self, rows: u32) -> anyhow::Result<String> {
        let name = Self::fresh_name("tmpl");
        self.admin_exec(&format!("CREATE DATABASE {name}")).await?;
        let mut c = self.options(&name).connect().await?;
        let load = match self.engine {
            Engine::Postgres => format!(
                "CREATE TABLE owners (id int PRIMARY KEY, name text NOT NULL);
                 INSERT INTO owners SELECT g, 'owner ' || g FROM generate_series(1, {OWNERS}) g;
                 CREATE TABLE accounts (id int, owner_id int, name text, balance int, note text);
                 INSERT INTO accounts
                   SELECT g, g % {OWNERS} + 1, 'account ' || g, g * 7 % 10000, 'note ' || g
                   FROM generate_series(1, {rows}) g;
                 ALTER TABLE accounts ADD PRIMARY KEY (id);"
            ),
            // MariaDB's SEQUENCE engine gives the rows (`seq_1_to_N`)
            Engine::Mysql => format!(
                "CREATE TABLE owners (id int PRIMARY KEY, name text NOT NULL) ENGINE=InnoDB;
                 INSERT INTO owners SELECT seq, CONCAT('owner ', seq) FROM seq_1_to_{OWNERS};
                 CREATE TABLE accounts (id int PRIMARY KEY, owner_id int, name text, balance int,
                   note text) ENGINE=InnoDB;
                 INSERT INTO accounts
                   SELECT seq, seq % {OWNERS} + 1, CONCAT('account ', seq), seq * 7 % 10000,
                     CONCAT('note ', seq)
                   FROM seq_1_to_{rows};"
            ),
        };
        let mut r = c.script(&load).await;
        if r.is_ok() && self.engine == Engine::Postgres {
            // one statement each: a script runs as one transaction, VACUUM cannot
            for t in ["owners", "accounts"] {
                r = c.script(&format!("VACUUM (ANALYZE, FREEZE) {t}")).await;
                if r.is_err() {
                    break;
                }
            }
        }
        c.close().await;
        r.with_context(|| {
            format!(
                "cannot load the template database{}",
                if self.engine == Engine::Mysql {
                    " (the MySQL side needs MariaDB's SEQUENCE engine)"
                } else {
                    ""
                }
            )
        })?;
        Ok(name)
    }

    /// A copy of the template. PostgreSQL: a file copy for big tables (seconds for a million
    /// rows, after a checkpoint), through the WAL for small ones (no checkpoint). MySQL has no
    /// template databases: the tables are created alike and filled with `INSERT .. SELECT`.
    pub async fn clone_db(&self, template: &str, rows: u32) -> anyhow::Result<String> {
        let name = Self::fresh_name("run");
        let sql = match self.engine {
            Engine::Postgres => {
                let strategy = if rows >= 100_000 {
                    "FILE_COPY"
                } else {
                    "WAL_LOG"
                };
                format!("CREATE DATABASE {name} TEMPLATE {template} STRATEGY = {strategy}")
            }
            Engine::Mysql => format!(
                "CREATE DATABASE {name};
                 CREATE TABLE {name}.owners LIKE {template}.owners;
                 INSERT INTO {name}.owners SELECT * FROM {template}.owners;
                 CREATE TABLE {name}.accounts LIKE {template}.accounts;
                 INSERT INTO {name}.accounts SELECT * FROM {template}.accounts;
                 ANALYZE TABLE {name}.owners, {name}.accounts;"
            ),
        };
        self.admin_exec(&sql).await?;
        self.settle().await?;
        Ok(name)
    }

    /// MySQL: wait (up to a minute) until InnoDB has purged the undo history earlier runs
    /// left (a million-row backfill leaves a million entries), so its purge threads do not
    /// compete with the next run's migration and load.
    async fn settle(&self) -> anyhow::Result<()> {
        if self.engine != Engine::Mysql {
            return Ok(());
        }
        let mut c = self.admin().await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let len = c
                .ints(
                    "SELECT CAST(VARIABLE_VALUE AS SIGNED) FROM information_schema.GLOBAL_STATUS \
                     WHERE VARIABLE_NAME = 'INNODB_HISTORY_LIST_LENGTH'",
                )
                .await;
            let len = len
                .ok()
                .flatten()
                .and_then(|r| r.first().copied().flatten());
            if len.is_none_or(|l| l < 1000) || std::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        c.close().await;
        Ok(())
    }

    pub async fn drop_db(&self, name: &str) -> anyhow::Result<()> {
        let sql = match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            Engine::Mysql => format!("DROP DATABASE IF EXISTS {name}"),
        };
        self.admin_exec(&sql).await
    }

    /// The server's version string (`SHOW server_version`, `VERSION()`).
    pub async fn version(&self) -> anyhow::Result<String> {
        let mut c = self.admin().await?;
        let sql = match self.engine {
            Engine::Postgres => "SELECT current_setting('server_version')",
            Engine::Mysql => "SELECT VERSION()",
        };
        let r = match &mut c {
            Conn::Pg(p) => sqlx::query_scalar::<_, String>(sql).fetch_one(p).await,
            Conn::My(m) => sqlx::query_scalar::<_, String>(sql).fetch_one(m).await,
        };
        c.close().await;
        Ok(r?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_inlined_as_literals_highest_index_first() {
        let sql = "INSERT INTO t VALUES ($1, $2, $3, $4, $3)";
        let got = inline(
            sql,
            &[
                Param::Int(10),
                Param::Int(-2),
                Param::Text("it's".into()),
                Param::Int(4),
            ],
        );
        assert_eq!(got, "INSERT INTO t VALUES (10, -2, 'it''s', 4, 'it''s')");
        let many: Vec<Param> = (1..=10).map(Param::Int).collect();
        assert_eq!(inline("$1 $10", &many), "1 10");
    }

    #[test]
    fn engine_follows_the_scheme() {
        assert_eq!(
            Server::new("mariadb://root@127.0.0.1:3306/test")
                .unwrap()
                .engine(),
            Engine::Mysql
        );
        let s = Server::new("mariadb://root@127.0.0.1:3306/test").unwrap();
        assert_eq!(s.url("x"), "mysql://root@127.0.0.1:3306/x");
        assert_eq!(
            Server::new("postgres://postgres@127.0.0.1/postgres")
                .unwrap()
                .engine(),
            Engine::Postgres
        );
        assert!(Server::new("sqlite://x").is_err());
    }
}
