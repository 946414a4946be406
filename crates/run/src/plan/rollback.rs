//! What a rollback undoes given the ledger.

use super::ledger_version;
use crate::RollbackRequest;
use crate::RunError;
use crate::ledger::{LedgerRow, State};
use sluice_core::source::{Phase, Version};

/// The rows a rollback undoes, newest first (a version's contract before its expand).
pub(crate) fn rollback_targets<'r>(
    rows: &'r [LedgerRow],
    req: &RollbackRequest,
) -> Result<Vec<&'r LedgerRow>, RunError> {
    let mut live: Vec<(Version, &LedgerRow)> = rows
        .iter()
        .filter(|r| r.state != State::RolledBack)
        .map(|r| Ok((ledger_version(&r.version)?, r)))
        .collect::<Result<_, RunError>>()?;
    live.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.phase.cmp(&a.1.phase)));
    let selected: Vec<&(Version, &LedgerRow)> = live
        .iter()
        .filter(|(_, r)| req.phase.has(r.phase))
        .collect();
    // `--to 0` is everything (cli.md), a version-0 migration too (diesel's
    // `00000000000000_diesel_initial_setup`)
    let zero = Version::parse("0").expect("static");
    let chosen: Vec<&LedgerRow> = match (&req.to, req.steps) {
        (Some(to), _) => selected
            .iter()
            .filter(|(v, _)| v > to || *to == zero)
            .map(|(_, r)| *r)
            .collect(),
        (None, steps) => selected
            .iter()
            .take(steps.unwrap_or(1))
            .map(|(_, r)| *r)
            .collect(),
    };
    // an expand cannot go while its contract stays
    for r in &chosen {
        if r.phase == Phase::Expand {
            let contract_stays = live.iter().any(|(_, o)| {
                o.version == r.version
                    && o.phase == Phase::Contract
                    && !chosen.iter().any(|c| std::ptr::eq(*c, *o))
            });
            if contract_stays {
                return Err(RunError::Refused(format!(
                    "cannot roll back the expand of {} {} while its contract phase stays applied; roll back the contract first (`migrate rollback --phase contract`)",
                    r.version, r.name
                )));
            }
        }
    }
    Ok(chosen)
}
