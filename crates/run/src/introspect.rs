//! `migrate lint --schema-from`: read the schema of a live PostgreSQL database from
//! `pg_catalog` as plain data, the operations that would create it plus row estimates. The
//! CLI applies them to a fresh catalog; this module knows nothing of the catalog.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Connection;

use super::RunError;
use super::driver::TableStats;
use super::facts::{Size, rows_by_rule};
use super::url::DbUrl;
use sluice_core::catalog::{Catalog, Origin};
use sluice_core::sql::Dialect;
use sluice_core::sql::ops::{
    ColumnSpec, ConstraintKind, ConstraintSpec, Generated, IndexShape, ObjName,
};
use sluice_core::sql::quote;
use sluice_core::sql::{Operation, volatility};

/// A live schema: operations to apply in order, and what they cannot say.
#[derive(Debug, Clone, Default)]
pub struct SchemaSnapshot {
    /// Tables with their columns, then constraints (foreign keys last), then indexes.
    pub ops: Vec<Operation>,
    /// Indexes that are partial or invalid (the operations cannot say so).
    pub index_states: Vec<IndexState>,
    /// MySQL: each table's default charset and collation (lower case), which a `MODIFY`
    /// that names neither gives the column again.
    pub table_defaults: BTreeMap<ObjName, (String, String)>,
    /// Rows per table by the runner's one size rule (`facts::rows_by_rule`): the planner's
    /// estimate, a count of a small never-analyzed table, a guess for a large one.
    pub rows: BTreeMap<ObjName, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    pub table: ObjName,
    pub name: String,
    pub partial: bool,
    pub valid: bool,
}

/// Schemas that are the server's own.
pub(crate) const USER_SCHEMAS: &str = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";
/// The snapshot's schemas, bound as `$1` (NULL: all).
const IN_SCOPE: &str = "($1::text[] IS NULL OR n.nspname = ANY($1))";

/// Which PostgreSQL schemas a snapshot reads (MySQL / MariaDB: always the URL's database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every user schema (`migrate lint --schema-from`: the whole database).
    AllSchemas,
    /// The schemas of the connection's `search_path` (`current_schemas(false)`) and the ones
    /// given, those a change names explicitly. An unqualified name resolves on the
    /// `search_path` only, so the apply check of a schema-per-tenant target sees its own
    /// tables, not a neighbour's of the same name, and reads one tenant, not the fleet.
    SearchPathAnd(BTreeSet<String>),
}

/// Read the schema at `url` (PostgreSQL: the schemas of `scope`; MySQL / MariaDB: the URL's
/// database).
pub async fn snapshot(url: &DbUrl, scope: &Scope) -> Result<SchemaSnapshot, RunError> {
    let fail = |what: &str, e: sqlx::Error| {
        RunError::Db(format!("{what} {url}: {}", url.scrub(&e.to_string())))
    };
    match url.dialect() {
        Dialect::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url.secret())
                .await
                .map_err(|e| fail("cannot connect to", e))?;
            let out = read_pg(&mut conn, scope)
                .await
                .map_err(|e| fail("cannot read the schema of", e));
            let _ = conn.close().await;
            out
        }
        Dialect::Mysql => {
            let mut conn = sqlx::MySqlConnection::connect(url.secret())
                .await
                .map_err(|e| fail("cannot connect to", e))?;
            let out = read_mysql(&mut conn)
                .await
                .map_err(|e| fail("cannot read the schema of", e));
            let _ = conn.close().await;
            out
        }
    }
}

impl SchemaSnapshot {
    /// The schema as a lint catalog of existing objects (`Origin::History`).
    pub fn catalog(&self, dialect: Dialect) -> Catalog {
        let mut catalog = Catalog::new(dialect);
        catalog.set_origin(Origin::History);
        for op in &self.ops {
            catalog.apply(op);
        }
        for i in &self.index_states {
            catalog.set_index_state(&i.table, &i.name, i.partial, i.valid);
        }
        for (t, (charset, collation)) in &self.table_defaults {
            catalog.set_table_defaults(t, charset, collation);
        }
        catalog
    }

    /// The rows of live table `t` (as a statement names it), if it exists.
    pub fn rows_of(&self, t: &ObjName) -> Option<u64> {
        self.rows
            .iter()
            .filter(|(name, _)| name.matches(t) || t.matches(name))
            .map(|(_, n)| *n)
            .max()
    }
}

/// Read the connection's database (MySQL / MariaDB) from `information_schema`: tables and
/// columns, primary keys, foreign keys, indexes, and rows by the one size rule (InnoDB's
/// `TABLE_ROWS` estimate, `DATA_LENGTH` when there is none).
pub async fn read_mysql(conn: &mut sqlx::MySqlConnection) -> Result<SchemaSnapshot, sqlx::Error> {
    let mut snap = SchemaSnapshot::default();
    type TableRow = (String, Option<i64>, i64, Option<String>, Option<String>);
    let tables: Vec<TableRow> = sqlx::query_as(
        "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(t.TABLE_ROWS AS SIGNED),
                CAST(COALESCE(t.DATA_LENGTH, 0) AS SIGNED),
                CAST(c.CHARACTER_SET_NAME AS CHAR), CAST(t.TABLE_COLLATION AS CHAR)
         FROM information_schema.TABLES t
         LEFT JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c
                ON c.COLLATION_NAME = t.TABLE_COLLATION
         WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    type ColRow = (
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let cols: Vec<ColRow> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR),
                CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), CAST(EXTRA AS CHAR),
                CAST(CHARACTER_SET_NAME AS CHAR), CAST(COLLATION_NAME AS CHAR)
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut columns: BTreeMap<String, Vec<ColumnSpec>> = BTreeMap::new();
    for (table, name, data_type, nullable, default, extra, charset, collation) in cols {
        let extra = extra.to_ascii_lowercase();
        let generated = (extra.contains("generated") && !extra.contains("default_generated"))
            .then_some(Generated::Stored);
        // MariaDB reports a literal default quoted and NULL as the text NULL
        let default = default.filter(|d| d != "NULL" && generated.is_none());
        columns.entry(table).or_default().push(ColumnSpec {
            not_null: nullable == "NO",
            default_volatility: default.as_deref().map(volatility::of_expr),
            default,
            serial: extra.contains("auto_increment"),
            generated,
            charset: charset.map(|c| c.to_ascii_lowercase()),
            collation: collation.map(|c| c.to_ascii_lowercase()),
            ..ColumnSpec::new(name, data_type)
        });
    }
    for (name, estimate, bytes, charset, collation) in tables {
        let table = ObjName::new(None, &name);
        if let (Some(cs), Some(coll)) = (charset, collation) {
            snap.table_defaults.insert(
                table.clone(),
                (cs.to_ascii_lowercase(), coll.to_ascii_lowercase()),
            );
        }
        let stats = TableStats {
            estimate: estimate.and_then(|n| u64::try_from(n).ok()),
            bytes: u64::try_from(bytes).unwrap_or(0),
        };
        let n = match rows_by_rule(stats) {
            Size::Rows(n) => n,
            Size::Count => {
                let n: i64 = sqlx::query_scalar(&format!(
                    "SELECT CAST(COUNT(*) AS SIGNED) FROM {}",
                    quote::qualified(Dialect::Mysql, &table)
                ))
                .fetch_one(&mut *conn)
                .await?;
                u64::try_from(n).unwrap_or(0)
            }
        };
        snap.rows.insert(table.clone(), n);
        snap.ops.push(Operation::CreateTable {
            columns: columns.remove(&name).unwrap_or_default(),
            table,
            constraints: Vec::new(),
            if_not_exists: false,
            from_query: false,
        });
    }

    // key columns of primary keys and foreign keys, in key order
    type KeyRow = (String, String, String, Option<String>);
    let keys: Vec<KeyRow> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR),
                CAST(REFERENCED_TABLE_NAME AS CHAR)
         FROM information_schema.KEY_COLUMN_USAGE
         WHERE TABLE_SCHEMA = DATABASE()
               AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL)
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut cons: BTreeMap<(String, String), (Vec<String>, Option<String>)> = BTreeMap::new();
    for (table, name, column, referenced) in keys {
        let e = cons.entry((table, name)).or_default();
        e.0.push(column);
        e.1 = referenced;
    }
    // primary keys first, so foreign keys find them
    let mut ordered: Vec<_> = cons.into_iter().collect();
    ordered.sort_by_key(|((_, name), (_, r))| (r.is_some(), name != "PRIMARY"));
    for ((table, name), (columns, referenced)) in ordered {
        let kind = if referenced.is_some() {
            ConstraintKind::ForeignKey
        } else {
            ConstraintKind::PrimaryKey
        };
        snap.ops.push(Operation::AddConstraint {
            table: ObjName::new(None, &table),
            constraint: ConstraintSpec {
                name: (name != "PRIMARY").then_some(name),
                kind,
                columns,
                references: referenced.map(|t| ObjName::new(None, &t)),
                fk_clause: None,
                not_valid: false,
                using_index: None,
                check_expr: None,
            },
        });
    }

    type IdxRow = (String, String, i64, String);
    let idx: Vec<IdxRow> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS SIGNED),
                CAST(COALESCE(COLUMN_NAME, '') AS CHAR)
         FROM information_schema.STATISTICS
         WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY'
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut indexes: BTreeMap<(String, String), (bool, Vec<String>)> = BTreeMap::new();
    for (table, name, non_unique, column) in idx {
        let e = indexes.entry((table, name)).or_default();
        e.0 = non_unique == 0;
        e.1.push(column);
    }
    for ((table, name), (unique, columns)) in indexes {
        snap.ops.push(Operation::CreateIndex {
            name: Some(name),
            table: ObjName::new(None, &table),
            columns,
            unique,
            concurrently: false,
            if_not_exists: false,
            fulltext_or_spatial: false,
            shape: IndexShape::Columns,
            partial: false,
        });
    }
    Ok(snap)
}

/// Read the user schemas of `scope` over an open connection.
pub async fn read_pg(
    conn: &mut sqlx::PgConnection,
    scope: &Scope,
) -> Result<SchemaSnapshot, sqlx::Error> {
    let mut snap = SchemaSnapshot::default();
    // NULL: every user schema
    let schemas: Option<Vec<String>> = match scope {
        Scope::AllSchemas => None,
        Scope::SearchPathAnd(named) => {
            let path: Vec<String> = sqlx::query_scalar("SELECT current_schemas(false)::text[]")
                .fetch_one(&mut *conn)
                .await?;
            let mut all: BTreeSet<String> = named.clone();
            all.extend(path);
            Some(all.into_iter().collect())
        }
    };

    let tables: Vec<(String, String, f64, i64)> = sqlx::query_as(&format!(
        "SELECT n.nspname::text, c.relname::text, c.reltuples::float8,
                pg_relation_size(c.oid)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} AND {IN_SCOPE}
         ORDER BY 1, 2"
    ))
    .bind(&schemas)
    .fetch_all(&mut *conn)
    .await?;

    type ColRow = (
        String,
        String,
        String,
        String,
        bool,
        Option<String>,
        String,
        String,
    );
    let cols: Vec<ColRow> = sqlx::query_as(&format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text,
                format_type(a.atttypid, a.atttypmod),
                -- PostgreSQL 18: a NOT VALID NOT NULL constraint sets attnotnull, but only
                -- new rows are held to it (read as the constraint, below)
                a.attnotnull AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint k
                    WHERE k.conrelid = a.attrelid AND k.contype = 'n' AND NOT k.convalidated
                          AND k.conkey[1] = a.attnum),
                pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} AND {IN_SCOPE} AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 1, 2, a.attnum"
    ))
    .bind(&schemas)
    .fetch_all(&mut *conn)
    .await?;
    let mut columns: BTreeMap<(String, String), Vec<ColumnSpec>> = BTreeMap::new();
    for (schema, table, name, data_type, not_null, default, identity, generated) in cols {
        // a generated column's expression is in pg_attrdef like a default
        let (generated, default, generation) = if !identity.is_empty() {
            (Some(Generated::Identity), default, None)
        } else if generated == "s" {
            (Some(Generated::Stored), None, default)
        } else if generated == "v" {
            // PostgreSQL 18: computed on read
            (Some(Generated::Virtual), None, default)
        } else {
            (None, default, None)
        };
        let serial = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        columns
            .entry((schema, table))
            .or_default()
            .push(ColumnSpec {
                not_null,
                default_volatility: default.as_deref().map(volatility::of_expr),
                default,
                serial,
                generated,
                generation,
                ..ColumnSpec::new(name, data_type)
            });
    }

    for (schema, name, reltuples, bytes) in tables {
        let table = ObjName::new(Some(&schema), &name);
        let stats = TableStats {
            estimate: (reltuples >= 0.0).then(|| reltuples.round() as u64),
            bytes: u64::try_from(bytes).unwrap_or(0),
        };
        match rows_by_rule(stats) {
            Size::Rows(n) => {
                snap.rows.insert(table.clone(), n);
            }
            Size::Count => {
                let n: i64 = sqlx::query_scalar(&format!(
                    "SELECT count(*) FROM {}",
                    quote::qualified(Dialect::Postgres, &table)
                ))
                .fetch_one(&mut *conn)
                .await?;
                snap.rows
                    .insert(table.clone(), u64::try_from(n).unwrap_or(0));
            }
        }
        snap.ops.push(Operation::CreateTable {
            columns: columns.remove(&(schema, name)).unwrap_or_default(),
            table,
            constraints: Vec::new(),
            if_not_exists: false,
            from_query: false,
        });
    }

    type ConRow = (
        String,
        String,
        String,
        String,
        bool,
        Vec<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let cons: Vec<ConRow> = sqlx::query_as(&format!(
        "SELECT n.nspname::text, t.relname::text, c.conname::text, c.contype::text,
                c.convalidated,
                ARRAY(SELECT a.attname::text
                      FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                      ORDER BY k.n),
                pg_get_constraintdef(c.oid, true), fn.nspname::text, ft.relname::text
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         LEFT JOIN pg_class ft ON ft.oid = c.confrelid
         LEFT JOIN pg_namespace fn ON fn.oid = ft.relnamespace
         WHERE (c.contype IN ('p', 'u', 'x', 'c', 'f') OR (c.contype = 'n' AND NOT c.convalidated))
               AND t.relkind IN ('r', 'p') AND {USER_SCHEMAS} AND {IN_SCOPE}
         ORDER BY c.contype = 'f', 1, 2, 3"
    ))
    .bind(&schemas)
    .fetch_all(&mut *conn)
    .await?;
    for (schema, table, name, contype, validated, columns, def, fschema, ftable) in cons {
        let kind = match contype.as_str() {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "x" => ConstraintKind::Exclude,
            "c" => ConstraintKind::Check,
            "n" => ConstraintKind::NotNull,
            _ => ConstraintKind::ForeignKey,
        };
        let check_expr = (kind == ConstraintKind::Check).then(|| check_text(&def));
        snap.ops.push(Operation::AddConstraint {
            table: ObjName::new(Some(&schema), &table),
            constraint: ConstraintSpec {
                name: Some(name),
                kind,
                columns,
                references: ftable.map(|t| ObjName::new(fschema.as_deref(), &t)),
                // pg_get_constraintdef: `FOREIGN KEY (a) REFERENCES o(id) ON DELETE CASCADE`
                fk_clause: (kind == ConstraintKind::ForeignKey)
                    .then(|| {
                        sluice_core::sql::classify::references_clause(
                            def.strip_suffix(" NOT VALID").unwrap_or(&def),
                        )
                    })
                    .flatten(),
                not_valid: !validated,
                using_index: None,
                check_expr,
            },
        });
    }

    type IdxRow = (
        String,
        String,
        String,
        bool,
        bool,
        bool,
        Vec<String>,
        String,
    );
    let idx: Vec<IdxRow> = sqlx::query_as(&format!(
        "SELECT n.nspname::text, t.relname::text, i.relname::text, x.indisunique,
                x.indisvalid, x.indpred IS NOT NULL,
                ARRAY(SELECT COALESCE(a.attname::text, pg_get_indexdef(x.indexrelid, k.n::int, true))
                      FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                      LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                      WHERE k.n <= x.indnkeyatts
                      ORDER BY k.n),
                pg_get_indexdef(x.indexrelid)
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE t.relkind IN ('r', 'p') AND {USER_SCHEMAS} AND {IN_SCOPE}
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                               WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                                     AND c.contype IN ('p', 'u', 'x'))
         ORDER BY 1, 2, 3"
    ))
    .bind(&schemas)
    .fetch_all(&mut *conn)
    .await?;
    for (schema, table, name, unique, valid, partial, columns, def) in idx {
        let table = ObjName::new(Some(&schema), &table);
        if partial || !valid {
            snap.index_states.push(IndexState {
                table: table.clone(),
                name: name.clone(),
                partial,
                valid,
            });
        }
        snap.ops.push(Operation::CreateIndex {
            name: Some(name),
            table,
            columns,
            unique,
            concurrently: false,
            if_not_exists: false,
            fulltext_or_spatial: false,
            shape: pg_index_shape(&def),
            partial,
        });
    }
    Ok(snap)
}

/// The shape of an index from `pg_get_indexdef`, read as a migration's `CREATE INDEX` is.
fn pg_index_shape(def: &str) -> IndexShape {
    let ops = sluice_core::sql::parse(Dialect::Postgres, def)
        .ok()
        .and_then(|stmts| stmts.into_iter().next())
        .map(|stmt| sluice_core::sql::classify::classify(Dialect::Postgres, &stmt));
    ops.into_iter()
        .flatten()
        .find_map(|op| match op {
            Operation::CreateIndex { shape, .. } => Some(shape),
            _ => None,
        })
        .unwrap_or(IndexShape::Unknown)
}

/// `CHECK ((a > 0)) NOT VALID` -> `(a > 0)`.
fn check_text(def: &str) -> String {
    let t = def.trim();
    let t = t.strip_suffix("NOT VALID").unwrap_or(t).trim_end();
    let t = t.strip_suffix("NO INHERIT").unwrap_or(t).trim_end();
    t.strip_prefix("CHECK").unwrap_or(t).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::check_text;

    #[test]
    fn check_text_strips_the_keywords() {
        assert_eq!(check_text("CHECK ((a > 0)) NOT VALID"), "((a > 0))");
        assert_eq!(
            check_text("CHECK (email IS NOT NULL)"),
            "(email IS NOT NULL)"
        );
    }
}
