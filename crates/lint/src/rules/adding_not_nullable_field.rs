//! ## What it does
//! Flags `ALTER TABLE .. ALTER COLUMN .. SET NOT NULL` on an existing column that the schema
//! catalog cannot prove NOT NULL: no validated `CHECK (col IS NOT NULL)` (PostgreSQL 12+) and
//! not already NOT NULL. Outside a contract migration it also breaks running code; in a
//! contract migration (PostgreSQL) only the CHECK recipe passes, since a plain SET NOT NULL
//! still scans under ACCESS EXCLUSIVE. A `NOT VALID` check proves nothing.
//!
//! ## Why is this bad?
//! The old code may still write NULL into the column and starts failing. PostgreSQL also
//! scans the whole table to prove there is no NULL, holding ACCESS EXCLUSIVE (reads and
//! writes blocked) for the whole scan.
//!
//! ## Example
//! ```sql
//! ALTER TABLE users ALTER COLUMN email SET NOT NULL;
//! ```
//!
//! ## Use instead
//! In a contract migration: `ADD CONSTRAINT .. CHECK (email IS NOT NULL) NOT VALID`,
//! `VALIDATE CONSTRAINT`, `SET NOT NULL` (no scan on PostgreSQL 12+ given the validated
//! check), drop the check. `migrate plan` writes it.

use crate::context::{ScriptCx, Stmt};
use crate::lock::LockHold;
use crate::mysql;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::catalog::NotNullProof;
use sluice_core::source::Phase;
use sluice_core::sql::ops::{ColumnSpec, ConstraintKind, ObjName};
use sluice_core::sql::{Dialect, Operation};

use super::exclusive;

pub struct AddingNotNullableField;

static META: RuleMeta = RuleMeta {
    id: "adding-not-nullable-field",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Compatibility,
    // contract-only in spirit, but in a contract migration it still requires the CHECK proof
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "SET NOT NULL on an existing column without a validated CHECK (col IS NOT NULL) proving it",
    help: "in a contract migration: CHECK (col IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL, drop the check: `migrate plan` writes the steps",
    has_recipe: true,
    doc: include_str!("../../../../lint-rules/adding-not-nullable-field.md"),
};

impl Rule for AddingNotNullableField {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let pg = cx.dialect() == Dialect::Postgres;
        let contract = cx.phase() == Phase::Contract;
        for (st, op) in cx.ops() {
            if let Operation::RedefineColumn { table, column } = op {
                mysql_modify_not_null(cx, st, table, column, contract, out);
                continue;
            }
            if let Operation::AddConstraint { table, constraint } = op
                && constraint.kind == ConstraintKind::NotNull
            {
                not_null_not_valid(cx, st, table, &constraint.columns, contract, out);
                continue;
            }
            let Operation::SetNotNull { table, column } = op else {
                continue;
            };
            if cx.is_new_table(table, st.index) {
                continue;
            }
            let mut proof = cx.catalog(st.index).not_null_proof(table, column);
            if proof == NotNullProof::None && helper_check_validated(cx, st, table, column) {
                proof = NotNullProof::ValidatedCheck;
            }
            let skips_scan = cx.settings.pg_at_least(12);
            let message = match proof {
                NotNullProof::NotNull => continue,
                NotNullProof::ValidatedCheck if skips_scan => continue,
                NotNullProof::ValidatedCheck => format!(
                    "setting column `{column}` of `{table}` NOT NULL scans the table under an exclusive lock: before PostgreSQL 12 even a validated CHECK does not spare the scan"
                ),
                // MySQL has no cheaper form; the contract phase is where it belongs
                _ if contract && !pg => continue,
                NotNullProof::NotValidCheck if contract => format!(
                    "setting column `{column}` of `{table}` NOT NULL scans the table under an exclusive lock: the CHECK proving it is still NOT VALID, validate it first"
                ),
                _ if contract => format!(
                    "setting column `{column}` of `{table}` NOT NULL scans the table under an exclusive lock: add and validate a CHECK ({column} IS NOT NULL) first"
                ),
                NotNullProof::NotValidCheck => format!(
                    "setting column `{column}` of `{table}` NOT NULL breaks the running code that still writes NULL, and scans the table under an exclusive lock (its CHECK is still NOT VALID)"
                ),
                NotNullProof::None => format!(
                    "setting column `{column}` of `{table}` NOT NULL breaks the running code that still writes NULL, and scans the table under an exclusive lock"
                ),
            };
            out.push(
                Hit::new(st.index, message)
                    .span(cx.find_in(st, "set not null"))
                    .lock(exclusive(cx, LockHold::Scan)),
            );
        }
    }
}

/// PostgreSQL 18 `ADD CONSTRAINT .. NOT NULL col NOT VALID`: no scan and a brief lock, but
/// new writes of NULL fail at once, so outside a contract it breaks the running code.
fn not_null_not_valid(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    table: &ObjName,
    columns: &[String],
    contract: bool,
    out: &mut Vec<Hit>,
) {
    if contract || cx.is_new_table(table, st.index) {
        return;
    }
    for column in columns {
        if cx.catalog(st.index).not_null_proof(table, column) == NotNullProof::NotNull {
            continue;
        }
        out.push(
            Hit::new(
                st.index,
                format!(
                    "a NOT NULL constraint on column `{column}` of `{table}` rejects NULL from new writes at once, even NOT VALID: the running code that still writes NULL breaks; add it in a contract migration"
                ),
            )
            .span(cx.find_in(st, "not null"))
            .lock(exclusive(cx, LockHold::Brief)),
        );
    }
}

/// The helper-check pattern around a SET NOT NULL whose CHECK the catalog cannot see (added
/// by a migration that is not in the history): this script validates a constraint named for
/// the column (`<column>_not_null`, `<table>_<column>_not_null`, sluice's
/// `<table>_<column>_sluice_nn`) before it and drops that constraint after it.
fn helper_check_validated(cx: &ScriptCx<'_>, at: &Stmt, table: &ObjName, column: &str) -> bool {
    let named_for_column = |name: &str| {
        ["_not_null", "_notnull", "_sluice_nn", "_nn"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .is_some_and(|stem| stem == column || stem == format!("{}_{column}", table.name))
    };
    let unknown = |name: &str| {
        cx.catalog(at.index)
            .table(table)
            .is_none_or(|t| t.constraint(name).is_none())
    };
    let validated: Vec<&String> = cx
        .ops()
        .filter_map(|(st, op)| match op {
            Operation::ValidateConstraint { table: t, name }
                if st.index <= at.index && t.matches(table) && named_for_column(name) =>
            {
                Some(name)
            }
            _ => None,
        })
        .collect();
    cx.ops().any(|(st, op)| {
        matches!(op, Operation::DropConstraint { table: t, name, .. }
            if st.index >= at.index && t.matches(table) && validated.contains(&name) && unknown(name))
    })
}

/// MySQL `MODIFY` / `CHANGE` .. NOT NULL of a column the catalog knows to be nullable.
fn mysql_modify_not_null(
    cx: &ScriptCx<'_>,
    st: &Stmt,
    table: &ObjName,
    column: &ColumnSpec,
    contract: bool,
    out: &mut Vec<Hit>,
) {
    if !(column.not_null || column.primary_key) || contract || cx.is_new_table(table, st.index) {
        return;
    }
    // an unknown column is not guessed at
    let Some(before) = mysql::column_before(cx, st, table, &column.name) else {
        return;
    };
    if before.not_null {
        return;
    }
    let span = ["not null", "modify", "change"]
        .iter()
        .map(|k| cx.find_in(st, k))
        .find(|r| *r != st.range)
        .unwrap_or(st.range.clone());
    out.push(
        Hit::new(
            st.index,
            format!(
                "making column `{}` of `{table}` NOT NULL breaks the running code that still writes NULL, and rebuilds the table (it fails if a row holds NULL)",
                column.name
            ),
        )
        .span(span)
        .help("backfill the NULLs in batches, ship code that always writes the column, then make it NOT NULL in a contract migration (`ALGORITHM=INPLACE, LOCK=NONE`)")
        .lock(exclusive(cx, LockHold::Rewrite)),
    );
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "adding-not-nullable-field";

    #[test]
    fn flags_set_not_null_in_expand() {
        let found = lint_errors(
            RULE,
            "SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
        assert_eq!(
            found,
            [
                "2:38 setting column `email` of `users` NOT NULL breaks the running code that still writes NULL, and scans the table under an exclusive lock"
            ]
        );
    }

    const NOT_VALID: &str =
        "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;";

    #[test]
    fn passes_after_a_validated_check_or_not_null() {
        let history = "CREATE TABLE users (id int, email text, name text NOT NULL)";
        let set = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
        let validated = format!("{NOT_VALID}\nALTER TABLE users VALIDATE CONSTRAINT email_nn;");
        lint_ok(
            RULE,
            Case::new(set)
                .history(history)
                .before(&validated)
                .contract(),
        );
        lint_ok(RULE, Case::new(set).history(history).before(&validated));
        lint_ok(
            RULE,
            Case::new(&format!("{validated}\n{set}"))
                .history(history)
                .contract(),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users ALTER COLUMN name SET NOT NULL;").history(history),
        );
        // before PostgreSQL 12 the check does not spare the scan
        let found = lint_errors(
            RULE,
            Case::new(set)
                .history(history)
                .before(&validated)
                .contract()
                .server_version(11),
        );
        assert!(found[0].contains("before PostgreSQL 12"), "{found:?}");
    }

    #[test]
    fn a_not_valid_check_is_not_enough() {
        let history = "CREATE TABLE users (id int, email text)";
        let set = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
        let found = lint_errors(
            RULE,
            Case::new(set).history(history).before(NOT_VALID).contract(),
        );
        assert_eq!(
            found,
            [
                "1:38 setting column `email` of `users` NOT NULL scans the table under an exclusive lock: the CHECK proving it is still NOT VALID, validate it first"
            ]
        );
        lint_errors(RULE, Case::new(set).history(history).before(NOT_VALID));
        let found = lint_errors(RULE, Case::new(set).history(history).contract());
        assert!(found[0].contains("add and validate a CHECK"), "{found:?}");
    }

    #[test]
    fn passes_on_new_tables() {
        lint_ok(
            RULE,
            "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
        );
        lint_ok(RULE, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;");
    }

    #[test]
    fn mysql_modify_not_null_of_a_nullable_column() {
        let history = "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100), name VARCHAR(50) NOT NULL)";
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL;")
                .mysql()
                .history(history),
        );
        assert_eq!(
            found,
            [
                "1:45 making column `email` of `users` NOT NULL breaks the running code that still writes NULL, and rebuilds the table (it fails if a row holds NULL)"
            ]
        );
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users CHANGE email mail VARCHAR(100) NOT NULL;")
                .mariadb("10.11")
                .history(history),
        );
        // already NOT NULL, nullable again, unknown column, contract phase
        for sql in [
            "ALTER TABLE users MODIFY name VARCHAR(60) NOT NULL;",
            "ALTER TABLE users MODIFY email VARCHAR(100) NULL;",
            "ALTER TABLE users MODIFY nickname VARCHAR(100) NOT NULL;",
        ] {
            lint_ok(RULE, Case::new(sql).mysql().history(history));
        }
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL;")
                .mysql()
                .history(history)
                .contract(),
        );
    }

    #[test]
    fn a_helper_check_validated_before_and_dropped_after_proves_it() {
        // squawk's `pg12_cross_migration_validate_then_set_not_null_ok` (and pg16): the check
        // was added by a migration the catalog does not see
        let sql = "ALTER TABLE foo VALIDATE CONSTRAINT foo_bar_not_null;\nALTER TABLE foo ALTER COLUMN bar SET NOT NULL;\nALTER TABLE foo DROP CONSTRAINT foo_bar_not_null;";
        lint_ok(RULE, Case::new(sql).server_version(12));
        lint_ok(
            RULE,
            sql.replace("foo_bar_not_null", "bar_sluice_nn").as_str(),
        );
        // before PostgreSQL 12 the check does not spare the scan
        lint_errors(RULE, Case::new(sql).server_version(11));
        // not the helper pattern: not dropped after, or named for another column
        lint_errors(
            RULE,
            "ALTER TABLE foo VALIDATE CONSTRAINT foo_bar_not_null;\nALTER TABLE foo ALTER COLUMN bar SET NOT NULL;",
        );
        lint_errors(
            RULE,
            "ALTER TABLE foo VALIDATE CONSTRAINT baz_not_null;\nALTER TABLE foo ALTER COLUMN bar SET NOT NULL;\nALTER TABLE foo DROP CONSTRAINT baz_not_null;",
        );
        // a constraint the catalog knows is judged by its CHECK, not its name
        lint_errors(
            RULE,
            Case::new(sql).history(
                "CREATE TABLE foo (bar int);\nALTER TABLE foo ADD CONSTRAINT foo_bar_not_null CHECK (bar > 0) NOT VALID;",
            ),
        );
    }

    #[test]
    fn pg18_not_null_not_valid_only_in_a_contract() {
        let history = "CREATE TABLE t (id bigint PRIMARY KEY, c int);";
        let sql = "ALTER TABLE t ADD CONSTRAINT t_c_not_null NOT NULL c NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_c_not_null;";
        let hits = lint_errors(RULE, Case::new(sql).history(history).server_version(18));
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(hits[0].contains("rejects NULL from new writes"), "{hits:?}");
        lint_ok(
            RULE,
            Case::new(sql)
                .history(history)
                .server_version(18)
                .contract(),
        );
        // validated, a later SET NOT NULL is free
        lint_ok(
            RULE,
            Case::new(&format!(
                "{sql}\nALTER TABLE t ALTER COLUMN c SET NOT NULL;"
            ))
            .history(history)
            .server_version(18)
            .contract(),
        );
    }
}
