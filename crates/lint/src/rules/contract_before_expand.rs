//! ## What it does
//! Flags a contract step that comes too early:
//! - in a contract migration, dropping or renaming a table or column that an expand
//!   migration later in the same change set still uses (it runs before the contract, at the
//!   start of the deploy, and finds the object gone in version order);
//! - in the expand script of a migration that has a contract script, or one marked
//!   `-- sluice:phase expand`, a contract-only step (dropping a column or table, `SET NOT
//!   NULL`, ...).
//!
//! ## Why is this bad?
//! Expand runs before the new code rolls out, contract only after. An expand step that
//! still needs an object a contract removes means the removal is premature, and a contract
//! step inside an expand migration runs while the old code still uses what it removes.
//!
//! ## Example
//! ```sql
//! -- sluice:phase expand
//! ALTER TABLE users DROP COLUMN nickname;
//! ```
//!
//! ## Use instead
//! Put contract steps in the contract phase, after every expand that still uses the object.

use crate::context::{ScriptCx, contains_word};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Related, Rule, RuleMeta};
use sluice_core::source::{Direction, Phase};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ObjName;

use super::destructive_change_with_code::contract_step;

pub struct ContractBeforeExpand;

static META: RuleMeta = RuleMeta {
    id: "contract-before-expand",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::DeployBoundary,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "a contract step before an expand that still needs the object, or inside an expand migration",
    help: "move the step to a contract migration that runs after every expand still using the object",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/contract-before-expand.md"),
};

impl Rule for ContractBeforeExpand {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        if cx.direction() != Direction::Up {
            return;
        }
        match cx.phase() {
            Phase::Expand if marked_expand(cx) => {
                for (st, op) in cx.ops() {
                    if let Some(what) = contract_step(cx, st, op) {
                        out.push(Hit::new(
                            st.index,
                            format!(
                                "{what} is a contract step in an expand migration: it runs before the new code rolls out"
                            ),
                        ));
                    }
                }
            }
            Phase::Contract => Self::check_contract(cx, out),
            Phase::Expand => {}
        }
    }
}

/// An expand script next to a contract script of the same migration, or one that says
/// `-- sluice:phase expand` itself: its author chose the phase. (Plain expand scripts are
/// ban-drop-column's and its siblings' business.)
fn marked_expand(cx: &ScriptCx<'_>) -> bool {
    cx.script.phased
        && (cx
            .migration
            .script(Phase::Contract, Direction::Up)
            .is_some()
            || cx
                .statements
                .first()
                .into_iter()
                .flat_map(|s| &s.leading_comments)
                .any(|c| {
                    let text = &cx.file().text[c.range.clone()];
                    text.contains("sluice:phase expand")
                }))
}

impl ContractBeforeExpand {
    fn check_contract(cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let uses = &cx.change_set().uses;
        if uses.is_empty() {
            return;
        }
        for (st, op) in cx.ops() {
            let mut removed: Vec<(&ObjName, Option<&str>, String)> = Vec::new();
            match op {
                Operation::DropColumn { table, column, .. } => removed.push((
                    table,
                    Some(column),
                    format!("dropping column `{column}` of `{table}`"),
                )),
                Operation::RenameColumn { table, from, .. } => removed.push((
                    table,
                    Some(from),
                    format!("renaming column `{from}` of `{table}`"),
                )),
                Operation::DropTable { tables, .. } => {
                    for t in tables {
                        removed.push((t, None, format!("dropping table `{t}`")));
                    }
                }
                Operation::RenameTable { from, .. } => {
                    removed.push((from, None, format!("renaming table `{from}`")));
                }
                _ => {}
            }
            for (table, column, what) in removed {
                let later: Vec<_> = uses
                    .iter()
                    .filter(|u| {
                        u.phase == Phase::Expand
                            && u.version > cx.migration.version
                            && u.table.matches(table)
                            && column.is_none_or(|c| {
                                u.columns.iter().any(|uc| uc == c) || contains_word(u.text(), c)
                            })
                    })
                    .collect();
                let Some(first) = later.first() else {
                    continue;
                };
                let mut hit = Hit::new(
                    st.index,
                    format!(
                        "{what} in a contract migration, but the later expand migration {} of this change still uses it (`{}:{}`)",
                        first.version,
                        first.path().display(),
                        first.line
                    ),
                );
                hit.related = later
                    .iter()
                    .map(|u| Related {
                        path: u.path().to_path_buf(),
                        line: u.line,
                        column: u.column,
                        message: format!("still used by expand migration {}", u.version),
                    })
                    .collect();
                out.push(hit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "contract-before-expand";

    #[test]
    fn flags_a_contract_whose_object_a_later_expand_uses() {
        let history = "CREATE TABLE users (id int, nickname text, email text);";
        let found = lint_errors(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .contract()
                .history(history)
                .after("CREATE INDEX CONCURRENTLY users_nick ON users (nickname);"),
        );
        assert_eq!(
            found,
            [
                "1:1 dropping column `nickname` of `users` in a contract migration, but the later expand migration 3 of this change still uses it (`after_0.sql:1`)"
            ]
        );
        // used in the text of an UPDATE
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .contract()
                .history(history)
                .after("UPDATE users SET email = nickname WHERE id < 100;"),
        );
    }

    #[test]
    fn flags_contract_steps_in_phased_expand_scripts() {
        lint_ok(RULE, "ALTER TABLE users DROP COLUMN nickname;");
        let found = lint_errors(
            RULE,
            "-- sluice:phase expand\nALTER TABLE users DROP COLUMN nickname;",
        );
        assert_eq!(
            found,
            [
                "2:1 dropping column `nickname` of `users` is a contract step in an expand migration: it runs before the new code rolls out"
            ]
        );
    }

    #[test]
    fn a_view_replaced_in_one_transaction_is_not_a_contract_step() {
        let history = "CREATE TABLE t (id int, a text);\nCREATE VIEW v AS SELECT * FROM t;";
        lint_ok(
            RULE,
            Case::new("-- sluice:phase expand\nALTER TABLE t ADD COLUMN b text;\nDROP VIEW v;\nCREATE VIEW v AS SELECT * FROM t;")
                .history(history),
        );
        assert_eq!(
            lint_errors(
                RULE,
                Case::new(
                    "-- sluice:phase expand\nDROP VIEW v;\nCREATE VIEW v AS SELECT a FROM t;"
                )
                .history(history),
            ),
            [
                "2:1 dropping view `v` is a contract step in an expand migration: it runs before the new code rolls out"
            ]
        );
        // a function created again right after its drop
        lint_ok(
            RULE,
            "-- sluice:phase expand\nDROP FUNCTION f (int);\nCREATE FUNCTION f (x int) RETURNS float LANGUAGE sql AS $$ SELECT x / 2.0 $$;",
        );
        assert_eq!(
            lint_errors(RULE, "-- sluice:phase expand\nDROP FUNCTION f (int);\nCREATE FUNCTION g () RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;").len(),
            1
        );
    }

    #[test]
    fn passes_when_no_later_expand_needs_it() {
        let history = "CREATE TABLE users (id int, nickname text, email text);";
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .contract()
                .history(history)
                .after("CREATE INDEX CONCURRENTLY users_email ON users (email);"),
        );
        // an earlier expand using it is fine
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .contract()
                .history(history)
                .before("UPDATE users SET email = nickname WHERE id < 100;"),
        );
        lint_ok(RULE, "ALTER TABLE users ADD COLUMN x int;");
    }

    #[test]
    fn mysql_contract_used_by_a_later_expand() {
        let history = "CREATE TABLE users (id INT, nickname VARCHAR(50), email VARCHAR(100));";
        lint_errors(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .mysql()
                .contract()
                .history(history)
                .after("ALTER TABLE users ADD INDEX users_nick (nickname);"),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .mysql()
                .contract()
                .history(history)
                .after("ALTER TABLE users ADD INDEX users_email (email);"),
        );
    }
}
