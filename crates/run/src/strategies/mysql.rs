//! MySQL / MariaDB strategies: every `ALTER TABLE` runs with its algorithm pinned
//! (`INSTANT`, or `INPLACE, LOCK=NONE`) so an unexpected table copy fails fast; one that
//! needs a copy goes to pt-online-schema-change or gh-ost. The algorithm comes from the
//! online DDL facts of `lint::mysql`, applied to the live column types the engine read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sqlparser::ast::{AlterTableOperation, Statement as Ast};

use super::osc::{self, GhOst, PtOsc};
use super::{Action, Choice, Chosen, Facts, Strategy, Tool, plain, reason};
use sluice_core::catalog::SqlType;
use sluice_core::names;
use sluice_core::sql::ops::{ConstraintKind, ObjName, Operation};
use sluice_core::sql::{self, Dialect, quote};
use sluice_lint::mysql::{self as online, Algorithm, Encoding, Indexed};
use sluice_lint::settings::MysqlServer;

/// A column as the live server has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveColumn {
    /// `COLUMN_TYPE` (`int(11)`, `varchar(50)`).
    pub column_type: String,
    pub charset: Option<String>,
    /// `COLLATION_NAME`.
    pub collation: Option<String>,
    pub not_null: bool,
    /// Which index holds it.
    pub indexed: Indexed,
}

/// What the MySQL strategies need to know, read by the engine before it chooses.
#[derive(Debug, Clone)]
pub struct MysqlFacts {
    pub server: MysqlServer,
    /// The connection's database (`DATABASE()`).
    pub database: String,
    /// By (table, column), lower case.
    pub columns: BTreeMap<(String, String), LiveColumn>,
    /// Default charset and collation by table (lower case).
    pub table_defaults: BTreeMap<String, Encoding>,
    /// Tables other tables reference, with the referencing `table.constraint`s.
    pub children: BTreeMap<String, Vec<String>>,
    pub pt_osc: Option<PathBuf>,
    pub gh_ost: Option<PathBuf>,
    /// `[run] alter_foreign_keys_method`.
    pub alter_foreign_keys_method: Option<String>,
    /// The migration being applied (soft-drop names carry it).
    pub version: String,
    /// The script is the expand phase of a migration with a contract phase: a copy is kept
    /// in sync and swapped in at that contract (the rollout gate holds then).
    pub defer_swap: bool,
    /// Where gh-ost's flag file, socket and hooks go.
    pub work_dir: PathBuf,
    /// `[run] lock_timeout` in whole seconds, for the tools' sessions.
    pub lock_wait_timeout_s: u64,
    /// `[run] osc_chunk_time`.
    pub chunk_time: std::time::Duration,
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn pin(alter: &sqlparser::ast::AlterTable, algorithm: Algorithm) -> String {
    Ast::AlterTable(online::pinned(alter, algorithm)).to_string()
}

/// The ALTER clauses without `ALTER TABLE t` and without ALGORITHM / LOCK.
fn clauses(alter: &sqlparser::ast::AlterTable) -> String {
    alter
        .operations
        .iter()
        .filter(|o| {
            !matches!(
                o,
                AlterTableOperation::Algorithm { .. } | AlterTableOperation::Lock { .. }
            )
        })
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The best algorithm for the statement's actions on the live schema: `Ok(Some(a))`,
/// `Err(reasons)` for a table copy, `Ok(None)` when unknown (an action this does not type).
fn algorithm(
    my: &MysqlFacts,
    table: &ObjName,
    ops: &[Operation],
) -> Result<Option<Algorithm>, Vec<String>> {
    let server = &my.server;
    let t = lower(&table.name);
    let defaults = my
        .table_defaults
        .get(&t)
        .cloned()
        .unwrap_or_else(|| Encoding::of_table(server, None, None));
    let mut best = Algorithm::Instant;
    let mut copy = Vec::new();
    let mut add = |r: Result<Algorithm, String>| match r {
        Ok(a) => best = best.max(a),
        Err(why) => copy.push(why),
    };
    let instant_if = |yes: bool| {
        Ok(if yes {
            Algorithm::Instant
        } else {
            Algorithm::Inplace
        })
    };
    for op in ops {
        match op {
            Operation::AlterTableOptions { .. } => {}
            Operation::AddColumn { column, .. } => {
                if column.references.is_some() && online::inline_references_create_fk(server) {
                    add(Err("adds a FOREIGN KEY (inline REFERENCES)".into()));
                } else {
                    add(online::add_column(server, column));
                }
            }
            // an indexed column is dropped in place (MariaDB 10.11: "ALGORITHM=INSTANT is not
            // supported. Reason: DROP INDEX")
            Operation::DropColumn { column, .. } => add(instant_if(
                (server.mysql_at_least(8, 0, 29) || server.mariadb_at_least(10, 4))
                    && !my
                        .columns
                        .get(&(t.clone(), lower(column)))
                        .is_some_and(|c| c.indexed != Indexed::No),
            )),
            Operation::RenameColumn { .. } => add(instant_if(
                server.mysql_at_least(8, 0, 28) || server.mariadb_at_least(10, 3),
            )),
            Operation::RedefineColumn { .. } => {}
            Operation::AlterColumnType {
                column, new_type, ..
            } => {
                // CHANGE old new: the live column is `old`
                let from = ops
                    .iter()
                    .find_map(|o| match o {
                        Operation::RenameColumn { from, to, .. } if to == column => {
                            Some(from.as_str())
                        }
                        _ => None,
                    })
                    .unwrap_or(column);
                let Some(live) = my.columns.get(&(t.clone(), lower(from))) else {
                    return Ok(None);
                };
                let spec = ops.iter().find_map(|o| match o {
                    Operation::RedefineColumn { column: c, .. } if c.name == *column => Some(c),
                    _ => None,
                });
                let (from_enc, to_enc) = Encoding::redefined(
                    server,
                    &defaults,
                    (live.charset.as_deref(), live.collation.as_deref()),
                    spec,
                );
                let mut r = online::type_change(
                    server,
                    &SqlType::parse(&live.column_type),
                    &from_enc,
                    &SqlType::parse(new_type),
                    &to_enc,
                    live.indexed,
                );
                if let (Ok(_), Some(spec)) = (&r, spec) {
                    if spec.serial {
                        r = Err("makes the column AUTO_INCREMENT".into());
                    } else if spec.not_null != live.not_null {
                        r = r.map(|a| a.max(Algorithm::Inplace));
                    }
                }
                add(r);
            }
            Operation::SetDefault { .. } | Operation::DropDefault { .. } => {
                add(Ok(Algorithm::Instant))
            }
            Operation::AddConstraint { constraint, .. } => add(match constraint.kind {
                ConstraintKind::ForeignKey => {
                    Err("adds a FOREIGN KEY with foreign_key_checks on".into())
                }
                ConstraintKind::Check => Err("adds a CHECK constraint".into()),
                _ => Ok(Algorithm::Inplace),
            }),
            Operation::CreateIndex {
                fulltext_or_spatial,
                ..
            } => add(if *fulltext_or_spatial {
                Err("builds a FULLTEXT / SPATIAL index (LOCK=SHARED)".into())
            } else {
                Ok(Algorithm::Inplace)
            }),
            Operation::DropIndex { .. }
            | Operation::DropConstraint { .. }
            | Operation::SetNotNull { .. }
            | Operation::DropNotNull { .. } => add(Ok(Algorithm::Inplace)),
            _ => return Ok(None),
        }
    }
    if copy.is_empty() {
        Ok(Some(best))
    } else {
        Err(copy)
    }
}

/// Choose how to run one statement on MySQL / MariaDB.
pub fn choose(
    sql_text: &str,
    created_here: bool,
    forced: Option<Strategy>,
    facts: &Facts,
) -> Result<Chosen, String> {
    let forced_name = forced.map(Strategy::name);
    let not_applicable = |why: &str| match forced_name {
        Some(f) => Err(format!(
            "`-- sluice:strategy {f}` does not apply to this statement: {why}"
        )),
        None => Ok(plain("as written", false)),
    };
    if forced.is_some_and(|f| {
        matches!(
            f,
            Strategy::ConcurrentIndex
                | Strategy::NotValidValidate
                | Strategy::NotNullCheck
                | Strategy::OwnTransaction
                | Strategy::PgRepack
        )
    }) {
        return Err(format!(
            "`-- sluice:strategy {}` is a PostgreSQL strategy; on MySQL: instant, inplace, pt-osc, gh-ost, plain",
            forced_name.unwrap_or_default()
        ));
    }
    let Some(my) = &facts.mysql else {
        return not_applicable("the database was not read");
    };
    let Ok(asts) = sql::parse(Dialect::Mysql, sql_text) else {
        return not_applicable("the parser cannot read it");
    };
    let [Ast::AlterTable(alter)] = asts.as_slice() else {
        return not_applicable("strategies apply to ALTER TABLE");
    };
    let ops = sql::classify::classify(Dialect::Mysql, &asts[0]);
    let Some(table) = ops.iter().find_map(|o| o.table().cloned()) else {
        return not_applicable("no table");
    };
    let pinned_by_user = ops.iter().any(|o| {
        matches!(
            o,
            Operation::AlterTableOptions {
                algorithm: Some(_),
                ..
            }
        )
    });
    let verdict = algorithm(my, &table, &ops);
    let chosen = |strategy: Strategy, actions: Vec<Action>, why: String| Chosen {
        choice: Choice {
            strategy,
            reason: why,
            forced: forced.is_some(),
        },
        actions: Some(actions),
    };
    let pinned = |a: Algorithm| {
        let s = if a == Algorithm::Instant {
            Strategy::Instant
        } else {
            Strategy::Inplace
        };
        chosen(
            s,
            vec![Action::Sql {
                sql: pin(alter, a),
                no_tx: true,
            }],
            reason(s).to_owned(),
        )
    };
    let want = match forced {
        Some(Strategy::Instant) => return Ok(pinned(Algorithm::Instant)),
        Some(Strategy::Inplace) => return Ok(pinned(Algorithm::Inplace)),
        Some(s @ (Strategy::PtOsc | Strategy::GhOst)) => s,
        _ => {
            if pinned_by_user {
                return Ok(plain(
                    "ALGORITHM pinned in the statement: as written",
                    false,
                ));
            }
            if created_here {
                return Ok(plain(
                    "the table is created earlier in this script: nothing else uses it yet",
                    false,
                ));
            }
            match &verdict {
                Ok(Some(a)) => return Ok(pinned(*a)),
                Ok(None) => return Ok(plain("as written", false)),
                Err(why) => {
                    let rows = my_rows(facts, &table);
                    if let Some(rows) = rows
                        && rows < facts.large_table_rows
                    {
                        return Ok(plain(
                            format!(
                                "needs a table copy ({}), but {table} has about {rows} rows (below large_table_rows {}): the copy is short",
                                why.join("; "),
                                facts.large_table_rows
                            ),
                            false,
                        ));
                    }
                    if my.pt_osc.is_some() {
                        Strategy::PtOsc
                    } else if my.gh_ost.is_some() {
                        Strategy::GhOst
                    } else {
                        return Ok(plain(
                            format!(
                                "needs a table copy ({}) and neither pt-online-schema-change (Debian: percona-toolkit) nor gh-ost is installed: runs as written, blocking writes while it copies",
                                why.join("; ")
                            ),
                            false,
                        ));
                    }
                }
            }
        }
    };
    let Some((schema, name)) = osc::plain_name(&table) else {
        return Err(format!(
            "table {table}: an online schema change tool cannot take this name on its command line; rename it or run the statement by hand"
        ));
    };
    let database = schema.unwrap_or_else(|| my.database.clone());
    let alter_text = clauses(alter);
    let copy_why = match &verdict {
        Err(why) => format!("{} ({})", reason(want), why.join("; ")),
        _ => reason(want).to_owned(),
    };
    let children = my.children.get(&lower(&name)).filter(|c| !c.is_empty());
    // the old table keeps the soft-drop name `migrate purge` knows
    let soft = names::soft_drop(&name, &my.version);
    let rename_old = |old: &str| Action::Sql {
        sql: format!(
            "RENAME TABLE {} TO {}",
            quote::qualified(Dialect::Mysql, &ObjName::new(Some(&database), old)),
            quote::qualified(Dialect::Mysql, &ObjName::new(Some(&database), &soft))
        ),
        no_tx: true,
    };
    match want {
        Strategy::PtOsc => {
            let Some(bin) = &my.pt_osc else {
                return Err(
                    "`-- sluice:strategy pt-osc`: pt-online-schema-change is not installed (Debian: apt-get install percona-toolkit)".into(),
                );
            };
            if let Some(c) = children
                && my.alter_foreign_keys_method.is_none()
            {
                return Err(format!(
                    "{name} is referenced by foreign keys ({}): pt-online-schema-change must rebuild them; set [run] alter_foreign_keys_method = \"auto\" (or rebuild_constraints, drop_swap) in sluice.toml",
                    c.join(", ")
                ));
            }
            let defer = my
                .defer_swap
                .then(|| osc::deferred_copy_name(&name, &my.version));
            let mut actions = vec![Action::Tool(Tool::PtOsc(PtOsc {
                bin: bin.clone(),
                database: database.clone(),
                table: name.clone(),
                alter: alter_text,
                alter_foreign_keys_method: my.alter_foreign_keys_method.clone(),
                defer_swap_to: defer.clone(),
                mariadb: my.server.mariadb,
                lock_wait_timeout_s: my.lock_wait_timeout_s,
                chunk_time: my.chunk_time,
            }))];
            if defer.is_none() {
                actions.push(rename_old(&format!("_{name}_old")));
            }
            Ok(chosen(Strategy::PtOsc, actions, copy_why))
        }
        Strategy::GhOst => {
            let Some(bin) = &my.gh_ost else {
                return Err(
                    "`-- sluice:strategy gh-ost`: gh-ost is not on PATH; install it or set [run] gh_ost = \"/path/to/gh-ost\"".into(),
                );
            };
            if let Some(c) = children {
                return Err(format!(
                    "{name} is referenced by foreign keys ({}): gh-ost does not support them; use pt-osc",
                    c.join(", ")
                ));
            }
            let dir = my.work_dir.join(format!(
                "{database}.{name}.{}",
                names::version_tag(&my.version)
            ));
            let mut actions = vec![Action::Tool(Tool::GhOst(GhOst {
                bin: bin.clone(),
                database: database.clone(),
                table: name.clone(),
                alter: alter_text,
                flag_file: dir.join("postpone-cut-over"),
                socket: dir.join("gh-ost.sock"),
                cut_over_now: !my.defer_swap,
            }))];
            if !my.defer_swap {
                actions.push(rename_old(&format!("_{name}_del")));
            }
            Ok(chosen(Strategy::GhOst, actions, copy_why))
        }
        _ => Ok(plain("as written", false)),
    }
}

fn my_rows(facts: &Facts, table: &ObjName) -> Option<u64> {
    facts
        .rows
        .get(&table.to_string())
        .or_else(|| facts.rows.get(&lower(&table.name)))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(pt: bool) -> Facts {
        let mut columns = BTreeMap::new();
        columns.insert(
            ("big".into(), "n".into()),
            LiveColumn {
                column_type: "int(11)".into(),
                charset: None,
                collation: None,
                not_null: true,
                indexed: Indexed::No,
            },
        );
        columns.insert(
            ("big".into(), "label".into()),
            LiveColumn {
                column_type: "varchar(40)".into(),
                charset: Some("utf8mb4".into()),
                collation: Some("utf8mb4_general_ci".into()),
                not_null: false,
                indexed: Indexed::Secondary,
            },
        );
        columns.insert(
            ("small".into(), "n".into()),
            LiveColumn {
                column_type: "int(11)".into(),
                charset: None,
                collation: None,
                not_null: false,
                indexed: Indexed::No,
            },
        );
        let mut rows = BTreeMap::new();
        rows.insert("big".into(), 200_000);
        rows.insert("small".into(), 10);
        Facts {
            rows,
            large_table_rows: 100_000,
            mysql: Some(MysqlFacts {
                server: MysqlServer {
                    mariadb: true,
                    major: 10,
                    minor: 11,
                    patch: None,
                },
                database: "app".into(),
                columns,
                table_defaults: BTreeMap::new(),
                children: BTreeMap::new(),
                pt_osc: pt.then(|| "/usr/bin/pt-online-schema-change".into()),
                gh_ost: None,
                alter_foreign_keys_method: None,
                version: "0002".into(),
                defer_swap: false,
                work_dir: "/tmp/sluice".into(),
                lock_wait_timeout_s: 2,
                chunk_time: std::time::Duration::from_millis(100),
            }),
            ..Facts::default()
        }
    }

    fn sqls(c: &Chosen) -> Vec<String> {
        c.actions
            .iter()
            .flatten()
            .map(|a| match a {
                Action::Sql { sql, .. } => sql.clone(),
                Action::Tool(t) => t.display(),
                Action::ShadowTable(s) => s.display(),
                Action::BatchedDelete(d) => d.display(),
            })
            .collect()
    }

    #[test]
    fn an_indexed_column_is_dropped_in_place() {
        // MariaDB 10.11: "ALGORITHM=INSTANT is not supported. Reason: DROP INDEX"
        let c = choose(
            "ALTER TABLE big DROP COLUMN label",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::Inplace, "{:?}", sqls(&c));
        let c = choose("ALTER TABLE big DROP COLUMN n", false, None, &facts(true)).unwrap();
        assert_eq!(c.choice.strategy, Strategy::Instant, "{:?}", sqls(&c));
    }

    #[test]
    fn a_collation_change_follows_the_live_index_and_table_defaults() {
        // `label` is in an index: MariaDB 10.11 rebuilds it in place
        let c = choose(
            "ALTER TABLE big MODIFY label VARCHAR(40) COLLATE utf8mb4_bin",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::Inplace, "{:?}", sqls(&c));
        // the same collation spelled out changes nothing: instant
        let c = choose(
            "ALTER TABLE big MODIFY label VARCHAR(40) COLLATE utf8mb4_general_ci",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::Instant, "{:?}", sqls(&c));
        // a table whose default is latin1: a MODIFY naming no charset converts the column
        let mut f = facts(true);
        if let Some(my) = f.mysql.as_mut() {
            my.table_defaults.insert(
                "big".into(),
                Encoding::of_table(&my.server, Some("latin1"), Some("latin1_swedish_ci")),
            );
        }
        let c = choose("ALTER TABLE big MODIFY label VARCHAR(40)", false, None, &f).unwrap();
        assert_eq!(c.choice.strategy, Strategy::PtOsc, "{:?}", sqls(&c));
        assert!(
            c.choice.reason.contains("charset from utf8mb4 to latin1"),
            "{}",
            c.choice.reason
        );
    }

    #[test]
    fn algorithms_are_pinned_from_the_live_schema() {
        let c = choose(
            "ALTER TABLE big ADD COLUMN x INT",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::Instant);
        assert_eq!(
            sqls(&c),
            ["ALTER TABLE big ADD COLUMN x INT, ALGORITHM = INSTANT"]
        );
        let c = choose("ALTER TABLE big ADD INDEX i (n)", false, None, &facts(true)).unwrap();
        assert_eq!(
            sqls(&c),
            ["ALTER TABLE big ADD INDEX i (n), ALGORITHM = INPLACE, LOCK = NONE"]
        );
        // written with its own ALGORITHM: as written
        let c = choose(
            "ALTER TABLE big ADD COLUMN y INT, ALGORITHM=INPLACE",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::Plain);
    }

    #[test]
    fn a_table_copy_goes_to_pt_osc_and_the_old_table_is_soft_dropped() {
        let c = choose(
            "ALTER TABLE big MODIFY n BIGINT NOT NULL",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::PtOsc);
        assert!(
            c.choice.reason.contains("changes the column type"),
            "{}",
            c.choice.reason
        );
        let s = sqls(&c);
        assert!(
            s[0].contains("--alter=\"MODIFY COLUMN n BIGINT NOT NULL\""),
            "{s:?}"
        );
        assert_eq!(
            s[1],
            "RENAME TABLE app._big_old TO app._sluice_dropped_big_0002"
        );
        // small tables copy as written; without a tool, as written with the reason
        let c = choose(
            "ALTER TABLE small MODIFY n BIGINT",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::Plain);
        assert!(c.choice.reason.contains("below large_table_rows"));
        let c = choose(
            "ALTER TABLE big MODIFY n BIGINT NOT NULL",
            false,
            None,
            &facts(false),
        )
        .unwrap();
        assert!(
            c.choice.reason.contains("percona-toolkit"),
            "{}",
            c.choice.reason
        );
        // VARCHAR growth within its class stays in place (MariaDB: instant)
        let c = choose(
            "ALTER TABLE big MODIFY label VARCHAR(60)",
            false,
            None,
            &facts(true),
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::Instant);
    }

    #[test]
    fn forced_strategies_and_foreign_keys() {
        let f = facts(true);
        let c = choose(
            "ALTER TABLE big ADD COLUMN x INT",
            false,
            Some(Strategy::PtOsc),
            &f,
        )
        .unwrap();
        assert_eq!(c.choice.strategy, Strategy::PtOsc);
        assert!(c.choice.forced);
        assert!(
            choose(
                "ALTER TABLE big ADD COLUMN x INT",
                false,
                Some(Strategy::GhOst),
                &f
            )
            .unwrap_err()
            .contains("gh-ost is not on PATH")
        );
        assert!(
            choose(
                "ALTER TABLE big ADD COLUMN x INT",
                false,
                Some(Strategy::PgRepack),
                &f
            )
            .unwrap_err()
            .contains("PostgreSQL strategy")
        );
        let mut f = facts(true);
        if let Some(m) = f.mysql.as_mut() {
            m.children
                .insert("big".into(), vec!["orders.orders_big_fk".into()]);
        }
        let e = choose("ALTER TABLE big MODIFY n BIGINT NOT NULL", false, None, &f).unwrap_err();
        assert!(e.contains("alter_foreign_keys_method"), "{e}");
        if let Some(m) = f.mysql.as_mut() {
            m.alter_foreign_keys_method = Some("auto".into());
            m.defer_swap = true;
        }
        let c = choose("ALTER TABLE big MODIFY n BIGINT NOT NULL", false, None, &f).unwrap();
        let s = sqls(&c);
        assert_eq!(s.len(), 1, "the swap waits for the contract phase: {s:?}");
        assert!(s[0].contains("--alter-foreign-keys-method=auto"));
        assert!(s[0].contains("--new-table-name=_big_osc_0002"));
    }
}
