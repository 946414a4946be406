//! The application's queries: read from a file (one statement each, `$1` or `?` parameters)
//! or from a production `pg_stat_statements`, and prepared (never executed) against the
//! scratch schema.

use std::path::Path;

use serde::Serialize;
use sqlx::{Connection, Executor};

use super::super::RunError;
use super::super::driver::DbError;
use super::super::snapshot::Reader;
use super::super::url::DbUrl;
use sluice_core::source::SourceFile;
use sluice_core::source::split::{self, SplitOptions};
use sluice_core::sql::Dialect;

/// One application query and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Query {
    pub sql: String,
    /// `file:line`, or `pg_stat_statements #queryid`.
    pub origin: String,
}

/// The statements of a queries file, each with its line.
pub fn from_file(path: &Path, dialect: Dialect) -> Result<Vec<Query>, RunError> {
    let file = SourceFile::read(path).map_err(|e| RunError::Input(e.to_string()))?;
    let mut out = Vec::new();
    for c in split::split(&file.text, SplitOptions::new(dialect, false)) {
        if let Some(err) = c.error {
            return Err(RunError::Input(format!(
                "{}:{}:{}: {}; fix the queries file",
                path.display(),
                file.line_col(err.offset).line,
                file.line_col(err.offset).column,
                err.kind.message()
            )));
        }
        let Some(r) = c.stmt.filter(|r| !r.is_empty()) else {
            continue;
        };
        out.push(Query {
            sql: file.text[r.clone()].to_owned(),
            origin: format!("{}:{}", path.display(), file.line_col(r.start).line),
        });
    }
    if out.is_empty() {
        return Err(RunError::Input(format!(
            "{}: no query in the file; write one SQL statement per query, separated by `;`",
            path.display()
        )));
    }
    Ok(out)
}

/// The normalized queries `pg_stat_statements` recorded on the database of `url` (read
/// only, the query texts alone): statements that read or write rows, most called first.
pub async fn from_pg_stat_statements(url: &DbUrl) -> Result<Vec<Query>, RunError> {
    if url.dialect() != Dialect::Postgres {
        return Err(RunError::Url(format!(
            "{url}: pg_stat_statements is PostgreSQL's; pass a postgres:// URL"
        )));
    }
    let fail = |e: sqlx::Error| {
        RunError::Db(format!(
            "cannot read pg_stat_statements on {url}: {}; is the extension created there (`CREATE EXTENSION pg_stat_statements`) and readable by this role (pg_read_all_stats)?",
            url.scrub(&DbError::from(e).message)
        ))
    };
    let mut c = sqlx::PgConnection::connect(url.secret())
        .await
        .map_err(fail)?;
    let rows: Result<Vec<(Option<i64>, String)>, _> = sqlx::query_as(
        "SELECT s.queryid, s.query FROM pg_stat_statements s \
         JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() \
         AND s.query ~* '^\\s*(select|insert|update|delete|with)\\M' \
         ORDER BY s.calls DESC, s.queryid",
    )
    .fetch_all(&mut c)
    .await;
    let _ = c.close().await;
    // the application's queries: not Sluice's own (its ledger, this very read), and each
    // text once (the server keeps one entry per role and top level)
    let mut seen = std::collections::BTreeSet::new();
    Ok(rows
        .map_err(fail)?
        .into_iter()
        .filter(|(_, q)| !q.contains("sluice_") && !q.contains("pg_stat_statements"))
        .filter(|(_, q)| seen.insert(q.clone()))
        .map(|(id, sql)| Query {
            sql,
            origin: format!("pg_stat_statements #{}", id.unwrap_or_default()),
        })
        .collect())
}

/// Prepare `q` on the reader's connection (parse and plan, no execution); the server's
/// error when it does not prepare.
pub(super) async fn prepare(reader: &mut Reader, q: &str) -> Result<(), String> {
    // a cached statement would answer for an older schema: none is kept
    let r = match reader {
        Reader::Pg(c) => {
            let r = c.prepare(q).await.map(|_| ());
            c.clear_cached_statements().await.and(r)
        }
        Reader::Mysql(c) => {
            let r = c.prepare(q).await.map(|_| ());
            c.clear_cached_statements().await.and(r)
        }
    };
    r.map_err(|e| DbError::from(e).message)
}
