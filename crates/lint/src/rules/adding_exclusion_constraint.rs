//! ## What it does
//! Flags `ADD CONSTRAINT .. EXCLUDE` on an existing table (PostgreSQL).
//!
//! ## Why is this bad?
//! An exclusion constraint builds its index and checks every existing row while holding
//! ACCESS EXCLUSIVE on the table: reads and writes are blocked for the whole build. Unlike
//! UNIQUE, there is no `USING INDEX` form and no `NOT VALID`.
//!
//! ## Example
//! ```sql
//! ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);
//! ```
//!
//! ## Use instead
//! Declare exclusion constraints when the table is created; on a large existing table, move
//! the rows to a new table that has the constraint, or add it in a maintenance window.

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::ops::ConstraintKind;

use super::common::index_building_constraints;

pub struct AddingExclusionConstraint;

static META: RuleMeta = RuleMeta {
    id: "adding-exclusion-constraint",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "ADD CONSTRAINT EXCLUDE on an existing table builds its index under ACCESS EXCLUSIVE",
    help: "there is no online form: declare the constraint in CREATE TABLE, copy the rows into a new table that has it, or add it in a maintenance window",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/adding-exclusion-constraint.md"),
};

const LOCK: LockInfo = LockInfo::new(LockMode::AccessExclusive, LockHold::IndexBuild);

impl Rule for AddingExclusionConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        // an EXCLUDE constraint cannot be added USING INDEX, so every one builds its index
        for (st, table, name, span) in
            index_building_constraints(cx, ConstraintKind::Exclude, "exclude")
        {
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "adding exclusion constraint{name} to `{table}` builds its index and checks every row while blocking reads and writes of `{table}`"
                    ),
                )
                .span(span)
                .lock(LOCK),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "adding-exclusion-constraint";

    #[test]
    fn flags_exclude_on_an_existing_table() {
        let sql = "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);\nALTER TABLE bookings ADD EXCLUDE USING gist (during WITH &&);";
        let found = lint_errors(RULE, sql);
        assert_eq!(
            found,
            [
                "1:26 adding exclusion constraint `no_overlap` to `bookings` builds its index and checks every row while blocking reads and writes of `bookings`",
                "2:26 adding exclusion constraint to `bookings` builds its index and checks every row while blocking reads and writes of `bookings`",
            ]
        );
        let d = Case::new(sql).diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold)),
            Some((LockMode::AccessExclusive, LockHold::IndexBuild))
        );
    }

    #[test]
    fn passes_new_tables_and_other_constraints() {
        lint_ok(
            RULE,
            "CREATE TABLE b (room int, during tstzrange);\nALTER TABLE b ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
        );
        lint_ok(
            RULE,
            "ALTER TABLE bookings ADD CONSTRAINT c CHECK (room > 0) NOT VALID;",
        );
    }
}
