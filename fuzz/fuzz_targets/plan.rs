//! The planner on generated naive statements (PostgreSQL and MariaDB): either the statement
//! is refused, or the plan's files render and lint clean (no error finding) on the same
//! schema, checked here independently of the planner's own self-check; never a panic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sluice_core::catalog::Catalog;
use sluice_core::source::{Direction, Layout, Migration, Phase, Script, SourceFile, Version};
use sluice_core::sql::Dialect;
use sluice_lint::{LintSettings, Severity};

const HISTORY: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email varchar(100), age int, balance int NOT NULL DEFAULT 0);\n\
CREATE INDEX users_name_idx ON users (name);\n\
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int, note text);\n";

const TABLES: [&str; 3] = ["users", "orders", "missing"];
const COLUMNS: [&str; 8] = [
    "id", "name", "email", "age", "balance", "user_id", "total", "note",
];
const TYPES: [&str; 8] = [
    "int",
    "bigint",
    "text",
    "varchar(20)",
    "varchar(300)",
    "numeric(10,2)",
    "boolean",
    "timestamptz",
];
const DEFAULTS: [&str; 5] = ["0", "'x'", "now()", "random()", "NULL"];

#[derive(Debug, Arbitrary)]
enum Naive {
    Rename {
        t: u8,
        c: u8,
        to: String,
    },
    AddColumn {
        t: u8,
        name: String,
        ty: u8,
        not_null: bool,
        default: Option<u8>,
    },
    ChangeType {
        t: u8,
        c: u8,
        ty: u8,
    },
    SetNotNull {
        t: u8,
        c: u8,
    },
    DropColumn {
        t: u8,
        c: u8,
    },
    Index {
        t: u8,
        c: Vec<u8>,
        unique: bool,
        name: String,
    },
    ForeignKey {
        t: u8,
        c: u8,
        to: u8,
    },
    Check {
        t: u8,
        c: u8,
    },
    Update {
        t: u8,
        c: u8,
        default: u8,
    },
    RenameTable {
        t: u8,
        to: String,
    },
    DropTable {
        t: u8,
    },
    DropIndex {
        concurrently: bool,
    },
    Unique {
        t: u8,
        c: u8,
    },
    SetDefault {
        t: u8,
        c: u8,
        default: u8,
    },
    DropNotNull {
        t: u8,
        c: u8,
    },
    CreateTable {
        name: String,
        c: u8,
        ty: u8,
    },
    Tx(bool),
    Raw(String),
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

/// An identifier from fuzzed text: kept short and plain most of the time, quoted otherwise.
fn ident(s: &str) -> String {
    let plain: String = s
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    if plain.is_empty() || plain.starts_with(|c: char| c.is_ascii_digit()) {
        format!(
            "\"{}\"",
            s.replace('"', "\"\"").chars().take(70).collect::<String>()
        )
    } else {
        format!("c_{plain}")
    }
}

fn sql(n: &Naive, mysql: bool) -> String {
    let t = |i| pick(&TABLES, i);
    let c = |i| pick(&COLUMNS, i);
    match n {
        Naive::Rename { t: ti, c: ci, to } => format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            t(*ti),
            c(*ci),
            ident(to)
        ),
        Naive::AddColumn {
            t: ti,
            name,
            ty,
            not_null,
            default,
        } => format!(
            "ALTER TABLE {} ADD COLUMN {} {}{}{};",
            t(*ti),
            ident(name),
            pick(&TYPES, *ty),
            default
                .map(|d| format!(" DEFAULT {}", pick(&DEFAULTS, d)))
                .unwrap_or_default(),
            if *not_null { " NOT NULL" } else { "" }
        ),
        Naive::ChangeType { t: ti, c: ci, ty } if mysql => format!(
            "ALTER TABLE {} MODIFY {} {};",
            t(*ti),
            c(*ci),
            pick(&TYPES, *ty)
        ),
        Naive::ChangeType { t: ti, c: ci, ty } => format!(
            "ALTER TABLE {} ALTER COLUMN {} TYPE {};",
            t(*ti),
            c(*ci),
            pick(&TYPES, *ty)
        ),
        Naive::SetNotNull { t: ti, c: ci } if mysql => {
            format!("ALTER TABLE {} MODIFY {} int NOT NULL;", t(*ti), c(*ci))
        }
        Naive::SetNotNull { t: ti, c: ci } => format!(
            "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;",
            t(*ti),
            c(*ci)
        ),
        Naive::DropColumn { t: ti, c: ci } => {
            format!("ALTER TABLE {} DROP COLUMN {};", t(*ti), c(*ci))
        }
        Naive::Index {
            t: ti,
            c: cs,
            unique,
            name,
        } => format!(
            "CREATE {}INDEX {} ON {} ({});",
            if *unique { "UNIQUE " } else { "" },
            ident(name),
            t(*ti),
            if cs.is_empty() {
                "id".to_owned()
            } else {
                cs.iter()
                    .take(4)
                    .map(|i| c(*i))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        Naive::ForeignKey { t: ti, c: ci, to } => format!(
            "ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} (id);",
            t(*ti),
            c(*ci),
            t(*to)
        ),
        Naive::Check { t: ti, c: ci } => format!(
            "ALTER TABLE {} ADD CONSTRAINT chk CHECK ({} IS NOT NULL);",
            t(*ti),
            c(*ci)
        ),
        Naive::Update {
            t: ti,
            c: ci,
            default,
        } => format!(
            "UPDATE {} SET {} = {};",
            t(*ti),
            c(*ci),
            pick(&DEFAULTS, *default)
        ),
        Naive::RenameTable { t: ti, to } => {
            format!("ALTER TABLE {} RENAME TO {};", t(*ti), ident(to))
        }
        Naive::DropTable { t: ti } => format!("DROP TABLE {};", t(*ti)),
        Naive::DropIndex { concurrently } if !mysql => format!(
            "DROP INDEX {}users_name_idx;",
            if *concurrently { "CONCURRENTLY " } else { "" }
        ),
        Naive::DropIndex { .. } => "DROP INDEX users_name_idx ON users;".to_owned(),
        Naive::Unique { t: ti, c: ci } => format!(
            "ALTER TABLE {} ADD CONSTRAINT uq UNIQUE ({});",
            t(*ti),
            c(*ci)
        ),
        Naive::SetDefault {
            t: ti,
            c: ci,
            default,
        } => format!(
            "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};",
            t(*ti),
            c(*ci),
            pick(&DEFAULTS, *default)
        ),
        Naive::DropNotNull { t: ti, c: ci } if mysql => {
            format!("ALTER TABLE {} MODIFY {} int NULL;", t(*ti), c(*ci))
        }
        Naive::DropNotNull { t: ti, c: ci } => format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;",
            t(*ti),
            c(*ci)
        ),
        Naive::CreateTable { name, c: ci, ty } => format!(
            "CREATE TABLE {} (id bigint PRIMARY KEY, {} {});",
            ident(name),
            c(*ci),
            pick(&TYPES, *ty)
        ),
        Naive::Tx(begin) => if *begin { "BEGIN;" } else { "COMMIT;" }.to_owned(),
        Naive::Raw(s) => s.chars().take(300).collect(),
    }
}

fn migration(version: &str, name: &str, sql: String) -> Migration {
    let file = SourceFile::new(format!("{version}_{name}.sql"), sql);
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

fuzz_target!(|input: (bool, Vec<Naive>)| {
    let (mysql, naive) = input;
    let mut settings = LintSettings::default();
    if mysql {
        settings.dialect = Dialect::Mysql;
        settings.mariadb = true;
        settings.server_version = 1011;
    }
    let text: Vec<String> = naive.iter().take(6).map(|n| sql(n, mysql)).collect();
    let history = [migration("1", "init", HISTORY.to_owned())];
    let catalog = sluice_lint::engine::replay(&settings, Catalog::new(settings.dialect), &history);
    let naive = migration("2", "change", text.join("\n"));
    let plan = match sluice_plan::plan(&settings, &catalog, &naive) {
        Ok(plan) => plan,
        Err(sluice_plan::PlanError::Refused(r)) => {
            assert!(!r.is_empty(), "a refusal says which statement");
            return;
        }
        Err(e) => panic!("not a refusal: {e}"),
    };
    let files = plan.files(settings.dialect).expect("a plan renders");
    plan.phase_parts(settings.dialect)
        .expect("a plan renders for single-phase layouts");
    // for a runner that sends a file as one query the phases split around CONCURRENTLY
    // steps, and column renames through views: planned or refused, never a panic, and the
    // parts render
    let one_query = sluice_plan::PlanOptions {
        soft_drop_version: Some("3".to_owned()),
        runner: Some(sluice_lint::settings::Runner::GolangMigrate),
        rename_column: sluice_plan::RenameColumn::View,
    };
    match sluice_plan::plan_with(&settings, &catalog, &naive, &one_query) {
        Ok(p) => {
            p.phase_parts(settings.dialect)
                .expect("a split plan renders");
        }
        Err(sluice_plan::PlanError::Refused(r)) => assert!(!r.is_empty()),
        Err(e) => panic!("not a refusal: {e}"),
    }
    let phased = plan.migration(&files, std::path::Path::new("2_change"));
    let report = sluice_lint::engine::lint_change_set_on(&settings, catalog, &[], &[phased]);
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            format!(
                "{}:{} {} ({})",
                d.path.display(),
                d.start.line,
                d.message,
                d.rule
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "the plan of\n{}\nlints with errors:\n{}\nfiles: {:#?}",
        text.join("\n"),
        errors.join("\n"),
        files.files
    );
});
