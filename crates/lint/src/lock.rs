//! The lock a statement takes, as told in every lock-related finding (facts: pg-locks.md).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockMode {
    AccessExclusive,
    Exclusive,
    ShareRowExclusive,
    Share,
    ShareUpdateExclusive,
    RowExclusive,
    /// MySQL metadata lock (exclusive while the table is copied).
    MetadataExclusive,
}

impl LockMode {
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::MetadataExclusive => "exclusive metadata lock",
        }
    }

    /// What the mode blocks for other sessions (docs table 13.2).
    pub fn blocks(self) -> &'static str {
        match self {
            LockMode::AccessExclusive | LockMode::MetadataExclusive => "reads and writes",
            LockMode::Exclusive => "writes and row-locking reads",
            LockMode::ShareRowExclusive | LockMode::Share => "writes",
            LockMode::ShareUpdateExclusive => "only DDL and VACUUM",
            LockMode::RowExclusive => "only conflicting DDL",
        }
    }
}

/// For how long the lock is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockHold {
    /// Metadata change only (still queues everything behind it while it waits).
    Brief,
    /// A full scan of the table.
    Scan,
    /// A rewrite of the whole table and its indexes.
    Rewrite,
    /// An index build.
    IndexBuild,
    /// Until the transaction commits.
    UntilCommit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LockInfo {
    pub mode: LockMode,
    pub hold: LockHold,
    pub rewrite: bool,
    pub scan: bool,
}

impl LockInfo {
    pub const fn new(mode: LockMode, hold: LockHold) -> Self {
        LockInfo {
            mode,
            hold,
            rewrite: matches!(hold, LockHold::Rewrite),
            scan: matches!(
                hold,
                LockHold::Rewrite | LockHold::Scan | LockHold::IndexBuild
            ),
        }
    }

    pub const ACCESS_EXCLUSIVE_BRIEF: LockInfo =
        LockInfo::new(LockMode::AccessExclusive, LockHold::Brief);
    pub const ACCESS_EXCLUSIVE_SCAN: LockInfo =
        LockInfo::new(LockMode::AccessExclusive, LockHold::Scan);
    pub const ACCESS_EXCLUSIVE_REWRITE: LockInfo =
        LockInfo::new(LockMode::AccessExclusive, LockHold::Rewrite);

    /// One line for humans: "ACCESS EXCLUSIVE held for a full table scan: blocks reads and writes".
    pub fn describe(&self) -> String {
        let hold = match self.hold {
            LockHold::Brief => "briefly (but queues every later query while it waits)",
            LockHold::Scan => "for a full table scan",
            LockHold::Rewrite => "while the whole table is rewritten",
            LockHold::IndexBuild => "for the whole index build",
            LockHold::UntilCommit => "until the transaction commits",
        };
        format!(
            "{} held {hold}: blocks {}",
            self.mode.name(),
            self.mode.blocks()
        )
    }
}
