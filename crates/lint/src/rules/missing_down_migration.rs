//! ## What it does
//! Flags an up script whose migration has no down script for the same phase.
//!
//! ## Why is this bad?
//! When a deploy goes wrong, `migrate rollback` has nothing to run: the schema cannot follow
//! the code back to the previous release, and someone writes the reverse SQL by hand during
//! the incident.
//!
//! ## Example
//! An `expand.up.sql` (or `<version>_<name>.up.sql`) with no matching down file:
//! ```sql
//! ALTER TABLE users ADD COLUMN nickname text;
//! ```
//!
//! ## Use instead
//! Write the down script (`ALTER TABLE users DROP COLUMN nickname;`), or, when the change
//! cannot be undone, say so in the up script with `-- sluice:irreversible <reason>`: the
//! reason is recorded and the finding drops to a warning.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::source::{Direction, Layout};

pub struct MissingDownMigration;

static META: RuleMeta = RuleMeta {
    id: "missing-down-migration",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::DeployBoundary,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "an up script without a down script for the same phase",
    help: "write the down script, or mark the up script `-- sluice:irreversible <reason>`",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/missing-down-migration.md"),
};

impl Rule for MissingDownMigration {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let script = cx.script;
        // a lone file outside any layout has no place where a down script would be
        if cx.direction() != Direction::Up
            || cx.migration.layout == Layout::Plain
            || cx.migration.script(cx.phase(), Direction::Down).is_some()
        {
            return;
        }
        let m = cx.migration;
        let msg = if script.phased {
            format!(
                "migration `{}_{}` has no {} down script: its {} phase cannot be rolled back",
                m.version,
                m.name,
                cx.phase().name(),
                cx.phase().name()
            )
        } else {
            format!(
                "migration `{}_{}` has no down script: it cannot be rolled back",
                m.version, m.name
            )
        };
        // point at the first statement (so an ignore comment above it works), else the start
        let span = match cx.statements.first() {
            Some(st) => {
                let text = cx.text(st);
                st.range.start..st.range.start + text.find('\n').unwrap_or(text.len())
            }
            None => script.range.start..script.range.start,
        };
        match &script.irreversible {
            // marked on purpose: still visible, but only as a warning
            Some(reason) => out.push(
                Hit::new(0, format!("{msg} (marked irreversible: {reason})"))
                    .span(span)
                    .warning_only(),
            ),
            None => out.push(Hit::new(0, msg).span(span)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "missing-down-migration";

    #[test]
    fn flags_up_without_down() {
        let found = lint_errors(
            RULE,
            Case::new("-- add a column\nALTER TABLE users ADD COLUMN nickname text;")
                .without_down(),
        );
        assert_eq!(
            found,
            [
                "2:1 migration `1_test` has no expand down script: its expand phase cannot be rolled back"
            ]
        );
        let found = lint_errors(RULE, Case::new("SELECT 1;").contract().without_down());
        assert_eq!(
            found,
            [
                "1:1 migration `1_test` has no contract down script: its contract phase cannot be rolled back"
            ]
        );
    }

    #[test]
    fn passes_with_down_when_irreversible_and_for_downs() {
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN nickname text;");
        let d = Case::new("DROP TABLE old_audit;")
            .irreversible("the data is gone")
            .without_down()
            .diagnostics();
        let d: Vec<_> = d.iter().filter(|d| d.rule == RULE).collect();
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].severity,
            crate::Severity::Warning,
            "irreversible: only a warning"
        );
        assert!(
            d[0].message
                .ends_with("(marked irreversible: the data is gone)")
        );
        lint_ok(RULE, Case::new("SELECT 1;").down().without_down());
        lint_ok(
            RULE,
            Case::new("-- sluice:ignore missing-down-migration -- generated\nSELECT 1;")
                .without_down(),
        );
    }

    #[test]
    fn mysql_up_without_down() {
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN n INT;")
                .mysql()
                .without_down(),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ADD COLUMN n INT;").mysql(),
        );
    }
}
