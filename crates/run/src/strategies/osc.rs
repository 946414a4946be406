//! Online schema change tools for MySQL / MariaDB statements that need a table copy:
//! pt-online-schema-change (Percona Toolkit) and gh-ost. Pure: the command lines, what
//! `--dry-run` shows, their progress lines and exit codes; the engine runs them.
//!
//! Passwords never reach a command line: pt-online-schema-change reads it from a defaults
//! file (`F=` in the DSN, written 0600 by the engine), gh-ost from its `--conf` file.

use std::path::{Path, PathBuf};

use sluice_core::sql::ops::ObjName;

/// The connection a tool gets (from DATABASE_URL), without the password.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolTarget {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
}

/// One run of pt-online-schema-change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtOsc {
    pub bin: PathBuf,
    /// Database and table altered.
    pub database: String,
    pub table: String,
    /// The ALTER clauses, without `ALTER TABLE t`.
    pub alter: String,
    /// `[run] alter_foreign_keys_method` (needed when other tables reference this one).
    pub alter_foreign_keys_method: Option<String>,
    /// `Some(name)`: copy into `name` and keep it in sync (triggers stay), the swap waits for
    /// the migration's contract phase; `None`: swap at the end.
    pub defer_swap_to: Option<String>,
    /// MariaDB names the isolation variable `tx_isolation`.
    pub mariadb: bool,
    /// `lock_wait_timeout` of its session, whole seconds (`[run] lock_timeout`).
    pub lock_wait_timeout_s: u64,
    /// `--chunk-time` (`[run] osc_chunk_time`): each chunk's copy holds its source rows'
    /// locks, so an application write waits at most about this long.
    pub chunk_time: std::time::Duration,
}

impl PtOsc {
    /// The DSN: `h=..,P=..,u=..,D=db,t=table[,F=defaults file]`. Values with a comma or `=`
    /// would break the DSN; they are refused when the run is prepared.
    pub fn dsn(&self, target: &ToolTarget, defaults_file: Option<&Path>) -> String {
        let mut parts = Vec::new();
        if let Some(f) = defaults_file {
            // F must come first: DBD::mysql reads the file before the other keys
            parts.push(format!("F={}", f.display()));
        }
        if let Some(h) = &target.host {
            parts.push(format!("h={h}"));
        }
        if let Some(p) = target.port {
            parts.push(format!("P={p}"));
        }
        if let Some(u) = &target.user {
            parts.push(format!("u={u}"));
        }
        parts.push(format!("D={}", self.database));
        parts.push(format!("t={}", self.table));
        parts.join(",")
    }

    /// Arguments for `--dry-run` (`execute` false) or `--execute`.
    pub fn args(
        &self,
        target: &ToolTarget,
        defaults_file: Option<&Path>,
        execute: bool,
    ) -> Vec<String> {
        let mut a = vec![
            format!("--alter={}", self.alter),
            if execute { "--execute" } else { "--dry-run" }.to_owned(),
            // the old table stays until `migrate purge` (renamed to a soft-drop name)
            "--no-drop-old-table".to_owned(),
            format!("--chunk-time={:.3}", self.chunk_time.as_secs_f64()),
            // a line every 5% of the copy, however long it takes
            "--progress=percentage,5".to_owned(),
            "--recursion-method=none".to_owned(),
            "--no-version-check".to_owned(),
            "--no-analyze-before-swap".to_owned(),
            // READ COMMITTED: the chunk copy takes no gap locks on the original table
            // its metadata locks (triggers, swap) wait as briefly as ours, retried by
            // pt-osc's --tries, so queries do not queue behind them
            format!(
                "--set-vars={}='READ-COMMITTED',lock_wait_timeout={}",
                if self.mariadb {
                    "tx_isolation"
                } else {
                    "transaction_isolation"
                },
                self.lock_wait_timeout_s.max(1)
            ),
        ];
        if let Some(m) = &self.alter_foreign_keys_method {
            a.push(format!("--alter-foreign-keys-method={m}"));
        }
        // the dry run drops what it creates; only the real run keeps the copy
        if let Some(new) = self.defer_swap_to.as_ref().filter(|_| execute) {
            a.push("--no-swap-tables".to_owned());
            a.push("--no-drop-triggers".to_owned());
            a.push("--no-drop-new-table".to_owned());
            a.push(format!("--new-table-name={new}"));
        }
        a.push(self.dsn(target, defaults_file));
        a
    }

    /// What `--dry-run` shows.
    pub fn display(&self) -> String {
        format!(
            "-- external: {} --alter=\"{}\" --dry-run, then --execute --no-drop-old-table{}{} D={},t={} (host, port, user from DATABASE_URL; password in a 0600 defaults file)",
            self.bin.display(),
            self.alter,
            self.alter_foreign_keys_method
                .as_ref()
                .map(|m| format!(" --alter-foreign-keys-method={m}"))
                .unwrap_or_default(),
            self.defer_swap_to
                .as_ref()
                .map(|n| format!(
                    " --no-swap-tables --no-drop-triggers --new-table-name={n} (the swap runs at this migration's contract phase)"
                ))
                .unwrap_or_default(),
            self.database,
            self.table
        )
    }
}

/// pt-online-schema-change's exit statuses (its EXIT STATUS section, 3.x).
pub fn pt_osc_exit(code: Option<i32>) -> &'static str {
    match code {
        Some(1) => "invalid parameters",
        Some(2) => "unsupported MySQL version",
        Some(3) => "minimum requirements not met",
        Some(4) => "the table has no PRIMARY or UNIQUE key (pt-online-schema-change needs one)",
        Some(5) => "invalid plugin file",
        Some(6) => {
            "other tables reference this one: set [run] alter_foreign_keys_method in sluice.toml"
        }
        Some(7) => "invalid key size",
        Some(9) => "cannot determine the key size, or not safe to ascend the chunk index",
        Some(10) => "error creating the new table",
        Some(11) => "error altering the new table (the ALTER clauses are wrong for it)",
        Some(12) => "error creating the triggers",
        Some(13) => "error restoring the triggers",
        Some(14) => "error swapping the tables",
        Some(15) => "error updating the foreign keys",
        Some(16) => "error dropping the old table",
        Some(17) => "unsupported operation",
        Some(18) => "cannot connect to MySQL",
        Some(19) => "lost the MySQL connection",
        Some(255) => "failed (see its output)",
        None => "killed by a signal",
        Some(_) => "failed",
    }
}

/// A progress line of pt-online-schema-change (`Copying `db`.`t`:  45% 00:10 remain`):
/// the percentage.
pub fn pt_osc_percent(line: &str) -> Option<u8> {
    let (_, rest) = line.split_once("Copying ")?;
    let pct = rest.split('%').next()?;
    let n: String = pct
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    n.parse().ok()
}

/// One run of gh-ost, its cut-over postponed while `flag_file` exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GhOst {
    pub bin: PathBuf,
    pub database: String,
    pub table: String,
    pub alter: String,
    /// While this file exists gh-ost keeps the ghost table in sync and does not cut over.
    pub flag_file: PathBuf,
    /// The control socket (`status`, `throttle`, `unpostpone`, `panic`).
    pub socket: PathBuf,
    /// Cut over as soon as the copy is done (the contract gate holds already).
    pub cut_over_now: bool,
}

impl GhOst {
    /// Arguments (the password is in the `--conf` file the engine writes).
    pub fn args(&self, target: &ToolTarget, conf: Option<&Path>) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(h) = &target.host {
            a.push(format!("--host={h}"));
        }
        if let Some(p) = target.port {
            a.push(format!("--port={p}"));
        }
        if let Some(u) = &target.user {
            a.push(format!("--user={u}"));
        }
        if let Some(c) = conf {
            a.push(format!("--conf={}", c.display()));
        }
        a.extend([
            format!("--database={}", self.database),
            format!("--table={}", self.table),
            format!("--alter={}", self.alter),
            format!("--postpone-cut-over-flag-file={}", self.flag_file.display()),
            format!("--serve-socket-file={}", self.socket.display()),
            "--allow-on-master".to_owned(),
            "--cut-over-lock-timeout-seconds=3".to_owned(),
            "--ok-to-drop-table=false".to_owned(),
            "--execute".to_owned(),
        ]);
        a
    }

    pub fn display(&self) -> String {
        format!(
            "-- external: {} --database={} --table={} --alter=\"{}\" --postpone-cut-over-flag-file={} --execute (cut-over {})",
            self.bin.display(),
            self.database,
            self.table,
            self.alter,
            self.flag_file.display(),
            if self.cut_over_now {
                "when the copy is done"
            } else {
                "when the contract gate holds: the flag file is removed then"
            }
        )
    }
}

/// The name pt-online-schema-change keeps a deferred copy under: `_<table>_sluice_<version>`
/// fitted to an identifier (the engine finds it again at the contract phase).
pub fn deferred_copy_name(table: &str, version: &str) -> String {
    sluice_core::names::fit(
        "_",
        table,
        &format!("_osc_{}", sluice_core::names::version_tag(version)),
    )
}

/// The triggers pt-online-schema-change created for `table` in `database`.
pub fn pt_osc_triggers(database: &str, table: &str) -> [String; 3] {
    ["del", "upd", "ins"].map(|e| format!("pt_osc_{database}_{table}_{e}"))
}

/// A table name as the tools want it: unquoted; `None` when it holds characters a DSN or a
/// command line cannot carry safely.
pub fn plain_name(name: &ObjName) -> Option<(Option<String>, String)> {
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    if !ok(&name.name) || name.schema.as_deref().is_some_and(|s| !ok(s)) {
        return None;
    }
    Some((name.schema.clone(), name.name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osc() -> PtOsc {
        PtOsc {
            bin: "/usr/bin/pt-online-schema-change".into(),
            database: "app".into(),
            table: "big".into(),
            alter: "MODIFY COLUMN n BIGINT NOT NULL".into(),
            alter_foreign_keys_method: None,
            defer_swap_to: None,
            mariadb: true,
            lock_wait_timeout_s: 2,
            chunk_time: std::time::Duration::from_millis(100),
        }
    }

    #[test]
    fn the_command_line_carries_no_password() {
        let t = ToolTarget {
            host: Some("db.local".into()),
            port: Some(3307),
            user: Some("deploy".into()),
        };
        let args = osc().args(&t, Some(Path::new("/tmp/x.cnf")), true);
        assert_eq!(args[0], "--alter=MODIFY COLUMN n BIGINT NOT NULL");
        assert!(args.contains(&"--execute".to_owned()));
        assert!(args.contains(&"--no-drop-old-table".to_owned()));
        assert_eq!(
            args.last().unwrap(),
            "F=/tmp/x.cnf,h=db.local,P=3307,u=deploy,D=app,t=big"
        );
        assert!(
            !args
                .iter()
                .any(|a| a.contains("p=") || a.contains("password"))
        );
        let dry = osc().args(&t, None, false);
        assert!(dry.contains(&"--dry-run".to_owned()) && !dry.contains(&"--execute".to_owned()));
    }

    #[test]
    fn chunk_time_is_passed_in_seconds() {
        let mut o = osc();
        assert!(
            o.args(&ToolTarget::default(), None, true)
                .contains(&"--chunk-time=0.100".to_owned())
        );
        o.chunk_time = std::time::Duration::from_millis(1500);
        assert!(
            o.args(&ToolTarget::default(), None, true)
                .contains(&"--chunk-time=1.500".to_owned())
        );
    }

    #[test]
    fn a_deferred_swap_keeps_the_copy_in_sync() {
        let mut o = osc();
        o.defer_swap_to = Some(deferred_copy_name("big", "0002"));
        o.alter_foreign_keys_method = Some("rebuild_constraints".into());
        let args = o.args(&ToolTarget::default(), None, true);
        for want in [
            "--no-swap-tables",
            "--no-drop-triggers",
            "--new-table-name=_big_osc_0002",
            "--alter-foreign-keys-method=rebuild_constraints",
        ] {
            assert!(args.contains(&want.to_owned()), "{want} in {args:?}");
        }
        assert!(o.display().contains("contract phase"));
    }

    #[test]
    fn progress_and_exit_codes_are_read() {
        assert_eq!(
            pt_osc_percent("Copying `app`.`big`:  45% 00:10 remain"),
            Some(45)
        );
        assert_eq!(
            pt_osc_percent("Copying `app`.`big`: 100% 00:00 remain"),
            Some(100)
        );
        assert_eq!(pt_osc_percent("Created new table app._big_new OK."), None);
        assert!(pt_osc_exit(Some(4)).contains("PRIMARY"));
        assert!(pt_osc_exit(Some(6)).contains("alter_foreign_keys_method"));
        assert_eq!(pt_osc_exit(None), "killed by a signal");
    }

    #[test]
    fn names_a_command_line_cannot_carry_are_refused() {
        assert!(plain_name(&ObjName::new(None, "big")).is_some());
        assert!(plain_name(&ObjName::new(None, "a,b=c")).is_none());
        assert!(plain_name(&ObjName::new(Some("x y"), "t")).is_none());
    }
}
