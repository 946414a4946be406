//! ## What it does
//! Flags `char(n)` / `character(n)` columns (not `varchar`) in CREATE TABLE, ADD COLUMN or
//! ALTER COLUMN .. TYPE (arrays and quoted or `pg_catalog.` type names too).
//!
//! ## Why is this bad?
//! `char(n)` pads every value with blanks to n characters and ignores trailing blanks when
//! comparing, which surprises code that reads the padded value back; it is no faster than
//! `text`.
//!
//! ## Example
//! ```sql
//! CREATE TABLE countries (code char(2));
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE countries (code text CHECK (length(code) = 2));
//! ```

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::column_types::typed_columns;

pub struct BanCharField;

static META: RuleMeta = RuleMeta {
    id: "ban-char-field",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "char(n) pads values with blanks; use text or varchar",
    help: "use `text` (with a CHECK on its length if needed) or `varchar(n)`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-char-field.md"),
};

impl Rule for BanCharField {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for c in typed_columns(cx) {
            // `"char"` is the one-byte internal type, not meant for application data either
            if matches!(c.sql_type.base.as_str(), "char" | "\"char\"") {
                let (column, table, verb) = (c.name, c.table, c.verb());
                let data_type = c.data_type.to_ascii_lowercase();
                out.push(Hit::new(c.stmt.index, format!("column `{column}` of `{table}` {verb} {data_type}: values are blank-padded to the length and trailing spaces are ignored in comparisons; use text or varchar")).span(c.span(cx)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-char-field";

    #[test]
    fn flags_char_columns() {
        assert_eq!(
            lint_errors(
                RULE,
                "CREATE TABLE countries (code char(2), name character(20));\nALTER TABLE countries ADD COLUMN flag CHAR;"
            ),
            [
                "1:25 column `code` of `countries` is char(2): values are blank-padded to the length and trailing spaces are ignored in comparisons; use text or varchar",
                "1:39 column `name` of `countries` is character(20): values are blank-padded to the length and trailing spaces are ignored in comparisons; use text or varchar",
                "2:34 column `flag` of `countries` is char: values are blank-padded to the length and trailing spaces are ignored in comparisons; use text or varchar",
            ]
        );
    }

    #[test]
    fn passes_on_varchar_and_text() {
        lint_ok(
            RULE,
            "CREATE TABLE countries (a varchar(2), b character varying(3), c text, d char varying(4));",
        );
    }

    #[test]
    fn reads_types_like_postgresql() {
        // squawk's cases: quoted names, arrays, the catalog schema, ALTER COLUMN .. TYPE
        for sql in [
            "CREATE TABLE t (c \"bpchar\"(50));",
            "CREATE TABLE t (c \"char\"(100));",
            "CREATE TABLE t (c char[]);",
            "CREATE TABLE t (c character(100)[]);",
            "CREATE TABLE t (c pg_catalog.char);",
            "ALTER TABLE t ALTER COLUMN c TYPE char(2);",
        ] {
            assert_eq!(lint_errors(RULE, sql).len(), 1, "{sql}");
        }
        // a down script restores the type its up script changed
        lint_ok(
            RULE,
            Case::new("ALTER TABLE t ALTER COLUMN c TYPE char(36);").down(),
        );
    }
}
