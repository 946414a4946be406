//! Whether an `UPDATE` or `DELETE` touches only a bounded batch of rows.

use sqlparser::ast::{Expr, Statement};

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
