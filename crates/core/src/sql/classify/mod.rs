//! AST -> [`Operation`]s.

use sqlparser::ast::{
    AlterColumnOperation, AlterFunctionOperation, AlterIndexOperation, AlterSchemaOperation,
    AlterTable, AlterTableOperation, AlterTypeOperation, AlterViewOperation, CascadeOption,
    ColumnDef, ColumnOption, ColumnOptionDef, ContextModifier, CreateIndex, DetachPartitionMode,
    Expr, FromTable, GeneratedAs, GeneratedExpressionMode, Ident, IndexColumn, IndexType,
    ObjectName, ObjectNamePart, ObjectType, RenameTableNameKind, Set, Statement, TableConstraint,
    TableFactor, TableObject, TableWithJoins, Value,
};
use sqlparser::tokenizer::Token;

use super::Dialect;
use super::ops::{
    ColumnSpec, ConstraintKind, ConstraintSpec, Generated, IndexShape, ObjName, ObjectKind,
    Operation, RewriteKind, TxControl,
};
use super::volatility;

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

fn alter_table(at: &AlterTable) -> Vec<Operation> {
    use Operation as Op;
    let table = obj_name(&at.name);
    let t = || table.clone();
    let mut ops = Vec::new();
    let (mut algorithm, mut lock) = (None, None);
    for action in &at.operations {
        match action {
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => match constraint {
                TableConstraint::Index(ix) => ops.push(Op::CreateIndex {
                    name: ix.name.as_ref().map(ident),
                    table: t(),
                    columns: ix.columns.iter().map(index_column).collect(),
                    unique: false,
                    concurrently: false,
                    if_not_exists: false,
                    fulltext_or_spatial: false,
                    shape: IndexShape::Columns,
                    partial: false,
                }),
                TableConstraint::FulltextOrSpatial(ix) => ops.push(Op::CreateIndex {
                    name: ix.opt_index_name.as_ref().map(ident),
                    table: t(),
                    columns: ix.columns.iter().map(index_column).collect(),
                    unique: false,
                    concurrently: false,
                    if_not_exists: false,
                    fulltext_or_spatial: true,
                    shape: IndexShape::Columns,
                    partial: false,
                }),
                c => {
                    if let Some(mut constraint) = constraint_spec(c) {
                        constraint.not_valid = *not_valid;
                        ops.push(Op::AddConstraint {
                            table: t(),
                            constraint,
                        });
                    }
                }
            },
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                column_position,
                ..
            } => {
                let mut column = column_spec(column_def);
                column.position = column_position.as_ref().map(ToString::to_string);
                ops.push(Op::AddColumn {
                    table: t(),
                    column,
                    if_not_exists: *if_not_exists,
                });
            }
            AlterTableOperation::DropConstraint {
                if_exists, name, ..
            } => ops.push(Op::DropConstraint {
                table: t(),
                name: ident(name),
                if_exists: *if_exists,
            }),
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => ops.extend(column_names.iter().map(|c| Op::DropColumn {
                table: t(),
                column: ident(c),
                if_exists: *if_exists,
            })),
            AlterTableOperation::AttachPartition { .. }
            | AlterTableOperation::AttachPartitionOf { .. } => {
                ops.push(Op::AttachPartition { table: t() });
            }
            AlterTableOperation::DetachPartitionOf { mode, .. } => ops.push(Op::DetachPartition {
                table: t(),
                concurrently: matches!(mode, Some(DetachPartitionMode::Concurrently)),
                finalize: matches!(mode, Some(DetachPartitionMode::Finalize)),
            }),
            AlterTableOperation::DetachPartition { .. } => ops.push(Op::DetachPartition {
                table: t(),
                concurrently: false,
                finalize: false,
            }),
            AlterTableOperation::DropPrimaryKey { .. } => ops.push(Op::DropConstraint {
                table: t(),
                name: "primary".into(),
                if_exists: false,
            }),
            AlterTableOperation::DropForeignKey { name, .. } => ops.push(Op::DropConstraint {
                table: t(),
                name: ident(name),
                if_exists: false,
            }),
            AlterTableOperation::DropIndex { name } => ops.push(Op::DropIndex {
                names: vec![ObjName::new(None, &ident(name))],
                table: Some(t()),
                concurrently: false,
                if_exists: false,
            }),
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => ops.push(Op::RenameColumn {
                table: t(),
                from: ident(old_column_name),
                to: ident(new_column_name),
            }),
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::As(n) | RenameTableNameKind::To(n)) = table_name;
                ops.push(Op::RenameTable {
                    from: t(),
                    to: renamed(&table, n),
                });
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                column_position,
            } => {
                let (from, to) = (ident(old_name), ident(new_name));
                if from != to {
                    ops.push(Op::RenameColumn {
                        table: t(),
                        from,
                        to: to.clone(),
                    });
                }
                ops.push(Op::AlterColumnType {
                    table: t(),
                    column: to,
                    new_type: data_type.to_string(),
                    using: None,
                });
                let def = ColumnDef {
                    name: new_name.clone(),
                    data_type: data_type.clone(),
                    options: options
                        .iter()
                        .map(|o| ColumnOptionDef {
                            name: None,
                            option: o.clone(),
                        })
                        .collect(),
                };
                let mut column = column_spec(&def);
                column.position = column_position.as_ref().map(ToString::to_string);
                ops.push(Op::RedefineColumn { table: t(), column });
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                column_position,
            } => {
                ops.push(Op::AlterColumnType {
                    table: t(),
                    column: ident(col_name),
                    new_type: data_type.to_string(),
                    using: None,
                });
                let def = ColumnDef {
                    name: col_name.clone(),
                    data_type: data_type.clone(),
                    options: options
                        .iter()
                        .map(|o| ColumnOptionDef {
                            name: None,
                            option: o.clone(),
                        })
                        .collect(),
                };
                let mut column = column_spec(&def);
                column.position = column_position.as_ref().map(ToString::to_string);
                ops.push(Op::RedefineColumn { table: t(), column });
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                ops.push(Op::RenameObject {
                    kind: ObjectKind::Constraint,
                    from: ObjName::new(None, &ident(old_name)),
                    to: ident(new_name),
                });
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column = ident(column_name);
                ops.push(match op {
                    AlterColumnOperation::SetNotNull => Op::SetNotNull { table: t(), column },
                    AlterColumnOperation::DropNotNull => Op::DropNotNull { table: t(), column },
                    AlterColumnOperation::SetDefault { value } => Op::SetDefault {
                        table: t(),
                        column,
                        default: value.to_string(),
                        volatility: volatility::of_ast(value),
                    },
                    AlterColumnOperation::DropDefault => Op::DropDefault { table: t(), column },
                    AlterColumnOperation::SetDataType {
                        data_type, using, ..
                    } => Op::AlterColumnType {
                        table: t(),
                        column,
                        new_type: data_type.to_string(),
                        using: using.as_ref().map(ToString::to_string),
                    },
                    AlterColumnOperation::AddGenerated { .. } => {
                        Op::AlterIdentity { table: t(), column }
                    }
                    AlterColumnOperation::GenericOptions { .. } => Op::Other {
                        kind: "ALTER TABLE".into(),
                    },
                });
            }
            AlterTableOperation::SetLogged => ops.push(Op::TableRewrite {
                table: Some(t()),
                kind: RewriteKind::SetLogged,
            }),
            AlterTableOperation::SetUnlogged => ops.push(Op::TableRewrite {
                table: Some(t()),
                kind: RewriteKind::SetUnlogged,
            }),
            AlterTableOperation::Algorithm { algorithm: a, .. } => algorithm = Some(a.to_string()),
            AlterTableOperation::Lock { lock: l, .. } => lock = Some(l.to_string()),
            AlterTableOperation::ValidateConstraint { name } => ops.push(Op::ValidateConstraint {
                table: t(),
                name: ident(name),
            }),
            _ => {
                let o = Op::Other {
                    kind: "ALTER TABLE".into(),
                };
                if !ops.contains(&o) {
                    ops.push(o);
                }
            }
        }
    }
    if algorithm.is_some() || lock.is_some() {
        ops.push(Op::AlterTableOptions {
            table: t(),
            algorithm,
            lock,
        });
    }
    if ops.is_empty() {
        ops.push(Op::Other {
            kind: "ALTER TABLE".into(),
        });
    }
    ops
}

fn column_spec(def: &ColumnDef) -> ColumnSpec {
    let data_type = def.data_type.to_string();
    let mut spec = ColumnSpec {
        name: ident(&def.name),
        serial: is_serial(&data_type),
        data_type,
        not_null: false,
        default: None,
        default_volatility: None,
        generated: None,
        primary_key: false,
        unique: false,
        references: None,
        fk_clause: None,
        fk_name: None,
        generation: None,
        check: false,
        position: None,
        charset: None,
        collation: None,
    };
    for opt in &def.options {
        match &opt.option {
            ColumnOption::NotNull => spec.not_null = true,
            ColumnOption::Null => spec.not_null = false,
            ColumnOption::Default(e) => {
                spec.default = Some(e.to_string());
                spec.default_volatility = Some(volatility::of_ast(e));
            }
            // a primary key column is NOT NULL whether or not it says so
            ColumnOption::PrimaryKey(_) => {
                spec.primary_key = true;
                spec.not_null = true;
            }
            ColumnOption::Unique(_) => spec.unique = true,
            ColumnOption::ForeignKey(fk) => {
                spec.references = Some(obj_name(&fk.foreign_table));
                spec.fk_clause = references_clause(&fk.to_string());
                spec.fk_name = opt.name.as_ref().or(fk.name.as_ref()).map(ident);
            }
            ColumnOption::Check(_) => spec.check = true,
            ColumnOption::CharacterSet(cs) => {
                spec.charset = Some(obj_name(cs).name.to_ascii_lowercase());
            }
            // `COLLATE latin1_bin` implies its charset
            ColumnOption::Collation(c) => {
                let c = obj_name(c).name.to_ascii_lowercase();
                if spec.charset.is_none() {
                    spec.charset = charset_of_collation(&c);
                }
                spec.collation = Some(c);
            }
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| {
                    matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTO_INCREMENT"))
                }) =>
            {
                spec.serial = true;
            }
            ColumnOption::Identity(_) => spec.generated = Some(Generated::Identity),
            ColumnOption::Generated {
                generated_as,
                generation_expr,
                generation_expr_mode,
                ..
            } => {
                spec.generation = generation_expr.as_ref().map(ToString::to_string);
                spec.generated = Some(match (generation_expr, generation_expr_mode) {
                    (None, _) => Generated::Identity,
                    (Some(_), Some(GeneratedExpressionMode::Stored)) => Generated::Stored,
                    (Some(_), Some(GeneratedExpressionMode::Virtual)) => Generated::Virtual,
                    _ if matches!(generated_as, GeneratedAs::ExpStored) => Generated::Stored,
                    // no keyword: VIRTUAL on MySQL and PostgreSQL 18 (earlier PostgreSQL
                    // rejects the statement: it has STORED only, always spelled out)
                    _ => Generated::Virtual,
                });
            }
            _ => {}
        }
    }
    spec
}

/// The charset a MySQL collation belongs to (`utf8mb4_0900_ai_ci` -> `utf8mb4`).
pub fn charset_of_collation(collation: &str) -> Option<String> {
    let cs = collation.split('_').next()?.to_ascii_lowercase();
    (!cs.is_empty()).then_some(cs)
}

/// The default charset of a MySQL `CREATE TABLE` (`DEFAULT CHARSET=latin1`,
/// `CHARACTER SET utf8mb3`, or the charset of `COLLATE=..`), lower case.
pub fn table_charset(ct: &sqlparser::ast::CreateTable) -> Option<String> {
    table_option(ct, "charset")
        .or_else(|| table_option(ct, "character set"))
        .or_else(|| table_option(ct, "collate").and_then(|c| charset_of_collation(&c)))
}

/// The default collation of a MySQL `CREATE TABLE` (`COLLATE=utf8mb4_bin`), lower case.
pub fn table_collation(ct: &sqlparser::ast::CreateTable) -> Option<String> {
    table_option(ct, "collate")
}

/// The word after `key` (and an optional `=`) in a `CREATE TABLE`'s options, lower case.
fn table_option(ct: &sqlparser::ast::CreateTable, key: &str) -> Option<String> {
    option_value(&ct.table_options.to_string().to_ascii_lowercase(), key)
}

/// The word after the first `key` in `text` and an optional `=` (`ENGINE = InnoDB` ->
/// `InnoDB`), as written: a MySQL table option's value.
pub fn option_value(text: &str, key: &str) -> Option<String> {
    let i = text.find(key)? + key.len();
    let rest = text[i..].trim_start().trim_start_matches('=').trim_start();
    let v: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!v.is_empty()).then_some(v)
}

/// `serial` & co. (also quoted: `"serial"` is the same to PostgreSQL); an array of them is
/// not a serial column (PostgreSQL refuses it).
pub(crate) fn is_serial(data_type: &str) -> bool {
    let t = crate::catalog::SqlType::parse(data_type);
    !t.array
        && matches!(
            t.base.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
        )
}

/// A table constraint as a [`ConstraintSpec`]; `None` for MySQL plain indexes.
fn constraint_spec(c: &TableConstraint) -> Option<ConstraintSpec> {
    let spec = |name: &Option<Ident>, kind, columns: Vec<String>| ConstraintSpec {
        name: name.as_ref().map(ident),
        kind,
        columns,
        references: None,
        fk_clause: None,
        not_valid: false,
        using_index: None,
        check_expr: None,
    };
    Some(match c {
        TableConstraint::Unique(u) => ConstraintSpec {
            // MySQL `UNIQUE KEY idx (a)` names the index rather than the constraint
            name: u.name.as_ref().or(u.index_name.as_ref()).map(ident),
            ..spec(
                &None,
                ConstraintKind::Unique,
                u.columns.iter().map(index_column).collect(),
            )
        },
        TableConstraint::PrimaryKey(p) => spec(
            &p.name,
            ConstraintKind::PrimaryKey,
            p.columns.iter().map(index_column).collect(),
        ),
        TableConstraint::ForeignKey(f) => ConstraintSpec {
            references: Some(obj_name(&f.foreign_table)),
            fk_clause: references_clause(&f.to_string()),
            ..spec(
                &f.name,
                ConstraintKind::ForeignKey,
                f.columns.iter().map(ident).collect(),
            )
        },
        TableConstraint::Check(ch) => ConstraintSpec {
            check_expr: Some(ch.expr.to_string()),
            ..spec(&ch.name, ConstraintKind::Check, Vec::new())
        },
        TableConstraint::PrimaryKeyUsingIndex(u) => ConstraintSpec {
            using_index: Some(ident(&u.index_name)),
            ..spec(&u.name, ConstraintKind::PrimaryKey, Vec::new())
        },
        TableConstraint::UniqueUsingIndex(u) => ConstraintSpec {
            using_index: Some(ident(&u.index_name)),
            ..spec(&u.name, ConstraintKind::Unique, Vec::new())
        },
        TableConstraint::Exclude(x) => spec(
            &x.name,
            ConstraintKind::Exclude,
            x.elements.iter().map(|e| index_column(&e.column)).collect(),
        ),
        TableConstraint::Index(_) | TableConstraint::FulltextOrSpatial(_) => return None,
    })
}

/// An index column as a name, or its expression text for expression indexes.
/// [`IndexShape::Columns`] for a b-tree on plain columns, else what follows `ON <table>`.
fn index_shape(ci: &CreateIndex) -> IndexShape {
    let plain = |c: &IndexColumn| {
        c.operator_class.is_none()
            && matches!(c.column.expr, Expr::Identifier(_))
            && c.column.options.sort.is_none()
            && c.column.options.nulls_first.is_none()
    };
    if matches!(ci.using, None | Some(IndexType::BTree))
        && ci.columns.iter().all(plain)
        && ci.include.is_empty()
        && ci.nulls_distinct.is_none()
        && ci.with.is_empty()
        && ci.predicate.is_none()
        && ci.index_options.is_empty()
    {
        return IndexShape::Columns;
    }
    if !ci.index_options.is_empty() {
        // MySQL's `USING BTREE` / `COMMENT` after the columns: its plans do not rebuild
        return IndexShape::Unknown;
    }
    let mut text = String::new();
    if let Some(using) = &ci.using {
        text.push_str(&format!("USING {using} "));
    }
    text.push_str(&format!("({})", join(&ci.columns)));
    if !ci.include.is_empty() {
        text.push_str(&format!(" INCLUDE ({})", join(&ci.include)));
    }
    match ci.nulls_distinct {
        Some(true) => text.push_str(" NULLS DISTINCT"),
        Some(false) => text.push_str(" NULLS NOT DISTINCT"),
        None => {}
    }
    if !ci.with.is_empty() {
        text.push_str(&format!(" WITH ({})", join(&ci.with)));
    }
    if let Some(p) = &ci.predicate {
        text.push_str(&format!(" WHERE {p}"));
    }
    IndexShape::Written(text)
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn index_column(c: &IndexColumn) -> String {
    match &c.column.expr {
        Expr::Identifier(id) => ident(id),
        Expr::CompoundIdentifier(ids) => ids.last().map(ident).unwrap_or_default(),
        e => e.to_string(),
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

fn table_of(t: &TableWithJoins) -> Option<ObjName> {
    match &t.relation {
        TableFactor::Table { name, .. } => Some(obj_name(name)),
        _ => None,
    }
}

/// An identifier normalised for comparison: unquoted ones folded to lower case.
/// A foreign key's definition from `REFERENCES` on (`REFERENCES o (id) ON DELETE CASCADE`).
pub fn references_clause(definition: &str) -> Option<String> {
    let at = definition.find("REFERENCES ")?;
    Some(definition[at..].trim_end().to_owned())
}

pub fn ident(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The last two parts of a name as schema and name.
pub fn obj_name(n: &ObjectName) -> ObjName {
    let mut parts = n.0.iter().rev().map(|p| match p {
        ObjectNamePart::Identifier(id) => ident(id),
        ObjectNamePart::Function(f) => ident(&f.name),
    });
    let name = parts.next().unwrap_or_default();
    let schema = parts.next();
    ObjName { schema, name }
}

/// The new name of a renamed table; an unqualified new name stays in the old schema.
fn renamed(from: &ObjName, to: &ObjectName) -> ObjName {
    let mut to = obj_name(to);
    if to.schema.is_none() {
        to.schema = from.schema.clone();
    }
    to
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

/// For an `UPDATE` or `DELETE`: does it touch only a bounded batch of rows? `Some(true)` when
/// its `WHERE` restricts a column to a range or a list of constants (`<`, `<=`, `>`, `>=`,
/// `BETWEEN`, `IN (..)`, `= ANY (..)`, or `IN (SELECT .. LIMIT n)`), in any conjunct of an
/// `AND` or in every branch of an `OR`, or when it has a `LIMIT` (MySQL); `Some(false)`
/// otherwise (no `WHERE`, or a `WHERE` such as `status = 'new'` or `x IS NULL`); `None` for
/// other statements.
pub fn bounded_batch(stmt: &Statement) -> Option<bool> {
    let (selection, limit) = match stmt {
        Statement::Update(u) => (&u.selection, &u.limit),
        Statement::Delete(d) => (&d.selection, &d.limit),
        _ => return None,
    };
    Some(limit.is_some() || selection.as_ref().is_some_and(key_range_bound))
}

fn key_range_bound(e: &Expr) -> bool {
    use sqlparser::ast::{BinaryOperator as B, InTarget, SetExpr};
    match e {
        Expr::Nested(e) => key_range_bound(e),
        Expr::BinaryOp {
            left,
            op: B::And,
            right,
        } => key_range_bound(left) || key_range_bound(right),
        Expr::BinaryOp {
            left,
            op: B::Or,
            right,
        } => key_range_bound(left) && key_range_bound(right),
        Expr::BinaryOp {
            left,
            op: B::Lt | B::LtEq | B::Gt | B::GtEq,
            right,
        } => (is_column(left) && is_constant(right)) || (is_constant(left) && is_column(right)),
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => is_column(expr) && is_constant(low) && is_constant(high),
        Expr::In {
            expr,
            target,
            negated: false,
            ..
        } => {
            is_column(expr)
                && match target {
                    InTarget::List(list) => list.iter().all(is_constant),
                    InTarget::Subquery(q) => {
                        q.limit_clause.is_some()
                            || q.fetch.is_some()
                            || matches!(q.body.as_ref(), SetExpr::Values(_))
                    }
                    _ => false,
                }
        }
        Expr::AnyOp {
            left,
            compare_op: B::Eq,
            right,
            ..
        } => is_column(left) && is_constant(right),
        _ => false,
    }
}

fn is_column(e: &Expr) -> bool {
    match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => true,
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => is_column(e),
        _ => false,
    }
}

/// A value that does not depend on the row: literals, parameters, arrays and arithmetic of
/// them, casts, intervals and function calls (`now() - interval '30 days'`).
fn is_constant(e: &Expr) -> bool {
    match e {
        Expr::Value(_) | Expr::TypedString(_) | Expr::Interval(_) | Expr::Function(_) => true,
        Expr::Nested(e) | Expr::Cast { expr: e, .. } | Expr::UnaryOp { expr: e, .. } => {
            is_constant(e)
        }
        Expr::BinaryOp { left, right, .. } => is_constant(left) && is_constant(right),
        Expr::Tuple(items) => items.iter().all(is_constant),
        Expr::Array(a) => a.elem.iter().all(is_constant),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ops::{Operation as Op, Volatility};
    use crate::sql::parse;

    fn pg(sql: &str) -> Vec<Operation> {
        ops(Dialect::Postgres, sql)
    }

    fn my(sql: &str) -> Vec<Operation> {
        ops(Dialect::Mysql, sql)
    }

    fn ops(d: Dialect, sql: &str) -> Vec<Operation> {
        let stmts = parse(d, sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        stmts.iter().flat_map(|s| classify(d, s)).collect()
    }

    fn t(name: &str) -> ObjName {
        ObjName::new(None, name)
    }

    fn col(name: &str, ty: &str) -> ColumnSpec {
        ColumnSpec {
            name: name.into(),
            data_type: ty.into(),
            not_null: false,
            default: None,
            default_volatility: None,
            serial: false,
            generated: None,
            primary_key: false,
            unique: false,
            references: None,
            fk_clause: None,
            fk_name: None,
            generation: None,
            check: false,
            position: None,
            charset: None,
            collation: None,
        }
    }

    fn added(sql: &str) -> ColumnSpec {
        match pg(sql).as_slice() {
            [Op::AddColumn { column, .. }] => column.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn add_column_not_null_with_constant_default() {
        assert_eq!(
            pg("ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT ''"),
            vec![Op::AddColumn {
                table: t("users"),
                column: ColumnSpec {
                    not_null: true,
                    default: Some("''".into()),
                    default_volatility: Some(Volatility::Immutable),
                    ..col("email", "TEXT")
                },
                if_not_exists: false,
            }]
        );
    }

    #[test]
    fn add_column_default_volatility() {
        let c = added("ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid()");
        assert_eq!(c.default_volatility, Some(Volatility::Volatile));
        let c = added("ALTER TABLE t ADD COLUMN created_at timestamptz DEFAULT now()");
        assert_eq!(c.default_volatility, Some(Volatility::Stable));
        assert_eq!(c.default.as_deref(), Some("now()"));
    }

    #[test]
    fn serial_identity_and_generated_columns() {
        let c = added("ALTER TABLE t ADD COLUMN n bigserial");
        assert!(c.serial);
        let c = added("ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS IDENTITY");
        assert_eq!(c.generated, Some(Generated::Identity));
        let c = added("ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS (a + 1) STORED");
        assert_eq!(c.generated, Some(Generated::Stored));
        let c = added("ALTER TABLE t ADD COLUMN n int PRIMARY KEY REFERENCES u (id) CHECK (n > 0)");
        assert!(c.primary_key && c.not_null && c.check);
        assert_eq!(c.references, Some(t("u")));
        match my("ALTER TABLE t ADD COLUMN id INT NOT NULL AUTO_INCREMENT FIRST").as_slice() {
            [Op::AddColumn { column, .. }] => {
                assert!(column.serial && column.not_null);
                assert_eq!(column.position.as_deref(), Some("FIRST"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn foreign_key_not_valid() {
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u(id) NOT VALID"),
            vec![Op::AddConstraint {
                table: t("t"),
                constraint: ConstraintSpec {
                    name: Some("fk".into()),
                    kind: ConstraintKind::ForeignKey,
                    columns: vec!["a".into()],
                    references: Some(t("u")),
                    fk_clause: Some("REFERENCES u(id)".into()),
                    not_valid: true,
                    using_index: None,
                    check_expr: None,
                },
            }]
        );
    }

    #[test]
    fn unique_using_index() {
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX idx"),
            vec![Op::AddConstraint {
                table: t("t"),
                constraint: ConstraintSpec {
                    name: Some("u".into()),
                    kind: ConstraintKind::Unique,
                    columns: vec![],
                    references: None,
                    fk_clause: None,
                    not_valid: false,
                    using_index: Some("idx".into()),
                    check_expr: None,
                },
            }]
        );
    }

    #[test]
    fn check_constraint_keeps_expression() {
        match pg("ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID").as_slice() {
            [Op::AddConstraint { constraint, .. }] => {
                assert_eq!(constraint.kind, ConstraintKind::Check);
                assert_eq!(constraint.check_expr.as_deref(), Some("a IS NOT NULL"));
                assert!(constraint.not_valid);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn index_shapes() {
        let shape = |sql: &str| match pg(sql).as_slice() {
            [Op::CreateIndex { shape, partial, .. }] => (shape.clone(), *partial),
            other => panic!("{other:?}"),
        };
        let written = |t: &str| IndexShape::Written(t.into());
        assert_eq!(
            shape("CREATE INDEX i ON t USING btree (a, \"B\")"),
            (IndexShape::Columns, false)
        );
        assert_eq!(
            shape("CREATE INDEX i ON t USING brin (created_at) WITH (pages_per_range = 32)"),
            (
                written("USING BRIN (created_at) WITH (pages_per_range = 32)"),
                false
            )
        );
        assert_eq!(
            shape("CREATE UNIQUE INDEX i ON t (lower(email)) WHERE deleted_at IS NULL"),
            (written("(lower(email)) WHERE deleted_at IS NULL"), true)
        );
        assert_eq!(
            shape("CREATE INDEX i ON t (a DESC NULLS LAST, b text_pattern_ops) INCLUDE (c)"),
            (
                written("(a DESC NULLS LAST, b text_pattern_ops) INCLUDE (c)"),
                false
            )
        );
        assert_eq!(
            shape("CREATE INDEX i ON t USING gin (tags)"),
            (written("USING GIN (tags)"), false)
        );
    }

    #[test]
    fn create_index_concurrently_quoted_names() {
        assert_eq!(
            pg(r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "Public"."T" (a)"#),
            vec![Op::CreateIndex {
                name: Some("i".into()),
                table: ObjName::new(Some("Public"), "T"),
                columns: vec!["a".into()],
                unique: false,
                concurrently: true,
                if_not_exists: true,
                fulltext_or_spatial: false,
                shape: IndexShape::Columns,
                partial: false,
            }]
        );
        match pg("CREATE UNIQUE INDEX Ix ON S.Users (lower(email))").as_slice() {
            [
                Op::CreateIndex {
                    name,
                    table,
                    columns,
                    unique: true,
                    ..
                },
            ] => {
                assert_eq!(name.as_deref(), Some("ix"));
                assert_eq!(table, &ObjName::new(Some("s"), "users"));
                assert_eq!(columns, &vec!["lower(email)".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mysql_change_column_with_options() {
        assert_eq!(
            my("ALTER TABLE t CHANGE COLUMN a b INT, ALGORITHM=INPLACE, LOCK=NONE"),
            vec![
                Op::RenameColumn {
                    table: t("t"),
                    from: "a".into(),
                    to: "b".into(),
                },
                Op::AlterColumnType {
                    table: t("t"),
                    column: "b".into(),
                    new_type: "INT".into(),
                    using: None,
                },
                Op::RedefineColumn {
                    table: t("t"),
                    column: col("b", "INT"),
                },
                Op::AlterTableOptions {
                    table: t("t"),
                    algorithm: Some("INPLACE".into()),
                    lock: Some("NONE".into()),
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t MODIFY COLUMN a BIGINT NOT NULL"),
            vec![
                Op::AlterColumnType {
                    table: t("t"),
                    column: "a".into(),
                    new_type: "BIGINT".into(),
                    using: None,
                },
                Op::RedefineColumn {
                    table: t("t"),
                    column: ColumnSpec {
                        not_null: true,
                        ..col("a", "BIGINT")
                    },
                },
            ]
        );
        // the whole new definition: charset (also from a collation), default, position
        match my("ALTER TABLE t MODIFY a VARCHAR(20) COLLATE latin1_bin DEFAULT 'x' FIRST")
            .as_slice()
        {
            [_, Op::RedefineColumn { column, .. }] => {
                assert_eq!(column.charset.as_deref(), Some("latin1"));
                assert_eq!(column.collation.as_deref(), Some("latin1_bin"));
                assert_eq!(column.default.as_deref(), Some("'x'"));
                assert_eq!(column.position.as_deref(), Some("FIRST"));
                assert!(!column.not_null);
            }
            other => panic!("{other:?}"),
        }
        match my("CREATE TABLE t (a VARCHAR(5) CHARACTER SET utf8mb3)").as_slice() {
            [Op::CreateTable { columns, .. }] => {
                assert_eq!(columns[0].charset.as_deref(), Some("utf8mb3"));
            }
            other => panic!("{other:?}"),
        }
        // CREATE INDEX carries its ALGORITHM / LOCK clauses
        assert_eq!(
            my("CREATE INDEX i ON t (a) ALGORITHM=INPLACE LOCK=NONE")[1],
            Op::AlterTableOptions {
                table: t("t"),
                algorithm: Some("INPLACE".into()),
                lock: Some("NONE".into()),
            }
        );
    }

    #[test]
    fn mysql_table_charset() {
        let charset = |sql: &str| match parse(Dialect::Mysql, sql).expect("parses").as_slice() {
            [Statement::CreateTable(ct)] => table_charset(ct),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            charset("CREATE TABLE t (a INT) ENGINE=InnoDB DEFAULT CHARSET=latin1"),
            Some("latin1".into())
        );
        assert_eq!(
            charset("CREATE TABLE t (a INT) CHARACTER SET = utf8mb3"),
            Some("utf8mb3".into())
        );
        assert_eq!(
            charset("CREATE TABLE t (a INT) COLLATE=utf8mb4_bin"),
            Some("utf8mb4".into())
        );
        assert_eq!(charset("CREATE TABLE t (a INT) ENGINE=InnoDB"), None);
        let collation = |sql: &str| match parse(Dialect::Mysql, sql).expect("parses").as_slice() {
            [Statement::CreateTable(ct)] => table_collation(ct),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            collation("CREATE TABLE t (a INT) DEFAULT CHARSET=utf8mb4 COLLATE=UTF8MB4_BIN"),
            Some("utf8mb4_bin".into())
        );
        assert_eq!(
            collation("CREATE TABLE t (a INT) DEFAULT CHARSET=latin1"),
            None
        );
    }

    #[test]
    fn mysql_rename_table_and_indexes() {
        assert_eq!(
            my("RENAME TABLE a TO b, c TO d"),
            vec![
                Op::RenameTable {
                    from: t("a"),
                    to: t("b"),
                },
                Op::RenameTable {
                    from: t("c"),
                    to: t("d"),
                },
            ]
        );
        assert_eq!(
            my("ALTER TABLE t ADD INDEX idx_a (a), DROP INDEX idx_b"),
            vec![
                Op::CreateIndex {
                    name: Some("idx_a".into()),
                    table: t("t"),
                    columns: vec!["a".into()],
                    unique: false,
                    concurrently: false,
                    if_not_exists: false,
                    fulltext_or_spatial: false,
                    shape: IndexShape::Columns,
                    partial: false,
                },
                Op::DropIndex {
                    names: vec![t("idx_b")],
                    table: Some(t("t")),
                    concurrently: false,
                    if_exists: false,
                },
            ]
        );
        match my("ALTER TABLE t ADD FULLTEXT INDEX ft (body)").as_slice() {
            [
                Op::CreateIndex {
                    fulltext_or_spatial: true,
                    ..
                },
            ] => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alter_column_actions() {
        let ops = pg(
            "ALTER TABLE ONLY public.t ALTER COLUMN a TYPE bigint USING a::bigint, \
             ALTER COLUMN b SET NOT NULL, ALTER COLUMN c DROP NOT NULL, \
             ALTER COLUMN d SET DEFAULT now(), ALTER COLUMN e DROP DEFAULT, \
             ALTER COLUMN f ADD GENERATED ALWAYS AS IDENTITY",
        );
        let tbl = ObjName::new(Some("public"), "t");
        assert_eq!(
            ops,
            vec![
                Op::AlterColumnType {
                    table: tbl.clone(),
                    column: "a".into(),
                    new_type: "BIGINT".into(),
                    using: Some("a::BIGINT".into()),
                },
                Op::SetNotNull {
                    table: tbl.clone(),
                    column: "b".into(),
                },
                Op::DropNotNull {
                    table: tbl.clone(),
                    column: "c".into(),
                },
                Op::SetDefault {
                    table: tbl.clone(),
                    column: "d".into(),
                    default: "now()".into(),
                    volatility: Volatility::Stable,
                },
                Op::DropDefault {
                    table: tbl.clone(),
                    column: "e".into(),
                },
                Op::AlterIdentity {
                    table: tbl,
                    column: "f".into(),
                },
            ]
        );
    }

    #[test]
    fn renames_and_drops() {
        assert_eq!(
            pg("ALTER TABLE s.a RENAME TO b"),
            vec![Op::RenameTable {
                from: ObjName::new(Some("s"), "a"),
                to: ObjName::new(Some("s"), "b"),
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t RENAME COLUMN a TO b"),
            vec![Op::RenameColumn {
                table: t("t"),
                from: "a".into(),
                to: "b".into(),
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t RENAME CONSTRAINT a TO b"),
            vec![Op::RenameObject {
                kind: ObjectKind::Constraint,
                from: t("a"),
                to: "b".into(),
            }]
        );
        assert_eq!(
            pg("ALTER INDEX i RENAME TO j"),
            vec![Op::RenameObject {
                kind: ObjectKind::Index,
                from: t("i"),
                to: "j".into(),
            }]
        );
        assert_eq!(
            pg("ALTER TABLE t DROP COLUMN IF EXISTS a, DROP CONSTRAINT c"),
            vec![
                Op::DropColumn {
                    table: t("t"),
                    column: "a".into(),
                    if_exists: true,
                },
                Op::DropConstraint {
                    table: t("t"),
                    name: "c".into(),
                    if_exists: false,
                },
            ]
        );
        assert_eq!(
            pg("DROP TABLE IF EXISTS a, b CASCADE"),
            vec![Op::DropTable {
                tables: vec![t("a"), t("b")],
                if_exists: true,
                cascade: true,
            }]
        );
        assert_eq!(
            pg("DROP INDEX IF EXISTS i"),
            vec![Op::DropIndex {
                names: vec![t("i")],
                table: None,
                concurrently: false,
                if_exists: true,
            }]
        );
        assert_eq!(
            pg("DROP VIEW v"),
            vec![Op::DropObject {
                kind: ObjectKind::View,
                names: vec![t("v")],
                if_exists: false,
            }]
        );
    }

    #[test]
    fn enum_types() {
        assert_eq!(
            pg("ALTER TYPE mood ADD VALUE 'meh'"),
            vec![Op::AddEnumValue {
                type_name: t("mood"),
                positioned: false,
            }]
        );
        assert_eq!(
            pg("CREATE DOMAIN posint AS int CHECK (VALUE > 0)"),
            vec![Op::DomainConstraint {
                domain: t("posint"),
                create: true,
                not_valid: false,
            }]
        );
        assert_eq!(
            pg("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok'"),
            vec![Op::AddEnumValue {
                type_name: t("mood"),
                positioned: true,
            }]
        );
        match pg("ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'").as_slice() {
            [
                Op::RenameObject {
                    kind: ObjectKind::EnumValue,
                    ..
                },
            ] => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn create_table() {
        let ops = pg("CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY, \
             name varchar(20) NOT NULL, CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id))");
        match ops.as_slice() {
            [
                Op::CreateTable {
                    table,
                    columns,
                    constraints,
                    if_not_exists: true,
                    from_query: false,
                },
            ] => {
                assert_eq!(table, &t("t"));
                assert!(columns[0].serial && columns[0].primary_key);
                assert_eq!(columns[1].data_type, "VARCHAR(20)");
                assert!(columns[1].not_null);
                assert_eq!(constraints[0].kind, ConstraintKind::ForeignKey);
            }
            other => panic!("{other:?}"),
        }
        match pg("CREATE TABLE t2 AS SELECT * FROM t").as_slice() {
            [
                Op::CreateTable {
                    from_query: true, ..
                },
            ] => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn transactions_and_settings() {
        assert_eq!(
            pg("BEGIN; SET LOCAL lock_timeout = '5s'; COMMIT"),
            vec![
                Op::Transaction(TxControl::Begin),
                Op::SetVariable {
                    name: "lock_timeout".into(),
                    value: "5s".into(),
                    local: true,
                },
                Op::Transaction(TxControl::Commit),
            ]
        );
        assert_eq!(
            my("SET SESSION lock_wait_timeout = 5"),
            vec![Op::SetVariable {
                name: "lock_wait_timeout".into(),
                value: "5".into(),
                local: false,
            }]
        );
        assert_eq!(
            pg("START TRANSACTION; SAVEPOINT a; ROLLBACK TO SAVEPOINT a; ROLLBACK"),
            vec![
                Op::Transaction(TxControl::Begin),
                Op::Transaction(TxControl::Savepoint),
                Op::Transaction(TxControl::RollbackToSavepoint),
                Op::Transaction(TxControl::Rollback),
            ]
        );
    }

    #[test]
    fn dml_and_maintenance() {
        assert_eq!(
            pg("UPDATE t SET a = 1; DELETE FROM u WHERE id = 1; INSERT INTO v VALUES (1)"),
            vec![
                Op::Update {
                    table: t("t"),
                    has_where: false,
                },
                Op::Delete {
                    table: t("u"),
                    has_where: true,
                    bounded: false,
                },
                Op::Insert { table: t("v") },
            ]
        );
        assert_eq!(
            pg("TRUNCATE a, b CASCADE"),
            vec![Op::Truncate {
                tables: vec![t("a"), t("b")],
                cascade: true,
            }]
        );
        assert_eq!(
            pg("VACUUM FULL t; VACUUM t"),
            vec![
                Op::TableRewrite {
                    table: Some(t("t")),
                    kind: RewriteKind::VacuumFull,
                },
                Op::Vacuum,
            ]
        );
    }

    #[test]
    fn alter_function_set_schema() {
        assert_eq!(
            pg("ALTER FUNCTION billing.total(bigint) SET SCHEMA invoicing"),
            vec![Op::SetSchema {
                kind: ObjectKind::Function,
                name: ObjName::new(Some("billing"), "total"),
                schema: "invoicing".into(),
            }]
        );
        assert_eq!(
            pg("ALTER FUNCTION total(bigint) OWNER TO admin"),
            vec![Op::Other {
                kind: "ALTER FUNCTION".into()
            }]
        );
    }

    #[test]
    fn other_statements_are_named() {
        assert_eq!(
            pg("CREATE OR REPLACE VIEW v AS SELECT 1"),
            vec![Op::Other {
                kind: "CREATE VIEW".into()
            }]
        );
        assert_eq!(
            pg("COMMENT ON TABLE t IS 'x'"),
            vec![Op::Other {
                kind: "COMMENT".into()
            }]
        );
        assert_eq!(
            pg("GRANT SELECT ON t TO r"),
            vec![Op::Other {
                kind: "GRANT".into()
            }]
        );
    }
    fn batch(sql: &str) -> Option<bool> {
        let asts = parse(Dialect::Postgres, sql).expect("parses");
        bounded_batch(&asts[0])
    }

    #[test]
    fn bounded_batches_need_a_key_range_or_list() {
        for sql in [
            "UPDATE users SET a = 1 WHERE id < 1000",
            "UPDATE users SET a = 1 WHERE id >= $1 AND id < $2 AND a IS NULL",
            "UPDATE users SET a = 1 WHERE a IS NULL AND (id BETWEEN 1 AND 1000)",
            "DELETE FROM users WHERE id IN (1, 2, 3)",
            "DELETE FROM users WHERE id = ANY (ARRAY[1, 2])",
            "DELETE FROM users WHERE created_at < now() - interval '30 days'",
            "DELETE FROM users WHERE id IN (SELECT id FROM users WHERE a IS NULL LIMIT 1000)",
            "UPDATE users SET a = 1 WHERE id < 10 OR id > 1000000",
        ] {
            assert_eq!(batch(sql), Some(true), "{sql}");
        }
        for sql in [
            "UPDATE users SET a = 1",
            "UPDATE users SET a = 1 WHERE status = 'new'",
            "UPDATE users SET a = 1 WHERE a IS NULL",
            "UPDATE users SET a = 1 WHERE id < 10 OR status = 'new'",
            "UPDATE users SET a = 1 WHERE id NOT IN (1, 2)",
            "UPDATE users SET a = 1 WHERE id < other_id",
            "DELETE FROM users WHERE id IN (SELECT user_id FROM bans)",
        ] {
            assert_eq!(batch(sql), Some(false), "{sql}");
        }
        assert_eq!(batch("SELECT 1"), None);
        let asts = parse(
            Dialect::Mysql,
            "DELETE FROM logs WHERE kind = 'debug' LIMIT 1000",
        )
        .expect("parses");
        assert_eq!(bounded_batch(&asts[0]), Some(true));
    }
}
