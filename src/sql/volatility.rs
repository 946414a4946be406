//! Volatility of default expressions.

use super::ops::Volatility;

/// Volatility of a default expression given as SQL text.
pub fn of_expr(_expr: &str) -> Volatility {
    Volatility::Immutable
}
