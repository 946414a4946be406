//! ## What it does
//! Reports a statement that tokenizes but that the SQL parser cannot parse, with the
//! parser's message. The statement's tokens are still scanned for dangerous operations
//! (DROP COLUMN, RENAME, SET NOT NULL, CREATE INDEX without CONCURRENTLY, ...), and those
//! are reported by their own rules, marked as found by a token scan.
//!
//! ## Why is this bad?
//! Nothing is wrong with the statement necessarily, but the linter understands less of it:
//! review it by hand.
//!
//! ## Example
//! ```sql
//! CREATE STATISTICS s (dependencies) ON a, b FROM t;
//! ```
//!
//! ## Use instead
//! Keep it, and review it by hand; or add `-- sluice:ignore unparsed-statement -- reviewed`.

use crate::context::{Parsed, ScriptCx};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

pub struct UnparsedStatement;

static META: RuleMeta = RuleMeta {
    id: "unparsed-statement",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "a statement the SQL parser cannot read; checked by a token scan only",
    help: "review this statement by hand; dangerous operations in it are still reported, marked as found by a token scan",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/unparsed-statement.md"),
};

impl Rule for UnparsedStatement {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in &cx.statements {
            if let Parsed::Unparsed(f) = &st.parsed {
                let mut msg = format!("the SQL parser cannot read this statement: {}", f.message);
                if let (Some(l), Some(c)) = (f.line, f.column) {
                    let p = cx.file().line_col(st.range.start);
                    let line = p.line + l - 1;
                    let col = if l == 1 { p.column + c - 1 } else { c };
                    msg.push_str(&format!(" (at {line}:{col})"));
                }
                let first_line_end = cx
                    .text(st)
                    .find('\n')
                    .map_or(st.range.end, |i| st.range.start + i);
                out.push(Hit::new(st.index, msg).span(st.range.start..first_line_end));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "unparsed-statement";

    #[test]
    fn reports_parser_message_with_position() {
        let found = lint_errors(RULE, "SELECT 1;\nALTER TABLE t FROBNICATE x;");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("2:1 the SQL parser cannot read this statement:"),
            "{found:?}"
        );
        assert!(found[0].contains("(at 2:"), "{found:?}");
    }

    #[test]
    fn parsed_statements_pass() {
        lint_ok(RULE, "CREATE TABLE t (a int); SELECT 1;");
    }

    #[test]
    fn mysql_statement_the_parser_cannot_read() {
        let case = || {
            crate::test_utils::Case::new("ALTER TABLE users ENGINE=InnoDB, DROP COLUMN nickname;")
                .mysql()
        };
        lint_errors(RULE, case());
        // the token scan still finds the drop
        lint_errors("ban-drop-column", case());
        lint_ok(
            RULE,
            crate::test_utils::Case::new("ALTER TABLE users DROP COLUMN nickname;").mysql(),
        );
    }
}
