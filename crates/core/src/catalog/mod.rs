//! The schema catalog: an in-memory model of the database schema, built by replaying
//! migrations in version order. Rules ask it what the schema looks like just before a
//! statement (column types, NOT NULL proofs, indexes) and whether a table is new in the
//! change set or existed before it.
//!
//! Pure: no I/O. [`Catalog::apply`] never fails and never panics: an operation on an object
//! the catalog does not know is ignored, and statements it cannot read mark the objects they
//! touch `uncertain` (see [`Catalog::mark_uncertain`]).

mod image;
pub mod types;
pub mod view_columns;

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlparser::ast::{SchemaName, Statement as Ast, UserDefinedTypeRepresentation};

use crate::sql::ops::{
    ColumnSpec, ConstraintKind, ConstraintSpec, Generated, IndexShape, ObjName, ObjectKind,
    Volatility,
};
use crate::sql::{Dialect, Operation};

pub use image::CatalogImage;
pub use types::{SqlType, binary_coercible};

/// A schema-qualified key: (schema, name). MySQL tables without a database use `""`.
pub type Key = (String, String);

/// A persistent map: cloning shares the tree, so a snapshot of the catalog before every
/// statement costs a few pointers, and a change copies only the path to what it changes.
type Map<V> = imbl::OrdMap<Key, V>;

/// What `BTreeMap` has and `imbl::OrdMap` lacks.
trait MapExt<V> {
    fn retain(&mut self, keep: impl FnMut(&Key, &V) -> bool);
    /// Apply `f` to every value matching `pred`.
    fn modify(&mut self, pred: impl Fn(&V) -> bool, f: impl FnMut(&mut V));
}

impl<V: Clone> MapExt<V> for Map<V> {
    fn retain(&mut self, mut keep: impl FnMut(&Key, &V) -> bool) {
        let gone: Vec<Key> = self
            .iter()
            .filter(|(k, v)| !keep(k, v))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.remove(&k);
        }
    }

    fn modify(&mut self, pred: impl Fn(&V) -> bool, mut f: impl FnMut(&mut V)) {
        let hits: Vec<Key> = self
            .iter()
            .filter(|(_, v)| pred(v))
            .map(|(k, _)| k.clone())
            .collect();
        for k in hits {
            if let Some(v) = self.get_mut(&k) {
                f(v);
            }
        }
    }
}

/// Where an object came from: replayed history, or the change set being linted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Origin {
    History,
    ChangeSet,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Column {
    pub name: String,
    /// The type as written in the last statement that set it.
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub default_volatility: Option<Volatility>,
    pub serial: bool,
    pub generated: Option<Generated>,
    /// A generated column's expression, as written.
    pub generation: Option<String>,
    /// MySQL: the column's own `CHARACTER SET`; `None` = the table's.
    pub charset: Option<String>,
    /// MySQL: the column's own `COLLATE`; `None` = its charset's default, or the table's.
    #[serde(default)]
    pub collation: Option<String>,
    /// `COMMENT ON COLUMN` (PostgreSQL): a copy of the column (a type change through a
    /// shadow column) must carry it.
    #[serde(default)]
    pub comment: Option<String>,
}

impl Column {
    pub fn sql_type(&self) -> SqlType {
        SqlType::parse(&self.data_type)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Constraint {
    pub name: Option<String>,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
    /// False for `NOT VALID` until `VALIDATE CONSTRAINT`.
    pub validated: bool,
    /// CHECK expression text.
    pub check_expr: Option<String>,
    /// FOREIGN KEY target.
    pub references: Option<ObjName>,
    /// FOREIGN KEY: its definition from `REFERENCES` on, when known.
    #[serde(default)]
    pub fk_clause: Option<String>,
    /// The index a UNIQUE / PRIMARY KEY constraint owns.
    pub index: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Table {
    /// Schema-qualified.
    pub name: ObjName,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    pub origin: Origin,
    /// A statement the catalog could not read touched this table: its model may be wrong.
    pub uncertain: bool,
    /// Never created in the replayed migrations, only altered: known are just the columns,
    /// constraints and indexes those statements added.
    pub stub: bool,
    /// MySQL: the table's default charset (`DEFAULT CHARSET=`); `None` = the server's.
    pub charset: Option<String>,
    /// MySQL: the table's default collation (`COLLATE=`); `None` = its charset's default.
    #[serde(default)]
    pub collation: Option<String>,
    /// PostgreSQL triggers on the table, with the columns they are bound to.
    #[serde(default)]
    pub triggers: Vec<TableTrigger>,
}

/// A trigger and the columns PostgreSQL binds it to (by column number, so it follows a
/// rename): its `UPDATE OF` list and the `OLD.c` / `NEW.c` of its `WHEN` condition. A copy
/// of such a column (a rename or type change through a shadow column) leaves it behind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableTrigger {
    pub name: String,
    pub columns: Vec<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Has a primary key (of at least one column).
    pub fn has_primary_key(&self) -> bool {
        self.constraints
            .iter()
            .any(|c| c.kind == ConstraintKind::PrimaryKey && !c.columns.is_empty())
    }

    fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints
            .iter()
            .find(|c| c.name.as_deref() == Some(name))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Index {
    pub name: String,
    pub table: Key,
    /// Column names (or expression text), in index order.
    pub columns: Vec<String>,
    pub unique: bool,
    /// Has a `WHERE` predicate.
    pub partial: bool,
    /// How to build it again.
    pub shape: IndexShape,
    /// False for an index a failed `CONCURRENTLY` build may have left (never set by replay).
    pub valid: bool,
    pub origin: Origin,
}

/// A NOT NULL proof for a column, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotNullProof {
    /// Nothing known.
    None,
    /// A `CHECK (col IS NOT NULL)` that is still `NOT VALID`.
    NotValidCheck,
    /// A validated `CHECK (col IS NOT NULL)`.
    ValidatedCheck,
    /// The column is already NOT NULL.
    NotNull,
}

/// A view: where it came from and the columns it returns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct View {
    pub origin: Origin,
    /// Its columns in order ([`view_columns`]); `None` when the catalog cannot tell (a `*`
    /// over a relation it does not know).
    pub columns: Option<Vec<String>>,
}

/// The schema model.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub dialect: Dialect,
    /// First entry of `search_path` (PostgreSQL: `public`).
    default_schema: String,
    /// Origin given to objects created from now on.
    origin: Origin,
    schemas: BTreeMap<String, Origin>,
    tables: Map<Arc<Table>>,
    indexes: Map<Arc<Index>>,
    views: Map<View>,
    sequences: Map<Origin>,
    enums: Map<Vec<String>>,
    /// Statements the catalog could not read that touched no known object.
    pub uncertain_statements: usize,
    /// Tables and indexes created (or moved) since the last [`Catalog::settle`] while the
    /// origin was the change set.
    fresh_tables: imbl::Vector<Key>,
    fresh_indexes: imbl::Vector<Key>,
    /// Some table lives outside the default schema (or the `search_path` changed): lookups of
    /// unqualified names may have to search by name.
    elsewhere: bool,
}

impl Catalog {
    pub fn new(dialect: Dialect) -> Self {
        let default_schema = match dialect {
            Dialect::Postgres => "public",
            Dialect::Mysql => "",
        };
        let mut schemas = BTreeMap::new();
        schemas.insert(default_schema.to_owned(), Origin::History);
        Catalog {
            dialect,
            default_schema: default_schema.to_owned(),
            origin: Origin::History,
            schemas,
            tables: Map::new(),
            indexes: Map::new(),
            views: Map::new(),
            sequences: Map::new(),
            enums: Map::new(),
            uncertain_statements: 0,
            fresh_tables: imbl::Vector::new(),
            fresh_indexes: imbl::Vector::new(),
            elsewhere: false,
        }
    }

    /// Objects created from now on belong to `origin`.
    pub fn set_origin(&mut self, origin: Origin) {
        self.origin = origin;
    }

    /// Everything created so far now counts as history (existing): the change so far has
    /// been deployed.
    pub fn settle(&mut self) {
        for k in std::mem::take(&mut self.fresh_tables) {
            if let Some(t) = self.tables.get_mut(&k)
                && t.origin == Origin::ChangeSet
            {
                Arc::make_mut(t).origin = Origin::History;
            }
        }
        for k in std::mem::take(&mut self.fresh_indexes) {
            if let Some(i) = self.indexes.get_mut(&k)
                && i.origin == Origin::ChangeSet
            {
                Arc::make_mut(i).origin = Origin::History;
            }
        }
        // views, sequences and schemas are few: no list of fresh ones
        // (the fresh lists are persistent vectors: the catalog is cloned per script)
        let new = |o: &Origin| *o == Origin::ChangeSet;
        self.views
            .modify(|v| new(&v.origin), |v| v.origin = Origin::History);
        self.sequences.modify(new, |o| *o = Origin::History);
        for o in self.schemas.values_mut() {
            *o = Origin::History;
        }
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The key of a name, its schema defaulted.
    pub fn key(&self, name: &ObjName) -> Key {
        (
            name.schema
                .clone()
                .unwrap_or_else(|| self.default_schema.clone()),
            self.stored_name(&name.name),
        )
    }

    /// A name as the server stores it: PostgreSQL cuts identifiers to 63 bytes, so a name
    /// written longer and its 63-byte prefix are one object (lemmy's index
    /// `..._newest_comment_time_necro`, dropped later as `..._necr`).
    fn stored_name(&self, name: &str) -> String {
        match self.dialect {
            Dialect::Postgres => crate::names::pg_stored(name).to_owned(),
            Dialect::Mysql => name.to_owned(),
        }
    }

    fn qualified(&self, name: &ObjName) -> ObjName {
        let (s, n) = self.key(name);
        ObjName {
            schema: Some(s),
            name: n,
        }
    }

    /// The key of a known table: exact, else (unqualified name) the one table of that name.
    fn table_key(&self, name: &ObjName) -> Option<Key> {
        let key = self.key(name);
        if self.tables.contains_key(&key) {
            return Some(key);
        }
        if name.schema.is_none() && self.elsewhere {
            let mut found = self.tables.keys().filter(|(_, n)| *n == key.1);
            if let (Some(k), None) = (found.next(), found.next()) {
                return Some(k.clone());
            }
        }
        None
    }

    pub fn table(&self, name: &ObjName) -> Option<&Table> {
        self.table_key(name)
            .and_then(|k| self.tables.get(&k))
            .map(Arc::as_ref)
    }

    fn table_mut(&mut self, name: &ObjName) -> Option<&mut Table> {
        let key = self.table_key(name)?;
        self.tables.get_mut(&key).map(Arc::make_mut)
    }

    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values().map(Arc::as_ref)
    }

    /// Created in the change set (not in history)?
    pub fn is_new_table(&self, name: &ObjName) -> bool {
        self.table(name)
            .is_some_and(|t| t.origin == Origin::ChangeSet)
    }

    pub fn column(&self, table: &ObjName, column: &str) -> Option<&Column> {
        self.table(table)?.column(column)
    }

    pub fn indexes(&self) -> impl Iterator<Item = &Index> {
        self.indexes.values().map(Arc::as_ref)
    }

    /// Indexes of `table`.
    pub fn indexes_on(&self, table: &ObjName) -> Vec<&Index> {
        let Some(key) = self.table_key(table) else {
            return Vec::new();
        };
        self.indexes
            .values()
            .filter(|i| i.table == key)
            .map(Arc::as_ref)
            .collect()
    }

    /// Valid, non-partial indexes of `table` whose leading columns are `columns` (in any
    /// order, as PostgreSQL's FK checks can use them).
    pub fn covering_indexes(&self, table: &ObjName, columns: &[String]) -> Vec<&Index> {
        self.indexes_on(table)
            .into_iter()
            .filter(|i| i.valid && !i.partial && i.columns.len() >= columns.len())
            .filter(|i| {
                let lead = &i.columns[..columns.len()];
                columns.iter().all(|c| lead.contains(c))
            })
            .collect()
    }

    pub fn index(&self, name: &ObjName) -> Option<&Index> {
        self.indexes.get(&self.key(name)).map(Arc::as_ref)
    }

    pub fn has_view(&self, name: &ObjName) -> bool {
        self.views.contains_key(&self.key(name))
    }

    /// The columns of view `name`, when the catalog knows them.
    pub fn view_columns(&self, name: &ObjName) -> Option<&[String]> {
        self.views.get(&self.key(name))?.columns.as_deref()
    }

    pub fn has_sequence(&self, name: &ObjName) -> bool {
        self.sequences.contains_key(&self.key(name))
    }

    /// The labels of the enum a column's written type names (not an array of it).
    pub fn enum_of_type(&self, written: &str) -> Option<&[String]> {
        match written_type_name(written) {
            (name, "") => self.enum_labels(&name),
            _ => None,
        }
    }

    pub fn enum_labels(&self, name: &ObjName) -> Option<&[String]> {
        self.enums.get(&self.key(name)).map(Vec::as_slice)
    }

    pub fn has_schema(&self, name: &str) -> bool {
        self.schemas.contains_key(name)
    }

    /// The best NOT NULL proof for `table.column`.
    pub fn not_null_proof(&self, table: &ObjName, column: &str) -> NotNullProof {
        let Some(t) = self.table(table) else {
            return NotNullProof::None;
        };
        if t.column(column).is_some_and(|c| c.not_null) {
            return NotNullProof::NotNull;
        }
        let mut best = NotNullProof::None;
        for c in &t.constraints {
            // PostgreSQL 18's NOT NULL NOT VALID: new rows are held to it already
            if c.kind == ConstraintKind::NotNull && c.columns.iter().any(|x| x == column) {
                best = best.max(if c.validated {
                    NotNullProof::NotNull
                } else {
                    NotNullProof::NotValidCheck
                });
            }
            if c.kind == ConstraintKind::Check
                && c.check_expr
                    .as_deref()
                    .is_some_and(|e| is_not_null_check(e, column))
            {
                best = best.max(if c.validated {
                    NotNullProof::ValidatedCheck
                } else {
                    NotNullProof::NotValidCheck
                });
            }
        }
        best
    }

    /// Mark a table uncertain (a statement the catalog could not fully read touched it).
    pub fn mark_uncertain(&mut self, table: &ObjName) {
        match self.table_mut(table) {
            Some(t) => t.uncertain = true,
            None => self.uncertain_statements += 1,
        }
    }

    /// Apply one operation. Unknown objects are ignored; nothing fails.
    /// Record what a live database says about an index the catalog knows (`--schema-from`):
    /// partial (has a `WHERE`), and valid (false: a failed `CONCURRENTLY` build left it).
    pub fn set_index_state(&mut self, table: &ObjName, name: &str, partial: bool, valid: bool) {
        let Some(tkey) = self.table_key(table) else {
            return;
        };
        let key = self.index_key(&tkey, name);
        if let Some(i) = self.indexes.get_mut(&key) {
            let i = Arc::make_mut(i);
            i.partial = partial;
            i.valid = valid;
        }
    }

    /// MySQL: a table's default charset and collation, as the live server reports them.
    pub fn set_table_defaults(&mut self, table: &ObjName, charset: &str, collation: &str) {
        if let Some(t) = self.table_mut(table) {
            t.charset = Some(charset.to_owned());
            t.collation = Some(collation.to_owned());
        }
    }

    pub fn apply(&mut self, op: &Operation) {
        use Operation as Op;
        match op {
            Op::CreateTable {
                table,
                columns,
                constraints,
                if_not_exists,
                from_query,
            } => {
                let key = self.key(table);
                if *if_not_exists && self.tables.contains_key(&key) {
                    return;
                }
                self.drop_table_key(&key);
                let t = Table {
                    name: self.qualified(table),
                    columns: Vec::new(),
                    constraints: Vec::new(),
                    origin: self.origin,
                    uncertain: *from_query,
                    stub: false,
                    charset: None,
                    collation: None,
                    triggers: Vec::new(),
                };
                self.insert_table(key.clone(), Arc::new(t));
                for c in columns {
                    self.add_column(&key, c);
                }
                for c in constraints {
                    self.add_constraint(&key, c, true);
                }
            }
            Op::DropTable { tables, .. } => {
                for t in tables {
                    if let Some(key) = self.table_key(t) {
                        self.drop_table_key(&key);
                    }
                }
            }
            Op::RenameTable { from, to } => {
                let Some(old) = self.table_key(from) else {
                    return;
                };
                let mut to = to.clone();
                if to.schema.is_none() {
                    to.schema = Some(old.0.clone());
                }
                let new = self.key(&to);
                // foreign keys follow the table they reference (PostgreSQL keeps its oid):
                // a copy of one written after the rename names the new table (kratos'
                // `selfservice_recovery_requests`, renamed before a column that references it)
                let refers: Vec<(Key, Vec<usize>)> = self
                    .tables
                    .iter()
                    .filter_map(|(k, t)| {
                        let hits: Vec<usize> = (0..t.constraints.len())
                            .filter(|&i| {
                                t.constraints[i]
                                    .references
                                    .as_ref()
                                    .is_some_and(|r| self.table_key(r).as_ref() == Some(&old))
                            })
                            .collect();
                        (!hits.is_empty()).then(|| (k.clone(), hits))
                    })
                    .collect();
                let dialect = self.dialect;
                for (k, hits) in refers {
                    let Some(t) = self.tables.get_mut(&k) else {
                        continue;
                    };
                    let t = Arc::make_mut(t);
                    for i in hits {
                        let c = &mut t.constraints[i];
                        c.references = Some(to.clone());
                        if let Some(clause) = &mut c.fk_clause {
                            *clause = retarget_fk(dialect, clause, &to);
                        }
                    }
                }
                if let Some(mut t) = self.tables.remove(&old) {
                    Arc::make_mut(&mut t).name = self.qualified(&to);
                    self.insert_table(new.clone(), t);
                    self.indexes
                        .modify(|i| i.table == old, |i| Arc::make_mut(i).table = new.clone());
                }
            }
            Op::AddColumn {
                table,
                column,
                if_not_exists,
            } => {
                let key = self.ensure_table(table);
                if *if_not_exists
                    && self
                        .tables
                        .get(&key)
                        .is_some_and(|t| t.column(&column.name).is_some())
                {
                    return;
                }
                self.add_column(&key, column);
            }
            Op::DropColumn { table, column, .. } => {
                let Some(key) = self.table_key(table) else {
                    return;
                };
                if let Some(t) = self.tables.get_mut(&key) {
                    let t = Arc::make_mut(t);
                    t.columns.retain(|c| c.name != *column);
                    t.constraints.retain(|c| !c.columns.contains(column));
                }
                self.indexes
                    .retain(|_, i| !(i.table == key && i.columns.contains(column)));
            }
            Op::RenameColumn { table, from, to } => {
                let Some(key) = self.table_key(table) else {
                    return;
                };
                if let Some(t) = self.tables.get_mut(&key) {
                    let t = Arc::make_mut(t);
                    if let Some(c) = t.column_mut(from) {
                        c.name = to.clone();
                    }
                    for c in &mut t.columns {
                        if let Some(g) = &mut c.generation {
                            *g = crate::sql::rename::column_in_expr(g, from, to)
                                .unwrap_or_else(|| rename_word(g, from, to));
                        }
                    }
                    for c in &mut t.constraints {
                        rename_in(&mut c.columns, from, to);
                        if let Some(e) = &mut c.check_expr {
                            *e = rename_word(e, from, to);
                        }
                    }
                    for tr in &mut t.triggers {
                        rename_in(&mut tr.columns, from, to);
                    }
                }
                // the written keys name the column: read and printed again, or not known
                let written = |i: &Index| match &i.shape {
                    IndexShape::Written(text) => {
                        let renamed = crate::sql::rename::column_in_index_keys(text, from, to);
                        (renamed.as_deref() != Some(text.as_str())).then_some(renamed)
                    }
                    _ => None,
                };
                self.indexes.modify(
                    |i| i.table == key && (i.columns.contains(from) || written(i).is_some()),
                    |i| {
                        let i = Arc::make_mut(i);
                        rename_in(&mut i.columns, from, to);
                        if let Some(renamed) = written(i) {
                            i.shape = renamed.map_or(IndexShape::Unknown, IndexShape::Written);
                        }
                    },
                );
            }
            Op::AlterColumnType {
                table,
                column,
                new_type,
                ..
            } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.data_type = new_type.clone();
                }
            }
            Op::RedefineColumn { table, column } => {
                // MySQL replaces the whole definition; the position stays where it was
                let table_charset = self.table(table).and_then(|t| t.charset.clone());
                if let Some(c) = self
                    .table_mut(table)
                    .and_then(|t| t.column_mut(&column.name))
                {
                    c.data_type = column.data_type.clone();
                    c.not_null = column.not_null || column.primary_key;
                    c.default = column.default.clone();
                    c.default_volatility = column.default_volatility;
                    c.serial = column.serial;
                    c.generated = column.generated;
                    c.generation = column.generation.clone();
                    c.charset = column.charset.clone();
                    c.collation = own_collation(column, table_charset.as_deref());
                }
            }
            Op::SetNotNull { table, column } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.not_null = true;
                }
            }
            // every text column takes the table's new default
            Op::ConvertCharset {
                table,
                charset,
                collation,
            } => {
                if let Some(t) = self.table_mut(table) {
                    t.charset = Some(charset.clone());
                    t.collation = collation.clone();
                    for c in &mut t.columns {
                        c.charset = None;
                        c.collation = None;
                    }
                }
            }
            Op::DropNotNull { table, column } => {
                if let Some(t) = self.table_mut(table) {
                    // PostgreSQL 18 drops the column's NOT NULL constraint with it
                    t.constraints.retain(|c| {
                        c.kind != ConstraintKind::NotNull || !c.columns.iter().any(|x| x == column)
                    });
                    if let Some(c) = t.column_mut(column) {
                        c.not_null = false;
                    }
                }
            }
            Op::SetDefault {
                table,
                column,
                default,
                volatility,
            } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.default = Some(default.clone());
                    c.default_volatility = Some(*volatility);
                }
            }
            Op::DropDefault { table, column } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.default = None;
                    c.default_volatility = None;
                }
            }
            Op::AddConstraint { table, constraint } => {
                let key = self.ensure_table(table);
                self.add_constraint(&key, constraint, !constraint.not_valid);
            }
            Op::ValidateConstraint { table, name } => {
                if let Some(t) = self.table_mut(table) {
                    let mut not_null = Vec::new();
                    for c in &mut t.constraints {
                        if c.name.as_deref() == Some(name) {
                            c.validated = true;
                            if c.kind == ConstraintKind::NotNull {
                                not_null.extend(c.columns.iter().cloned());
                            }
                        }
                    }
                    // PostgreSQL 18: a validated NOT NULL constraint is the column's NOT NULL
                    for col in &mut t.columns {
                        if not_null.contains(&col.name) {
                            col.not_null = true;
                        }
                    }
                }
            }
            Op::DropConstraint { table, name, .. } => {
                let Some(key) = self.table_key(table) else {
                    return;
                };
                let mut owned = None;
                if let Some(t) = self.tables.get_mut(&key) {
                    let t = Arc::make_mut(t);
                    if let Some(c) = t.constraint(name) {
                        owned = c.index.clone();
                    }
                    t.constraints.retain(|c| c.name.as_deref() != Some(name));
                }
                if let Some(ix) = owned {
                    self.indexes.remove(&(key.0.clone(), ix));
                }
            }
            Op::CreateIndex {
                name,
                table,
                columns,
                unique,
                if_not_exists,
                shape,
                partial,
                ..
            } => {
                let tkey = self.ensure_table(table);
                let name = name
                    .clone()
                    .unwrap_or_else(|| default_index_name(self.dialect, &tkey.1, columns, "idx"));
                let key = self.index_key(&tkey, &name);
                if *if_not_exists && self.indexes.contains_key(&key) {
                    return;
                }
                self.insert_index(
                    key,
                    Arc::new(Index {
                        name,
                        table: tkey,
                        columns: columns.clone(),
                        unique: *unique,
                        partial: *partial,
                        shape: shape.clone(),
                        valid: true,
                        origin: self.origin,
                    }),
                );
            }
            Op::DropIndex { names, table, .. } => {
                for n in names {
                    let key = match table.as_ref().and_then(|t| self.table_key(t)) {
                        Some(tk) => self.index_key(&tk, &n.name),
                        None => self.key(n),
                    };
                    if self.indexes.remove(&key).is_none() && n.schema.is_none() && table.is_none()
                    {
                        // MySQL index names are per table; PostgreSQL per schema
                        self.indexes.retain(|_, i| i.name != n.name);
                    }
                }
            }
            Op::DropObject { kind, names, .. } => {
                for n in names {
                    let key = self.key(n);
                    match kind {
                        ObjectKind::Table => {
                            if let Some(k) = self.table_key(n) {
                                self.drop_table_key(&k);
                            }
                        }
                        ObjectKind::View | ObjectKind::MaterializedView => {
                            self.views.remove(&key);
                        }
                        ObjectKind::Index => {
                            self.indexes.remove(&key);
                        }
                        ObjectKind::Sequence => {
                            self.sequences.remove(&key);
                        }
                        ObjectKind::Type | ObjectKind::Domain => {
                            self.enums.remove(&key);
                        }
                        ObjectKind::Schema => {
                            let s = &n.name;
                            self.schemas.remove(s);
                            self.tables.retain(|k, _| k.0 != *s);
                            self.indexes.retain(|k, _| k.0 != *s);
                            self.views.retain(|k, _| k.0 != *s);
                            self.sequences.retain(|k, _| k.0 != *s);
                            self.enums.retain(|k, _| k.0 != *s);
                        }
                        _ => {}
                    }
                }
            }
            Op::RenameObject { kind, from, to } => self.rename_object(*kind, from, to),
            Op::SetSchema { kind, name, schema } => match kind {
                ObjectKind::Table => {
                    let to = ObjName::new(Some(schema), &name.name);
                    self.apply(&Op::RenameTable {
                        from: name.clone(),
                        to,
                    });
                }
                ObjectKind::View | ObjectKind::MaterializedView => {
                    let k = self.key(name);
                    move_key(&mut self.views, k, schema);
                }
                ObjectKind::Sequence => {
                    let k = self.key(name);
                    move_key(&mut self.sequences, k, schema);
                }
                ObjectKind::Type => {
                    let k = self.key(name);
                    move_key(&mut self.enums, k, schema);
                }
                _ => {}
            },
            Op::AlterIdentity { table, column } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.generated = Some(Generated::Identity);
                    c.not_null = true;
                }
            }
            Op::DropExpression { table, column } => {
                if let Some(c) = self.table_mut(table).and_then(|t| t.column_mut(column)) {
                    c.generated = None;
                    c.generation = None;
                }
            }
            Op::SetVariable { name, value, .. } => {
                if name.eq_ignore_ascii_case("search_path")
                    && let Some(first) = value.split(',').next()
                {
                    let s = first.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
                    self.elsewhere = true;
                    if !s.is_empty() && s != "$user" && s != "default" {
                        self.default_schema = s;
                    } else if s == "default" && self.dialect == Dialect::Postgres {
                        self.default_schema = "public".into();
                    }
                }
            }
            Op::AddEnumValue { .. }
            | Op::DomainConstraint { .. }
            | Op::Reindex { .. }
            | Op::TableRewrite { .. }
            | Op::DetachPartition { .. }
            | Op::AttachPartition { .. }
            | Op::CreateTrigger { .. }
            | Op::Transaction(_)
            | Op::Update { .. }
            | Op::Delete { .. }
            | Op::Insert { .. }
            | Op::Truncate { .. }
            | Op::Vacuum
            | Op::AlterTableOptions { .. }
            | Op::Other { .. } => {}
        }
    }

    /// Apply one statement: its operations, then what only its AST carries. Statements the
    /// parser could not read (`token_scan`) and ALTER TABLE actions classify could not type
    /// mark the tables they touch uncertain.
    pub fn apply_statement(&mut self, asts: Option<&[Ast]>, ops: &[Operation], token_scan: bool) {
        for op in ops {
            self.apply(op);
        }
        for ast in asts.unwrap_or_default() {
            self.apply_ast(ast);
            if let Ast::AlterTable(at) = ast
                && ops.iter().any(|o| matches!(o, Operation::Other { .. }))
            {
                self.mark_uncertain(&crate::sql::classify::obj_name(&at.name));
            }
        }
        // a token scan that typed every action of a table rebuild or conversion knows all it
        // did; anything else may have changed more than its operations say
        let read_whole = !ops.is_empty()
            && ops.iter().all(|o| {
                matches!(
                    o,
                    Operation::ConvertCharset { .. }
                        | Operation::AlterTableOptions { .. }
                        | Operation::TableRewrite {
                            kind: crate::sql::ops::RewriteKind::Rebuild,
                            ..
                        }
                )
            });
        if token_scan && !read_whole {
            let mut any = false;
            for op in ops {
                if let Some(t) = op.table() {
                    any = true;
                    let t = t.clone();
                    self.mark_uncertain(&t);
                }
            }
            if !any {
                self.uncertain_statements += 1;
            }
        }
    }

    /// What the typed operations do not carry: views, sequences, enum types, schemas and
    /// partial indexes, read from the parsed statement. Call it after the statement's
    /// operations were applied.
    pub fn apply_ast(&mut self, stmt: &Ast) {
        use crate::sql::classify::obj_name;
        match stmt {
            Ast::CreateTable(ct) => {
                // MySQL `KEY ix (col)` inside CREATE TABLE: not an operation of its own
                let table = obj_name(&ct.name);
                if self.dialect == Dialect::Mysql
                    && let Some(t) = self.table_mut(&table)
                {
                    t.charset = crate::sql::classify::table_charset(ct);
                    t.collation = crate::sql::classify::table_collation(ct);
                }
                for c in &ct.constraints {
                    if let sqlparser::ast::TableConstraint::Index(ix) = c
                        && let Some(tkey) = self.table_key(&table)
                    {
                        let columns: Vec<String> = ix
                            .columns
                            .iter()
                            .map(crate::sql::classify::index_column)
                            .collect();
                        let name = ix.name.as_ref().map_or_else(
                            || default_index_name(self.dialect, &tkey.1, &columns, "idx"),
                            crate::sql::classify::ident,
                        );
                        self.ensure_index(&tkey, name, &columns, false);
                    }
                }
            }
            Ast::CreateView(v) => {
                let key = self.key(&obj_name(&v.name));
                let columns = view_columns::of_view(self, v);
                self.views.insert(
                    key,
                    View {
                        origin: self.origin,
                        columns,
                    },
                );
            }
            Ast::Comment {
                object_type: sqlparser::ast::CommentObject::Column,
                object_name,
                comment,
                ..
            } => {
                // `[schema.]table.column`
                let Some((column, table)) = object_name.0.split_last() else {
                    return;
                };
                let column = obj_name(&sqlparser::ast::ObjectName(vec![column.clone()])).name;
                let table = obj_name(&sqlparser::ast::ObjectName(table.to_vec()));
                if let Some(c) = self.table_mut(&table).and_then(|t| t.column_mut(&column)) {
                    c.comment = comment.clone();
                }
            }
            Ast::CreateTrigger(tr) => {
                let name = obj_name(&tr.name).name;
                let (mut columns, when) = trigger_columns(tr);
                columns.extend(when);
                columns.sort();
                columns.dedup();
                if let Some(t) = self.table_mut(&obj_name(&tr.table_name)) {
                    t.triggers.retain(|x| x.name != name);
                    t.triggers.push(TableTrigger { name, columns });
                }
            }
            Ast::DropTrigger(d) => {
                let name = obj_name(&d.trigger_name).name;
                if let Some(t) = d
                    .table_name
                    .as_ref()
                    .and_then(|n| self.table_mut(&obj_name(n)))
                {
                    t.triggers.retain(|x| x.name != name);
                }
            }
            Ast::CreateSequence { name, .. } => {
                let key = self.key(&obj_name(name));
                self.sequences.insert(key, self.origin);
            }
            Ast::CreateType {
                name,
                representation: Some(UserDefinedTypeRepresentation::Enum { labels }),
            } => {
                let key = self.key(&obj_name(name));
                self.enums
                    .insert(key, labels.iter().map(|l| l.value.clone()).collect());
            }
            Ast::CreateSchema { schema_name, .. } => {
                let name = match schema_name {
                    SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _) => {
                        obj_name(n).name
                    }
                    SchemaName::UnnamedAuthorization(i) => i.value.to_ascii_lowercase(),
                };
                self.schemas.entry(name).or_insert(self.origin);
            }
            _ => {}
        }
    }

    /// Create an index if none of that name exists; returns its name.
    fn ensure_index(&mut self, tkey: &Key, name: String, columns: &[String], unique: bool) {
        let key = self.index_key(tkey, &name);
        if self.indexes.contains_key(&key) {
            return;
        }
        let index = Index {
            name,
            table: tkey.clone(),
            columns: columns.to_vec(),
            unique,
            partial: false,
            shape: IndexShape::Columns,
            valid: true,
            origin: self.origin,
        };
        self.insert_index(key, Arc::new(index));
    }

    fn index_key(&self, table: &Key, name: &str) -> Key {
        match self.dialect {
            Dialect::Postgres => (table.0.clone(), self.stored_name(name)),
            Dialect::Mysql => (format!("{}.{}", table.0, table.1), name.to_owned()),
        }
    }

    fn insert_table(&mut self, key: Key, t: Arc<Table>) {
        if key.0 != self.default_schema {
            self.elsewhere = true;
        }
        if t.origin == Origin::ChangeSet {
            self.fresh_tables.push_back(key.clone());
        }
        self.tables.insert(key, t);
    }

    fn insert_index(&mut self, key: Key, i: Arc<Index>) {
        if i.origin == Origin::ChangeSet {
            self.fresh_indexes.push_back(key.clone());
        }
        self.indexes.insert(key, i);
    }

    /// The key of `name`, creating a stub (existing, from history) when the table was never
    /// created in the replayed migrations: statements that alter it prove it exists.
    fn ensure_table(&mut self, name: &ObjName) -> Key {
        if let Some(k) = self.table_key(name) {
            return k;
        }
        let key = self.key(name);
        let t = Table {
            name: self.qualified(name),
            columns: Vec::new(),
            constraints: Vec::new(),
            origin: Origin::History,
            uncertain: false,
            stub: true,
            charset: None,
            collation: None,
            triggers: Vec::new(),
        };
        self.insert_table(key.clone(), Arc::new(t));
        key
    }

    fn drop_table_key(&mut self, key: &Key) {
        if self.tables.remove(key).is_some() {
            self.indexes.retain(|_, i| i.table != *key);
        }
    }

    fn add_column(&mut self, key: &Key, spec: &ColumnSpec) {
        let Some(t) = self.tables.get_mut(key) else {
            return;
        };
        let t = Arc::make_mut(t);
        let collation = own_collation(spec, t.charset.as_deref());
        t.columns.retain(|c| c.name != spec.name);
        t.columns.push(Column {
            name: spec.name.clone(),
            data_type: spec.data_type.clone(),
            not_null: spec.not_null || spec.primary_key,
            default: spec.default.clone(),
            default_volatility: spec.default_volatility,
            serial: spec.serial,
            generated: spec.generated,
            generation: spec.generation.clone(),
            charset: spec.charset.clone(),
            collation,
            comment: None,
        });
        let cols = vec![spec.name.clone()];
        if spec.primary_key {
            let name = pkey_name(self.dialect, &key.1);
            t.constraints.push(Constraint {
                name: Some(name.clone()),
                kind: ConstraintKind::PrimaryKey,
                columns: cols.clone(),
                validated: true,
                check_expr: None,
                references: None,
                fk_clause: None,
                index: Some(name.clone()),
            });
            self.ensure_index(key, name, &cols, true);
        } else if spec.unique {
            let name = crate::names::pg_object_name(&key.1, &spec.name, "key");
            t.constraints.push(Constraint {
                name: Some(name.clone()),
                kind: ConstraintKind::Unique,
                columns: cols.clone(),
                validated: true,
                check_expr: None,
                references: None,
                fk_clause: None,
                index: Some(name.clone()),
            });
            self.ensure_index(key, name, &cols, true);
        }
        if let Some(target) = &spec.references
            && let Some(t) = self.tables.get_mut(key)
        {
            Arc::make_mut(t).constraints.push(Constraint {
                name: Some(
                    spec.fk_name.clone().unwrap_or_else(|| {
                        crate::names::pg_object_name(&key.1, &spec.name, "fkey")
                    }),
                ),
                kind: ConstraintKind::ForeignKey,
                columns: cols,
                validated: true,
                check_expr: None,
                references: Some(target.clone()),
                fk_clause: spec.fk_clause.clone(),
                index: None,
            });
        }
    }

    fn add_constraint(&mut self, key: &Key, spec: &ConstraintSpec, validated: bool) {
        let mut columns = spec.columns.clone();
        let mut index = None;
        if let Some(ix) = &spec.using_index {
            let ikey = self.index_key(key, ix);
            if let Some(i) = self.indexes.get(&ikey) {
                columns = i.columns.clone();
            }
            // the index is renamed to the constraint's name
            index = Some(ix.clone());
            if let Some(n) = &spec.name
                && n != ix
                && let Some(mut i) = self.indexes.remove(&ikey)
            {
                Arc::make_mut(&mut i).name = n.clone();
                self.insert_index(self.index_key(key, n), i);
                index = Some(n.clone());
            }
        } else if matches!(
            spec.kind,
            ConstraintKind::Unique | ConstraintKind::PrimaryKey
        ) {
            let name = spec.name.clone().unwrap_or_else(|| {
                let suffix = if spec.kind == ConstraintKind::PrimaryKey {
                    return pkey_name(self.dialect, &key.1);
                } else {
                    "key"
                };
                default_index_name(self.dialect, &key.1, &columns, suffix)
            });
            self.ensure_index(key, name.clone(), &columns, true);
            index = Some(name);
        }
        let name = spec.name.clone().or_else(|| match spec.kind {
            ConstraintKind::ForeignKey => {
                Some(default_index_name(self.dialect, &key.1, &columns, "fkey"))
            }
            ConstraintKind::Check => None,
            _ => index.clone(),
        });
        let Some(t) = self.tables.get_mut(key) else {
            return;
        };
        let t = Arc::make_mut(t);
        if spec.kind == ConstraintKind::PrimaryKey {
            for c in &columns {
                if let Some(col) = t.column_mut(c) {
                    col.not_null = true;
                }
            }
        }
        t.constraints.push(Constraint {
            name,
            kind: spec.kind,
            columns,
            validated,
            check_expr: spec.check_expr.clone(),
            references: spec.references.clone(),
            fk_clause: spec.fk_clause.clone(),
            index,
        });
    }

    /// Columns of type `from` (or arrays of it) take its new name `to`: a shadow column the
    /// planner adds later is declared with the type's name (lemmy's `ALTER TYPE
    /// sort_type_enum RENAME TO post_sort_type_enum`, then a rename of a column of that type).
    fn retype_columns(&mut self, from: &ObjName, to: &str) {
        let target = self.key(from);
        let default_schema = self.default_schema.clone();
        let renamed = |written: &str| -> Option<String> {
            let (name, array) = written_type_name(written);
            let schema = name.schema.as_ref().unwrap_or(&default_schema);
            (*schema == target.0 && name.name == target.1).then(|| match &name.schema {
                Some(s) => format!("{s}.{to}{array}"),
                None => format!("{to}{array}"),
            })
        };
        let hits: Vec<Key> = self
            .tables
            .iter()
            .filter(|(_, t)| t.columns.iter().any(|c| renamed(&c.data_type).is_some()))
            .map(|(k, _)| k.clone())
            .collect();
        for k in hits {
            if let Some(t) = self.tables.get_mut(&k) {
                for c in &mut Arc::make_mut(t).columns {
                    if let Some(new) = renamed(&c.data_type) {
                        c.data_type = new;
                    }
                }
            }
        }
    }

    fn rename_object(&mut self, kind: ObjectKind, from: &ObjName, to: &str) {
        match kind {
            ObjectKind::Table => {
                let to = ObjName::new(from.schema.as_deref(), to);
                self.apply(&Operation::RenameTable {
                    from: from.clone(),
                    to,
                });
            }
            ObjectKind::Index => {
                let key = self.key(from);
                let found = self
                    .indexes
                    .remove(&key)
                    .map(|i| (key.clone(), i))
                    .or_else(|| {
                        let k = self
                            .indexes
                            .iter()
                            .find(|(_, i)| i.name == from.name)?
                            .0
                            .clone();
                        self.indexes.remove(&k).map(|i| (k, i))
                    });
                if let Some((k, mut i)) = found {
                    Arc::make_mut(&mut i).name = to.to_owned();
                    let to = self.stored_name(to);
                    self.insert_index((k.0, to), i);
                }
            }
            ObjectKind::View | ObjectKind::MaterializedView => {
                let k = self.key(from);
                let to = self.stored_name(to);
                rename_key(&mut self.views, k, &to);
            }
            ObjectKind::Sequence => {
                let k = self.key(from);
                let to = self.stored_name(to);
                rename_key(&mut self.sequences, k, &to);
            }
            ObjectKind::Type => {
                let k = self.key(from);
                let to = self.stored_name(to);
                rename_key(&mut self.enums, k, &to);
                self.retype_columns(from, &to);
            }
            ObjectKind::EnumValue => {
                // `schema` holds the type's (possibly qualified) name
                let type_name = from.schema.clone().unwrap_or_default();
                let tn = match type_name.rsplit_once('.') {
                    Some((s, n)) => ObjName::new(Some(s), n),
                    None => ObjName::new(None, &type_name),
                };
                let key = self.key(&tn);
                if let Some(labels) = self.enums.get_mut(&key) {
                    for l in labels {
                        if *l == from.name {
                            *l = to.to_owned();
                        }
                    }
                }
            }
            ObjectKind::Schema => {
                let (old, new) = (from.name.clone(), to.to_owned());
                if let Some(o) = self.schemas.remove(&old) {
                    self.schemas.insert(new.clone(), o);
                }
                let tables = std::mem::take(&mut self.tables);
                for (k, mut t) in tables {
                    let k = if k.0 == old {
                        Arc::make_mut(&mut t).name.schema = Some(new.clone());
                        (new.clone(), k.1)
                    } else {
                        k
                    };
                    self.insert_table(k, t);
                }
                let indexes = std::mem::take(&mut self.indexes);
                for (k, mut i) in indexes {
                    if i.table.0 == old {
                        Arc::make_mut(&mut i).table.0 = new.clone();
                    }
                    let k = if k.0 == old { (new.clone(), k.1) } else { k };
                    self.insert_index(k, i);
                }
            }
            ObjectKind::Constraint => {
                // the operation does not carry the table: rename where the name is unique
                let holders: Vec<Key> = self
                    .tables
                    .iter()
                    .filter(|(_, t)| t.constraint(&from.name).is_some())
                    .map(|(k, _)| k.clone())
                    .collect();
                if let [k] = holders.as_slice()
                    && let Some(t) = self.tables.get_mut(k)
                {
                    for c in &mut Arc::make_mut(t).constraints {
                        if c.name.as_deref() == Some(from.name.as_str()) {
                            c.name = Some(to.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn rename_in(cols: &mut [String], from: &str, to: &str) {
    for c in cols {
        if c == from {
            *c = to.to_owned();
        }
    }
}

/// Replace `from` by `to` where it stands as a whole identifier.
fn rename_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.eq_ignore_ascii_case(from) {
            out.push_str(to);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn rename_key<V: Clone>(map: &mut Map<V>, key: Key, to: &str) {
    if let Some(v) = map.remove(&key) {
        map.insert((key.0, to.to_owned()), v);
    }
}

fn move_key<V: Clone>(map: &mut Map<V>, key: Key, schema: &str) {
    if let Some(v) = map.remove(&key) {
        map.insert((schema.to_owned(), key.1), v);
    }
}

/// The name of a user type as a column's type is written (`mood`, `"Mood"`, `s.mood`,
/// `mood[]`): its name (quotes off, folded unless quoted) and its array suffix.
fn written_type_name(written: &str) -> (ObjName, &str) {
    let (base, array) = match written.find('[') {
        Some(i) => written.split_at(i),
        None => (written, ""),
    };
    let unquote = |p: &str| {
        let p = p.trim();
        match p.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
            Some(q) => q.to_owned(),
            None => p.to_ascii_lowercase(),
        }
    };
    let name = match base.trim().rsplit_once('.') {
        Some((s, n)) => ObjName::new(Some(&unquote(s)), &unquote(n)),
        None => ObjName::new(None, &unquote(base)),
    };
    (name, array)
}

/// PostgreSQL's default name: `<table>_<col>[_<col>..]_<suffix>`.
/// The name of table `table`'s unnamed primary key (PostgreSQL's `<table>_pkey`, cut to 63
/// bytes; MySQL's is always `PRIMARY`, kept under this name as before).
fn pkey_name(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::Postgres => crate::names::pg_object_name1(table, "pkey"),
        Dialect::Mysql => format!("{table}_pkey"),
    }
}

fn default_index_name(dialect: Dialect, table: &str, columns: &[String], suffix: &str) -> String {
    let columns: Vec<String> = columns
        .iter()
        .map(|c| {
            c.chars()
                .filter(|ch| ch.is_alphanumeric() || *ch == '_')
                .collect()
        })
        .collect();
    match dialect {
        // `ChooseRelationName` / `ChooseConstraintName`: cut to 63 bytes as `makeObjectName`
        // cuts (kratos' `selfservice_login_request_methods_selfservice_login_request_id_fkey`
        // is `selfservice_login_request_met_selfservice_login_request_id_fkey` in the database)
        Dialect::Postgres => crate::names::pg_object_name(table, &columns.join("_"), suffix),
        Dialect::Mysql => {
            let mut parts = vec![table.to_owned()];
            parts.extend(columns);
            parts.push(suffix.to_owned());
            parts.join("_")
        }
    }
}

/// Is `expr` (a CHECK expression) `col IS NOT NULL`, alone or as one conjunct of an AND?
/// A column's own collation as the catalog keeps it: MySQL's `BINARY` attribute becomes the
/// `_bin` collation of the column's charset (its own, else the table's, else utf8mb4).
fn own_collation(spec: &ColumnSpec, table_charset: Option<&str>) -> Option<String> {
    let c = spec.collation.as_deref()?;
    if c != crate::sql::ops::BINARY_ATTRIBUTE {
        return Some(c.to_owned());
    }
    let cs = spec
        .charset
        .as_deref()
        .or(table_charset)
        .unwrap_or("utf8mb4");
    Some(format!("{}{c}", cs.to_ascii_lowercase()))
}

pub fn is_not_null_check(expr: &str, column: &str) -> bool {
    let norm: String = expr
        .chars()
        .filter(|c| !matches!(c, '(' | ')' | '"' | '`'))
        .collect::<String>()
        .to_ascii_lowercase();
    let norm = norm.split_whitespace().collect::<Vec<_>>().join(" ");
    let want = format!("{} is not null", column.to_ascii_lowercase());
    norm.split(" and ").any(|part| part.trim() == want)
}

/// The columns PostgreSQL binds a trigger to: its `UPDATE OF` list, and the `OLD.c` / `NEW.c`
/// its `WHEN` condition names.
pub fn trigger_columns(tr: &sqlparser::ast::CreateTrigger) -> (Vec<String>, Vec<String>) {
    let mut update_of = Vec::new();
    for e in &tr.events {
        if let sqlparser::ast::TriggerEvent::Update(cols) = e {
            update_of.extend(cols.iter().map(crate::sql::classify::ident));
        }
    }
    let mut when = Vec::new();
    if let Some(cond) = &tr.condition {
        let _ = sqlparser::ast::visit_expressions(cond, |e| {
            if let sqlparser::ast::Expr::CompoundIdentifier(parts) = e
                && let [row, col] = parts.as_slice()
                && ["old", "new"].contains(&row.value.to_ascii_lowercase().as_str())
            {
                when.push(crate::sql::classify::ident(col));
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    (update_of, when)
}

/// A foreign key's `REFERENCES t (..) ..` with its table named `to` (schema-qualified when
/// the clause qualified it).
fn retarget_fk(dialect: Dialect, clause: &str, to: &ObjName) -> String {
    let Some(i) = clause.to_ascii_uppercase().find("REFERENCES") else {
        return clause.to_owned();
    };
    let after = i + "REFERENCES".len();
    let rest = clause[after..].trim_start();
    let start = clause.len() - rest.len();
    // the name runs to the column list or the next word; a quoted part may hold anything
    let mut end = start;
    let mut quoted = false;
    for (j, ch) in rest.char_indices() {
        match ch {
            '"' | '`' => quoted = !quoted,
            '(' | ' ' | '\n' | '\t' if !quoted => break,
            _ => {}
        }
        end = start + j + ch.len_utf8();
    }
    let written = &clause[start..end];
    let name = if written.contains('.') {
        crate::sql::quote::qualified(dialect, to)
    } else {
        crate::sql::quote::ident_min(dialect, &to.name)
    };
    format!("{}{name}{}", &clause[..start], &clause[end..])
}

#[cfg(test)]
mod tests;
