//! One file per rule. Each has its doc comment (What it does / Why is this bad? / Example /
//! Use instead), its `lint-rules/<id>.md` page, and `lint_ok` / `lint_errors` tests.

use super::context::ScriptCx;
use super::lock::{LockHold, LockInfo, LockMode};
use super::rule::Rule;
use super::settings::Runner;
use crate::sql::Dialect;

pub mod adding_field_with_default;
pub mod adding_not_nullable_field;
pub mod adding_required_field;
pub mod ban_concurrent_index_creation_in_transaction;
pub mod ban_drop_column;
pub mod ban_drop_table;
pub mod ban_uncommitted_transaction;
pub mod changing_column_type;
pub mod constraint_missing_not_valid;
pub mod contract_before_expand;
pub mod destructive_change_with_code;
pub mod disallowed_unique_constraint;
pub mod dropped_object_still_referenced;
pub mod foreign_key_missing_index;
pub mod missing_down_migration;
pub mod renaming_column;
pub mod renaming_table;
pub mod require_concurrent_index_creation;
pub mod require_concurrent_index_deletion;
pub mod require_lock_timeout;
pub mod syntax_error;
pub mod transaction_nesting;
pub mod unparsed_statement;
pub mod unused_ignore;

/// Every rule, sorted by id (checked by a test).
pub static ALL: &[&dyn Rule] = &[
    &adding_field_with_default::AddingFieldWithDefault,
    &adding_not_nullable_field::AddingNotNullableField,
    &adding_required_field::AddingRequiredField,
    &ban_concurrent_index_creation_in_transaction::BanConcurrentIndexCreationInTransaction,
    &ban_drop_column::BanDropColumn,
    &ban_drop_table::BanDropTable,
    &ban_uncommitted_transaction::BanUncommittedTransaction,
    &changing_column_type::ChangingColumnType,
    &constraint_missing_not_valid::ConstraintMissingNotValid,
    &contract_before_expand::ContractBeforeExpand,
    &destructive_change_with_code::DestructiveChangeWithCode,
    &disallowed_unique_constraint::DisallowedUniqueConstraint,
    &dropped_object_still_referenced::DroppedObjectStillReferenced,
    &foreign_key_missing_index::ForeignKeyMissingIndex,
    &missing_down_migration::MissingDownMigration,
    &renaming_column::RenamingColumn,
    &renaming_table::RenamingTable,
    &require_concurrent_index_creation::RequireConcurrentIndexCreation,
    &require_concurrent_index_deletion::RequireConcurrentIndexDeletion,
    &require_lock_timeout::RequireLockTimeout,
    &syntax_error::SyntaxError,
    &transaction_nesting::TransactionNesting,
    &unparsed_statement::UnparsedStatement,
    &unused_ignore::UnusedIgnore,
];

/// The table lock that blocks reads and writes, in the script's dialect: ACCESS EXCLUSIVE
/// (PostgreSQL) or the exclusive metadata lock (MySQL).
fn exclusive(cx: &ScriptCx<'_>, hold: LockHold) -> LockInfo {
    let mode = match cx.dialect() {
        Dialect::Postgres => LockMode::AccessExclusive,
        Dialect::Mysql => LockMode::MetadataExclusive,
    };
    LockInfo::new(mode, hold)
}

/// The name of the runner that applies this script, as users write it in `sluice.toml`.
fn runner_name(cx: &ScriptCx<'_>) -> &'static str {
    match cx.settings.runner.effective(cx.migration.layout) {
        Runner::Auto | Runner::Sluice => "sluice",
        Runner::Sqlx => "sqlx",
        Runner::GolangMigrate => "golang-migrate",
        Runner::Flyway => "flyway",
        Runner::Dbmate => "dbmate",
        Runner::Goose => "goose",
        Runner::Diesel => "diesel",
    }
}
