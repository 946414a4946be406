//! ## What it does
//! Flags `ALTER TYPE .. ADD VALUE` without `BEFORE` or `AFTER` (PostgreSQL). Opt-in.
//!
//! ## Why is this bad?
//! Without a position the new value sorts after all the others, and `ORDER BY`, `<`, `>`,
//! `min()` and `max()` on the enum follow that order. For an enum whose order means something
//! (sizes, severities, stages) the new value lands in the wrong place, and it cannot be moved
//! later without recreating the type.
//!
//! ## Example
//! ```sql
//! ALTER TYPE severity ADD VALUE 'notice';
//! ```
//!
//! ## Use instead
//! `ALTER TYPE severity ADD VALUE 'notice' BEFORE 'warning';`

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::word_span;

pub struct RequireEnumValueOrdering;

static META: RuleMeta = RuleMeta {
    id: "require-enum-value-ordering",
    aliases: &[],
    default: DefaultLevel::OptIn,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "ALTER TYPE .. ADD VALUE without BEFORE / AFTER: the new value sorts last",
    help: "say where the value goes: `ADD VALUE 'x' BEFORE 'y'` or `AFTER 'y'`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/require-enum-value-ordering.md"),
};

impl Rule for RequireEnumValueOrdering {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            if let Operation::AddEnumValue {
                type_name,
                positioned: false,
            } = op
            {
                out.push(
                    Hit::new(
                        st.index,
                        format!(
                            "the value added to enum `{type_name}` sorts after all its values: ORDER BY, comparisons, min() and max() follow that order, and it cannot be moved later"
                        ),
                    )
                    .span(word_span(cx, st, "add")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "require-enum-value-ordering";

    #[test]
    fn flags_values_added_without_a_position_when_enabled() {
        assert_eq!(
            lint_errors(
                RULE,
                Case::new("ALTER TYPE my_enum ADD VALUE 'new_value';\nALTER TYPE my_enum ADD VALUE IF NOT EXISTS 'other';").enable(RULE)
            ),
            [
                "1:20 the value added to enum `my_enum` sorts after all its values: ORDER BY, comparisons, min() and max() follow that order, and it cannot be moved later",
                "2:20 the value added to enum `my_enum` sorts after all its values: ORDER BY, comparisons, min() and max() follow that order, and it cannot be moved later",
            ]
        );
    }

    #[test]
    fn passes_positioned_values_and_is_off_by_default() {
        lint_ok(
            RULE,
            Case::new("ALTER TYPE my_enum ADD VALUE 'new_value' BEFORE 'existing_value';\nALTER TYPE my_enum ADD VALUE 'v' AFTER 'existing_value';").enable(RULE),
        );
        lint_ok(RULE, "ALTER TYPE my_enum ADD VALUE 'new_value';");
    }
}
