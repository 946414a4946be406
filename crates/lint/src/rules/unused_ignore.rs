//! ## What it does
//! Flags an ignore comment (`-- sluice:ignore`, `-- sluice:ignore-file`, `-- squawk-ignore`)
//! that names an unknown rule or suppresses nothing.
//!
//! ## Why is this bad?
//! A stale ignore hides the next real finding of that rule on the statement; a misspelt one
//! suppresses nothing while the author believes it does.
//!
//! ## Example
//! ```sql
//! -- sluice:ignore ban-drop-colum
//! ALTER TABLE users DROP COLUMN nickname;
//! ```
//!
//! ## Use instead
//! Spell the rule id right (`migrate rules` lists them), or remove the comment.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

pub struct UnusedIgnore;

static META: RuleMeta = RuleMeta {
    id: "unused-ignore",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "an ignore comment that names an unknown rule or suppresses nothing",
    help: "fix the rule id (`migrate rules` lists them) or remove the comment",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/unused-ignore.md"),
};

impl Rule for UnusedIgnore {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// The engine reports this rule itself, after every other rule has run.
    fn check(&self, _cx: &ScriptCx<'_>, _out: &mut Vec<Hit>) {}
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "unused-ignore";

    #[test]
    fn unknown_rule_name() {
        let found = lint_errors(RULE, "-- sluice:ignore ban-drop-colum\nSELECT 1;");
        assert_eq!(
            found,
            ["1:18 `ban-drop-colum` is not a known rule; this ignore does nothing"]
        );
    }

    #[test]
    fn ignore_that_suppresses_nothing() {
        let found = lint_errors(RULE, "-- sluice:ignore ban-drop-column\nSELECT 1;");
        assert_eq!(
            found,
            ["1:18 `ban-drop-column` is ignored here, but it reports nothing here"]
        );
        let found = lint_errors(RULE, "SELECT 1;\n-- sluice:ignore ban-drop-column\n");
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn used_ignore_passes() {
        lint_ok(
            RULE,
            "-- sluice:ignore ban-drop-column\nALTER TABLE users DROP COLUMN x;",
        );
        lint_ok(
            RULE,
            "-- sluice:ignore-file ban-drop-column\nALTER TABLE users DROP COLUMN x;",
        );
    }

    #[test]
    fn mysql_ignores() {
        use crate::test_utils::Case;
        lint_errors(
            RULE,
            Case::new("-- sluice:ignore mysql-pin-algorithm\nSELECT 1;").mysql(),
        );
        lint_ok(
            RULE,
            Case::new("-- sluice:ignore mysql-pin-algorithm\nALTER TABLE users ADD INDEX i (a);")
                .mysql(),
        );
    }
}
