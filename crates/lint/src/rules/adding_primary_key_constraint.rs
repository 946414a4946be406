//! ## What it does
//! Flags `ADD PRIMARY KEY` without `USING INDEX`, and `ADD COLUMN .. PRIMARY KEY`, on an
//! existing table (PostgreSQL).
//!
//! ## Why is this bad?
//! The primary key builds its unique index while holding ACCESS EXCLUSIVE on the table (and
//! sets its columns NOT NULL, which scans the table): reads and writes are blocked for the
//! whole build.
//!
//! ## Example
//! ```sql
//! ALTER TABLE events ADD PRIMARY KEY (id);
//! ```
//!
//! ## Use instead
//! `CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT .. PRIMARY KEY USING INDEX` (brief
//! once the columns are NOT NULL).

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ConstraintKind;

use super::common::index_building_constraints;

pub struct AddingPrimaryKeyConstraint;

static META: RuleMeta = RuleMeta {
    id: "adding-primary-key-constraint",
    aliases: &["adding-serial-primary-key-field"],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "ADD PRIMARY KEY without USING INDEX builds an index under ACCESS EXCLUSIVE",
    help: "`CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT .. PRIMARY KEY USING INDEX`",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/adding-primary-key-constraint.md"),
};

const LOCK: LockInfo = LockInfo::new(LockMode::AccessExclusive, LockHold::IndexBuild);

impl Rule for AddingPrimaryKeyConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, table, name, span) in
            index_building_constraints(cx, ConstraintKind::PrimaryKey, "primary")
        {
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "adding PRIMARY KEY{name} to `{table}` builds its index while blocking reads and writes of `{table}`"
                    ),
                )
                .span(span)
                .lock(LOCK),
            );
        }
        for (st, op) in cx.ops() {
            match op {
                Operation::AddColumn { table, column, .. }
                    if column.primary_key && !cx.is_new_table(table, st.index) =>
                {
                    out.push(
                        Hit::new(
                            st.index,
                            format!(
                                "adding column `{}` with PRIMARY KEY builds an index while blocking reads and writes of `{table}`",
                                column.name
                            ),
                        )
                        .span(cx.find_in(st, "primary"))
                        .lock(LOCK)
                        .help("add the column without PRIMARY KEY, backfill it, then `CREATE UNIQUE INDEX CONCURRENTLY` and `ADD CONSTRAINT .. PRIMARY KEY USING INDEX`"),
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "adding-primary-key-constraint";

    #[test]
    fn flags_primary_key_and_primary_key_column() {
        let found = lint_errors(
            RULE,
            "ALTER TABLE events ADD PRIMARY KEY (id);\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id);\nALTER TABLE items ADD COLUMN id bigserial PRIMARY KEY;",
        );
        assert_eq!(
            found,
            [
                "1:24 adding PRIMARY KEY to `events` builds its index while blocking reads and writes of `events`",
                "2:24 adding PRIMARY KEY `events_pkey` to `events` builds its index while blocking reads and writes of `events`",
                "3:43 adding column `id` with PRIMARY KEY builds an index while blocking reads and writes of `items`",
            ]
        );
        let d = Case::new("ALTER TABLE events ADD PRIMARY KEY (id);").diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold)),
            Some((LockMode::AccessExclusive, LockHold::IndexBuild))
        );
    }

    #[test]
    fn squawk_alias_is_honoured() {
        lint_ok(
            RULE,
            "-- squawk-ignore adding-serial-primary-key-field\nALTER TABLE events ADD PRIMARY KEY (id);",
        );
    }

    #[test]
    fn passes_using_index_and_new_tables() {
        lint_ok(
            RULE,
            "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;",
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (id bigint);\nALTER TABLE t ADD PRIMARY KEY (id);",
        );
        lint_ok(RULE, "CREATE TABLE t (id bigserial PRIMARY KEY);");
    }
}
