//! `migrate plan` acceptance on real PostgreSQL, one test per recipe, 100k-row tables.
//!
//! For each recipe: the naive SQL runs on one scratch database, the plan (`migrate plan`,
//! then `migrate apply` phase by phase) on another. Checked:
//! - expand then its down leaves schema (a `pg_catalog` dump) and data as before;
//! - after expand and while the backfill runs, the old and the new application's queries
//!   succeed, and what one writes the other reads (trigger sync);
//! - after contract the new application works, and schema and data equal the naive run's
//!   (soft-dropped objects and column order aside);
//! - contract then its down leaves schema and data as before the contract.

use std::path::Path;

use crate::common::{RecipeDirs, Scratch, recipe_dirs, run};

const INIT: &str = "
CREATE TABLE owners (id bigint PRIMARY KEY, label text);
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    owner_id bigint,
    name text NOT NULL,
    email text,
    balance int NOT NULL DEFAULT 0,
    note text
);
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE TABLE events (id bigint NOT NULL, kind text);
";

const ROWS: i64 = 25_000;

fn seed(s: &Scratch) {
    s.exec(&format!(
        "INSERT INTO owners SELECT g, 'owner ' || g FROM generate_series(1, 100) g;
         INSERT INTO accounts SELECT g, g % 100 + 1, 'name ' || g, 'e' || g || '@x', g % 1000, 'note ' || g
           FROM generate_series(1, {ROWS}) g;
         INSERT INTO events SELECT g, 'k' FROM generate_series(1, 1000) g;
         ANALYZE;"
    ));
}

struct Case {
    /// The history's one migration (tables seeded by [`seed`]).
    init: &'static str,
    naive: &'static str,
    /// What the naive change is on a table with rows, when the naive SQL alone cannot run
    /// there (e.g. NOT NULL without default): the reference for the final state.
    reference: Option<&'static str>,
    /// Old code: statements that must succeed after expand and during the backfill.
    old_app: &'static [&'static str],
    /// New code: statements that must succeed after expand, during backfill and after contract.
    new_app: &'static [&'static str],
    /// New code after contract only (needs the final shape).
    new_app_after: &'static [&'static str],
    /// (query in the new shape, expected) after contract: what the old code wrote.
    seen_by_new: &'static [(&'static str, &'static str)],
    /// (query in the old shape, expected) before contract: what the new code wrote.
    seen_by_old: &'static [(&'static str, &'static str)],
    /// The table whose data is compared with the naive run, and columns left out.
    table: &'static str,
    /// The same data's table before the contract, when the change renames it.
    table_before: Option<&'static str>,
    skip_columns: &'static [&'static str],
    /// Lines added to the planning sluice.toml.
    config: &'static str,
    /// The applications run as a role of their own, granted what they use (not the
    /// tables' owner), on the planned database.
    app_role: bool,
}

const BASE: Case = Case {
    init: INIT,
    naive: "",
    reference: None,
    old_app: &[],
    new_app: &[],
    new_app_after: &[],
    seen_by_new: &[],
    seen_by_old: &[],
    table: "accounts",
    table_before: None,
    skip_columns: &[],
    config: "",
    app_role: false,
};

/// Schema as text: columns (by name), constraints, indexes, triggers, views, functions of
/// the public schema. `soft` keeps soft-dropped objects.
fn dump(s: &Scratch, soft: bool) -> String {
    let keep = if soft {
        "true".to_owned()
    } else {
        "NOT (x LIKE '\\_sluice\\_dropped\\_%' OR rel LIKE '\\_sluice\\_dropped\\_%')".to_owned()
    };
    let q = format!(
        "SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
           SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                  || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS line,
                  a.attname::text AS x, c.relname::text AS rel
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v')
           UNION ALL
           SELECT 'relation ' || c.relkind::text || ' ' || c.relname, c.relname::text, c.relname::text
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            WHERE c.relkind IN ('r', 'v')
           UNION ALL
           SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                  || CASE WHEN convalidated THEN '' ELSE ' not valid' END, conname::text,
                  conrelid::regclass::text
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace
              -- PostgreSQL 18 lists NOT NULL as constraints too; the column rows say it, and
              -- their generated names follow column renames (the naive ALTER keeps the old)
              AND contype <> 'n'
           UNION ALL
           SELECT 'index ' || pg_get_indexdef(i.indexrelid)
                  || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END, c.relname::text,
                  i.indrelid::regclass::text
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
           UNION ALL
           SELECT 'trigger ' || tgname || ' on ' || tgrelid::regclass, tgname::text,
                  tgrelid::regclass::text
             FROM pg_trigger WHERE NOT tgisinternal
           UNION ALL
           SELECT 'view ' || viewname || ' ' || definition, viewname::text, viewname::text
             FROM pg_views WHERE schemaname = 'public'
           UNION ALL
           SELECT 'function ' || proname, proname::text, ''
             FROM pg_proc WHERE pronamespace = 'public'::regnamespace
         ) AS lines WHERE {keep} AND rel NOT LIKE 'sluice\\_%'"
    );
    s.strings(&q).join("\n")
}

/// A checksum of `table`'s rows 101..=ROWS (the application tests write elsewhere), over
/// its columns by name, soft-dropped and skipped ones left out.
fn digest(s: &Scratch, table: &str, skip: &[&str]) -> String {
    let cols = s.strings(&format!(
        "SELECT quote_ident(column_name) FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = '{table}'
            AND column_name NOT LIKE '\\_sluice\\_dropped\\_%'
          ORDER BY column_name"
    ));
    let cols: Vec<String> = cols
        .into_iter()
        .filter(|c| !skip.contains(&c.trim_matches('"')))
        .collect();
    assert!(!cols.is_empty(), "table {table} has no columns");
    let list = cols
        .iter()
        .map(|c| format!("{c}::text"))
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    s.strings(&format!(
        "SELECT md5(string_agg(COALESCE({list}, '<null>'), E'\\n' ORDER BY id)) || ' ' || count(*)
           FROM {table} WHERE id > 100 AND id <= {ROWS}"
    ))
    .join("")
}

fn ok(s: &Scratch, dir: &Path, args: &[&str]) -> String {
    let r = run(s.migrate(dir).args(args));
    assert_eq!(r.code, 0, "migrate {args:?}: {r:?}");
    r.stdout
}

fn app_as(s: &Scratch, role: Option<&str>, who: &str, statements: &[&str]) {
    for st in statements {
        let url = s.url.clone();
        let sql = match role {
            Some(r) => format!("SET ROLE \"{r}\"; {st}"),
            None => (*st).to_owned(),
        };
        let res = std::thread::spawn(move || {
            crate::common::block_on(async move {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&url).await?;
                sqlx::raw_sql(&sql).execute(&mut c).await.map(|_| ())
            })
        })
        .join()
        .unwrap();
        if let Err(e) = res {
            panic!("{who} app failed on `{st}`: {e}");
        }
    }
}

fn expect(s: &Scratch, checks: &[(&str, &str)]) {
    for (q, want) in checks {
        let got = s.strings(q).join(",");
        assert_eq!(got, *want, "{q}");
    }
}

fn check_recipe(c: &Case) {
    // the naive run, for the reference end state
    let naive = Scratch::pg();
    // plan for the server under test (PostgreSQL 18 has recipes of its own)
    let major = naive.strings("SELECT (current_setting('server_version_num')::int / 10000)::text");
    let config = format!("server_version = \"{}\"\n{}", major[0], c.config);
    let dirs = recipe_dirs(
        c.init,
        "DROP TABLE events; DROP TABLE accounts; DROP TABLE owners;",
        c.naive,
        Some(&config),
    );
    let (naive_dir, migs) = (dirs.naive.as_path(), dirs.migrations.as_path());
    naive.exec(c.init);
    seed(&naive);
    naive.exec(c.reference.unwrap_or(c.naive));

    // the plan
    let s = Scratch::pg();
    let planned = run(s
        .migrate(naive_dir)
        .args(["plan", "0002_change.sql", "--out"])
        .arg(migs.join("0002_change")));
    assert_eq!(planned.code, 0, "plan: {planned:?}");
    ok(&s, migs, &["apply", ".", "--to", "1"]);
    seed(&s);
    let role = c.app_role.then(|| AppRole::grant(&s));
    let role = role.as_ref().map(|r| r.name.as_str());
    let app = |s: &Scratch, who: &str, statements: &[&str]| app_as(s, role, who, statements);
    let before = dump(&s, true);
    let old_table = c.table_before.unwrap_or(c.table);
    let data_before = digest(&s, old_table, c.skip_columns);

    // expand, then its down: as before
    if migs.join("0002_change/expand.up.sql").exists() {
        ok(
            &s,
            migs,
            &["apply", ".", "--phase", "expand", "--no-backfill"],
        );
        ok(&s, migs, &["rollback", ".", "--steps", "1"]);
        assert_eq!(
            dump(&s, true),
            before,
            "expand.down must restore the schema"
        );
        assert_eq!(digest(&s, old_table, c.skip_columns), data_before);
    }

    // expand again; both applications work, before and while the backfill runs
    ok(
        &s,
        migs,
        &["apply", ".", "--phase", "expand", "--no-backfill"],
    );
    app(&s, "old", c.old_app);
    app(&s, "new", c.new_app);
    let backfill = s
        .migrate(migs)
        .args(["apply", ".", "--phase", "backfill"])
        .spawn()
        .unwrap();
    let mut backfill = scopeguard(backfill);
    app(&s, "old (during backfill)", c.old_app);
    app(&s, "new (during backfill)", c.new_app);
    let status = backfill.0.wait().unwrap();
    assert!(status.success(), "backfill failed");
    expect(&s, c.seen_by_old);

    // contract after the rollout
    ok(&s, migs, &["rollout", "complete", "--release", "r2"]);
    let before_contract = dump(&s, true);
    let data_before_contract = digest(&s, old_table, c.skip_columns);
    ok(&s, migs, &["apply", ".", "--phase", "contract"]);
    app(&s, "new (after contract)", c.new_app);
    app(&s, "new (after contract)", c.new_app_after);
    expect(&s, c.seen_by_new);
    assert_eq!(
        dump(&s, false),
        dump(&naive, false),
        "after contract the schema must equal the naive change's"
    );
    assert_eq!(
        digest(&s, c.table, c.skip_columns),
        digest(&naive, c.table, c.skip_columns),
        "after contract the data must equal the naive change's"
    );

    // contract's down: back to the state before it
    ok(
        &s,
        migs,
        &["rollback", ".", "--steps", "1", "--phase", "contract"],
    );
    assert_eq!(
        dump(&s, true),
        before_contract,
        "contract.down must restore the schema"
    );
    assert_eq!(digest(&s, old_table, c.skip_columns), data_before_contract);
    app(&s, "old (after contract.down)", c.old_app);
}

/// A role of the application's own (not the tables' owner) with the privileges it uses on
/// every table of the scratch database; dropped with what it holds when the test ends.
struct AppRole<'s> {
    name: String,
    scratch: &'s Scratch,
}

impl AppRole<'_> {
    fn grant(s: &Scratch) -> AppRole<'_> {
        let name = format!("{}_app", s.name);
        s.exec(&format!(
            "CREATE ROLE \"{name}\";\n\
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"{name}\";"
        ));
        AppRole { name, scratch: s }
    }
}

impl Drop for AppRole<'_> {
    fn drop(&mut self) {
        let _ = self.scratch.try_exec(&format!(
            "DROP OWNED BY \"{0}\"; DROP ROLE \"{0}\";",
            self.name
        ));
    }
}

/// Kill the child if an assertion fails while it runs.
struct Guard(std::process::Child);
fn scopeguard(c: std::process::Child) -> Guard {
    Guard(c)
}
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

#[test]
fn rename_column() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts RENAME COLUMN name TO full_name;",
        old_app: &[
            "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON CONFLICT (id) DO UPDATE SET name = 'old'",
            "UPDATE accounts SET name = 'old write' WHERE id = 5",
            "SELECT name FROM accounts WHERE id = 5",
        ],
        new_app: &[
            "INSERT INTO accounts (id, full_name) VALUES (900002, 'new') ON CONFLICT (id) DO UPDATE SET full_name = 'new'",
            "UPDATE accounts SET full_name = 'new write' WHERE id = 6",
            "SELECT full_name FROM accounts WHERE id = 6",
        ],
        seen_by_new: &[
            ("SELECT full_name FROM accounts WHERE id = 900001", "old"),
            ("SELECT full_name FROM accounts WHERE id = 5", "old write"),
        ],
        seen_by_old: &[
            ("SELECT name FROM accounts WHERE id = 900002", "new"),
            ("SELECT name FROM accounts WHERE id = 6", "new write"),
            (
                "SELECT count(*)::text FROM accounts WHERE full_name IS DISTINCT FROM name",
                "0",
            ),
        ],
        ..BASE
    });
}

/// The rename through a view (`[plan] rename_column = "view"`): no row copied, the old and
/// the new application (a role of their own, not the table's owner) read and write both
/// names through the view until the contract gives the table its name back.
#[test]
fn rename_column_through_a_view() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts RENAME COLUMN name TO full_name;\nALTER TABLE accounts RENAME COLUMN email TO mail;",
        config: "[plan]\nrename_column = \"view\"\n",
        app_role: true,
        old_app: &[
            "INSERT INTO accounts (id, name, email) VALUES (900001, 'old', 'o@x') ON CONFLICT (id) DO UPDATE SET name = 'old'",
            "UPDATE accounts SET name = 'old write', email = 'ow@x' WHERE id = 5 RETURNING *",
            "SELECT name, email FROM accounts WHERE id = 5 FOR UPDATE",
            "DELETE FROM accounts WHERE id = 7",
        ],
        new_app: &[
            "INSERT INTO accounts (id, full_name, mail) VALUES (900002, 'new', 'n@x') ON CONFLICT (id) DO UPDATE SET full_name = 'new'",
            "UPDATE accounts SET full_name = 'new write', mail = 'nw@x' WHERE id = 6",
            "SELECT full_name, mail FROM accounts WHERE id = 6",
        ],
        seen_by_new: &[
            (
                "SELECT full_name || mail FROM accounts WHERE id = 900001",
                "oldo@x",
            ),
            (
                "SELECT full_name || mail FROM accounts WHERE id = 5",
                "old writeow@x",
            ),
        ],
        seen_by_old: &[
            (
                "SELECT name || email FROM accounts WHERE id = 900002",
                "newn@x",
            ),
            (
                "SELECT name || email FROM accounts WHERE id = 6",
                "new writenw@x",
            ),
            (
                "SELECT relkind::text FROM pg_class WHERE relname = 'accounts'",
                "v",
            ),
        ],
        ..BASE
    });
}

/// Two tables' columns renamed in one migration (291 statements of the corpora were refused
/// as "a migration backfills one table"): one backfill of two fills, `accounts` then
/// `owners`, and both tables' old and new code served until the contract.
#[test]
fn rename_columns_of_two_tables() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts RENAME COLUMN name TO full_name;\nALTER TABLE owners RENAME COLUMN label TO title;",
        old_app: &[
            "UPDATE accounts SET name = 'old write' WHERE id = 5",
            "UPDATE owners SET label = 'old label' WHERE id = 5",
            "SELECT name FROM accounts WHERE id = 5",
        ],
        new_app: &[
            "UPDATE accounts SET full_name = 'new write' WHERE id = 6",
            "UPDATE owners SET title = 'new title' WHERE id = 6",
            "SELECT title FROM owners WHERE id = 6",
        ],
        seen_by_new: &[
            ("SELECT full_name FROM accounts WHERE id = 5", "old write"),
            ("SELECT title FROM owners WHERE id = 5", "old label"),
            ("SELECT title FROM owners WHERE id = 50", "owner 50"),
        ],
        seen_by_old: &[
            ("SELECT name FROM accounts WHERE id = 6", "new write"),
            ("SELECT label FROM owners WHERE id = 6", "new title"),
            (
                "SELECT count(*)::text FROM owners WHERE title IS DISTINCT FROM label",
                "0",
            ),
        ],
        ..BASE
    });
}

/// A rename, then a column added to the renamed table in the same migration (ente's
/// `10_update_temp_object_keys`): the compatibility view names its columns, so the one the
/// contract's down makes again is the one the expand made (with `SELECT *` it also showed
/// the new column: `migrate verify` found the difference).
#[test]
fn rename_table_then_add_a_column() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts RENAME TO ledger;\nALTER TABLE ledger ADD COLUMN tag text;",
        old_app: &["UPDATE accounts SET note = 'old' WHERE id = 5"],
        new_app: &["UPDATE ledger SET tag = 'new' WHERE id = 6"],
        table: "ledger",
        table_before: Some("accounts"),
        ..BASE
    });
}

#[test]
fn rename_table() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts RENAME TO ledger;",
        app_role: true,
        old_app: &[
            "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON CONFLICT (id) DO NOTHING",
            "UPDATE accounts SET note = 'old write' WHERE id = 5",
            "SELECT name FROM accounts WHERE id = 5",
        ],
        new_app: &[
            "INSERT INTO ledger (id, name) VALUES (900002, 'new') ON CONFLICT (id) DO NOTHING",
            "UPDATE ledger SET note = 'new write' WHERE id = 6",
        ],
        seen_by_new: &[("SELECT note FROM ledger WHERE id = 5", "old write")],
        seen_by_old: &[("SELECT name FROM accounts WHERE id = 900002", "new")],
        table: "ledger",
        table_before: Some("accounts"),
        ..BASE
    });
}

/// The apps of the NOT NULL column cases: old code inserts without the column, new code
/// with its own value; after contract the old code's row has the fill value.
const NOT_NULL_APPS: Case = Case {
    old_app: &[
        "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON CONFLICT (id) DO NOTHING",
    ],
    new_app: &[
        "INSERT INTO accounts (id, name, handle) VALUES (900002, 'new', 'mine') ON CONFLICT (id) DO NOTHING",
    ],
    seen_by_new: &[
        ("SELECT handle FROM accounts WHERE id = 900001", "h-900001"),
        ("SELECT handle FROM accounts WHERE id = 900002", "mine"),
    ],
    ..BASE
};

#[test]
fn add_not_null_column() {
    check_recipe(&Case {
        naive: "-- sluice:backfill 'h-' || id::text\nALTER TABLE accounts ADD COLUMN handle text NOT NULL;",
        reference: Some(
            "ALTER TABLE accounts ADD COLUMN handle text; UPDATE accounts SET handle = 'h-' || id::text; ALTER TABLE accounts ALTER COLUMN handle SET NOT NULL;",
        ),
        ..NOT_NULL_APPS
    });
}

/// The three-statement form (add, UPDATE, SET NOT NULL) is planned as one NOT NULL column:
/// the row the old code inserts after expand gets the UPDATE's value from the fill trigger,
/// so the contract's NOT NULL holds.
#[test]
fn add_update_set_not_null_column() {
    const NAIVE: &str = "ALTER TABLE accounts ADD COLUMN handle text;\nUPDATE accounts SET handle = 'h-' || id::text;\nALTER TABLE accounts ALTER COLUMN handle SET NOT NULL;";
    check_recipe(&Case {
        naive: NAIVE,
        reference: Some(NAIVE),
        ..NOT_NULL_APPS
    });
}

/// A constant fill: the column comes with it as DEFAULT (no backfill, no trigger), the old
/// code's row gets it from the DEFAULT, and the contract drops the DEFAULT: the end state is
/// the naive one (NOT NULL, no DEFAULT, every earlier row 3).
#[test]
fn add_update_set_not_null_constant_column() {
    const NAIVE: &str = "ALTER TABLE accounts ADD COLUMN tier int;\nUPDATE accounts SET tier = 3;\nALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;";
    check_recipe(&Case {
        naive: NAIVE,
        reference: Some(NAIVE),
        old_app: &[
            "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON CONFLICT (id) DO NOTHING",
        ],
        new_app: &[
            "INSERT INTO accounts (id, name, tier) VALUES (900002, 'new', 7) ON CONFLICT (id) DO NOTHING",
        ],
        seen_by_new: &[
            ("SELECT tier::text FROM accounts WHERE id = 900001", "3"),
            ("SELECT tier::text FROM accounts WHERE id = 900002", "7"),
            (
                "SELECT count(*)::text FROM accounts WHERE id < 900000 AND tier <> 3",
                "0",
            ),
        ],
        ..BASE
    });
}

#[test]
fn change_column_type() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;",
        old_app: &[
            "INSERT INTO accounts (id, name, balance) VALUES (900001, 'old', 5) ON CONFLICT (id) DO NOTHING",
            "UPDATE accounts SET balance = balance + 1 WHERE id = 5",
        ],
        new_app: &["UPDATE accounts SET balance = 77 WHERE id = 6"],
        // a value only bigint holds, then back: the down cannot narrow values that do not fit
        new_app_after: &[
            "UPDATE accounts SET balance = 3000000000 WHERE id = 7",
            "UPDATE accounts SET balance = 7 WHERE id = 7",
        ],
        seen_by_new: &[
            ("SELECT balance::text FROM accounts WHERE id = 900001", "5"),
            ("SELECT balance::text FROM accounts WHERE id = 5", "7"),
            (
                "SELECT pg_typeof(balance)::text FROM accounts WHERE id = 7",
                "bigint",
            ),
        ],
        ..BASE
    });
}

/// [`INIT`] with a foreign key on `accounts.owner_id`, as an `int` (so that it can widen).
const FK_INIT: &str = "
CREATE TABLE owners (id int PRIMARY KEY, label text);
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    owner_id int CONSTRAINT accounts_owner_fk REFERENCES owners (id) ON DELETE CASCADE,
    name text NOT NULL,
    email text,
    balance int NOT NULL DEFAULT 0,
    note text
);
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE INDEX accounts_owner_idx ON accounts (owner_id);
CREATE TABLE events (id bigint NOT NULL, kind text);
";

/// int -> bigint of a foreign key column, the most common type change (refused before: the
/// shadow column did not copy foreign keys): the key is copied onto the shadow in the
/// contract (`NOT VALID`, then `VALIDATE`), the original dropped with the old column, the
/// copy takes its name; the naive run's schema after, the original back after the down.
#[test]
fn change_the_type_of_a_foreign_key_column() {
    check_recipe(&Case {
        init: FK_INIT,
        naive: "ALTER TABLE accounts ALTER COLUMN owner_id TYPE bigint;",
        old_app: &["UPDATE accounts SET owner_id = 3 WHERE id = 5"],
        new_app: &[
            "INSERT INTO accounts (id, name, owner_id) VALUES (900002, 'new', 4) ON CONFLICT (id) DO NOTHING",
        ],
        ..BASE
    });
}

#[test]
fn rename_a_foreign_key_column() {
    check_recipe(&Case {
        init: FK_INIT,
        naive: "ALTER TABLE accounts RENAME COLUMN owner_id TO holder_id;",
        old_app: &["UPDATE accounts SET owner_id = 3 WHERE id = 5"],
        new_app: &["UPDATE accounts SET holder_id = 4 WHERE id = 6"],
        seen_by_new: &[("SELECT holder_id::text FROM accounts WHERE id = 5", "3")],
        seen_by_old: &[("SELECT owner_id::text FROM accounts WHERE id = 6", "4")],
        ..BASE
    });
}

#[test]
fn set_not_null() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
        old_app: &[
            "INSERT INTO accounts (id, name, email) VALUES (900001, 'old', 'o@x') ON CONFLICT (id) DO NOTHING",
        ],
        new_app: &["SELECT email FROM accounts WHERE id = 3"],
        ..BASE
    });
}

#[test]
fn add_foreign_key() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);",
        old_app: &["UPDATE accounts SET owner_id = 3 WHERE id = 5"],
        new_app: &[
            "INSERT INTO accounts (id, name, owner_id) VALUES (900002, 'new', 4) ON CONFLICT (id) DO NOTHING",
        ],
        ..BASE
    });
}

#[test]
fn add_check() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0);",
        old_app: &["UPDATE accounts SET balance = 10 WHERE id = 5"],
        new_app: &["SELECT balance FROM accounts WHERE id = 5"],
        ..BASE
    });
}

/// Columns added with inline constraints (lemmy's `ADD COLUMN language_id integer REFERENCES
/// language NOT NULL DEFAULT 0`, refused before): each column, then each constraint through
/// its own recipe under the name PostgreSQL gives it; the dump compares names and definitions
/// with the naive run's.
#[test]
fn add_columns_with_inline_constraints() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ADD COLUMN owner2_id bigint REFERENCES owners ON DELETE SET NULL, ADD COLUMN code text UNIQUE CHECK (length(code) < 20), ADD COLUMN tier int NOT NULL DEFAULT 1 REFERENCES owners (id);",
        old_app: &[
            "UPDATE accounts SET balance = 10 WHERE id = 5",
            "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON CONFLICT (id) DO NOTHING",
        ],
        new_app: &[
            "INSERT INTO accounts (id, name, owner2_id, code, tier) VALUES (900002, 'new', 3, 'c900002', 2) ON CONFLICT (id) DO NOTHING",
        ],
        ..BASE
    });
}

#[test]
fn add_unique() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
        old_app: &[
            "INSERT INTO accounts (id, name, email) VALUES (900001, 'old', 'unique-old@x') ON CONFLICT (id) DO NOTHING",
        ],
        new_app: &["SELECT id FROM accounts WHERE email = 'e5@x'"],
        ..BASE
    });
}

#[test]
fn add_primary_key() {
    check_recipe(&Case {
        naive: "ALTER TABLE events ADD PRIMARY KEY (id);",
        old_app: &["INSERT INTO events (id, kind) VALUES (900001, 'old') ON CONFLICT DO NOTHING"],
        new_app: &["SELECT kind FROM events WHERE id = 5"],
        table: "events",
        ..BASE
    });
}

/// [`INIT`] with indexes that are not plain b-trees on columns: a method and its storage
/// option, an expression with a predicate, a sort order with an `INCLUDE`.
const SHAPED_INIT: &str = "
CREATE TABLE owners (id bigint PRIMARY KEY, label text);
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    owner_id bigint,
    name text NOT NULL,
    email text,
    balance int NOT NULL DEFAULT 0,
    note text
);
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE INDEX accounts_balance_brin ON accounts USING brin (balance) WITH (pages_per_range = 32);
CREATE UNIQUE INDEX accounts_email_live ON accounts (lower(email)) WHERE note IS NOT NULL;
CREATE INDEX accounts_balance_pos ON accounts (balance DESC NULLS LAST) INCLUDE (name) WHERE balance > 0;
CREATE INDEX accounts_balance_neg ON accounts ((-balance));
CREATE TABLE events (id bigint NOT NULL, kind text);
";

/// The contract's down builds each dropped index again as it was (it came back as a b-tree
/// on the columns, without predicate or options: crates.io's BRIN index, found by `migrate
/// verify`); `check_recipe` compares `pg_get_indexdef` before and after.
#[test]
fn drop_indexes_that_are_not_plain() {
    check_recipe(&Case {
        init: SHAPED_INIT,
        naive: "DROP INDEX accounts_balance_brin;
                DROP INDEX accounts_email_live;
                DROP INDEX accounts_balance_pos;
                DROP INDEX accounts_balance_neg;",
        old_app: &["SELECT count(*) FROM accounts WHERE balance > 5"],
        new_app: &["UPDATE accounts SET balance = 3 WHERE id = 5"],
        ..BASE
    });
}

/// A type change copies the column's indexes onto the shadow as they were built, the column
/// renamed inside expressions and predicates (a partial index was copied whole before; an
/// index on an expression of the column was not copied, and went with the old column).
#[test]
fn change_the_type_of_a_column_with_shaped_indexes() {
    check_recipe(&Case {
        init: SHAPED_INIT,
        naive: "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;",
        old_app: &["UPDATE accounts SET balance = balance + 1 WHERE id = 5"],
        new_app: &["UPDATE accounts SET balance = 77 WHERE id = 6"],
        seen_by_new: &[("SELECT balance::text FROM accounts WHERE id = 6", "77")],
        ..BASE
    });
}

/// A generated column is dropped for real (its values come from the other columns); the
/// contract's down adds it again from its expression (`check_recipe` compares the columns'
/// expressions before and after).
#[test]
fn drop_a_generated_column() {
    check_recipe(&Case {
        init: "
CREATE TABLE owners (id bigint PRIMARY KEY, label text);
CREATE FUNCTION tag_of(t text) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT lower(t) $$;
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    owner_id bigint,
    name text NOT NULL,
    email text,
    balance int NOT NULL DEFAULT 0,
    note text,
    tag text GENERATED ALWAYS AS (tag_of(name)) STORED
);
CREATE TABLE events (id bigint NOT NULL, kind text);
",
        naive: "ALTER TABLE accounts DROP COLUMN tag;",
        old_app: &["SELECT tag FROM accounts WHERE id = 5"],
        new_app: &["UPDATE accounts SET name = 'x' WHERE id = 6"],
        ..BASE
    });
}

/// An index dropped and built again under its name: built as `<name>_sluice_new` in the
/// expand (the old one keeps the name until the contract), dropped and renamed in the
/// contract; the naive run's index (name and definition) after, the old one after the down.
#[test]
fn rebuild_an_index_under_its_name() {
    check_recipe(&Case {
        naive: "DROP INDEX accounts_name_idx;
                CREATE INDEX accounts_name_idx ON accounts (lower(name)) WHERE email IS NOT NULL;",
        old_app: &["SELECT count(*) FROM accounts WHERE name = 'name 5'"],
        new_app: &[
            "SELECT count(*) FROM accounts WHERE lower(name) = 'name 5' AND email IS NOT NULL",
        ],
        ..BASE
    });
}

/// [`INIT`] with unique constraints on `email` and on `(owner_id, balance)`.
const UNIQUE_INIT: &str = "
CREATE TABLE owners (id bigint PRIMARY KEY, label text);
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    owner_id bigint,
    name text NOT NULL,
    email text CONSTRAINT accounts_email_key UNIQUE,
    balance int NOT NULL DEFAULT 0,
    note text,
    CONSTRAINT accounts_owner_balance_key UNIQUE (id, balance)
);
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE TABLE events (id bigint NOT NULL, kind text);
";

/// A column in a unique constraint (refused before: ente's int -> bigint of ids): its index
/// is copied onto the shadow in the expand and attached as the constraint in the swap
/// (`ADD CONSTRAINT .. UNIQUE USING INDEX`); the contract's down drops it and builds the copy
/// again. The naive run's constraints after, the original ones after the downs.
#[test]
fn rename_a_column_in_a_unique_constraint() {
    check_recipe(&Case {
        init: UNIQUE_INIT,
        naive: "ALTER TABLE accounts RENAME COLUMN email TO mail;",
        old_app: &["UPDATE accounts SET email = 'changed@x' WHERE id = 5"],
        new_app: &["UPDATE accounts SET mail = 'other@x' WHERE id = 6"],
        seen_by_new: &[("SELECT mail FROM accounts WHERE id = 5", "changed@x")],
        seen_by_old: &[("SELECT email FROM accounts WHERE id = 6", "other@x")],
        ..BASE
    });
}

#[test]
fn change_the_type_of_a_column_in_a_unique_constraint() {
    check_recipe(&Case {
        init: UNIQUE_INIT,
        naive: "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;",
        old_app: &["UPDATE accounts SET balance = balance + 1 WHERE id = 5"],
        new_app: &["UPDATE accounts SET balance = 77 WHERE id = 6"],
        ..BASE
    });
}

#[test]
fn add_index() {
    check_recipe(&Case {
        naive: "CREATE INDEX accounts_owner_idx ON accounts (owner_id);",
        old_app: &["UPDATE accounts SET owner_id = 2 WHERE id = 5"],
        new_app: &["SELECT count(*) FROM accounts WHERE owner_id = 2"],
        ..BASE
    });
}

#[test]
fn volatile_default() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();",
        old_app: &[
            "INSERT INTO accounts (id, name) VALUES (900001, 'old') ON CONFLICT (id) DO NOTHING",
        ],
        new_app: &["SELECT token FROM accounts WHERE id = 5"],
        seen_by_new: &[
            (
                "SELECT count(*)::text FROM accounts WHERE token IS NULL",
                "0",
            ),
            (
                "SELECT count(DISTINCT token)::text FROM accounts WHERE id <= 1000",
                "1000",
            ),
        ],
        skip_columns: &["token"],
        ..BASE
    });
}

#[test]
fn soft_drop_column() {
    check_recipe(&Case {
        naive: "ALTER TABLE accounts DROP COLUMN note;",
        old_app: &["SELECT note FROM accounts WHERE id = 5"],
        new_app: &[
            "INSERT INTO accounts (id, name) VALUES (900002, 'new') ON CONFLICT (id) DO NOTHING",
        ],
        ..BASE
    });
}

#[test]
fn soft_drop_table() {
    check_recipe(&Case {
        naive: "DROP TABLE events;",
        old_app: &["SELECT kind FROM events WHERE id = 5"],
        new_app: &["SELECT 1"],
        ..BASE
    });
}

#[test]
fn identifiers_that_need_quoting_apply_cleanly() {
    let work = tempfile::tempdir().unwrap();
    let init = "CREATE TABLE \"Odd \"\"Table\"\"\" (\"Id\" bigint PRIMARY KEY, \"naïve col\" text NOT NULL, \"select\" int);\nCREATE INDEX \"Odd Idx\" ON \"Odd \"\"Table\"\"\" (\"naïve col\");";
    let naive = "ALTER TABLE \"Odd \"\"Table\"\"\" RENAME COLUMN \"naïve col\" TO \"Größe ü\";\nALTER TABLE \"Odd \"\"Table\"\"\" ALTER COLUMN \"select\" TYPE bigint;";
    std::fs::create_dir_all(work.path().join("naive")).unwrap();
    std::fs::write(work.path().join("naive/0001_init.sql"), init).unwrap();
    std::fs::write(work.path().join("naive/0002_odd.sql"), naive).unwrap();
    let migs = work.path().join("migrations");
    std::fs::create_dir_all(migs.join("0001_init")).unwrap();
    std::fs::write(migs.join("0001_init/expand.up.sql"), init).unwrap();
    std::fs::write(
        migs.join("0001_init/expand.down.sql"),
        "DROP TABLE \"Odd \"\"Table\"\"\";",
    )
    .unwrap();
    let s = Scratch::pg();
    let planned = run(s
        .migrate(&work.path().join("naive"))
        .args(["plan", "0002_odd.sql", "--out"])
        .arg(migs.join("0002_odd")));
    assert_eq!(planned.code, 0, "{planned:?}");
    ok(&s, &migs, &["apply", "."]);
    s.exec(
        "INSERT INTO \"Odd \"\"Table\"\"\" SELECT g, 'v' || g, g FROM generate_series(1, 500) g",
    );
    ok(&s, &migs, &["apply", ".", "--phase", "expand"]);
    ok(&s, &migs, &["rollout", "complete", "--release", "r"]);
    ok(&s, &migs, &["apply", ".", "--phase", "contract"]);
    assert_eq!(
        s.strings("SELECT \"Größe ü\" || ':' || \"select\"::text || ':' || pg_typeof(\"select\")::text FROM \"Odd \"\"Table\"\"\" WHERE \"Id\" = 7"),
        ["v7:7:bigint"]
    );
    assert_eq!(
        s.strings("SELECT indexdef FROM pg_indexes WHERE indexname = 'Odd Idx'"),
        ["CREATE INDEX \"Odd Idx\" ON public.\"Odd \"\"Table\"\"\" USING btree (\"Größe ü\")"]
    );
}

/// A project whose plans rename columns through views on the server under test, `naive` its
/// `0002_change.sql`.
fn view_rename_project(s: &Scratch, naive: &str) -> RecipeDirs {
    let major = s.strings("SELECT (current_setting('server_version_num')::int / 10000)::text");
    let config = format!(
        "server_version = \"{}\"\n[plan]\nrename_column = \"view\"\n",
        major[0]
    );
    recipe_dirs(
        INIT,
        "DROP TABLE events; DROP TABLE accounts; DROP TABLE owners;",
        naive,
        Some(&config),
    )
}

/// `migrate plan <name>.sql --out migrations/<name>` in the project's naive directory.
fn plan_into(s: &Scratch, dirs: &RecipeDirs, name: &str) {
    let planned = run(s
        .migrate(&dirs.naive)
        .args(["plan", &format!("{name}.sql"), "--out"])
        .arg(dirs.migrations.join(name)));
    assert_eq!(planned.code, 0, "plan {name}: {planned:?}");
}

/// A later migration that changes a table whose column was renamed through a view: while the
/// view stands, `apply` refuses it before anything runs (PostgreSQL alters no view as a
/// table) and names the contract to apply first; once the rollout completes, one `apply` runs
/// the rename's contract before the later expand.
#[test]
fn a_later_change_of_a_table_renamed_through_a_view_waits_for_the_contract() {
    let s = Scratch::pg();
    let dirs = view_rename_project(&s, "ALTER TABLE accounts RENAME COLUMN name TO full_name;");
    let migs = dirs.migrations.as_path();
    plan_into(&s, &dirs, "0002_change");
    let later = migs.join("0003_note");
    std::fs::create_dir_all(&later).unwrap();
    std::fs::write(
        later.join("expand.up.sql"),
        "SELECT 1;\nALTER TABLE accounts ADD COLUMN nickname text;\n",
    )
    .unwrap();
    std::fs::write(
        later.join("expand.down.sql"),
        "ALTER TABLE accounts DROP COLUMN nickname;\n",
    )
    .unwrap();
    ok(&s, migs, &["apply", ".", "--to", "1"]);
    let relkind = "SELECT relkind::text FROM pg_class WHERE relname = 'accounts'";

    // both expands at once: refused before the rename's expand runs
    let r = run(s.migrate(migs).args(["apply", ".", "--phase", "expand"]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("0003_note/expand.up.sql:2: migration 0003 changes table accounts, which is the view of migration 0002's column rename")
            && r.stderr.contains("Apply 0002 first (`migrate apply --to 0002`), roll out its code, then its contract (`migrate apply --phase contract --to 0002`); then this migration"),
        "{}",
        r.stderr
    );
    assert_eq!(s.strings(relkind), ["r"], "nothing ran");

    // the rename's expand alone, then the later one: still refused, the view stays
    ok(&s, migs, &["apply", ".", "--phase", "expand", "--to", "2"]);
    assert_eq!(s.strings(relkind), ["v"]);
    let r = run(s.migrate(migs).args(["apply", ".", "--phase", "expand"]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("nothing was executed. Apply 0002's contract first, once the code of its rollout runs everywhere (`migrate apply --phase contract --to 0002`); then this migration"),
        "{}",
        r.stderr
    );

    // the rollout completes: the contract runs first, then the later expand
    ok(&s, migs, &["rollout", "complete", "--release", "r2"]);
    ok(&s, migs, &["apply", ".", "--phase", "all"]);
    assert_eq!(s.strings(relkind), ["r"]);
    assert_eq!(
        s.strings(
            "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = 'accounts'::regclass AND attnum > 0 AND NOT attisdropped"
        )
        .join(""),
        "id,owner_id,full_name,email,balance,note,nickname"
    );
    let status = ok(&s, migs, &["status", "."]);
    let phases: Vec<Vec<&str>> = status
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() >= 4 && w[0].starts_with("000"))
        .map(|w| w[..4].to_vec())
        .collect();
    assert_eq!(
        phases,
        [
            ["0001", "init", "expand", "applied"],
            ["0002", "change", "expand", "applied"],
            ["0002", "change", "contract", "applied"],
            ["0003", "note", "expand", "applied"],
        ],
        "{status}"
    );
}

/// An earlier migration that changes the table runs before the view rename's expand, in the
/// same run: only later ones wait for the rename's contract.
#[test]
fn an_earlier_change_of_a_table_renamed_through_a_view_runs_in_the_same_apply() {
    let s = Scratch::pg();
    let add = "ALTER TABLE accounts ADD COLUMN nickname text;\n";
    let dirs = view_rename_project(&s, add);
    let migs = dirs.migrations.as_path();
    std::fs::create_dir_all(migs.join("0002_change")).unwrap();
    std::fs::write(migs.join("0002_change/expand.up.sql"), add).unwrap();
    std::fs::write(
        migs.join("0002_change/expand.down.sql"),
        "ALTER TABLE accounts DROP COLUMN nickname;\n",
    )
    .unwrap();
    std::fs::write(
        dirs.naive.join("0003_rename.sql"),
        "ALTER TABLE accounts RENAME COLUMN name TO full_name;\n",
    )
    .unwrap();
    plan_into(&s, &dirs, "0003_rename");
    ok(&s, migs, &["apply", ".", "--phase", "expand"]);
    assert_eq!(
        s.strings("SELECT relkind::text FROM pg_class WHERE relname = 'accounts'"),
        ["v"]
    );
    assert_eq!(
        s.strings("SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'accounts' AND column_name IN ('name', 'full_name', 'nickname')"),
        ["3"]
    );
}
