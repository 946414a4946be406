use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn auto(dir: &tempfile::TempDir) -> Discovery {
    discover(dir.path(), LayoutChoice::Auto).unwrap()
}

/// (version, phase, direction, phased, no-tx, script text) per script, migrations in order.
fn summary(d: &Discovery) -> Vec<(String, Phase, Direction, bool, bool, String)> {
    d.migrations
        .iter()
        .flat_map(|m| {
            m.scripts.iter().map(|s| {
                let text = s.text().to_owned();
                (
                    m.version.raw.clone(),
                    s.phase,
                    s.direction,
                    s.phased,
                    s.no_transaction_marker,
                    text,
                )
            })
        })
        .collect()
}

use Direction::{Down, Up};
use Phase::{Contract, Expand};

#[test]
fn native_phased_directories() {
    let dir = tree(&[
        (
            "2_rename/expand.up.sql",
            "-- sluice:no-transaction\ncreate index concurrently i on t(a);",
        ),
        ("2_rename/expand.down.sql", "drop index i;"),
        (
            "2_rename/contract.up.sql",
            "-- sluice:irreversible data is gone\nalter table t drop column b;",
        ),
        ("2_rename/backfill.toml", "table = 't'"),
        ("1_init/expand.up.sql", "create table t(a int);"),
        ("README.md", "docs"),
        (".hidden", ""),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Native);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(
        summary(&d),
        [
            (
                "1".into(),
                Expand,
                Up,
                true,
                false,
                "create table t(a int);".into()
            ),
            (
                "2".into(),
                Expand,
                Up,
                true,
                true,
                "-- sluice:no-transaction\ncreate index concurrently i on t(a);".into()
            ),
            (
                "2".into(),
                Expand,
                Down,
                true,
                false,
                "drop index i;".into()
            ),
            (
                "2".into(),
                Contract,
                Up,
                true,
                false,
                "-- sluice:irreversible data is gone\nalter table t drop column b;".into()
            ),
        ]
    );
    let m = &d.migrations[1];
    assert_eq!(m.name, "rename");
    assert_eq!(m.origin, dir.path().join("2_rename"));
    assert_eq!(m.backfill, Some(dir.path().join("2_rename/backfill.toml")));
    assert_eq!(
        m.script(Contract, Up).unwrap().irreversible.as_deref(),
        Some("data is gone")
    );
    assert!(m.has_down(Expand));
    assert!(!m.has_down(Contract));
}

#[test]
fn diesel_directories_with_metadata() {
    let dir = tree(&[
        ("00000000000000_diesel_initial_setup/up.sql", "select 1;"),
        ("00000000000000_diesel_initial_setup/down.sql", "select 2;"),
        (
            "2024-02-12-120203_idx/up.sql",
            "create index concurrently i on t(a);",
        ),
        (
            "2024-02-12-120203_idx/down.sql",
            "drop index concurrently i;",
        ),
        (
            "2024-02-12-120203_idx/metadata.toml",
            "run_in_transaction = false\n",
        ),
        ("2024-02-12-120203-0000_later/up.sql", "select 3;"),
        ("2019-03-22-170700_old/up.sql", "select 0;"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Diesel);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let s = summary(&d);
    let versions: Vec<_> = d
        .migrations
        .iter()
        .map(|m| m.version.raw.as_str())
        .collect();
    assert_eq!(
        versions,
        [
            "00000000000000",
            "2019-03-22-170700",
            "2024-02-12-120203",
            "2024-02-12-120203-0000"
        ]
    );
    assert_eq!(
        s[3],
        (
            "2024-02-12-120203".into(),
            Expand,
            Up,
            false,
            true,
            "create index concurrently i on t(a);".into()
        )
    );
    assert_eq!(s[4].2, Down);
    assert!(s[4].4, "metadata applies to the down too");
    assert!(!s[0].4);
}

#[test]
fn sqlx_simple_and_reversible() {
    let dir = tree(&[
        ("1_init.sql", "-- no-transaction\ncreate table t(a int);"),
        (
            "2_more.up.sql",
            "-- sluice:phase contract\nalter table t drop column a;",
        ),
        ("2_more.down.sql", "alter table t add column a int;"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Sqlx);
    assert_eq!(
        summary(&d),
        [
            (
                "1".into(),
                Expand,
                Up,
                false,
                true,
                "-- no-transaction\ncreate table t(a int);".into()
            ),
            (
                "2".into(),
                Contract,
                Up,
                true,
                false,
                "-- sluice:phase contract\nalter table t drop column a;".into()
            ),
            (
                "2".into(),
                Contract,
                Down,
                true,
                false,
                "alter table t add column a int;".into()
            ),
        ]
    );
    assert_eq!(d.migrations[1].origin, dir.path().join("2_more.up.sql"));
    assert_eq!(d.migrations[1].name, "more");
}

#[test]
fn golang_migrate_and_authelia_names() {
    let dir = tree(&[
        ("000001_create.up.sql", "create table t(a int);"),
        ("000001_create.down.sql", "drop table t;"),
        (
            "000002_idx.autocommit.up.sql",
            "create index concurrently i on t(a);",
        ),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::GolangMigrate);
    assert_eq!(
        summary(&d),
        [
            (
                "000001".into(),
                Expand,
                Up,
                false,
                false,
                "create table t(a int);".into()
            ),
            (
                "000001".into(),
                Expand,
                Down,
                false,
                false,
                "drop table t;".into()
            ),
            (
                "000002".into(),
                Expand,
                Up,
                false,
                true,
                "create index concurrently i on t(a);".into()
            ),
        ]
    );
    let dir = tree(&[
        ("V0001.Initial_Schema.up.sql", "select 1;"),
        ("V0001.Initial_Schema.down.sql", "select 2;"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::GolangMigrate);
    assert_eq!(d.migrations.len(), 1);
    assert_eq!(d.migrations[0].name, "Initial_Schema");
    assert_eq!(d.migrations[0].scripts.len(), 2);
}

#[test]
fn flyway_versions_undo_and_repeatable() {
    let dir = tree(&[
        ("V1.10__later.sql", "select 3;"),
        ("V1.2__add.sql", "select 2;"),
        ("U1.2__add.sql", "select -2;"),
        ("V1_1__first.sql", "select 1;"),
        ("R__views.sql", "create view v as select 1;"),
        ("V3_bad.sql", "select 4;"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Flyway);
    let s: Vec<_> = summary(&d).into_iter().map(|s| (s.0, s.2, s.5)).collect();
    assert_eq!(
        s,
        [
            ("1_1".into(), Up, "select 1;".into()),
            ("1.2".into(), Up, "select 2;".into()),
            ("1.2".into(), Down, "select -2;".into()),
            ("1.10".into(), Up, "select 3;".into()),
        ]
    );
    let w: Vec<_> = d
        .warnings
        .iter()
        .map(|w| {
            (
                w.path.file_name().unwrap().to_str().unwrap(),
                w.message.as_str(),
            )
        })
        .collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].0, "R__views.sql");
    assert!(w[0].1.contains("not supported"));
    assert_eq!(w[1].0, "V3_bad.sql");
    assert!(
        w[1].1.contains("two underscores") && w[1].1.contains("V<version>__<name>.sql"),
        "{}",
        w[1].1
    );
}

#[test]
fn flyway_script_configuration_says_no_transaction() {
    let dir = tree(&[
        ("V1__init.sql", "create table t(a int);"),
        ("V2__idx.sql", "create index concurrently i on t(a);"),
        (
            "V2__idx.sql.conf",
            "# Flyway script configuration\nencoding = UTF-8\nexecuteInTransaction = false\n",
        ),
        ("U2__idx.sql", "drop index concurrently i;"),
        ("U2__idx.sql.conf", "executeInTransaction:FALSE"),
        ("V3__odd.sql", "select 1;"),
        ("V3__odd.sql.conf", "executeInTransaction=maybe"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Flyway);
    let no_tx: Vec<_> = summary(&d).into_iter().map(|s| (s.0, s.2, s.4)).collect();
    assert_eq!(
        no_tx,
        [
            ("1".into(), Up, false),
            ("2".into(), Up, true),
            ("2".into(), Down, true),
            ("3".into(), Up, false),
        ]
    );
    // the .conf files are not scripts; a value Flyway would not read is said
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].path.ends_with("V3__odd.sql.conf"));
    assert!(d.warnings[0].message.contains("`maybe`"));

    // one file named on the command line reads its own and its sibling's configuration
    let m = load_file(&dir.path().join("U2__idx.sql"), None).unwrap();
    assert!(m.scripts.iter().all(|s| s.no_transaction_marker));
    let m = load_file(&dir.path().join("V1__init.sql"), None).unwrap();
    assert!(m.scripts.iter().all(|s| !s.no_transaction_marker));
}

#[test]
fn dbmate_sections() {
    let text = "-- header\n-- migrate:up transaction:false\ncreate index concurrently i on t(a);\n\n-- migrate:down\ndrop index i;\n";
    let dir = tree(&[
        ("20240101000000_idx.sql", text),
        ("20240102000000_b.sql", "-- migrate:up\nselect 1;\n"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Dbmate);
    let m = &d.migrations[0];
    let up = m.script(Expand, Up).unwrap();
    let down = m.script(Expand, Down).unwrap();
    let up_start = text.find("-- migrate:up").unwrap();
    let down_start = text.find("-- migrate:down").unwrap();
    assert_eq!(up.range, up_start..down_start);
    assert_eq!(down.range, down_start..text.len());
    assert!(up.no_transaction_marker);
    assert!(!down.no_transaction_marker);
    assert!(!up.phased);
    assert_eq!(d.migrations[1].scripts.len(), 1);
}

#[test]
fn goose_sections() {
    let text = "-- sluice:phase contract\n-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nselect 1;\n-- +goose StatementEnd\n-- +goose Down\nselect 2;\n";
    let dir = tree(&[("00001_a.sql", text)]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Goose);
    let m = &d.migrations[0];
    let up = m.script(Contract, Up).unwrap();
    let down = m.script(Contract, Down).unwrap();
    assert_eq!(
        up.range,
        text.find("-- +goose Up").unwrap()..text.find("-- +goose Down").unwrap()
    );
    assert_eq!(down.text(), "-- +goose Down\nselect 2;\n");
    assert!(up.no_transaction_marker && down.no_transaction_marker);
    assert!(up.phased && down.phased);
}

#[test]
fn orders_numerically() {
    let dir = tree(&[
        ("10_b.sql", "select 10;"),
        ("2_a.sql", "select 2;"),
        ("1_z.sql", "select 1;"),
    ]);
    let v: Vec<_> = auto(&dir)
        .migrations
        .iter()
        .map(|m| m.version.raw.clone())
        .collect();
    assert_eq!(v, ["1", "2", "10"]);
}

#[test]
fn duplicate_versions_name_both_files() {
    let dir = tree(&[("1_a.sql", "select 1;"), ("001_b.sql", "select 2;")]);
    let err = discover(dir.path(), LayoutChoice::Auto).unwrap_err();
    let SourceError::DuplicateVersion { first, second, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (first, second),
        (&dir.path().join("001_b.sql"), &dir.path().join("1_a.sql"))
    );
    let dir = tree(&[
        ("1_a/expand.up.sql", "select 1;"),
        ("01_b/expand.up.sql", "select 1;"),
    ]);
    let err = discover(dir.path(), LayoutChoice::Auto).unwrap_err();
    let SourceError::DuplicateVersion { first, second, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (first, second),
        (&dir.path().join("01_b"), &dir.path().join("1_a"))
    );
    assert!(err.to_string().contains("01_b") && err.to_string().contains("1_a"));
}

#[test]
fn misnamed_files_warn() {
    let dir = tree(&[
        ("1_ok.up.sql", "select 1;"),
        ("1_ok.down.sql", "select 1;"),
        ("add_users.up.sql", "select 1;"),
        ("1_x.up.sq", "select 1;"),
        ("notes.txt", "x"),
        ("2_no_down.up.sql", "select 2;"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::GolangMigrate);
    assert_eq!(d.migrations.len(), 2, "an up without a down is a migration");
    let w: Vec<_> = d
        .warnings
        .iter()
        .map(|w| w.path.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(w, ["1_x.up.sq", "add_users.up.sql", "notes.txt"]);
    assert!(
        d.warnings
            .iter()
            .all(|w| w.message.contains("expected `<version>_<name>.up.sql`"))
    );

    let dir = tree(&[
        ("1_a/expand.up.sql", "select 1;"),
        ("1_a/expand.sql", "select 1;"),
        ("loose.sql", ""),
    ]);
    let d = auto(&dir);
    let w: Vec<_> = d
        .warnings
        .iter()
        .map(|w| {
            (
                w.path.file_name().unwrap().to_str().unwrap(),
                w.message.as_str(),
            )
        })
        .collect();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].0, "expand.sql");
    assert!(w[0].1.contains("unknown file") && w[0].1.contains("expand.up.sql"));
    assert_eq!(w[1].0, "loose.sql");

    // a fixed layout reports what does not fit it
    let dir = tree(&[("1_a.sql", "select 1;"), ("2_b.up.sql", "select 2;")]);
    let d = discover(dir.path(), LayoutChoice::Fixed(Layout::GolangMigrate)).unwrap();
    assert_eq!(d.migrations.len(), 1);
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].message.contains(".up.sql"));
}

#[test]
fn mixed_and_undecidable_layouts_are_errors() {
    let dir = tree(&[("V1__a.sql", "select 1;"), ("2_b.up.sql", "select 2;")]);
    let err = discover(dir.path(), LayoutChoice::Auto)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("mixes")
            && err.contains("migrations.layout")
            && err.contains("--format-layout"),
        "{err}"
    );
    let dir = tree(&[("add_users.sql", "select 1;")]);
    let err = discover(dir.path(), LayoutChoice::Auto)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot tell") && err.contains("migrations.layout"),
        "{err}"
    );
    // an empty directory is a new project
    let dir = tree(&[]);
    assert!(auto(&dir).migrations.is_empty());
}

#[test]
fn not_found_and_not_utf8() {
    let dir = tree(&[]);
    let missing = dir.path().join("nope");
    assert!(
        matches!(discover(&missing, LayoutChoice::Auto), Err(SourceError::NotFound { path }) if path == missing)
    );
    std::fs::write(dir.path().join("1_a.sql"), b"select 1;\nselect '\xff';").unwrap();
    let err = discover(dir.path(), LayoutChoice::Auto).unwrap_err();
    let SourceError::NotUtf8 { path, err } = err else {
        panic!("{err}")
    };
    assert_eq!(path, dir.path().join("1_a.sql"));
    assert_eq!((err.line, err.column), (2, 9));
}

#[test]
fn load_file_finds_siblings() {
    let dir = tree(&[
        ("3_x/expand.up.sql", "select 1;"),
        ("3_x/expand.down.sql", "select 2;"),
        ("4_y/down.sql", "select 4;"),
        ("4_y/up.sql", "select 3;"),
        ("4_y/metadata.toml", "run_in_transaction = false"),
        ("5_z.down.sql", "select 6;"),
        ("5_z.up.sql", "select 5;"),
        ("V6__w.sql", "select 7;"),
        ("U6__w.sql", "select 8;"),
        (
            "7_d.sql",
            "-- migrate:up\nselect 1;\n-- migrate:down\nselect 2;\n",
        ),
        ("loose.sql", "select 9;"),
    ]);
    let load = |p: &str| load_file(&dir.path().join(p), None).unwrap();
    let kinds = |m: &Migration| {
        m.scripts
            .iter()
            .map(|s| (s.phase, s.direction))
            .collect::<Vec<_>>()
    };

    let m = load("3_x/expand.up.sql");
    assert_eq!(
        (m.layout, m.version.raw.as_str(), m.name.as_str()),
        (Layout::Native, "3", "x")
    );
    assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);
    assert!(m.scripts.iter().all(|s| s.phased));

    let m = load("4_y/down.sql");
    assert_eq!((m.layout, m.version.raw.as_str()), (Layout::Diesel, "4"));
    assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);
    assert!(m.scripts.iter().all(|s| s.no_transaction_marker));

    let m = load("5_z.down.sql");
    assert_eq!(
        (m.layout, m.version.raw.as_str()),
        (Layout::GolangMigrate, "5")
    );
    assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);
    assert_eq!(m.script(Expand, Down).unwrap().text(), "select 6;");

    let m = load("V6__w.sql");
    assert_eq!(
        (m.layout, m.version.raw.as_str(), m.name.as_str()),
        (Layout::Flyway, "6", "w")
    );
    assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);

    let m = load("7_d.sql");
    assert_eq!((m.layout, m.version.raw.as_str()), (Layout::Dbmate, "7"));
    assert_eq!(kinds(&m), [(Expand, Up), (Expand, Down)]);

    let m = load("loose.sql");
    assert_eq!((m.layout, m.version.raw.as_str()), (Layout::Plain, "0"));
    assert_eq!(kinds(&m), [(Expand, Up)]);

    // stdin with a display name: no file needs to exist
    let m = load_file(
        Path::new("<stdin>"),
        Some("-- sluice:phase contract\r\nselect 1;".into()),
    )
    .unwrap();
    assert_eq!(m.scripts[0].text(), "-- sluice:phase contract\nselect 1;");
    assert_eq!((m.scripts[0].phase, m.scripts[0].phased), (Contract, true));
}

#[test]
fn odd_names_never_panic() {
    let names = [
        "1_.sql",
        "_x.sql",
        "V__x.sql",
        "U.sql",
        "V.sql",
        ".up.sql",
        "up.sql",
        "1_x..up.sql",
        "V1.up.sql",
        "Vé.x.up.sql",
        "é_x.sql",
        "R__.sql",
        "1.2_x.sql",
        "-_x/up.sql",
        "1-_x/up.sql",
        "--1_x/expand.up.sql",
        "99999999999999999999999999999999999999999_x.sql",
        "1_x/nested/up.sql",
        "1_x.pg.autocommit.up.sql",
        "1_.pg.up.sql",
        "1_x.é.up.sql",
        "1.backfill.toml",
        "V__.backfill.toml",
        "1_x.postgres.backfill.toml",
    ];
    let files: Vec<_> = names.iter().map(|n| (*n, "select 1;")).collect();
    let dir = tree(&files);
    let layouts = [
        Layout::Native,
        Layout::Sqlx,
        Layout::GolangMigrate,
        Layout::Flyway,
        Layout::Dbmate,
        Layout::Goose,
        Layout::Diesel,
        Layout::Pop,
        Layout::Plain,
    ];
    let _ = discover(dir.path(), LayoutChoice::Auto);
    for l in layouts {
        let _ = discover(dir.path(), LayoutChoice::Fixed(l));
    }
    for n in names {
        let _ = load_file(&dir.path().join(n), None);
    }
}

/// Issue 14: kratos stopped with `two migrations have version 20150100000001000000`.
#[test]
fn pop_layout_takes_the_target_dialect_variants() {
    let dir = tree(&[
        (
            "20150100000001000000_networks.postgres.up.sql",
            "select 'pg';",
        ),
        (
            "20150100000001000000_networks.postgres.down.sql",
            "select 'pg down';",
        ),
        ("20150100000001000000_networks.mysql.up.sql", "select 'my';"),
        (
            "20150100000001000000_networks.mysql.down.sql",
            "select 'my down';",
        ),
        (
            "20150100000001000000_networks.cockroach.up.sql",
            "select 'crdb';",
        ),
        (
            "20150100000001000000_networks.sqlite3.up.sql",
            "select 'lite';",
        ),
        // no dialect part: every dialect, unless a dialect's own file replaces it
        ("20150100000002000000_all.up.sql", "select 'all';"),
        ("20150100000002000000_all.down.sql", "select 'all down';"),
        ("20150100000003000000_over.up.sql", "select 'generic';"),
        ("20150100000003000000_over.pg.up.sql", "select 'pg over';"),
        (
            "20150100000003000000_over.down.sql",
            "select 'generic down';",
        ),
        (
            "20150100000004000000_idx.postgres.autocommit.up.sql",
            "create index concurrently i on t(a);",
        ),
        (
            "20150100000004000000_idx.autocommit.down.sql",
            "drop index concurrently i;",
        ),
        // pop runs nothing for a file of comments and blank lines, and records it
        ("20150100000005000000_empty.up.sql", "-- nothing here\n\n"),
        ("20150100000005000000_empty.down.sql", ""),
        (
            "20150100000006000000_fizz.up.fizz",
            "create_table(\"x\") {}",
        ),
        ("20150100000007000000_odd.oracle.up.sql", "select 1;"),
    ]);
    let d = discover_for(
        dir.path(),
        LayoutChoice::Auto,
        crate::sql::Dialect::Postgres,
    )
    .unwrap();
    assert_eq!(d.layout, Layout::Pop);
    let texts: Vec<(String, Direction, String)> = summary(&d)
        .into_iter()
        .map(|s| (s.0[11..].to_owned(), s.2, s.5))
        .collect();
    let t = |v: &str, dir, text: &str| (v.to_owned(), dir, text.to_owned());
    assert_eq!(
        texts,
        [
            t("001000000", Up, "select 'pg';"),
            t("001000000", Down, "select 'pg down';"),
            t("002000000", Up, "select 'all';"),
            t("002000000", Down, "select 'all down';"),
            t("003000000", Up, "select 'pg over';"),
            t("003000000", Down, "select 'generic down';"),
            t("004000000", Up, "create index concurrently i on t(a);"),
            t("004000000", Down, "drop index concurrently i;"),
            t("005000000", Up, "-- nothing here\n\n"),
            t("005000000", Down, ""),
        ]
    );
    assert_eq!(d.migrations[0].name, "networks");
    assert!(
        d.migrations[3]
            .scripts
            .iter()
            .all(|s| s.no_transaction_marker)
    );
    let w: Vec<_> = d
        .warnings
        .iter()
        .map(|w| w.path.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(
        w,
        [
            "20150100000006000000_fizz.up.fizz",
            "20150100000007000000_odd.oracle.up.sql"
        ],
        "{:?}",
        d.warnings
    );

    let d = discover_for(dir.path(), LayoutChoice::Auto, crate::sql::Dialect::Mysql).unwrap();
    let ups: Vec<_> = summary(&d)
        .into_iter()
        .filter(|s| s.2 == Up)
        .map(|s| s.5)
        .collect();
    assert_eq!(
        ups,
        [
            "select 'my';",
            "select 'all';",
            "select 'generic';",
            "-- nothing here\n\n"
        ]
    );
}

#[test]
fn pop_duplicates_and_single_files() {
    let dir = tree(&[
        ("1_a.postgres.up.sql", "select 1;"),
        ("1_b.pg.up.sql", "select 2;"),
    ]);
    let err = discover_for(
        dir.path(),
        LayoutChoice::Auto,
        crate::sql::Dialect::Postgres,
    )
    .unwrap_err();
    assert!(matches!(err, SourceError::DuplicateVersion { .. }), "{err}");
    // a file named on the command line: its other direction in the same dialect
    let dir = tree(&[
        ("7_x.mysql.up.sql", "select 1;"),
        ("7_x.mysql.down.sql", "select 2;"),
        ("7_x.postgres.down.sql", "select 3;"),
    ]);
    let m = load_file(&dir.path().join("7_x.mysql.up.sql"), None).unwrap();
    assert_eq!((m.layout, m.name.as_str()), (Layout::Pop, "x"));
    assert_eq!(m.script(Expand, Down).unwrap().text(), "select 2;");
}

#[test]
fn backfill_files_beside_file_layouts() {
    let dir = tree(&[
        (
            "1_init.up.sql",
            "create table t(id int primary key, a int, b int);",
        ),
        (
            "2_fill.up.sql",
            "-- sluice:phase expand\nalter table t add column c int;",
        ),
        ("2_fill.backfill.toml", "table = 't'"),
        (
            "3_fill_contract.up.sql",
            "-- sluice:phase contract\nalter table t drop column a;",
        ),
        ("9_orphan.backfill.toml", "table = 't'"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::GolangMigrate);
    assert_eq!(
        d.migrations[1].backfill,
        Some(dir.path().join("2_fill.backfill.toml"))
    );
    assert!(d.migrations[0].backfill.is_none() && d.migrations[2].backfill.is_none());
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].message.contains("no migration has version 9"));

    let dir = tree(&[
        ("V1__init.sql", "select 1;"),
        ("V2__fill.sql", "select 2;"),
        ("V2__fill.backfill.toml", "table = 't'"),
    ]);
    assert!(auto(&dir).migrations[1].backfill.is_some());

    let dir = tree(&[
        ("1_x.postgres.up.sql", "select 1;"),
        ("1_x.postgres.backfill.toml", "table = 'pg'"),
        ("1_x.mysql.up.sql", "select 1;"),
        ("1_x.mysql.backfill.toml", "table = 'my'"),
    ]);
    let d = discover_for(dir.path(), LayoutChoice::Auto, crate::sql::Dialect::Mysql).unwrap();
    assert_eq!(
        d.migrations[0].backfill,
        Some(dir.path().join("1_x.mysql.backfill.toml"))
    );

    // a diesel directory with a planned migration's backfill stays diesel
    let dir = tree(&[
        ("2024-01-01-000000_a/up.sql", "select 1;"),
        ("2024-01-02-000000_b/up.sql", "select 2;"),
        ("2024-01-02-000000_b/backfill.toml", "table = 't'"),
    ]);
    let d = auto(&dir);
    assert_eq!(d.layout, Layout::Diesel);
    assert!(d.migrations[1].backfill.is_some() && d.warnings.is_empty());
}

/// A file named on its own gets the backfill file its layout keeps beside it, as directory
/// discovery does: `migrate verify m/<v>_<name>/up.sql` of a planned diesel migration ran its
/// contract without the backfill before it.
#[test]
fn load_file_finds_the_backfill_beside_it() {
    let dir = tree(&[
        ("2024-01-02-000000_d/up.sql", "select 1;"),
        ("2024-01-02-000000_d/backfill.toml", "table = \"t\""),
        ("5_z.up.sql", "select 5;"),
        ("5_z.backfill.toml", "table = \"t\""),
        ("V6__w.sql", "select 7;"),
        ("V6__w.backfill.toml", "table = \"t\""),
        ("7_d.sql", "-- migrate:up\nselect 1;\n"),
        ("7_d.backfill.toml", "table = \"t\""),
        ("8_none.up.sql", "select 8;"),
        // pop: the file's own dialect's backfill (as `migrate plan` writes it), else the
        // one of every dialect (kratos' `code_address_type` lost its backfill in verify)
        ("9_p.postgres.autocommit.up.sql", "select 9;"),
        ("9_p.postgres.backfill.toml", "table = \"t\""),
        ("9_p.mysql.up.sql", "select 9;"),
        ("10_q.postgres.up.sql", "select 10;"),
        ("10_q.backfill.toml", "table = \"t\""),
    ]);
    let backfill = |p: &str| {
        load_file(&dir.path().join(p), None)
            .unwrap()
            .backfill
            .map(|b| b.strip_prefix(dir.path()).unwrap().display().to_string())
    };
    assert_eq!(
        backfill("2024-01-02-000000_d/up.sql").as_deref(),
        Some("2024-01-02-000000_d/backfill.toml")
    );
    assert_eq!(backfill("5_z.up.sql").as_deref(), Some("5_z.backfill.toml"));
    assert_eq!(
        backfill("V6__w.sql").as_deref(),
        Some("V6__w.backfill.toml")
    );
    assert_eq!(backfill("7_d.sql").as_deref(), Some("7_d.backfill.toml"));
    assert_eq!(backfill("8_none.up.sql"), None);
    assert_eq!(
        backfill("9_p.postgres.autocommit.up.sql").as_deref(),
        Some("9_p.postgres.backfill.toml")
    );
    assert_eq!(backfill("9_p.mysql.up.sql"), None);
    assert_eq!(
        backfill("10_q.postgres.up.sql").as_deref(),
        Some("10_q.backfill.toml")
    );
}
