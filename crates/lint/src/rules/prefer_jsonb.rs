//! ## What it does
//! Flags `json` columns in CREATE TABLE, ADD COLUMN or
//! ALTER COLUMN .. TYPE (arrays and quoted or `pg_catalog.` type names too) (PostgreSQL).
//!
//! ## Why is this bad?
//! `json` stores the input text verbatim and re-parses it on every access; it has no equality
//! operator (so no `DISTINCT`, `GROUP BY` or unique index) and no GIN index support. Converting
//! the column later rewrites the table.
//!
//! ## Example
//! ```sql
//! CREATE TABLE events (payload json);
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE events (payload jsonb);
//! ```

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::column_types::typed_columns;

pub struct PreferJsonb;

static META: RuleMeta = RuleMeta {
    id: "prefer-jsonb",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "json columns are re-parsed text; use jsonb",
    help: "use `jsonb`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/prefer-jsonb.md"),
};

impl Rule for PreferJsonb {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for c in typed_columns(cx) {
            if c.sql_type.base == "json" {
                let (column, table, verb) = (c.name, c.table, c.verb());
                out.push(Hit::new(c.stmt.index, format!("column `{column}` of `{table}` {verb} json: it is stored as text and re-parsed on every access, with no equality operator or GIN indexing; use jsonb")).span(c.span(cx)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "prefer-jsonb";

    #[test]
    fn flags_json_columns() {
        assert_eq!(
            lint_errors(
                RULE,
                "CREATE TABLE events (id bigint, payload json);\nALTER TABLE events ADD COLUMN meta JSON NOT NULL DEFAULT '{}';"
            ),
            [
                "1:33 column `payload` of `events` is json: it is stored as text and re-parsed on every access, with no equality operator or GIN indexing; use jsonb",
                "2:31 column `meta` of `events` is json: it is stored as text and re-parsed on every access, with no equality operator or GIN indexing; use jsonb",
            ]
        );
    }

    #[test]
    fn passes_on_jsonb_and_on_mysql() {
        lint_ok(RULE, "CREATE TABLE events (payload jsonb);");
        lint_ok(
            RULE,
            Case::new("CREATE TABLE events (payload json);").mysql(),
        );
    }
}
