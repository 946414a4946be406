//! ## What it does
//! Flags `ALTER DOMAIN .. ADD CONSTRAINT` on a domain that existed before this change
//! (PostgreSQL).
//!
//! ## Why is this bad?
//! PostgreSQL checks the new constraint against every column of the domain, in every table
//! that uses it, holding a SHARE lock on each of those tables for the scan: their writes wait.
//! `NOT VALID` only moves the scan to `VALIDATE CONSTRAINT`, which takes the same locks; and
//! the new constraint applies to the running code's writes at once.
//!
//! ## Example
//! ```sql
//! ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
//! ```
//!
//! ## Use instead
//! A CHECK constraint on the table columns: `ADD CONSTRAINT .. NOT VALID`, then `VALIDATE
//! CONSTRAINT` in a later transaction (SHARE UPDATE EXCLUSIVE: reads and writes go on).

use crate::context::ScriptCx;
use crate::lock::{LockHold, LockInfo, LockMode};
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;
use sluice_core::sql::ops::ObjectKind;

use super::{is_new_object, word_span};

pub struct BanAlterDomainWithAddConstraint;

static META: RuleMeta = RuleMeta {
    id: "ban-alter-domain-with-add-constraint",
    aliases: &[],
    default: DefaultLevel::Error,
    category: Category::Locks,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "ALTER DOMAIN .. ADD CONSTRAINT scans every column of the domain under a SHARE lock on each table",
    help: "put the constraint on the table columns instead: ADD CONSTRAINT .. NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-alter-domain-with-add-constraint.md"),
};

impl Rule for BanAlterDomainWithAddConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::DomainConstraint {
                domain,
                create: false,
                not_valid,
            } = op
            else {
                continue;
            };
            if is_new_object(cx, ObjectKind::Domain, domain, st.index) {
                continue;
            }
            let when = if *not_valid {
                "its VALIDATE CONSTRAINT scans"
            } else {
                "PostgreSQL scans"
            };
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "adding a constraint to domain `{domain}`: {when} every column of the domain in every table that uses it, holding a SHARE lock on each table (writes wait)"
                    ),
                )
                .span(word_span(cx, st, "add"))
                .lock(LockInfo::new(LockMode::Share, LockHold::Scan)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint_errors, lint_ok};

    const RULE: &str = "ban-alter-domain-with-add-constraint";

    #[test]
    fn flags_constraints_added_to_an_existing_domain() {
        assert_eq!(
            lint_errors(
                RULE,
                "ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');\nALTER DOMAIN s.code ADD CHECK (length(VALUE) = 2) NOT VALID;"
            ),
            [
                "1:28 adding a constraint to domain `email_address`: PostgreSQL scans every column of the domain in every table that uses it, holding a SHARE lock on each table (writes wait)",
                "2:21 adding a constraint to domain `s.code`: its VALIDATE CONSTRAINT scans every column of the domain in every table that uses it, holding a SHARE lock on each table (writes wait)",
            ]
        );
        // squawk's case (ban_alter_domain_with_add_constraint.rs `err`)
        lint_errors(
            RULE,
            "ALTER DOMAIN domain_name ADD CONSTRAINT constraint_name CHECK (value > 0);",
        );
    }

    #[test]
    fn passes_other_domain_changes_and_new_domains() {
        lint_ok(
            RULE,
            "ALTER DOMAIN d2 SET NOT NULL;\nALTER DOMAIN d3 DROP CONSTRAINT c;\nALTER DOMAIN d4 RENAME CONSTRAINT c TO c2;\nALTER DOMAIN d5 RENAME TO d6;\nALTER DOMAIN d7 VALIDATE CONSTRAINT c;\nALTER DOMAIN d8 OWNER TO you;\nALTER DOMAIN d9 SET SCHEMA foo;",
        );
        lint_ok(
            RULE,
            "CREATE DOMAIN code AS text;\nALTER DOMAIN code ADD CONSTRAINT two CHECK (length(VALUE) = 2);",
        );
    }
}
