//! ## What it does
//! Flags `CREATE DOMAIN` with a `CHECK` or `NOT NULL` constraint (PostgreSQL).
//!
//! ## Why is this bad?
//! Every later change to a domain's constraints is checked against every column of the
//! domain in every table, under a SHARE lock on each of them: writes wait for the scan, and
//! `NOT VALID` does not avoid it. Table constraints can be changed online.
//!
//! ## Example
//! ```sql
//! CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');
//! ```
//!
//! ## Use instead
//! A domain without constraints (or a plain type) and CHECK constraints on the table columns.

use crate::context::ScriptCx;
use crate::rule::{Category, DefaultLevel, Dialects, Hit, PhaseScope, Rule, RuleMeta};
use sluice_core::sql::Operation;

use super::word_span;

pub struct BanCreateDomainWithConstraint;

static META: RuleMeta = RuleMeta {
    id: "ban-create-domain-with-constraint",
    aliases: &[],
    default: DefaultLevel::Warning,
    category: Category::Style,
    phase: PhaseScope::Any,
    dialects: Dialects::Postgres,
    summary: "a domain with a CHECK or NOT NULL constraint: changing it later scans every table that uses it under SHARE locks",
    help: "declare the domain without constraints and put CHECK constraints on the table columns",
    has_recipe: false,
    doc: include_str!("../../../../lint-rules/ban-create-domain-with-constraint.md"),
};

impl Rule for BanCreateDomainWithConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &ScriptCx<'_>, out: &mut Vec<Hit>) {
        for (st, op) in cx.ops() {
            let Operation::DomainConstraint {
                domain,
                create: true,
                ..
            } = op
            else {
                continue;
            };
            let span = ["check", "not", "constraint"]
                .iter()
                .map(|w| word_span(cx, st, w))
                .filter(|r| *r != st.range)
                .min_by_key(|r| r.start)
                .unwrap_or(st.range.clone());
            out.push(
                Hit::new(
                    st.index,
                    format!(
                        "domain `{domain}` is created with a constraint: changing its constraints later scans every column of the domain in every table, under a SHARE lock on each (writes wait)"
                    ),
                )
                .span(span),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{Case, lint_errors, lint_ok};

    const RULE: &str = "ban-create-domain-with-constraint";

    #[test]
    fn flags_domains_with_constraints() {
        assert_eq!(
            lint_errors(
                RULE,
                "CREATE DOMAIN domain_name_3 AS NUMERIC(15,5) CHECK (value > 0);\ncreate domain d as t check (value > 0) not null;\nCREATE DOMAIN n AS int NOT NULL;"
            ),
            [
                "1:46 domain `domain_name_3` is created with a constraint: changing its constraints later scans every column of the domain in every table, under a SHARE lock on each (writes wait)",
                "2:22 domain `d` is created with a constraint: changing its constraints later scans every column of the domain in every table, under a SHARE lock on each (writes wait)",
                "3:24 domain `n` is created with a constraint: changing its constraints later scans every column of the domain in every table, under a SHARE lock on each (writes wait)",
            ]
        );
    }

    #[test]
    fn passes_domains_without_constraints() {
        lint_ok(
            RULE,
            "CREATE DOMAIN domain_name_1 AS TEXT;\nCREATE DOMAIN domain_name_2 AS CHARACTER VARYING;\nCREATE DOMAIN d3 AS int DEFAULT 0;",
        );
        lint_ok(
            RULE,
            Case::new("CREATE TABLE t (a int CHECK (a > 0));").no_transaction(),
        );
    }
}
