//! Running the MySQL online schema change tools (pt-online-schema-change, gh-ost) for the
//! engine: the live facts the strategies choose from, the tool processes with their progress
//! streamed into [`Progress::Tool`], and the swaps deferred to a contract phase.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::driver::{DbError, Driver};
use super::strategies::osc::{self, GhOst, PtOsc, ToolTarget};
use super::{Engine, Progress, RunError};
use sluice_core::names;
use sluice_core::sql::quote::literal as quote_literal;
use sluice_core::sql::{Dialect, quote};

/// A `[client]` option file holding the password (0600), for tools that read one.
fn password_file(dir: &Path, password: &str, section: &str) -> std::io::Result<PathBuf> {
    let path = dir.join("client.cnf");
    let mut f = std::fs::OpenOptions::new();
    f.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        f.mode(0o600);
    }
    let mut file = f.open(&path)?;
    // option files take the value up to the end of the line; quotes keep spaces and `#`
    let escaped = password.replace('\\', "\\\\").replace('"', "\\\"");
    writeln!(file, "[{section}]\npassword=\"{escaped}\"")?;
    Ok(path)
}

impl Engine {
    fn tool_target(&self) -> (ToolTarget, Option<String>) {
        let c = self.url.tool_conn();
        (
            ToolTarget {
                host: c.host,
                port: c.port,
                user: c.user,
            },
            c.password,
        )
    }

    /// Run pt-online-schema-change: `--dry-run`, then `--execute`, streaming its progress.
    pub(super) async fn run_pt_osc(&self, version: &str, o: &PtOsc) -> Result<(), DbError> {
        let (target, password) = self.tool_target();
        let dir = tempfile::tempdir()
            .map_err(|e| DbError::other(format!("cannot create a temporary directory: {e}")))?;
        let defaults = match &password {
            Some(pw) => Some(password_file(dir.path(), pw, "client").map_err(|e| {
                DbError::other(format!(
                    "cannot write the password file for pt-online-schema-change: {e}"
                ))
            })?),
            None => None,
        };
        for execute in [false, true] {
            let args = o.args(&target, defaults.as_deref(), execute);
            tracing::info!(
                table = %o.table,
                execute,
                "pt-online-schema-change: {}",
                if execute { "copying online" } else { "checking (--dry-run)" }
            );
            let (status, tail) = self
                .stream_tool(
                    version,
                    "pt-online-schema-change",
                    &o.table,
                    &o.bin,
                    &args,
                    &[],
                )
                .await?;
            if !status.success() {
                return Err(DbError::other(format!(
                    "pt-online-schema-change {} of {}.{} failed: {} (exit {}); last output: {}; the original table is unchanged unless the output says it swapped",
                    if execute { "--execute" } else { "--dry-run" },
                    o.database,
                    o.table,
                    osc::pt_osc_exit(status.code()),
                    status
                        .code()
                        .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
                    self.url.scrub(&tail)
                )));
            }
        }
        Ok(())
    }

    /// Run a tool, sending each output line as [`Progress::Tool`]; its exit status and the
    /// last lines of its output.
    async fn stream_tool(
        &self,
        version: &str,
        tool: &str,
        table: &str,
        bin: &Path,
        args: &[String],
        env: &[(&str, &str)],
    ) -> Result<(std::process::ExitStatus, String), DbError> {
        let mut cmd = crate::process::tied_command(bin, &[]);
        cmd.args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| DbError::other(format!("cannot run {}: {e}", bin.display())))?;
        let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(DbError::other(format!("{tool}: no output pipes")));
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let tx2 = tx.clone();
        let a = tokio::spawn(async move {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let _ = tx.send(l);
            }
        });
        let b = tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let _ = tx2.send(l);
            }
        });
        let mut tail: Vec<String> = Vec::new();
        while let Some(line) = rx.recv().await {
            let line = self.url.scrub(line.trim_end());
            if line.trim().is_empty() {
                continue;
            }
            tracing::debug!(tool, "{line}");
            self.progress(Progress::Tool {
                version: version.to_owned(),
                tool: tool.to_owned(),
                table: table.to_owned(),
                percent: osc::pt_osc_percent(&line),
                line: line.clone(),
            });
            tail.push(line);
            if tail.len() > 8 {
                tail.remove(0);
            }
        }
        let _ = a.await;
        let _ = b.await;
        let status = child
            .wait()
            .await
            .map_err(|e| DbError::other(format!("{tool}: {e}")))?;
        Ok((status, tail.join(" | ")))
    }

    /// Run gh-ost. With `cut_over_now` it runs to the end; else it is left running in the
    /// background with its cut-over postponed (the flag file exists) once the copy is done,
    /// and [`Engine::osc_swaps`] removes the flag at the migration's contract phase.
    pub(super) async fn run_gh_ost(&self, version: &str, g: &GhOst) -> Result<(), DbError> {
        let (target, password) = self.tool_target();
        let dir = g
            .flag_file
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(std::env::temp_dir);
        let hooks = dir.join("hooks");
        std::fs::create_dir_all(&hooks)
            .map_err(|e| DbError::other(format!("cannot create {}: {e}", hooks.display())))?;
        for (event, marker) in [
            ("gh-ost-on-begin-postponed", "postponed"),
            ("gh-ost-on-success", "success"),
            ("gh-ost-on-failure", "failure"),
        ] {
            let path = hooks.join(event);
            let _ = std::fs::remove_file(dir.join(marker));
            std::fs::write(
                &path,
                format!("#!/bin/sh\ntouch '{}'\n", dir.join(marker).display()),
            )
            .map_err(|e| DbError::other(format!("cannot write {}: {e}", path.display())))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
            }
        }
        if !g.cut_over_now {
            std::fs::write(
                &g.flag_file,
                b"sluice: the cut-over waits for the contract gate\n",
            )
            .map_err(|e| DbError::other(format!("cannot write {}: {e}", g.flag_file.display())))?;
        }
        let conf = match &password {
            Some(pw) => Some(password_file(&dir, pw, "client").map_err(|e| {
                DbError::other(format!("cannot write the password file for gh-ost: {e}"))
            })?),
            None => None,
        };
        let mut args = g.args(&target, conf.as_deref());
        args.push(format!("--hooks-path={}", hooks.display()));
        if g.cut_over_now {
            let (status, tail) = self
                .stream_tool(version, "gh-ost", &g.table, &g.bin, &args, &[])
                .await?;
            if !status.success() {
                return Err(DbError::other(format!(
                    "gh-ost of {}.{} failed (exit {}): {}",
                    g.database,
                    g.table,
                    status
                        .code()
                        .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
                    self.url.scrub(&tail)
                )));
            }
            return Ok(());
        }
        // detached: it outlives this run and waits for the flag file to go
        let log = std::fs::File::create(dir.join("gh-ost.log"))
            .map_err(|e| DbError::other(format!("cannot write gh-ost.log: {e}")))?;
        let log2 = log
            .try_clone()
            .map_err(|e| DbError::other(format!("gh-ost.log: {e}")))?;
        let mut cmd = crate::process::command(&g.bin, &[]);
        // it outlives this run: the cut-over waits for the contract
        cmd.kill_on_drop(false);
        let mut child = cmd
            .args(&args)
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| DbError::other(format!("cannot run {}: {e}", g.bin.display())))?;
        self.progress(Progress::Tool {
            version: version.to_owned(),
            tool: "gh-ost".into(),
            table: g.table.clone(),
            percent: None,
            line: format!(
                "copying; the cut-over waits for the contract gate (flag file {})",
                g.flag_file.display()
            ),
        });
        loop {
            if dir.join("postponed").exists() {
                break;
            }
            if dir.join("failure").exists() {
                return Err(DbError::other(format!(
                    "gh-ost of {}.{} failed; see {}",
                    g.database,
                    g.table,
                    dir.join("gh-ost.log").display()
                )));
            }
            if let Ok(Some(st)) = child.try_wait() {
                return Err(DbError::other(format!(
                    "gh-ost of {}.{} exited ({st}) before its cut-over; see {}",
                    g.database,
                    g.table,
                    dir.join("gh-ost.log").display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.progress(Progress::Tool {
            version: version.to_owned(),
            tool: "gh-ost".into(),
            table: g.table.clone(),
            percent: Some(100),
            line: "copy done; the ghost table stays in sync until the contract phase cuts over"
                .into(),
        });
        Ok(())
    }

    /// At the contract phase of `version` (its gate holds): the swaps its expand deferred.
    /// pt-online-schema-change copies `_<t>_osc_<version>` take the table's place (the old
    /// table gets its soft-drop name, its sync triggers go); gh-ost's flag files are removed
    /// and the cut-over awaited. Idempotent: what is done is not found again.
    pub(super) async fn osc_swaps(
        &self,
        conn: &mut dyn Driver,
        version: &str,
    ) -> Result<(), RunError> {
        let suffix = format!("_osc_{}", names::version_tag(version));
        let copies = conn
            .query_text(&format!(
                "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
                 AND RIGHT(TABLE_NAME, {}) = {} ORDER BY 1",
                suffix.len(),
                quote_literal(Dialect::Mysql, &suffix)
            ))
            .await
            .map_err(RunError::db)?;
        let database = conn
            .query_text("SELECT CAST(DATABASE() AS CHAR)")
            .await
            .map_err(RunError::db)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default();
        for copy in copies
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            // `_<table>_osc_<v>`: the table is what the name was made from
            let Some(table) = copy
                .strip_prefix('_')
                .and_then(|c| c.strip_suffix(&suffix))
                .filter(|t| osc::deferred_copy_name(t, version) == copy)
            else {
                continue;
            };
            let q = |n: &str| quote::ident_min(Dialect::Mysql, n);
            let soft = names::soft_drop(table, version);
            // one RENAME swaps both atomically; the triggers then sit on the old table
            let swap = format!(
                "RENAME TABLE {} TO {}, {} TO {}",
                q(table),
                q(&soft),
                q(&copy),
                q(table)
            );
            tracing::info!(
                table,
                copy,
                "pt-online-schema-change copy swapped in (contract)"
            );
            self.progress(Progress::Tool {
                version: version.to_owned(),
                tool: "pt-online-schema-change".into(),
                table: table.to_owned(),
                percent: None,
                line: format!("contract: {swap}"),
            });
            conn.exec(&swap).await.map_err(RunError::db)?;
            for t in osc::pt_osc_triggers(&database, table) {
                conn.exec(&format!("DROP TRIGGER IF EXISTS {}", q(&t)))
                    .await
                    .map_err(RunError::db)?;
            }
        }
        // gh-ost runs waiting for this contract
        let root = std::env::temp_dir().join("sluice-gh-ost");
        let tag = format!(".{}", names::version_tag(version));
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.starts_with(&format!("{database}.")) && n.ends_with(&tag)
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        dirs.sort();
        for dir in dirs {
            let flag = dir.join("postpone-cut-over");
            if !flag.exists() {
                continue;
            }
            let table = dir
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(&format!("{database}.")))
                .and_then(|n| n.strip_suffix(&tag))
                .unwrap_or_default()
                .to_owned();
            std::fs::remove_file(&flag).map_err(|e| {
                RunError::Db(format!(
                    "cannot remove gh-ost's flag file {}: {e}",
                    flag.display()
                ))
            })?;
            self.progress(Progress::Tool {
                version: version.to_owned(),
                tool: "gh-ost".into(),
                table: table.clone(),
                percent: None,
                line: "contract gate holds: flag file removed, cutting over".into(),
            });
            let deadline =
                std::time::Instant::now() + self.settings.lock_wait.max(Duration::from_secs(60));
            loop {
                if dir.join("success").exists() {
                    break;
                }
                if dir.join("failure").exists() || std::time::Instant::now() > deadline {
                    return Err(RunError::Db(format!(
                        "gh-ost did not cut over {table} after its flag file was removed; see {}",
                        dir.join("gh-ost.log").display()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let q = |n: &str| quote::ident_min(Dialect::Mysql, n);
            let old = format!("_{table}_del");
            let soft = names::soft_drop(&table, version);
            conn.exec(&format!("RENAME TABLE {} TO {}", q(&old), q(&soft)))
                .await
                .map_err(RunError::db)?;
        }
        Ok(())
    }
}

impl Engine {
    /// Before pt-online-schema-change runs on `o.table`, what an interrupted run of it left
    /// (the runner killed, its session or the server lost): its triggers and new table go
    /// (the tool cannot continue them; it would refuse a table with triggers). `true` when
    /// that run had already swapped the tables (its `_<table>_old` is there, its new table
    /// gone; its triggers, if it was killed before dropping them, go): the copy is done and
    /// must not run again.
    pub(super) async fn pt_osc_leftovers(
        &self,
        conn: &mut dyn Driver,
        o: &PtOsc,
    ) -> Result<bool, DbError> {
        let db = &o.database;
        let new = o
            .defer_swap_to
            .clone()
            .unwrap_or_else(|| format!("_{}_new", o.table));
        let old = format!("_{}_old", o.table);
        // a pt-osc killed with the runner may still have a statement running on the server
        // (a copy chunk, the swap's RENAME): what it leaves is read once that has finished
        self.pt_osc_settle(conn, db, &new).await?;
        let left = self
            .pt_osc_objects(conn, db, &o.table, &[&new, &old])
            .await?;
        let triggers: Vec<&String> = left.iter().filter(|n| n.starts_with("trigger ")).collect();
        let has = |t: &str| left.iter().any(|n| n == &format!("table {t}"));
        if o.defer_swap_to.is_none() && has(&old) && !has(&new) {
            // killed between the swap and dropping its triggers (which moved to the old table
            // with the rename): they go now
            if !triggers.is_empty() {
                self.pt_osc_drop(conn, db, &o.table, &new).await?;
            }
            tracing::warn!(table = %o.table, "pt-online-schema-change had already swapped the table before the interruption: not run again");
            return Ok(true);
        }
        if !triggers.is_empty() || has(&new) {
            tracing::warn!(table = %o.table, left = ?left, "dropping what an interrupted pt-online-schema-change left before running it again");
            self.pt_osc_drop(conn, db, &o.table, &new).await?;
        }
        Ok(false)
    }

    /// Wait (up to a minute) until no other session runs a statement on pt-osc's copy
    /// `new` of a run that was interrupted.
    async fn pt_osc_settle(
        &self,
        conn: &mut dyn Driver,
        db: &str,
        new: &str,
    ) -> Result<(), DbError> {
        let pattern = format!("%`{}`.`{}`%", db.replace('`', "``"), new.replace('`', "``"));
        let sql = format!(
            "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.PROCESSLIST \
             WHERE ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE {}",
            quote_literal(Dialect::Mysql, &pattern)
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let busy = conn
                .query_text(&sql)
                .await?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten())
                .is_some_and(|n| n != "0");
            if !busy {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                tracing::warn!(
                    table = new,
                    "a statement on pt-online-schema-change's copy is still running after a minute; going on"
                );
                return Ok(());
            }
            tracing::info!(
                table = new,
                "waiting for an interrupted pt-online-schema-change's statement to finish"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// pt-online-schema-change's triggers on `table` and which of `tables` exist, as
    /// `trigger <name>` / `table <name>`.
    async fn pt_osc_objects(
        &self,
        conn: &mut dyn Driver,
        db: &str,
        table: &str,
        tables: &[&str],
    ) -> Result<Vec<String>, DbError> {
        let l = |s: &str| quote_literal(Dialect::Mysql, s);
        let triggers: Vec<String> = osc::pt_osc_triggers(db, table)
            .iter()
            .map(|t| l(t))
            .collect();
        let names: Vec<String> = tables.iter().map(|t| l(t)).collect();
        let rows = conn
            .query_text(&format!(
                "SELECT CAST(CONCAT('trigger ', TRIGGER_NAME) AS CHAR) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {db_l} AND TRIGGER_NAME IN ({}) \
                 UNION ALL SELECT CAST(CONCAT('table ', TABLE_NAME) AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {db_l} AND TABLE_NAME IN ({}) ORDER BY 1",
                triggers.join(", "),
                names.join(", "),
                db_l = l(db)
            ))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect())
    }

    /// Drop pt-online-schema-change's triggers on `table` (first: while they exist every
    /// write also goes to the copy), then its copy `new`.
    async fn pt_osc_drop(
        &self,
        conn: &mut dyn Driver,
        db: &str,
        table: &str,
        new: &str,
    ) -> Result<(), DbError> {
        let q = |n: &str| quote::ident_min(Dialect::Mysql, n);
        for t in osc::pt_osc_triggers(db, table) {
            conn.exec(&format!("DROP TRIGGER IF EXISTS {}.{}", q(db), q(&t)))
                .await?;
        }
        conn.exec(&format!("DROP TABLE IF EXISTS {}.{}", q(db), q(new)))
            .await
    }

    /// Before the rollback of an expand that did not finish: what an interrupted
    /// pt-online-schema-change of one of `tables` left. Its triggers and copy go; a table it
    /// had already swapped out (`_<table>_old`, which the expand's next statement renames)
    /// takes its soft-drop name, as the finished expand would have left it. Whether one
    /// had been swapped.
    pub(super) async fn pt_osc_abandon(
        &self,
        conn: &mut dyn Driver,
        version: &str,
        tables: &[(Option<String>, String)],
    ) -> Result<bool, RunError> {
        let mut swapped = false;
        let current = conn
            .query_text("SELECT CAST(DATABASE() AS CHAR)")
            .await
            .map_err(RunError::db)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default();
        let q = |n: &str| quote::ident_min(Dialect::Mysql, n);
        for (schema, table) in tables {
            let db = schema.clone().unwrap_or_else(|| current.clone());
            let new = format!("_{table}_new");
            let old = format!("_{table}_old");
            // as before a re-run: a statement the killed tool left running on the server
            // (its CREATE of the copy, a chunk, the swap) lands first, then what is left is read
            self.pt_osc_settle(conn, &db, &new)
                .await
                .map_err(RunError::db)?;
            let left = self
                .pt_osc_objects(conn, &db, table, &[&new, &old])
                .await
                .map_err(RunError::db)?;
            if left.is_empty() {
                continue;
            }
            tracing::warn!(table, left = ?left, "rollback: dropping what an interrupted pt-online-schema-change left");
            self.pt_osc_drop(conn, &db, table, &new)
                .await
                .map_err(RunError::db)?;
            if left.iter().any(|n| n == &format!("table {old}")) {
                swapped = true;
                let soft = names::soft_drop(table, version);
                conn.exec(&format!(
                    "RENAME TABLE {}.{} TO {}.{}",
                    q(&db),
                    q(&old),
                    q(&db),
                    q(&soft)
                ))
                .await
                .map_err(RunError::db)?;
            }
        }
        Ok(swapped)
    }

    /// Before the rollback of `version`'s expand: the copies it left waiting for the
    /// contract go (pt-online-schema-change's triggers, then its copy table), and gh-ost runs
    /// waiting on a flag file are told to `panic` (abort without cutting over).
    pub(super) async fn osc_abandon(
        &self,
        conn: &mut dyn Driver,
        version: &str,
    ) -> Result<(), RunError> {
        let suffix = format!("_osc_{}", names::version_tag(version));
        let database = conn
            .query_text("SELECT CAST(DATABASE() AS CHAR)")
            .await
            .map_err(RunError::db)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default();
        let copies = conn
            .query_text(&format!(
                "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
                 AND RIGHT(TABLE_NAME, {}) = {} ORDER BY 1",
                suffix.len(),
                quote_literal(Dialect::Mysql, &suffix)
            ))
            .await
            .map_err(RunError::db)?;
        let q = |n: &str| quote::ident_min(Dialect::Mysql, n);
        for copy in copies
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            let Some(table) = copy
                .strip_prefix('_')
                .and_then(|c| c.strip_suffix(&suffix))
                .filter(|t| osc::deferred_copy_name(t, version) == copy)
            else {
                continue;
            };
            // triggers first: while they exist, every write to the table also writes the copy
            for t in osc::pt_osc_triggers(&database, table) {
                conn.exec(&format!("DROP TRIGGER IF EXISTS {}", q(&t)))
                    .await
                    .map_err(RunError::db)?;
            }
            conn.exec(&format!("DROP TABLE IF EXISTS {}", q(&copy)))
                .await
                .map_err(RunError::db)?;
            tracing::info!(
                table,
                copy,
                "rollback: the copy waiting for the contract is dropped"
            );
        }
        let root = std::env::temp_dir().join("sluice-gh-ost");
        let tag = format!(".{}", names::version_tag(version));
        let prefix = format!("{database}.");
        for dir in std::fs::read_dir(&root)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
        {
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !(name.starts_with(&prefix) && name.ends_with(&tag)) {
                continue;
            }
            if !dir.join("postpone-cut-over").exists() {
                continue;
            }
            #[cfg(unix)]
            {
                use tokio::io::AsyncWriteExt;
                match tokio::net::UnixStream::connect(dir.join("gh-ost.sock")).await {
                    Ok(mut sock) => {
                        let _ = sock.write_all(b"panic\n").await;
                    }
                    Err(e) => tracing::warn!(
                        dir = %dir.display(),
                        "cannot reach gh-ost's socket to abort it ({e}); stop it by hand, its flag file stays so it never cuts over"
                    ),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_file_is_private_and_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let p = password_file(dir.path(), "s3\"cr#t", "client").unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "[client]\npassword=\"s3\\\"cr#t\"\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
