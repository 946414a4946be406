//! pg_repack: online rebuilds (`VACUUM FULL`, `CLUSTER`) without the long ACCESS EXCLUSIVE
//! lock. Always `--no-kill-backend`: a session in the way makes pg_repack wait and give up,
//! never get killed.

use std::path::{Path, PathBuf};

use super::Action;
use sluice_core::sql::ops::{ObjName, Operation, RewriteKind};
use sluice_core::sql::{Dialect, quote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repack {
    pub bin: PathBuf,
    pub table: ObjName,
    /// `VACUUM FULL`: no ordering (`--no-order`); `CLUSTER`: the table's cluster index.
    pub no_order: bool,
}

impl Repack {
    /// Command-line arguments for a connection's host, port, user and database (the
    /// password goes in `PGPASSWORD`).
    pub fn args(&self, conn: &crate::url::ToolConn) -> Vec<String> {
        let mut a = vec![
            "--no-kill-backend".to_owned(),
            "--wait-timeout=60".to_owned(),
        ];
        if self.no_order {
            a.push("--no-order".into());
        }
        a.push(format!(
            "--table={}",
            quote::qualified(Dialect::Postgres, &self.table)
        ));
        if let Some(h) = &conn.host {
            a.push(format!("--host={h}"));
        }
        if let Some(p) = conn.port {
            a.push(format!("--port={p}"));
        }
        if let Some(u) = &conn.user {
            a.push(format!("--username={u}"));
        }
        if let Some(d) = &conn.database {
            a.push(format!("--dbname={d}"));
        }
        a
    }

    /// What `--dry-run` shows.
    pub fn display(&self) -> String {
        format!(
            "-- external: {} --no-kill-backend{} --table={} (host, port, user, database from DATABASE_URL; password in PGPASSWORD)",
            self.bin.display(),
            if self.no_order { " --no-order" } else { "" },
            quote::qualified(Dialect::Postgres, &self.table)
        )
    }
}

pub(super) fn actions(bin: &Path, op: &Operation) -> Result<Vec<Action>, String> {
    let Operation::TableRewrite {
        table: Some(table),
        kind,
    } = op
    else {
        return Err("pg_repack rebuilds one named table".into());
    };
    Ok(vec![
        Action::Sql {
            sql: "CREATE EXTENSION IF NOT EXISTS pg_repack".into(),
            no_tx: true,
        },
        Action::Tool(super::Tool::Repack(Repack {
            bin: bin.to_owned(),
            table: table.clone(),
            no_order: *kind == RewriteKind::VacuumFull,
        })),
    ])
}

/// `pg_repack` on PATH, or in PostgreSQL's Debian bin directories.
pub fn find() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("pg_repack"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin/pg_repack")))
            .filter(|p| p.is_file())
            .collect();
        dirs.sort();
        dirs.pop()
    })
}
