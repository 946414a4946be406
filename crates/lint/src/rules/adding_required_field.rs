//! ## What it does
//! Flags `ALTER TABLE .. ADD COLUMN .. NOT NULL` without a `DEFAULT` on an existing table.
//!
//! ## Why is this bad?
//! On a table with rows the statement fails (the existing rows would hold NULL). On an empty
//! one it succeeds, and then every `INSERT` of the old code, which does not know the column,
//! fails.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
//! ```
//!
//! ## Use instead
//! Add the column nullable (with a default for new rows if there is one), backfill it, and
//! set NOT NULL in a contract migration through a validated CHECK. `migrate plan` writes it.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::{Dialect, Operation};

use super::exclusive;

pub struct AddingRequiredField;

static META: RuleMeta = RuleMeta {
    id: "adding-required-field",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "ADD COLUMN .. NOT NULL without DEFAULT on an existing table",
    help: "add the column nullable, backfill it, then SET NOT NULL in a contract migration via a validated CHECK: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/adding-required-field.md"),
};

impl Rule for AddingRequiredField {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::AddColumn { table, column, .. } = op else {
                continue;
            };
            // serial / identity / generated columns fill themselves: adding-field-with-default
            let self_filling = column.serial || column.generated.is_some();
            if column.not_null
                && column.default.is_none()
                && !self_filling
                && !cx.is_new_table(table, st.index)
            {
                // MySQL fills existing rows with the type's implicit default instead of failing
                let rows = match cx.dialect() {
                    Dialect::Postgres => "fails on existing rows and ",
                    Dialect::Mysql => "",
                };
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "adding column `{}` to `{table}` as NOT NULL without a default {rows}breaks the running code's inserts",
                            column.name
                        ),
                    )
                    .span(cx.find_in(st, "not null"))
                    .lock(exclusive(cx, LockHold::Scan)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "adding-required-field";

    #[test]
    fn flags_not_null_without_default() {
        let found = lint_errors(
            RULE,
            "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;",
        );
        assert_eq!(
            found,
            [
                "1:47 adding column `tenant_id` to `users` as NOT NULL without a default fails on existing rows and breaks the running code's inserts"
            ]
        );
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;").mysql(),
        );
        assert_eq!(
            found,
            [
                "1:47 adding column `tenant_id` to `users` as NOT NULL without a default breaks the running code's inserts"
            ]
        );
    }

    #[test]
    fn passes_with_default_nullable_new_table_or_self_filling() {
        lint_ok(
            RULE,
            "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;",
        );
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN tenant_id bigint;");
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int NOT NULL;",
        );
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN seq bigserial NOT NULL;");
        lint_ok(
            RULE,
            "ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;",
        );
    }

    #[test]
    fn mysql_required_field_on_mariadb_and_new_tables() {
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN tenant_id BIGINT NOT NULL AFTER id;")
                .mariadb("10.11"),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 0;").mysql(),
        );
        lint_ok(
            RULE,
            Case::new("CREATE TABLE t (a INT);\nALTER TABLE t ADD COLUMN b INT NOT NULL;").mysql(),
        );
    }
}
