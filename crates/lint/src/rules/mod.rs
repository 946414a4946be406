//! One file per rule. Each has its doc comment (What it does / Why is this bad? / Example /
//! Use instead), its `lint-rules/<id>.md` page, and `lint_ok` / `lint_errors` tests.

use sqlparser::ast::{SchemaName, Statement as Ast};

use super::context::{Parsed, ScriptCx, Stmt};
use super::lock::{LockHold, LockInfo, LockMode};
use super::rule::{Hit, Rule};
use super::settings::Runner;
use sluice_core::sql::classify::{ident, obj_name};
use sluice_core::sql::ops::{ColumnSpec, ConstraintKind, ObjName, ObjectKind};
use sluice_core::sql::{Dialect, Operation};

pub mod adding_exclusion_constraint;
pub mod adding_field_with_default;
pub mod adding_not_nullable_field;
pub mod adding_primary_key_constraint;
pub mod adding_required_field;
pub mod adding_trigger_on_existing_table;
pub mod ban_alter_domain_with_add_constraint;
pub mod ban_alter_identity;
pub mod ban_char_field;
pub mod ban_concurrent_index_creation_in_transaction;
pub mod ban_create_domain_with_constraint;
pub mod ban_drop_column;
pub mod ban_drop_constraint;
pub mod ban_drop_database;
pub mod ban_drop_default;
pub mod ban_drop_domain;
pub mod ban_drop_extension;
pub mod ban_drop_function;
pub mod ban_drop_generated_expression;
pub mod ban_drop_not_null;
pub mod ban_drop_schema;
pub mod ban_drop_sequence;
pub mod ban_drop_table;
pub mod ban_drop_type;
pub mod ban_drop_view;
pub mod ban_duplicate_column_assignments;
pub mod ban_set_schema;
pub mod ban_table_rewrite;
pub mod ban_truncate;
pub mod ban_uncommitted_transaction;
pub mod changing_column_type;
pub mod constraint_missing_not_valid;
pub mod contract_before_expand;
pub mod destructive_change_with_code;
pub mod disallowed_unique_constraint;
pub mod dropped_object_still_referenced;
pub mod foreign_key_missing_index;
pub mod identifier_too_long;
pub mod missing_down_migration;
pub mod mysql_ban_algorithm_copy;
pub mod mysql_ban_lock_shared;
pub mod mysql_fulltext_or_spatial_index;
pub mod mysql_inline_references_ignored;
pub mod mysql_instant_column_position;
pub mod mysql_pin_algorithm;
pub mod mysql_require_lock_wait_timeout;
pub mod mysql_requires_table_copy;
pub mod prefer_bigint_over_int;
pub mod prefer_bigint_over_smallint;
pub mod prefer_identity;
pub mod prefer_jsonb;
pub mod prefer_robust_stmts;
pub mod prefer_text_field;
pub mod prefer_timestamptz;
pub mod renaming_column;
pub mod renaming_object;
pub mod renaming_table;
pub mod require_concurrent_index_creation;
pub mod require_concurrent_index_deletion;
pub mod require_concurrent_partition_detach;
pub mod require_concurrent_reindex;
pub mod require_enum_value_ordering;
pub mod require_lock_timeout;
pub mod require_statement_timeout;
pub mod require_table_schema;
pub mod statements_after_access_exclusive;
pub mod syntax_error;
pub mod transaction_nesting;
pub mod unbatched_backfill;
pub mod unknown_directive;
pub mod unparsed_statement;
pub mod unused_ignore;
pub mod validate_in_same_transaction;

/// Column types for the schema-style rules.
mod column_types;
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
    &ban_alter_domain_with_add_constraint::BanAlterDomainWithAddConstraint,
    &ban_alter_identity::BanAlterIdentity,
    &ban_char_field::BanCharField,
    &ban_concurrent_index_creation_in_transaction::BanConcurrentIndexCreationInTransaction,
    &ban_create_domain_with_constraint::BanCreateDomainWithConstraint,
    &ban_drop_column::BanDropColumn,
    &ban_drop_constraint::BanDropConstraint,
    &ban_drop_database::BanDropDatabase,
    &ban_drop_default::BanDropDefault,
    &ban_drop_domain::BanDropDomain,
    &ban_drop_extension::BanDropExtension,
    &ban_drop_function::BanDropFunction,
    &ban_drop_generated_expression::BanDropGeneratedExpression,
    &ban_drop_not_null::BanDropNotNull,
    &ban_drop_schema::BanDropSchema,
    &ban_drop_sequence::BanDropSequence,
    &ban_drop_table::BanDropTable,
    &ban_drop_type::BanDropType,
    &ban_drop_view::BanDropView,
    &ban_duplicate_column_assignments::BanDuplicateColumnAssignments,
    &ban_set_schema::BanSetSchema,
    &ban_table_rewrite::BanTableRewrite,
    &ban_truncate::BanTruncate,
    &ban_uncommitted_transaction::BanUncommittedTransaction,
    &changing_column_type::ChangingColumnType,
    &constraint_missing_not_valid::ConstraintMissingNotValid,
    &contract_before_expand::ContractBeforeExpand,
    &destructive_change_with_code::DestructiveChangeWithCode,
    &disallowed_unique_constraint::DisallowedUniqueConstraint,
    &dropped_object_still_referenced::DroppedObjectStillReferenced,
    &foreign_key_missing_index::ForeignKeyMissingIndex,
    &identifier_too_long::IdentifierTooLong,
    &missing_down_migration::MissingDownMigration,
    &mysql_ban_algorithm_copy::MysqlBanAlgorithmCopy,
    &mysql_ban_lock_shared::MysqlBanLockShared,
    &mysql_fulltext_or_spatial_index::MysqlFulltextOrSpatialIndex,
    &mysql_inline_references_ignored::MysqlInlineReferencesIgnored,
    &mysql_instant_column_position::MysqlInstantColumnPosition,
    &mysql_pin_algorithm::MysqlPinAlgorithm,
    &mysql_require_lock_wait_timeout::MysqlRequireLockWaitTimeout,
    &mysql_requires_table_copy::MysqlRequiresTableCopy,
    &prefer_bigint_over_int::PreferBigintOverInt,
    &prefer_bigint_over_smallint::PreferBigintOverSmallint,
    &prefer_identity::PreferIdentity,
    &prefer_jsonb::PreferJsonb,
    &prefer_robust_stmts::PreferRobustStmts,
    &prefer_text_field::PreferTextField,
    &prefer_timestamptz::PreferTimestamptz,
    &renaming_column::RenamingColumn,
    &renaming_object::RenamingObject,
    &renaming_table::RenamingTable,
    &require_concurrent_index_creation::RequireConcurrentIndexCreation,
    &require_concurrent_index_deletion::RequireConcurrentIndexDeletion,
    &require_concurrent_partition_detach::RequireConcurrentPartitionDetach,
    &require_concurrent_reindex::RequireConcurrentReindex,
    &require_enum_value_ordering::RequireEnumValueOrdering,
    &require_lock_timeout::RequireLockTimeout,
    &require_statement_timeout::RequireStatementTimeout,
    &require_table_schema::RequireTableSchema,
    &statements_after_access_exclusive::StatementsAfterAccessExclusive,
    &syntax_error::SyntaxError,
    &transaction_nesting::TransactionNesting,
    &unbatched_backfill::UnbatchedBackfill,
    &unknown_directive::UnknownDirective,
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
        Runner::GolangMigrateMultiStatement => "golang-migrate (x-multi-statement)",
        Runner::Flyway => "flyway",
        Runner::Dbmate => "dbmate",
        Runner::Goose => "goose",
        Runner::Diesel => "diesel",
        Runner::Pop => "pop",
    }
}

/// How an object kind is named in messages.
fn kind_noun(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Table => "table",
        ObjectKind::View => "view",
        ObjectKind::MaterializedView => "materialized view",
        ObjectKind::Index => "index",
        ObjectKind::Sequence => "sequence",
        ObjectKind::Schema => "schema",
        ObjectKind::Database => "database",
        ObjectKind::Function => "function",
        ObjectKind::Procedure => "procedure",
        ObjectKind::Type => "type",
        ObjectKind::Domain => "domain",
        ObjectKind::Extension => "extension",
        ObjectKind::Trigger => "trigger",
        ObjectKind::Constraint => "constraint",
        ObjectKind::EnumValue => "enum value",
        ObjectKind::Other => "object",
    }
}

/// Objects other than tables created in this script: kind, name and the creating
/// statement. `CREATE OR REPLACE` does not count: the object may have existed before.
fn created_objects(cx: &ScriptCx<'_>) -> Vec<(ObjectKind, ObjName, usize)> {
    let mut out = Vec::new();
    for st in &cx.statements {
        if let Parsed::Ok(asts) = &st.parsed {
            for ast in asts {
                let found = match ast {
                    Ast::CreateView(v) if !v.or_replace && !v.or_alter => {
                        let kind = if v.materialized {
                            ObjectKind::MaterializedView
                        } else {
                            ObjectKind::View
                        };
                        Some((kind, obj_name(&v.name)))
                    }
                    Ast::CreateSequence { name, .. } => {
                        Some((ObjectKind::Sequence, obj_name(name)))
                    }
                    Ast::CreateSchema {
                        schema_name: SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _),
                        ..
                    } => Some((ObjectKind::Schema, obj_name(n))),
                    Ast::CreateType { name, .. } => Some((ObjectKind::Type, obj_name(name))),
                    Ast::CreateDomain(d) => Some((ObjectKind::Domain, obj_name(&d.name))),
                    Ast::CreateFunction(f) if !f.or_replace => {
                        Some((ObjectKind::Function, obj_name(&f.name)))
                    }
                    Ast::CreateExtension(e) => {
                        Some((ObjectKind::Extension, ObjName::new(None, &ident(&e.name))))
                    }
                    _ => None,
                };
                out.extend(found.map(|(k, n)| (k, n, st.index)));
            }
        }
        for op in &st.ops {
            match op {
                Operation::CreateIndex {
                    name: Some(name), ..
                } => out.push((ObjectKind::Index, ObjName::new(None, name), st.index)),
                Operation::CreateTable { constraints, .. } => out.extend(
                    constraints
                        .iter()
                        .filter_map(|c| c.name.as_deref())
                        .map(|n| (ObjectKind::Constraint, ObjName::new(None, n), st.index)),
                ),
                Operation::AddConstraint { constraint, .. } => out.extend(
                    constraint
                        .name
                        .as_deref()
                        .map(|n| (ObjectKind::Constraint, ObjName::new(None, n), st.index)),
                ),
                _ => {}
            }
        }
    }
    out
}

/// Was this object created earlier in the script than statement `before`?
fn is_new_object(cx: &ScriptCx<'_>, kind: ObjectKind, name: &ObjName, before: usize) -> bool {
    if kind == ObjectKind::Table {
        return cx.is_new_table(name, before);
    }
    let same_kind = |k: ObjectKind| {
        k == kind
            || matches!(
                (k, kind),
                (ObjectKind::View, ObjectKind::MaterializedView)
                    | (ObjectKind::MaterializedView, ObjectKind::View)
            )
    };
    created_objects(cx)
        .iter()
        .any(|(k, n, at)| same_kind(*k) && *at < before && n.matches(name))
}

/// The drops of existing objects of `kinds`, one finding per object:
/// "dropping <kind> `name` <consequence>".
fn drop_existing(
    cx: &ScriptCx<'_>,
    kinds: &[ObjectKind],
    consequence: &str,
    lock: Option<LockInfo>,
    out: &mut Vec<Hit>,
) {
    drop_existing_except(cx, kinds, consequence, lock, out, |_, _| false);
}

/// [`drop_existing`], passing the drops `except` accepts.
fn drop_existing_except(
    cx: &ScriptCx<'_>,
    kinds: &[ObjectKind],
    consequence: &str,
    lock: Option<LockInfo>,
    out: &mut Vec<Hit>,
    except: impl Fn(&Stmt, &ObjName) -> bool,
) {
    let created = created_objects(cx);
    for (st, op) in cx.ops() {
        let Operation::DropObject { kind, names, .. } = op else {
            continue;
        };
        if !kinds.contains(kind) {
            continue;
        }
        for name in names {
            let new = created
                .iter()
                .any(|(k, n, at)| k == kind && *at < st.index && n.matches(name));
            if new || except(st, name) {
                continue;
            }
            let mut hit = Hit::new(
                st.index,
                format!("dropping {} `{name}` {consequence}", kind_noun(*kind)),
            )
            .span(cx.find_in(st, "drop"));
            if let Some(lock) = lock {
                hit = hit.lock(lock);
            }
            out.push(hit);
        }
    }
}

/// A column declared by CREATE TABLE or ADD COLUMN, with its table and whether a table
/// constraint of the same statement makes it a primary or foreign key.
struct DeclaredColumn<'a> {
    stmt: &'a Stmt,
    table: &'a ObjName,
    column: &'a ColumnSpec,
    in_key_constraint: bool,
}

fn declared_columns<'a>(cx: &'a ScriptCx<'_>) -> Vec<DeclaredColumn<'a>> {
    let mut out = Vec::new();
    for (st, op) in cx.ops() {
        match op {
            Operation::CreateTable {
                table,
                columns,
                constraints,
                ..
            } => {
                for column in columns {
                    let in_key_constraint = constraints.iter().any(|c| {
                        matches!(
                            c.kind,
                            ConstraintKind::PrimaryKey | ConstraintKind::ForeignKey
                        ) && c.columns.contains(&column.name)
                    });
                    out.push(DeclaredColumn {
                        stmt: st,
                        table,
                        column,
                        in_key_constraint,
                    });
                }
            }
            Operation::AddColumn { table, column, .. } => out.push(DeclaredColumn {
                stmt: st,
                table,
                column,
                in_key_constraint: false,
            }),
            _ => {}
        }
    }
    out
}

impl DeclaredColumn<'_> {
    /// The byte range of the column's name in its statement (the whole statement if not
    /// found).
    fn span(&self, cx: &ScriptCx<'_>) -> std::ops::Range<usize> {
        column_name_span(cx, self.stmt, &self.column.name)
    }
}

/// The byte range of the first whole-word `word` (ASCII case-insensitive) in the statement;
/// the whole statement if there is none.
fn word_span(cx: &ScriptCx<'_>, st: &Stmt, word: &str) -> std::ops::Range<usize> {
    let text = cx.text(st).to_ascii_lowercase();
    match find_word(&text, &word.to_ascii_lowercase(), 0) {
        Some(s) => st.range.start + s..st.range.start + s + word.len(),
        None => st.range.clone(),
    }
}

/// The byte range of column `name` as a whole word in a CREATE TABLE (after its first
/// parenthesis) or ALTER TABLE .. ADD / ALTER (after `ADD` or `ALTER COLUMN`); the whole
/// statement if not found.
fn column_name_span(cx: &ScriptCx<'_>, st: &Stmt, name: &str) -> std::ops::Range<usize> {
    let text = cx.text(st).to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let start = if text.starts_with("create") {
        text.find('(')
    } else {
        text.find(" add ").or_else(|| text.find(" alter column "))
    }
    .unwrap_or(0);
    match find_word(&text, &name, start) {
        Some(s) => st.range.start + s..st.range.start + s + name.len(),
        None => st.range.clone(),
    }
}

/// The offset of the first occurrence of `word` in `text` at or after `from` that is a whole
/// identifier (not part of a longer one).
fn find_word(text: &str, word: &str, from: usize) -> Option<usize> {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let bytes = text.as_bytes();
    let mut at = from;
    while !word.is_empty() && at <= text.len() {
        let s = at + text.get(at..)?.find(word)?;
        let e = s + word.len();
        if (s == 0 || !is_ident(bytes[s - 1])) && (e >= bytes.len() || !is_ident(bytes[e])) {
            return Some(s);
        }
        at = s + 1;
        while at < text.len() && !text.is_char_boundary(at) {
            at += 1;
        }
    }
    None
}
