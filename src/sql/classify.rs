//! AST -> [`Operation`]s.

use super::Dialect;
use super::ops::Operation;
use sqlparser::ast::Statement;

/// Classify one parsed statement into the operations it performs.
pub fn classify(_dialect: Dialect, stmt: &Statement) -> Vec<Operation> {
    vec![Operation::Other {
        kind: stmt
            .to_string()
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase(),
    }]
}
