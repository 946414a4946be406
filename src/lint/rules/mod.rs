//! One file per rule. Each has its doc comment (What it does / Why is this bad? / Example /
//! Use instead), its `lint-rules/<id>.md` page, and `lint_ok` / `lint_errors` tests.

use super::rule::Rule;

pub mod ban_drop_column;
pub mod syntax_error;
pub mod unparsed_statement;
pub mod unused_ignore;

/// Every rule, sorted by id (checked by a test).
pub static ALL: &[&dyn Rule] = &[
    &ban_drop_column::BanDropColumn,
    &syntax_error::SyntaxError,
    &unparsed_statement::UnparsedStatement,
    &unused_ignore::UnusedIgnore,
];
