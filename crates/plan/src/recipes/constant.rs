//! A NOT NULL column whose value is a constant (`-- sluice:backfill 0`, or the fold's
//! `UPDATE t SET c = 0`) needs no backfill and no trigger: added with the constant as its
//! DEFAULT it is a catalog change (PostgreSQL 11+ keeps the value once for the existing rows;
//! MariaDB 10.3+ / MySQL 8.0.12+ add it INSTANT), the old code's inserts get the value from
//! the DEFAULT, and the contract drops the DEFAULT (catalog only too), leaving the column as
//! the naive migration defines it. Existing rows keep the value: the server stores it apart
//! from the column's DEFAULT. When the migration sets or drops the DEFAULT itself later on,
//! that statement defines it and the contract leaves it alone.

use sqlparser::ast::{
    AlterTableOperation, ColumnOption, ColumnOptionDef, Expr, SelectItem, SetExpr,
    Statement as Ast, UnaryOperator, Value,
};

use serde_json::json;

use sluice_core::sql::ops::ObjName;
use sluice_core::sql::{self, Dialect};

use super::super::{Cost, PlanPhase, Strategy};
use super::{Builder, Src, StepSpec, tname};

/// The backfill expression as a literal every row gets alike (a number, possibly signed, a
/// string, a boolean); `None` for anything computed, from the row or otherwise.
pub(super) fn literal(dialect: Dialect, expr: &str) -> Option<Expr> {
    let parsed = sql::parse(dialect, &format!("SELECT {expr}")).ok()?;
    let [Ast::Query(q)] = parsed.as_slice() else {
        return None;
    };
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return None;
    };
    if !sel.from.is_empty() || sel.selection.is_some() {
        return None;
    }
    let [SelectItem::UnnamedExpr(e)] = sel.projection.as_slice() else {
        return None;
    };
    is_literal(e).then(|| e.clone())
}

fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(
            v.value,
            Value::Number(..)
                | Value::SingleQuotedString(_)
                | Value::DoubleQuotedString(_)
                | Value::DollarQuotedString(_)
                | Value::EscapedStringLiteral(_)
                | Value::NationalStringLiteral(_)
                | Value::HexStringLiteral(_)
                | Value::Boolean(_)
        ),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => matches!(&**expr, Expr::Value(v) if matches!(v.value, Value::Number(..))),
        Expr::Nested(e) => is_literal(e),
        _ => false,
    }
}

/// `ALTER TABLE t ADD [COLUMN] c ..` (one action) with `DEFAULT value`, and `IF NOT EXISTS`
/// when `if_not_exists` (a rerun after a failure finds the column there).
pub(super) fn with_default(ast: &Ast, value: Expr, if_not_exists: bool) -> Option<Ast> {
    let Ast::AlterTable(alter) = ast else {
        return None;
    };
    let mut alter = alter.clone();
    let [
        AlterTableOperation::AddColumn {
            column_def,
            if_not_exists: ine,
            ..
        },
    ] = alter.operations.as_mut_slice()
    else {
        return None;
    };
    if column_def
        .options
        .iter()
        .any(|o| matches!(o.option, ColumnOption::Default(_)))
    {
        return None;
    }
    column_def.options.push(ColumnOptionDef {
        name: None,
        option: ColumnOption::Default(value),
    });
    *ine |= if_not_exists;
    Some(Ast::AlterTable(alter))
}

/// What the servers spell differently: the add with its DEFAULT as it runs, its inverse, the
/// template setting or dropping a DEFAULT, the lock both steps take, and how the add runs.
pub(super) struct Spelling {
    pub add: String,
    pub drop: String,
    pub set_default: &'static str,
    pub lock: &'static str,
    pub how: &'static str,
}

/// The two steps: the add with the DEFAULT in expand, the DEFAULT's drop in contract (its
/// down sets it again).
pub(super) fn steps(
    b: &mut Builder<'_>,
    src: &Src<'_>,
    table: &ObjName,
    col: &str,
    value: &str,
    s: Spelling,
) -> Result<(), String> {
    let recipe = "add-not-null-column";
    let tn = tname(table);
    let up = b.sql("passthrough.sql", json!({ "statement": s.add }))?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Expand,
            strategy: Strategy::Plain,
            summary: format!(
                "add {col} to {table} NOT NULL with DEFAULT {value} ({}): the existing rows and the old code's inserts get the value",
                s.how
            ),
            lock: s.lock,
            cost: Cost::Metadata,
            up,
            down: Some(s.drop),
        },
        None,
    );
    if b.default_set_later {
        // a later statement of the migration sets the column's DEFAULT (its own step, after
        // this one in the expand): dropping it at the contract would undo that
        b.note(format!(
            "line {}: the contract does not drop {col}'s DEFAULT {value}: a later statement of the migration sets or drops the column's DEFAULT itself",
            src.line
        ));
        return Ok(());
    }
    let up = b.sql(
        s.set_default,
        json!({ "table": tn, "column": col, "default": null }),
    )?;
    let down = b.sql(
        s.set_default,
        json!({ "table": tn, "column": col, "default": value }),
    )?;
    b.add(
        src,
        recipe,
        StepSpec {
            phase: PlanPhase::Contract,
            strategy: Strategy::Plain,
            summary: format!(
                "drop {col}'s DEFAULT ({}): the column as the migration defines it (the rows keep their value)",
                s.how
            ),
            lock: s.lock,
            cost: Cost::Metadata,
            up,
            down: Some(down),
        },
        None,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literals_are_constant() {
        for (dialect, expr) in [
            (Dialect::Postgres, "0"),
            (Dialect::Postgres, "-1.5"),
            (Dialect::Postgres, "'basic'"),
            (Dialect::Postgres, "(false)"),
            (Dialect::Postgres, "E'a\\tb'"),
            (Dialect::Mysql, "\"basic\""),
            (Dialect::Mysql, "TRUE"),
        ] {
            assert!(literal(dialect, expr).is_some(), "{expr}");
        }
        for (dialect, expr) in [
            (Dialect::Postgres, "id % 4"),
            (Dialect::Postgres, "now()"),
            (Dialect::Postgres, "NULL"),
            (Dialect::Postgres, "'0'::int"),
            (Dialect::Postgres, "-id"),
            (Dialect::Postgres, "1 + 1"),
            (Dialect::Postgres, "(SELECT 1)"),
            (Dialect::Postgres, "0 FROM t"),
            (Dialect::Mysql, "owner_id"),
            (Dialect::Mysql, "UUID()"),
            (Dialect::Postgres, "not sql ("),
        ] {
            assert!(literal(dialect, expr).is_none(), "{expr}");
        }
    }

    #[test]
    fn the_default_joins_the_added_column() {
        let ast = sql::parse(Dialect::Postgres, "ALTER TABLE t ADD COLUMN c int NOT NULL")
            .unwrap()
            .remove(0);
        let v = literal(Dialect::Postgres, "0").unwrap();
        let with = with_default(&ast, v.clone(), true).unwrap();
        assert_eq!(
            with.to_string(),
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT NOT NULL DEFAULT 0"
        );
        let has = sql::parse(
            Dialect::Postgres,
            "ALTER TABLE t ADD c int DEFAULT 1 NOT NULL",
        )
        .unwrap()
        .remove(0);
        assert!(with_default(&has, v, false).is_none());
    }
}
