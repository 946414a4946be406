//! One file per rule. Each has its doc comment (What it does / Why is this bad? / Example /
//! Use instead), its `lint-rules/<id>.md` page, and `lint_ok` / `lint_errors` tests.

use super::context::ScriptCx;
use super::lock::{LockHold, LockInfo, LockMode};
use super::rule::Rule;
use super::settings::Runner;
use crate::sql::Dialect;

pub mod adding_exclusion_constraint;
pub mod adding_field_with_default;
pub mod adding_not_nullable_field;
pub mod adding_primary_key_constraint;
pub mod adding_required_field;
pub mod adding_trigger_on_existing_table;
pub mod ban_concurrent_index_creation_in_transaction;
pub mod ban_drop_column;
pub mod ban_drop_table;
pub mod ban_table_rewrite;
pub mod ban_uncommitted_transaction;
pub mod changing_column_type;
pub mod constraint_missing_not_valid;
pub mod disallowed_unique_constraint;
pub mod missing_down_migration;
pub mod prefer_robust_stmts;
pub mod renaming_column;
pub mod renaming_table;
pub mod require_concurrent_index_creation;
pub mod require_concurrent_index_deletion;
pub mod require_concurrent_partition_detach;
pub mod require_concurrent_reindex;
pub mod require_lock_timeout;
pub mod require_statement_timeout;
pub mod statements_after_access_exclusive;
pub mod syntax_error;
pub mod transaction_nesting;
pub mod unbatched_backfill;
pub mod unparsed_statement;
pub mod unused_ignore;
pub mod validate_in_same_transaction;

/// Lock facts shared by several rules.
mod common;

/// Every rule, sorted by id (checked by a test).
pub static ALL: &[&dyn Rule] = &[
    &adding_exclusion_constraint::AddingExclusionConstraint,
    &adding_field_with_default::AddingFieldWithDefault,
    &adding_not_nullable_field::AddingNotNullableField,
    &adding_primary_key_constraint::AddingPrimaryKeyConstraint,
    &adding_required_field::AddingRequiredField,
    &adding_trigger_on_existing_table::AddingTriggerOnExistingTable,
    &ban_concurrent_index_creation_in_transaction::BanConcurrentIndexCreationInTransaction,
    &ban_drop_column::BanDropColumn,
    &ban_drop_table::BanDropTable,
    &ban_table_rewrite::BanTableRewrite,
    &ban_uncommitted_transaction::BanUncommittedTransaction,
    &changing_column_type::ChangingColumnType,
    &constraint_missing_not_valid::ConstraintMissingNotValid,
    &disallowed_unique_constraint::DisallowedUniqueConstraint,
    &missing_down_migration::MissingDownMigration,
    &prefer_robust_stmts::PreferRobustStmts,
    &renaming_column::RenamingColumn,
    &renaming_table::RenamingTable,
    &require_concurrent_index_creation::RequireConcurrentIndexCreation,
    &require_concurrent_index_deletion::RequireConcurrentIndexDeletion,
    &require_concurrent_partition_detach::RequireConcurrentPartitionDetach,
    &require_concurrent_reindex::RequireConcurrentReindex,
    &require_lock_timeout::RequireLockTimeout,
    &require_statement_timeout::RequireStatementTimeout,
    &statements_after_access_exclusive::StatementsAfterAccessExclusive,
    &syntax_error::SyntaxError,
    &transaction_nesting::TransactionNesting,
    &unbatched_backfill::UnbatchedBackfill,
    &unparsed_statement::UnparsedStatement,
    &unused_ignore::UnusedIgnore,
    &validate_in_same_transaction::ValidateInSameTransaction,
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
