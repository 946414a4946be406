//! Planning: scripts split into statements, and what to apply or roll back given the ledger.
//! Pure functions (no I/O), so the policies are unit-tested without a database.

mod apply;
mod prepare;
mod rollback;
mod status;

use std::collections::BTreeMap;

use super::RunError;
use super::ledger::LedgerRow;
use sluice_core::source::{Phase, Version};

#[cfg(test)]
pub(super) use apply::plan;
pub(super) use apply::{contract_pending, plan_gated, resume_point};
pub use prepare::script_checksum;
pub(super) use prepare::{
    Prepared, Step, Stmt, apply_strategies, created_tables, prepare, prepare_down, tables_of,
};
pub(super) use rollback::rollback_targets;
pub(super) use status::status_report;

/// A ledger row's version, ordered exactly as apply orders the files (`Version::parse_any`,
/// diesel's dashed stamps included). A version that cannot be ordered is an error: skipping
/// it would make a rollback pick the wrong migration.
pub(super) fn ledger_version(raw: &str) -> Result<Version, RunError> {
    Version::parse_any(raw).ok_or_else(|| {
        RunError::Input(format!(
            "the ledger holds version `{raw}`, which Sluice cannot order among the others (digits, `1.2`, or diesel's `YYYY-MM-DD-HHMMSS`); restore the migration's file name, or remove the row with `migrate repair`"
        ))
    })
}

/// Every row's version can be ordered (checked once when the ledger is read).
pub(super) fn check_versions(rows: &[LedgerRow]) -> Result<(), RunError> {
    rows.iter()
        .try_for_each(|r| ledger_version(&r.version).map(|_| ()))
}

/// Rows by (version, phase); versions compare like file versions.
pub(super) fn row_map(
    rows: &[LedgerRow],
) -> Result<BTreeMap<(Version, Phase), &LedgerRow>, RunError> {
    rows.iter()
        .map(|r| Ok(((ledger_version(&r.version)?, r.phase), r)))
        .collect()
}

#[cfg(test)]
mod tests;
