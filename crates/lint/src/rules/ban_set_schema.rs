//! ## What it does
//! Flags `ALTER .. SET SCHEMA` of a table, view, sequence, type or other object.
//!
//! ## Why is this bad?
//! The old code still names the object by its old schema (or finds it through `search_path`); its
//! queries fail as soon as the move commits, and a rollback to the old code fails the same way.
//!
//! ## Example
//! ```sql
//! ALTER TABLE invoices SET SCHEMA billing;
//! ```
//!
//! ## Use instead
//! Create the object in the new schema beside the old one (for a table: a view in one schema over
//! the table in the other), move the code over, drop the old one in a **contract** migration.

use crate::context::ScriptCx;
use crate::lock::LockHold;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ObjectKind;

use super::{exclusive, is_new_object, kind_noun};

pub struct BanSetSchema;

static META: RuleMeta = RuleMeta {
    id: "ban-set-schema",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "moving an object to another schema breaks the code that still uses its old qualified name",
    help: "create the object in the new schema beside the old one, move the code over, drop the old one in a contract migration",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-set-schema.md"),
};

impl Rule for BanSetSchema {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::SetSchema { kind, name, schema } = op else {
                continue;
            };
            if is_new_object(cx, *kind, name, st.index) {
                continue;
            }
            let mut hit = Hit::new(
                st.index,
                format!(
                    "moving {} `{name}` to schema `{schema}` breaks the running code that still uses its old name",
                    kind_noun(*kind)
                ),
            )
            .span(cx.find_in(st, "set schema"));
            if matches!(
                kind,
                ObjectKind::Table
                    | ObjectKind::View
                    | ObjectKind::MaterializedView
                    | ObjectKind::Sequence
            ) {
                hit = hit.lock(exclusive(cx, LockHold::Brief));
            }
            out.push(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-set-schema";

    #[test]
    fn flags_set_schema() {
        assert_eq!(
            lint_errors(
                RULE,
                "ALTER TABLE invoices SET SCHEMA billing;\nALTER VIEW v SET SCHEMA billing;"
            ),
            [
                "1:22 moving table `invoices` to schema `billing` breaks the running code that still uses its old name",
                "2:14 moving view `v` to schema `billing` breaks the running code that still uses its old name",
            ]
        );
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TYPE order_status SET SCHEMA billing;").contract()
            ),
            [
                "1:25 moving type `order_status` to schema `billing` breaks the running code that still uses its old name"
            ]
        );
    }

    #[test]
    fn passes_on_new_objects_and_in_down() {
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t SET SCHEMA billing;",
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE billing.invoices SET SCHEMA public;").down(),
        );
    }

    #[test]
    fn flags_functions_and_attaches_table_locks() {
        assert_eq!(
            lint_errors(RULE, "ALTER FUNCTION total(bigint) SET SCHEMA billing;"),
            [
                "1:30 moving function `total` to schema `billing` breaks the running code that still uses its old name"
            ]
        );
        let d = Case::new("ALTER VIEW v SET SCHEMA billing;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        let lock = d.lock.expect("lock attached");
        assert_eq!(lock.mode, crate::lock::LockMode::AccessExclusive);
        let d = Case::new("ALTER FUNCTION f() SET SCHEMA billing;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert!(d.lock.is_none());
    }
}
