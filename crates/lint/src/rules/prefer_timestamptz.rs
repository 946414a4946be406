//! ## What it does
//! Flags `timestamp` / `timestamp without time zone` columns in CREATE TABLE, ADD COLUMN or
//! ALTER COLUMN .. TYPE (arrays and quoted or `pg_catalog.` type names too).
//!
//! ## Why is this bad?
//! The column stores a wall-clock reading with no offset. Clients in different time zones (or a
//! server whose `TimeZone` changes) write different instants for the same moment, and comparisons
//! with `now()` shift by the offset. Converting the column later rewrites the table.
//!
//! ## Example
//! ```sql
//! CREATE TABLE events (created_at timestamp NOT NULL DEFAULT now());
//! ```
//!
//! ## Use instead
//! ```sql
//! CREATE TABLE events (created_at timestamptz NOT NULL DEFAULT now());
//! ```

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};

use super::column_types::typed_columns;

pub struct PreferTimestamptz;

static META: RuleMeta = RuleMeta {
    id: "prefer-timestamptz",
    aliases: &["prefer-timestamp-tz"],
    default: DefaultLevel::Warning,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "timestamp without time zone stores no offset; use timestamptz",
    help: "use `timestamptz` (`timestamp with time zone`)",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/prefer-timestamptz.md"),
};

impl Rule for PreferTimestamptz {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for c in typed_columns(cx) {
            if c.sql_type.base == "timestamp" {
                let (column, table, verb) = (c.name, c.table, c.verb());
                out.push(Hit::new(c.stmt.index, format!("column `{column}` of `{table}` {verb} timestamp without time zone: it stores no offset, so its values depend on each writer's time zone; use timestamptz")).span(c.span(cx)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "prefer-timestamptz";

    #[test]
    fn flags_timestamp_without_time_zone() {
        assert_eq!(
            lint_errors(
                RULE,
                "CREATE TABLE events (created_at timestamp, seen timestamp(3) without time zone);\nALTER TABLE events ADD COLUMN done_at TIMESTAMP;"
            ),
            [
                "1:22 column `created_at` of `events` is timestamp without time zone: it stores no offset, so its values depend on each writer's time zone; use timestamptz",
                "1:44 column `seen` of `events` is timestamp without time zone: it stores no offset, so its values depend on each writer's time zone; use timestamptz",
                "2:31 column `done_at` of `events` is timestamp without time zone: it stores no offset, so its values depend on each writer's time zone; use timestamptz",
            ]
        );
    }

    #[test]
    fn passes_on_timestamptz() {
        lint_ok(
            RULE,
            "CREATE TABLE events (a timestamptz, b timestamp with time zone, c timestamptz(3), d date);",
        );
        lint_ok(
            RULE,
            "-- squawk-ignore prefer-timestamp-tz\nCREATE TABLE events (a timestamp);",
        );
    }

    #[test]
    fn reads_arrays_and_type_changes_but_not_in_down_scripts() {
        // squawk's cases
        assert_eq!(
            lint_errors(
                RULE,
                "alter table app.users\n    alter column created_ts type timestamp;\ncreate table app.events (timestamps timestamp[]);"
            ),
            [
                "2:18 column `created_ts` of `app.users` becomes timestamp without time zone: it stores no offset, so its values depend on each writer's time zone; use timestamptz",
                "3:26 column `timestamps` of `app.events` is timestamp without time zone: it stores no offset, so its values depend on each writer's time zone; use timestamptz",
            ]
        );
        // a down script restores the type its up script changed
        lint_ok(
            RULE,
            Case::new("ALTER TABLE events ALTER COLUMN at TYPE timestamp;").down(),
        );
    }
}
