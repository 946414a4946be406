//! Scratch databases: one template loaded once, a fresh copy per run.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The application name of load connections, so monitors can tell them from the runner's.
pub const LOAD_APP: &str = "zdt-load";

/// Owners referenced by `accounts.owner_id`.
pub const OWNERS: u32 = 1000;

pub struct Server {
    admin_url: String,
    admin: PgConnectOptions,
}

impl Server {
    pub fn new(admin_url: &str) -> anyhow::Result<Server> {
        let admin = PgConnectOptions::from_str(admin_url).with_context(|| {
            format!(
                "`{}` is not a PostgreSQL URL",
                sluice::run::url::redact(admin_url)
            )
        })?;
        Ok(Server {
            admin_url: admin_url.to_owned(),
            // a slow migration statement is the point here, not a warning
            admin: admin.disable_statement_logging(),
        })
    }

    pub fn options(&self, db: &str) -> PgConnectOptions {
        self.admin.clone().database(db)
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

    async fn admin_exec(&self, sql: &str) -> anyhow::Result<()> {
        let mut c = PgConnection::connect_with(&self.admin)
            .await
            .with_context(|| {
                format!(
                    "cannot connect to {}",
                    sluice::run::url::redact(&self.admin_url)
                )
            })?;
        c.execute(sqlx::raw_sql(sql)).await?;
        c.close().await.ok();
        Ok(())
    }

    pub fn fresh_name(kind: &str) -> String {
        format!(
            "zdt_{kind}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        )
    }

    /// Create the template database: `owners` and `accounts` with `rows` rows, vacuumed so
    /// every copy starts with set hint bits and a visibility map.
    pub async fn create_template(&self, rows: u32) -> anyhow::Result<String> {
        let name = Self::fresh_name("tmpl");
        self.admin_exec(&format!("CREATE DATABASE {name}")).await?;
        let mut c = PgConnection::connect_with(&self.options(&name)).await?;
        let load = format!(
            "CREATE TABLE owners (id int PRIMARY KEY, name text NOT NULL);
             INSERT INTO owners SELECT g, 'owner ' || g FROM generate_series(1, {OWNERS}) g;
             CREATE TABLE accounts (id int, owner_id int, name text, balance int, note text);
             INSERT INTO accounts
               SELECT g, g % {OWNERS} + 1, 'account ' || g, g * 7 % 10000, 'note ' || g
               FROM generate_series(1, {rows}) g;
             ALTER TABLE accounts ADD PRIMARY KEY (id);"
        );
        c.execute(sqlx::raw_sql(&load)).await?;
        c.execute("VACUUM (ANALYZE, FREEZE) owners").await?;
        c.execute("VACUUM (ANALYZE, FREEZE) accounts").await?;
        c.close().await.ok();
        Ok(name)
    }

    /// A copy of the template: a file copy for big tables (seconds for a million rows, after a
    /// checkpoint), through the WAL for small ones (no checkpoint).
    pub async fn clone_db(&self, template: &str, rows: u32) -> anyhow::Result<String> {
        let name = Self::fresh_name("run");
        let strategy = if rows >= 100_000 {
            "FILE_COPY"
        } else {
            "WAL_LOG"
        };
        self.admin_exec(&format!(
            "CREATE DATABASE {name} TEMPLATE {template} STRATEGY = {strategy}"
        ))
        .await?;
        Ok(name)
    }

    pub async fn drop_db(&self, name: &str) -> anyhow::Result<()> {
        self.admin_exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
    }

    pub async fn version(&self) -> anyhow::Result<String> {
        let mut c = PgConnection::connect_with(&self.admin)
            .await
            .with_context(|| {
                format!(
                    "cannot connect to {}",
                    sluice::run::url::redact(&self.admin_url)
                )
            })?;
        let v: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut c)
            .await?;
        c.close().await.ok();
        Ok(v)
    }
}
