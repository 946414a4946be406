//! Tests of the token scan.

use super::*;
use crate::sql::ops::{
    BINARY_ATTRIBUTE, ColumnSpec, ConstraintKind, ConstraintSpec, IndexShape, ObjName, ObjectKind,
    Operation as Op, Volatility,
};

fn pg(sql: &str) -> Vec<Operation> {
    scan(Dialect::Postgres, sql)
}

fn t(name: &str) -> ObjName {
    ObjName::new(None, name)
}

#[test]
fn drop_index_concurrently_if_exists() {
    assert_eq!(
        pg("DROP INDEX CONCURRENTLY IF EXISTS idx"),
        vec![Op::DropIndex {
            names: vec![t("idx")],
            table: None,
            concurrently: true,
            if_exists: true,
        }]
    );
}

#[test]
fn reindex_concurrently() {
    assert_eq!(
        pg("REINDEX INDEX CONCURRENTLY i"),
        vec![Op::Reindex {
            target: Some(t("i")),
            concurrently: true,
        }]
    );
    assert_eq!(
        pg("REINDEX (VERBOSE) TABLE s.t"),
        vec![Op::Reindex {
            target: Some(ObjName::new(Some("s"), "t")),
            concurrently: false,
        }]
    );
    for (sql, concurrently) in [
        ("REINDEX (CONCURRENTLY) TABLE foo", true),
        ("REINDEX (VERBOSE, CONCURRENTLY true) TABLE foo", true),
        ("REINDEX (CONCURRENTLY false) TABLE foo", false),
        ("REINDEX (CONCURRENTLY off, VERBOSE) TABLE foo", false),
    ] {
        assert_eq!(
            pg(sql),
            vec![Op::Reindex {
                target: Some(t("foo")),
                concurrently,
            }],
            "{sql}"
        );
    }
    assert_eq!(
        pg("REINDEX SYSTEM mydb"),
        vec![Op::Other {
            kind: "REINDEX SYSTEM".into()
        }]
    );
}

#[test]
fn check_cut_before_its_expression() {
    // found by the `sql` and `lint` fuzz targets: the body was sliced past the tokens
    let check = |name: &str, check_expr: Option<&str>| Op::AddConstraint {
        table: t("storage_bonus"),
        constraint: ConstraintSpec {
            name: Some(name.into()),
            kind: ConstraintKind::Check,
            columns: Vec::new(),
            references: None,
            fk_clause: None,
            not_valid: false,
            using_index: None,
            check_expr: check_expr.map(str::to_owned),
        },
    };
    for d in [Dialect::Postgres, Dialect::Mysql] {
        assert_eq!(
            scan(
                d,
                "ALTER TABLE storage_bonus\n    ADD CONSTRAINT storage_bonus CHECK "
            ),
            vec![check("storage_bonus", None)]
        );
        assert_eq!(
            scan(d, "ALTER TABLE storage_bonus ADD CONSTRAINT c CHECK ("),
            vec![check("c", Some(""))]
        );
        assert_eq!(
            scan(d, "ALTER TABLE storage_bonus ADD CONSTRAINT c CHECK (a > 0"),
            vec![check("c", Some("a > 0"))]
        );
    }
}

#[test]
fn deferrable_unique_constraint() {
    assert_eq!(
        pg("ALTER TABLE t ADD CONSTRAINT c UNIQUE (a) DEFERRABLE INITIALLY DEFERRED"),
        vec![Op::AddConstraint {
            table: t("t"),
            constraint: ConstraintSpec {
                name: Some("c".into()),
                kind: ConstraintKind::Unique,
                columns: vec!["a".into()],
                references: None,
                fk_clause: None,
                not_valid: false,
                using_index: None,
                check_expr: None,
            },
        }]
    );
}

#[test]
fn mariadb_begin_not_atomic_is_not_a_transaction() {
    let my = |sql| scan(Dialect::Mysql, sql);
    assert_eq!(
        my("BEGIN NOT ATOMIC DECLARE i INT; SET i = 1; END"),
        vec![Op::Other {
            kind: "BEGIN".into()
        }]
    );
    assert_eq!(my("BEGIN"), vec![Op::Transaction(TxControl::Begin)]);
    assert_eq!(my("BEGIN WORK"), vec![Op::Transaction(TxControl::Begin)]);
    // a stored program's body holds no transaction control of the file
    let ops = my("CREATE PROCEDURE p() BEGIN START TRANSACTION; COMMIT; END");
    assert!(
        !ops.iter().any(|o| matches!(o, Op::Transaction(_))),
        "{ops:?}"
    );
}

#[test]
fn do_block_body_is_not_scanned() {
    let ops = pg("DO $$ begin alter table x drop column y; end $$");
    assert_eq!(ops, vec![Op::Other { kind: "DO".into() }]);
}

#[test]
fn alter_table_actions() {
    let ops = pg("ALTER TABLE IF EXISTS ONLY \"Foo\" \
         ADD COLUMN n int NOT NULL DEFAULT 0, \
         ADD COLUMN u uuid DEFAULT gen_random_uuid(), \
         ALTER COLUMN a SET DATA TYPE varchar(20) USING a::text, \
         ALTER b SET NOT NULL, ALTER COLUMN c DROP EXPRESSION, \
         RENAME x TO y, DROP CONSTRAINT IF EXISTS k, \
         ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES s.u (id) NOT VALID, \
         VALIDATE CONSTRAINT fk2, SET TABLESPACE fast, SET SCHEMA other");
    let foo = t("Foo");
    let add = |name: &str, ty: &str, not_null, default: &str, v| Op::AddColumn {
        table: foo.clone(),
        column: ColumnSpec {
            name: name.into(),
            data_type: ty.into(),
            not_null,
            default: Some(default.into()),
            default_volatility: Some(v),
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
        },
        if_not_exists: false,
    };
    assert_eq!(
        ops,
        vec![
            add("n", "INT", true, "0", Volatility::Immutable),
            add(
                "u",
                "UUID",
                false,
                "gen_random_uuid()",
                Volatility::Volatile
            ),
            Op::AlterColumnType {
                table: foo.clone(),
                column: "a".into(),
                new_type: "VARCHAR(20)".into(),
                using: Some("a::text".into()),
            },
            Op::SetNotNull {
                table: foo.clone(),
                column: "b".into(),
            },
            Op::DropExpression {
                table: foo.clone(),
                column: "c".into(),
            },
            Op::RenameColumn {
                table: foo.clone(),
                from: "x".into(),
                to: "y".into(),
            },
            Op::DropConstraint {
                table: foo.clone(),
                name: "k".into(),
                if_exists: true,
            },
            Op::AddConstraint {
                table: foo.clone(),
                constraint: ConstraintSpec {
                    name: Some("fk".into()),
                    kind: ConstraintKind::ForeignKey,
                    columns: vec!["a".into()],
                    references: Some(ObjName::new(Some("s"), "u")),
                    fk_clause: None,
                    not_valid: true,
                    using_index: None,
                    check_expr: None,
                },
            },
            Op::ValidateConstraint {
                table: foo.clone(),
                name: "fk2".into(),
            },
            Op::TableRewrite {
                table: Some(foo.clone()),
                kind: RewriteKind::SetTablespace,
            },
            Op::SetSchema {
                kind: ObjectKind::Table,
                name: foo,
                schema: "other".into(),
            },
        ]
    );
}

#[test]
fn create_index_variants() {
    assert_eq!(
        pg(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t USING btree (a, lower(b)) NULLS NOT DISTINCT"
        ),
        vec![Op::CreateIndex {
            name: Some("i".into()),
            table: ObjName::new(Some("s"), "t"),
            columns: vec!["a".into(), "lower(b)".into()],
            unique: true,
            concurrently: true,
            if_not_exists: true,
            fulltext_or_spatial: false,
            shape: IndexShape::Unknown,
            partial: false,
        }]
    );
    match scan(Dialect::Mysql, "CREATE FULLTEXT INDEX ft ON posts (body)").as_slice() {
        [
            Op::CreateIndex {
                fulltext_or_spatial: true,
                table,
                ..
            },
        ] => assert_eq!(table, &t("posts")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mysql_actions() {
    assert_eq!(
        scan(
            Dialect::Mysql,
            "ALTER TABLE `t` ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE"
        ),
        vec![
            Op::TableRewrite {
                table: Some(t("t")),
                kind: RewriteKind::Rebuild,
            },
            Op::AlterTableOptions {
                table: t("t"),
                algorithm: Some("INPLACE".into()),
                lock: Some("NONE".into()),
            },
        ]
    );
    assert_eq!(
        scan(
            Dialect::Mysql,
            "ALTER TABLE t CHANGE a b VARCHAR(10) NOT NULL"
        ),
        vec![
            Op::RenameColumn {
                table: t("t"),
                from: "a".into(),
                to: "b".into(),
            },
            Op::AlterColumnType {
                table: t("t"),
                column: "b".into(),
                new_type: "VARCHAR(10)".into(),
                using: None,
            },
            Op::RedefineColumn {
                table: t("t"),
                column: ColumnSpec {
                    name: "b".into(),
                    data_type: "VARCHAR(10)".into(),
                    not_null: true,
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
                },
            },
        ]
    );
}

#[test]
fn other_statements() {
    assert_eq!(
        pg("CREATE STATISTICS s (dependencies) ON a, b FROM t"),
        vec![Op::Other {
            kind: "CREATE STATISTICS".into()
        }]
    );
    assert_eq!(
        pg("VACUUM (FULL, ANALYZE) t"),
        vec![Op::TableRewrite {
            table: Some(t("t")),
            kind: RewriteKind::VacuumFull,
        }]
    );
    assert_eq!(pg("VACUUM (FULL FALSE) t"), vec![Op::Vacuum]);
    assert_eq!(
        pg("ALTER DOMAIN s.d ADD CONSTRAINT c CHECK (value > 0) NOT VALID"),
        vec![Op::DomainConstraint {
            domain: ObjName::new(Some("s"), "d"),
            create: false,
            not_valid: true,
        }]
    );
    assert_eq!(
        pg("CREATE DOMAIN d AS t CHECK (value > 0) NOT NULL"),
        vec![Op::DomainConstraint {
            domain: t("d"),
            create: true,
            not_valid: false,
        }]
    );
    for sql in [
        "ALTER DOMAIN d SET NOT NULL",
        "ALTER DOMAIN d VALIDATE CONSTRAINT c",
        "ALTER DOMAIN d DROP CONSTRAINT c",
        "CREATE DOMAIN d AS int DEFAULT 0 NULL COLLATE \"C\"",
    ] {
        assert!(
            !pg(sql)
                .iter()
                .any(|o| matches!(o, Op::DomainConstraint { .. })),
            "{sql}"
        );
    }
    assert_eq!(pg("VACUUM (ANALYZE, FULL off) t"), vec![Op::Vacuum]);
    assert_eq!(
        pg("CLUSTER t USING i"),
        vec![Op::TableRewrite {
            table: Some(t("t")),
            kind: RewriteKind::Cluster,
        }]
    );
    assert_eq!(
        pg("ALTER SEQUENCE s RENAME TO s2"),
        vec![Op::RenameObject {
            kind: ObjectKind::Sequence,
            from: t("s"),
            to: "s2".into(),
        }]
    );
}

#[test]
fn pg18_named_not_null_and_mysql_rename() {
    assert_eq!(
        pg("ALTER TABLE t ADD CONSTRAINT t_a_not_null NOT NULL a"),
        vec![Op::SetNotNull {
            table: t("t"),
            column: "a".into(),
        }]
    );
    assert_eq!(
        pg("ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a NOT VALID"),
        vec![Op::AddConstraint {
            table: t("t"),
            constraint: ConstraintSpec {
                name: Some("t_a_nn".into()),
                kind: ConstraintKind::NotNull,
                columns: vec!["a".into()],
                references: None,
                fk_clause: None,
                not_valid: true,
                using_index: None,
                check_expr: None,
            },
        }]
    );
    assert_eq!(
        scan(Dialect::Mysql, "ALTER TABLE a RENAME b"),
        vec![Op::RenameTable {
            from: t("a"),
            to: t("b"),
        }]
    );
    assert_eq!(
        scan(Dialect::Mysql, "END IF"),
        vec![Op::Other { kind: "END".into() }]
    );
}

#[test]
fn create_table_fallback() {
    let ops = pg(
        "CREATE TABLE IF NOT EXISTS s (a int REFERENCES comment ON UPDATE CASCADE, \
         b text NOT NULL DEFAULT 'x', PRIMARY KEY (a, b))",
    );
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
            assert_eq!(table, &t("s"));
            assert_eq!(columns.len(), 2);
            assert_eq!(columns[0].references, Some(t("comment")));
            assert!(columns[1].not_null);
            assert_eq!(columns[1].default.as_deref(), Some("'x'"));
            assert_eq!(constraints[0].kind, ConstraintKind::PrimaryKey);
            assert_eq!(constraints[0].columns, vec!["a", "b"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mysql_convert_to_names_its_charset() {
    let my = |sql| scan(Dialect::Mysql, sql);
    assert_eq!(
        my(
            "ALTER TABLE `a` ENGINE=InnoDB, CONVERT TO CHARACTER SET UTF8MB4 COLLATE utf8mb4_unicode_520_ci"
        ),
        vec![
            Operation::TableRewrite {
                table: Some(t("a")),
                kind: RewriteKind::Rebuild,
            },
            Operation::ConvertCharset {
                table: t("a"),
                charset: "utf8mb4".into(),
                collation: Some("utf8mb4_unicode_520_ci".into()),
            },
        ]
    );
    // the BINARY attribute of a text type is a collation, not part of the type
    match my("ALTER TABLE a MODIFY COLUMN code VARCHAR(32) BINARY NOT NULL").as_slice() {
        [
            Operation::AlterColumnType { new_type, .. },
            Operation::RedefineColumn { column, .. },
        ] => {
            assert_eq!(new_type, "VARCHAR(32)");
            assert_eq!(column.collation.as_deref(), Some(BINARY_ATTRIBUTE));
            assert!(column.not_null);
        }
        other => panic!("{other:?}"),
    }
    // an action the scan cannot type is said, not dropped
    assert_eq!(
        my("ALTER TABLE a ENGINE=InnoDB, SOMETHING NEW"),
        vec![
            Operation::TableRewrite {
                table: Some(t("a")),
                kind: RewriteKind::Rebuild,
            },
            Operation::Other {
                kind: "ALTER TABLE".into(),
            },
        ]
    );
    // no charset named: a rebuild, nothing known about the result
    assert_eq!(
        my("ALTER TABLE a CONVERT TO CHARACTER SET DEFAULT"),
        vec![Operation::TableRewrite {
            table: Some(t("a")),
            kind: RewriteKind::Rebuild,
        }]
    );
}

#[test]
fn never_panics_on_junk() {
    for sql in [
        "",
        ";",
        "ALTER",
        "ALTER TABLE",
        "ALTER TABLE t ADD",
        "ALTER TABLE t ADD CONSTRAINT",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (",
        "ALTER TABLE t ALTER COLUMN",
        "ALTER TABLE t CHANGE",
        "ALTER TABLE t ADD COLUMN a int AFTER",
        "CREATE INDEX ON",
        "DROP INDEX",
        "REINDEX",
        "'unterminated",
        "ALTER TABLE t RENAME CONSTRAINT",
        ")))(((",
    ] {
        let _ = pg(sql);
        let _ = scan(Dialect::Mysql, sql);
    }
}

#[test]
fn alter_constraint_timing() {
    let timing = |sql: &str| match pg(sql).as_slice() {
        [
            Op::AlterConstraint {
                table,
                name,
                deferrable,
                initially_deferred,
            },
        ] => Some((
            table.name.clone(),
            name.clone(),
            *deferrable,
            *initially_deferred,
        )),
        _ => None,
    };
    assert_eq!(
        timing(
            "ALTER TABLE comment_aggregates ALTER CONSTRAINT comment_aggregates_comment_id_fkey NOT DEFERRABLE"
        ),
        Some((
            "comment_aggregates".into(),
            "comment_aggregates_comment_id_fkey".into(),
            Some(false),
            None
        ))
    );
    assert_eq!(
        timing("alter table t alter constraint \"Fk\" deferrable initially deferred"),
        Some(("t".into(), "Fk".into(), Some(true), Some(true)))
    );
    assert_eq!(
        timing("ALTER TABLE t ALTER CONSTRAINT k INITIALLY IMMEDIATE"),
        Some(("t".into(), "k".into(), None, Some(false)))
    );
    // not typed: said as such
    for sql in [
        "ALTER TABLE t ALTER CONSTRAINT k NOT ENFORCED",
        "ALTER TABLE t ALTER CONSTRAINT k",
        "ALTER TABLE t ALTER CONSTRAINT k DEFERRABLE NO INHERIT",
    ] {
        let ops = pg(sql);
        assert!(
            ops.iter().any(|o| matches!(o, Op::Other { .. }))
                && !ops.iter().any(|o| matches!(o, Op::AlterConstraint { .. })),
            "{sql}: {ops:?}"
        );
    }
}
