//! ## What it does
//! Flags `ADD COLUMN` on an existing table with a volatile default (`clock_timestamp()`,
//! `random()`, `gen_random_uuid()`, `nextval()`), a `serial` type, `GENERATED .. AS
//! IDENTITY` or `GENERATED .. STORED` (PostgreSQL). A `VIRTUAL` generated column
//! (PostgreSQL 18, its default without a keyword) stores nothing and passes.
//!
//! ## Why is this bad?
//! Each existing row needs its own value, so PostgreSQL rewrites the whole table and its
//! indexes while holding ACCESS EXCLUSIVE: reads and writes are blocked for the whole
//! rewrite. (A constant or stable default such as `now()` is metadata-only since PG 11.)
//!
//! ## Example
//! ```sql
//! ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
//! ```
//!
//! ## Use instead
//! Add the column nullable, `SET DEFAULT` for new rows, backfill the existing rows in batches,
//! and add NOT NULL in a contract migration. `migrate plan` writes it.

use crate::context::ScriptCx;
use crate::lock::LockInfo;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::{Generated, Volatility};

pub struct AddingFieldWithDefault;

static META: RuleMeta = RuleMeta {
    id: "adding-field-with-default",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "ADD COLUMN with a volatile default, serial, identity or stored generated column rewrites an existing table",
    help: "add the column nullable, SET DEFAULT for new rows, backfill in batches: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/adding-field-with-default.md"),
};

impl Rule for AddingFieldWithDefault {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::AddColumn { table, column, .. } = op else {
                continue;
            };
            if cx.is_new_table(table, st.index) {
                continue;
            }
            let volatility = column.default_volatility.or_else(|| {
                column
                    .default
                    .as_deref()
                    .map(sluice_core::sql::volatility::of_expr)
            });
            let name = &column.name;
            let (what, with, needle) = if column.serial {
                ("serial column", String::new(), column.data_type.as_str())
            } else if column.generated == Some(Generated::Identity) {
                ("identity column", String::new(), "generated")
            } else if column.generated == Some(Generated::Stored) {
                ("stored generated column", String::new(), "generated")
            } else if cx.settings.server_version < 11
                && column
                    .default
                    .as_deref()
                    .is_some_and(|d| !d.trim().eq_ignore_ascii_case("null"))
            {
                let default = column.default.as_deref().unwrap_or("?");
                (
                    "column",
                    format!(" with default `{default}` (before PostgreSQL 11 any default)"),
                    "default",
                )
            } else if volatility == Some(Volatility::Volatile) {
                let default = column.default.as_deref().unwrap_or("?");
                (
                    "column",
                    format!(" with volatile default `{default}`"),
                    "default",
                )
            } else {
                continue;
            };
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "adding {what} `{name}` to `{table}`{with} rewrites the whole table while blocking its reads and writes"
                    ),
                )
                .span(cx.find_in(st, needle))
                .lock(LockInfo::ACCESS_EXCLUSIVE_REWRITE),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "adding-field-with-default";

    #[test]
    fn flags_volatile_default() {
        let found = lint_errors(
            RULE,
            "ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();",
        );
        assert_eq!(
            found,
            [
                "1:46 adding column `public_id` to `orders` with volatile default `gen_random_uuid()` rewrites the whole table while blocking its reads and writes"
            ]
        );
        let d = Case::new("ALTER TABLE orders ADD COLUMN r float DEFAULT random();").diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert!(lock.is_some_and(|l| l.rewrite && l.scan), "{lock:?}");
    }

    #[test]
    fn flags_serial_identity_and_stored() {
        let found = lint_errors(
            RULE,
            "ALTER TABLE orders ADD COLUMN seq bigserial;\n\
             ALTER TABLE orders ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;\n\
             ALTER TABLE orders ADD COLUMN total2 numeric GENERATED ALWAYS AS (total * 2) STORED;",
        );
        assert_eq!(
            found,
            [
                "1:35 adding serial column `seq` to `orders` rewrites the whole table while blocking its reads and writes",
                "2:40 adding identity column `n` to `orders` rewrites the whole table while blocking its reads and writes",
                "3:46 adding stored generated column `total2` to `orders` rewrites the whole table while blocking its reads and writes",
            ]
        );
    }

    #[test]
    fn any_default_rewrites_before_pg11() {
        let sql = "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';";
        lint_ok(RULE, sql);
        let found = lint_errors(RULE, Case::new(sql).server_version(10));
        assert!(found[0].contains("before PostgreSQL 11"), "{found:?}");
        lint_ok(
            RULE,
            Case::new("ALTER TABLE orders ADD COLUMN note text DEFAULT NULL;").server_version(10),
        );
    }

    #[test]
    fn passes_stable_and_constant_defaults_and_new_tables() {
        lint_ok(
            RULE,
            "ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();",
        );
        lint_ok(
            RULE,
            "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';",
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid();",
        );
        lint_ok(RULE, "ALTER TABLE orders ADD COLUMN note text;");
    }

    #[test]
    fn virtual_generated_columns_store_nothing() {
        // PostgreSQL 18: VIRTUAL, also the default without a keyword, is computed on read
        for sql in [
            "ALTER TABLE orders ADD COLUMN total2 numeric GENERATED ALWAYS AS (total * 2) VIRTUAL;",
            "ALTER TABLE orders ADD COLUMN total2 numeric GENERATED ALWAYS AS (total * 2);",
        ] {
            lint_ok(RULE, Case::new(sql).server_version(18));
        }
        lint_errors(
            RULE,
            Case::new(
                "ALTER TABLE orders ADD COLUMN total2 numeric GENERATED ALWAYS AS (total * 2) STORED;",
            )
            .server_version(18),
        );
    }

    #[test]
    fn differences_from_squawk() {
        // `docs_example_error_on_pg_11`: PostgreSQL 11 already adds a constant default
        // without a rewrite (squawk compares the version with `>` 11)
        let sql = "ALTER TABLE \"core_recipe\" ADD COLUMN \"foo\" integer DEFAULT 10;";
        lint_ok(RULE, Case::new(sql).server_version(11));
        lint_errors(RULE, Case::new(sql).server_version(10));
    }

    #[test]
    fn a_stable_builtin_called_with_arguments_is_another_function() {
        // squawk's `default_random_with_args_err`: now() takes no argument, so now(123) is a
        // function Sluice does not know, volatile by default
        lint_errors(
            RULE,
            "ALTER TABLE \"core_recipe\" ADD COLUMN \"foo\" timestamptz DEFAULT now(123);",
        );
    }
}
