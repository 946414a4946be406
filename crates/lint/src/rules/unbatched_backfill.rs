//! ## What it does
//! Flags `UPDATE` and `DELETE` of an existing table, in a migration, that are not bounded to
//! a batch: no `WHERE`, or a `WHERE` that restricts no column to a range or a list of
//! constants (`id < 1000`, `id BETWEEN $1 AND $2`, `id IN (1, 2)`, `id = ANY (..)`,
//! `id IN (SELECT .. LIMIT n)`), and no `LIMIT` (MySQL). `WHERE status = 'new'` or
//! `WHERE x IS NULL` alone is not a bound: it can match most of the table; nor is
//! `WHERE id = 42` (the linter cannot tell a key column from `status`).
//!
//! ## Why is this bad?
//! One statement that rewrites most rows of a large table keeps every changed row locked
//! until the migration commits (writes to them wait), runs for minutes inside the
//! migration's transaction (holding any DDL lock taken before it), writes the whole table to
//! the WAL at once (replicas lag) and leaves a dead copy of every row behind.
//!
//! ## Example
//! ```sql
//! UPDATE users SET nickname = name;
//! ```
//!
//! ## Use instead
//! A batched backfill step (`migrate plan` writes one): short transactions over key ranges,
//! `WHERE id >= $1 AND id < $2`, with a pause between batches.

use crate::context::{Parsed, ScriptCx, Stmt};
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::classify::bounded_batch;

pub struct UnbatchedBackfill;

static META: RuleMeta = RuleMeta {
    id: "unbatched-backfill",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "UPDATE / DELETE of an existing table without a key-range bound, inside a migration",
    help: "move it to a batched backfill step (`migrate plan` writes one): short transactions over key ranges (`WHERE id >= $1 AND id < $2`)",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/unbatched-backfill.md"),
};

const LOCK: LockInfo = LockInfo::new(LockMode::RowExclusive, LockHold::UntilCommit);

impl Rule for UnbatchedBackfill {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let (verb, table, has_where) = match op {
                Operation::Update { table, has_where } => ("UPDATE", table, *has_where),
                Operation::Delete {
                    table, has_where, ..
                } => ("DELETE", table, *has_where),
                _ => continue,
            };
            if cx.is_new_table(table, st.index) || bounded(st, has_where) {
                continue;
            }
            let msg = if has_where {
                format!(
                    "`{verb}` of `{table}` whose WHERE bounds no key range or list: it can touch most rows in one statement, each locked until commit"
                )
            } else {
                format!(
                    "`{verb}` of every row of `{table}` in one statement: each row stays locked until commit, so writes to them wait"
                )
            };
            let hit = Hit::new(st.index, msg)
                .span(cx.find_in(st, verb))
                .lock(LOCK);
            // the planner batches an UPDATE into a backfill; a DELETE it passes through
            out.push(if verb == "DELETE" {
                hit.help(format!(
                    "delete in short batches by key, each its own transaction, until none is left (`DELETE FROM {table} WHERE <key> IN (SELECT <key> FROM {table} WHERE .. LIMIT 1000)`); for a table known to be small, keep it and say why: `-- sluice:ignore unbatched-backfill -- <why>`"
                ))
                .no_recipe()
            } else {
                hit
            });
        }
    }
}

/// Is the statement limited to a batch? Token-scanned statements only tell whether they
/// have a WHERE; give them the benefit of the doubt.
fn bounded(st: &Stmt, has_where: bool) -> bool {
    match &st.parsed {
        Parsed::Ok(asts) => asts.iter().find_map(bounded_batch).unwrap_or(has_where),
        _ => has_where,
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "unbatched-backfill";

    #[test]
    fn flags_unbounded_updates_and_deletes() {
        let found = lint_errors(
            RULE,
            "UPDATE users SET nickname = name;\nDELETE FROM sessions WHERE expired;\n  UPDATE users SET a = 1 WHERE status = 'new';",
        );
        assert_eq!(
            found,
            [
                "1:1 `UPDATE` of every row of `users` in one statement: each row stays locked until commit, so writes to them wait",
                "2:1 `DELETE` of `sessions` whose WHERE bounds no key range or list: it can touch most rows in one statement, each locked until commit",
                "3:3 `UPDATE` of `users` whose WHERE bounds no key range or list: it can touch most rows in one statement, each locked until commit",
            ]
        );
        let d = Case::new("DELETE FROM sessions;").diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold)),
            Some((LockMode::RowExclusive, LockHold::UntilCommit))
        );
        let found = lint_errors(RULE, Case::new("DELETE FROM logs;").mysql());
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_delete_is_not_pointed_at_the_planner() {
        // the planner batches an UPDATE into a backfill, not a DELETE: pointing a DELETE at
        // `migrate plan` sent the user to a plan that refused it
        let d =
            Case::new("UPDATE users SET a = 1;\nDELETE FROM sessions WHERE expired;").diagnostics();
        let help: Vec<&str> = d
            .iter()
            .filter(|d| d.rule == RULE)
            .map(|d| d.help.as_ref())
            .collect();
        assert_eq!(help.len(), 2, "{d:?}");
        assert!(help[0].contains("`migrate plan "), "{}", help[0]);
        assert!(!help[1].contains("migrate plan"), "{}", help[1]);
        assert!(
            help[1].starts_with("delete in short batches by key")
                && help[1].contains("`-- sluice:ignore unbatched-backfill -- <why>`"),
            "{}",
            help[1]
        );
    }

    #[test]
    fn equality_is_not_a_bound_but_can_be_ignored() {
        let found = lint_errors(RULE, "DELETE FROM users WHERE id = 42;");
        assert_eq!(
            found,
            [
                "1:1 `DELETE` of `users` whose WHERE bounds no key range or list: it can touch most rows in one statement, each locked until commit"
            ]
        );
        lint_ok(
            RULE,
            "-- sluice:ignore unbatched-backfill -- one row\nDELETE FROM users WHERE id = 42;",
        );
    }

    #[test]
    fn passes_key_ranges_lists_limits_and_new_tables() {
        lint_ok(
            RULE,
            "UPDATE users SET nickname = name WHERE id >= 1 AND id < 10000;\nDELETE FROM sessions WHERE id IN (1, 2, 3);\nUPDATE users SET a = 1 WHERE a IS NULL AND id BETWEEN 1 AND 1000;",
        );
        lint_ok(
            RULE,
            Case::new("DELETE FROM logs WHERE kind = 'debug' LIMIT 1000;").mysql(),
        );
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nUPDATE t SET a = 2;",
        );
    }
}
