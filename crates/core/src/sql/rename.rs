//! A column renamed inside SQL text the catalog keeps (a check's expression, an index's
//! keys and predicate): the text parsed, the identifier replaced, printed again.

use sqlparser::ast::{Expr, Ident, SelectItem, SetExpr, Statement};

use super::ops::IndexShape;
use super::{Dialect, Operation, classify, quote};

/// `sql` parsed (PostgreSQL), column identifier `from` replaced by `to` (quoted) in its
/// expressions; `None` when it cannot be parsed.
fn parsed_with_column(sql: &str, from: &str, to: &str) -> Option<Vec<Statement>> {
    let mut parsed = super::parse(Dialect::Postgres, sql).ok()?;
    let _ = sqlparser::ast::visit_expressions_mut(&mut parsed, |e| {
        if let Expr::Identifier(id) = e {
            let name = if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            };
            if name == from {
                *id = Ident::with_quote('"', to);
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    Some(parsed)
}

/// `expr` with identifier `from` replaced by `to` (quoted), or `None` when it cannot be
/// parsed.
pub fn column_in_expr(expr: &str, from: &str, to: &str) -> Option<String> {
    let parsed = parsed_with_column(&format!("SELECT {expr}"), from, to)?;
    let Some(Statement::Query(q)) = parsed.first() else {
        return None;
    };
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return None;
    };
    match sel.projection.first()? {
        SelectItem::UnnamedExpr(e) => Some(e.to_string()),
        _ => None,
    }
}

/// An index's written keys and predicate ([`IndexShape::Written`]) with column `from`
/// replaced by `to`, in the same form; `None` when they cannot be parsed.
pub fn column_in_index_keys(keys: &str, from: &str, to: &str) -> Option<String> {
    let parsed = parsed_with_column(&format!("CREATE INDEX i ON t {keys}"), from, to)?;
    let ops = classify::classify(Dialect::Postgres, parsed.first()?);
    match ops.into_iter().next()? {
        Operation::CreateIndex { shape, columns, .. } => Some(match shape {
            IndexShape::Written(text) => text,
            // the keys named a column needing quotes and are plain columns now
            _ => {
                let cols: Vec<String> = columns
                    .iter()
                    .map(|c| quote::ident(Dialect::Postgres, c))
                    .collect();
                format!("({})", cols.join(", "))
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_the_column_and_nothing_else() {
        assert_eq!(
            column_in_index_keys(
                "USING BTREE (lower(email), name) WHERE deleted_at IS NULL AND email <> 'email'",
                "email",
                "mail"
            )
            .as_deref(),
            Some(
                r#"USING BTREE (lower("mail"), name) WHERE deleted_at IS NULL AND "mail" <> 'email'"#
            )
        );
        assert_eq!(
            column_in_index_keys("(a DESC) INCLUDE (b)", "c", "d").as_deref(),
            Some("(a DESC) INCLUDE (b)")
        );
        assert_eq!(
            column_in_expr("a > 0 AND b < a", "a", "z").as_deref(),
            Some(r#""z" > 0 AND b < "z""#)
        );
        assert_eq!(column_in_index_keys("(((", "a", "b"), None);
    }
}
