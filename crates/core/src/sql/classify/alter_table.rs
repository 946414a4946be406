//! `ALTER TABLE` and its actions.

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnDef, ColumnOptionDef,
    DetachPartitionMode, RenameTableNameKind, TableConstraint,
};

use super::super::ops::{IndexShape, ObjName, ObjectKind, Operation, RewriteKind};
use super::super::volatility;

use super::definitions::{column_spec, constraint_spec, index_column};
use super::names::{ident, obj_name, renamed};

pub(super) fn alter_table(at: &AlterTable) -> Vec<Operation> {
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
