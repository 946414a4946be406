//! `ALTER TABLE t ADD COLUMN c .. REFERENCES o / UNIQUE / CHECK (..)` on PostgreSQL (one
//! migration in eight of lemmy's adds a column so): the column, then each constraint in an
//! `ADD CONSTRAINT` of its own under the name PostgreSQL would have given it, so that each
//! goes through its own recipe (`NOT VALID` + `VALIDATE`, a unique index built
//! `CONCURRENTLY`) instead of the whole statement being refused. Later migrations that drop
//! or rename the constraint by that name keep working.

use sqlparser::ast::{
    AlterTable, AlterTableOperation, ColumnOption, Ident, Statement as Ast, TableConstraint,
};

use sluice_core::catalog::Catalog;
use sluice_core::names;
use sluice_core::sql::{self, Dialect, classify, quote};

/// Is a column option a constraint the planner adds on its own?
fn is_constraint(o: &ColumnOption) -> bool {
    matches!(
        o,
        ColumnOption::ForeignKey(_)
            | ColumnOption::Unique(_)
            | ColumnOption::Check(_)
            | ColumnOption::PrimaryKey(_)
    )
}

/// Does the statement add a column with an inline constraint?
pub(super) fn has_inline_constraint(alter: &AlterTable) -> bool {
    alter.operations.iter().any(|op| {
        matches!(op, AlterTableOperation::AddColumn { column_def, .. }
            if column_def.options.iter().any(|d| is_constraint(&d.option)))
    })
}

/// The statement's actions one by one, a column's inline constraints after it as
/// `ADD CONSTRAINT`s.
pub(super) fn pieces(alter: &AlterTable, cat: &Catalog) -> Result<Vec<Ast>, String> {
    let table = classify::obj_name(&alter.name);
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let one = |op: AlterTableOperation| {
        let mut a = alter.clone();
        a.operations = vec![op];
        Ast::AlterTable(a)
    };
    for op in &alter.operations {
        let AlterTableOperation::AddColumn {
            column_def,
            column_keyword,
            if_not_exists,
            column_position,
        } = op
        else {
            out.push(one(op.clone()));
            continue;
        };
        let (constraints, rest): (Vec<_>, Vec<_>) = column_def
            .options
            .iter()
            .cloned()
            .partition(|d| is_constraint(&d.option));
        let mut plain = column_def.clone();
        plain.options = rest;
        out.push(one(AlterTableOperation::AddColumn {
            column_keyword: *column_keyword,
            if_not_exists: *if_not_exists,
            column_def: plain,
            column_position: column_position.clone(),
        }));
        let column = &column_def.name;
        for d in constraints {
            let (label, given) = match &d.option {
                ColumnOption::ForeignKey(fk) => ("fkey", fk.name.clone()),
                ColumnOption::Unique(u) => ("key", u.name.clone()),
                ColumnOption::Check(c) => ("check", c.name.clone()),
                _ => {
                    return Err(format!(
                        "column {} is added as the primary key of {table}: add the column, fill it, then build the key's unique index CONCURRENTLY and `ADD PRIMARY KEY USING INDEX` by hand",
                        column.value
                    ));
                }
            };
            let name = match d.name.clone().or(given) {
                Some(n) => n,
                None => {
                    let n = default_name(cat, &table, &column.value, label, &taken);
                    taken.push(n.clone());
                    if quote::ident_min(Dialect::Postgres, &n) == n {
                        Ident::new(n)
                    } else {
                        Ident::with_quote('"', n)
                    }
                }
            };
            let constraint = match d.option {
                ColumnOption::ForeignKey(mut fk) => {
                    fk.name = Some(name);
                    fk.columns = vec![column.clone()];
                    TableConstraint::ForeignKey(fk)
                }
                ColumnOption::Check(mut c) => {
                    c.name = Some(name);
                    TableConstraint::Check(c)
                }
                _ => {
                    // a UNIQUE written inline holds no column list: parse the table form
                    let text = format!(
                        "ALTER TABLE {} ADD CONSTRAINT {name} UNIQUE ({column})",
                        alter.name
                    );
                    let mut asts = sql::parse(Dialect::Postgres, &text)
                        .map_err(|e| format!("cannot write `{text}`: {}", e.message))?;
                    out.append(&mut asts);
                    continue;
                }
            };
            out.push(one(AlterTableOperation::AddConstraint {
                constraint,
                not_valid: false,
            }));
        }
    }
    Ok(out)
}

/// The name PostgreSQL gives an unnamed inline constraint (`<table>_<column>_<label>`, a
/// number after the label while the name is taken).
fn default_name(
    cat: &Catalog,
    table: &sluice_core::sql::ops::ObjName,
    column: &str,
    label: &str,
    taken: &[String],
) -> String {
    let used = |n: &str| {
        taken.iter().any(|t| t == n)
            || cat
                .table(table)
                .is_some_and(|t| t.constraints.iter().any(|c| c.name.as_deref() == Some(n)))
            || cat
                .index(&sluice_core::sql::ops::ObjName {
                    schema: table.schema.clone(),
                    name: n.to_owned(),
                })
                .is_some()
    };
    (0..u32::MAX)
        .map(|i| {
            let label = if i == 0 {
                label.to_owned()
            } else {
                format!("{label}{i}")
            };
            names::pg_object_name(&table.name, column, &label)
        })
        .find(|n| !used(n))
        .unwrap_or_default()
}
