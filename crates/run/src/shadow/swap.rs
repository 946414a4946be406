//! The swap: the shadow table takes the table's place in one transaction.

use std::collections::BTreeSet;

use super::sql::{
    Copy, columns_sql, first_col, index_pairs, index_signatures_sql, lit, pairs, regclass,
    replay_sql, signatures,
};
use crate::Engine;
use crate::driver::{Blocker, DbError, Driver};
use crate::plan::Prepared;
use crate::strategies::shadow_table::{ShadowTable, q, qn};
use sluice_core::names;
use sluice_core::sql::ops::ObjName;

impl Engine {
    /// The swap: one transaction under lock_timeout, retried with back-off.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn shadow_swap(
        &self,
        main: &mut dyn Driver,
        mon: &mut dyn Driver,
        p: &Prepared,
        index: usize,
        s: &ShadowTable,
        c: &Copy,
        ledger: &str,
        at: &str,
        blockers: &mut Vec<Blocker>,
    ) -> Result<(), DbError> {
        let t = qn(&s.table);
        let rc = regclass(&s.table);
        let mut dropped = s.dropped();
        let schema_q = |name: &str| {
            qn(&ObjName {
                schema: s.table.schema.clone(),
                name: name.to_owned(),
            })
        };
        // a second copy of the same table in one migration: its old table gets its own name
        let taken = first_col(
            main.query_text(&format!(
                "SELECT ({} IS NOT NULL)::text",
                regclass(&ObjName {
                    schema: s.table.schema.clone(),
                    name: dropped.clone()
                })
            ))
            .await?,
        );
        if taken.first().map(String::as_str) == Some("true") {
            dropped = names::soft_drop(&format!("{}_{}", s.table.name, index + 1), &s.version);
        }
        // catalog facts the swap's statements need; DDL on the table meanwhile is the
        // migration author's to avoid
        let seqs = pairs(
            main.query_text(&format!(
                "SELECT s.oid::regclass::text, a.attname::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' \
                 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = {rc} AND d.deptype = 'a' ORDER BY 1, 2"
            ))
            .await?,
        );
        let identity = first_col(
            main.query_text(&format!(
                "SELECT a.attname::text FROM pg_attribute a JOIN pg_attribute n ON n.attrelid = {} AND n.attname = a.attname AND n.attidentity <> '' \
                 WHERE a.attrelid = {rc} AND a.attidentity <> '' AND NOT a.attisdropped ORDER BY 1",
                regclass(&s.shadow())
            ))
            .await?,
        );
        let new_cols: BTreeSet<String> = pairs(main.query_text(&columns_sql(&s.shadow())).await?)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let fks = first_col(
            main.query_text(&format!(
                "SELECT conname::text FROM pg_constraint WHERE conrelid = {rc} AND contype = 'f' ORDER BY 1"
            ))
            .await?,
        );
        // what would tie the soft-dropped copy to objects later DDL drops: defaults (a
        // serial's sequence, functions), generated expressions, CHECKs (functions)
        let defaults = pairs(
            main.query_text(&format!(
                "SELECT a.attname::text, a.attgenerated::text FROM pg_attribute a WHERE a.attrelid = {rc} AND a.atthasdef AND NOT a.attisdropped ORDER BY a.attnum"
            ))
            .await?,
        );
        let checks = first_col(
            main.query_text(&format!(
                "SELECT conname::text FROM pg_constraint WHERE conrelid = {rc} AND contype = 'c' ORDER BY 1"
            ))
            .await?,
        );
        let old_indexes = signatures(main.query_text(&index_signatures_sql(&s.table)).await?);
        let indexes = index_pairs(
            old_indexes.clone(),
            signatures(main.query_text(&index_signatures_sql(&s.shadow())).await?),
        );

        // privileges, the table's comment and owner: LIKE leaves them behind
        let grants = first_col(
            main.query_text(&format!(
                "SELECT format('GRANT %s ON TABLE %s TO %s%s', a.privilege_type, {sh}, \
                 CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, \
                 CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) \
                 FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee \
                 WHERE c.oid = {rc} AND a.grantee <> c.relowner \
                 UNION ALL SELECT format('COMMENT ON TABLE %s IS %L', {sh}, obj_description({rc}, 'pg_class')) WHERE obj_description({rc}, 'pg_class') IS NOT NULL \
                 UNION ALL SELECT format('ALTER TABLE %s OWNER TO %I', {sh}, pg_get_userbyid(relowner)) FROM pg_class WHERE oid = {rc} AND pg_get_userbyid(relowner) <> current_user \
                 ORDER BY 1",
                sh = lit(&qn(&s.shadow()))
            ))
            .await?,
        );

        let mut stmts = vec![format!("LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE")];
        stmts.extend(replay_sql(s, c));
        stmts.extend([
            format!("DROP TRIGGER {} ON {t}", q(&s.trigger())),
            format!("DROP FUNCTION {}()", qn(&s.function())),
            format!("DROP TABLE {}", qn(&s.log())),
        ]);
        // the old table must not hold parent rows back, nor hold on to sequences and
        // functions the new table uses (a later `DROP COLUMN id` drops the serial's sequence)
        for fk in fks.iter().chain(&checks) {
            stmts.push(format!("ALTER TABLE {t} DROP CONSTRAINT {}", q(fk)));
        }
        for (col, generated) in &defaults {
            let c = q(col);
            stmts.push(match generated.as_str() {
                "" => format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"),
                // PostgreSQL 18's VIRTUAL column stores nothing and cannot drop its
                // expression: the soft-dropped copy loses the column, not data
                "v" => format!("ALTER TABLE {t} DROP COLUMN {c}"),
                _ => format!("ALTER TABLE {t} ALTER COLUMN {c} DROP EXPRESSION"),
            });
        }
        // identity columns of the copy got sequences of their own: carry the position on
        for col in &identity {
            stmts.push(format!(
                "SELECT setval(pg_get_serial_sequence({}, {c}), v) FROM (SELECT pg_sequence_last_value(pg_get_serial_sequence({}, {c})::regclass) AS v) x WHERE v IS NOT NULL",
                lit(&qn(&s.shadow())),
                lit(&t),
                c = lit(col)
            ));
        }
        stmts.extend(grants);
        stmts.push(format!("ALTER TABLE {t} RENAME TO {}", q(&dropped)));
        let tag = names::version_tag(&s.version);
        // every old index leaves its name (one left unpaired must not keep it: a later
        // `DROP INDEX name` would drop the soft-dropped table's index instead)
        for [old, ..] in &old_indexes {
            stmts.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                schema_q(old),
                q(&names::fit(
                    "_sluice_old_",
                    old,
                    &format!("_{tag}_{}", index + 1)
                ))
            ));
        }
        stmts.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            qn(&s.shadow()),
            q(&s.table.name)
        ));
        for (old, new) in &indexes {
            stmts.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                schema_q(new),
                q(old)
            ));
        }
        // serial columns' sequences follow the new table (a purge of the old one would
        // otherwise drop them)
        for (seq, col) in &seqs {
            if new_cols.contains(col) {
                stmts.push(format!("ALTER SEQUENCE {seq} OWNED BY {t}.{}", q(col)));
            }
        }
        stmts.push(format!(
            "UPDATE {ledger} SET state = 'applied', finished_at = clock_timestamp() WHERE {at}"
        ));
        // the statement counts as done in the same transaction: a crash right after the
        // swap never copies the new table again
        stmts.push(self.ledger.progress_sql(&p.version, p.phase, index + 1));
        self.tx_retrying(main, mon, &stmts, "swapping in the shadow table", blockers)
            .await?;
        tracing::info!(table = %t, old = %dropped, "shadow table swapped in; the old table stays until `migrate purge`");
        Ok(())
    }
}
