//! ## What it does
//! Flags `ADD CONSTRAINT .. UNIQUE` without `USING INDEX` (and `ADD COLUMN .. UNIQUE`) on an
//! existing table (PostgreSQL).
//!
//! ## Why is this bad?
//! The constraint builds its unique index while holding ACCESS EXCLUSIVE on the table: reads
//! and writes are blocked for the whole build.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
//! ```
//!
//! ## Use instead
//! `CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT .. UNIQUE USING INDEX` (brief).

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ConstraintKind;

use super::common::index_building_constraints;

pub struct DisallowedUniqueConstraint;

static META: RuleMeta = RuleMeta {
    id: "disallowed-unique-constraint",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "ADD CONSTRAINT UNIQUE without USING INDEX builds an index under ACCESS EXCLUSIVE",
    help: "`CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT .. UNIQUE USING INDEX`",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/disallowed-unique-constraint.md"),
};

const LOCK: LockInfo = LockInfo::new(LockMode::AccessExclusive, LockHold::IndexBuild);

impl Rule for DisallowedUniqueConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, table, name, span) in
            index_building_constraints(cx, ConstraintKind::Unique, "unique")
        {
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "adding UNIQUE constraint{name} to `{table}` builds its index while blocking reads and writes of `{table}`"
                    ),
                )
                .span(span)
                .lock(LOCK),
            );
        }
        for (st, op) in cx.ops() {
            match op {
                Operation::AddColumn { table, column, .. }
                    if column.unique
                        && !column.primary_key
                        && !cx.is_new_table(table, st.index) =>
                {
                    out.push(
                        Hit::new(
                            st.index,
                            format!(
                                "adding column `{}` with UNIQUE builds an index while blocking reads and writes of `{table}`",
                                column.name
                            ),
                        )
                        .span(cx.find_in(st, "unique"))
                        .lock(LOCK)
                        .help("add the column without UNIQUE, then `CREATE UNIQUE INDEX CONCURRENTLY` and `ADD CONSTRAINT .. UNIQUE USING INDEX`"),
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "disallowed-unique-constraint";

    #[test]
    fn flags_unique_constraint_and_unique_column() {
        let found = lint_errors(
            RULE,
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nALTER TABLE users ADD COLUMN handle text UNIQUE;",
        );
        assert_eq!(
            found,
            [
                "1:23 adding UNIQUE constraint `users_email_key` to `users` builds its index while blocking reads and writes of `users`",
                "2:42 adding column `handle` with UNIQUE builds an index while blocking reads and writes of `users`",
            ]
        );
    }

    #[test]
    fn passes_using_index_and_new_tables() {
        lint_ok(
            RULE,
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);",
        );
        lint_ok(
            RULE,
            "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
        );
    }
}
