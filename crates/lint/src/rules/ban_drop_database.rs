//! ## What it does
//! Flags `DROP DATABASE`, in every phase. (MySQL `DROP SCHEMA`, a synonym, is reported by
//! ban-drop-schema.)
//!
//! ## Why is this bad?
//! It destroys every table of the database with all their data; every running version of the
//! application fails at once, and no rollback brings the data back.
//!
//! ## Example
//! ```sql
//! DROP DATABASE legacy_app;
//! ```
//!
//! ## Use instead
//! Nothing in a migration: retire a database by hand, with a backup, once no application connects
//! to it.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

pub struct BanDropDatabase;

static META: RuleMeta = RuleMeta {
    id: "ban-drop-database",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "DROP DATABASE in a migration destroys every table and all their data",
    help: "never drop a database from a migration; do it by hand, with a backup, once nothing connects to it",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-drop-database.md"),
};

impl Rule for BanDropDatabase {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::DropObject {
                kind: sluice_core::sql::ops::ObjectKind::Database,
                names,
                ..
            } = op
            {
                for name in names {
                    out.push(
                        Hit::new(
                            st.index,
                            format!("dropping database `{name}` destroys all of its data and breaks every running application that uses it"),
                        )
                        .span(cx.find_in(st, "drop")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-drop-database";

    #[test]
    fn flags_drop_database_in_every_phase() {
        let expected = [
            "1:1 dropping database `legacy_app` destroys all of its data and breaks every running application that uses it",
        ];
        assert_eq!(lint_errors(RULE, "DROP DATABASE legacy_app;"), expected);
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("DROP DATABASE IF EXISTS legacy_app;").contract()
            ),
            expected
        );
        assert_eq!(
            lint_errors(RULE, Case::new("DROP DATABASE legacy_app;").mysql()),
            expected
        );
    }

    #[test]
    fn passes_on_other_drops_and_in_down() {
        lint_ok(RULE, "DROP SCHEMA legacy_app;");
        lint_ok(RULE, Case::new("DROP DATABASE legacy_app;").down());
    }
}
