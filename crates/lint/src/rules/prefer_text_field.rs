//! ## What it does
//! Flags `varchar(n)` / `character varying(n)` columns in CREATE TABLE, ADD COLUMN or
//! ALTER COLUMN .. TYPE (arrays and quoted or `pg_catalog.` type names too).
//!
//! ## Why is this bad?
//! The limit is part of the type: changing it is an `ALTER COLUMN .. TYPE` under an ACCESS
//! EXCLUSIVE lock, and lowering it rewrites the table. A CHECK constraint on `text` can be
//! replaced without blocking (`NOT VALID`, then `VALIDATE`).
//!
//! ## Example
//! ```sql
//! CREATE TABLE users (email varchar(255));
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE users (email text CHECK (length(email) <= 255));
//! ```

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::column_types::typed_columns;

pub struct PreferTextField;

static META: RuleMeta = RuleMeta {
    id: "prefer-text-field",
    aliases: &[],
    default: DefaultLevel::OptIn,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "varchar(n) columns need a migration to change their limit; use text with a CHECK",
    help: "use `text`, with `CHECK (length(col) <= n)` if a limit is needed (changed NOT VALID + VALIDATE)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/prefer-text-field.md"),
};

impl Rule for PreferTextField {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for c in typed_columns(cx) {
            let t = &c.sql_type;
            if t.base == "varchar" && (!t.args.is_empty() || t.opaque_args.is_some()) {
                let (column, table, verb) = (c.name, c.table, c.verb());
                let data_type = c.data_type.to_ascii_lowercase();
                out.push(Hit::new(c.stmt.index, format!("column `{column}` of `{table}` {verb} {data_type}: changing the limit later is a migration under an ACCESS EXCLUSIVE lock; use text with a CHECK on its length")).span(c.span(cx)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "prefer-text-field";

    #[test]
    fn flags_varchar_with_limit_when_enabled() {
        assert_eq!(
            lint_errors(RULE, Case::new("CREATE TABLE users (email varchar(255), name character varying(50), bio varchar);").enable(RULE)),
            [
                "1:21 column `email` of `users` is varchar(255): changing the limit later is a migration under an ACCESS EXCLUSIVE lock; use text with a CHECK on its length",
                "1:41 column `name` of `users` is character varying(50): changing the limit later is a migration under an ACCESS EXCLUSIVE lock; use text with a CHECK on its length",
            ]
        );
    }

    #[test]
    fn off_by_default_and_passes_on_text() {
        lint_ok(RULE, "CREATE TABLE users (email varchar(255));");
        lint_ok(
            RULE,
            Case::new("CREATE TABLE users (email text, code char(2));").enable(RULE),
        );
    }

    #[test]
    fn reads_arrays_the_catalog_schema_and_type_changes() {
        // squawk's cases: arrays, `pg_catalog.varchar`, ALTER COLUMN .. TYPE
        for sql in [
            "CREATE TABLE t (c varchar(100)[]);",
            "CREATE TABLE t (c varchar(255)[5]);",
            "CREATE TABLE t (c varchar(50)[3][4]);",
            "CREATE TABLE t (c pg_catalog.varchar(100));",
            "ALTER TABLE t ALTER COLUMN c TYPE varchar(256);",
        ] {
            assert_eq!(
                lint_errors(RULE, Case::new(sql).enable(RULE)).len(),
                1,
                "{sql}"
            );
        }
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TABLE t ALTER COLUMN c TYPE varchar(256);").enable(RULE)
            ),
            [
                "1:28 column `c` of `t` becomes varchar(256): changing the limit later is a migration under an ACCESS EXCLUSIVE lock; use text with a CHECK on its length"
            ]
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE t ALTER COLUMN c TYPE varchar;").enable(RULE),
        );
    }
}
