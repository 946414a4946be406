//! Token-scan fallback for statements sqlparser cannot parse.

use super::Dialect;
use super::ops::Operation;

/// Best-effort operations found by scanning the tokens of an unparsable statement.
pub fn scan(_dialect: Dialect, _sql: &str) -> Vec<Operation> {
    Vec::new()
}
