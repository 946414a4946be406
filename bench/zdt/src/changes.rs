//! The change set: each change's naive SQL and the queries the old and the new application
//! issue around it.

use clap::ValueEnum;
use serde::Serialize;

use crate::db::{Engine, LOAD_APP};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Change {
    RenameColumn,
    AddNotNullColumn,
    IntToBigint,
    AddFk,
    AddIndex,
    SetNotNull,
    /// The NOT NULL column again, its value computed from the row (`id % 4`): a constant
    /// needs no backfill (the planner adds it as a DEFAULT), this one does.
    AddComputedColumn,
    /// A clean-up: a tenth of the rows deleted by a condition on the row (`name LIKE
    /// 'account %3'`, a value the application never writes).
    DeleteRows,
}

pub const ALL: [Change; 8] = [
    Change::RenameColumn,
    Change::AddNotNullColumn,
    Change::IntToBigint,
    Change::AddFk,
    Change::AddIndex,
    Change::SetNotNull,
    Change::AddComputedColumn,
    Change::DeleteRows,
];

/// Which code is running: before the rollout, during it (half the clients each), after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    Old,
    New,
}

/// One application's statements. Parameters are the same for every change:
/// read `$1` id; update `$1` id, `$2` text; insert `$1` id, `$2` owner id, `$3` text,
/// `$4` balance.
#[derive(Debug, Clone)]
pub struct Queries {
    pub read: String,
    pub update: String,
    pub insert: String,
}

/// The schema every run starts from (also the history `migrate plan` reads).
pub const SCHEMA: &str = "CREATE TABLE owners (id int PRIMARY KEY, name text NOT NULL);\n\
CREATE TABLE accounts (id int PRIMARY KEY, owner_id int, name text, balance int, note text);\n";

pub const SCHEMA_DOWN: &str = "DROP TABLE accounts;\nDROP TABLE owners;\n";

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::RenameColumn => "rename_column",
            Change::AddNotNullColumn => "add_not_null_column",
            Change::AddComputedColumn => "add_computed_column",
            Change::IntToBigint => "int_to_bigint",
            Change::AddFk => "add_fk",
            Change::AddIndex => "add_index",
            Change::SetNotNull => "set_not_null",
            Change::DeleteRows => "delete_rows",
        }
    }

    /// The change as a developer writes it.
    pub fn naive_sql(self, engine: Engine) -> &'static str {
        match (self, engine) {
            (Change::RenameColumn, _) => "ALTER TABLE accounts RENAME COLUMN name TO full_name;\n",
            (Change::AddNotNullColumn, Engine::Postgres) => {
                "ALTER TABLE accounts ADD COLUMN tier int;\n\
                 UPDATE accounts SET tier = 0;\n\
                 ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;\n"
            }
            (Change::AddNotNullColumn, Engine::Mysql) => {
                "ALTER TABLE accounts ADD COLUMN tier int;\n\
                 UPDATE accounts SET tier = 0;\n\
                 ALTER TABLE accounts MODIFY tier int NOT NULL;\n"
            }
            (Change::AddComputedColumn, Engine::Postgres) => {
                "ALTER TABLE accounts ADD COLUMN tier int;\n\
                 UPDATE accounts SET tier = id % 4;\n\
                 ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;\n"
            }
            (Change::AddComputedColumn, Engine::Mysql) => {
                "ALTER TABLE accounts ADD COLUMN tier int;\n\
                 UPDATE accounts SET tier = id % 4;\n\
                 ALTER TABLE accounts MODIFY tier int NOT NULL;\n"
            }
            (Change::IntToBigint, Engine::Postgres) => {
                "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;\n"
            }
            (Change::IntToBigint, Engine::Mysql) => "ALTER TABLE accounts MODIFY balance bigint;\n",
            (Change::AddFk, _) => {
                "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_id_fkey \
                 FOREIGN KEY (owner_id) REFERENCES owners (id);\n"
            }
            (Change::AddIndex, _) => "CREATE INDEX accounts_owner_id_idx ON accounts (owner_id);\n",
            (Change::SetNotNull, Engine::Postgres) => {
                "ALTER TABLE accounts ALTER COLUMN note SET NOT NULL;\n"
            }
            (Change::SetNotNull, Engine::Mysql) => {
                "ALTER TABLE accounts MODIFY note text NOT NULL;\n"
            }
            (Change::DeleteRows, _) => "DELETE FROM accounts WHERE name LIKE 'account %3';\n",
        }
    }

    /// The same change as Sluice takes it: the naive file (`migrate plan` folds the NOT NULL
    /// column's add + UPDATE + SET NOT NULL into one recipe), except on MySQL the type change,
    /// which goes to pt-online-schema-change (see [`Change::planned`]).
    pub fn sluice_sql(self, engine: Engine) -> &'static str {
        match (self, engine) {
            (Change::IntToBigint, Engine::Mysql) => {
                "-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY balance bigint;\n"
            }
            (other, _) => other.naive_sql(engine),
        }
    }

    /// The down script of an unplanned [`Change::sluice_sql`].
    pub fn sluice_down_sql(self, engine: Engine) -> &'static str {
        match (self, engine) {
            (Change::IntToBigint, Engine::Mysql) => {
                "-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY balance int;\n"
            }
            _ => "",
        }
    }

    /// For an unplanned change, a query answering whether the strategy it names ran: the
    /// table pt-online-schema-change replaced is kept under its soft-drop name until purge.
    pub fn strategy_ran_sql(self, engine: Engine) -> Option<&'static str> {
        match (self, engine) {
            (Change::IntToBigint, Engine::Mysql) => Some(
                "SELECT CAST(EXISTS (SELECT 1 FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME = '_sluice_dropped_accounts_20260102000000') AS SIGNED)",
            ),
            _ => None,
        }
    }

    /// Whether Sluice's side goes through `migrate plan`; else [`Change::sluice_sql`] is the
    /// migration itself and `migrate apply` runs it (with the strategy it names).
    pub fn planned(self, engine: Engine) -> bool {
        !(self == Change::IntToBigint && engine == Engine::Mysql)
    }

    /// A query answering whether the change is done: the schema and the data are what the
    /// naive SQL gives (a soft-dropped column counts as gone).
    pub fn done_sql(self, engine: Engine) -> &'static str {
        match engine {
            Engine::Postgres => self.done_sql_pg(),
            Engine::Mysql => self.done_sql_mysql(),
        }
    }

    fn done_sql_pg(self) -> &'static str {
        match self {
            Change::RenameColumn => {
                "SELECT NOT EXISTS (SELECT 1 FROM accounts WHERE full_name IS NULL) \
                 AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'accounts'::regclass \
                 AND attname = 'name' AND NOT attisdropped)"
            }
            Change::AddNotNullColumn | Change::AddComputedColumn => {
                "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass \
                 AND attname = 'tier' AND NOT attisdropped"
            }
            Change::IntToBigint => {
                "SELECT format_type(atttypid, atttypmod) = 'bigint' FROM pg_attribute \
                 WHERE attrelid = 'accounts'::regclass AND attname = 'balance' AND NOT attisdropped"
            }
            Change::AddFk => {
                "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'accounts'::regclass \
                 AND contype = 'f' AND convalidated)"
            }
            Change::AddIndex => {
                "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE i.indrelid = 'accounts'::regclass AND c.relname = 'accounts_owner_id_idx' \
                 AND i.indisvalid)"
            }
            Change::SetNotNull => {
                "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass \
                 AND attname = 'note'"
            }
            Change::DeleteRows => {
                "SELECT NOT EXISTS (SELECT 1 FROM accounts WHERE name LIKE 'account %3')"
            }
        }
    }

    /// MySQL has no NOT VALID: a foreign key counts once it exists.
    fn done_sql_mysql(self) -> &'static str {
        match self {
            Change::RenameColumn => {
                "SELECT CAST(NOT EXISTS (SELECT 1 FROM accounts WHERE full_name IS NULL) \
                 AND NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' \
                 AND COLUMN_NAME = 'name') AS SIGNED)"
            }
            Change::AddNotNullColumn | Change::AddComputedColumn => {
                "SELECT CAST(IS_NULLABLE = 'NO' AS SIGNED) FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'tier'"
            }
            Change::IntToBigint => {
                "SELECT CAST(DATA_TYPE = 'bigint' AS SIGNED) FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' \
                 AND COLUMN_NAME = 'balance'"
            }
            Change::AddFk => {
                "SELECT CAST(EXISTS (SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' \
                 AND REFERENCED_TABLE_NAME = 'owners') AS SIGNED)"
            }
            Change::AddIndex => {
                "SELECT CAST(EXISTS (SELECT 1 FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' \
                 AND INDEX_NAME = 'accounts_owner_id_idx') AS SIGNED)"
            }
            Change::SetNotNull => {
                "SELECT CAST(IS_NULLABLE = 'NO' AS SIGNED) FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'note'"
            }
            Change::DeleteRows => {
                "SELECT CAST(NOT EXISTS (SELECT 1 FROM accounts \
                 WHERE name LIKE 'account %3') AS SIGNED)"
            }
        }
    }

    /// What `app` sends. PostgreSQL reads cast `balance` so their result type stays the same
    /// across int -> bigint (a prepared statement's result type may not change under it).
    /// MySQL statements carry the load's marker comment (see `db::LOAD_APP`).
    pub fn queries(self, app: App, engine: Engine) -> Queries {
        let (name_col, tier) = match (self, app) {
            (Change::RenameColumn, App::New) => ("full_name", false),
            (Change::AddNotNullColumn | Change::AddComputedColumn, App::New) => ("name", true),
            _ => ("name", false),
        };
        let (balance, mark) = match engine {
            Engine::Postgres => ("balance::bigint", String::new()),
            Engine::Mysql => ("balance", format!("/* {LOAD_APP} */ ")),
        };
        let q = if tier {
            Queries {
                read: format!(
                    "SELECT id, owner_id, name, {balance}, note, tier FROM accounts WHERE id = $1"
                ),
                update: "UPDATE accounts SET balance = balance + 1, note = $2, tier = 1 WHERE id = $1"
                    .into(),
                insert: "INSERT INTO accounts (id, owner_id, name, balance, note, tier) VALUES ($1, $2, $3, $4, $3, 1)"
                    .into(),
            }
        } else {
            let update = if self == Change::RenameColumn {
                format!("UPDATE accounts SET balance = balance + 1, {name_col} = $2 WHERE id = $1")
            } else {
                "UPDATE accounts SET balance = balance + 1, note = $2 WHERE id = $1".into()
            };
            Queries {
                read: format!(
                    "SELECT id, owner_id, {name_col}, {balance}, note FROM accounts WHERE id = $1"
                ),
                update,
                insert: format!(
                    "INSERT INTO accounts (id, owner_id, {name_col}, balance, note) VALUES ($1, $2, $3, $4, $3)"
                ),
            }
        };
        Queries {
            read: format!("{mark}{}", q.read),
            update: format!("{mark}{}", q.update),
            insert: format!("{mark}{}", q.insert),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_code_of_a_rename_uses_the_old_name() {
        let old = Change::RenameColumn.queries(App::Old, Engine::Postgres);
        let new = Change::RenameColumn.queries(App::New, Engine::Postgres);
        assert!(old.read.contains(" name,") && !old.read.contains("full_name"));
        assert!(new.read.contains("full_name") && new.insert.contains("full_name"));
    }

    #[test]
    fn old_code_inserts_without_the_new_column() {
        let old = Change::AddNotNullColumn.queries(App::Old, Engine::Mysql);
        let new = Change::AddNotNullColumn.queries(App::New, Engine::Mysql);
        assert!(!old.insert.contains("tier"));
        assert!(new.insert.contains("tier"));
        assert!(
            old.insert.starts_with("/* zdt-load */ INSERT"),
            "{}",
            old.insert
        );
    }

    #[test]
    fn only_the_mysql_type_change_skips_the_planner() {
        for c in ALL {
            assert!(c.planned(Engine::Postgres));
            assert_eq!(c.planned(Engine::Mysql), c != Change::IntToBigint);
        }
        assert!(
            Change::IntToBigint
                .sluice_sql(Engine::Mysql)
                .starts_with("-- sluice:strategy pt-osc\n")
        );
    }
}
