//! ## What it does
//! Flags a foreign key (`ADD CONSTRAINT .. FOREIGN KEY`, a table constraint of `CREATE
//! TABLE`, an inline `REFERENCES`) whose referencing columns have no index with those
//! leading columns in the schema catalog by the end of the change set (PostgreSQL). An
//! index created later in the change set counts.
//!
//! ## Why is this bad?
//! PostgreSQL indexes the referenced side (it must be unique) but not the referencing one.
//! Every `DELETE` or key `UPDATE` on the referenced table then scans the referencing table
//! to check for rows that still point at it, and `ON DELETE CASCADE` does the same, holding
//! row locks for the whole scan.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
//!     FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
//! ```
//!
//! ## Use instead
//! `CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);` in the same
//! change.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{ConstraintKind, ObjName};

pub struct ForeignKeyMissingIndex;

/// (table, referencing columns, referenced table, constraint name)
type Fk<'a> = (
    &'a ObjName,
    Vec<String>,
    Option<&'a ObjName>,
    Option<&'a str>,
);

static META: RuleMeta = RuleMeta {
    id: "foreign-key-missing-index",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "a foreign key whose referencing columns have no index",
    help: "index the referencing columns: `CREATE INDEX CONCURRENTLY .. ON <table> (<columns>)`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/foreign-key-missing-index.md"),
};

impl Rule for ForeignKeyMissingIndex {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            // (table, referencing columns, referenced table, constraint name)
            let mut fks: Vec<Fk<'_>> = Vec::new();
            match op {
                Operation::AddConstraint { table, constraint }
                    if constraint.kind == ConstraintKind::ForeignKey =>
                {
                    fks.push((
                        table,
                        constraint.columns.clone(),
                        constraint.references.as_ref(),
                        constraint.name.as_deref(),
                    ));
                }
                Operation::CreateTable {
                    table,
                    columns,
                    constraints,
                    ..
                } => {
                    for c in constraints
                        .iter()
                        .filter(|c| c.kind == ConstraintKind::ForeignKey)
                    {
                        fks.push((
                            table,
                            c.columns.clone(),
                            c.references.as_ref(),
                            c.name.as_deref(),
                        ));
                    }
                    for c in columns.iter().filter(|c| c.references.is_some()) {
                        fks.push((table, vec![c.name.clone()], c.references.as_ref(), None));
                    }
                }
                Operation::AddColumn { table, column, .. } if column.references.is_some() => {
                    fks.push((
                        table,
                        vec![column.name.clone()],
                        column.references.as_ref(),
                        None,
                    ));
                }
                _ => {}
            }
            for (table, columns, target, name) in fks {
                if columns.is_empty() {
                    continue;
                }
                let catalog = cx.final_catalog();
                // dropped again by the end of the change: nothing to index
                if catalog.table(table).is_none()
                    || !catalog.covering_indexes(table, &columns).is_empty()
                {
                    continue;
                }
                let cols = columns.join(", ");
                let what = match name {
                    Some(n) => format!("foreign key `{n}`"),
                    None => "a foreign key".to_owned(),
                };
                let target = target.map_or_else(String::new, |t| format!(" to `{t}`"));
                let needle = if matches!(op, Operation::AddConstraint { .. }) {
                    "foreign key"
                } else {
                    "references"
                };
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "{what} on `{table}` ({cols}){target} has no index on its referencing columns: deletes and key updates on the referenced table scan `{table}`"
                        ),
                    )
                    .span(cx.find_in(st, needle))
                    .help(format!(
                        "add `CREATE INDEX CONCURRENTLY ON {table} ({cols})` to this change"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "foreign-key-missing-index";
    const FK: &str = "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;";

    #[test]
    fn flags_unindexed_foreign_keys() {
        let found = lint_errors(RULE, FK);
        assert_eq!(
            found,
            [
                "1:54 foreign key `orders_customer_fk` on `orders` (customer_id) to `customers` has no index on its referencing columns: deletes and key updates on the referenced table scan `orders`"
            ]
        );
        let found = lint_errors(
            RULE,
            "CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        // an index on other leading columns does not help
        lint_errors(
            RULE,
            Case::new(FK).history(
                "CREATE TABLE orders (id int, created_at date, customer_id int);\
                 CREATE INDEX o_c ON orders (created_at, customer_id);",
            ),
        );
    }

    #[test]
    fn passes_with_an_index_in_history_here_or_later_in_the_change_set() {
        let table = "CREATE TABLE orders (id int, customer_id int, created_at date);";
        lint_ok(
            RULE,
            Case::new(FK).history(&format!(
                "{table}\nCREATE INDEX o_c ON orders (customer_id, created_at);"
            )),
        );
        lint_ok(
            RULE,
            Case::new(&format!(
                "{FK}\nCREATE INDEX CONCURRENTLY o_c ON orders (customer_id);"
            )),
        );
        lint_ok(
            RULE,
            Case::new(FK)
                .history(table)
                .after("CREATE INDEX CONCURRENTLY o_c ON orders (customer_id);"),
        );
        // the primary key's index covers it
        lint_ok(
            RULE,
            "CREATE TABLE parts (order_id int REFERENCES orders (id), n int, PRIMARY KEY (order_id, n));",
        );
        lint_ok(RULE, Case::new(FK).mysql());
    }
}
