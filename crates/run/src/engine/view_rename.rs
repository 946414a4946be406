//! A column renamed through a view (`migrate plan --rename-column view`, PostgreSQL): from
//! its expand until its contract, the table's name belongs to a view over the renamed table
//! (`_sluice_renaming_<t>_<v>`). Rows go through the view; DDL does not (PostgreSQL: "is not a
//! table"). So a later migration's expand that changes the table runs after the rename's
//! contract when this run applies that contract too (its gate holds), and is refused before
//! anything runs when the contract still waits for its rollout.

use std::collections::BTreeMap;

use sluice_core::source::{Direction, Layout, Migration, Phase, Script, Version};
use sluice_core::sql::ops::ObjName;
use sluice_core::sql::{Dialect, Operation};

use super::super::RunError;
use super::super::ledger::{LedgerRow, State};
use super::check::statements;
use sluice_plan::RENAMING_PREFIX as RENAMING;

type Item<'m> = (&'m Migration, &'m Script);

/// A rename's view still in place: the table it stands for, the migration whose contract
/// gives the name back.
struct Pending<'m> {
    table: ObjName,
    migration: &'m Migration,
}

/// Order the selected phases so that no expand changes a table while it is a rename's view:
/// a selected contract of such a rename moves to just before the first expand that changes
/// its table (its rollout is complete: the gate that selected it holds). An expand whose
/// rename's contract is not selected is refused, naming the contract to apply first.
pub(super) fn order<'m>(
    dialect: Dialect,
    migrations: &'m [Migration],
    by_key: &BTreeMap<(Version, Phase), &LedgerRow>,
    expands: Vec<Item<'m>>,
    contracts: Vec<Item<'m>>,
    backfilled: &[&Migration],
) -> Result<(Vec<Item<'m>>, Vec<Item<'m>>), RunError> {
    let applied = |m: &Migration, p: Phase| {
        by_key
            .get(&(m.version.clone(), p))
            .is_some_and(|r| r.state == State::Applied)
    };
    let selected_expand = |m: &Migration| expands.iter().any(|(e, _)| e.version == m.version);
    let pending: Vec<Pending<'m>> = migrations
        .iter()
        .filter(|m| {
            !applied(m, Phase::Contract) && (applied(m, Phase::Expand) || selected_expand(m))
        })
        .filter_map(|m| Some((m, m.script(Phase::Contract, Direction::Up)?)))
        .flat_map(|(m, s)| {
            restored_tables(dialect, m.layout, s)
                .into_iter()
                .map(move |table| Pending {
                    table,
                    migration: m,
                })
        })
        .collect();
    if pending.is_empty() {
        return Ok((expands, contracts));
    }
    let mut contracts = contracts;
    let mut out = Vec::with_capacity(expands.len() + contracts.len());
    for (m, s) in expands {
        for p in &pending {
            // the view stands from the rename's expand on: an earlier migration meets a table
            if p.migration.version >= m.version {
                continue;
            }
            let Some(line) = changes(dialect, m.layout, s, &p.table) else {
                continue;
            };
            let early = contracts
                .iter()
                .position(|(c, _)| c.version == p.migration.version)
                .filter(|_| !backfilled.iter().any(|b| b.version == p.migration.version));
            match early {
                Some(i) => {
                    let c = contracts.remove(i);
                    tracing::info!(
                        rename = %c.0.version,
                        before = %m.version,
                        table = %p.table,
                        "a column rename's contract runs before a later change of its table (its view stands for the table until then)"
                    );
                    out.push(c);
                }
                None if out.iter().any(|(c, cs): &Item<'_>| {
                    c.version == p.migration.version && cs.phase == Phase::Contract
                }) => {}
                None => {
                    return Err(waiting(m, s, line, p, applied(p.migration, Phase::Expand)));
                }
            }
        }
        out.push((m, s));
    }
    Ok((out, contracts))
}

/// The refusal: which statement, which view, and the way out (the rename's own expand first
/// when this run would have applied it too).
fn waiting(m: &Migration, s: &Script, line: usize, p: &Pending<'_>, expanded: bool) -> RunError {
    let v = &p.migration.version;
    let way = if expanded {
        format!(
            "Apply {v}'s contract first, once the code of its rollout runs everywhere (`migrate apply --phase contract --to {v}`)"
        )
    } else {
        format!(
            "Apply {v} first (`migrate apply --to {v}`), roll out its code, then its contract (`migrate apply --phase contract --to {v}`)"
        )
    };
    RunError::Refused(format!(
        "{}:{line}: migration {} changes table {}, which is the view of migration {v}'s column rename until {v}'s contract runs (the rows are in the table it renamed, {RENAMING}..., and PostgreSQL alters no view as a table); nothing was executed. {way}; then this migration",
        s.file.path.display(),
        m.version,
        p.table,
    ))
}

/// The tables a contract gives their name back: `ALTER TABLE _sluice_renaming_.. RENAME TO t`.
fn restored_tables(dialect: Dialect, layout: Layout, s: &Script) -> Vec<ObjName> {
    statements(dialect, layout, s)
        .into_iter()
        .flat_map(|(_, ops)| ops)
        .filter_map(|op| match op {
            Operation::RenameTable { from, to } if from.name.starts_with(RENAMING) => Some(to),
            _ => None,
        })
        .collect()
}

/// The first line of `s` that changes table `t` other than through its rows.
fn changes(dialect: Dialect, layout: Layout, s: &Script, t: &ObjName) -> Option<usize> {
    statements(dialect, layout, s)
        .into_iter()
        .find(|(_, ops)| ops.iter().any(|op| changes_table(op, t)))
        .map(|(line, _)| line)
}

/// Does `op` change table `t` as a table (DDL)? Rows go through the view.
fn changes_table(op: &Operation, t: &ObjName) -> bool {
    let named = |n: &ObjName| n.matches(t) || t.matches(n);
    match op {
        Operation::Insert { .. } | Operation::Update { .. } | Operation::Delete { .. } => false,
        Operation::DropTable { tables, .. } => tables.iter().any(named),
        Operation::AddConstraint { constraint, .. } if constraint.references.iter().any(named) => {
            true
        }
        _ => op.table().is_some_and(named),
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::statement_ops;
    use super::*;

    fn changes_accounts(stmt: &str) -> bool {
        let t = ObjName::new(None, "accounts");
        statement_ops(Dialect::Postgres, stmt)
            .iter()
            .any(|op| changes_table(op, &t))
    }

    #[test]
    fn rows_go_through_the_view_and_ddl_does_not() {
        for dml in [
            "INSERT INTO accounts (id) VALUES (1)",
            "UPDATE accounts SET name = 'x' WHERE id = 1",
            "DELETE FROM accounts WHERE id = 1",
            "ALTER TABLE owners ADD COLUMN note text",
        ] {
            assert!(!changes_accounts(dml), "{dml}");
        }
        for ddl in [
            "ALTER TABLE accounts ADD COLUMN note text",
            "CREATE INDEX CONCURRENTLY accounts_note ON accounts (note)",
            "ALTER TABLE public.accounts ALTER COLUMN email SET NOT NULL",
            "ALTER TABLE owners ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES accounts (id)",
            "DROP TABLE owners, accounts",
            "ALTER TABLE accounts RENAME TO clients",
        ] {
            assert!(changes_accounts(ddl), "{ddl}");
        }
    }
}
