//! AST -> [`Operation`]s.

mod alter_table;
mod batch;
mod definitions;
mod names;

use sqlparser::ast::{
    AlterFunctionOperation, AlterIndexOperation, AlterSchemaOperation, AlterTableOperation,
    AlterTypeOperation, AlterViewOperation, CascadeOption, ContextModifier, Expr, FromTable,
    ObjectName, ObjectType, Set, Statement, TableObject, Value,
};

use super::Dialect;
use super::ops::{ObjName, ObjectKind, Operation, RewriteKind, TxControl};

use alter_table::alter_table;
pub use batch::bounded_batch;
pub use definitions::{
    charset_of_collation, option_value, references_clause, table_charset, table_collation,
};
use definitions::{column_spec, constraint_spec, index_shape};
pub(crate) use definitions::{index_column, is_serial};
pub use names::{ident, obj_name};
use names::{renamed, table_of};

/// Classify one parsed statement into the operations it performs. The dialect is the
/// parser's: what differs between servers is already in the AST.
pub fn classify(_dialect: Dialect, stmt: &Statement) -> Vec<Operation> {
    use Operation as Op;
    match stmt {
        Statement::CreateTable(ct) => vec![Op::CreateTable {
            table: obj_name(&ct.name),
            columns: ct.columns.iter().map(column_spec).collect(),
            constraints: ct.constraints.iter().filter_map(constraint_spec).collect(),
            if_not_exists: ct.if_not_exists,
            from_query: ct.query.is_some() || ct.like.is_some() || ct.clone.is_some(),
        }],
        Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            table,
            ..
        } => {
            let names: Vec<ObjName> = names.iter().map(obj_name).collect();
            let if_exists = *if_exists;
            let kind = match object_type {
                ObjectType::Table => {
                    return vec![Op::DropTable {
                        tables: names,
                        if_exists,
                        cascade: *cascade,
                    }];
                }
                ObjectType::Index => {
                    return vec![Op::DropIndex {
                        names,
                        table: table.as_ref().map(obj_name),
                        concurrently: false,
                        if_exists,
                    }];
                }
                ObjectType::View => ObjectKind::View,
                ObjectType::MaterializedView => ObjectKind::MaterializedView,
                ObjectType::Schema => ObjectKind::Schema,
                ObjectType::Database => ObjectKind::Database,
                ObjectType::Sequence => ObjectKind::Sequence,
                ObjectType::Type => ObjectKind::Type,
                _ => ObjectKind::Other,
            };
            vec![Op::DropObject {
                kind,
                names,
                if_exists,
            }]
        }
        Statement::DropFunction(d) => vec![Op::DropObject {
            kind: ObjectKind::Function,
            names: d.func_desc.iter().map(|f| obj_name(&f.name)).collect(),
            if_exists: d.if_exists,
        }],
        Statement::DropProcedure {
            if_exists,
            proc_desc,
            ..
        } => vec![Op::DropObject {
            kind: ObjectKind::Procedure,
            names: proc_desc.iter().map(|f| obj_name(&f.name)).collect(),
            if_exists: *if_exists,
        }],
        Statement::DropDomain(d) => vec![Op::DropObject {
            kind: ObjectKind::Domain,
            names: vec![obj_name(&d.name)],
            if_exists: d.if_exists,
        }],
        Statement::DropExtension(d) => vec![Op::DropObject {
            kind: ObjectKind::Extension,
            names: d
                .names
                .iter()
                .map(|n| ObjName::new(None, &ident(n)))
                .collect(),
            if_exists: d.if_exists,
        }],
        Statement::DropTrigger(d) => vec![Op::DropObject {
            kind: ObjectKind::Trigger,
            names: vec![obj_name(&d.trigger_name)],
            if_exists: d.if_exists,
        }],
        Statement::AlterTable(at) => alter_table(at),
        Statement::AlterIndex {
            name,
            operation: AlterIndexOperation::RenameIndex { index_name },
        } => vec![Op::RenameObject {
            kind: ObjectKind::Index,
            from: obj_name(name),
            to: obj_name(index_name).name,
        }],
        Statement::AlterView(av) => {
            let kind = if av.materialized {
                ObjectKind::MaterializedView
            } else {
                ObjectKind::View
            };
            match &av.operation {
                AlterViewOperation::RenameTo { new_name } => vec![Op::RenameObject {
                    kind,
                    from: obj_name(&av.name),
                    to: obj_name(new_name).name,
                }],
                AlterViewOperation::SetSchema { schema_name } => vec![Op::SetSchema {
                    kind,
                    name: obj_name(&av.name),
                    schema: obj_name(schema_name).name,
                }],
                _ => vec![other(stmt)],
            }
        }
        Statement::AlterFunction(af) => match &af.operation {
            AlterFunctionOperation::SetSchema { schema_name } => vec![Op::SetSchema {
                kind: ObjectKind::Function,
                name: obj_name(&af.function.name),
                schema: obj_name(schema_name).name,
            }],
            _ => vec![other(stmt)],
        },
        Statement::AlterType(at) => {
            let type_name = obj_name(&at.name);
            match &at.operation {
                AlterTypeOperation::Rename(r) => vec![Op::RenameObject {
                    kind: ObjectKind::Type,
                    from: type_name,
                    to: ident(&r.new_name),
                }],
                AlterTypeOperation::AddValue(v) => vec![Op::AddEnumValue {
                    type_name,
                    positioned: v.position.is_some(),
                }],
                // the value is qualified by its type: `schema` holds the type's name
                AlterTypeOperation::RenameValue(r) => vec![Op::RenameObject {
                    kind: ObjectKind::EnumValue,
                    from: ObjName::new(Some(&type_name.to_string()), &r.from.value),
                    to: r.to.value.clone(),
                }],
            }
        }
        Statement::AlterSchema(a) => {
            let ops: Vec<Operation> = a
                .operations
                .iter()
                .map(|op| match op {
                    AlterSchemaOperation::Rename { name } => Op::RenameObject {
                        kind: ObjectKind::Schema,
                        from: obj_name(&a.name),
                        to: obj_name(name).name,
                    },
                    _ => other(stmt),
                })
                .collect();
            if ops.is_empty() {
                vec![other(stmt)]
            } else {
                ops
            }
        }
        Statement::RenameTable(renames) => renames
            .iter()
            .map(|r| {
                let from = obj_name(&r.old_name);
                let to = renamed(&from, &r.new_name);
                Op::RenameTable { from, to }
            })
            .collect(),
        Statement::CreateIndex(ci) => {
            let table = obj_name(&ci.table_name);
            let mut ops = vec![Op::CreateIndex {
                name: ci.name.as_ref().map(|n| obj_name(n).name),
                table: table.clone(),
                columns: ci.columns.iter().map(index_column).collect(),
                unique: ci.unique,
                concurrently: ci.concurrently,
                if_not_exists: ci.if_not_exists,
                fulltext_or_spatial: false,
                shape: index_shape(ci),
                partial: ci.predicate.is_some(),
            }];
            // MySQL `CREATE INDEX .. ALGORITHM=INPLACE LOCK=NONE`
            let (mut algorithm, mut lock) = (None, None);
            for o in &ci.alter_options {
                match o {
                    AlterTableOperation::Algorithm { algorithm: a, .. } => {
                        algorithm = Some(a.to_string());
                    }
                    AlterTableOperation::Lock { lock: l, .. } => lock = Some(l.to_string()),
                    _ => {}
                }
            }
            if algorithm.is_some() || lock.is_some() {
                ops.push(Op::AlterTableOptions {
                    table,
                    algorithm,
                    lock,
                });
            }
            ops
        }
        Statement::StartTransaction { .. } => vec![Op::Transaction(TxControl::Begin)],
        Statement::Commit { .. } => vec![Op::Transaction(TxControl::Commit)],
        Statement::Rollback { savepoint, .. } => vec![Op::Transaction(match savepoint {
            Some(_) => TxControl::RollbackToSavepoint,
            None => TxControl::Rollback,
        })],
        Statement::Savepoint { .. } => vec![Op::Transaction(TxControl::Savepoint)],
        Statement::ReleaseSavepoint { .. } => vec![Op::Transaction(TxControl::ReleaseSavepoint)],
        Statement::Set(set) => set_variable(set).unwrap_or_else(|| vec![other(stmt)]),
        Statement::Update(u) => match table_of(&u.table) {
            Some(table) => vec![Op::Update {
                table,
                has_where: u.selection.is_some(),
            }],
            None => vec![other(stmt)],
        },
        Statement::Delete(d) => {
            let from = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            // MySQL multi-table DELETE names its targets before FROM
            let table = d
                .tables
                .first()
                .map(obj_name)
                .or_else(|| from.first().and_then(table_of));
            match table {
                Some(table) => vec![Op::Delete {
                    table,
                    has_where: d.selection.is_some(),
                    bounded: bounded_batch(stmt).unwrap_or(false),
                }],
                None => vec![other(stmt)],
            }
        }
        Statement::Insert(ins) => match &ins.table {
            TableObject::TableName(n) => vec![Op::Insert { table: obj_name(n) }],
            _ => vec![other(stmt)],
        },
        Statement::Truncate(t) => vec![Op::Truncate {
            tables: t.table_names.iter().map(|t| obj_name(&t.name)).collect(),
            cascade: matches!(t.cascade, Some(CascadeOption::Cascade)),
        }],
        Statement::Vacuum(v) if v.full => vec![Op::TableRewrite {
            table: v.table_name.as_ref().map(obj_name),
            kind: RewriteKind::VacuumFull,
        }],
        Statement::Vacuum(_) => vec![Op::Vacuum],
        Statement::CreateTrigger(t) => vec![Op::CreateTrigger {
            table: obj_name(&t.table_name),
            name: obj_name(&t.name).name,
        }],
        Statement::CreateDomain(d) if !d.constraints.is_empty() => vec![Op::DomainConstraint {
            domain: obj_name(&d.name),
            create: true,
            not_valid: false,
        }],
        _ => vec![other(stmt)],
    }
}

fn set_variable(set: &Set) -> Option<Vec<Operation>> {
    let var = |name: &ObjectName, values: &[Expr], local: bool| Operation::SetVariable {
        name: obj_name(name).to_string(),
        value: values.iter().map(unquoted).collect::<Vec<_>>().join(", "),
        local,
    };
    match set {
        Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        } => Some(vec![var(
            variable,
            values,
            matches!(scope, Some(ContextModifier::Local)),
        )]),
        Set::MultipleAssignments { assignments } => Some(
            assignments
                .iter()
                .map(|a| {
                    var(
                        &a.name,
                        std::slice::from_ref(&a.value),
                        matches!(a.scope, Some(ContextModifier::Local)),
                    )
                })
                .collect(),
        ),
        Set::SetTimeZone { local, value } => Some(vec![Operation::SetVariable {
            name: "timezone".into(),
            value: unquoted(value),
            local: *local,
        }]),
        _ => None,
    }
}

/// A SET value as text, string quotes removed (`'5s'` -> `5s`).
fn unquoted(e: &Expr) -> String {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        Expr::Identifier(id) => id.value.clone(),
        other => other.to_string(),
    }
}

/// `Other` with the statement's kind (`CREATE VIEW`, `COMMENT`, `GRANT`, ...).
fn other(stmt: &Statement) -> Operation {
    Operation::Other {
        kind: statement_kind(&stmt.to_string()),
    }
}

/// The leading keywords naming a statement, skipping modifiers like `OR REPLACE`.
pub(crate) fn statement_kind(text: &str) -> String {
    const MODIFIERS: &[&str] = &[
        "OR",
        "REPLACE",
        "TEMPORARY",
        "TEMP",
        "GLOBAL",
        "LOCAL",
        "UNLOGGED",
        "IF",
        "NOT",
        "EXISTS",
        "DEFINER",
        "TRUSTED",
        "PROCEDURAL",
        "RECURSIVE",
    ];
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_ascii_uppercase)
        .collect();
    let Some(first) = words.first() else {
        return String::from("UNKNOWN");
    };
    let mut kind = first.clone();
    if matches!(first.as_str(), "CREATE" | "ALTER" | "DROP") {
        let mut rest = words[1..]
            .iter()
            .filter(|w| !MODIFIERS.contains(&w.as_str()));
        if let Some(second) = rest.next() {
            kind.push(' ');
            kind.push_str(second);
            // two-word object kinds
            if matches!(
                second.as_str(),
                "MATERIALIZED" | "FOREIGN" | "EVENT" | "TEXT"
            ) && let Some(third) = rest.next()
            {
                kind.push(' ');
                kind.push_str(third);
            }
        }
    }
    kind
}

#[cfg(test)]
mod tests;
