//! Columns getting a type, for the schema-style rules: declared by CREATE TABLE or ADD COLUMN,
//! or retyped by ALTER COLUMN .. TYPE. Types are read the way PostgreSQL reads them
//! ([`SqlType`]: `int4[]`, `"bpchar"(50)`, `pg_catalog.varchar(100)`).

use crate::context::{ScriptCx, Stmt};
use sluice_core::catalog::SqlType;
use sluice_core::source::Direction;
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{ConstraintKind, ObjName};

use super::declared_columns;

pub(crate) struct TypedColumn<'a> {
    pub stmt: &'a Stmt,
    pub table: &'a ObjName,
    pub name: &'a str,
    /// The type as written.
    pub data_type: &'a str,
    pub sql_type: SqlType,
    pub serial: bool,
    /// ALTER COLUMN .. TYPE rather than a new column.
    pub retyped: bool,
    /// A primary or foreign key column (declared or in the catalog).
    key: bool,
}

impl TypedColumn<'_> {
    /// A key, `id`, `*_id`, or an array of keys named `ids` / `*_ids`.
    pub fn key_like(&self) -> bool {
        let name = self.name.to_ascii_lowercase();
        self.key
            || name == "id"
            || name.ends_with("_id")
            || self.sql_type.array && (name == "ids" || name.ends_with("_ids"))
    }

    /// The type as written in lower case, without a length or precision (`varchar(20)` ->
    /// `varchar`), for messages.
    pub fn written(&self) -> String {
        let t = self.data_type.to_ascii_lowercase();
        let t = match (t.find('('), t.find(')')) {
            (Some(i), Some(j)) if i < j => format!("{}{}", &t[..i], &t[j + 1..]),
            _ => t,
        };
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// "is" for a new column, "becomes" for a retyped one.
    pub fn verb(&self) -> &'static str {
        if self.retyped { "becomes" } else { "is" }
    }

    /// The byte range of the column's name in its statement.
    pub fn span(&self, cx: &ScriptCx<'_>) -> std::ops::Range<usize> {
        super::column_name_span(cx, self.stmt, self.name)
    }
}

/// Every column declared or retyped in the script, in order. A down script's type changes
/// are left out: they restore the type the up script changed, not a choice of their own.
pub(crate) fn typed_columns<'a>(cx: &'a ScriptCx<'_>) -> Vec<TypedColumn<'a>> {
    let mut out: Vec<TypedColumn<'a>> = declared_columns(cx)
        .into_iter()
        .map(|d| TypedColumn {
            stmt: d.stmt,
            table: d.table,
            name: &d.column.name,
            data_type: &d.column.data_type,
            sql_type: SqlType::parse(&d.column.data_type),
            serial: d.column.serial,
            retyped: false,
            key: d.column.primary_key || d.column.references.is_some() || d.in_key_constraint,
        })
        .collect();
    let ops = cx.ops().filter(|_| cx.direction() == Direction::Up);
    for (st, op) in ops {
        let Operation::AlterColumnType {
            table,
            column,
            new_type,
            ..
        } = op
        else {
            continue;
        };
        let key = cx.catalog(st.index).table(table).is_some_and(|t| {
            t.constraints.iter().any(|c| {
                matches!(
                    c.kind,
                    ConstraintKind::PrimaryKey | ConstraintKind::ForeignKey
                ) && c.columns.contains(column)
            })
        });
        out.push(TypedColumn {
            stmt: st,
            table,
            name: column,
            data_type: new_type,
            sql_type: SqlType::parse(new_type),
            serial: false,
            retyped: true,
            key,
        });
    }
    out.sort_by_key(|c| c.stmt.index);
    out
}
