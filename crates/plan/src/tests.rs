//! Planner tests: the generated SQL of every recipe as a snapshot, refusals with reasons.
//! Running the plans on PostgreSQL is in `tests/plan_pg.rs`.

use super::*;
use sluice_core::source::SourceFile;

const HISTORY: &str = "
CREATE TABLE users (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    email text,
    age int CONSTRAINT users_age_check CHECK (age > 0),
    balance int NOT NULL DEFAULT 0,
    created timestamptz DEFAULT now()
);
CREATE INDEX users_name_idx ON users (name);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int);
";

fn migration(version: &str, name: &str, sql: &str) -> Migration {
    let file = SourceFile::new(format!("{version}_{name}.sql"), sql.to_owned());
    Migration {
        version: Version::parse(version).expect("digits"),
        name: name.to_owned(),
        layout: Layout::Plain,
        origin: format!("{version}_{name}.sql").into(),
        scripts: vec![Script {
            range: 0..file.text.len(),
            file,
            phase: Phase::Expand,
            direction: Direction::Up,
            phased: false,
            no_transaction_marker: false,
            irreversible: None,
        }],
        backfill: None,
    }
}

/// Default settings and the catalog that migration `0001_init` of `history` leaves.
fn catalog_of(history: &str) -> (LintSettings, Catalog) {
    let settings = LintSettings::default();
    let history = [migration("0001", "init", history)];
    let catalog = lint::engine::replay(&settings, Catalog::new(settings.dialect), &history);
    (settings, catalog)
}

fn try_plan(sql: &str) -> Result<(Plan, PlanFiles), PlanError> {
    try_plan_with(&LintSettings::default(), sql)
}

fn try_plan_with(settings: &LintSettings, sql: &str) -> Result<(Plan, PlanFiles), PlanError> {
    try_plan_on(settings, HISTORY, sql)
}

/// The plan of `sql` on the schema migration `0001_init` of `history` leaves.
fn try_plan_on(
    settings: &LintSettings,
    history: &str,
    sql: &str,
) -> Result<(Plan, PlanFiles), PlanError> {
    let settings = settings.clone();
    let history = [migration("0001", "init", history)];
    let catalog = lint::engine::replay(&settings, Catalog::new(settings.dialect), &history);
    let p = plan(&settings, &catalog, &migration("0002", "change", sql))?;
    let files = p.files(settings.dialect)?;
    Ok((p, files))
}

/// One generated file's text.
fn file<'f>(files: &'f PlanFiles, name: &str) -> &'f str {
    files
        .files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.as_str())
        .unwrap_or_else(|| panic!("no {name}"))
}

/// Assert that one of the plan's notes holds `needle`.
#[track_caller]
fn assert_noted(p: &Plan, needle: &str) {
    assert!(
        p.notes.iter().any(|n| n.contains(needle)),
        "no note holds {needle:?}: {:#?}",
        p.notes
    );
}

fn files_text(sql: &str) -> String {
    files_text_with(&LintSettings::default(), sql)
}

fn files_text_with(settings: &LintSettings, sql: &str) -> String {
    files_text_on(settings, HISTORY, sql)
}

/// Every generated file of `sql` planned on `history`, each under a `==> name <==` line.
fn files_text_on(settings: &LintSettings, history: &str, sql: &str) -> String {
    let (_, files) = try_plan_on(settings, history, sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    files
        .files
        .iter()
        .map(|(n, t)| format!("==> {n} <==\n{t}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn refusal(sql: &str) -> String {
    refusal_on(HISTORY, sql)
}

/// The refusals of `sql` planned on `history`, one `line:column reason` a line.
fn refusal_on(history: &str, sql: &str) -> String {
    match try_plan_on(&LintSettings::default(), history, sql) {
        Err(PlanError::Refused(r)) => r
            .iter()
            .map(|r| format!("{}:{} {}", r.line, r.column, r.reason))
            .collect::<Vec<_>>()
            .join("\n"),
        other => panic!("expected a refusal for {sql}, got {other:?}"),
    }
}

macro_rules! recipe_snapshot {
    ($name:ident, $sql:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(files_text($sql));
        }
    };
}

recipe_snapshot!(
    rename_column,
    "ALTER TABLE users RENAME COLUMN name TO full_name;"
);
recipe_snapshot!(rename_table, "ALTER TABLE orders RENAME TO purchases;");
recipe_snapshot!(
    add_not_null_column,
    "-- sluice:backfill 'user-' || id\nALTER TABLE users ADD COLUMN handle text NOT NULL;"
);
recipe_snapshot!(
    add_constant_not_null_column,
    "ALTER TABLE users ADD COLUMN tier int;\nUPDATE users SET tier = 0;\nALTER TABLE users ALTER COLUMN tier SET NOT NULL;"
);
recipe_snapshot!(
    change_type,
    "ALTER TABLE users ALTER COLUMN balance TYPE bigint;"
);
recipe_snapshot!(
    change_type_using,
    "ALTER TABLE users ALTER COLUMN age TYPE text USING age::text || ' years';"
);
recipe_snapshot!(
    set_not_null,
    "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
);
recipe_snapshot!(
    add_foreign_key,
    "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);"
);
recipe_snapshot!(add_check, "ALTER TABLE orders ADD CHECK (total >= 0);");
recipe_snapshot!(
    add_unique,
    "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"
);
recipe_snapshot!(
    add_primary_key,
    "CREATE TABLE t (a int); ALTER TABLE orders DROP CONSTRAINT orders_pkey; ALTER TABLE orders ADD PRIMARY KEY (id, user_id);"
);
recipe_snapshot!(add_index, "CREATE INDEX ON users (email, created);");
recipe_snapshot!(
    volatile_default,
    "ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();"
);
recipe_snapshot!(drop_column, "ALTER TABLE users DROP COLUMN email;");
recipe_snapshot!(drop_table, "DROP TABLE orders;");
recipe_snapshot!(
    passthrough_and_mixed,
    "BEGIN;\nCREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz NOT NULL);\nCREATE INDEX audit_at_idx ON audit (at);\nALTER TABLE users ADD COLUMN nickname text, ADD COLUMN score int NOT NULL DEFAULT 0;\nCOMMIT;"
);

/// Each step's phase and SQL, and the backfill: what a plan does, apart from its wording.
fn what_it_does(p: &Plan) -> String {
    let steps: Vec<String> = p
        .steps
        .iter()
        .map(|s| format!("{:?}\n{}\n{:?}", s.phase, s.up, s.down))
        .collect();
    format!(
        "{}\n{:?}",
        steps.join("\n"),
        (!p.backfill.is_empty()).then(|| BackfillSpec::all_to_toml(&p.backfill, ""))
    )
}

#[test]
fn add_update_set_not_null_is_one_not_null_column() {
    let (folded, _) = try_plan(
        "ALTER TABLE users ADD COLUMN handle text;\nUPDATE users SET handle = 'user-' || id;\nALTER TABLE users ALTER COLUMN handle SET NOT NULL;",
    )
    .unwrap();
    let (direct, _) = try_plan(
        "-- sluice:backfill 'user-' || id\nALTER TABLE users ADD COLUMN handle text NOT NULL;",
    )
    .unwrap();
    assert_eq!(what_it_does(&folded), what_it_does(&direct));
    assert!(
        folded.notes.iter().any(|n| n.starts_with(
            "line 2: planned with the column added at line 1: one NOT NULL column recipe"
        )),
        "{:?}",
        folded.notes
    );
    assert!(folded.notes.iter().any(|n| n.starts_with("line 3: ")));
    // WHERE c IS NULL is the same fill
    let (is_null, _) = try_plan(
        "ALTER TABLE users ADD COLUMN handle text;\nUPDATE users SET handle = 'user-' || id WHERE handle IS NULL;\nALTER TABLE users ALTER COLUMN handle SET NOT NULL;",
    )
    .unwrap();
    assert_eq!(what_it_does(&is_null), what_it_does(&direct));
}

/// The steps' recipes and strategies, and whether the plan has a backfill.
fn shape(p: &Plan) -> (Vec<(String, Strategy)>, bool) {
    let steps = p
        .steps
        .iter()
        .map(|s| (format!("{:?} {}", s.phase, s.recipe), s.strategy))
        .collect();
    (steps, !p.backfill.is_empty())
}

#[test]
fn a_constant_value_is_a_default_not_a_backfill() {
    let constant = |sql: &str, settings: &LintSettings| {
        let (p, _) = try_plan_with(settings, sql).unwrap();
        shape(&p)
            == (
                vec![
                    ("Expand add-not-null-column".to_owned(), Strategy::Plain),
                    ("Contract add-not-null-column".to_owned(), Strategy::Plain),
                ],
                false,
            )
    };
    let pg = LintSettings::default();
    for sql in [
        "-- sluice:backfill 'basic'\nALTER TABLE users ADD COLUMN tier text NOT NULL;",
        "ALTER TABLE users ADD COLUMN tier int;\nUPDATE users SET tier = -1;\nALTER TABLE users ALTER COLUMN tier SET NOT NULL;",
    ] {
        assert!(constant(sql, &pg), "{sql}");
    }
    // a value computed per row, or a server that rewrites the table for a DEFAULT: the fill
    let old = LintSettings {
        server_version: 10,
        ..LintSettings::default()
    };
    let computed = "-- sluice:backfill id % 4\nALTER TABLE users ADD COLUMN tier int NOT NULL;";
    let (p, _) = try_plan_with(&pg, computed).unwrap();
    assert!(!p.backfill.is_empty());
    // before PostgreSQL 11 the DEFAULT rewrites the table; the fill's NOT NULL needs 12
    let sql = "-- sluice:backfill 0\nALTER TABLE users ADD COLUMN tier int NOT NULL;";
    assert!(matches!(
        try_plan_with(&old, sql),
        Err(PlanError::Refused(r)) if r[0].reason.contains("before PostgreSQL 12")
    ));
}

#[test]
fn a_default_the_migration_sets_itself_outlives_the_contract() {
    // ente's `21_add_two_factor`: added, filled, NOT NULL, then its own DEFAULT; the contract
    // dropped the fold's DEFAULT and the column ended without the one the naive migration gives
    let fold = "ALTER TABLE users ADD COLUMN tfa boolean;\nUPDATE users SET tfa = 'f';\nALTER TABLE users ALTER COLUMN tfa SET NOT NULL;\n";
    let (p, files) = try_plan(&format!(
        "{fold}ALTER TABLE users ALTER COLUMN tfa SET DEFAULT FALSE;"
    ))
    .unwrap();
    // nothing is left for a contract
    assert!(
        files.files.iter().all(|(n, _)| !n.starts_with("contract")),
        "{files:?}"
    );
    assert_noted(&p, "the contract does not drop tfa's DEFAULT 'f'");
    let expand = file(&files, "expand.up.sql");
    let (add, set) = (
        expand.find("DEFAULT 'f'").unwrap(),
        expand.rfind("SET DEFAULT FALSE").unwrap(),
    );
    assert!(add < set, "{expand}");
    // without it, the contract drops the fold's DEFAULT
    let (_, files) = try_plan(fold).unwrap();
    assert!(
        file(&files, "contract.up.sql").contains("DROP DEFAULT"),
        "{files:?}"
    );
}

#[test]
fn a_soft_drop_frees_the_names_of_what_the_drop_takes_with_the_column() {
    // ente's `29_drop_unencrypted_email`: the naive drop took users_email_key and
    // users_email_index with the column; soft-dropped, they kept their names
    let history =
        "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE, note text, age int, num serial);
CREATE INDEX users_email_index ON users (email);
CREATE INDEX users_note_email ON users (note, email);
CREATE INDEX users_age_idx ON users (age);
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '');";
    let text = files_text_on(
        &LintSettings::default(),
        history,
        "ALTER TABLE users DROP COLUMN email;",
    );
    let (up, down) = text.split_once("==> contract.down.sql <==").unwrap();
    for (name, up_sql) in [
        (
            "users_email_key",
            "ALTER TABLE users RENAME CONSTRAINT users_email_key TO",
        ),
        (
            "users_email_check",
            "ALTER TABLE users RENAME CONSTRAINT users_email_check TO",
        ),
        (
            "users_email_index",
            "ALTER INDEX users_email_index RENAME TO",
        ),
        ("users_note_email", "ALTER INDEX users_note_email RENAME TO"),
    ] {
        assert!(
            up.contains(&format!("{up_sql} _sluice_dropped_{name}_0002;")),
            "{name}: {text}"
        );
        assert!(
            down.contains(&format!("_sluice_dropped_{name}_0002 TO {name};"))
                || down.contains(&format!("_sluice_dropped_{name}_0002 RENAME TO {name};")),
            "{name}: {text}"
        );
    }
    // a serial's sequence goes with its column
    let text = files_text_on(
        &LintSettings::default(),
        history,
        "ALTER TABLE users DROP COLUMN num;",
    );
    assert!(
        text.contains(
            "ALTER SEQUENCE IF EXISTS users_num_seq RENAME TO _sluice_dropped_users_num_seq_0002;"
        ) && text.contains(
            "ALTER SEQUENCE IF EXISTS _sluice_dropped_users_num_seq_0002 RENAME TO users_num_seq;"
        ),
        "{text}"
    );
    let (up, _) = files_text_on(
        &LintSettings::default(),
        history,
        "ALTER TABLE users DROP COLUMN email;",
    )
    .split_once("==> contract.down.sql <==")
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .unwrap();
    // the unique constraint's index goes with the constraint; other columns' indexes stay
    assert!(!up.contains("ALTER INDEX users_email_key"), "{text}");
    assert!(!up.contains("users_age_idx"), "{text}");
}

#[test]
fn a_backfill_under_a_trigger_the_migration_creates_after_it_is_refused() {
    // crates.io's `add_crate_owner_invitation_token`: the token's backfill fired the
    // migration's own `BEFORE UPDATE OF token` trigger and stamped every old invitation
    let trigger = "CREATE FUNCTION stamp() RETURNS trigger AS $$ BEGIN NEW.stamped := now(); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER users_stamp BEFORE INSERT OR UPDATE OF token ON users FOR EACH ROW EXECUTE PROCEDURE stamp();";
    let r = refusal(&format!(
        "ALTER TABLE users ADD COLUMN token text NOT NULL DEFAULT md5(random()::text);\nALTER TABLE users ADD COLUMN stamped timestamptz;\n{trigger}"
    ));
    assert!(
        r.starts_with("1:1 the backfill of users.token runs after the expand, which creates trigger users_stamp on users (line 4)"),
        "{r}"
    );
    // a trigger the migration drops and creates again was there all along: planned
    try_plan(&format!(
        "DROP TRIGGER IF EXISTS users_stamp ON users;\nALTER TABLE users ADD COLUMN token text NOT NULL DEFAULT md5(random()::text);\nALTER TABLE users ADD COLUMN stamped timestamptz;\n{trigger}"
    ))
    .unwrap();
    // the trigger in a migration of its own: planned
    try_plan("ALTER TABLE users ADD COLUMN token text NOT NULL DEFAULT md5(random()::text);")
        .unwrap();
    // a trigger on another table, or no backfill: planned
    try_plan(&format!("ALTER TABLE users ADD COLUMN token text;\nALTER TABLE users ADD COLUMN stamped timestamptz;\n{trigger}")).unwrap();
}

#[test]
fn a_shadow_column_carries_the_comment_of_the_column_it_replaces() {
    // crates.io's `timezones`: after the swap, `expiry_notification_at` had lost its comment
    let history = format!("{HISTORY}COMMENT ON COLUMN users.age IS 'in years, it''s whole';");
    for (sql, new) in [
        (
            "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
            "age_sluice_new",
        ),
        ("ALTER TABLE users RENAME COLUMN age TO years;", "years"),
    ] {
        let text = files_text_on(&LintSettings::default(), &history, sql);
        assert!(
            text.lines()
                .any(|l| l.starts_with("COMMENT ON COLUMN users.")
                    && l.contains(new)
                    && l.ends_with(" IS 'in years, it''s whole';")),
            "{text}"
        );
    }
    // no comment, no statement
    assert!(!files_text("ALTER TABLE users ALTER COLUMN age TYPE bigint;").contains("COMMENT ON"));
}

#[test]
fn a_trigger_on_update_of_a_shadowed_column_is_refused() {
    // crates.io's `timezones`: dropped, the column retyped, created again: after the swap the
    // trigger fired on updates of the soft-dropped column
    let r = refusal(
        "ALTER TABLE users ALTER COLUMN age TYPE bigint;\nCREATE TRIGGER users_age BEFORE UPDATE OF age ON users FOR EACH ROW EXECUTE FUNCTION f();",
    );
    assert!(
        r.contains("\n2:1 trigger users_age fires on UPDATE OF age, which line 1 of this migration renames or retypes"),
        "{r}"
    );
    // a WHEN naming the column binds the trigger to it as well
    let r = refusal(
        "ALTER TABLE users ALTER COLUMN age TYPE bigint;\nCREATE TRIGGER users_age BEFORE UPDATE ON users FOR EACH ROW WHEN (OLD.age IS DISTINCT FROM NEW.age) EXECUTE FUNCTION f();",
    );
    assert!(
        r.contains("\n2:1 trigger users_age names OLD.age / NEW.age in its WHEN, which line 1"),
        "{r}"
    );
    // UPDATE OF another column: planned
    try_plan("DROP TRIGGER users_name ON users;\nALTER TABLE users ALTER COLUMN age TYPE bigint;\nCREATE TRIGGER users_name BEFORE UPDATE OF name ON users FOR EACH ROW EXECUTE FUNCTION f();").unwrap();
}

#[test]
fn a_column_a_trigger_is_bound_to_is_not_shadowed() {
    // a rename keeps the trigger on the column; the shadow column's swap would not
    let history = format!(
        "{HISTORY}CREATE TRIGGER users_touch BEFORE UPDATE OF name ON users FOR EACH ROW EXECUTE FUNCTION f();"
    );
    for sql in [
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(20);",
    ] {
        let r = refusal_on(&history, sql);
        assert!(
            r.contains("trigger users_touch on public.users is bound to column name"),
            "{r}"
        );
    }
    // another column: planned
    try_plan_on(
        &LintSettings::default(),
        &history,
        "ALTER TABLE users RENAME COLUMN email TO mail;",
    )
    .unwrap();
}

#[test]
fn partial_updates_and_other_columns_are_not_folded() {
    for sql in [
        // only some rows: the rest would need another value
        "ALTER TABLE users ADD COLUMN handle text;\nUPDATE users SET handle = 'x' WHERE id < 10;\nALTER TABLE users ALTER COLUMN handle SET NOT NULL;",
        // NOT NULL of another column
        "ALTER TABLE users ADD COLUMN handle text;\nUPDATE users SET handle = 'x';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        // no UPDATE before the NOT NULL
        "ALTER TABLE users ADD COLUMN handle text;\nALTER TABLE users ALTER COLUMN handle SET NOT NULL;\nUPDATE users SET handle = 'x';",
    ] {
        let p = try_plan(sql).map(|(p, _)| p);
        if let Ok(p) = p {
            assert!(
                !p.recipes.iter().any(|r| r.recipe == "add-not-null-column"),
                "{sql}: {:?}",
                p.recipes
            );
            assert!(
                !p.notes
                    .iter()
                    .any(|n| n.contains("planned with the column"))
            );
        }
    }
}

#[test]
fn safe_forms_pass_through_without_recipes() {
    let (p, files) = try_plan("ALTER TABLE users ADD COLUMN bio text;").unwrap();
    assert!(p.backfill.is_empty());
    assert_eq!(p.recipes.len(), 1);
    assert_eq!(p.recipes[0].recipe, "pass-through");
    let names: Vec<&str> = files.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["expand.up.sql", "expand.down.sql"]);
}

#[test]
fn binary_coercible_type_change_passes_through() {
    let (p, _) = try_plan("ALTER TABLE users ALTER COLUMN email TYPE varchar;").unwrap();
    assert!(p.steps.iter().all(|s| s.recipe == "pass-through"));
}

#[test]
fn refusals_say_why() {
    assert!(
        refusal("ALTER TABLE users ADD COLUMN handle text NOT NULL;")
            .contains("sluice:backfill <expression>")
    );
    assert!(refusal("ALTER TABLE ghosts RENAME COLUMN a TO b;").contains("not known"));
    assert!(refusal("ALTER TABLE users ALTER COLUMN id TYPE int;").contains("primary key"));
    assert!(refusal("ALTER TABLE users ADD COLUMN n bigserial;").contains("serial / identity"));
    // unsafe as written and no recipe: the generated file's lint finding refuses it
    let r = refusal("ALTER TABLE users SET TABLESPACE slow;");
    assert!(
        r.contains("ban-table-rewrite") || r.contains("rewrite"),
        "{r}"
    );
    // every refusal is positioned on the naive statement
    assert!(
        refusal("SELECT 1;\nALTER TABLE users ADD COLUMN h text NOT NULL;").starts_with("2:1 ")
    );
}

#[test]
fn the_plan_as_data_names_locks_costs_and_strategies() {
    let (p, _) = try_plan("ALTER TABLE users RENAME COLUMN name TO full_name;").unwrap();
    let json = serde_json::to_value(&p).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .all(|s| s["lock"].is_string() && s["cost"].is_string())
    );
    let phases: BTreeSet<&str> = steps.iter().map(|s| s["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, BTreeSet::from(["backfill", "contract", "expand"]));
    assert!(steps.iter().any(|s| s["strategy"] == "concurrent-index"));
    assert_eq!(json["backfill"][0]["set"]["full_name"], "\"name\"");
}

#[test]
fn identifiers_that_need_quoting_are_quoted() {
    let history =
        "CREATE TABLE \"Odd Table\" (\"Id\" int PRIMARY KEY, \"naïve \"\"col\"\"\" text);";
    let settings = LintSettings::default();
    let catalog = lint::engine::replay(
        &settings,
        Catalog::new(settings.dialect),
        &[migration("0001", "init", history)],
    );
    let m = migration(
        "0002",
        "odd",
        "ALTER TABLE \"Odd Table\" RENAME COLUMN \"naïve \"\"col\"\"\" TO \"Größe\";",
    );
    let p = plan(&settings, &catalog, &m).unwrap();
    let files = p.files(settings.dialect).unwrap();
    let expand = &files.files[0].1;
    assert!(
        expand.contains("ALTER TABLE \"Odd Table\" ADD COLUMN IF NOT EXISTS \"Größe\" TEXT;"),
        "{expand}"
    );
    assert!(expand.contains("NEW.\"naïve \"\"col\"\"\""), "{expand}");
}

recipe_snapshot!(
    batched_update,
    "UPDATE users SET email = lower(email) WHERE email <> lower(email);"
);

#[test]
fn several_fills_of_one_table_guard_each_column() {
    let (p, _) = try_plan(
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    )
    .unwrap();
    let spec = p.backfill[0].clone();
    assert_eq!(
        spec.set.get("token").map(String::as_str),
        Some("CASE WHEN token IS NULL THEN gen_random_uuid() ELSE token END")
    );
    assert_eq!(
        spec.where_.as_deref(),
        Some("(full_name IS NULL AND \"name\" IS NOT NULL) OR (token IS NULL)")
    );
    // two tables: a fill each, in the order they come
    let (p, _) = try_plan("UPDATE users SET age = 1;\nUPDATE orders SET total = 0;").unwrap();
    let tables: Vec<&str> = p.backfill.iter().map(|f| f.table.as_str()).collect();
    assert_eq!(tables, ["users", "orders"]);
    assert_eq!(
        p.backfill[1].set.get("total").map(String::as_str),
        Some("0")
    );
    let text = p.backfill_file().unwrap();
    assert_eq!(text.matches("[[fill]]").count(), 2, "{text}");
    assert!(refusal("UPDATE users SET id = id + 1;").contains("key column"));
}

#[test]
fn recipe_findings_point_at_the_plan_command() {
    let settings = LintSettings::default();
    let history = [migration("0001", "init", HISTORY)];
    let report = lint::lint_change_set(
        &settings,
        &history,
        &[migration(
            "0002",
            "change",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
        )],
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.rule == "renaming-column")
        .expect("renaming-column fires");
    assert!(
        d.help.contains("`migrate plan 0002_change.sql`"),
        "{}",
        d.help
    );
}

// ---- MySQL / MariaDB

const MYSQL_HISTORY: &str = "
CREATE TABLE owners (id BIGINT PRIMARY KEY, label VARCHAR(100) COLLATE utf8mb4_bin);
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    owner_id BIGINT,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(100),
    balance INT NOT NULL DEFAULT 0,
    note VARCHAR(100),
    CONSTRAINT accounts_balance_check CHECK (balance >= 0)
) DEFAULT CHARSET=utf8mb4;
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE TABLE events (id BIGINT NOT NULL, kind VARCHAR(20));
";

/// MariaDB 10.11 (the test servers), or MySQL `version` ("8.0.27").
fn mysql_settings(mysql_version: Option<&str>) -> LintSettings {
    let mut s = LintSettings {
        dialect: Dialect::Mysql,
        ..LintSettings::default()
    };
    match mysql_version {
        None => {
            s.mariadb = true;
            s.server_version = 1011;
        }
        Some(v) => {
            let parts: Vec<u32> = v.split('.').filter_map(|p| p.parse().ok()).collect();
            s.server_version = parts[0] * 10 + parts[1];
            s.server_patch = parts.get(2).copied();
        }
    }
    s
}

fn try_plan_mysql(sql: &str, version: Option<&str>) -> Result<(Plan, PlanFiles), PlanError> {
    let settings = mysql_settings(version);
    let history = [migration("0001", "init", MYSQL_HISTORY)];
    let catalog = lint::engine::replay(&settings, Catalog::new(settings.dialect), &history);
    let p = plan(&settings, &catalog, &migration("0002", "change", sql))?;
    let files = p.files(settings.dialect)?;
    Ok((p, files))
}

fn mysql_files(sql: &str, version: Option<&str>) -> String {
    let (_, files) = try_plan_mysql(sql, version).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    files
        .files
        .iter()
        .map(|(n, t)| format!("==> {n} <==\n{t}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each `(sql, reason)`: the plan is refused with a reason holding `reason`.
fn mysql_refused_so(cases: &[(&str, &str)]) {
    for (sql, reason) in cases {
        let r = mysql_refusal(sql);
        assert!(r.contains(reason), "{sql}:\n{r}");
    }
}

fn mysql_refusal(sql: &str) -> String {
    match try_plan_mysql(sql, None) {
        Err(PlanError::Refused(r)) => r
            .iter()
            .map(|r| format!("{}:{} {}", r.line, r.column, r.reason))
            .collect::<Vec<_>>()
            .join("\n"),
        other => panic!("expected a refusal for {sql}, got {other:?}"),
    }
}

macro_rules! mysql_snapshot {
    ($name:ident, $sql:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(mysql_files($sql, None));
        }
    };
}

mysql_snapshot!(
    mysql_rename_column,
    "ALTER TABLE accounts RENAME COLUMN name TO full_name;"
);
mysql_snapshot!(
    mysql_change_rename,
    "ALTER TABLE accounts CHANGE email mail VARCHAR(100);"
);
mysql_snapshot!(
    mysql_change_type,
    "ALTER TABLE accounts MODIFY note BIGINT;"
);
mysql_snapshot!(
    mysql_add_not_null_column,
    "-- sluice:backfill CONCAT('h-', id)\nALTER TABLE accounts ADD COLUMN handle VARCHAR(50) NOT NULL AFTER owner_id;"
);
mysql_snapshot!(
    mysql_add_index,
    "CREATE INDEX accounts_owner_idx ON accounts (owner_id);\nALTER TABLE accounts ADD UNIQUE INDEX accounts_email_key (email);"
);
mysql_snapshot!(
    mysql_add_foreign_key,
    "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);"
);
mysql_snapshot!(
    mysql_soft_drops,
    "ALTER TABLE accounts DROP COLUMN name;\nDROP TABLE events;"
);
mysql_snapshot!(
    mysql_instant_and_inplace_pins,
    "ALTER TABLE accounts ADD COLUMN bio TEXT, ALGORITHM=COPY;\nALTER TABLE accounts MODIFY email VARCHAR(120);\nALTER TABLE accounts ALTER COLUMN note SET DEFAULT 'x';\nALTER TABLE accounts DROP INDEX accounts_name_idx;"
);

mysql_snapshot!(
    mysql_add_constant_not_null_column,
    "ALTER TABLE accounts ADD COLUMN tier INT AFTER owner_id;\nUPDATE accounts SET tier = 0;\nALTER TABLE accounts MODIFY tier INT NOT NULL;"
);

/// A MySQL table rename: the new name a view of the table until the contract, whose one
/// `RENAME TABLE` swaps them at once (kratos' `flow_rename` migrations, refused before as a
/// rename in the expand); another statement of the migration on either name is refused.
#[test]
fn mysql_rename_table_keeps_the_new_name_as_a_view_until_the_contract() {
    let (p, files) = try_plan_mysql("ALTER TABLE events RENAME TO happenings;", None)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(p.recipes.iter().any(|r| r.recipe == "rename-table"));
    let file = |suffix: &str| {
        files
            .files
            .iter()
            .find(|(n, _)| n.ends_with(suffix))
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no {suffix}"))
    };
    let expand = file("expand.up.sql");
    assert!(
        expand.contains("CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW happenings AS SELECT `id`, kind FROM events;"),
        "{expand}"
    );
    assert!(!expand.contains("RENAME TABLE"), "{expand}");
    assert!(file("expand.down.sql").contains("DROP VIEW IF EXISTS happenings;"));
    let contract = file("contract.up.sql");
    assert!(
        contract.contains("RENAME TABLE happenings TO _sluice_dropped_happenings_0002, events TO happenings;\nDROP VIEW _sluice_dropped_happenings_0002;"),
        "{contract}"
    );
    let down = file("contract.down.sql");
    assert!(
        down.contains("RENAME TABLE happenings TO events;")
            && down.contains("VIEW happenings AS SELECT"),
        "{down}"
    );
    mysql_refused_so(&[
        (
            "ALTER TABLE events RENAME TO happenings;\nALTER TABLE happenings ADD COLUMN at INT;",
            "line 2 of this migration also changes events or happenings",
        ),
        (
            "ALTER TABLE events ADD COLUMN at INT;\nALTER TABLE events RENAME TO happenings;",
            "line 1 of this migration also changes events or happenings",
        ),
        (
            "ALTER TABLE events RENAME TO archive.events;",
            "moves the table to another database",
        ),
    ]);
}

/// A name a MySQL migration frees and gives again, refused as on PostgreSQL (found by
/// `scripts/plan-verify-corpora.py --dialect mysql` on authelia: `WebAuthnAttestationType`
/// renames `attestation_type` and adds a column of that name, which met the old column, kept
/// until the contract; `ConsentPreConfiguration` drops tables and creates them again, whose
/// `CREATE TABLE IF NOT EXISTS` silently created nothing).
#[test]
fn mysql_a_name_freed_and_given_again_is_refused() {
    mysql_refused_so(&[
        (
            "ALTER TABLE accounts RENAME COLUMN note TO memo;\nALTER TABLE accounts ADD COLUMN note VARCHAR(10) NOT NULL DEFAULT '';",
            "column note of accounts exists before this migration, which renames or drops it and gives that name to a column again",
        ),
        (
            "DROP TABLE events;\nCREATE TABLE IF NOT EXISTS events (id BIGINT PRIMARY KEY);",
            "events exists before this migration, which drops or renames it and creates it again",
        ),
    ]);
}

#[test]
fn mysql_a_constant_value_is_a_default_only_where_the_add_is_instant() {
    let sql = "-- sluice:backfill 0\nALTER TABLE accounts ADD COLUMN tier INT NOT NULL;";
    let text = "-- sluice:backfill 'x'\nALTER TABLE accounts ADD COLUMN bio TEXT NOT NULL;";
    for (sql, version, instant) in [
        (sql, None, true),
        (sql, Some("8.0.12"), true),
        // MySQL 5.7 rebuilds the table for the column: the fill and its trigger
        (sql, Some("5.7.44"), false),
        // MySQL gives TEXT no literal DEFAULT; MariaDB does
        (text, Some("8.0.35"), false),
        (text, None, true),
    ] {
        let (p, _) = try_plan_mysql(sql, version).unwrap();
        assert_eq!(p.backfill.is_empty(), instant, "{sql} on {version:?}");
        if instant {
            assert!(
                p.steps
                    .iter()
                    .all(|s| s.up.contains("ALGORITHM=INSTANT")
                        || s.up.contains("ALGORITHM = INSTANT")),
                "{sql}: {:?}",
                p.steps
            );
        }
    }
}

#[test]
fn mysql_add_update_modify_not_null_is_one_not_null_column() {
    let (folded, _) = try_plan_mysql(
        "ALTER TABLE accounts ADD COLUMN handle VARCHAR(50);\nUPDATE accounts SET handle = CONCAT('h-', id);\nALTER TABLE accounts MODIFY handle VARCHAR(50) NOT NULL;",
        None,
    )
    .unwrap();
    let (direct, _) = try_plan_mysql(
        "-- sluice:backfill CONCAT('h-', id)\nALTER TABLE accounts ADD COLUMN handle VARCHAR(50) NOT NULL;",
        None,
    )
    .unwrap();
    assert_eq!(what_it_does(&folded), what_it_does(&direct));
    // a MODIFY that also changes the type is not the same column made NOT NULL
    if let Ok((other, _)) = try_plan_mysql(
        "ALTER TABLE accounts ADD COLUMN handle VARCHAR(50);\nUPDATE accounts SET handle = CONCAT('h-', id);\nALTER TABLE accounts MODIFY handle VARCHAR(80) NOT NULL;",
        None,
    ) {
        assert!(
            !other
                .notes
                .iter()
                .any(|n| n.contains("planned with the column"))
        );
    }
}

#[test]
fn mysql_change_type_keeps_the_final_definition_and_swaps_under_a_table_lock() {
    let (p, files) = try_plan_mysql(
        "ALTER TABLE accounts MODIFY note BIGINT NOT NULL DEFAULT 7;",
        None,
    )
    .unwrap();
    assert!(
        p.steps.iter().all(|s| s.group.is_none()),
        "no BEGIN/COMMIT on MySQL"
    );
    let contract = file(&files, "contract.up.sql");
    assert!(
        contract.contains(
            "MODIFY COLUMN note_sluice_new BIGINT NOT NULL DEFAULT 7, ALGORITHM=INPLACE, LOCK=NONE;"
        ),
        "{contract}"
    );
    let lock = contract.find("LOCK TABLES accounts WRITE;").unwrap();
    let drop = contract.find("DROP TRIGGER").unwrap();
    let rename = contract.find("RENAME COLUMN note TO _sluice_dropped_note_0002, RENAME COLUMN note_sluice_new TO note").unwrap();
    let unlock = contract.find("UNLOCK TABLES;").unwrap();
    assert!(
        lock < drop && drop < rename && rename < unlock,
        "{contract}"
    );
    assert_eq!(
        p.backfill[0].set.get("note_sluice_new").map(String::as_str),
        Some("note")
    );
}

#[test]
fn mysql_collations_are_kept_and_judged_by_index() {
    // MariaDB 10.11 rebuilds the index of a recollated column in place: as written, pinned,
    // and the way back drops the COLLATE again (the table's default)
    let text = mysql_files(
        "ALTER TABLE accounts MODIFY name VARCHAR(100) NOT NULL COLLATE utf8mb4_bin;",
        None,
    );
    assert!(
        text.contains(
            "MODIFY COLUMN name VARCHAR(100) NOT NULL COLLATE utf8mb4_bin, ALGORITHM = INPLACE, LOCK = NONE;"
        ),
        "{text}"
    );
    assert!(
        text.contains("MODIFY COLUMN `name` VARCHAR(100) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;"),
        "{text}"
    );
    // a rename copies the column with its collation
    let text = mysql_files("ALTER TABLE owners RENAME COLUMN label TO title;", None);
    assert!(
        text.contains(
            "ADD COLUMN title VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL"
        ),
        "{text}"
    );
}

#[test]
fn mysql_pins_follow_the_server_version() {
    // MySQL 8.0.27: ADD COLUMN (last) is INSTANT, RENAME / DROP COLUMN are not yet
    let text = mysql_files(
        "ALTER TABLE accounts RENAME COLUMN email TO mail;",
        Some("8.0.27"),
    );
    assert!(
        text.contains("ADD COLUMN mail VARCHAR(100) NULL, ALGORITHM=INSTANT;"),
        "{text}"
    );
    assert!(
        text.contains("DROP COLUMN mail, ALGORITHM=INPLACE, LOCK=NONE;"),
        "{text}"
    );
    assert!(
        text.contains("ALGORITHM=INPLACE, LOCK=NONE;\n\nUNLOCK TABLES;"),
        "{text}"
    );
    let text = mysql_files(
        "ALTER TABLE accounts RENAME COLUMN email TO mail;",
        Some("8.0.30"),
    );
    assert!(
        text.contains("DROP COLUMN mail, ALGORITHM=INSTANT;"),
        "{text}"
    );
    // MySQL 5.7: ADD COLUMN is an in-place rebuild
    let text = mysql_files("ALTER TABLE accounts ADD COLUMN bio TEXT;", Some("5.7"));
    assert!(
        text.contains("ADD COLUMN bio TEXT, ALGORITHM = INPLACE, LOCK = NONE;"),
        "{text}"
    );
}

#[test]
fn mysql_refusals_say_why() {
    assert!(
        mysql_refusal("ALTER TABLE accounts ADD COLUMN handle VARCHAR(5) NOT NULL;")
            .contains("sluice:backfill <expression>")
    );
    assert!(
        mysql_refusal("ALTER TABLE accounts MODIFY balance BIGINT;")
            .contains("CHECK constraint accounts_balance_check")
    );
    assert!(mysql_refusal("ALTER TABLE accounts MODIFY id INT;").contains("primary key"));
    assert!(
        mysql_refusal("ALTER TABLE accounts ADD CONSTRAINT c CHECK (owner_id > 0);")
            .contains("table copy")
    );
    assert!(
        mysql_refusal("ALTER TABLE accounts CHANGE email mail VARCHAR(200);").contains("split it")
    );
    assert!(
        mysql_refusal("ALTER TABLE accounts ADD FULLTEXT INDEX ft (note);").contains("LOCK=SHARED")
    );
    assert!(
        mysql_refusal("ALTER TABLE accounts ADD COLUMN n INT AUTO_INCREMENT;")
            .contains("AUTO_INCREMENT")
    );
}

fn pg18_files(sql: &str) -> String {
    let settings = LintSettings {
        server_version: 18,
        ..LintSettings::default()
    };
    files_text_with(&settings, sql)
}

#[test]
fn pg18_proves_not_null_with_the_not_null_constraint_itself() {
    let text = pg18_files("ALTER TABLE orders ALTER COLUMN total SET NOT NULL;");
    assert!(
        text.contains(
            "ALTER TABLE orders ADD CONSTRAINT orders_total_not_null NOT NULL total NOT VALID;"
        ) && text.contains("ALTER TABLE orders VALIDATE CONSTRAINT orders_total_not_null;"),
        "{text}"
    );
    assert!(
        !text.contains("sluice_nn") && !text.contains("SET NOT NULL;"),
        "{text}"
    );
    assert!(
        text.contains("ALTER TABLE orders ALTER COLUMN total DROP NOT NULL;"),
        "{text}"
    );
    // before 18: the CHECK detour
    assert!(
        files_text("ALTER TABLE orders ALTER COLUMN total SET NOT NULL;")
            .contains("orders_total_sluice_nn")
    );
    // a type change of a NOT NULL column carries its NOT NULL through the constraint too
    let text = pg18_files("ALTER TABLE users ALTER COLUMN name TYPE varchar(300);");
    assert!(
        text.contains("NOT NULL name_sluice_new NOT VALID"),
        "{text}"
    );
    assert!(!text.contains("sluice_nn"), "{text}");
}

#[test]
fn a_forced_strategy_stays_above_its_statement() {
    // plain: as written, not made CONCURRENTLY behind the user's back; the generated file's
    // lint then holds it to the same bar as any other
    let r = refusal("-- sluice:strategy plain\nCREATE INDEX users_email_idx ON users (email);");
    assert!(r.contains("without CONCURRENTLY"), "{r}");
    let (p, files) =
        try_plan("-- sluice:strategy plain\nALTER TABLE users ADD COLUMN bio text;").unwrap();
    assert!(p.steps.iter().all(|s| s.recipe == "pass-through"), "{p:?}");
    let up = file(&files, "expand.up.sql");
    assert!(
        up.contains("-- sluice:strategy plain\nALTER TABLE users ADD COLUMN bio text;"),
        "{up}"
    );
    // MySQL: the NOT NULL rebuild goes to the contract with the tool's directive above it
    let (_, files) = try_plan_mysql(
        "-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY note VARCHAR(100) NOT NULL;",
        None,
    )
    .unwrap();
    let contract = file(&files, "contract.up.sql");
    assert!(
        contract.contains("-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY COLUMN note VARCHAR(100) NOT NULL;"),
        "{contract}"
    );
}

#[test]
fn a_forced_strategy_on_a_rewritten_statement_is_refused_not_dropped() {
    let r =
        refusal("-- sluice:strategy shadow-table\nALTER TABLE users ALTER COLUMN age TYPE bigint;");
    assert!(r.contains("`-- sluice:strategy shadow-table` forces how the runner applies this statement, but the planner rewrites it (change-column-type"), "{r}");
    let r = mysql_refusal("-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY owner_id INT;");
    assert!(r.contains("`-- sluice:strategy pt-osc` forces"), "{r}");
}

#[test]
fn an_ignore_stays_with_a_statement_passed_through_and_is_noted_on_a_rewrite() {
    let (_, files) = try_plan(
        "-- sluice:ignore require-concurrent-index-creation -- users is small\n\
         -- sluice:strategy plain\n\
         CREATE INDEX users_email_idx ON users (email);",
    )
    .unwrap();
    let up = file(&files, "expand.up.sql");
    assert!(
        up.contains(
            "-- sluice:ignore require-concurrent-index-creation -- users is small\n\
             -- sluice:strategy plain\n\
             CREATE INDEX users_email_idx ON users (email);"
        ),
        "{up}"
    );
    let (p, files) = try_plan(
        "-- sluice:ignore require-concurrent-index-creation\n\
         CREATE INDEX users_email_idx ON users (email);",
    )
    .unwrap();
    assert_noted(&p, "`-- sluice:ignore` left out");
    assert!(
        files
            .files
            .iter()
            .all(|(_, t)| !t.contains("sluice:ignore"))
    );
}

#[test]
fn a_plain_statement_on_a_table_of_the_change_stays_in_expand() {
    let (p, files) = try_plan(
        "CREATE TABLE tags (id bigint PRIMARY KEY, label text);\n\
         -- sluice:strategy plain\n\
         ALTER TABLE tags ADD CONSTRAINT tags_label_key UNIQUE (label);",
    )
    .unwrap();
    assert!(
        p.steps.iter().all(|s| s.phase == PlanPhase::Expand),
        "{p:?}"
    );
    let names: Vec<&str> = files.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["expand.up.sql", "expand.down.sql"]);
}

#[test]
fn file_directives_are_noted_and_an_ignore_file_stays_where_its_rules_fire() {
    let settings = LintSettings {
        runner: sluice_lint::settings::Runner::GolangMigrate,
        ..LintSettings::default()
    };
    let change = "ALTER TABLE orders DROP COLUMN total;\nALTER TABLE users ADD COLUMN bio text;\n";
    // without the directives the generated files need a lock_timeout under this runner
    let (_, files) = try_plan_with(&settings, change).unwrap();
    assert!(
        files.files.iter().all(|(_, t)| !t.contains("ignore-file")),
        "{files:?}"
    );
    let history = [migration("0001", "init", HISTORY)];
    let catalog = lint::engine::replay(&settings, Catalog::new(settings.dialect), &history);
    let findings = |p: &Plan, files: &PlanFiles| -> Vec<String> {
        let m = p.migration(files, std::path::Path::new("0002_change"));
        lint::engine::lint_change_set_on(&settings, catalog.clone(), &[], &[m])
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.path.display(), d.rule))
            .collect()
    };
    let (p, files) = try_plan_with(&settings, change).unwrap();
    assert!(
        findings(&p, &files)
            .iter()
            .any(|f| f.ends_with("require-lock-timeout")),
        "{:?}",
        findings(&p, &files)
    );

    let (p, files) = try_plan_with(
        &settings,
        &format!(
            "-- sluice:phase contract\n\
             -- sluice:irreversible the totals are gone\n\
             -- sluice:ignore-file require-lock-timeout, ban-drop-column\n{change}"
        ),
    )
    .unwrap();
    assert_noted(&p, "line 1: `-- sluice:phase contract` is not carried over");
    assert_noted(
        &p,
        "line 2: `-- sluice:irreversible the totals are gone` is not carried over",
    );
    assert_noted(
        &p,
        "line 3: `-- sluice:ignore-file require-lock-timeout, ban-drop-column` is kept where its rules still fire: expand.up (require-lock-timeout); expand.down (require-lock-timeout); contract.up (require-lock-timeout)",
    );
    for (name, text) in &files.files {
        assert!(
            !text.contains("sluice:phase") && !text.contains("sluice:irreversible"),
            "{name}: {text}"
        );
        // the soft drop no longer triggers ban-drop-column: the directive names only what fires
        assert!(
            text.contains("-- sluice:ignore-file require-lock-timeout\n"),
            "{name}: {text}"
        );
    }
    // silenced where it fires, and no unused ignore anywhere
    let left: Vec<String> = findings(&p, &files)
        .into_iter()
        .filter(|f| f.ends_with("require-lock-timeout") || f.ends_with("unused-ignore"))
        .collect();
    assert_eq!(left, Vec::<String>::new());

    // naming only rules that fire nowhere: nothing carried, and said so
    let (p, files) = try_plan_with(
        &settings,
        &format!("-- sluice:ignore-file ban-drop-column\n{change}"),
    )
    .unwrap();
    assert_noted(
        &p,
        "`-- sluice:ignore-file ban-drop-column` is not carried over: no phase file triggers the rules it names",
    );
    assert!(files.files.iter().all(|(_, t)| !t.contains("ignore-file")));
}

#[test]
fn a_tool_above_a_folded_not_null_runs_the_contract_rebuild_through_it() {
    let change = "ALTER TABLE accounts ADD COLUMN tier int;\n\
                  UPDATE accounts SET tier = id % 4;\n\
                  -- sluice:strategy pt-osc\n\
                  ALTER TABLE accounts MODIFY tier int NOT NULL;";
    let (p, files) = try_plan_mysql(change, None).unwrap();
    let contract = file(&files, "contract.up.sql");
    // the trigger goes first (the tool refuses a table with triggers), the rebuild unpinned
    let trigger = contract.find("DROP TRIGGER").expect(contract);
    let rebuild = contract
        .find("-- sluice:strategy pt-osc\nALTER TABLE accounts MODIFY COLUMN tier INT NOT NULL;")
        .expect(contract);
    assert!(trigger < rebuild, "{contract}");
    assert!(!contract.contains("ALGORITHM"), "{contract}");
    let step = p
        .steps
        .iter()
        .find(|s| s.up.contains("MODIFY COLUMN tier INT NOT NULL"))
        .unwrap();
    assert!(
        step.summary.contains("a copy of the table by pt-osc"),
        "{step:?}"
    );
    assert_noted(
        &p,
        "line 4: `-- sluice:strategy pt-osc` kept above the contract's NOT NULL rebuild",
    );
    // without it: the in-place rebuild, the trigger kept until NOT NULL holds
    let (_, files) =
        try_plan_mysql(&change.replace("-- sluice:strategy pt-osc\n", ""), None).unwrap();
    let contract = file(&files, "contract.up.sql");
    assert!(
        contract.find("ALGORITHM=INPLACE, LOCK=NONE").unwrap()
            < contract.find("DROP TRIGGER").unwrap(),
        "{contract}"
    );
}

#[test]
fn other_directives_on_a_folded_not_null_column_are_refused_or_noted() {
    // a tool above the UPDATE, or a strategy the recipe cannot take: refused, not dropped
    let r = mysql_refusal(
        "ALTER TABLE accounts ADD COLUMN tier int;\n\
         -- sluice:strategy pt-osc\n\
         UPDATE accounts SET tier = id % 4;\n\
         ALTER TABLE accounts MODIFY tier int NOT NULL;",
    );
    assert!(r.contains("`-- sluice:strategy pt-osc` (line 3) forces how the runner applies a statement the planner folds into the NOT NULL column recipe of line 1"), "{r}");
    assert!(
        r.contains("with pt-osc or gh-ost above the statement that makes the column NOT NULL"),
        "{r}"
    );
    let r = refusal(
        "ALTER TABLE users ADD COLUMN tier int;\n\
         UPDATE users SET tier = 1 + id % 4;\n\
         -- sluice:strategy plain\n\
         ALTER TABLE users ALTER COLUMN tier SET NOT NULL;",
    );
    assert!(
        r.contains("`-- sluice:strategy plain` (line 4) forces"),
        "{r}"
    );
    let (p, files) = try_plan(
        "ALTER TABLE users ADD COLUMN tier int;\n\
         UPDATE users SET tier = 1 + id % 4; -- sluice:ignore unbatched-backfill\n\
         ALTER TABLE users ALTER COLUMN tier SET NOT NULL;",
    )
    .unwrap();
    assert_noted(
        &p,
        "line 2: `-- sluice:ignore` left out: the statement is part of the NOT NULL column recipe of line 1",
    );
    assert!(
        files
            .files
            .iter()
            .all(|(_, t)| !t.contains("sluice:ignore unbatched"))
    );
}

#[test]
fn a_refused_generated_file_names_the_whole_statement_and_the_way_out() {
    // golang-migrate sends a file as one query: CONCURRENTLY cannot share it
    let settings = LintSettings {
        runner: sluice_lint::settings::Runner::GolangMigrate,
        ..LintSettings::default()
    };
    let Err(PlanError::Refused(r)) = try_plan_with(
        &settings,
        "CREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ADD COLUMN bio text;",
    ) else {
        panic!("expected a refusal");
    };
    let up = r
        .iter()
        .find(|r| r.reason.contains("expand.up.sql"))
        .unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(
        up.statement,
        "CREATE INDEX CONCURRENTLY users_email_idx ON users(email);"
    );
    assert_eq!(up.line, 1, "{up:?}");
    assert!(
        up.reason
            .ends_with("; move it to a migration of its own, as its only statement"),
        "{up:?}"
    );
}

fn parts_for(runner: Option<sluice_lint::settings::Runner>, sql: &str) -> Vec<PhasePart> {
    let settings = LintSettings::default();
    let history = [migration("0001", "init", HISTORY)];
    let catalog = lint::engine::replay(&settings, Catalog::new(settings.dialect), &history);
    let options = PlanOptions {
        runner,
        ..PlanOptions::default()
    };
    let p = plan_with(
        &settings,
        &catalog,
        &migration("0002", "change", sql),
        &options,
    )
    .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    p.phase_parts(settings.dialect).unwrap()
}

/// The statements of a part's up script, its comments left out.
fn sql_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("--") && !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_one_query_runner_gets_each_concurrently_step_in_a_migration_of_its_own() {
    use sluice_lint::settings::Runner;
    let sql = "ALTER TABLE users ADD COLUMN bio text;\n\
               CREATE INDEX users_email_idx ON users (email);\n\
               ALTER TABLE orders ADD COLUMN note text;\n\
               DROP INDEX users_name_idx;\n\
               ALTER TABLE users DROP COLUMN age;";
    let parts = parts_for(Some(Runner::GolangMigrate), sql);
    let shape: Vec<(PlanPhase, usize, usize, String)> = parts
        .iter()
        .map(|p| (p.phase, p.part, p.parts, sql_of(&p.up)))
        .collect();
    assert_eq!(
        shape,
        [
            (
                PlanPhase::Expand,
                1,
                3,
                "ALTER TABLE users ADD COLUMN bio text;".into()
            ),
            (
                PlanPhase::Expand,
                2,
                3,
                "CREATE INDEX CONCURRENTLY users_email_idx ON users(email);".into()
            ),
            (
                PlanPhase::Expand,
                3,
                3,
                "ALTER TABLE orders ADD COLUMN note text;".into()
            ),
            (
                PlanPhase::Contract,
                1,
                2,
                "DROP INDEX CONCURRENTLY IF EXISTS users_name_idx;".into()
            ),
            (
                PlanPhase::Contract,
                2,
                2,
                "BEGIN;\nALTER TABLE users RENAME COLUMN age TO _sluice_dropped_age_0002;\nCOMMIT;"
                    .into()
            ),
        ],
        "{parts:#?}"
    );
    assert!(
        parts[1]
            .up
            .contains("-- expand of 0002_change, part 2 of 3:")
    );
    assert_eq!(
        sql_of(parts[1].down.as_deref().unwrap()),
        "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;"
    );
    assert_eq!(parts[4].file_name(false), "contract-2.down.sql");

    // Sluice's runner, goose (statement by statement) and a plan without a runner: one
    // migration per phase
    for runner in [None, Some(Runner::Goose)] {
        let parts = parts_for(runner, sql);
        assert_eq!(
            parts.iter().map(|p| (p.phase, p.parts)).collect::<Vec<_>>(),
            [(PlanPhase::Expand, 1), (PlanPhase::Contract, 1)],
            "{runner:?}"
        );
    }
}

#[test]
fn a_statement_passed_through_is_written_as_the_author_wrote_it() {
    // crates.io's 2024-03-06-123525_add_expiry_notification_at: sqlparser prints
    // `'token''s'` as `'token's'`, and the generated file was refused as unterminated
    let (_, files) = try_plan(
        "ALTER TABLE users ADD COLUMN seen timestamptz;\n\
         COMMENT ON COLUMN users.seen IS 'when the user''s token was last used';",
    )
    .unwrap();
    let up = file(&files, "expand.up.sql");
    assert!(
        up.contains("COMMENT ON COLUMN users.seen IS 'when the user''s token was last used';"),
        "{up}"
    );
    // a last statement without `;` holds the comments after it: they stay out (crates.io's
    // 2025-02-11-122509: the `;` after them ended a comment, and the COMMIT with it)
    let (_, files) = try_plan(
        "ALTER TABLE users ADD COLUMN seen timestamptz;\n\
         COMMENT ON COLUMN users.seen IS 'last use'\n\n-- by hand later:\n-- UPDATE users SET seen = now();\n",
    )
    .unwrap();
    let up = file(&files, "expand.up.sql");
    assert!(
        up.contains("BEGIN;\nCOMMENT ON COLUMN users.seen IS 'last use';\nCOMMIT;")
            && !up.contains("by hand later"),
        "{up}"
    );
    // an ALTER TABLE of several actions is planned per action: each prints itself
    let (_, files) =
        try_plan("ALTER TABLE users ADD COLUMN bio text, ADD COLUMN motto varchar(80);").unwrap();
    let up = file(&files, "expand.up.sql");
    assert!(
        up.contains("ALTER TABLE users ADD COLUMN bio TEXT;")
            && up.contains("ALTER TABLE users ADD COLUMN motto VARCHAR(80);"),
        "{up}"
    );
}

#[test]
fn a_table_dropped_and_created_again_is_refused() {
    // vaultwarden's 2024-02-14-170000_add_state_to_sso_nonce: the CREATE went to the expand,
    // where the old table (soft-dropped only in the contract) still held the name
    let r = refusal("DROP TABLE orders;\nCREATE TABLE orders (id bigint PRIMARY KEY, note text);");
    assert!(
        r.contains(
            "orders exists before this migration, which drops or renames it and creates it again"
        ),
        "{r}"
    );
    // authelia's V0002.WebAuthn: renamed to a backup, created again IF NOT EXISTS (the rename's
    // compatibility view held the name: the new table was silently not created)
    let r = refusal(
        "ALTER TABLE orders RENAME TO orders_bkp;\nCREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);",
    );
    assert!(
        r.contains("drops or renames it and creates it again"),
        "{r}"
    );
    // authelia's V0024.WebAuthnAttestationType: a column renamed, one of its old name added
    let r = refusal(
        "ALTER TABLE users RENAME COLUMN email TO email_address;\nALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';",
    );
    assert!(
        r.contains("column email of users exists before this migration, which renames or drops it"),
        "{r}"
    );
    // IF NOT EXISTS of a table still there does nothing, as written
    try_plan("CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);").unwrap();
    // a table the migration creates is free to be dropped and created again
    try_plan("CREATE TABLE tmp (a int);\nDROP TABLE tmp;\nCREATE TABLE tmp (b int);").unwrap();
}

/// An `IF NOT EXISTS` that finds its object there creates nothing: the down leaves the
/// index, column or table the earlier migrations made (it dropped them: crates.io's
/// `fix_local_dbs_unique_gh_login`, found by `migrate verify`). Without `IF NOT EXISTS` the
/// down still drops what the up made.
#[test]
fn if_not_exists_finding_the_object_leaves_it_in_the_down() {
    let (p, files) = try_plan(
        "CREATE INDEX IF NOT EXISTS users_name_idx ON users (name);
         ALTER TABLE users ADD COLUMN IF NOT EXISTS name text;
         CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);
         CREATE INDEX IF NOT EXISTS orders_total_idx ON orders (total);",
    )
    .unwrap();
    let down = file(&files, "expand.down.sql");
    assert!(!down.contains("users_name_idx"), "{down}");
    assert!(!down.contains("DROP COLUMN"), "{down}");
    assert!(!down.contains("DROP TABLE"), "{down}");
    assert!(
        down.contains("DROP INDEX CONCURRENTLY IF EXISTS orders_total_idx"),
        "{down}"
    );
    assert_noted(&p, "finds index users_name_idx there already");
    assert_noted(&p, "finds column name of users there already");
    assert_noted(&p, "finds table orders there already");
}

/// A view dropped and created again under its name. The drop used to wait for the contract,
/// so the expand's `CREATE` failed on the name (crates.io's `recent_crate_downloads`, found
/// by `migrate verify`). When the new view keeps every column of the old one (lemmy's views
/// over `*`, created again whenever a table gains a column) the pair is one transaction of
/// the expand; otherwise it is refused with the way out.
#[test]
fn a_view_dropped_and_created_again_keeps_its_columns_or_is_refused() {
    let history = format!(
        "{HISTORY}\nCREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;\n\
             CREATE VIEW order_users AS SELECT o.id, u.name FROM orders o JOIN users u ON u.id = o.user_id;\n\
             CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) FROM orders GROUP BY user_id;"
    );
    let planned = |sql: &str| files_text_on(&LintSettings::default(), &history, sql);
    let refused = |sql: &str| refusal_on(&history, sql);

    // a column added, the views over it created again with it: all in the expand, the two
    // views' drops and creations in one transaction
    let text = planned(
        "ALTER TABLE orders ADD COLUMN note text;\n\
         DROP VIEW big_orders;\nDROP VIEW order_users;\n\
         CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;\n\
         CREATE VIEW order_users AS SELECT o.id, u.name, o.note FROM orders o JOIN users u ON u.id = o.user_id;",
    );
    let expand = text
        .split("==> expand.up.sql <==")
        .nth(1)
        .expect("an expand");
    let tx = expand
        .split("BEGIN;")
        .skip(1)
        .find(|t| t.contains("DROP VIEW"))
        .and_then(|t| t.split("COMMIT;").next())
        .expect("a transaction");
    for stmt in [
        "DROP VIEW big_orders",
        "DROP VIEW order_users",
        "CREATE VIEW big_orders",
        "CREATE VIEW order_users",
    ] {
        assert!(tx.contains(stmt), "{stmt} outside the transaction:\n{text}");
    }
    assert!(!tx.contains("ADD COLUMN"), "{text}");
    assert!(!text.contains("contract.up.sql"), "{text}");
    assert!(
        text.contains("-- line 2 `DROP VIEW big_orders`: replace-view"),
        "{text}"
    );
    // the old definition is not in the catalog: the expand's down is written by hand
    assert!(
        text.contains("irreversible no automatic inverse for line 2 (DROP VIEW big_orders)"),
        "{text}"
    );

    // a column of the old view missing from the new one: the running code may read it
    let r =
        refused("DROP VIEW order_users;\nCREATE VIEW order_users AS SELECT o.id FROM orders o;");
    assert!(
        r.contains("view order_users exists before this migration"),
        "{r}"
    );
    assert!(r.contains("the new definition has no column name"), "{r}");
    // another statement between the drop and the creation
    let r = refused(
        "DROP VIEW big_orders;\nALTER TABLE orders ALTER COLUMN total TYPE bigint;\n\
         CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;",
    );
    assert!(
        r.contains("line 2 comes between the drop and the creation"),
        "{r}"
    );
    // CASCADE drops what the migration does not name
    let r = refused(
        "DROP VIEW big_orders CASCADE;\nCREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;",
    );
    assert!(r.contains("its drop is CASCADE"), "{r}");
    let r = refused(
        "DROP MATERIALIZED VIEW order_totals;\nCREATE MATERIALIZED VIEW order_totals AS SELECT user_id, count(*) FROM orders GROUP BY user_id;",
    );
    assert!(
        r.contains("materialized view order_totals exists before"),
        "{r}"
    );
    // a new view is planned
    assert!(
        try_plan_on(
            &LintSettings::default(),
            &history,
            "CREATE VIEW small_orders AS SELECT id FROM orders;"
        )
        .is_ok()
    );
}

/// A generated column dropped with the function its expression uses: the column is dropped
/// for real in the contract, so the function's drop after it succeeds (a soft-dropped copy
/// kept the dependency: crates.io's `remove-semver-no-prerelease-column`, found by `migrate
/// verify`); the down adds the column again from its expression.
#[test]
fn a_generated_column_is_dropped_for_real() {
    let (settings, catalog) = catalog_of(
        "CREATE FUNCTION tag_of(text) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT lower($1) $$;\n\
         CREATE TABLE items (id bigint PRIMARY KEY, name text, tag text GENERATED ALWAYS AS (tag_of(name)) STORED);",
    );
    let p = plan(
        &settings,
        &catalog,
        &migration(
            "0002",
            "change",
            "ALTER TABLE items DROP COLUMN tag;\nDROP FUNCTION tag_of(text);",
        ),
    )
    .unwrap();
    let files = p.files(settings.dialect).unwrap();
    let up = file(&files, "contract.up.sql");
    assert!(
        up.contains(r#"ALTER TABLE "items" DROP COLUMN IF EXISTS "tag";"#),
        "{up}"
    );
    assert!(!up.contains("_sluice_dropped_tag"), "{up}");
    assert!(
        up.find("DROP COLUMN").unwrap() < up.find("DROP FUNCTION").unwrap(),
        "{up}"
    );
    let step = p
        .steps
        .iter()
        .find(|s| s.recipe == "drop-generated-column")
        .expect("step");
    let down = step.down.as_deref().expect("a down");
    assert!(
        down.contains("GENERATED ALWAYS AS (tag_of(name)) STORED") && down.contains("ADD COLUMN"),
        "{down}"
    );
}

/// An index dropped and built again under its name (crates.io's
/// 20150319224701_dumped_migration_94; 113 statements of the corpora, refused before): the
/// new one is built under another name in the expand (the old one keeps the name until the
/// contract drops it), then takes the name; each down undoes its half, the contract's builds
/// the old index again as it was.
#[test]
fn an_index_dropped_and_built_again_takes_its_name_in_the_contract() {
    let (_, files) = try_plan(
        "DROP INDEX users_name_idx;\nCREATE INDEX users_name_idx ON users (lower(name)) WHERE email IS NOT NULL;",
    )
    .unwrap();
    let expand = file(&files, "expand.up.sql");
    assert!(
        expand.contains(
            r#"CREATE INDEX CONCURRENTLY "users_name_idx_sluice_new" ON users(lower(name)) WHERE email IS NOT NULL"#
        ),
        "{expand}"
    );
    assert!(!expand.contains("DROP INDEX"), "{expand}");
    let down = file(&files, "expand.down.sql");
    assert!(
        down.contains("DROP INDEX CONCURRENTLY IF EXISTS users_name_idx_sluice_new"),
        "{down}"
    );
    let contract = file(&files, "contract.up.sql");
    let (drop, rename) = (
        contract.find("DROP INDEX CONCURRENTLY IF EXISTS users_name_idx;"),
        contract.find("ALTER INDEX users_name_idx_sluice_new RENAME TO users_name_idx;"),
    );
    assert!(
        drop.is_some() && rename.is_some() && drop < rename,
        "{contract}"
    );
    let down = file(&files, "contract.down.sql");
    let (unrename, rebuild) = (
        down.find("ALTER INDEX users_name_idx RENAME TO users_name_idx_sluice_new;"),
        down.find(
            r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON "public".users ("name")"#,
        ),
    );
    assert!(
        unrename.is_some() && rebuild.is_some() && unrename < rebuild,
        "{down}"
    );
}

/// The same for a sequence and a schema the history made.
#[test]
fn if_not_exists_finding_a_sequence_or_schema_leaves_it_in_the_down() {
    let (settings, catalog) = catalog_of("CREATE SCHEMA billing;\nCREATE SEQUENCE invoice_no;");
    let change = "CREATE SCHEMA IF NOT EXISTS billing;\nCREATE SEQUENCE IF NOT EXISTS invoice_no;\nCREATE SEQUENCE IF NOT EXISTS order_no;";
    let p = plan(&settings, &catalog, &migration("0002", "change", change)).unwrap();
    let files = p.files(settings.dialect).unwrap();
    let down = file(&files, "expand.down.sql");
    assert!(!down.contains("DROP SCHEMA"), "{down}");
    assert!(!down.contains("invoice_no"), "{down}");
    assert!(down.contains("DROP SEQUENCE IF EXISTS order_no"), "{down}");
    assert_noted(&p, "finds schema billing there already");
    assert_noted(&p, "finds sequence invoice_no there already");
}

/// A column in a unique constraint is shadowed when nothing references the table; a
/// foreign key that does depends on the old index, and the plan is refused with the way out.
#[test]
fn a_unique_column_of_a_referenced_table_is_refused() {
    let (settings, catalog) = catalog_of(
        "CREATE TABLE users (id bigint PRIMARY KEY, email text CONSTRAINT users_email_key UNIQUE);\n\
         CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint CONSTRAINT orders_user_fk REFERENCES users (id));",
    );
    let change = migration(
        "0002",
        "change",
        "ALTER TABLE users RENAME COLUMN email TO mail;",
    );
    match plan(&settings, &catalog, &change) {
        Err(PlanError::Refused(r)) => assert!(
            r.iter()
                .any(|r| r.reason.contains("foreign key orders_user_fk of")
                    && r.reason.contains("use a shadow table (copy) instead")),
            "{r:?}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let (_, catalog) = catalog_of(
        "CREATE TABLE users (id bigint PRIMARY KEY, email text CONSTRAINT users_email_key UNIQUE);",
    );
    let p = plan(&settings, &catalog, &change).unwrap();
    let files = p.files(settings.dialect).unwrap();
    let contract = file(&files, "contract.up.sql");
    assert!(
        contract.contains("ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key"),
        "{contract}"
    );
    // a runner that sends a file as one query would get the copy's rebuild as a migration
    // of its own, which a one-step rollback leaves undone (crates.io under diesel, found by
    // `migrate verify`): refused with the way out
    let options = PlanOptions {
        runner: Some(Runner::GolangMigrate),
        ..PlanOptions::default()
    };
    match plan_with(&settings, &catalog, &change, &options) {
        Err(PlanError::Refused(r)) => assert!(
            r.iter().any(
                |r| r.reason.contains("build the copy of users_email_key again")
                    && r.reason.contains(r#"runner = "sluice""#)
            ),
            "{r:?}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A trigger dropped and created again under its name (crates.io's `timezones`): the drop
/// stays in the expand, before the creation; a trigger dropped for good waits for the
/// contract.
#[test]
fn a_replaced_trigger_is_dropped_in_the_expand() {
    let (settings, catalog) = catalog_of(
        "CREATE TABLE users (id bigint PRIMARY KEY, name text, updated timestamptz);
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); RETURN NEW; END $$;
         CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
         CREATE TRIGGER users_gone BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();",
    );
    let p = plan(
        &settings,
        &catalog,
        &migration(
            "0002",
            "change",
            "DROP TRIGGER users_touch ON users;
             CREATE TRIGGER users_touch BEFORE UPDATE OF name ON users FOR EACH ROW EXECUTE FUNCTION touch();
             DROP TRIGGER users_gone ON users;",
        ),
    )
    .unwrap();
    let phases: Vec<(PlanPhase, String)> = p
        .steps
        .iter()
        .map(|s| (s.phase, s.up.lines().last().unwrap_or("").trim().to_owned()))
        .collect();
    let at = |needle: &str| {
        phases
            .iter()
            .position(|(_, up)| up.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {phases:#?}"))
    };
    let (drop, create, gone) = (
        at("DROP TRIGGER users_touch"),
        at("CREATE TRIGGER users_touch"),
        at("DROP TRIGGER users_gone"),
    );
    assert_eq!(phases[drop].0, PlanPhase::Expand, "{phases:#?}");
    assert_eq!(phases[create].0, PlanPhase::Expand, "{phases:#?}");
    assert!(drop < create, "{phases:#?}");
    assert_eq!(phases[gone].0, PlanPhase::Contract, "{phases:#?}");
}

/// lemmy's `UPDATE pg_index SET indisready = false`: refused for what it is, not as a table
/// the history does not know.
#[test]
fn an_update_of_the_system_catalog_is_refused_for_what_it_is() {
    for sql in [
        "UPDATE pg_index SET indisready = false WHERE indexrelid = 'users_name_idx'::regclass;",
        "UPDATE pg_catalog.pg_index SET indisready = false;",
    ] {
        let r = refusal(sql);
        assert!(
            r.contains("system catalog") && !r.contains("not known"),
            "{sql}: {r}"
        );
    }
}

/// A table without a primary key is walked by its unique constraint on NOT NULL columns
/// (ente's `tokens`: `token TEXT UNIQUE NOT NULL`), the one of fewest columns; a unique
/// constraint on a nullable column does not identify a row.
#[test]
fn a_unique_not_null_key_stands_in_for_a_missing_primary_key() {
    let (settings, catalog) = catalog_of(
        "CREATE TABLE tokens (user_id int NOT NULL, token text UNIQUE NOT NULL, created bigint NOT NULL, UNIQUE (user_id, created));
         CREATE TABLE loose (code text UNIQUE, n int);",
    );
    let planned = |sql: &str| plan(&settings, &catalog, &migration("0002", "change", sql));
    let p = planned("ALTER TABLE tokens ALTER COLUMN created TYPE numeric;").unwrap();
    assert_eq!(p.backfill[0].key, vec!["token"]);
    let p = planned("UPDATE tokens SET created = 0 WHERE created < 0;").unwrap();
    assert_eq!(p.backfill[0].key, vec!["token"]);
    assert_noted(
        &p,
        "tokens has no primary key: the backfill walks its unique key (token)",
    );
    let Err(PlanError::Refused(r)) = planned("UPDATE loose SET n = 0;") else {
        panic!("a nullable unique column is no key");
    };
    assert!(
        r[0].reason
            .contains("nor a unique constraint on NOT NULL columns"),
        "{r:?}"
    );
}

/// Two columns of one table filled by their own UPDATEs: each CASE's THEN takes the column's
/// type, as the naive assignment would (chirpstack's `json_build_object(..)` into jsonb
/// columns: "CASE/WHEN could not convert type json to jsonb").
#[test]
fn a_guarded_fill_casts_to_its_columns_type() {
    let (settings, catalog) = catalog_of(
        "CREATE TABLE profile (id serial PRIMARY KEY, abp jsonb, relay jsonb, n serial);",
    );
    let p = plan(
        &settings,
        &catalog,
        &migration(
            "0002",
            "change",
            "UPDATE profile SET abp = json_build_object('a', 1) WHERE abp IS NULL;
             UPDATE profile SET relay = json_build_object('r', 2) WHERE relay IS NULL;
             UPDATE profile SET n = 7 WHERE n < 0;",
        ),
    )
    .unwrap();
    let set = &p.backfill[0].set;
    assert_eq!(
        set.get("abp").map(String::as_str),
        Some("CASE WHEN abp IS NULL THEN (json_build_object('a', 1))::JSONB ELSE abp END")
    );
    assert_eq!(
        set.get("n").map(String::as_str),
        Some("CASE WHEN n < 0 THEN (7)::integer ELSE n END")
    );
}

/// A table renamed after an earlier statement changed it in a later phase (lemmy's
/// `sticky_local`: a column renamed, then the table): the contract's steps named the old
/// name, by then the compatibility view, and the view lacked the column the old code reads
/// (found by `scripts/plan-verify-corpora.py`). Refused with the way out; a table renamed
/// after expand-only changes is planned.
#[test]
fn a_table_renamed_after_a_later_phase_change_of_it_is_refused() {
    let r = refusal(
        "ALTER TABLE orders RENAME COLUMN total TO amount;\nALTER TABLE orders RENAME TO purchases;",
    );
    assert!(
        r.contains("line 1 changes table orders in the backfill")
            && r.contains("rename it in a migration of its own, after this one"),
        "{r}"
    );
    let text = files_text(
        "ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE orders RENAME TO purchases;",
    );
    assert!(
        text.contains("ALTER TABLE _sluice_view_orders_0002 RENAME TO orders;"),
        "{text}"
    );
}

/// A default set after the migration changed the column's type is of the new type (lemmy's
/// enums, found by `scripts/plan-verify-corpora.py`: set on the old column in the expand, it
/// failed with "invalid input syntax for type smallint"): it goes on the shadow column, which
/// the contract's swap renames, and the swap does not give it the old default.
#[test]
fn a_default_after_a_type_change_goes_on_the_shadow_column() {
    let text = files_text(
        "ALTER TABLE orders ALTER COLUMN total TYPE text USING total::text;\nALTER TABLE orders ALTER COLUMN total SET DEFAULT 'none';",
    );
    let expand = text
        .split("==> expand.up.sql <==")
        .nth(1)
        .expect("an expand");
    let expand = expand.split("==>").next().unwrap_or_default();
    assert!(
        expand.contains("ALTER TABLE orders ALTER COLUMN total_sluice_new SET DEFAULT 'none';"),
        "{text}"
    );
    assert!(
        !text.contains("ALTER COLUMN total SET DEFAULT 'none';"),
        "{text}"
    );
    // the old column had a default: the swap leaves the new one's as set
    let text = files_text(
        "ALTER TABLE users ALTER COLUMN balance TYPE bigint;\nALTER TABLE users ALTER COLUMN balance SET DEFAULT 1;",
    );
    assert!(
        text.contains("ALTER COLUMN balance_sluice_new SET DEFAULT 1;"),
        "{text}"
    );
    assert!(!text.contains("takes the default of"), "{text}");
}

/// A function dropped and created again (lemmy's `scaled_rank`: `DROP FUNCTION hot_rank`,
/// `CREATE OR REPLACE FUNCTION hot_rank` returning another type; found by
/// `scripts/plan-verify-corpora.py`: the drop waited for the contract, and the expand's
/// creation failed with "cannot change return type of existing function"): the pair stays in
/// the expand, in one transaction.
#[test]
fn a_function_dropped_and_created_again_is_replaced_in_one_transaction() {
    let text = files_text(
        "DROP FUNCTION rank_of (int);\nCREATE OR REPLACE FUNCTION rank_of (s int) RETURNS float LANGUAGE sql IMMUTABLE AS $$ SELECT s / 2.0 $$;",
    );
    let expand = text
        .split("==> expand.up.sql <==")
        .nth(1)
        .expect("an expand");
    let tx = expand
        .split("BEGIN;")
        .skip(1)
        .find(|t| t.contains("DROP FUNCTION rank_of"))
        .and_then(|t| t.split("COMMIT;").next())
        .expect("a transaction");
    assert!(tx.contains("CREATE OR REPLACE FUNCTION rank_of"), "{text}");
    assert!(
        text.contains("`DROP FUNCTION rank_of (int)`: replace-function"),
        "{text}"
    );
    assert!(!text.contains("contract.up.sql"), "{text}");
}

/// Plans `scripts/plan-verify-corpora.py` found failing on lemmy, refused since with the way
/// out: a column renamed to the name of a column the migration drops (`no-individual-inboxes`:
/// the shadow column's `ADD COLUMN IF NOT EXISTS` met the old column, kept until the
/// contract); a column retyped, then renamed (`private-community`: the rename's shadow column
/// was synced with the old column, still of the old type); an index on two columns both
/// retyped (`scaled_rank`: each recipe copied it onto its own new column only, and the
/// contract soft-dropped it twice under one name); an index on a retyped column
/// (`community-hidden-visibility`: built in the expand on the old column, of the old enum).
/// A table's fill is one UPDATE per batch: under one `FROM` or none. A shadow column's fill
/// beside an `UPDATE .. FROM` of the same table, in either order, is refused (under the join
/// it would reach only the rows the join matches).
#[test]
fn a_fill_beside_an_update_from_of_its_table_is_refused() {
    let from = "UPDATE orders o SET total = u.id FROM users u WHERE o.user_id = u.id;";
    let retype = "ALTER TABLE orders ALTER COLUMN user_id TYPE text USING user_id::text;";
    for sql in [format!("{from}\n{retype}"), format!("{retype}\n{from}")] {
        let r = refusal(&sql);
        assert!(
            r.contains("one fill of a table has one FROM"),
            "{sql}:\n{r}"
        );
    }
}

#[test]
fn plans_lemmys_sweep_found_failing_are_refused() {
    for (sql, reason) in [
        (
            "ALTER TABLE users DROP COLUMN name;\nALTER TABLE users RENAME COLUMN email TO name;",
            "column name of users exists before this migration, which renames or drops it and gives that name to a column again",
        ),
        (
            "ALTER TABLE orders ALTER COLUMN total TYPE text USING total::text;\nALTER TABLE orders RENAME COLUMN total TO amount;",
            "line 1 of this migration already renames or retypes column total of orders",
        ),
        (
            "CREATE INDEX orders_both ON orders (user_id) WHERE total != 0 OR id != 0;\n\
             ALTER TABLE orders ALTER COLUMN total TYPE text USING total::text;\n\
             ALTER TABLE orders ALTER COLUMN user_id TYPE text USING user_id::text;",
            "index orders_both is on user_id and on total, which line 2 of this migration also renames or retypes",
        ),
        (
            "ALTER TABLE orders ALTER COLUMN total TYPE text USING total::text;\n\
             CREATE INDEX orders_total_none ON orders (id) WHERE total = 'none';",
            "the index is on column total of orders, whose type line 1 of this migration changes",
        ),
    ] {
        let r = refusal(sql);
        assert!(r.contains(reason), "{sql}:\n{r}");
    }
}

/// A type change to an enum from a type the enum has no cast back to (lemmy's
/// `show_downvotes_for_others_only`: boolean to `vote_show_enum`; found by
/// `scripts/plan-verify-corpora.py` on PostgreSQL 18: the contract's down failed with "cannot
/// cast type vote_show_enum to boolean"): the contract is marked irreversible. To text and
/// back it stays reversible.
#[test]
fn a_type_change_without_a_cast_back_has_an_irreversible_contract() {
    let history = format!(
        "{HISTORY}\nCREATE TYPE show AS ENUM ('yes', 'no');\nALTER TABLE orders ADD COLUMN shown boolean, ADD COLUMN label text, ADD COLUMN code character(3);"
    );
    let files = |sql: &str| {
        try_plan_on(&LintSettings::default(), &history, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
            .1
            .files
    };
    let to_enum = files(
        "ALTER TABLE orders ALTER COLUMN shown TYPE show USING CASE WHEN shown THEN 'yes'::show ELSE 'no'::show END;",
    );
    let contract = &to_enum
        .iter()
        .find(|(n, _)| n == "contract.up.sql")
        .expect("a contract")
        .1;
    assert!(
        contract.contains("irreversible no automatic inverse"),
        "{contract}"
    );
    assert!(!to_enum.iter().any(|(n, _)| n == "contract.down.sql"));
    let from_text = files("ALTER TABLE orders ALTER COLUMN label TYPE show USING label::show;");
    assert!(from_text.iter().any(|(n, _)| n == "contract.down.sql"));
    // `char(n)` is text too (the catalog's name for `character` / `bpchar`)
    let from_char = files("ALTER TABLE orders ALTER COLUMN code TYPE show USING trim(code)::show;");
    assert!(from_char.iter().any(|(n, _)| n == "contract.down.sql"));
}

/// lemmy's 64-byte `idx_post_aggregates_featured_community_newest_comment_time_necro`:
/// written as PostgreSQL stores it, the plan's own check has no silent cut to refuse.
#[test]
fn an_identifier_over_63_bytes_is_written_as_postgres_stores_it() {
    let long = "users_email_lower_featured_community_newest_comment_time_necro_ix";
    assert_eq!(long.len(), 65);
    let (p, files) = try_plan(&format!("CREATE INDEX {long} ON users (email);"))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let up = file(&files, "expand.up.sql");
    assert!(
        up.contains(&format!("CONCURRENTLY {} ON", &long[..63])),
        "{up}"
    );
    // only the header comment quotes the statement as written
    assert!(
        up.lines()
            .filter(|l| l.contains(long))
            .all(|l| l.starts_with("--")),
        "{up}"
    );
    assert_noted(
        &p,
        "line 1: an identifier over 63 bytes is written as PostgreSQL stores it",
    );
}

/// A `DELETE` whose WHERE bounds no key range goes to the contract as written: the sluice
/// runner batches it (strategy batched-delete); a runner that sends it whole is refused.
#[test]
fn a_delete_is_planned_when_the_sluice_runner_batches_it() {
    let sql = "DELETE FROM users WHERE email IS NULL;";
    let (p, files) = try_plan(sql).unwrap_or_else(|e| panic!("{e:?}"));
    assert_noted(
        &p,
        "line 1: the DELETE goes to the contract as written; `migrate apply` runs it in batches",
    );
    assert!(
        file(&files, "contract.up.sql").contains("DELETE FROM users WHERE email IS NULL"),
        "{files:?}"
    );
    // beside other steps of the contract it stays outside a BEGIN .. COMMIT of the file,
    // where the runner can batch it (in a block it would run whole)
    let with_not_null = "DELETE FROM users WHERE email IS NULL;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;";
    let (_, files) = try_plan(with_not_null).unwrap_or_else(|e| panic!("{e:?}"));
    let contract = file(&files, "contract.up.sql");
    assert!(
        contract.contains("\n\nDELETE FROM users WHERE email IS NULL;\n\n"),
        "{contract}"
    );
    assert!(contract.contains("BEGIN;"), "{contract}");
    let diesel = LintSettings {
        runner: lint::settings::Runner::Diesel,
        ..LintSettings::default()
    };
    match try_plan_with(&diesel, sql) {
        Err(PlanError::Refused(r)) => assert!(
            r.iter().any(|r| r.reason.contains("unbatched-backfill")),
            "{r:?}"
        ),
        other => panic!("not refused: {:?}", other.map(|(_, f)| f)),
    }
}

/// lemmy's `fix-timezones`: a function dropped on line 1 and created again far below, other
/// statements between. The drop waits for the contract, when the new function exists too,
/// and `DROP FUNCTION hot_rank` then names two: refused. Dropped and created with only
/// function statements between, the pair is replaced in the expand.
#[test]
fn a_function_dropped_and_created_again_apart_is_refused() {
    let apart = "DROP FUNCTION IF EXISTS hot_rank CASCADE;\nALTER TABLE users ADD COLUMN rank int;\nCREATE FUNCTION hot_rank (score numeric) RETURNS int AS 'SELECT 1' LANGUAGE sql;\n";
    let r = refusal(apart);
    assert!(
        r.contains("3:1 function hot_rank is dropped by line 1 and created again here"),
        "{r}"
    );
    let together = "DROP FUNCTION IF EXISTS hot_rank;\nCREATE FUNCTION hot_rank (score numeric) RETURNS int AS 'SELECT 1' LANGUAGE sql;\n";
    let text = files_text(together);
    assert!(text.contains("CREATE FUNCTION hot_rank"), "{text}");
}

/// lemmy's `add_unique_ap_ids`: duplicates deleted, then a unique constraint. The DELETE
/// waits for the contract while the unique index is built in the expand, on the duplicates:
/// refused. On a table the migration creates, both run in the expand, in order.
#[test]
fn a_unique_index_after_a_delete_of_its_table_is_refused() {
    let r = refusal(
        "DELETE FROM users a USING users b WHERE a.email = b.email AND a.id > b.id;\nCREATE UNIQUE INDEX users_email_key ON users (email);\n",
    );
    assert!(
        r.contains("2:1 line 1 deletes rows of users, which waits for the contract"),
        "{r}"
    );
    let r = refusal(
        "DELETE FROM users WHERE email IS NULL;\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n",
    );
    assert!(r.contains("line 1 deletes rows of users"), "{r}");
    let text = files_text(
        "CREATE TABLE t (id int PRIMARY KEY, a int);\nDELETE FROM t WHERE a IS NULL;\nCREATE UNIQUE INDEX t_a_key ON t (a);\n",
    );
    assert!(text.contains("CREATE UNIQUE INDEX t_a_key"), "{text}");
}

/// authelia's MySQL `ALTER TABLE .. ENGINE=InnoDB, CONVERT TO CHARACTER SET ..` does not
/// parse: the tables it touched have columns of unknown type since, and a MODIFY of one is
/// refused saying so (it was refused by the plan's own check, "current type unknown").
#[test]
fn mysql_modify_on_a_table_an_unread_statement_changed_says_why() {
    let settings = mysql_settings(None);
    let planned = |unread: &str| {
        let history = [migration(
            "0001",
            "init",
            &format!(
                "CREATE TABLE accounts (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(20));\n{unread}\n"
            ),
        )];
        let catalog = lint::engine::replay(&settings, Catalog::new(settings.dialect), &history);
        plan(
            &settings,
            &catalog,
            &migration(
                "0002",
                "change",
                "ALTER TABLE accounts MODIFY name VARCHAR(40);\n",
            ),
        )
    };
    // kratos' `BINARY` attribute: the parser cannot read the statement, and the scan does
    // not know the whole new definition
    match planned("ALTER TABLE accounts MODIFY COLUMN name VARCHAR(20) BINARY;") {
        Err(PlanError::Refused(r)) => assert!(
            r[0].reason
                .contains("the current type of name is not known")
                && r[0].reason.contains("--schema-from"),
            "{r:?}"
        ),
        other => panic!("not refused: {:?}", other.map(|p| p.steps.len())),
    }
    // authelia's conversion, unreadable to the parser too, is typed whole by the scan: the
    // table stays known and the MODIFY is planned
    let p = planned(
        "ALTER TABLE accounts ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;",
    );
    assert!(p.is_ok(), "{:?}", p.err());
}

/// lemmy's `post-or-comment-notification`: a unique constraint dropped, then rows inserted
/// that only the drop lets in. The drop waits for the contract, the INSERT runs in the
/// expand and met the constraint: refused. On a table the migration creates, both run in
/// the expand, in order.
#[test]
fn a_write_after_a_dropped_constraint_of_its_table_is_refused() {
    let r = refusal(
        "ALTER TABLE users DROP CONSTRAINT users_age_check;\nINSERT INTO users (id, name, age) VALUES (1, 'a', -1);\n",
    );
    assert!(
        r.contains(
            "2:1 line 1 drops constraint users_age_check of users, which waits for the contract"
        ),
        "{r}"
    );
    let r = refusal(
        "ALTER TABLE users DROP CONSTRAINT users_age_check;\nUPDATE users SET age = -1 WHERE id = 1;\n",
    );
    assert!(r.contains("line 1 drops constraint users_age_check"), "{r}");
    let text = files_text(
        "CREATE TABLE t (id int PRIMARY KEY, a int CONSTRAINT t_a_check CHECK (a > 0));\nALTER TABLE t DROP CONSTRAINT t_a_check;\nINSERT INTO t VALUES (1, -1);\n",
    );
    assert!(text.contains("INSERT INTO t VALUES (1, -1)"), "{text}");
}

/// Statements sqlparser cannot read, of the shapes the planner knows (lemmy, crates.io,
/// ente): passed through into the expand, with the inverse where one is known; any other
/// unreadable statement is refused as before.
#[test]
fn known_unreadable_statements_pass_into_the_expand() {
    let text = files_text(
        "CREATE STATISTICS users_stat ON (age IS NULL), (email IS NULL) FROM users;\nALTER INDEX IF EXISTS users_name_idx RENAME TO users_by_name;\nALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users NOT VALID;\n",
    );
    for want in [
        "CREATE STATISTICS users_stat ON (age IS NULL), (email IS NULL) FROM users;",
        "ALTER INDEX IF EXISTS users_name_idx RENAME TO users_by_name;",
        "DROP STATISTICS IF EXISTS users_stat;",
        "ALTER INDEX IF EXISTS users_by_name RENAME TO users_name_idx;",
    ] {
        assert!(text.contains(want), "lacks {want}:\n{text}");
    }
    let expand_up = text
        .split("==> ")
        .find(|f| f.starts_with("expand.up.sql"))
        .unwrap_or_default();
    assert!(expand_up.contains("CREATE STATISTICS users_stat"), "{text}");
    // a comment, as a parsed one, has no automatic inverse
    let text = files_text("COMMENT ON CONSTRAINT users_age_check ON users IS 'positive';\n");
    assert!(
        text.contains("COMMENT ON CONSTRAINT users_age_check ON users IS 'positive';")
            && text.contains("no automatic inverse for line 1"),
        "{text}"
    );
    // a deferral of a constraint this migration adds to an existing table: refused
    let history = format!(
        "{HISTORY}ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users DEFERRABLE;\n"
    );
    let ok = files_text_on(
        &LintSettings::default(),
        &history,
        "ALTER TABLE orders\n    ALTER CONSTRAINT orders_user_id_fkey INITIALLY DEFERRED;\n",
    );
    assert!(
        ok.contains("ALTER CONSTRAINT orders_user_id_fkey INITIALLY DEFERRED"),
        "{ok}"
    );
    let r = refusal(
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users DEFERRABLE;\nALTER TABLE orders ALTER CONSTRAINT orders_user_fkey INITIALLY DEFERRED;\n",
    );
    assert!(
        r.contains("constraint orders_user_fkey of orders is not one the earlier migrations made"),
        "{r}"
    );
    let r = refusal("REINDEX TABLE users;\n");
    assert!(
        r.contains("the planner only rewrites what it can read"),
        "{r}"
    );
}

/// lemmy's `site_person_ban`: `ALTER COLUMN .. SET NOT NULL, ALTER CONSTRAINT .. NOT
/// DEFERRABLE` in one statement sqlparser cannot read: the actions it reads are planned by
/// their recipes, the deferral passes into the expand after them.
#[test]
fn deferrals_beside_other_actions_are_split_off() {
    let history = format!(
        "{HISTORY}ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users DEFERRABLE;\n"
    );
    let text = files_text_on(
        &LintSettings::default(),
        &history,
        "ALTER TABLE orders\n    ALTER COLUMN total SET NOT NULL,\n    ALTER CONSTRAINT orders_user_id_fkey NOT DEFERRABLE;\n",
    );
    let expand = text
        .split("==> ")
        .find(|f| f.starts_with("expand.up.sql"))
        .unwrap_or_default();
    assert!(
        expand.contains(
            "ALTER TABLE orders\n    ALTER CONSTRAINT orders_user_id_fkey NOT DEFERRABLE;"
        ),
        "{text}"
    );
    // SET NOT NULL by its recipe (a CHECK proven first), not as written
    assert!(
        text.contains("`ALTER TABLE orders ALTER COLUMN total SET NOT NULL`: set-not-null")
            && text.contains("CHECK (total IS NOT NULL) NOT VALID"),
        "{text}"
    );
}

/// lemmy's `add_modlog_combined_table`: a column renamed, then an `INSERT .. SELECT` of it.
/// The rename's shadow column holds NULL in the expand until the backfill: refused.
#[test]
fn an_insert_reading_a_shadowed_column_is_refused() {
    let r = refusal(
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nINSERT INTO orders (id, user_id, total) SELECT id, id, length(full_name) FROM users;\n",
    );
    assert!(
        r.contains("2:1 this statement names column full_name of users, which line 1 of this migration renames or retypes through a shadow column"),
        "{r}"
    );
}

/// The plan of `sql` on the schema `history` leaves, with column renames through a view.
fn try_plan_view_rename(
    settings: &LintSettings,
    history: &str,
    sql: &str,
) -> Result<Plan, PlanError> {
    let history = [migration("0001", "init", history)];
    let catalog = lint::engine::replay(settings, Catalog::new(settings.dialect), &history);
    let options = PlanOptions {
        rename_column: RenameColumn::View,
        ..PlanOptions::default()
    };
    plan_with(
        settings,
        &catalog,
        &migration("0002", "change", sql),
        &options,
    )
}

fn plan_view_rename(settings: &LintSettings, history: &str, sql: &str) -> (Plan, PlanFiles) {
    let p = try_plan_view_rename(settings, history, sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    let files = p.files(settings.dialect).unwrap();
    (p, files)
}

#[test]
fn a_column_renamed_through_a_view_writes_no_row() {
    let (p, files) = plan_view_rename(
        &LintSettings::default(),
        HISTORY,
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
    );
    assert!(p.backfill.is_empty(), "{:?}", p.backfill);
    let expand = sql_of(file(&files, "expand.up.sql"));
    let base = "_sluice_renaming_users_0002";
    let view = "_sluice_view_users_0002";
    // the view and its privileges before the table's lock, then three renames under it
    let made = format!(
        "CREATE VIEW {view} WITH (security_invoker = true) AS SELECT \"id\", \"name\", email, age, balance, created, \"name\" AS full_name FROM users;"
    );
    let grants = format!(
        "SELECT pg_temp.sluice_copy_grants('users', '{view}', ARRAY['name']::text[], ARRAY['full_name']::text[]);"
    );
    let renames = format!(
        "ALTER TABLE users RENAME TO {base};\nALTER TABLE {base} RENAME COLUMN \"name\" TO full_name;\nALTER TABLE {view} RENAME TO users;\nCOMMIT;"
    );
    for want in [&made, &grants, &renames] {
        assert!(expand.contains(want.as_str()), "{want}\n{expand}");
    }
    assert!(expand.find(&grants) < expand.find(&renames), "{expand}");
    assert!(!expand.contains("TRIGGER"), "{expand}");
    let contract = sql_of(file(&files, "contract.up.sql"));
    assert!(
        contract.contains(&format!(
            "BEGIN;\nDROP VIEW IF EXISTS users;\nALTER TABLE {base} RENAME TO users;\nCOMMIT;"
        )),
        "{contract}"
    );
    let down = sql_of(file(&files, "expand.down.sql"));
    assert!(
        down.contains(&format!(
            "DROP VIEW IF EXISTS users;\nALTER TABLE {base} RENAME COLUMN full_name TO \"name\";\nALTER TABLE {base} RENAME TO users;"
        )),
        "{down}"
    );
    // before PostgreSQL 15 the view cannot check as the caller: said, not hidden
    let old = LintSettings {
        server_version: 14,
        ..LintSettings::default()
    };
    let (p, files) = plan_view_rename(
        &old,
        HISTORY,
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
    );
    assert!(!file(&files, "expand.up.sql").contains("security_invoker"));
    assert!(
        p.notes.iter().any(|n| n.contains("row-level security")),
        "{:?}",
        p.notes
    );
}

/// Several columns of one table renamed in one migration (lemmy's `rename-rate-limit-columns`):
/// one view shows each under both names, planned with the first statement.
#[test]
fn one_view_carries_every_rename_of_a_table() {
    let (p, files) = plan_view_rename(
        &LintSettings::default(),
        HISTORY,
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users RENAME COLUMN email TO mail;\nALTER TABLE users RENAME COLUMN mail TO address;",
    );
    let expand = sql_of(file(&files, "expand.up.sql"));
    let base = "_sluice_renaming_users_0002";
    for want in [
        "AS SELECT \"id\", \"name\", email, age, balance, created, \"name\" AS full_name, email AS address FROM users;".to_owned(),
        "ARRAY['name', 'email']::text[], ARRAY['full_name', 'address']::text[]".to_owned(),
        format!("ALTER TABLE {base} RENAME COLUMN \"name\" TO full_name;\nALTER TABLE {base} RENAME COLUMN email TO mail;\nALTER TABLE {base} RENAME COLUMN mail TO address;"),
    ] {
        assert!(expand.contains(&want), "{want}\n{expand}");
    }
    assert_eq!(expand.matches("CREATE VIEW").count(), 1, "{expand}");
    let down = sql_of(file(&files, "expand.down.sql"));
    assert!(
        down.contains(&format!("ALTER TABLE {base} RENAME COLUMN address TO mail;\nALTER TABLE {base} RENAME COLUMN mail TO email;\nALTER TABLE {base} RENAME COLUMN full_name TO \"name\";")),
        "{down}"
    );
    let contract_down = sql_of(file(&files, "contract.down.sql"));
    assert!(
        contract_down.contains("AS SELECT \"id\", full_name AS \"name\", address AS email, age, balance, created, full_name, address FROM users;"),
        "{contract_down}"
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("line 2: column email renamed with line 1")),
        "{:?}",
        p.notes
    );
    // a name another column had: the view would show it twice, and the copy refuses it
    let swap = try_plan_view_rename(
        &LintSettings::default(),
        HISTORY,
        "ALTER TABLE users RENAME COLUMN email TO mail;\nALTER TABLE users RENAME COLUMN name TO email;",
    );
    match swap {
        Err(PlanError::Refused(r)) => assert!(
            r.iter()
                .any(|r| r.reason.contains("gives that name to a column again")),
            "{r:?}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_view_rename_falls_back_to_the_copy_where_a_view_cannot_serve() {
    // the table named again later in the migration: it would meet the view
    let (p, files) = plan_view_rename(
        &LintSettings::default(),
        HISTORY,
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
    );
    assert!(file(&files, "expand.up.sql").contains("TRIGGER"));
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("renamed through a copy, not a view: line 2 names users")),
        "{:?}",
        p.notes
    );
    // a trigger on the table: its function may read the column by its old name
    let history = format!(
        "{HISTORY}\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n"
    );
    let (p, _) = plan_view_rename(
        &LintSettings::default(),
        &history,
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("has triggers (users_touch)")),
        "{:?}",
        p.notes
    );
    // the default stays the copy; on a large table (sizes from a live schema) a note says
    // what the view would save
    let (p, files) = try_plan("ALTER TABLE users RENAME COLUMN name TO full_name;").unwrap();
    assert!(!file(&files, "expand.up.sql").contains("CREATE VIEW"));
    assert!(
        !p.notes.iter().any(|n| n.contains("--rename-column view")),
        "{:?}",
        p.notes
    );
    let sized = LintSettings {
        table_rows: std::sync::Arc::new(
            [(
                sluice_core::sql::ops::ObjName::new(None, "users"),
                5_000_000,
            )]
            .into(),
        ),
        ..LintSettings::default()
    };
    let (p, _) =
        try_plan_with(&sized, "ALTER TABLE users RENAME COLUMN name TO full_name;").unwrap();
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("users has about 5000000 rows")
                && n.contains("--rename-column view")),
        "{:?}",
        p.notes
    );
    // MySQL: a view showing a column twice takes no INSERT
    let (p, files) = plan_view_rename(
        &mysql_settings(None),
        MYSQL_HISTORY,
        "ALTER TABLE accounts RENAME COLUMN name TO full_name;",
    );
    assert!(!file(&files, "expand.up.sql").contains("CREATE VIEW"));
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("a rename through a view is PostgreSQL's")),
        "{:?}",
        p.notes
    );
}
