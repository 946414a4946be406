//! ## What it does
//! Flags `ALTER TABLE .. ALTER COLUMN .. TYPE` (MySQL `MODIFY` / `CHANGE` with a type) on an
//! existing table.
//!
//! ## Why is this bad?
//! Most type changes rewrite the whole table and its indexes while holding ACCESS EXCLUSIVE
//! (reads and writes blocked for the whole rewrite), and the running code may not handle the
//! new type. A few changes are binary-coercible and cheap (`varchar(n)` to a longer
//! `varchar`, `varchar` to `text`); telling them apart needs the column's current type from
//! the schema catalog, so until then every type change is reported.
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ALTER COLUMN id TYPE bigint;
//! ```
//!
//! ## Use instead
//! A shadow column of the new type kept in sync by a trigger, a batched backfill, and a swap
//! in a contract migration. `migrate plan` writes it.

use crate::lint::context::ScriptCx;
use crate::lint::lock::LockHold;
use crate::lint::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use crate::sql::Operation;

use super::exclusive;

pub struct ChangingColumnType;

static META: RuleMeta = RuleMeta {
    id: "changing-column-type",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "a column type change that rewrites an existing table and may break running code",
    help: "add a shadow column of the new type with a sync trigger, backfill in batches, swap in a contract migration: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../lint-rules/changing-column-type.md"),
};

impl Rule for ChangingColumnType {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::AlterColumnType {
                table,
                column,
                new_type,
                ..
            } = op
                && !cx.is_new_table(table, st.index)
            {
                let span = ["type", "modify", "change"]
                    .iter()
                    .map(|k| cx.find_in(st, k))
                    .find(|r| *r != st.range)
                    .unwrap_or(st.range.clone());
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "changing the type of column `{column}` of `{table}` to {new_type} rewrites the table under an exclusive lock and may break the running code"
                        ),
                    )
                    .span(span)
                    .lock(exclusive(cx, LockHold::Rewrite)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "changing-column-type";

    #[test]
    fn flags_alter_column_type() {
        let found = lint_errors(RULE, "ALTER TABLE orders ALTER COLUMN id TYPE bigint;");
        assert_eq!(
            found,
            [
                "1:36 changing the type of column `id` of `orders` to BIGINT rewrites the table under an exclusive lock and may break the running code"
            ]
        );
        let d = Case::new("ALTER TABLE orders ALTER COLUMN id TYPE bigint;").diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert!(lock.is_some_and(|l| l.rewrite), "{lock:?}");
    }

    #[test]
    fn flags_mysql_modify_in_any_phase() {
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE orders MODIFY total DECIMAL(12,2) NOT NULL;")
                .mysql()
                .contract(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("1:20 changing the type of column `total` of `orders`"));
    }

    #[test]
    fn passes_on_new_tables() {
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
        );
        lint_ok(RULE, "ALTER TABLE orders ALTER COLUMN id SET DEFAULT 1;");
    }
}
