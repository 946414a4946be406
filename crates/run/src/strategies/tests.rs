use super::*;

fn facts() -> Facts {
    Facts {
        large_table_rows: 100_000,
        server_major: 15,
        ..Facts::default()
    }
}

fn pg(sql: &str, forced: Option<&str>, f: &Facts) -> Result<Chosen, String> {
    choose(Dialect::Postgres, sql, false, forced, f)
}

fn sqls(c: &Chosen) -> Vec<String> {
    c.actions
        .iter()
        .flatten()
        .map(|a| match a {
            Action::Sql { sql, .. } => sql.clone(),
            Action::Tool(r) => r.display(),
            Action::ShadowTable(s) => s.display(),
            Action::BatchedDelete(d) => d.display(),
        })
        .collect()
}

#[test]
fn index_builds_and_drops_go_concurrent_and_named() {
    let c = pg("CREATE INDEX ON users (email)", None, &facts()).unwrap();
    assert_eq!(c.choice.strategy, Strategy::ConcurrentIndex);
    assert_eq!(
        sqls(&c),
        ["CREATE INDEX CONCURRENTLY \"users_email_idx\" ON users(email)"]
    );
    let c = pg("DROP INDEX IF EXISTS app.users_email_idx", None, &facts()).unwrap();
    assert_eq!(
        sqls(&c),
        ["DROP INDEX CONCURRENTLY IF EXISTS app.users_email_idx"]
    );
    // already concurrent: nothing to do
    let c = pg(
        "CREATE INDEX CONCURRENTLY i ON users (email)",
        None,
        &facts(),
    )
    .unwrap();
    assert_eq!((c.choice.strategy, c.actions), (Strategy::Plain, None));
}

#[test]
fn constraints_split_into_not_valid_and_validate() {
    let c = pg(
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)",
        None,
        &facts(),
    )
    .unwrap();
    assert_eq!(c.choice.strategy, Strategy::NotValidValidate);
    assert_eq!(
        sqls(&c),
        [
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID",
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk"
        ]
    );
    // unnamed: VALIDATE could not name it, so it is not rewritten (the apply check refuses
    // it on a large table, as lint's constraint-missing-not-valid does)
    let c = pg("ALTER TABLE orders ADD CHECK (total > 0)", None, &facts()).unwrap();
    assert_eq!((c.choice.strategy, c.actions), (Strategy::Plain, None));
    let c = pg(
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        None,
        &facts(),
    )
    .unwrap();
    assert_eq!(c.choice.strategy, Strategy::NotNullCheck);
    assert_eq!(sqls(&c).len(), 4);
    assert!(sqls(&c)[2].ends_with("ALTER COLUMN email SET NOT NULL"));
    // PostgreSQL 18: the NOT NULL constraint NOT VALID, then validated; no CHECK detour
    let pg18 = Facts {
        server_major: 18,
        ..facts()
    };
    let c = pg(
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        None,
        &pg18,
    )
    .unwrap();
    assert_eq!(c.choice.strategy, Strategy::NotNullCheck);
    assert_eq!(
        sqls(&c),
        [
            "ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID",
            "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null"
        ]
    );
    // before PostgreSQL 12 SET NOT NULL ignores the check: no point
    let old = Facts {
        server_major: 11,
        ..facts()
    };
    assert_eq!(
        pg(
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
            None,
            &old
        )
        .unwrap()
        .choice
        .strategy,
        Strategy::Plain
    );
}

#[test]
fn small_tables_and_new_tables_take_the_plain_path() {
    let mut f = facts();
    f.rows.insert("users".into(), 500);
    let c = pg("CREATE INDEX i ON users (email)", None, &f).unwrap();
    assert_eq!(c.choice.strategy, Strategy::Plain);
    assert!(
        c.choice.reason.contains("about 500 rows"),
        "{}",
        c.choice.reason
    );
    // forced: the online form even on a small table
    let c = pg(
        "CREATE INDEX i ON users (email)",
        Some("concurrent-index"),
        &f,
    )
    .unwrap();
    assert_eq!(
        (c.choice.strategy, c.choice.forced),
        (Strategy::ConcurrentIndex, true)
    );
    let c = choose(
        Dialect::Postgres,
        "CREATE INDEX i ON fresh (a)",
        true,
        None,
        &facts(),
    )
    .unwrap();
    assert!(c.choice.reason.contains("created earlier in this script"));
}

#[test]
fn forcing_is_checked() {
    let c = pg("CREATE INDEX i ON users (email)", Some("plain"), &facts()).unwrap();
    assert_eq!(
        (c.choice.strategy, c.actions.is_none()),
        (Strategy::Plain, true)
    );
    assert!(
        pg(
            "CREATE INDEX i ON users (email)",
            Some("warp-speed"),
            &facts()
        )
        .unwrap_err()
        .contains("unknown strategy")
    );
    assert!(
        pg(
            "CREATE INDEX i ON users (email)",
            Some("pg-repack"),
            &facts()
        )
        .unwrap_err()
        .contains("does not apply")
    );
    assert!(
        pg(
            "ALTER TABLE t ADD COLUMN c int",
            Some("concurrent-index"),
            &facts()
        )
        .unwrap_err()
        .contains("already safe")
    );
}

#[test]
fn rebuilds_go_to_pg_repack_when_installed() {
    let c = pg("VACUUM FULL big", None, &facts()).unwrap();
    assert_eq!(c.choice.strategy, Strategy::Plain);
    assert!(c.choice.reason.contains("pg_repack is not installed"));
    let f = Facts {
        pg_repack: Some("/usr/bin/pg_repack".into()),
        ..facts()
    };
    let c = pg("VACUUM FULL big", None, &f).unwrap();
    assert_eq!(c.choice.strategy, Strategy::PgRepack);
    let s = sqls(&c);
    assert_eq!(s[0], "CREATE EXTENSION IF NOT EXISTS pg_repack");
    assert!(
        s[1].contains("--no-kill-backend --no-order --table=big"),
        "{}",
        s[1]
    );
}

#[test]
fn repack_arguments_never_carry_the_password() {
    let url = crate::url::DbUrl::parse("postgres://app:s3cret@db:5433/shop").unwrap();
    let r = repack::Repack {
        bin: "/x/pg_repack".into(),
        table: ObjName::new(Some("public"), "Big T"),
        no_order: true,
    };
    let args = r.args(&url.tool_conn()).join(" ");
    assert_eq!(
        args,
        "--no-kill-backend --wait-timeout=60 --no-order --table=\"public\".\"Big T\" --host=db --port=5433 --username=app --dbname=shop"
    );
    assert!(!args.contains("s3cret"));
}

fn with_table(rows: u64, pk: &[&str], cols: &[(&str, &str)]) -> Facts {
    let mut f = facts();
    f.rows.insert("post".into(), rows);
    f.shadow.insert(
        "post".into(),
        shadow_table::TableFacts {
            primary_key: pk.iter().map(|s| s.to_string()).collect(),
            columns: cols
                .iter()
                .map(|(c, t)| (c.to_string(), t.to_string()))
                .collect(),
            refusals: Vec::new(),
            self_references: Vec::new(),
        },
    );
    f
}

fn batched(c: &Chosen) -> &batched_delete::BatchedDelete {
    match c.actions.as_deref() {
        Some([Action::BatchedDelete(d)]) => d,
        other => panic!("not a batched delete: {other:?}"),
    }
}

/// lemmy's duplicates: the keys noted by one read of the join, each batch deleting noted
/// keys only (the `GROUP BY` is not evaluated again per batch, over rows earlier batches
/// deleted).
#[test]
fn a_delete_of_a_large_table_is_batched_over_its_noted_keys() {
    let f = with_table(1_000_000, &["id"], &[("id", "integer"), ("ap_id", "text")]);
    let sql = "DELETE FROM post a USING (SELECT min(id) AS id, ap_id FROM post GROUP BY ap_id HAVING count(*) > 1) b WHERE a.ap_id = b.ap_id AND a.id <> b.id";
    let c = pg(sql, None, &f).unwrap();
    assert_eq!(c.choice.strategy, Strategy::BatchedDelete);
    let d = batched(&c);
    let keys = sluice_core::names::delete_keys(sql);
    let select = "SELECT DISTINCT a.\"id\" FROM \"post\" AS a, (SELECT min(id) AS id, ap_id FROM post GROUP BY ap_id HAVING count(*) > 1) b WHERE a.ap_id = b.ap_id AND a.id <> b.id";
    assert_eq!(
        d.create_keys_sql(),
        [
            format!("CREATE UNLOGGED TABLE \"{keys}\" AS {select} WITH NO DATA"),
            format!("ALTER TABLE \"{keys}\" ADD PRIMARY KEY (\"id\")"),
        ]
    );
    assert_eq!(
        d.fill_keys_sql(),
        format!("INSERT INTO \"{keys}\" {select}")
    );
    assert!(!d.recheck, "a USING join is not checked again per batch");
    assert_eq!(
        d.delete_sql(&["\"id\" > 10".into(), "\"id\" <= 20".into()]),
        format!(
            "DELETE FROM \"post\" AS a WHERE a.\"id\" IN (SELECT \"id\" FROM \"{keys}\" WHERE \"id\" > 10 AND \"id\" <= 20)"
        )
    );
    assert_eq!(d.numeric, [true]);
}

/// A condition on the row alone is checked again by each batch: a row changed since the
/// note stays when it no longer matches. A composite key is a row value.
#[test]
fn a_row_condition_is_checked_again_and_a_composite_key_is_a_row_value() {
    let f = with_table(
        1_000_000,
        &["tenant", "id"],
        &[("tenant", "text"), ("id", "bigint")],
    );
    let c = pg("DELETE FROM post WHERE removed = true", None, &f).unwrap();
    let d = batched(&c);
    assert!(d.recheck);
    assert_eq!(d.numeric, [false, true]);
    assert_eq!(
        d.delete_sql(&[]),
        format!(
            "DELETE FROM \"post\" WHERE (\"post\".\"tenant\", \"post\".\"id\") IN (SELECT \"tenant\", \"id\" FROM \"{}\") AND (removed = true)",
            d.keys.name
        )
    );
    // a subquery in the condition is evaluated once, by the note
    let c = pg(
        "DELETE FROM post WHERE creator_id NOT IN (SELECT id FROM person)",
        None,
        &f,
    )
    .unwrap();
    assert!(!batched(&c).recheck);
    // nor a volatile one: checked again, `random()` would keep more rows than it picked
    let c = pg("DELETE FROM post WHERE random() < 0.5", None, &f).unwrap();
    assert!(!batched(&c).recheck);
    let c = pg("DELETE FROM post WHERE expires_on = now()::date", None, &f).unwrap();
    assert!(batched(&c).recheck);
}

#[test]
fn a_delete_stays_as_written_when_small_bounded_keyless_or_created_here() {
    let f = with_table(500, &["id"], &[("id", "integer")]);
    let c = pg("DELETE FROM post WHERE removed", None, &f).unwrap();
    assert_eq!(c.choice.strategy, Strategy::Plain);
    assert!(
        c.choice.reason.contains("below large_table_rows"),
        "{}",
        c.choice.reason
    );
    let big = with_table(1_000_000, &["id"], &[("id", "integer")]);
    // already a batch
    let c = pg("DELETE FROM post WHERE id < 1000", None, &big).unwrap();
    assert_eq!(c.choice.strategy, Strategy::Plain);
    let c = choose(
        Dialect::Postgres,
        "DELETE FROM post WHERE removed",
        true,
        None,
        &big,
    )
    .unwrap();
    assert_eq!(c.choice.strategy, Strategy::Plain);
    // no primary key to walk: as written, and a forced strategy says why
    let keyless = with_table(1_000_000, &[], &[("id", "integer")]);
    let c = pg("DELETE FROM post WHERE removed", None, &keyless).unwrap();
    assert!(
        c.choice.reason.contains("no primary key"),
        "{}",
        c.choice.reason
    );
    let e = pg(
        "DELETE FROM post WHERE removed",
        Some("batched-delete"),
        &keyless,
    )
    .unwrap_err();
    assert!(e.contains("no primary key"), "{e}");
    let e = pg(
        "DELETE FROM post WHERE removed RETURNING id",
        Some("batched-delete"),
        &big,
    )
    .unwrap_err();
    assert!(e.contains("RETURNING"), "{e}");
    // a table referencing itself: one statement deletes a row with the rows referencing it
    let mut tree = with_table(1_000_000, &["id"], &[("id", "integer")]);
    tree.shadow.get_mut("post").unwrap().self_references = vec!["post_parent_fkey".into()];
    let c = pg("DELETE FROM post WHERE removed", None, &tree).unwrap();
    assert_eq!(c.choice.strategy, Strategy::Plain);
    assert!(
        c.choice
            .reason
            .contains("references itself (post_parent_fkey"),
        "{}",
        c.choice.reason
    );
    // forced on a small table: batched all the same
    let c = pg("DELETE FROM post WHERE id = 3", Some("batched-delete"), &f).unwrap();
    assert_eq!(c.choice.strategy, Strategy::BatchedDelete);
    assert!(c.choice.forced);
}

/// MySQL / MariaDB: the scratch table is a plain table (made empty: the note is an
/// `INSERT .. SELECT` under READ COMMITTED), and each batch is the multi-table
/// `DELETE t FROM t ..` (which MariaDB takes with an alias too).
#[test]
fn a_mysql_delete_is_batched_in_its_own_spelling() {
    let f = with_table(1_000_000, &["id"], &[("id", "int(11)")]);
    let sql = "DELETE FROM post WHERE creator_id NOT IN (SELECT id FROM person)";
    let c = choose(Dialect::Mysql, sql, false, None, &f).unwrap();
    assert_eq!(c.choice.strategy, Strategy::BatchedDelete);
    let d = batched(&c);
    let keys = sluice_core::names::delete_keys(sql);
    let select =
        "SELECT DISTINCT `post`.`id` FROM `post` WHERE creator_id NOT IN (SELECT id FROM person)";
    assert_eq!(
        d.create_keys_sql(),
        [
            format!("CREATE TABLE `{keys}` AS {select} LIMIT 0"),
            format!("ALTER TABLE `{keys}` ADD PRIMARY KEY (`id`)"),
        ]
    );
    assert_eq!(d.fill_keys_sql(), format!("INSERT INTO `{keys}` {select}"));
    assert_eq!(
        d.delete_sql(&["`id` > 10".into()]),
        format!(
            "DELETE `post` FROM `post` WHERE `post`.`id` IN (SELECT `id` FROM `{keys}` WHERE `id` > 10)"
        )
    );
    assert_eq!(d.numeric, [true]);
    // MySQL's own multi-table DELETE is not batched
    let c = choose(
        Dialect::Mysql,
        "DELETE p FROM post p JOIN person u ON u.id = p.creator_id WHERE u.id > 0 OR p.removed",
        false,
        None,
        &f,
    )
    .unwrap();
    assert_eq!(c.choice.strategy, Strategy::Plain, "{:?}", c.choice);
}
