//! ## What it does
//! Flags a `-- sluice:` comment that does nothing: a directive Sluice does not know (a typo
//! such as `-- sluice:no-transction`), `-- sluice:strategy` with a name no runner strategy
//! has, a `-- sluice:strategy` or `-- sluice:backfill` with no statement below it or written
//! at the end of a statement's line, and a `-- sluice:backfill` above a statement that adds
//! no column.
//!
//! ## Why is this bad?
//! The author believes the migration runs differently than it will: a misspelt
//! `no-transaction` leaves the file in a transaction (and its `CREATE INDEX CONCURRENTLY`
//! fails in production), a misspelt strategy fails at apply time, and a misplaced backfill
//! value is never used.
//!
//! ## Example
//! ```sql
//! -- sluice:no-transction
//! -- sluice:strategy pt_osc
//! ALTER TABLE accounts MODIFY note varchar(200) NOT NULL;
//! ```
//!
//! ## Use instead
//! ```sql
//! -- sluice:no-transaction
//! -- sluice:strategy pt-osc
//! ALTER TABLE accounts MODIFY note varchar(200) NOT NULL;
//! ```

use sluice_core::source::directives::{self, Directive};
use sluice_core::source::split::Comment;
use sluice_core::sql::Operation;
use sluice_core::strategy::Strategy;

use crate::context::{ScriptCx, Stmt};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

pub struct UnknownDirective;

static META: RuleMeta = RuleMeta {
    id: "unknown-directive",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Hygiene,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "a `-- sluice:` comment that does nothing: unknown, misspelt or misplaced",
    help: "spell the directive as README's directive list does, and put a statement's directive on the line above it",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/unknown-directive.md"),
};

/// The directives `-- sluice:` takes.
const KNOWN: [&str; 7] = [
    "no-transaction",
    "ignore",
    "ignore-file",
    "strategy",
    "irreversible",
    "phase",
    "backfill",
];

/// ` did you mean `x`?` for the known name closest to a misspelt one, if one is close.
fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    crate::registry::closest(name, known)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

impl Rule for UnknownDirective {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for st in &cx.statements {
            for c in &st.leading_comments {
                if let Some(msg) = leading(cx, c, Some(st)) {
                    out.push(Hit::new(st.index, msg).span(c.range.clone()));
                }
            }
            for c in &st.trailing_comments {
                if let Some(msg) = trailing(cx, c) {
                    out.push(Hit::new(st.index, msg).span(c.range.clone()));
                }
            }
        }
        for c in &cx.orphan_comments {
            if let Some(msg) = leading(cx, c, None) {
                let last = cx.statements.last().map_or(0, |s| s.index);
                out.push(Hit::new(last, msg).span(c.range.clone()));
            }
        }
    }
}

/// A comment above `st` (`None`: no statement follows it).
fn leading(cx: &ScriptCx<'_>, c: &Comment, st: Option<&Stmt>) -> Option<String> {
    match directives::parse(&cx.file().text, c)? {
        Directive::Unknown(d) => Some(unknown(&d)),
        Directive::Strategy(name) => match (Strategy::parse(&name), st) {
            (None, _) => Some(format!(
                "`-- sluice:strategy {name}`: no strategy has that name{} (known: {}); the runner would refuse the migration",
                did_you_mean(&name, Strategy::ALL.map(Strategy::name)),
                Strategy::ALL.map(Strategy::name).join(", ")
            )),
            (Some(_), None) => Some(format!(
                "`-- sluice:strategy {name}` has no statement below it: it does nothing"
            )),
            (Some(_), Some(_)) => None,
        },
        Directive::Backfill(value) => match st {
            None => Some(format!(
                "`-- sluice:backfill {value}` has no statement below it: it does nothing"
            )),
            Some(st) if !adds_column(st) => Some(format!(
                "`-- sluice:backfill {value}` gives the existing rows the value of a column the statement below adds, and this one adds none: `migrate plan` does not use it"
            )),
            Some(_) => None,
        },
        _ => None,
    }
}

/// A comment at the end of a statement's line: only an ignore applies there.
fn trailing(cx: &ScriptCx<'_>, c: &Comment) -> Option<String> {
    match directives::parse(&cx.file().text, c)? {
        Directive::Unknown(d) => Some(unknown(&d)),
        Directive::Strategy(_) | Directive::Backfill(_) => Some(format!(
            "`{}` at the end of a statement's line does nothing: a strategy or backfill value applies to the statement below it; move it to the line above the statement",
            cx.file().text[c.range.clone()].trim()
        )),
        _ => None,
    }
}

fn unknown(d: &str) -> String {
    if let Some(arg) = d.strip_prefix("sluice:phase") {
        format!(
            "`-- sluice:phase{arg}`: a phase is `expand` or `contract`; this comment does nothing"
        )
    } else if d == "sluice:backfill" {
        "`-- sluice:backfill` needs the value for the existing rows (an SQL expression); this comment does nothing".to_owned()
    } else {
        let word = d.strip_prefix("sluice:").unwrap_or(d);
        let word = word.split_whitespace().next().unwrap_or(word);
        format!(
            "`-- {d}` is not a Sluice directive{} (known: {}); it does nothing",
            did_you_mean(word, KNOWN),
            KNOWN.join(", ")
        )
    }
}

fn adds_column(st: &Stmt) -> bool {
    st.ops
        .iter()
        .any(|op| matches!(op, Operation::AddColumn { .. }))
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "unknown-directive";

    #[test]
    fn typos_and_unknown_names() {
        let found = lint_errors(
            RULE,
            "-- sluice:no-transction\nCREATE INDEX CONCURRENTLY i ON users (email);",
        );
        assert_eq!(
            found,
            [
                "1:1 `-- sluice:no-transction` is not a Sluice directive (did you mean `no-transaction`?) (known: no-transaction, ignore, ignore-file, strategy, irreversible, phase, backfill); it does nothing"
            ]
        );
        let found = lint_errors(RULE, "-- sluice:phase deploy\nSELECT 1;");
        assert_eq!(
            found,
            [
                "1:1 `-- sluice:phase deploy`: a phase is `expand` or `contract`; this comment does nothing"
            ]
        );
        let found = lint_errors(
            RULE,
            "-- sluice:strategy pt_osc\nALTER TABLE users ADD COLUMN bio text;",
        );
        assert!(
            found[0].starts_with("1:1 `-- sluice:strategy pt_osc`: no strategy has that name (did you mean `pt-osc`?) (known: plain, concurrent-index,"),
            "{found:?}"
        );
        // nothing close: no guess
        let found = lint_errors(RULE, "-- sluice:frobnicate\nSELECT 1;");
        assert!(!found[0].contains("did you mean"), "{found:?}");
        let found = lint_errors(RULE, "-- sluice:backfill\nSELECT 1;");
        assert!(found[0].contains("needs the value"), "{found:?}");
    }

    #[test]
    fn misplaced_strategies_and_backfill_values() {
        let found = lint_errors(
            RULE,
            "ALTER TABLE users ADD COLUMN bio text; -- sluice:strategy plain",
        );
        assert!(
            found[0].contains("at the end of a statement's line does nothing"),
            "{found:?}"
        );
        let found = lint_errors(RULE, "SELECT 1;\n-- sluice:strategy plain\n");
        assert!(
            found[0].starts_with("2:1 `-- sluice:strategy plain` has no statement below it"),
            "{found:?}"
        );
        let found = lint_errors(
            RULE,
            "-- sluice:backfill 'basic'\nCREATE INDEX CONCURRENTLY i ON users (email);",
        );
        assert!(found[0].contains("this one adds none"), "{found:?}");
    }

    #[test]
    fn directives_in_their_place_pass() {
        lint_ok(
            RULE,
            "-- sluice:no-transaction\n-- sluice:phase contract\n-- sluice:irreversible data goes\n\
             -- sluice:strategy shadow-table\nALTER TABLE users ALTER COLUMN age TYPE bigint;\n\
             -- sluice:backfill 'basic'\nALTER TABLE users ADD COLUMN plan text NOT NULL;\n\
             SELECT 1; -- sluice:ignore ban-drop-column\n\
             -- squawk-ignore ban-drop-column\nSELECT 2;",
        );
        lint_ok(RULE, "-- sluice is great\n-- sluicegate\nSELECT 1;");
    }
}
