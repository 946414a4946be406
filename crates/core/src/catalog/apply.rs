//! Replaying what a statement does into the catalog: its typed operations, then what only
//! its parsed form carries (views, sequences, enum types, schemas, partial indexes).

use std::sync::Arc;

use sqlparser::ast::{SchemaName, Statement as Ast, UserDefinedTypeRepresentation};

use super::edit::{default_index_name, move_key, own_collation, retime_fk};
use super::{
    Catalog, ConstraintKind, Generated, Index, MapExt, ObjName, Table, TableTrigger, View,
    trigger_columns, view_columns,
};
use crate::sql::ops::ObjectKind;
use crate::sql::{Dialect, Operation};

impl Catalog {
    /// Apply one typed operation. Never fails: an operation on an object the catalog does not
    /// know is ignored.
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
            Op::RenameTable { from, to } => self.rename_table(from, to),
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
            Op::RenameColumn { table, from, to } => self.rename_column(table, from, to),
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
            Op::AlterConstraint {
                table,
                name,
                deferrable,
                initially_deferred,
            } => {
                if let Some(t) = self.table_mut(table)
                    && let Some(c) = t
                        .constraints
                        .iter_mut()
                        .find(|c| c.name.as_deref() == Some(name.as_str()))
                    && let Some(clause) = &mut c.fk_clause
                {
                    // a shadow column's copy of the key takes its timing as it is now
                    *clause = retime_fk(clause, *deferrable, *initially_deferred);
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
                        | Operation::AlterConstraint { .. }
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
}
