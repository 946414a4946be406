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
