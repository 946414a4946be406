//! ## What it does
//! Reports input that cannot be SQL at all: an unterminated quote, dollar quote or block
//! comment, or unbalanced parentheses.
//!
//! ## Why is this bad?
//! The database rejects the file, usually after earlier statements already ran outside a
//! transaction; an unterminated quote also hides every statement after it from review.
//!
//! ## Example
//! ```sql
//! UPDATE users SET name = 'O'Brien';
//! ```
//!
//! ## Use instead
//! Close the quote (double a single quote inside a string: `'O''Brien'`).

use crate::context::{Parsed, ScriptCx};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

pub struct SyntaxError;

static META: RuleMeta = RuleMeta {
    id: "syntax-error",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "input that cannot be SQL: unterminated quote, dollar quote or comment, unbalanced parentheses",
    help: "fix the quoting or parentheses; everything after an unterminated quote is swallowed by it",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/syntax-error.md"),
};

impl Rule for SyntaxError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in &cx.statements {
            if let Parsed::SyntaxError(err) = &st.parsed {
                // point at the offending token itself
                let end = (err.offset + 1..=err.offset + 4)
                    .find(|e| cx.file().text.is_char_boundary(*e))
                    .unwrap_or(err.offset)
                    .min(cx.file().text.len());
                out.push(Hit::new(st.index, err.kind.message()).span(err.offset..end));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "syntax-error";

    #[test]
    fn unterminated_quote_and_dollar_quote() {
        let found = lint_errors(RULE, "SELECT 1;\nUPDATE users SET name = 'O'Brien';\n");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("2:33 unterminated string"),
            "{found:?}"
        );
        let found = lint_errors(RULE, "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1;");
        assert!(
            found[0].starts_with("1:36 unterminated dollar-quoted"),
            "{found:?}"
        );
    }

    #[test]
    fn unbalanced_parens_leave_later_statements_linted() {
        let found = lint_errors(
            RULE,
            "CREATE TABLE t (a int;\nALTER TABLE users DROP COLUMN x;",
        );
        assert_eq!(
            found,
            ["1:16 unbalanced parentheses: `(` is never closed in this statement"]
        );
        let all = crate::test_utils::Case::new(
            "CREATE TABLE t (a int;\nALTER TABLE users DROP COLUMN x;",
        )
        .findings("ban-drop-column");
        assert_eq!(all.len(), 1);
    }

    #[test]
    fn valid_sql_passes() {
        lint_ok(RULE, "SELECT 'a;b', $$x$$, \"q\"\"\";");
    }

    #[test]
    fn mysql_unterminated_backtick_and_quote() {
        lint_errors(
            RULE,
            crate::test_utils::Case::new("SELECT `a FROM t;").mysql(),
        );
        lint_errors(
            RULE,
            crate::test_utils::Case::new("SELECT 'a FROM t;").mysql(),
        );
        lint_ok(
            RULE,
            crate::test_utils::Case::new("SELECT `a` FROM t WHERE b = 'x';").mysql(),
        );
    }
}
