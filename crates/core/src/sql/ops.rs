//! Typed operations: what a statement does to the schema, independent of dialect and AST.
//!
//! Rules read these instead of the raw `sqlparser` AST wherever they can, so one rule serves
//! PostgreSQL and MySQL and the token-scan fallback feeds the same rules.

use serde::{Deserialize, Serialize};

/// A possibly schema-qualified object name, normalised for comparison
/// (unquoted identifiers folded to lower case, quotes removed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjName {
    pub schema: Option<String>,
    pub name: String,
}

impl ObjName {
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        ObjName {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// Same object, ignoring a missing schema on either side.
    pub fn matches(&self, other: &ObjName) -> bool {
        self.name == other.name
            && match (&self.schema, &other.schema) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl std::fmt::Display for ObjName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Volatility of a default expression (PostgreSQL's sense).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Volatility {
    /// Constants and immutable functions.
    Immutable,
    /// `now()`, `current_timestamp`: one value per statement, no rewrite.
    Stable,
    /// `random()`, `clock_timestamp()`, `gen_random_uuid()`, `nextval()`, unknown functions.
    Volatile,
}

/// How a column is generated, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Generated {
    /// `GENERATED .. AS IDENTITY`
    Identity,
    /// `GENERATED ALWAYS AS (expr) STORED`
    Stored,
    /// `GENERATED ALWAYS AS (expr) VIRTUAL` (MySQL)
    Virtual,
}

/// A column as declared in CREATE TABLE / ADD COLUMN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(clippy::struct_excessive_bools)] // independent clauses of the declaration, as written
pub struct ColumnSpec {
    pub name: String,
    /// The type as written, upper-cased by sqlparser's Display (e.g. `VARCHAR(20)`, `BIGINT`).
    pub data_type: String,
    pub not_null: bool,
    /// The default expression as SQL text.
    pub default: Option<String>,
    pub default_volatility: Option<Volatility>,
    /// serial / bigserial / smallserial (PostgreSQL) or `AUTO_INCREMENT` (MySQL).
    pub serial: bool,
    pub generated: Option<Generated>,
    /// A generated column's expression, as written (`GENERATED ALWAYS AS (<this>)`).
    pub generation: Option<String>,
    pub primary_key: bool,
    pub unique: bool,
    /// Inline `REFERENCES other(col)`.
    pub references: Option<ObjName>,
    /// The inline reference as written from `REFERENCES` on (`REFERENCES o (id) ON DELETE
    /// CASCADE`): what a copy of the foreign key on another column needs.
    pub fk_clause: Option<String>,
    /// The inline foreign key's own name (`CONSTRAINT n REFERENCES ..`), when it has one.
    pub fk_name: Option<String>,
    /// Inline `CHECK (...)`.
    pub check: bool,
    /// MySQL `FIRST` / `AFTER col`.
    pub position: Option<String>,
    /// MySQL `CHARACTER SET cs` (or the charset a `COLLATE cs_..` names), lower case.
    pub charset: Option<String>,
    /// MySQL `COLLATE c`, lower case; `None` = the charset's default (or the table's).
    /// [`BINARY_ATTRIBUTE`] for the `BINARY` attribute of a text type (`VARCHAR(255) BINARY`).
    pub collation: Option<String>,
}

impl ColumnSpec {
    /// A column of `data_type` with none of its clauses yet; `serial` from the type's name
    /// (PostgreSQL's serial types).
    pub fn new(name: String, data_type: String) -> ColumnSpec {
        ColumnSpec {
            serial: super::classify::is_serial(&data_type),
            name,
            data_type,
            not_null: false,
            default: None,
            default_volatility: None,
            generated: None,
            generation: None,
            primary_key: false,
            unique: false,
            references: None,
            fk_clause: None,
            fk_name: None,
            check: false,
            position: None,
            charset: None,
            collation: None,
        }
    }
}

/// MySQL's `BINARY` attribute of a text type, as a collation: the `_bin` collation of whichever
/// charset the column gets (`utf8mb4` -> `utf8mb4_bin`), resolved once that charset is known.
pub const BINARY_ATTRIBUTE: &str = "_bin";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConstraintKind {
    Check,
    ForeignKey,
    Unique,
    PrimaryKey,
    Exclude,
    /// PostgreSQL 18 `ADD CONSTRAINT n NOT NULL col NOT VALID`: enforced for new rows at
    /// once, existing rows checked by a later `VALIDATE CONSTRAINT` (the plain form, which
    /// scans, is read as `SetNotNull`).
    NotNull,
}

/// A table constraint being added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConstraintSpec {
    pub name: Option<String>,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
    /// FOREIGN KEY target.
    pub references: Option<ObjName>,
    /// A FOREIGN KEY's definition from `REFERENCES` on (`REFERENCES o (id) ON DELETE
    /// CASCADE`): what a copy of it on another column needs.
    pub fk_clause: Option<String>,
    pub not_valid: bool,
    /// `UNIQUE USING INDEX idx` / `PRIMARY KEY USING INDEX idx` (PostgreSQL).
    pub using_index: Option<String>,
    /// The CHECK expression text, for `CHECK (col IS NOT NULL)` proofs.
    pub check_expr: Option<String>,
}

/// Object kinds for drops and renames of things other than tables and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    Table,
    View,
    MaterializedView,
    Index,
    Sequence,
    Schema,
    Database,
    Function,
    Procedure,
    Type,
    Domain,
    Extension,
    Trigger,
    Constraint,
    EnumValue,
    Other,
}

/// Transaction control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxControl {
    Begin,
    Commit,
    Rollback,
    Savepoint,
    ReleaseSavepoint,
    RollbackToSavepoint,
}

/// Whole-table rewrites with no cheaper form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RewriteKind {
    SetLogged,
    SetUnlogged,
    SetTablespace,
    SetAccessMethod,
    Cluster,
    VacuumFull,
    /// MySQL `ENGINE=`, `CONVERT TO CHARACTER SET`, `FORCE`.
    Rebuild,
}

/// How an index is built, for a statement that builds it again (the down script of a
/// `DROP INDEX`, its copy onto a shadow column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexShape {
    /// A b-tree on plain columns in their default order: the index's columns say it all.
    Columns,
    /// PostgreSQL: what follows `ON <table>` as written (`USING brin (created_at) WITH
    /// (pages_per_range = 32)`, `(lower(email)) WHERE deleted_at IS NULL`).
    Written(String),
    /// Not known: read by the token scanner, or a column it names was renamed since.
    Unknown,
}

/// One thing a statement does. An `ALTER TABLE` with several actions yields several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Operation {
    CreateTable {
        table: ObjName,
        columns: Vec<ColumnSpec>,
        constraints: Vec<ConstraintSpec>,
        if_not_exists: bool,
        /// `CREATE TABLE .. AS SELECT` / `LIKE`
        from_query: bool,
    },
    DropTable {
        tables: Vec<ObjName>,
        if_exists: bool,
        cascade: bool,
    },
    RenameTable {
        from: ObjName,
        to: ObjName,
    },
    AddColumn {
        table: ObjName,
        column: ColumnSpec,
        if_not_exists: bool,
    },
    DropColumn {
        table: ObjName,
        column: String,
        if_exists: bool,
    },
    RenameColumn {
        table: ObjName,
        from: String,
        to: String,
    },
    /// `ALTER COLUMN .. TYPE`, MySQL `MODIFY` / `CHANGE` (with `rename` when CHANGE renames).
    AlterColumnType {
        table: ObjName,
        column: String,
        new_type: String,
        using: Option<String>,
    },
    /// MySQL `MODIFY` / `CHANGE`: the column's whole new definition (MySQL replaces it: NOT
    /// NULL, DEFAULT, `AUTO_INCREMENT` and charset not repeated are gone). Follows the
    /// `RenameColumn` and `AlterColumnType` of the same clause; `column.name` is the new name.
    RedefineColumn {
        table: ObjName,
        column: ColumnSpec,
    },
    SetNotNull {
        table: ObjName,
        column: String,
    },
    DropNotNull {
        table: ObjName,
        column: String,
    },
    SetDefault {
        table: ObjName,
        column: String,
        default: String,
        volatility: Volatility,
    },
    DropDefault {
        table: ObjName,
        column: String,
    },
    AddConstraint {
        table: ObjName,
        constraint: ConstraintSpec,
    },
    ValidateConstraint {
        table: ObjName,
        name: String,
    },
    DropConstraint {
        table: ObjName,
        name: String,
        if_exists: bool,
    },
    /// PostgreSQL `ALTER CONSTRAINT n [NOT] DEFERRABLE [INITIALLY DEFERRED | IMMEDIATE]`: a
    /// foreign key's timing changed (ACCESS EXCLUSIVE, brief: no row is read). `None`: as it
    /// was.
    AlterConstraint {
        table: ObjName,
        name: String,
        deferrable: Option<bool>,
        initially_deferred: Option<bool>,
    },
    CreateIndex {
        name: Option<String>,
        table: ObjName,
        columns: Vec<String>,
        unique: bool,
        concurrently: bool,
        if_not_exists: bool,
        /// MySQL FULLTEXT / SPATIAL.
        fulltext_or_spatial: bool,
        /// How to build it again (a `DROP INDEX`'s down script).
        shape: IndexShape,
        /// Has a `WHERE` predicate.
        partial: bool,
    },
    DropIndex {
        names: Vec<ObjName>,
        /// MySQL `DROP INDEX i ON t` / `ALTER TABLE t DROP INDEX i`.
        table: Option<ObjName>,
        concurrently: bool,
        if_exists: bool,
    },
    Reindex {
        target: Option<ObjName>,
        concurrently: bool,
    },
    /// Drop of something other than a table or index.
    DropObject {
        kind: ObjectKind,
        names: Vec<ObjName>,
        if_exists: bool,
    },
    /// Rename of something other than a table or column (index, view, constraint, ...).
    RenameObject {
        kind: ObjectKind,
        from: ObjName,
        to: String,
    },
    SetSchema {
        kind: ObjectKind,
        name: ObjName,
        schema: String,
    },
    /// A statement that rewrites the whole table under ACCESS EXCLUSIVE.
    TableRewrite {
        table: Option<ObjName>,
        kind: RewriteKind,
    },
    /// MySQL `ALTER TABLE .. CONVERT TO CHARACTER SET cs [COLLATE c]`: the table's default
    /// and every text column take the charset (names lower case).
    ConvertCharset {
        table: ObjName,
        charset: String,
        collation: Option<String>,
    },
    DetachPartition {
        table: ObjName,
        concurrently: bool,
        /// `FINALIZE`: completes an interrupted `CONCURRENTLY` detach (SHARE UPDATE EXCLUSIVE,
        /// allowed in a transaction).
        finalize: bool,
    },
    AttachPartition {
        table: ObjName,
    },
    CreateTrigger {
        table: ObjName,
        name: String,
    },
    AlterIdentity {
        table: ObjName,
        column: String,
    },
    DropExpression {
        table: ObjName,
        column: String,
    },
    Transaction(TxControl),
    /// `SET name = value` / `SET LOCAL` / MySQL `SET SESSION`.
    SetVariable {
        name: String,
        value: String,
        local: bool,
    },
    Update {
        table: ObjName,
        has_where: bool,
    },
    Delete {
        table: ObjName,
        has_where: bool,
        /// Its `WHERE` bounds a key range or list, or it has a `LIMIT` ([`bounded_batch`]).
        ///
        /// [`bounded_batch`]: super::classify::bounded_batch
        bounded: bool,
    },
    Insert {
        table: ObjName,
    },
    Truncate {
        tables: Vec<ObjName>,
        cascade: bool,
    },
    /// `VACUUM` without FULL (cannot run in a transaction).
    Vacuum,
    /// `ALTER TYPE .. ADD VALUE` (cannot run in a transaction before PG12).
    AddEnumValue {
        type_name: ObjName,
        /// `BEFORE` / `AFTER` an existing value; otherwise the value sorts last.
        positioned: bool,
    },
    /// A constraint on a domain, checked against every column of that type: `CREATE DOMAIN ..
    /// CHECK / NOT NULL` (`create`) or `ALTER DOMAIN .. ADD CONSTRAINT`.
    DomainConstraint {
        domain: ObjName,
        create: bool,
        not_valid: bool,
    },
    /// MySQL `ALGORITHM=` / `LOCK=` clauses of an ALTER TABLE.
    AlterTableOptions {
        table: ObjName,
        algorithm: Option<String>,
        lock: Option<String>,
    },
    /// Anything else; `kind` names the statement (e.g. `CREATE VIEW`, `COMMENT`, `GRANT`).
    Other {
        kind: String,
    },
}

impl Operation {
    /// The table this operation acts on, if it acts on exactly one.
    pub fn table(&self) -> Option<&ObjName> {
        use Operation::{
            AddColumn, AddConstraint, AlterColumnType, AlterConstraint, AlterIdentity,
            AlterTableOptions, AttachPartition, ConvertCharset, CreateIndex, CreateTable,
            CreateTrigger, Delete, DetachPartition, DropColumn, DropConstraint, DropDefault,
            DropExpression, DropNotNull, Insert, RedefineColumn, RenameColumn, RenameTable,
            SetDefault, SetNotNull, TableRewrite, Update, ValidateConstraint,
        };
        match self {
            CreateTable { table, .. }
            | AddColumn { table, .. }
            | DropColumn { table, .. }
            | RenameColumn { table, .. }
            | AlterColumnType { table, .. }
            | RedefineColumn { table, .. }
            | SetNotNull { table, .. }
            | DropNotNull { table, .. }
            | SetDefault { table, .. }
            | DropDefault { table, .. }
            | AddConstraint { table, .. }
            | ValidateConstraint { table, .. }
            | DropConstraint { table, .. }
            | AlterConstraint { table, .. }
            | CreateIndex { table, .. }
            | DetachPartition { table, .. }
            | AttachPartition { table }
            | CreateTrigger { table, .. }
            | AlterIdentity { table, .. }
            | DropExpression { table, .. }
            | Update { table, .. }
            | Delete { table, .. }
            | Insert { table }
            | AlterTableOptions { table, .. }
            | ConvertCharset { table, .. } => Some(table),
            RenameTable { from, .. } => Some(from),
            TableRewrite { table, .. } => table.as_ref(),
            _ => None,
        }
    }

    /// True for statements PostgreSQL refuses inside a transaction block.
    pub fn needs_no_transaction(&self) -> bool {
        matches!(
            self,
            Operation::CreateIndex {
                concurrently: true,
                ..
            } | Operation::DropIndex {
                concurrently: true,
                ..
            } | Operation::Reindex {
                concurrently: true,
                ..
            } | Operation::DetachPartition {
                concurrently: true,
                ..
            } | Operation::Vacuum
                | Operation::TableRewrite {
                    kind: RewriteKind::VacuumFull,
                    ..
                }
        )
    }
}
