//! A schema snapshot read from a live database's catalogs, in-process (never `pg_dump`): one
//! connection, a handful of queries, so `migrate verify` can take hundreds of them.
//!
//! The model is plain data (serde, `BTreeMap`s: deterministic). Names are keys: PostgreSQL
//! objects are schema-qualified except in `public`; columns, constraints and triggers are
//! `table.name`; MySQL/MariaDB objects are those of the connection's database, unqualified
//! (MySQL index names are per table, so they are `table.index` there).
//!
//! Covered: tables (columns with type, default, nullability, identity/generated, collation,
//! comments, grants; constraints with their definitions and validity), indexes with
//! definitions and validity, sequences and their owners, views and materialized views,
//! functions, procedures, aggregates, triggers, enum/domain/composite/range types, schemas
//! and extensions (PostgreSQL); tables, columns (charset, collation), indexes, foreign keys,
//! CHECKs, views, routines, triggers, events and privileges (MariaDB, from
//! `information_schema`). Not covered: policies, rules, statistics objects, publications,
//! partitions' storage, data.
//!
//! `diff` compares two snapshots and names each object that differs.

mod diff;
mod mysql;
mod pg;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sqlx::Connection;

use super::RunError;
use super::url::DbUrl;
use sluice_core::sql::Dialect;

pub use diff::{Change, Diff, Difference, diff};

/// The schema of one database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schemas: BTreeMap<String, Schema>,
    /// Installed extensions and their versions (PostgreSQL).
    pub extensions: BTreeMap<String, String>,
    pub tables: BTreeMap<String, Table>,
    pub indexes: BTreeMap<String, Index>,
    pub sequences: BTreeMap<String, Sequence>,
    pub views: BTreeMap<String, View>,
    /// Functions, procedures and aggregates, keyed `name(argument types)`.
    pub routines: BTreeMap<String, Routine>,
    /// `table.trigger`.
    pub triggers: BTreeMap<String, Trigger>,
    /// Enum, domain, composite and range types.
    pub types: BTreeMap<String, UserType>,
    /// Scheduled events (MySQL/MariaDB).
    pub events: BTreeMap<String, Event>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub comment: Option<String>,
    pub grants: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Storage and kind: `partitioned by`, `partition of`, `unlogged`, `inherits`, reloptions,
    /// row security (PostgreSQL); engine, collation, create options (MySQL).
    pub options: BTreeMap<String, String>,
    pub comment: Option<String>,
    pub grants: Vec<String>,
    pub columns: BTreeMap<String, Column>,
    /// Column names in their physical order (a difference there is a note, not a failure).
    pub column_order: Vec<String>,
    pub constraints: BTreeMap<String, Constraint>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub data_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    /// `always` / `by default` (PostgreSQL identity), `auto_increment` (MySQL).
    pub identity: Option<String>,
    /// The generation expression of a generated column (`stored` / `virtual` prefixed).
    pub generated: Option<String>,
    pub charset: Option<String>,
    pub collation: Option<String>,
    /// Other attributes (MySQL `on update CURRENT_TIMESTAMP`, invisible).
    pub extra: Option<String>,
    pub comment: Option<String>,
    /// Column-level privileges.
    pub grants: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// `primary key`, `unique`, `foreign key`, `check`, `exclude`.
    pub kind: String,
    pub definition: String,
    /// False for `NOT VALID` constraints not validated yet.
    pub valid: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub table: String,
    pub definition: String,
    pub unique: bool,
    /// False for an index a failed `CREATE INDEX CONCURRENTLY` left behind.
    pub valid: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// Type, start, increment, bounds, cache and cycle, as one line.
    pub definition: String,
    /// `table.column` owning it (serial, identity, `OWNED BY`).
    pub owned_by: Option<String>,
    pub comment: Option<String>,
    pub grants: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub materialized: bool,
    pub definition: String,
    /// reloptions (`security_barrier`, `check_option`), MySQL's check option and security.
    pub options: BTreeMap<String, String>,
    pub comment: Option<String>,
    pub grants: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routine {
    /// `function`, `procedure`, `aggregate`, `window`.
    pub kind: String,
    /// The whole `CREATE` text (PostgreSQL `pg_get_functiondef`); MySQL: signature,
    /// characteristics and body.
    pub definition: String,
    pub comment: Option<String>,
    pub grants: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub table: String,
    pub definition: String,
    /// PostgreSQL `tgenabled`: `enabled`, `disabled`, `replica`, `always`.
    pub enabled: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserType {
    /// `enum`, `domain`, `composite`, `range`.
    pub kind: String,
    /// Enum labels in their sort order.
    pub labels: Vec<String>,
    /// Domain base type, default and constraints; composite attributes; range subtype.
    pub definition: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Schedule (`every 1 DAY`, `at`), on completion, status.
    pub schedule: String,
    pub definition: String,
    pub comment: Option<String>,
}

/// What a snapshot leaves out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Tables left out with everything on them (Sluice's ledger: `Options::without_sluice`).
    pub skip_tables: BTreeSet<String>,
    /// Leave out soft-dropped objects (`_sluice_dropped_*`: tables, columns, indexes, ...).
    pub skip_soft_dropped: bool,
}

impl Options {
    /// Everything but Sluice's own objects: the ledger's tables (`sluice_migrations`,
    /// `sluice_events`, `sluice_backfill`, `sluice_shadow`, or those of a renamed ledger)
    /// and soft-dropped objects. Two databases migrated by different means compare equal.
    pub fn without_sluice(ledger: &super::ledger::Ledger) -> Options {
        Options {
            skip_tables: ledger.own_tables().into_iter().collect(),
            skip_soft_dropped: true,
        }
    }

    /// Whether an object of this name is left out.
    pub(crate) fn skips(&self, name: &str) -> bool {
        self.skip_tables.contains(name)
            || (self.skip_soft_dropped && name.starts_with(sluice_core::names::SOFT_DROP_PREFIX))
    }
}

/// One open connection that takes snapshots (verify takes hundreds over one connection).
pub enum Reader {
    Pg(sqlx::PgConnection),
    Mysql(sqlx::MySqlConnection),
}

impl Reader {
    pub async fn connect(url: &DbUrl) -> Result<Reader, RunError> {
        let fail = |e: sqlx::Error| {
            RunError::Db(format!(
                "cannot connect to {url}: {}",
                url.scrub(&e.to_string())
            ))
        };
        Ok(match url.dialect() {
            Dialect::Postgres => Reader::Pg(
                sqlx::PgConnection::connect(url.secret())
                    .await
                    .map_err(fail)?,
            ),
            Dialect::Mysql => Reader::Mysql(
                sqlx::MySqlConnection::connect(url.secret())
                    .await
                    .map_err(fail)?,
            ),
        })
    }

    /// The schema as it is now.
    pub async fn read(&mut self, opts: &Options) -> Result<Snapshot, sqlx::Error> {
        match self {
            Reader::Pg(c) => pg::read(c, opts).await,
            Reader::Mysql(c) => mysql::read(c, opts).await,
        }
    }

    pub async fn close(self) {
        let _ = match self {
            Reader::Pg(c) => c.close().await,
            Reader::Mysql(c) => c.close().await,
        };
    }
}

/// Connect, read the schema at `url`, disconnect.
pub async fn snapshot(url: &DbUrl, opts: &Options) -> Result<Snapshot, RunError> {
    let mut reader = Reader::connect(url).await?;
    let out = reader.read(opts).await.map_err(|e| {
        RunError::Db(format!(
            "cannot read the schema of {url}: {}",
            url.scrub(&e.to_string())
        ))
    });
    reader.close().await;
    out
}

/// `schema.name`, or `name` in `public` (the common case reads as the user wrote it).
fn qualify(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

/// Empty text is no value (MySQL reports missing comments as '').
fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}
