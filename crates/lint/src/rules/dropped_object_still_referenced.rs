//! ## What it does
//! Flags dropping or renaming an existing table or column whose name still occurs, on word
//! boundaries, in the application code under `lint.code_paths` (minus `lint.code_ignore`
//! and the migration directories). Each occurrence is reported as a related location.
//!
//! ## Why is this bad?
//! Code that still names the column or table fails once the migration has run: queries
//! error with `column "nickname" does not exist`.
//!
//! ## Example
//! With `src/users.rs` still selecting `nickname`:
//! ```sql
//! ALTER TABLE users DROP COLUMN nickname;
//! ```
//!
//! ## Use instead
//! Remove the references first, ship that code, then drop in a contract migration.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Related, Rule, RuleMeta};
use sluice_core::source::Direction;
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ObjName;

pub struct DroppedObjectStillReferenced;

static META: RuleMeta = RuleMeta {
    id: "dropped-object-still-referenced",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::DeployBoundary,
    phase: PhaseScope::Any,
    dialects: Dialects::All,
    summary: "a dropped or renamed table or column is still referenced in application code",
    help: "remove the references from the code and ship that first",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/dropped-object-still-referenced.md"),
};

/// Most references listed per finding.
const MAX_RELATED: usize = 50;

impl Rule for DroppedObjectStillReferenced {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        let code = &cx.settings.deploy.code;
        if code.is_empty() || cx.direction() != Direction::Up {
            return;
        }
        for (st, op) in cx.ops() {
            // (what, identifier to look for, needle for the span)
            let mut targets: Vec<(String, String)> = Vec::new();
            let existing = |t: &ObjName| !cx.is_new_table(t, st.index);
            match op {
                Operation::DropColumn { table, column, .. } if existing(table) => {
                    targets.push((
                        format!("column `{column}` of `{table}` is dropped"),
                        column.clone(),
                    ));
                }
                Operation::RenameColumn { table, from, to } if existing(table) => targets.push((
                    format!("column `{from}` of `{table}` is renamed to `{to}`"),
                    from.clone(),
                )),
                Operation::DropTable { tables, .. } => {
                    for t in tables.iter().filter(|t| existing(t)) {
                        targets.push((format!("table `{t}` is dropped"), t.name.clone()));
                    }
                }
                Operation::RenameTable { from, to } if existing(from) => targets.push((
                    format!("table `{from}` is renamed to `{}`", to.name),
                    from.name.clone(),
                )),
                _ => {}
            }
            // back by the end of the change (dropped and re-created): the code may mean the new one
            if matches!(op, Operation::DropColumn { table, column, .. }
                if cx.final_catalog().column(table, column).is_some())
            {
                continue;
            }
            for (what, ident) in targets {
                let refs = code.find_word(&ident);
                if refs.is_empty() {
                    continue;
                }
                let first = &refs[0];
                let places = match refs.len() {
                    1 => format!("`{}:{}`", first.path.display(), first.line),
                    n => format!(
                        "`{}:{}` and {} more places",
                        first.path.display(),
                        first.line,
                        n - 1
                    ),
                };
                let mut hit = Hit::new(
                    st.index,
                    format!("{what} but still referenced in application code: {places}"),
                )
                .span(cx.find_in(st, &ident));
                hit.related = refs
                    .iter()
                    .take(MAX_RELATED)
                    .map(|r| Related {
                        path: r.path.to_path_buf(),
                        line: r.line,
                        column: r.column,
                        message: format!("`{ident}` referenced here: {}", r.text.trim()),
                    })
                    .collect();
                out.push(hit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::settings::{CodeFile, CodeIndex};
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "dropped-object-still-referenced";

    fn with_code(sql: &str) -> Case {
        let mut case = Case::new(sql).contract();
        case.settings().deploy.code = Arc::new(CodeIndex {
            files: vec![CodeFile {
                path: "src/users.rs".into(),
                text:
                    "fn load() {\n    query(\"SELECT id, nickname FROM users\");\n}\n// nicknames\n"
                        .into(),
            }],
        });
        case
    }

    #[test]
    fn flags_references_with_related_locations() {
        let found = lint_errors(RULE, with_code("ALTER TABLE users DROP COLUMN nickname;"));
        assert_eq!(
            found,
            [
                "1:31 column `nickname` of `users` is dropped but still referenced in application code: `src/users.rs:2`"
            ]
        );
        let d = with_code("ALTER TABLE users RENAME TO accounts;").diagnostics();
        let d = d.iter().find(|d| d.rule == RULE).expect("reported");
        assert_eq!(d.related.len(), 1);
        assert_eq!((d.related[0].line, d.related[0].column), (2, 37));
    }

    #[test]
    fn passes_without_references() {
        lint_ok(RULE, with_code("ALTER TABLE users DROP COLUMN nick;"));
        lint_ok(
            RULE,
            with_code("ALTER TABLE users DROP COLUMN legacy_flags;"),
        );
        lint_ok(
            RULE,
            Case::new("ALTER TABLE users DROP COLUMN nickname;").contract(),
        );
        lint_ok(
            RULE,
            with_code(
                "CREATE TABLE t (nickname text, b int);\nALTER TABLE t DROP COLUMN nickname;",
            ),
        );
    }

    #[test]
    fn mysql_drop_and_change_rename() {
        let found = lint_errors(
            RULE,
            with_code("ALTER TABLE users DROP COLUMN nickname;").mysql(),
        );
        assert!(!found.is_empty());
        lint_errors(
            RULE,
            with_code("ALTER TABLE users CHANGE nickname nick VARCHAR(50);").mariadb("10.11"),
        );
        lint_ok(
            RULE,
            with_code("ALTER TABLE users DROP COLUMN email;").mysql(),
        );
    }
}
