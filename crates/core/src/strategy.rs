//! The names of the runner's online strategies: what `-- sluice:strategy <name>` accepts.
//! Here, beside the directives, so that `migrate lint` can check a name before any runner
//! meets it; the runner (`sluice_run::strategies`) decides what each does.

use serde::Serialize;

/// How a statement is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// As written, under lock_timeout with retries.
    Plain,
    /// `CREATE / DROP INDEX CONCURRENTLY` outside a transaction; an INVALID leftover of a
    /// failed build is dropped and the build retried.
    ConcurrentIndex,
    /// `ADD CONSTRAINT .. NOT VALID`, then `VALIDATE CONSTRAINT` in its own transaction.
    NotValidValidate,
    /// `SET NOT NULL` through a validated `CHECK (col IS NOT NULL)` (PostgreSQL 12+).
    NotNullCheck,
    /// `VALIDATE CONSTRAINT` in a transaction of its own: the script runs statement by
    /// statement (resumable), so an `ADD .. NOT VALID` before it has committed and its lock
    /// is not held through the scan.
    OwnTransaction,
    /// `pg_repack --no-kill-backend` for a rebuild (`VACUUM FULL`, `CLUSTER`).
    PgRepack,
    /// MySQL: `ALGORITHM=INSTANT` pinned (metadata only; fails fast otherwise).
    Instant,
    /// MySQL: `ALGORITHM=INPLACE, LOCK=NONE` pinned (writes continue; fails fast on a copy).
    Inplace,
    /// MySQL: a table copy through pt-online-schema-change.
    PtOsc,
    /// MySQL: a table copy through gh-ost, cut over when the contract gate holds.
    GhOst,
    /// A whole-table rewrite through a shadow copy swapped in under a brief lock
    /// (the runner's shadow-table copy).
    ShadowTable,
    /// A `DELETE` of many rows: the keys it matches noted first, then deleted a short
    /// batch at a time, each batch its own transaction.
    BatchedDelete,
}

impl Strategy {
    pub const ALL: [Strategy; 12] = [
        Strategy::Plain,
        Strategy::ConcurrentIndex,
        Strategy::NotValidValidate,
        Strategy::NotNullCheck,
        Strategy::OwnTransaction,
        Strategy::PgRepack,
        Strategy::Instant,
        Strategy::Inplace,
        Strategy::PtOsc,
        Strategy::GhOst,
        Strategy::ShadowTable,
        Strategy::BatchedDelete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Plain => "plain",
            Strategy::ConcurrentIndex => "concurrent-index",
            Strategy::NotValidValidate => "not-valid-validate",
            Strategy::NotNullCheck => "not-null-check",
            Strategy::OwnTransaction => "own-transaction",
            Strategy::PgRepack => "pg-repack",
            Strategy::Instant => "instant",
            Strategy::Inplace => "inplace",
            Strategy::PtOsc => "pt-osc",
            Strategy::GhOst => "gh-ost",
            Strategy::ShadowTable => "shadow-table",
            Strategy::BatchedDelete => "batched-delete",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|x| x.name() == s.trim())
    }
}
