//! What the sluice runner makes online by itself: the one table both sides read.
//!
//! The runner's strategies (`run::strategies::choose`) take a statement's rewrite from
//! [`of`]; the lint engine, when the runner is sluice, makes the findings a rewrite answers
//! ([`Rewrite::answers`]) warnings, with the rewrite in the help. So `migrate lint` with the
//! default runner and `migrate apply` agree on what passes: a plain `CREATE INDEX` is built
//! `CONCURRENTLY` by the runner, so neither refuses it.
//!
//! A statement is rewritten only when it is alone in its statement (one operation), outside
//! a `BEGIN .. COMMIT` block of the file, and not pinned by `-- sluice:strategy plain`.

use sluice_core::source::Phase;
use sluice_core::sql::ops::{ConstraintKind, RewriteKind};
use sluice_core::sql::{Dialect, Operation};

/// An online form the runner gives a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// `CREATE / DROP INDEX CONCURRENTLY`, outside a transaction.
    ConcurrentIndex,
    /// `ADD CONSTRAINT .. NOT VALID`, then `VALIDATE CONSTRAINT` in its own transaction.
    NotValidValidate,
    /// `SET NOT NULL` through a validated `CHECK (col IS NOT NULL)` (PostgreSQL 12+).
    NotNullCheck,
    /// `VALIDATE CONSTRAINT` in a transaction of its own: the script runs statement by
    /// statement, so the lock of the `ADD .. NOT VALID` before it is released first.
    OwnTransaction,
    /// `VACUUM FULL` / `CLUSTER` through pg_repack: only where pg_repack is installed, so
    /// lint cannot count on it ([`Rewrite::certain`] is false).
    PgRepack,
    /// A `DELETE` whose `WHERE` bounds no key range (PostgreSQL and MySQL): the keys it
    /// matches are noted first, then deleted a short batch at a time, each batch its own
    /// transaction. Only on a table with a primary key (the lint engine checks its catalog,
    /// the runner the live table).
    BatchedDelete,
}

impl Rewrite {
    /// The runner always applies it (no tool it may lack).
    pub fn certain(self) -> bool {
        self != Rewrite::PgRepack
    }

    /// The lint rules whose error this rewrite answers in a script of `phase`.
    pub fn answers(self, phase: Phase) -> &'static [&'static str] {
        match self {
            Rewrite::ConcurrentIndex => &[
                "require-concurrent-index-creation",
                "require-concurrent-index-deletion",
            ],
            Rewrite::NotValidValidate => &["constraint-missing-not-valid"],
            // outside a contract SET NOT NULL still breaks the old code: only the lock goes
            Rewrite::NotNullCheck if phase == Phase::Contract => &["adding-not-nullable-field"],
            Rewrite::NotNullCheck => &[],
            Rewrite::OwnTransaction => &["validate-in-same-transaction"],
            Rewrite::PgRepack => &["ban-table-rewrite"],
            Rewrite::BatchedDelete => &["unbatched-backfill"],
        }
    }

    /// How the runner runs it, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Rewrite::ConcurrentIndex => "the sluice runner builds (or drops) it CONCURRENTLY",
            Rewrite::NotValidValidate => {
                "the sluice runner adds it NOT VALID, then validates it in its own transaction"
            }
            Rewrite::NotNullCheck => {
                "the sluice runner proves it with a CHECK validated while writes continue"
            }
            Rewrite::OwnTransaction => {
                "the sluice runner validates it in its own transaction (the file then runs statement by statement)"
            }
            Rewrite::PgRepack => "the sluice runner rebuilds the table with pg_repack",
            Rewrite::BatchedDelete => {
                "the sluice runner notes the keys of the rows it matches, then deletes them a short batch at a time, each batch its own transaction"
            }
        }
    }
}

/// Rules a statement's finding of which is answered when the runner, at apply time, runs
/// the statement through an online form decided on the live table (a shadow-table copy,
/// pt-online-schema-change, gh-ost, pinned `ALGORITHM=INSTANT/INPLACE`): besides every
/// lock rule, a type change, whose harm is the copy under lock (a widening the old code
/// reads as before). The apply check reads it; lint cannot (the choice needs the live
/// table and the tools installed).
pub fn answered_online(rule: &str, category: crate::rule::Category) -> bool {
    use crate::rule::Category;
    matches!(category, Category::Locks | Category::Mysql) || rule == "changing-column-type"
}

/// The rewrite the runner gives a statement of one operation `op` on PostgreSQL
/// `server_major` (0: unknown, taken as recent), if any. `in_transaction`: the statement
/// runs in the transaction the runner wraps the file in (only there does `VALIDATE` need
/// one of its own). Of MySQL statements only a `DELETE` is rewritten here; the rest are
/// pinned or copied by tools instead (decided on the live columns, not here).
pub fn of(
    dialect: Dialect,
    server_major: u32,
    op: &Operation,
    in_transaction: bool,
) -> Option<Rewrite> {
    if let Operation::Delete { bounded: false, .. } = op {
        return Some(Rewrite::BatchedDelete);
    }
    if dialect != Dialect::Postgres {
        return None;
    }
    match op {
        Operation::CreateIndex {
            concurrently: false,
            ..
        } => Some(Rewrite::ConcurrentIndex),
        Operation::DropIndex {
            concurrently: false,
            names,
            table: None,
            ..
        } if names.len() == 1 => Some(Rewrite::ConcurrentIndex),
        Operation::AddConstraint { constraint, .. }
            if !constraint.not_valid
                && constraint.name.is_some()
                && matches!(
                    constraint.kind,
                    ConstraintKind::ForeignKey | ConstraintKind::Check
                ) =>
        {
            Some(Rewrite::NotValidValidate)
        }
        Operation::SetNotNull { .. } if server_major == 0 || server_major >= 12 => {
            Some(Rewrite::NotNullCheck)
        }
        Operation::ValidateConstraint { .. } if in_transaction => Some(Rewrite::OwnTransaction),
        Operation::TableRewrite {
            table: Some(_),
            kind: RewriteKind::VacuumFull | RewriteKind::Cluster,
        } => Some(Rewrite::PgRepack),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(sql: &str) -> Operation {
        let asts = sluice_core::sql::parse(Dialect::Postgres, sql).unwrap();
        let mut ops = sluice_core::sql::classify::classify(Dialect::Postgres, &asts[0]);
        assert_eq!(ops.len(), 1, "{sql}");
        ops.remove(0)
    }

    #[test]
    fn the_table() {
        let pg = |sql, tx| of(Dialect::Postgres, 15, &op(sql), tx);
        assert_eq!(
            pg("CREATE INDEX i ON t (a)", true),
            Some(Rewrite::ConcurrentIndex)
        );
        assert_eq!(pg("CREATE INDEX CONCURRENTLY i ON t (a)", false), None);
        assert_eq!(pg("DROP INDEX i", true), Some(Rewrite::ConcurrentIndex));
        assert_eq!(
            pg(
                "ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES u (id)",
                true
            ),
            Some(Rewrite::NotValidValidate)
        );
        // no name: VALIDATE could not name it
        assert_eq!(pg("ALTER TABLE t ADD CHECK (a > 0)", true), None);
        assert_eq!(
            pg("ALTER TABLE t ALTER COLUMN a SET NOT NULL", true),
            Some(Rewrite::NotNullCheck)
        );
        assert_eq!(
            of(
                Dialect::Postgres,
                11,
                &op("ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
                true
            ),
            None
        );
        assert_eq!(
            pg("ALTER TABLE t VALIDATE CONSTRAINT c", true),
            Some(Rewrite::OwnTransaction)
        );
        assert_eq!(pg("ALTER TABLE t VALIDATE CONSTRAINT c", false), None);
        assert!(!pg("VACUUM FULL t", false).unwrap().certain());
        assert_eq!(
            pg("DELETE FROM t WHERE status = 'gone'", false),
            Some(Rewrite::BatchedDelete)
        );
        assert_eq!(
            pg("DELETE FROM t a USING u b WHERE a.x = b.x", true),
            Some(Rewrite::BatchedDelete)
        );
        // already a batch
        assert_eq!(pg("DELETE FROM t WHERE id < 1000", false), None);
        assert_eq!(Rewrite::NotNullCheck.answers(Phase::Expand), &[] as &[&str]);
    }
}
