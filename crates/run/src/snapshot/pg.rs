//! PostgreSQL: the snapshot from `pg_catalog`, eight queries.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{
    Column, Constraint, Index, Options, Routine, Schema, Sequence, Snapshot, Table, Trigger,
    UserType, View, nonempty, qualify,
};
use crate::introspect::USER_SCHEMAS;

/// Not a member of an extension (pg_trgm's functions and types are the extension's).
fn not_extension(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

/// Privileges as sorted `grantee=privileges/grantor` items; no ACL means the owner's defaults.
fn grants(acl: &str, kind: char, owner: &str) -> String {
    format!(
        "ARRAY(SELECT a::text FROM unnest(COALESCE({acl}, acldefault('{kind}'::\"char\", {owner}))) a ORDER BY 1)"
    )
}

pub(super) async fn read(
    conn: &mut sqlx::PgConnection,
    opts: &Options,
) -> Result<Snapshot, sqlx::Error> {
    let mut snap = Snapshot::default();

    for r in rows(
        conn,
        format!(
            "SELECT 's', n.nspname::text, obj_description(n.oid, 'pg_namespace'), {}
         FROM pg_namespace n WHERE {USER_SCHEMAS} AND {}
         UNION ALL
         SELECT 'e', x.extname::text, x.extversion::text, ARRAY[]::text[] FROM pg_extension x
         ORDER BY 1, 2",
            grants("n.nspacl", 'n', "n.nspowner"),
            not_extension("pg_namespace", "n.oid"),
        ),
    )
    .await?
    {
        let name: String = r.try_get(1)?;
        if r.try_get::<String, _>(0)? == "e" {
            snap.extensions
                .insert(name, r.try_get::<Option<String>, _>(2)?.unwrap_or_default());
        } else {
            snap.schemas.insert(
                name,
                Schema {
                    comment: r.try_get(2)?,
                    grants: r.try_get(3)?,
                },
            );
        }
    }

    relations(conn, opts, &mut snap).await?;
    columns(conn, opts, &mut snap).await?;

    for r in rows(
        conn,
        format!(
            "SELECT n.nspname::text, t.relname::text, c.conname::text, c.contype::text,
                pg_get_constraintdef(c.oid, true), c.convalidated,
                obj_description(c.oid, 'pg_constraint')
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE c.contype IN ('p', 'u', 'f', 'c', 'x') AND {USER_SCHEMAS}
         ORDER BY 1, 2, 3"
        ),
    )
    .await?
    {
        let name: String = r.try_get(2)?;
        let Some(table) = table_of(&mut snap, opts, &r)? else {
            continue;
        };
        if opts.skips(&name) {
            continue;
        }
        let kind = match r.try_get::<String, _>(3)?.as_str() {
            "p" => "primary key",
            "u" => "unique",
            "f" => "foreign key",
            "c" => "check",
            _ => "exclude",
        };
        // validity is its own attribute
        let definition: String = r.try_get(4)?;
        let definition = definition
            .strip_suffix(" NOT VALID")
            .unwrap_or(&definition)
            .to_owned();
        table.constraints.insert(
            name,
            Constraint {
                kind: kind.to_owned(),
                definition,
                valid: r.try_get(5)?,
                comment: r.try_get(6)?,
            },
        );
    }

    // indexes that back a constraint are the constraint's (compared there)
    for r in rows(
        conn,
        format!(
            "SELECT n.nspname::text, t.relname::text, i.relname::text,
                pg_get_indexdef(x.indexrelid), x.indisunique, x.indisvalid,
                obj_description(i.oid, 'pg_class')
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE t.relkind IN ('r', 'p', 'm') AND {USER_SCHEMAS} AND {}
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                               WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                                     AND c.contype IN ('p', 'u', 'x'))
         ORDER BY 1, 3",
            not_extension("pg_class", "t.oid"),
        ),
    )
    .await?
    {
        let (schema, table, name): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if opts.skips(&table) || opts.skips(&name) {
            continue;
        }
        snap.indexes.insert(
            qualify(&schema, &name),
            Index {
                table: qualify(&schema, &table),
                definition: r.try_get(3)?,
                unique: r.try_get(4)?,
                valid: r.try_get(5)?,
                comment: r.try_get(6)?,
            },
        );
    }

    for r in rows(
        conn,
        format!(
        "SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid),
                p.prokind::text,
                CASE WHEN p.prokind = 'a' THEN
                    (SELECT format('AGGREGATE (SFUNC = %s, STYPE = %s, FINALFUNC = %s, INITCOND = %L)',
                                   a.aggtransfn::regproc, format_type(a.aggtranstype, NULL),
                                   a.aggfinalfn::regproc, a.agginitval)
                     FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                ELSE pg_get_functiondef(p.oid) END,
                obj_description(p.oid, 'pg_proc'), {}
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE {USER_SCHEMAS} AND {}
         ORDER BY 1, 2, 3",
        grants("p.proacl", 'f', "p.proowner"),
        not_extension("pg_proc", "p.oid"),
    ),
    )
    .await?
    {
        let (schema, name, args): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if opts.skips(&name) {
            continue;
        }
        let kind = match r.try_get::<String, _>(3)?.as_str() {
            "p" => "procedure",
            "a" => "aggregate",
            "w" => "window",
            _ => "function",
        };
        snap.routines.insert(
            format!("{}({args})", qualify(&schema, &name)),
            Routine {
                kind: kind.to_owned(),
                definition: r
                    .try_get::<Option<String>, _>(4)?
                    .unwrap_or_default()
                    .trim_end()
                    .to_owned(),
                comment: r.try_get(5)?,
                grants: r.try_get(6)?,
            },
        );
    }

    for r in rows(
        conn,
        format!(
        "SELECT n.nspname::text, c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid, true),
                t.tgenabled::text, obj_description(t.oid, 'pg_trigger')
         FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT t.tgisinternal AND {USER_SCHEMAS}
         ORDER BY 1, 2, 3"
    ),
    )
    .await?
    {
        let (schema, table, name): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if opts.skips(&table) || opts.skips(&name) {
            continue;
        }
        let enabled = match r.try_get::<String, _>(4)?.as_str() {
            "D" => "disabled",
            "R" => "replica",
            "A" => "always",
            _ => "enabled",
        };
        let table = qualify(&schema, &table);
        snap.triggers.insert(
            format!("{table}.{name}"),
            Trigger {
                table,
                definition: r.try_get(3)?,
                enabled: enabled.to_owned(),
                comment: r.try_get(5)?,
            },
        );
    }

    for r in rows(
        conn,
        format!(
            "SELECT n.nspname::text, t.typname::text, t.typtype::text,
                ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
                      ORDER BY e.enumsortorder),
                CASE t.typtype
                WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
                    || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                    || COALESCE(' DEFAULT ' || t.typdefault, '')
                    || COALESCE((SELECT string_agg(' CONSTRAINT ' || quote_ident(c.conname) || ' '
                                                   || pg_get_constraintdef(c.oid, true), ''
                                                   ORDER BY c.conname)
                                 FROM pg_constraint c WHERE c.contypid = t.oid), '')
                WHEN 'c' THEN (SELECT string_agg(quote_ident(a.attname) || ' '
                                                 || format_type(a.atttypid, a.atttypmod), ', '
                                                 ORDER BY a.attnum)
                               FROM pg_attribute a
                               WHERE a.attrelid = t.typrelid AND a.attnum > 0
                                     AND NOT a.attisdropped)
                WHEN 'r' THEN (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r
                               WHERE r.rngtypid = t.oid)
                ELSE '' END,
                obj_description(t.oid, 'pg_type')
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE {USER_SCHEMAS} AND t.typtype IN ('e', 'd', 'c', 'r') AND {}
               AND (t.typtype <> 'c'
                    OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
         ORDER BY 1, 2",
            not_extension("pg_type", "t.oid"),
        ),
    )
    .await?
    {
        let (schema, name): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        if opts.skips(&name) {
            continue;
        }
        let kind = match r.try_get::<String, _>(2)?.as_str() {
            "e" => "enum",
            "d" => "domain",
            "c" => "composite",
            _ => "range",
        };
        snap.types.insert(
            qualify(&schema, &name),
            UserType {
                kind: kind.to_owned(),
                labels: r.try_get(3)?,
                definition: r.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                comment: r.try_get(5)?,
            },
        );
    }
    Ok(snap)
}

async fn rows(conn: &mut sqlx::PgConnection, sql: String) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::query(&sql).fetch_all(conn).await
}

/// The table a constraint row (schema, table in columns 0, 1) belongs to, when kept.
fn table_of<'s>(
    snap: &'s mut Snapshot,
    opts: &Options,
    r: &PgRow,
) -> Result<Option<&'s mut Table>, sqlx::Error> {
    let (schema, table): (String, String) = (r.try_get(0)?, r.try_get(1)?);
    if opts.skips(&table) {
        return Ok(None);
    }
    Ok(snap.tables.get_mut(&qualify(&schema, &table)))
}

/// Tables, views and sequences (one query over `pg_class`).
async fn relations(
    conn: &mut sqlx::PgConnection,
    opts: &Options,
    snap: &mut Snapshot,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text,
                obj_description(c.oid, 'pg_class'),
                ARRAY(SELECT a::text FROM unnest(COALESCE(c.relacl,
                      acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::\"char\", c.relowner))) a
                      ORDER BY 1),
                c.relpersistence = 'u', array_to_string(c.reloptions, ', '),
                CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                CASE WHEN c.relispartition THEN
                    (SELECT pn.nspname || '.' || p.relname || ' ' || pg_get_expr(c.relpartbound, c.oid)
                     FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                     JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid)
                END,
                CASE WHEN NOT c.relispartition THEN
                    (SELECT string_agg(pn.nspname || '.' || p.relname, ', ' ORDER BY i.inhseqno)
                     FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                     JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid)
                END,
                c.relrowsecurity, c.relforcerowsecurity,
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
                CASE WHEN c.relkind = 'S' THEN
                    format('%s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s%s',
                           format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
                           s.seqmax, s.seqcache, CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END)
                END,
                o.nspname::text, o.relname::text, o.attname::text
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_sequence s ON s.seqrelid = c.oid
         LEFT JOIN LATERAL (
             SELECT tn.nspname, t.relname, a.attname
             FROM pg_depend d
             JOIN pg_class t ON t.oid = d.refobjid
             JOIN pg_namespace tn ON tn.oid = t.relnamespace
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
             LIMIT 1) o ON true
         WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND {USER_SCHEMAS} AND {}
         ORDER BY 1, 2",
        not_extension("pg_class", "c.oid"),
    );
    for r in rows(conn, sql).await? {
        let (schema, name, kind): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if opts.skips(&name) {
            continue;
        }
        let key = qualify(&schema, &name);
        let comment: Option<String> = r.try_get(3)?;
        let grants: Vec<String> = r.try_get(4)?;
        let mut options = BTreeMap::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = nonempty(v) {
                options.insert(k.to_owned(), v);
            }
        };
        put("reloptions", r.try_get(6)?);
        match kind.as_str() {
            "v" | "m" => {
                snap.views.insert(
                    key,
                    View {
                        materialized: kind == "m",
                        definition: r
                            .try_get::<Option<String>, _>(12)?
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                        options,
                        comment,
                        grants,
                    },
                );
            }
            "S" => {
                let owner: (Option<String>, Option<String>, Option<String>) =
                    (r.try_get(14)?, r.try_get(15)?, r.try_get(16)?);
                let owned_by = match owner {
                    (Some(s), Some(t), Some(c)) => {
                        if opts.skips(&t) {
                            continue;
                        }
                        Some(format!("{}.{c}", qualify(&s, &t)))
                    }
                    _ => None,
                };
                snap.sequences.insert(
                    key,
                    Sequence {
                        definition: r.try_get::<Option<String>, _>(13)?.unwrap_or_default(),
                        owned_by,
                        comment,
                        grants,
                    },
                );
            }
            _ => {
                put("partitioned by", r.try_get(7)?);
                put("partition of", r.try_get(8)?);
                put("inherits", r.try_get(9)?);
                let flag = |on: bool| on.then(|| "yes".to_owned());
                put("unlogged", flag(r.try_get(5)?));
                put("row security", flag(r.try_get(10)?));
                put("forced row security", flag(r.try_get(11)?));
                put("foreign", flag(kind == "f"));
                snap.tables.insert(
                    key,
                    Table {
                        options,
                        comment,
                        grants,
                        ..Table::default()
                    },
                );
            }
        }
    }
    Ok(())
}

async fn columns(
    conn: &mut sqlx::PgConnection,
    opts: &Options,
    snap: &mut Snapshot,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text,
                format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
                CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END,
                col_description(c.oid, a.attnum),
                ARRAY(SELECT x::text FROM unnest(a.attacl) x ORDER BY 1)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped
               AND {USER_SCHEMAS}
         ORDER BY 1, 2, a.attnum"
    );
    for r in rows(conn, sql).await? {
        let (schema, table, name): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if opts.skips(&name) {
            continue;
        }
        let Some(t) = snap.tables.get_mut(&qualify(&schema, &table)) else {
            continue;
        };
        let default: Option<String> = r.try_get(5)?;
        let (default, generated) = match r.try_get::<String, _>(7)?.as_str() {
            "s" => (None, default.map(|e| format!("stored {e}"))),
            // PostgreSQL 18
            "v" => (None, default.map(|e| format!("virtual {e}"))),
            _ => (default, None),
        };
        let identity = match r.try_get::<String, _>(6)?.as_str() {
            "a" => Some("always".to_owned()),
            "d" => Some("by default".to_owned()),
            _ => None,
        };
        t.column_order.push(name.clone());
        t.columns.insert(
            name,
            Column {
                data_type: r.try_get(3)?,
                nullable: !r.try_get::<bool, _>(4)?,
                default,
                identity,
                generated,
                charset: None,
                collation: r.try_get(8)?,
                extra: None,
                comment: r.try_get(9)?,
                grants: r.try_get(10)?,
            },
        );
    }
    Ok(())
}
