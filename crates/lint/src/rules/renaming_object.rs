//! ## What it does
//! Flags renames of schemas, views, types, enum values, sequences, indexes and constraints that
//! existed before this change. Tables and columns have their own rules (renaming-table,
//! renaming-column).
//!
//! ## Why is this bad?
//! The old code still uses the old name (a query on the view, a cast to the type, an enum value it
//! writes, an `ON CONFLICT ON CONSTRAINT`, an index hint); it fails as soon as the rename commits,
//! and a rollback to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! ALTER VIEW active_users RENAME TO current_users;
//! ```
//!
//! ## Use instead
//! Create the new object beside the old one in an expand migration, move the code over, and drop
//! the old one in a **contract** migration.

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ObjectKind;

use super::{exclusive, is_new_object, kind_noun};

pub struct RenamingObject;

static META: RuleMeta = RuleMeta {
    id: "renaming-object",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "renaming a schema, view, type, enum value, sequence, index or constraint breaks code that uses the old name",
    help: "create the new object beside the old one, move the code over, drop the old one in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/renaming-object.md"),
};

impl Rule for RenamingObject {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::RenameObject { kind, from, to } = op else {
                continue;
            };
            let lock = match kind {
                // a constraint rename locks its table
                ObjectKind::View
                | ObjectKind::MaterializedView
                | ObjectKind::Sequence
                | ObjectKind::Constraint => Some(exclusive(cx, LockHold::Brief)),
                ObjectKind::Index => Some(LockInfo::new(
                    LockMode::ShareUpdateExclusive,
                    LockHold::Brief,
                )),
                ObjectKind::Schema | ObjectKind::Type | ObjectKind::EnumValue => None,
                _ => continue,
            };
            if is_new_object(cx, *kind, from, st.index) {
                continue;
            }
            let message = match (kind, &from.schema) {
                (ObjectKind::EnumValue, Some(ty)) => format!(
                    "renaming value '{}' of enum `{ty}` to '{to}' breaks the running code that still writes the old value",
                    from.name
                ),
                _ => format!(
                    "renaming {} `{from}` to `{to}` breaks the running code that still uses the old name",
                    kind_noun(*kind)
                ),
            };
            let mut hit = Hit::new(st.index, message).span(cx.find_in(st, "rename"));
            if let Some(lock) = lock {
                hit = hit.lock(lock);
            }
            out.push(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "renaming-object";

    #[test]
    fn flags_each_kind_of_rename() {
        let sql = "ALTER VIEW active_users RENAME TO current_users;
    ALTER TYPE order_status RENAME VALUE 'paid' TO 'settled';
    ALTER TYPE order_status RENAME TO status;
    ALTER SCHEMA billing RENAME TO invoicing;
    ALTER INDEX users_email_idx RENAME TO users_email_key;
    ALTER TABLE users RENAME CONSTRAINT users_email_check TO email_check;
    ALTER SEQUENCE invoice_numbers RENAME TO invoice_seq;";
        assert_eq!(
            lint_errors(RULE, sql),
            [
                "1:25 renaming view `active_users` to `current_users` breaks the running code that still uses the old name",
                "2:29 renaming value 'paid' of enum `order_status` to 'settled' breaks the running code that still writes the old value",
                "3:29 renaming type `order_status` to `status` breaks the running code that still uses the old name",
                "4:26 renaming schema `billing` to `invoicing` breaks the running code that still uses the old name",
                "5:33 renaming index `users_email_idx` to `users_email_key` breaks the running code that still uses the old name",
                "6:23 renaming constraint `users_email_check` to `email_check` breaks the running code that still uses the old name",
                "7:36 renaming sequence `invoice_numbers` to `invoice_seq` breaks the running code that still uses the old name",
            ]
        );
    }

    #[test]
    fn passes_on_new_objects_tables_and_down() {
        lint_ok(
            RULE,
            "CREATE VIEW v AS SELECT 1;\nALTER VIEW v RENAME TO w;",
        );
        lint_ok(
            RULE,
            "CREATE INDEX CONCURRENTLY i ON t (a);\nALTER INDEX i RENAME TO j;",
        );
        lint_ok(RULE, "ALTER TABLE users RENAME TO accounts;");
        lint_ok(RULE, Case::new("ALTER VIEW w RENAME TO v;").down());
    }
}
