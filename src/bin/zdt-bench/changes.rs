//! The change set: each change's naive SQL and the queries the old and the new application
//! issue around it.

use clap::ValueEnum;
use serde::Serialize;

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
}

pub const ALL: [Change; 6] = [
    Change::RenameColumn,
    Change::AddNotNullColumn,
    Change::IntToBigint,
    Change::AddFk,
    Change::AddIndex,
    Change::SetNotNull,
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
            Change::IntToBigint => "int_to_bigint",
            Change::AddFk => "add_fk",
            Change::AddIndex => "add_index",
            Change::SetNotNull => "set_not_null",
        }
    }

    /// The change as a developer writes it.
    pub fn naive_sql(self) -> &'static str {
        match self {
            Change::RenameColumn => "ALTER TABLE accounts RENAME COLUMN name TO full_name;\n",
            Change::AddNotNullColumn => {
                "ALTER TABLE accounts ADD COLUMN tier int;\n\
                 UPDATE accounts SET tier = 0;\n\
                 ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;\n"
            }
            Change::IntToBigint => "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;\n",
            Change::AddFk => {
                "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_id_fkey \
                 FOREIGN KEY (owner_id) REFERENCES owners (id);\n"
            }
            Change::AddIndex => "CREATE INDEX accounts_owner_id_idx ON accounts (owner_id);\n",
            Change::SetNotNull => "ALTER TABLE accounts ALTER COLUMN note SET NOT NULL;\n",
        }
    }

    /// The same change as `migrate plan` takes it. Only the NOT NULL column differs: the
    /// planner refuses the add + whole-table UPDATE + SET NOT NULL script (the UPDATE cannot be
    /// made safe) and takes the column with the value for existing and old-code rows instead.
    pub fn sluice_sql(self) -> &'static str {
        match self {
            Change::AddNotNullColumn => {
                "-- sluice:backfill 0\nALTER TABLE accounts ADD COLUMN tier int NOT NULL;\n"
            }
            other => other.naive_sql(),
        }
    }

    /// A query answering whether the change is done: the schema and the data are what the
    /// naive SQL gives (a soft-dropped column counts as gone).
    pub fn done_sql(self) -> &'static str {
        match self {
            Change::RenameColumn => {
                "SELECT NOT EXISTS (SELECT 1 FROM accounts WHERE full_name IS NULL) \
                 AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'accounts'::regclass \
                 AND attname = 'name' AND NOT attisdropped)"
            }
            Change::AddNotNullColumn => {
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
        }
    }

    /// What `app` sends. Reads cast `balance` so their result type stays the same across
    /// int -> bigint (a prepared statement's result type may not change under it).
    pub fn queries(self, app: App) -> Queries {
        let (name_col, tier) = match (self, app) {
            (Change::RenameColumn, App::New) => ("full_name", false),
            (Change::AddNotNullColumn, App::New) => ("name", true),
            _ => ("name", false),
        };
        if tier {
            return Queries {
                read: "SELECT id, owner_id, name, balance::bigint, note, tier FROM accounts WHERE id = $1"
                    .into(),
                update: "UPDATE accounts SET balance = balance + 1, note = $2, tier = 1 WHERE id = $1"
                    .into(),
                insert: "INSERT INTO accounts (id, owner_id, name, balance, note, tier) VALUES ($1, $2, $3, $4, $3, 1)"
                    .into(),
            };
        }
        let update = if self == Change::RenameColumn {
            format!("UPDATE accounts SET balance = balance + 1, {name_col} = $2 WHERE id = $1")
        } else {
            "UPDATE accounts SET balance = balance + 1, note = $2 WHERE id = $1".into()
        };
        Queries {
            read: format!(
                "SELECT id, owner_id, {name_col}, balance::bigint, note FROM accounts WHERE id = $1"
            ),
            update,
            insert: format!(
                "INSERT INTO accounts (id, owner_id, {name_col}, balance, note) VALUES ($1, $2, $3, $4, $3)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_code_of_a_rename_uses_the_old_name() {
        let old = Change::RenameColumn.queries(App::Old);
        let new = Change::RenameColumn.queries(App::New);
        assert!(old.read.contains(" name,") && !old.read.contains("full_name"));
        assert!(new.read.contains("full_name") && new.insert.contains("full_name"));
    }

    #[test]
    fn old_code_inserts_without_the_new_column() {
        let old = Change::AddNotNullColumn.queries(App::Old);
        let new = Change::AddNotNullColumn.queries(App::New);
        assert!(!old.insert.contains("tier"));
        assert!(new.insert.contains("tier"));
    }
}
