//! MySQL / MariaDB: the snapshot of the connection's database from `information_schema`.
//! Every value is cast to text or a signed integer (sqlx decodes those the same on both).

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::mysql::MySqlRow;

use super::{
    Column, Constraint, Event, Index, Options, Routine, Schema, Sequence, Snapshot, Table, Trigger,
    View, nonempty,
};

async fn rows(conn: &mut sqlx::MySqlConnection, sql: &str) -> Result<Vec<MySqlRow>, sqlx::Error> {
    sqlx::query(sql).fetch_all(conn).await
}

fn text(r: &MySqlRow, i: usize) -> Result<String, sqlx::Error> {
    Ok(r.try_get::<Option<String>, _>(i)?.unwrap_or_default())
}

pub(super) async fn read(
    conn: &mut sqlx::MySqlConnection,
    opts: &Options,
) -> Result<Snapshot, sqlx::Error> {
    let mut snap = Snapshot::default();
    let db: String = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
        .fetch_one(&mut *conn)
        .await?;
    // views name their tables `db`.`t`: two databases of one schema must compare equal
    let unqualify = |s: String| s.replace(&format!("`{}`.", db.replace('`', "``")), "");

    for r in rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR), CAST(ENGINE AS CHAR),
                CAST(TABLE_COLLATION AS CHAR), CAST(TABLE_COMMENT AS CHAR),
                CAST(CREATE_OPTIONS AS CHAR)
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1",
    )
    .await?
    {
        let name = text(&r, 0)?;
        if opts.skips(&name) {
            continue;
        }
        match text(&r, 1)?.as_str() {
            "VIEW" => {}
            "SEQUENCE" => {
                snap.sequences.insert(name, Sequence::default());
            }
            _ => {
                let mut options = BTreeMap::new();
                for (k, i) in [("engine", 2), ("collation", 3), ("create options", 5)] {
                    if let Some(v) = nonempty(r.try_get(i)?) {
                        options.insert(k.to_owned(), v);
                    }
                }
                snap.tables.insert(
                    name,
                    Table {
                        options,
                        comment: nonempty(r.try_get(4)?),
                        ..Table::default()
                    },
                );
            }
        }
    }

    for r in rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR),
                CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), CAST(EXTRA AS CHAR),
                CAST(GENERATION_EXPRESSION AS CHAR), CAST(CHARACTER_SET_NAME AS CHAR),
                CAST(COLLATION_NAME AS CHAR), CAST(COLUMN_COMMENT AS CHAR)
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .await?
    {
        let (table, name) = (text(&r, 0)?, text(&r, 1)?);
        if opts.skips(&name) {
            continue;
        }
        let Some(t) = snap.tables.get_mut(&table) else {
            continue;
        };
        // EXTRA: auto_increment, on update ..., VIRTUAL/STORED GENERATED, INVISIBLE
        let mut extra = text(&r, 5)?.to_ascii_lowercase();
        let identity = extra
            .contains("auto_increment")
            .then(|| "auto_increment".to_owned());
        for known in [
            "auto_increment",
            "virtual generated",
            "stored generated",
            "persistent generated",
            "default_generated",
        ] {
            extra = extra.replace(known, "");
        }
        let generated = nonempty(r.try_get(6)?).map(|e| {
            let raw = text(&r, 5).unwrap_or_default().to_ascii_lowercase();
            let kind = if raw.contains("stored") || raw.contains("persistent") {
                "stored"
            } else {
                "virtual"
            };
            format!("{kind} {e}")
        });
        let rest = extra.split_whitespace().collect::<Vec<_>>().join(" ");
        t.column_order.push(name.clone());
        t.columns.insert(
            name,
            Column {
                data_type: text(&r, 2)?,
                nullable: text(&r, 3)? == "YES",
                default: if generated.is_some() {
                    None
                } else {
                    r.try_get(4)?
                },
                identity,
                generated,
                charset: r.try_get(7)?,
                collation: r.try_get(8)?,
                extra: nonempty(Some(rest)),
                comment: nonempty(r.try_get(9)?),
                grants: Vec::new(),
            },
        );
    }

    indexes(conn, opts, &mut snap).await?;
    constraints(conn, opts, &mut snap).await?;

    for r in rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(VIEW_DEFINITION AS CHAR),
                CAST(CHECK_OPTION AS CHAR), CAST(SECURITY_TYPE AS CHAR)
         FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1",
    )
    .await?
    {
        let name = text(&r, 0)?;
        if opts.skips(&name) {
            continue;
        }
        let mut options = BTreeMap::new();
        options.insert("check option".to_owned(), text(&r, 2)?);
        options.insert("security".to_owned(), text(&r, 3)?);
        snap.views.insert(
            name,
            View {
                materialized: false,
                definition: unqualify(text(&r, 1)?),
                options,
                comment: None,
                grants: Vec::new(),
            },
        );
    }

    for r in rows(
        conn,
        "SELECT CAST(r.ROUTINE_NAME AS CHAR), CAST(r.ROUTINE_TYPE AS CHAR),
                CAST(CONCAT('(', COALESCE((SELECT GROUP_CONCAT(
                        TRIM(CONCAT(COALESCE(p.PARAMETER_MODE, ''), ' ', p.PARAMETER_NAME, ' ',
                                    p.DTD_IDENTIFIER))
                        ORDER BY p.ORDINAL_POSITION SEPARATOR ', ')
                     FROM information_schema.PARAMETERS p
                     WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.ROUTINE_NAME
                           AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0), ''),
                    ')',
                    IF(r.ROUTINE_TYPE = 'FUNCTION', CONCAT(' RETURNS ', r.DTD_IDENTIFIER), ''),
                    IF(r.IS_DETERMINISTIC = 'YES', ' DETERMINISTIC', ''),
                    ' ', r.SQL_DATA_ACCESS, ' SQL SECURITY ', r.SECURITY_TYPE, '\n',
                    r.ROUTINE_DEFINITION) AS CHAR),
                CAST(r.ROUTINE_COMMENT AS CHAR)
         FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = DATABASE() ORDER BY 1, 2",
    )
    .await?
    {
        let name = text(&r, 0)?;
        if opts.skips(&name) {
            continue;
        }
        let kind = text(&r, 1)?.to_ascii_lowercase();
        snap.routines.insert(
            format!("{kind} {name}"),
            Routine {
                kind,
                definition: text(&r, 2)?,
                comment: nonempty(r.try_get(3)?),
                grants: Vec::new(),
            },
        );
    }

    for r in rows(
        conn,
        "SELECT CAST(TRIGGER_NAME AS CHAR), CAST(EVENT_OBJECT_TABLE AS CHAR),
                CAST(CONCAT(ACTION_TIMING, ' ', EVENT_MANIPULATION, ' ORDER ', ACTION_ORDER, '\n',
                            ACTION_STATEMENT) AS CHAR)
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 2, 1",
    )
    .await?
    {
        let (name, table) = (text(&r, 0)?, text(&r, 1)?);
        if opts.skips(&table) || opts.skips(&name) {
            continue;
        }
        snap.triggers.insert(
            format!("{table}.{name}"),
            Trigger {
                table,
                definition: text(&r, 2)?,
                enabled: "enabled".to_owned(),
                comment: None,
            },
        );
    }

    // the start and end of a schedule are the creation time: not compared
    for r in rows(
        conn,
        "SELECT CAST(EVENT_NAME AS CHAR),
                CAST(CONCAT(IF(EVENT_TYPE = 'RECURRING',
                               CONCAT('EVERY ', INTERVAL_VALUE, ' ', INTERVAL_FIELD), 'AT'),
                            ' ON COMPLETION ', ON_COMPLETION, ' ', STATUS) AS CHAR),
                CAST(EVENT_DEFINITION AS CHAR), CAST(EVENT_COMMENT AS CHAR)
         FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY 1",
    )
    .await?
    {
        let name = text(&r, 0)?;
        if opts.skips(&name) {
            continue;
        }
        snap.events.insert(
            name,
            Event {
                schedule: text(&r, 1)?,
                definition: text(&r, 2)?,
                comment: nonempty(r.try_get(3)?),
            },
        );
    }

    grants(conn, opts, &mut snap).await?;
    Ok(snap)
}

/// `information_schema.STATISTICS`, one row per indexed column: indexes as
/// `UNIQUE BTREE (a, b(10) DESC)`; `PRIMARY` is the primary-key constraint.
async fn indexes(
    conn: &mut sqlx::MySqlConnection,
    opts: &Options,
    snap: &mut Snapshot,
) -> Result<(), sqlx::Error> {
    #[derive(Default)]
    struct Parts {
        unique: bool,
        kind: String,
        comment: String,
        columns: Vec<String>,
    }
    let mut parts: BTreeMap<(String, String), Parts> = BTreeMap::new();
    for r in rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR),
                CAST(NON_UNIQUE AS SIGNED), CAST(COLUMN_NAME AS CHAR), CAST(SUB_PART AS SIGNED),
                CAST(INDEX_TYPE AS CHAR), CAST(COLLATION AS CHAR), CAST(INDEX_COMMENT AS CHAR)
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .await?
    {
        let (table, name) = (text(&r, 0)?, text(&r, 1)?);
        if opts.skips(&table) || opts.skips(&name) || !snap.tables.contains_key(&table) {
            continue;
        }
        let mut col = format!("`{}`", text(&r, 3)?);
        if let Some(n) = r.try_get::<Option<i64>, _>(4)? {
            col.push_str(&format!("({n})"));
        }
        if text(&r, 6)? == "D" {
            col.push_str(" DESC");
        }
        let e = parts.entry((table, name)).or_default();
        e.unique = r.try_get::<i64, _>(2)? == 0;
        e.kind = text(&r, 5)?;
        e.comment = text(&r, 7)?;
        e.columns.push(col);
    }
    for ((table, name), p) in parts {
        let Parts {
            unique,
            kind,
            comment,
            columns,
        } = p;
        let columns = columns.join(", ");
        if name == "PRIMARY" {
            if let Some(t) = snap.tables.get_mut(&table) {
                t.constraints.insert(
                    name,
                    Constraint {
                        kind: "primary key".to_owned(),
                        definition: format!("PRIMARY KEY ({columns})"),
                        valid: true,
                        comment: None,
                    },
                );
            }
            continue;
        }
        let unique_kw = if unique { "UNIQUE " } else { "" };
        snap.indexes.insert(
            format!("{table}.{name}"),
            Index {
                table,
                definition: format!("{unique_kw}{kind} ({columns})"),
                unique,
                valid: true,
                comment: nonempty(Some(comment)),
            },
        );
    }
    Ok(())
}

/// Foreign keys and CHECK constraints.
async fn constraints(
    conn: &mut sqlx::MySqlConnection,
    opts: &Options,
    snap: &mut Snapshot,
) -> Result<(), sqlx::Error> {
    for r in rows(
        conn,
        "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR),
                CAST(CONCAT('FOREIGN KEY (',
                    GROUP_CONCAT(CONCAT('`', k.COLUMN_NAME, '`') ORDER BY k.ORDINAL_POSITION SEPARATOR ', '),
                    ') REFERENCES ',
                    IF(k.REFERENCED_TABLE_SCHEMA = DATABASE(), '',
                       CONCAT('`', k.REFERENCED_TABLE_SCHEMA, '`.')),
                    '`', k.REFERENCED_TABLE_NAME, '` (',
                    GROUP_CONCAT(CONCAT('`', k.REFERENCED_COLUMN_NAME, '`') ORDER BY k.ORDINAL_POSITION SEPARATOR ', '),
                    ') ON UPDATE ', MAX(c.UPDATE_RULE), ' ON DELETE ', MAX(c.DELETE_RULE)) AS CHAR)
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS c
           ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME
              AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
         GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME
         ORDER BY 1, 2",
    )
    .await?
    {
        add_constraint(snap, opts, &r, "foreign key")?;
    }
    // MariaDB names a CHECK per table (its view has TABLE_NAME); MySQL 8 per schema
    let checks = match rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR),
                CAST(CONCAT('CHECK (', CHECK_CLAUSE, ')') AS CHAR)
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
         ORDER BY 1, 2",
    )
    .await
    {
        Ok(r) => r,
        Err(_) => {
            rows(
                conn,
                "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(c.CONSTRAINT_NAME AS CHAR),
                        CAST(CONCAT('CHECK (', c.CHECK_CLAUSE, ')') AS CHAR)
                 FROM information_schema.CHECK_CONSTRAINTS c
                 JOIN information_schema.TABLE_CONSTRAINTS t
                   ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA
                      AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND t.CONSTRAINT_TYPE = 'CHECK'
                 WHERE c.CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2",
            )
            .await?
        }
    };
    for r in checks {
        add_constraint(snap, opts, &r, "check")?;
    }
    Ok(())
}

fn add_constraint(
    snap: &mut Snapshot,
    opts: &Options,
    r: &MySqlRow,
    kind: &str,
) -> Result<(), sqlx::Error> {
    let (table, name) = (text(r, 0)?, text(r, 1)?);
    if opts.skips(&name) {
        return Ok(());
    }
    if let Some(t) = snap.tables.get_mut(&table) {
        t.constraints.insert(
            name,
            Constraint {
                kind: kind.to_owned(),
                definition: text(r, 2)?,
                valid: true,
                comment: None,
            },
        );
    }
    Ok(())
}

/// Privileges granted on the database, its tables and their columns.
async fn grants(
    conn: &mut sqlx::MySqlConnection,
    opts: &Options,
    snap: &mut Snapshot,
) -> Result<(), sqlx::Error> {
    let mut schema = Vec::new();
    for r in rows(
        conn,
        "SELECT 's', '', '', CAST(GRANTEE AS CHAR), CAST(PRIVILEGE_TYPE AS CHAR), CAST(IS_GRANTABLE AS CHAR)
         FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()
         UNION ALL
         SELECT 't', CAST(TABLE_NAME AS CHAR), '', CAST(GRANTEE AS CHAR), CAST(PRIVILEGE_TYPE AS CHAR), CAST(IS_GRANTABLE AS CHAR)
         FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()
         UNION ALL
         SELECT 'c', CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(GRANTEE AS CHAR), CAST(PRIVILEGE_TYPE AS CHAR), CAST(IS_GRANTABLE AS CHAR)
         FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()
         ORDER BY 1, 2, 3, 4, 5",
    )
    .await?
    {
        let grant = format!(
            "{} {}{}",
            text(&r, 3)?,
            text(&r, 4)?,
            if text(&r, 5)? == "YES" {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        );
        let (table, column) = (text(&r, 1)?, text(&r, 2)?);
        if opts.skips(&table) {
            continue;
        }
        match text(&r, 0)?.as_str() {
            "s" => schema.push(grant),
            kind => {
                let Some(t) = snap.tables.get_mut(&table) else {
                    continue;
                };
                if kind == "t" {
                    t.grants.push(grant);
                } else if let Some(c) = t.columns.get_mut(&column) {
                    c.grants.push(grant);
                }
            }
        }
    }
    if !schema.is_empty() {
        snap.schemas.insert(
            "database".to_owned(),
            Schema {
                comment: None,
                grants: schema,
            },
        );
    }
    Ok(())
}
