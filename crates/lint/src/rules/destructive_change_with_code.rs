//! ## What it does
//! With `migrate lint --base <ref>`: flags a contract-only operation (dropping a column,
//! table or other object, `SET NOT NULL`, dropping the default of a NOT NULL column) on an
//! existing object in a change that also changes application code (paths outside the
//! migration directories, or matching `lint.code_paths`).
//!
//! ## Why is this bad?
//! A contract step must run only after the code that no longer needs the old shape has
//! rolled out everywhere. Shipped together, the old code still runs while the drop lands
//! (and a rollback brings back code that needs what is gone).
//!
//! ## Example
//! A change editing `src/users.rs` and adding:
//! ```sql
//! ALTER TABLE users DROP COLUMN nickname;
//! ```
//!
//! ## Use instead
//! Ship the code change first; drop in a contract migration of a later change.

use crate::context::{ScriptCx, Stmt};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Related, Rule, RuleMeta};
use sluice_core::source::Direction;
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ObjectKind;

pub struct DestructiveChangeWithCode;

static META: RuleMeta = RuleMeta {
    id: "destructive-change-with-code",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::DeployBoundary,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "a contract-only operation in a change that also changes application code",
    help: "ship the code change first; make the contract change in a later change",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/destructive-change-with-code.md"),
};

/// What a contract-only operation does to an existing object, for messages; `None` for
/// anything else. Shared by the deploy-boundary rules.
pub(crate) fn contract_step(cx: &ScriptCx<'_>, st: &Stmt, op: &Operation) -> Option<String> {
    let existing = |t| !cx.is_new_table(t, st.index);
    match op {
        Operation::DropColumn { table, column, .. } if existing(table) => {
            Some(format!("dropping column `{column}` of `{table}`"))
        }
        Operation::DropTable { tables, .. } => {
            let names: Vec<String> = tables
                .iter()
                .filter(|t| existing(t))
                .map(|t| format!("`{t}`"))
                .collect();
            (!names.is_empty()).then(|| format!("dropping table {}", names.join(", ")))
        }
        // a view (with every old column) or a function created again in the same
        // transaction: a replacement
        Operation::DropObject { kind, names, .. }
            if names
                .iter()
                .all(|n| crate::replace::in_one_transaction(cx, st, *kind, n)) =>
        {
            None
        }
        Operation::DropObject { kind, names, .. }
            if !matches!(
                kind,
                ObjectKind::Index | ObjectKind::Trigger | ObjectKind::Constraint
            ) =>
        {
            let kind = format!("{kind:?}").to_ascii_lowercase();
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            Some(format!("dropping {kind} {}", names.join(", ")))
        }
        Operation::SetNotNull { table, column }
            if existing(table)
                && !cx
                    .catalog(st.index)
                    .column(table, column)
                    .is_some_and(|c| c.not_null) =>
        {
            Some(format!("setting column `{column}` of `{table}` NOT NULL"))
        }
        Operation::DropDefault { table, column }
            if existing(table)
                && cx
                    .catalog(st.index)
                    .column(table, column)
                    .is_some_and(|c| c.not_null) =>
        {
            Some(format!(
                "dropping the default of NOT NULL column `{column}` of `{table}`"
            ))
        }
        _ => None,
    }
}

impl Rule for DestructiveChangeWithCode {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let Some(code) = &cx.settings.deploy.changed_code else {
            return;
        };
        if code.is_empty() || cx.direction() != Direction::Up {
            return;
        }
        let shown: Vec<String> = code
            .iter()
            .take(3)
            .map(|p| format!("`{}`", p.display()))
            .collect();
        let more = match code.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        for (st, op) in cx.ops() {
            let Some(what) = contract_step(cx, st, op) else {
                continue;
            };
            let mut hit = Hit::new(
                st.index,
                format!(
                    "{what} ships in the same change as application code ({}{more}): the old code still runs until that rollout completes",
                    shown.join(", ")
                ),
            );
            hit.related = code
                .iter()
                .take(20)
                .map(|p| Related {
                    path: p.clone(),
                    line: 1,
                    column: 1,
                    message: "application code changed in the same change".into(),
                })
                .collect();
            out.push(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "destructive-change-with-code";
    const DROP: &str = "ALTER TABLE users DROP COLUMN nickname;";

    fn with_code(case: Case) -> Case {
        let mut case = case;
        case.settings().deploy.changed_code = Some(vec!["src/users.rs".into()]);
        case
    }

    #[test]
    fn flags_contract_steps_next_to_code_changes() {
        let found = lint_errors(RULE, with_code(Case::new(DROP).contract()));
        assert_eq!(
            found,
            [
                "1:1 dropping column `nickname` of `users` ships in the same change as application code (`src/users.rs`): the old code still runs until that rollout completes"
            ]
        );
        lint_errors(
            RULE,
            with_code(Case::new("DROP TABLE sessions;\nDROP VIEW v;").contract()),
        );
    }

    #[test]
    fn passes_without_code_changes_or_on_new_tables() {
        lint_ok(RULE, Case::new(DROP).contract());
        let mut no_code = Case::new(DROP).contract();
        no_code.settings().deploy.changed_code = Some(Vec::new());
        lint_ok(RULE, no_code);
        lint_ok(
            RULE,
            with_code(Case::new(
                "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;",
            )),
        );
        lint_ok(
            RULE,
            with_code(Case::new("ALTER TABLE users ADD COLUMN x text;")),
        );
    }

    #[test]
    fn mysql_contract_step_next_to_code() {
        lint_errors(
            RULE,
            with_code(
                Case::new("ALTER TABLE users DROP COLUMN nickname;")
                    .mysql()
                    .contract(),
            ),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;")
                .mysql()
                .contract(),
        );
    }
}
