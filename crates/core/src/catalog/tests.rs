use super::edit::{retarget_fk, retime_fk};
use super::*;
use crate::sql::{self, Dialect, Operation};

fn replay(sql_text: &str) -> Catalog {
    let mut c = Catalog::new(Dialect::Postgres);
    run(&mut c, sql_text);
    c
}

fn run(c: &mut Catalog, sql_text: &str) {
    for stmt in sql_text.split(';').filter(|s| !s.trim().is_empty()) {
        if let Ok(asts) = sql::parse(Dialect::Postgres, stmt) {
            let ops: Vec<_> = asts
                .iter()
                .flat_map(|a| sql::classify::classify(Dialect::Postgres, a))
                .collect();
            c.apply_statement(Some(&asts), &ops, false);
        } else {
            let ops = sql::tokscan::scan(Dialect::Postgres, stmt);
            c.apply_statement(None, &ops, true);
        }
    }
}

fn t(n: &str) -> ObjName {
    ObjName::new(None, n)
}

#[test]
fn create_table_columns_constraints_and_indexes() {
    let c = replay(
        "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50) NOT NULL UNIQUE, \
         org_id int REFERENCES orgs(id), n numeric(10,2) DEFAULT 0, \
         CONSTRAINT n_pos CHECK (n > 0))",
    );
    let u = c.table(&t("users")).expect("users");
    assert_eq!(u.name.schema.as_deref(), Some("public"));
    assert!(c.table(&ObjName::new(Some("public"), "users")).is_some());
    assert_eq!(u.columns.len(), 4);
    assert!(u.column("id").unwrap().not_null);
    assert_eq!(
        u.column("email").unwrap().sql_type().to_string(),
        "varchar(50)"
    );
    assert_eq!(u.column("n").unwrap().default.as_deref(), Some("0"));
    assert!(u.constraint("n_pos").is_some_and(|k| k.validated));
    assert_eq!(c.indexes_on(&t("users")).len(), 2);
    assert_eq!(c.covering_indexes(&t("users"), &["email".into()]).len(), 1);
    assert!(
        c.covering_indexes(&t("users"), &["org_id".into()])
            .is_empty()
    );
    assert!(
        u.constraints
            .iter()
            .any(|k| k.kind == ConstraintKind::ForeignKey && k.columns == ["org_id"])
    );
    assert_eq!(u.origin, Origin::History);
}

#[test]
fn columns_add_drop_rename_type_null_default() {
    let mut c = replay("CREATE TABLE t (a int, b text)");
    run(
        &mut c,
        "ALTER TABLE t ADD COLUMN c varchar(10) DEFAULT random()::text;\
         ALTER TABLE t ALTER COLUMN c TYPE varchar(20);\
         ALTER TABLE t ALTER COLUMN a SET NOT NULL;\
         ALTER TABLE t ALTER COLUMN c DROP DEFAULT;\
         ALTER TABLE t ALTER COLUMN b SET DEFAULT 'x';\
         ALTER TABLE t RENAME COLUMN b TO bb;\
         ALTER TABLE t DROP COLUMN a",
    );
    let tb = c.table(&t("t")).unwrap();
    let names: Vec<_> = tb.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["bb", "c"]);
    assert_eq!(tb.column("c").unwrap().data_type, "VARCHAR(20)");
    assert!(tb.column("c").unwrap().default.is_none());
    assert_eq!(tb.column("bb").unwrap().default.as_deref(), Some("'x'"));
    run(&mut c, "ALTER TABLE t ALTER COLUMN bb SET NOT NULL");
    assert_eq!(c.not_null_proof(&t("t"), "bb"), NotNullProof::NotNull);
    run(&mut c, "ALTER TABLE t ALTER COLUMN bb DROP NOT NULL");
    assert_eq!(c.not_null_proof(&t("t"), "bb"), NotNullProof::None);
}

#[test]
fn not_null_proofs_from_checks() {
    let mut c = replay("CREATE TABLE t (a int)");
    run(
        &mut c,
        "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID",
    );
    assert_eq!(c.not_null_proof(&t("t"), "a"), NotNullProof::NotValidCheck);
    run(&mut c, "ALTER TABLE t VALIDATE CONSTRAINT a_nn");
    assert_eq!(c.not_null_proof(&t("t"), "a"), NotNullProof::ValidatedCheck);
    run(&mut c, "ALTER TABLE t DROP CONSTRAINT a_nn");
    assert_eq!(c.not_null_proof(&t("t"), "a"), NotNullProof::None);
    assert!(is_not_null_check("(\"a\" IS NOT NULL) AND (b > 0)", "a"));
    assert!(!is_not_null_check("a IS NULL", "a"));
}

#[test]
fn tables_rename_drop_and_schemas() {
    let mut c =
        replay("CREATE SCHEMA app; CREATE TABLE app.t (a int); CREATE INDEX t_a ON app.t (a)");
    assert!(c.has_schema("app"));
    run(&mut c, "ALTER TABLE app.t RENAME TO u");
    assert!(c.table(&ObjName::new(Some("app"), "u")).is_some());
    assert!(c.table(&ObjName::new(Some("app"), "t")).is_none());
    assert_eq!(c.indexes_on(&ObjName::new(Some("app"), "u")).len(), 1);
    run(&mut c, "ALTER INDEX app.t_a RENAME TO u_a");
    assert!(c.index(&ObjName::new(Some("app"), "u_a")).is_some());
    run(&mut c, "DROP INDEX app.u_a");
    assert!(c.indexes_on(&ObjName::new(Some("app"), "u")).is_empty());
    run(&mut c, "DROP TABLE app.u");
    assert!(c.tables().next().is_none());
    run(&mut c, "CREATE TABLE x (a int); DROP SCHEMA public CASCADE");
    assert!(c.table(&t("x")).is_none());
}

#[test]
fn indexes_unique_partial_and_constraints_using_index() {
    let mut c = replay("CREATE TABLE t (a int, b int)");
    run(
        &mut c,
        "CREATE UNIQUE INDEX CONCURRENTLY t_a_uq ON t (a) WHERE b > 0;\
         CREATE INDEX t_ab ON t (a, b);\
         ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_ab",
    );
    let partial = c.index(&t("t_a_uq")).unwrap();
    assert!(partial.unique && partial.partial);
    let tb = c.table(&t("t")).unwrap();
    assert_eq!(tb.constraint("t_a_key").unwrap().columns, ["a", "b"]);
    assert!(
        c.index(&t("t_a_key")).is_some(),
        "index renamed to the constraint"
    );
    assert_eq!(
        c.covering_indexes(&t("t"), &["b".into(), "a".into()]).len(),
        1
    );
    assert!(c.covering_indexes(&t("t"), &["b".into()]).is_empty());
    run(&mut c, "ALTER TABLE t DROP CONSTRAINT t_a_key");
    assert!(c.index(&t("t_a_key")).is_none());
    run(&mut c, "ALTER TABLE t DROP COLUMN a");
    assert!(
        c.index(&t("t_a_uq")).is_none(),
        "dropping a column drops its indexes"
    );
}

#[test]
fn views_sequences_enums() {
    let mut c = replay(
        "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE SEQUENCE s; CREATE VIEW v AS SELECT 1",
    );
    assert_eq!(c.enum_labels(&t("mood")).unwrap(), ["sad", "ok"]);
    assert!(c.has_sequence(&t("s")) && c.has_view(&t("v")));
    run(&mut c, "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'");
    assert_eq!(c.enum_labels(&t("mood")).unwrap(), ["sad", "fine"]);
    run(&mut c, "DROP VIEW v; DROP SEQUENCE s; DROP TYPE mood");
    assert!(!c.has_sequence(&t("s")) && !c.has_view(&t("v")));
    assert!(c.enum_labels(&t("mood")).is_none());
}

#[test]
fn origins_and_uncertainty() {
    let mut c = replay("CREATE TABLE old (a int)");
    c.set_origin(Origin::ChangeSet);
    run(&mut c, "CREATE TABLE fresh (a int)");
    assert!(!c.is_new_table(&t("old")));
    assert!(c.is_new_table(&t("fresh")));
    assert!(!c.is_new_table(&t("unknown")));
    run(&mut c, "ALTER TABLE old RENAME TO old2");
    assert!(!c.is_new_table(&t("old2")));
    assert!(!c.table(&t("old2")).unwrap().uncertain);
    // token-scanned statements mark what they touch
    c.apply_statement(
        None,
        &[Operation::DropColumn {
            table: t("old2"),
            column: "zz".into(),
            if_exists: false,
        }],
        true,
    );
    assert!(c.table(&t("old2")).unwrap().uncertain);
}

#[test]
fn search_path_and_unknown_objects_never_fail() {
    let mut c = replay("SET search_path = app, public; CREATE TABLE t (a int)");
    assert_eq!(
        c.table(&t("t")).unwrap().name.schema.as_deref(),
        Some("app")
    );
    run(
        &mut c,
        "DROP TABLE nope2; ALTER TABLE nope DROP COLUMN x;\
         ALTER TABLE nope ALTER COLUMN x TYPE int; DROP INDEX nope_idx; ALTER TABLE nope RENAME TO z",
    );
    assert_eq!(c.tables().count(), 1);
    // altering an unknown table proves it exists: a stub of the history
    c.set_origin(Origin::ChangeSet);
    run(&mut c, "ALTER TABLE stub ADD COLUMN x int");
    let stub = c.table(&t("stub")).unwrap();
    assert!(stub.stub && stub.origin == Origin::History && stub.column("x").is_some());
    assert!(!c.is_new_table(&t("stub")));
}

#[test]
fn mysql_indexes_are_per_table() {
    let mut c = Catalog::new(Dialect::Mysql);
    for stmt in [
        "CREATE TABLE a (x int, KEY ix (x))",
        "CREATE TABLE b (x int)",
        "CREATE INDEX ix ON b (x)",
        "DROP INDEX ix ON a",
    ] {
        let asts = sql::parse(Dialect::Mysql, stmt).unwrap();
        let ops: Vec<_> = asts
            .iter()
            .flat_map(|a| sql::classify::classify(Dialect::Mysql, a))
            .collect();
        c.apply_statement(Some(&asts), &ops, false);
    }
    assert!(c.indexes_on(&t("a")).is_empty());
    assert_eq!(c.indexes_on(&t("b")).len(), 1);
    let asts = sql::parse(Dialect::Mysql, "CREATE TABLE d (x int, KEY d_x (x))").unwrap();
    c.apply_statement(Some(&asts), &[], false);
    assert!(
        c.indexes_on(&t("d")).is_empty(),
        "no table from an empty op list"
    );
}

#[test]
fn a_rename_rewrites_the_written_keys_of_an_index() {
    use crate::sql::ops::IndexShape;
    let mut c = replay("CREATE TABLE t (a int, b text, deleted_at timestamptz)");
    run(
        &mut c,
        "CREATE INDEX t_lower_b ON t (lower(b)) WHERE deleted_at IS NULL;\
         CREATE INDEX t_a ON t (a);\
         ALTER TABLE t RENAME COLUMN b TO body",
    );
    let i = c.index(&t("t_lower_b")).unwrap();
    assert_eq!(
        i.shape,
        IndexShape::Written(r#"(lower("body")) WHERE deleted_at IS NULL"#.into())
    );
    assert_eq!(c.index(&t("t_a")).unwrap().shape, IndexShape::Columns);
}

/// PostgreSQL cuts identifiers to 63 bytes: an index created under a longer name is the one
/// a later statement names by its first 63 bytes (lemmy's `..._newest_comment_time_necro`,
/// dropped as `..._necr`).
#[test]
fn names_over_63_bytes_are_their_first_63_bytes() {
    let long = format!("idx_{}_necro", "x".repeat(54));
    assert_eq!(long.len(), 64);
    let short = &long[..63];
    let mut c = replay(&format!(
        "CREATE TABLE t (a int);\nCREATE INDEX {long} ON t (a);\nCREATE VIEW {long} AS SELECT a FROM t"
    ));
    assert!(c.index(&t(short)).is_some());
    assert!(c.has_view(&t(short)));
    run(&mut c, &format!("DROP INDEX {short};\nDROP VIEW {short}"));
    assert!(c.index(&t(&long)).is_none());
    assert!(!c.has_view(&t(&long)));
}

/// A renamed type renames the type of its columns (lemmy: `ALTER TYPE sort_type_enum RENAME
/// TO post_sort_type_enum`, then a shadow column declared with the old name failed).
#[test]
fn a_renamed_type_is_the_type_of_its_columns() {
    let c = replay(
        "CREATE TYPE mood AS ENUM ('a', 'b');\nCREATE TABLE t (m mood, ms mood[], other text, elsewhere other.mood);\nALTER TYPE mood RENAME TO feeling",
    );
    let types: Vec<&str> = c
        .table(&t("t"))
        .unwrap()
        .columns
        .iter()
        .map(|c| c.data_type.as_str())
        .collect();
    assert_eq!(types[0], "feeling");
    assert_eq!(types[1], "feeling[]");
    assert_eq!(types[2].to_lowercase(), "text");
    assert_eq!(types[3], "other.mood");
    assert_eq!(
        c.enum_labels(&t("feeling")),
        Some(&["a".to_owned(), "b".to_owned()][..])
    );
}

#[test]
fn column_comments_are_kept() {
    let mut c = replay("CREATE TABLE s.users (id bigint, age int); CREATE TABLE t (age int)");
    run(&mut c, "COMMENT ON COLUMN s.users.age IS 'in years'");
    run(&mut c, "COMMENT ON COLUMN t.age IS 'x'");
    let users = c.table(&ObjName::new(Some("s"), "users")).unwrap();
    assert_eq!(
        users.column("age").unwrap().comment.as_deref(),
        Some("in years")
    );
    assert_eq!(users.column("id").unwrap().comment, None);
    run(&mut c, "COMMENT ON COLUMN t.age IS NULL");
    assert_eq!(
        c.table(&t("t")).unwrap().column("age").unwrap().comment,
        None
    );
}

#[test]
fn triggers_and_the_columns_they_are_bound_to() {
    let mut c = replay("CREATE TABLE t (id int, a int, b int, d int); CREATE TABLE u (id int)");
    run(
        &mut c,
        "CREATE TRIGGER t_a BEFORE UPDATE OF a ON t FOR EACH ROW WHEN (OLD.b IS DISTINCT FROM NEW.b) EXECUTE FUNCTION f()",
    );
    run(
        &mut c,
        "CREATE TRIGGER t_any BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()",
    );
    run(
        &mut c,
        "CREATE TRIGGER t_a BEFORE UPDATE ON u FOR EACH ROW EXECUTE FUNCTION f()",
    );
    let cols = |c: &Catalog, table: &str, name: &str| {
        c.table(&t(table))
            .unwrap()
            .triggers
            .iter()
            .find(|x| x.name == name)
            .map(|x| x.columns.clone())
    };
    assert_eq!(cols(&c, "t", "t_a"), Some(vec!["a".into(), "b".into()]));
    assert_eq!(cols(&c, "t", "t_any"), Some(vec![]));
    // a rename carries the binding; a drop names its table
    run(&mut c, "ALTER TABLE t RENAME COLUMN a TO a2");
    assert_eq!(cols(&c, "t", "t_a"), Some(vec!["a2".into(), "b".into()]));
    run(&mut c, "DROP TRIGGER t_a ON u");
    assert_eq!(cols(&c, "u", "t_a"), None);
    assert!(cols(&c, "t", "t_a").is_some());
}

#[test]
fn foreign_keys_follow_the_table_they_reference() {
    let mut c = replay(
        "CREATE TABLE requests (id int PRIMARY KEY); \
         CREATE TABLE tokens (id int, request_id int REFERENCES \"requests\"(\"id\") ON DELETE CASCADE)",
    );
    run(&mut c, "ALTER TABLE requests RENAME TO flows");
    let fk = c
        .table(&t("tokens"))
        .unwrap()
        .constraints
        .iter()
        .find(|k| k.references.is_some())
        .unwrap()
        .clone();
    assert_eq!(
        fk.references.as_ref().map(|r| r.name.as_str()),
        Some("flows")
    );
    assert_eq!(
        fk.fk_clause.as_deref(),
        Some("REFERENCES flows(\"id\") ON DELETE CASCADE")
    );
    assert_eq!(
        retarget_fk(
            Dialect::Postgres,
            "REFERENCES public.requests (id)",
            &ObjName::new(Some("public"), "flows")
        ),
        "REFERENCES \"public\".flows (id)"
    );
}

/// Unnamed constraints and indexes get PostgreSQL's names, cut to 63 bytes as
/// `makeObjectName` cuts them (read off PostgreSQL 15; kratos' history renames a column of
/// such a foreign key, whose plan named the uncut 67-byte name).
#[test]
fn long_default_names_are_cut_as_postgresql_cuts_them() {
    let c = replay(
        "CREATE TABLE selfservice_login_requests (id uuid PRIMARY KEY);
         CREATE TABLE selfservice_login_request_methods (id uuid,
           selfservice_login_request_id uuid NOT NULL, other_long_column_name_for_uniques text,
           FOREIGN KEY (selfservice_login_request_id) REFERENCES selfservice_login_requests (id),
           UNIQUE (selfservice_login_request_id, other_long_column_name_for_uniques));
         CREATE INDEX ON selfservice_login_request_methods (selfservice_login_request_id, other_long_column_name_for_uniques);
         CREATE TABLE a_really_long_table_name_for_primary_key_naming_checks_xxxxxxxx (id int PRIMARY KEY)",
    );
    let m = c.table(&t("selfservice_login_request_methods")).unwrap();
    let mut names: Vec<&str> = m
        .constraints
        .iter()
        .filter_map(|k| k.name.as_deref())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "selfservice_login_request_met_selfservice_login_request_id__key",
            "selfservice_login_request_met_selfservice_login_request_id_fkey",
        ]
    );
    assert!(
        c.index(&t(
            "selfservice_login_request_met_selfservice_login_request_id__idx"
        ))
        .is_some()
    );
    let p = c
        .table(&t(
            "a_really_long_table_name_for_primary_key_naming_checks_xxxxxxxx",
        ))
        .unwrap();
    assert_eq!(
        p.constraints[0].name.as_deref(),
        Some("a_really_long_table_name_for_primary_key_naming_checks_xxx_pkey")
    );
}

/// lemmy's `ALTER CONSTRAINT .. NOT DEFERRABLE` (sqlparser cannot read it): the token scan
/// types it whole, so the table stays known, and the key's clause takes its new timing (a
/// shadow column's copy of the key is made from it).
#[test]
fn alter_constraint_retimes_the_key_and_keeps_the_table_known() {
    let mut c = replay(
        "CREATE TABLE post (id int PRIMARY KEY); \
         CREATE TABLE comment_aggregates (id int PRIMARY KEY, comment_id int, \
         CONSTRAINT comment_aggregates_comment_id_fkey FOREIGN KEY (comment_id) REFERENCES post (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED)",
    );
    let clause = |c: &Catalog| {
        c.table(&t("comment_aggregates"))
            .unwrap()
            .constraint("comment_aggregates_comment_id_fkey")
            .and_then(|k| k.fk_clause.clone())
    };
    assert!(
        clause(&c)
            .unwrap()
            .ends_with("DEFERRABLE INITIALLY DEFERRED"),
        "{:?}",
        clause(&c)
    );
    run(
        &mut c,
        "ALTER TABLE comment_aggregates\n    ALTER CONSTRAINT comment_aggregates_comment_id_fkey NOT DEFERRABLE",
    );
    let after = clause(&c).unwrap();
    assert!(
        after.ends_with("ON DELETE CASCADE NOT DEFERRABLE"),
        "{after}"
    );
    assert!(!c.table(&t("comment_aggregates")).unwrap().uncertain);
    let r = |clause, d, i| retime_fk(clause, d, i);
    assert_eq!(
        r("REFERENCES \"my  table\" (id)", Some(true), Some(true)),
        "REFERENCES \"my  table\" (id) DEFERRABLE INITIALLY DEFERRED"
    );
    assert_eq!(
        r(
            "REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED",
            None,
            Some(false)
        ),
        "REFERENCES t (id) DEFERRABLE"
    );
    assert_eq!(
        r(
            "REFERENCES t (id) ON DELETE CASCADE DEFERRABLE",
            Some(false),
            None
        ),
        "REFERENCES t (id) ON DELETE CASCADE NOT DEFERRABLE"
    );
}
