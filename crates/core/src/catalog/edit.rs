//! The catalog's edits shared by the operations: tables and indexes made or dropped,
//! columns and constraints added, renames followed through indexes, views and keys.

use std::sync::Arc;

use super::{
    Catalog, Column, Constraint, ConstraintKind, Index, IndexShape, Key, Map, MapExt, ObjName,
    Origin, Table,
};
use crate::sql::ops::{ColumnSpec, ConstraintSpec, ObjectKind};
use crate::sql::{Dialect, Operation};

impl Catalog {
    /// Create an index if none of that name exists; returns its name.
    pub(super) fn ensure_index(
        &mut self,
        tkey: &Key,
        name: String,
        columns: &[String],
        unique: bool,
    ) {
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

    pub(super) fn index_key(&self, table: &Key, name: &str) -> Key {
        match self.dialect {
            Dialect::Postgres => (table.0.clone(), self.stored_name(name)),
            Dialect::Mysql => (format!("{}.{}", table.0, table.1), name.to_owned()),
        }
    }

    pub(super) fn insert_table(&mut self, key: Key, t: Arc<Table>) {
        if key.0 != self.default_schema {
            self.elsewhere = true;
        }
        if t.origin == Origin::ChangeSet {
            self.fresh_tables.push_back(key.clone());
        }
        self.tables.insert(key, t);
    }

    pub(super) fn insert_index(&mut self, key: Key, i: Arc<Index>) {
        if i.origin == Origin::ChangeSet {
            self.fresh_indexes.push_back(key.clone());
        }
        self.indexes.insert(key, i);
    }

    /// The key of `name`, creating a stub (existing, from history) when the table was never
    /// created in the replayed migrations: statements that alter it prove it exists.
    pub(super) fn ensure_table(&mut self, name: &ObjName) -> Key {
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

    pub(super) fn drop_table_key(&mut self, key: &Key) {
        if self.tables.remove(key).is_some() {
            self.indexes.retain(|_, i| i.table != *key);
        }
    }

    pub(super) fn add_column(&mut self, key: &Key, spec: &ColumnSpec) {
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
        // the column's own PRIMARY KEY or UNIQUE, under PostgreSQL's names
        let own = if spec.primary_key {
            Some((pkey_name(self.dialect, &key.1), ConstraintKind::PrimaryKey))
        } else if spec.unique {
            let name = crate::names::pg_object_name(&key.1, &spec.name, "key");
            Some((name, ConstraintKind::Unique))
        } else {
            None
        };
        if let Some((name, kind)) = own {
            t.constraints.push(Constraint {
                name: Some(name.clone()),
                kind,
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

    pub(super) fn add_constraint(&mut self, key: &Key, spec: &ConstraintSpec, validated: bool) {
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
    pub(super) fn retype_columns(&mut self, from: &ObjName, to: &str) {
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

    pub(super) fn rename_object(&mut self, kind: ObjectKind, from: &ObjName, to: &str) {
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

    /// `ALTER TABLE .. RENAME TO`: the table, its indexes, and the foreign keys that
    /// reference it.
    pub(super) fn rename_table(&mut self, from: &ObjName, to: &ObjName) {
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

    /// `RENAME COLUMN`: the column and what names it (generation expressions, constraints,
    /// triggers, index keys, written or plain).
    pub(super) fn rename_column(&mut self, table: &ObjName, from: &str, to: &str) {
        let Some(key) = self.table_key(table) else {
            return;
        };
        if let Some(t) = self.tables.get_mut(&key) {
            let t = Arc::make_mut(t);
            if let Some(c) = t.column_mut(from) {
                c.name = to.to_owned();
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
            |i| i.table == key && (i.columns.iter().any(|c| c == from) || written(i).is_some()),
            |i| {
                let i = Arc::make_mut(i);
                rename_in(&mut i.columns, from, to);
                if let Some(renamed) = written(i) {
                    i.shape = renamed.map_or(IndexShape::Unknown, IndexShape::Written);
                }
            },
        );
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

pub(super) fn move_key<V: Clone>(map: &mut Map<V>, key: Key, schema: &str) {
    if let Some(v) = map.remove(&key) {
        map.insert((schema.to_owned(), key.1), v);
    }
}

/// The name of a user type as a column's type is written (`mood`, `"Mood"`, `s.mood`,
/// `mood[]`): its name (quotes off, folded unless quoted) and its array suffix.
pub(super) fn written_type_name(written: &str) -> (ObjName, &str) {
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

pub(super) fn default_index_name(
    dialect: Dialect,
    table: &str,
    columns: &[String],
    suffix: &str,
) -> String {
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

/// A column's own collation as the catalog keeps it: MySQL's `BINARY` attribute becomes the
/// `_bin` collation of the column's charset (its own, else the table's, else utf8mb4).
pub(super) fn own_collation(spec: &ColumnSpec, table_charset: Option<&str>) -> Option<String> {
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

/// A foreign key's `REFERENCES t (..) ..` with its table named `to` (schema-qualified when
/// the clause qualified it).
pub(super) fn retarget_fk(dialect: Dialect, clause: &str, to: &ObjName) -> String {
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

/// A foreign key's `REFERENCES ..` clause with the timing `ALTER CONSTRAINT` gave it: its
/// `[NOT] DEFERRABLE` and `INITIALLY ..` words replaced where given, kept where not (the
/// clause's other tokens as written).
pub(super) fn retime_fk(
    clause: &str,
    deferrable: Option<bool>,
    initially_deferred: Option<bool>,
) -> String {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, clause).tokenize() else {
        return clause.to_owned();
    };
    let kw = |t: Option<&Token>| match t {
        Some(Token::Word(w)) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
        _ => String::new(),
    };
    // the words that are not whitespace, by index
    let words: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
        .collect();
    let mut drop = vec![false; tokens.len()];
    let (mut was_deferrable, mut was_deferred) = (None, None);
    let mut w = 0;
    while w < words.len() {
        let (this, next) = (
            kw(tokens.get(words[w])),
            kw(words.get(w + 1).map(|&i| &tokens[i])),
        );
        let span = match (this.as_str(), next.as_str()) {
            ("NOT", "DEFERRABLE") => {
                was_deferrable = Some(false);
                2
            }
            ("DEFERRABLE", _) => {
                was_deferrable = Some(true);
                1
            }
            ("INITIALLY", "DEFERRED" | "IMMEDIATE") => {
                was_deferred = Some(next == "DEFERRED");
                2
            }
            _ => {
                w += 1;
                continue;
            }
        };
        for &i in &words[w..w + span] {
            drop[i] = true;
        }
        w += span;
    }
    // the kept tokens as written, a run of spaces left by the dropped ones made one
    let mut out = String::new();
    for (t, _) in tokens.iter().zip(&drop).filter(|(_, d)| !**d) {
        if matches!(t, Token::Whitespace(_)) {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push_str(&t.to_string());
        }
    }
    let mut out = out.trim_end().to_owned();
    let deferrable = deferrable.or(was_deferrable);
    let deferred = initially_deferred.or(was_deferred);
    match deferrable {
        Some(true) => out.push_str(" DEFERRABLE"),
        Some(false) => out.push_str(" NOT DEFERRABLE"),
        None => {}
    }
    // INITIALLY DEFERRED needs DEFERRABLE; IMMEDIATE is the default
    if deferred == Some(true) && deferrable == Some(true) {
        out.push_str(" INITIALLY DEFERRED");
    }
    out
}
