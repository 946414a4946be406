//! ## What it does
//! Flags statements that rewrite a whole existing table under ACCESS EXCLUSIVE:
//! `ALTER TABLE .. SET LOGGED` / `SET UNLOGGED`, `SET TABLESPACE`, `SET ACCESS METHOD`,
//! `CLUSTER` and `VACUUM FULL` (PostgreSQL).
//!
//! ## Why is this bad?
//! Each copies every row and rebuilds every index while holding ACCESS EXCLUSIVE: reads and
//! writes of the table wait for the whole copy, minutes to hours on a large table.
//!
//! ## Example
//! ```sql
//! VACUUM FULL events;
//! ```
//!
//! ## Use instead
//! `pg_repack` (with `--no-kill-backend`) for CLUSTER / VACUUM FULL / tablespace moves, or a
//! shadow table filled in batches and swapped in.

use crate::context::ScriptCx;
use crate::lock::LockInfo;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::RewriteKind;

pub struct BanTableRewrite;

static META: RuleMeta = RuleMeta {
    id: "ban-table-rewrite",
    aliases: &["prefer-repack"],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD, CLUSTER or VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
    help: "use pg_repack (`--no-kill-backend`), or a shadow table filled in batches and swapped in",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-table-rewrite.md"),
};

impl Rule for BanTableRewrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::TableRewrite { table, kind } = op else {
                continue;
            };
            if table.as_ref().is_some_and(|t| cx.is_new_table(t, st.index)) {
                continue;
            }
            let (what, needle) = match kind {
                RewriteKind::SetLogged => ("SET LOGGED", "logged"),
                RewriteKind::SetUnlogged => ("SET UNLOGGED", "unlogged"),
                RewriteKind::SetTablespace => ("SET TABLESPACE", "tablespace"),
                RewriteKind::SetAccessMethod => ("SET ACCESS METHOD", "access"),
                RewriteKind::Cluster => ("CLUSTER", "cluster"),
                RewriteKind::VacuumFull => ("VACUUM FULL", "full"),
                RewriteKind::Rebuild => continue, // MySQL: mysql rules cover it
            };
            let msg = match table {
                Some(t) => format!(
                    "{what} rewrites all of `{t}` and its indexes while blocking reads and writes of `{t}`"
                ),
                None => format!(
                    "{what} without a table rewrites every table it covers, each while blocking its reads and writes"
                ),
            };
            out.push(
                Hit::new(st.index, msg)
                    .span(cx.find_in(st, needle))
                    .lock(LockInfo::ACCESS_EXCLUSIVE_REWRITE),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lock::{LockHold, LockMode};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-table-rewrite";

    #[test]
    fn flags_every_rewrite() {
        let found = lint_errors(
            RULE,
            Case::new(
                "ALTER TABLE events SET LOGGED;\nALTER TABLE events SET UNLOGGED;\nALTER TABLE events SET TABLESPACE fast;\nALTER TABLE events SET ACCESS METHOD heap2;\nCLUSTER events USING events_pkey;\nVACUUM FULL events;\nVACUUM (FULL, VERBOSE) events;\nVACUUM FULL;",
            )
            .no_transaction(),
        );
        assert_eq!(
            found,
            [
                "1:24 SET LOGGED rewrites all of `events` and its indexes while blocking reads and writes of `events`",
                "2:24 SET UNLOGGED rewrites all of `events` and its indexes while blocking reads and writes of `events`",
                "3:24 SET TABLESPACE rewrites all of `events` and its indexes while blocking reads and writes of `events`",
                "4:24 SET ACCESS METHOD rewrites all of `events` and its indexes while blocking reads and writes of `events`",
                "5:1 CLUSTER rewrites all of `events` and its indexes while blocking reads and writes of `events`",
                "6:8 VACUUM FULL rewrites all of `events` and its indexes while blocking reads and writes of `events`",
                "7:9 VACUUM FULL rewrites all of `events` and its indexes while blocking reads and writes of `events`",
                "8:8 VACUUM FULL without a table rewrites every table it covers, each while blocking its reads and writes",
            ]
        );
        let d = Case::new("CLUSTER events;").diagnostics();
        let lock = d.iter().find(|d| d.rule == RULE).and_then(|d| d.lock);
        assert_eq!(
            lock.map(|l| (l.mode, l.hold, l.rewrite)),
            Some((LockMode::AccessExclusive, LockHold::Rewrite, true))
        );
    }

    #[test]
    fn squawk_alias_is_honoured() {
        lint_ok(
            RULE,
            "-- squawk-ignore prefer-repack\nCLUSTER events USING events_pkey;",
        );
    }

    #[test]
    fn passes_plain_vacuum_new_tables_and_mysql() {
        lint_ok(RULE, Case::new("VACUUM events;").no_transaction());
        lint_ok(RULE, "CREATE TABLE t (a int);\nALTER TABLE t SET LOGGED;");
        lint_ok(
            RULE,
            Case::new("ALTER TABLE events ENGINE = InnoDB;").mysql(),
        );
    }

    #[test]
    fn differences_from_squawk() {
        // `cluster_below_pg19_ok`, `vacuum_full_below_pg19_ok`: the rewrite locks the table on
        // every version, and pg_repack rebuilds it online on every supported one
        for v in [12, 15, 18] {
            lint_errors(RULE, Case::new("CLUSTER foo;").server_version(v));
            lint_errors(
                RULE,
                Case::new("VACUUM FULL foo;")
                    .server_version(v)
                    .no_transaction(),
            );
        }
        // squawk's `vacuum_full_false_option_list_ok`: not FULL at all
        lint_ok(
            RULE,
            Case::new("VACUUM (FULL FALSE) foo;")
                .server_version(19)
                .no_transaction(),
        );
    }
}
