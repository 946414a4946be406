//! The schema catalog: an in-memory model of the database schema, built by replaying
//! migrations in version order. Rules ask it what the schema looks like just before a
//! statement (column types, NOT NULL proofs, indexes) and whether a table is new in the
//! change set or existed before it.
//!
//! Pure: no I/O. [`Catalog::apply`] never fails and never panics: an operation on an object
//! the catalog does not know is ignored, and statements it cannot read mark the objects they
//! touch `uncertain` (see [`Catalog::mark_uncertain`]).

mod apply;
mod edit;
mod image;
pub mod types;
pub mod view_columns;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::sql::Dialect;
use crate::sql::ops::{ConstraintKind, Generated, IndexShape, ObjName, Volatility};

use edit::written_type_name;
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
}

/// Is `expr` (a CHECK expression) `col IS NOT NULL`, alone or as one conjunct of an AND?
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

#[cfg(test)]
mod tests;
