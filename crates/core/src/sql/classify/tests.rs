//! Tests of the classifier.

use super::*;
use crate::sql::ops::{
    ColumnSpec, ConstraintKind, ConstraintSpec, Generated, IndexShape, Operation as Op, Volatility,
};
use crate::sql::parse;

fn pg(sql: &str) -> Vec<Operation> {
    ops(Dialect::Postgres, sql)
}

fn my(sql: &str) -> Vec<Operation> {
    ops(Dialect::Mysql, sql)
}

fn ops(d: Dialect, sql: &str) -> Vec<Operation> {
    let stmts = parse(d, sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    stmts.iter().flat_map(|s| classify(d, s)).collect()
}

fn t(name: &str) -> ObjName {
    ObjName::new(None, name)
}

fn col(name: &str, ty: &str) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        data_type: ty.into(),
        not_null: false,
        default: None,
        default_volatility: None,
        serial: false,
        generated: None,
        primary_key: false,
        unique: false,
        references: None,
        fk_clause: None,
        fk_name: None,
        generation: None,
        check: false,
        position: None,
        charset: None,
        collation: None,
    }
}

fn added(sql: &str) -> ColumnSpec {
    match pg(sql).as_slice() {
        [Op::AddColumn { column, .. }] => column.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn add_column_not_null_with_constant_default() {
    assert_eq!(
        pg("ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT ''"),
        vec![Op::AddColumn {
            table: t("users"),
            column: ColumnSpec {
                not_null: true,
                default: Some("''".into()),
                default_volatility: Some(Volatility::Immutable),
                ..col("email", "TEXT")
            },
            if_not_exists: false,
        }]
    );
}

#[test]
fn add_column_default_volatility() {
    let c = added("ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid()");
    assert_eq!(c.default_volatility, Some(Volatility::Volatile));
    let c = added("ALTER TABLE t ADD COLUMN created_at timestamptz DEFAULT now()");
    assert_eq!(c.default_volatility, Some(Volatility::Stable));
    assert_eq!(c.default.as_deref(), Some("now()"));
}

#[test]
fn serial_identity_and_generated_columns() {
    let c = added("ALTER TABLE t ADD COLUMN n bigserial");
    assert!(c.serial);
    let c = added("ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS IDENTITY");
    assert_eq!(c.generated, Some(Generated::Identity));
    let c = added("ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS (a + 1) STORED");
    assert_eq!(c.generated, Some(Generated::Stored));
    let c = added("ALTER TABLE t ADD COLUMN n int PRIMARY KEY REFERENCES u (id) CHECK (n > 0)");
    assert!(c.primary_key && c.not_null && c.check);
    assert_eq!(c.references, Some(t("u")));
    match my("ALTER TABLE t ADD COLUMN id INT NOT NULL AUTO_INCREMENT FIRST").as_slice() {
        [Op::AddColumn { column, .. }] => {
            assert!(column.serial && column.not_null);
            assert_eq!(column.position.as_deref(), Some("FIRST"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn foreign_key_not_valid() {
    assert_eq!(
        pg("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u(id) NOT VALID"),
        vec![Op::AddConstraint {
            table: t("t"),
            constraint: ConstraintSpec {
                name: Some("fk".into()),
                kind: ConstraintKind::ForeignKey,
                columns: vec!["a".into()],
                references: Some(t("u")),
                fk_clause: Some("REFERENCES u(id)".into()),
                not_valid: true,
                using_index: None,
                check_expr: None,
            },
        }]
    );
}

#[test]
fn unique_using_index() {
    assert_eq!(
        pg("ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX idx"),
        vec![Op::AddConstraint {
            table: t("t"),
            constraint: ConstraintSpec {
                name: Some("u".into()),
                kind: ConstraintKind::Unique,
                columns: vec![],
                references: None,
                fk_clause: None,
                not_valid: false,
                using_index: Some("idx".into()),
                check_expr: None,
            },
        }]
    );
}

#[test]
fn check_constraint_keeps_expression() {
    match pg("ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID").as_slice() {
        [Op::AddConstraint { constraint, .. }] => {
            assert_eq!(constraint.kind, ConstraintKind::Check);
            assert_eq!(constraint.check_expr.as_deref(), Some("a IS NOT NULL"));
            assert!(constraint.not_valid);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn index_shapes() {
    let shape = |sql: &str| match pg(sql).as_slice() {
        [Op::CreateIndex { shape, partial, .. }] => (shape.clone(), *partial),
        other => panic!("{other:?}"),
    };
    let written = |t: &str| IndexShape::Written(t.into());
    assert_eq!(
        shape("CREATE INDEX i ON t USING btree (a, \"B\")"),
        (IndexShape::Columns, false)
    );
    assert_eq!(
        shape("CREATE INDEX i ON t USING brin (created_at) WITH (pages_per_range = 32)"),
        (
            written("USING BRIN (created_at) WITH (pages_per_range = 32)"),
            false
        )
    );
    assert_eq!(
        shape("CREATE UNIQUE INDEX i ON t (lower(email)) WHERE deleted_at IS NULL"),
        (written("(lower(email)) WHERE deleted_at IS NULL"), true)
    );
    assert_eq!(
        shape("CREATE INDEX i ON t (a DESC NULLS LAST, b text_pattern_ops) INCLUDE (c)"),
        (
            written("(a DESC NULLS LAST, b text_pattern_ops) INCLUDE (c)"),
            false
        )
    );
    assert_eq!(
        shape("CREATE INDEX i ON t USING gin (tags)"),
        (written("USING GIN (tags)"), false)
    );
}

#[test]
fn create_index_concurrently_quoted_names() {
    assert_eq!(
        pg(r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "Public"."T" (a)"#),
        vec![Op::CreateIndex {
            name: Some("i".into()),
            table: ObjName::new(Some("Public"), "T"),
            columns: vec!["a".into()],
            unique: false,
            concurrently: true,
            if_not_exists: true,
            fulltext_or_spatial: false,
            shape: IndexShape::Columns,
            partial: false,
        }]
    );
    match pg("CREATE UNIQUE INDEX Ix ON S.Users (lower(email))").as_slice() {
        [
            Op::CreateIndex {
                name,
                table,
                columns,
                unique: true,
                ..
            },
        ] => {
            assert_eq!(name.as_deref(), Some("ix"));
            assert_eq!(table, &ObjName::new(Some("s"), "users"));
            assert_eq!(columns, &vec!["lower(email)".to_string()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mysql_change_column_with_options() {
    assert_eq!(
        my("ALTER TABLE t CHANGE COLUMN a b INT, ALGORITHM=INPLACE, LOCK=NONE"),
        vec![
            Op::RenameColumn {
                table: t("t"),
                from: "a".into(),
                to: "b".into(),
            },
            Op::AlterColumnType {
                table: t("t"),
                column: "b".into(),
                new_type: "INT".into(),
                using: None,
            },
            Op::RedefineColumn {
                table: t("t"),
                column: col("b", "INT"),
            },
            Op::AlterTableOptions {
                table: t("t"),
                algorithm: Some("INPLACE".into()),
                lock: Some("NONE".into()),
            },
        ]
    );
    assert_eq!(
        my("ALTER TABLE t MODIFY COLUMN a BIGINT NOT NULL"),
        vec![
            Op::AlterColumnType {
                table: t("t"),
                column: "a".into(),
                new_type: "BIGINT".into(),
                using: None,
            },
            Op::RedefineColumn {
                table: t("t"),
                column: ColumnSpec {
                    not_null: true,
                    ..col("a", "BIGINT")
                },
            },
        ]
    );
    // the whole new definition: charset (also from a collation), default, position
    match my("ALTER TABLE t MODIFY a VARCHAR(20) COLLATE latin1_bin DEFAULT 'x' FIRST").as_slice() {
        [_, Op::RedefineColumn { column, .. }] => {
            assert_eq!(column.charset.as_deref(), Some("latin1"));
            assert_eq!(column.collation.as_deref(), Some("latin1_bin"));
            assert_eq!(column.default.as_deref(), Some("'x'"));
            assert_eq!(column.position.as_deref(), Some("FIRST"));
            assert!(!column.not_null);
        }
        other => panic!("{other:?}"),
    }
    match my("CREATE TABLE t (a VARCHAR(5) CHARACTER SET utf8mb3)").as_slice() {
        [Op::CreateTable { columns, .. }] => {
            assert_eq!(columns[0].charset.as_deref(), Some("utf8mb3"));
        }
        other => panic!("{other:?}"),
    }
    // CREATE INDEX carries its ALGORITHM / LOCK clauses
    assert_eq!(
        my("CREATE INDEX i ON t (a) ALGORITHM=INPLACE LOCK=NONE")[1],
        Op::AlterTableOptions {
            table: t("t"),
            algorithm: Some("INPLACE".into()),
            lock: Some("NONE".into()),
        }
    );
}

#[test]
fn mysql_table_charset() {
    let charset = |sql: &str| match parse(Dialect::Mysql, sql).expect("parses").as_slice() {
        [Statement::CreateTable(ct)] => table_charset(ct),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        charset("CREATE TABLE t (a INT) ENGINE=InnoDB DEFAULT CHARSET=latin1"),
        Some("latin1".into())
    );
    assert_eq!(
        charset("CREATE TABLE t (a INT) CHARACTER SET = utf8mb3"),
        Some("utf8mb3".into())
    );
    assert_eq!(
        charset("CREATE TABLE t (a INT) COLLATE=utf8mb4_bin"),
        Some("utf8mb4".into())
    );
    assert_eq!(charset("CREATE TABLE t (a INT) ENGINE=InnoDB"), None);
    let collation = |sql: &str| match parse(Dialect::Mysql, sql).expect("parses").as_slice() {
        [Statement::CreateTable(ct)] => table_collation(ct),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        collation("CREATE TABLE t (a INT) DEFAULT CHARSET=utf8mb4 COLLATE=UTF8MB4_BIN"),
        Some("utf8mb4_bin".into())
    );
    assert_eq!(
        collation("CREATE TABLE t (a INT) DEFAULT CHARSET=latin1"),
        None
    );
}

#[test]
fn mysql_rename_table_and_indexes() {
    assert_eq!(
        my("RENAME TABLE a TO b, c TO d"),
        vec![
            Op::RenameTable {
                from: t("a"),
                to: t("b"),
            },
            Op::RenameTable {
                from: t("c"),
                to: t("d"),
            },
        ]
    );
    assert_eq!(
        my("ALTER TABLE t ADD INDEX idx_a (a), DROP INDEX idx_b"),
        vec![
            Op::CreateIndex {
                name: Some("idx_a".into()),
                table: t("t"),
                columns: vec!["a".into()],
                unique: false,
                concurrently: false,
                if_not_exists: false,
                fulltext_or_spatial: false,
                shape: IndexShape::Columns,
                partial: false,
            },
            Op::DropIndex {
                names: vec![t("idx_b")],
                table: Some(t("t")),
                concurrently: false,
                if_exists: false,
            },
        ]
    );
    match my("ALTER TABLE t ADD FULLTEXT INDEX ft (body)").as_slice() {
        [
            Op::CreateIndex {
                fulltext_or_spatial: true,
                ..
            },
        ] => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn alter_column_actions() {
    let ops = pg(
        "ALTER TABLE ONLY public.t ALTER COLUMN a TYPE bigint USING a::bigint, \
         ALTER COLUMN b SET NOT NULL, ALTER COLUMN c DROP NOT NULL, \
         ALTER COLUMN d SET DEFAULT now(), ALTER COLUMN e DROP DEFAULT, \
         ALTER COLUMN f ADD GENERATED ALWAYS AS IDENTITY",
    );
    let tbl = ObjName::new(Some("public"), "t");
    assert_eq!(
        ops,
        vec![
            Op::AlterColumnType {
                table: tbl.clone(),
                column: "a".into(),
                new_type: "BIGINT".into(),
                using: Some("a::BIGINT".into()),
            },
            Op::SetNotNull {
                table: tbl.clone(),
                column: "b".into(),
            },
            Op::DropNotNull {
                table: tbl.clone(),
                column: "c".into(),
            },
            Op::SetDefault {
                table: tbl.clone(),
                column: "d".into(),
                default: "now()".into(),
                volatility: Volatility::Stable,
            },
            Op::DropDefault {
                table: tbl.clone(),
                column: "e".into(),
            },
            Op::AlterIdentity {
                table: tbl,
                column: "f".into(),
            },
        ]
    );
}

#[test]
fn renames_and_drops() {
    assert_eq!(
        pg("ALTER TABLE s.a RENAME TO b"),
        vec![Op::RenameTable {
            from: ObjName::new(Some("s"), "a"),
            to: ObjName::new(Some("s"), "b"),
        }]
    );
    assert_eq!(
        pg("ALTER TABLE t RENAME COLUMN a TO b"),
        vec![Op::RenameColumn {
            table: t("t"),
            from: "a".into(),
            to: "b".into(),
        }]
    );
    assert_eq!(
        pg("ALTER TABLE t RENAME CONSTRAINT a TO b"),
        vec![Op::RenameObject {
            kind: ObjectKind::Constraint,
            from: t("a"),
            to: "b".into(),
        }]
    );
    assert_eq!(
        pg("ALTER INDEX i RENAME TO j"),
        vec![Op::RenameObject {
            kind: ObjectKind::Index,
            from: t("i"),
            to: "j".into(),
        }]
    );
    assert_eq!(
        pg("ALTER TABLE t DROP COLUMN IF EXISTS a, DROP CONSTRAINT c"),
        vec![
            Op::DropColumn {
                table: t("t"),
                column: "a".into(),
                if_exists: true,
            },
            Op::DropConstraint {
                table: t("t"),
                name: "c".into(),
                if_exists: false,
            },
        ]
    );
    assert_eq!(
        pg("DROP TABLE IF EXISTS a, b CASCADE"),
        vec![Op::DropTable {
            tables: vec![t("a"), t("b")],
            if_exists: true,
            cascade: true,
        }]
    );
    assert_eq!(
        pg("DROP INDEX IF EXISTS i"),
        vec![Op::DropIndex {
            names: vec![t("i")],
            table: None,
            concurrently: false,
            if_exists: true,
        }]
    );
    assert_eq!(
        pg("DROP VIEW v"),
        vec![Op::DropObject {
            kind: ObjectKind::View,
            names: vec![t("v")],
            if_exists: false,
        }]
    );
}

#[test]
fn enum_types() {
    assert_eq!(
        pg("ALTER TYPE mood ADD VALUE 'meh'"),
        vec![Op::AddEnumValue {
            type_name: t("mood"),
            positioned: false,
        }]
    );
    assert_eq!(
        pg("CREATE DOMAIN posint AS int CHECK (VALUE > 0)"),
        vec![Op::DomainConstraint {
            domain: t("posint"),
            create: true,
            not_valid: false,
        }]
    );
    assert_eq!(
        pg("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok'"),
        vec![Op::AddEnumValue {
            type_name: t("mood"),
            positioned: true,
        }]
    );
    match pg("ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'").as_slice() {
        [
            Op::RenameObject {
                kind: ObjectKind::EnumValue,
                ..
            },
        ] => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn create_table() {
    let ops = pg("CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY, \
         name varchar(20) NOT NULL, CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id))");
    match ops.as_slice() {
        [
            Op::CreateTable {
                table,
                columns,
                constraints,
                if_not_exists: true,
                from_query: false,
            },
        ] => {
            assert_eq!(table, &t("t"));
            assert!(columns[0].serial && columns[0].primary_key);
            assert_eq!(columns[1].data_type, "VARCHAR(20)");
            assert!(columns[1].not_null);
            assert_eq!(constraints[0].kind, ConstraintKind::ForeignKey);
        }
        other => panic!("{other:?}"),
    }
    match pg("CREATE TABLE t2 AS SELECT * FROM t").as_slice() {
        [
            Op::CreateTable {
                from_query: true, ..
            },
        ] => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn transactions_and_settings() {
    assert_eq!(
        pg("BEGIN; SET LOCAL lock_timeout = '5s'; COMMIT"),
        vec![
            Op::Transaction(TxControl::Begin),
            Op::SetVariable {
                name: "lock_timeout".into(),
                value: "5s".into(),
                local: true,
            },
            Op::Transaction(TxControl::Commit),
        ]
    );
    assert_eq!(
        my("SET SESSION lock_wait_timeout = 5"),
        vec![Op::SetVariable {
            name: "lock_wait_timeout".into(),
            value: "5".into(),
            local: false,
        }]
    );
    assert_eq!(
        pg("START TRANSACTION; SAVEPOINT a; ROLLBACK TO SAVEPOINT a; ROLLBACK"),
        vec![
            Op::Transaction(TxControl::Begin),
            Op::Transaction(TxControl::Savepoint),
            Op::Transaction(TxControl::RollbackToSavepoint),
            Op::Transaction(TxControl::Rollback),
        ]
    );
}

#[test]
fn dml_and_maintenance() {
    assert_eq!(
        pg("UPDATE t SET a = 1; DELETE FROM u WHERE id = 1; INSERT INTO v VALUES (1)"),
        vec![
            Op::Update {
                table: t("t"),
                has_where: false,
            },
            Op::Delete {
                table: t("u"),
                has_where: true,
                bounded: false,
            },
            Op::Insert { table: t("v") },
        ]
    );
    assert_eq!(
        pg("TRUNCATE a, b CASCADE"),
        vec![Op::Truncate {
            tables: vec![t("a"), t("b")],
            cascade: true,
        }]
    );
    assert_eq!(
        pg("VACUUM FULL t; VACUUM t"),
        vec![
            Op::TableRewrite {
                table: Some(t("t")),
                kind: RewriteKind::VacuumFull,
            },
            Op::Vacuum,
        ]
    );
}

#[test]
fn alter_function_set_schema() {
    assert_eq!(
        pg("ALTER FUNCTION billing.total(bigint) SET SCHEMA invoicing"),
        vec![Op::SetSchema {
            kind: ObjectKind::Function,
            name: ObjName::new(Some("billing"), "total"),
            schema: "invoicing".into(),
        }]
    );
    assert_eq!(
        pg("ALTER FUNCTION total(bigint) OWNER TO admin"),
        vec![Op::Other {
            kind: "ALTER FUNCTION".into()
        }]
    );
}

#[test]
fn other_statements_are_named() {
    assert_eq!(
        pg("CREATE OR REPLACE VIEW v AS SELECT 1"),
        vec![Op::Other {
            kind: "CREATE VIEW".into()
        }]
    );
    assert_eq!(
        pg("COMMENT ON TABLE t IS 'x'"),
        vec![Op::Other {
            kind: "COMMENT".into()
        }]
    );
    assert_eq!(
        pg("GRANT SELECT ON t TO r"),
        vec![Op::Other {
            kind: "GRANT".into()
        }]
    );
}
fn batch(sql: &str) -> Option<bool> {
    let asts = parse(Dialect::Postgres, sql).expect("parses");
    bounded_batch(&asts[0])
}

#[test]
fn bounded_batches_need_a_key_range_or_list() {
    for sql in [
        "UPDATE users SET a = 1 WHERE id < 1000",
        "UPDATE users SET a = 1 WHERE id >= $1 AND id < $2 AND a IS NULL",
        "UPDATE users SET a = 1 WHERE a IS NULL AND (id BETWEEN 1 AND 1000)",
        "DELETE FROM users WHERE id IN (1, 2, 3)",
        "DELETE FROM users WHERE id = ANY (ARRAY[1, 2])",
        "DELETE FROM users WHERE created_at < now() - interval '30 days'",
        "DELETE FROM users WHERE id IN (SELECT id FROM users WHERE a IS NULL LIMIT 1000)",
        "UPDATE users SET a = 1 WHERE id < 10 OR id > 1000000",
    ] {
        assert_eq!(batch(sql), Some(true), "{sql}");
    }
    for sql in [
        "UPDATE users SET a = 1",
        "UPDATE users SET a = 1 WHERE status = 'new'",
        "UPDATE users SET a = 1 WHERE a IS NULL",
        "UPDATE users SET a = 1 WHERE id < 10 OR status = 'new'",
        "UPDATE users SET a = 1 WHERE id NOT IN (1, 2)",
        "UPDATE users SET a = 1 WHERE id < other_id",
        "DELETE FROM users WHERE id IN (SELECT user_id FROM bans)",
    ] {
        assert_eq!(batch(sql), Some(false), "{sql}");
    }
    assert_eq!(batch("SELECT 1"), None);
    let asts = parse(
        Dialect::Mysql,
        "DELETE FROM logs WHERE kind = 'debug' LIMIT 1000",
    )
    .expect("parses");
    assert_eq!(bounded_batch(&asts[0]), Some(true));
}
