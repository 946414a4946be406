//! The whole lint of one file after a small history, on PostgreSQL and MariaDB, expand and
//! contract, rendered: never panics, and every finding points inside its file. The input's
//! first line (up to a newline) is one more history migration, the rest the linted file.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sluice_core::source::{Direction, Layout, Migration, Phase, Script, SourceFile, Version};
use sluice_core::sql::Dialect;
use sluice_lint::LintSettings;
use sluice_lint::report::{Format, RenderOptions, render};

const HISTORY: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email varchar(100), n int DEFAULT 0);\n\
CREATE INDEX users_name_idx ON users (name);\n\
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), total int);\n";

fn script(file: Arc<SourceFile>, phase: Phase, direction: Direction) -> Script {
    Script {
        range: 0..file.text.len(),
        file,
        phase,
        direction,
        phased: true,
        no_transaction_marker: false,
        irreversible: None,
    }
}

fn migration(version: &str, name: &str, scripts: Vec<Script>) -> Migration {
    Migration {
        version: Version::parse(version).expect("digits"),
        name: name.to_owned(),
        layout: Layout::Native,
        origin: format!("{version}_{name}").into(),
        scripts,
        backfill: None,
    }
}

fuzz_target!(|text: &str| {
    let (extra, file) = text.split_once('\n').unwrap_or(("", text));
    let history = vec![
        migration(
            "1",
            "init",
            vec![script(
                SourceFile::new("1_init/expand.up.sql", HISTORY.into()),
                Phase::Expand,
                Direction::Up,
            )],
        ),
        migration(
            "2",
            "extra",
            vec![script(
                SourceFile::new("2_extra/expand.up.sql", extra.into()),
                Phase::Expand,
                Direction::Up,
            )],
        ),
    ];
    let mut mariadb = LintSettings::default();
    mariadb.dialect = Dialect::Mysql;
    mariadb.mariadb = true;
    mariadb.server_version = 1011;
    for (settings, phase) in [
        (LintSettings::default(), Phase::Expand),
        (LintSettings::default(), Phase::Contract),
        (mariadb, Phase::Expand),
    ] {
        let f = SourceFile::new(format!("3_change/{}.up.sql", phase.name()), file.to_owned());
        let down = SourceFile::new(format!("3_change/{}.down.sql", phase.name()), String::new());
        let change = migration(
            "3",
            "change",
            vec![
                script(f, phase, Direction::Up),
                script(down, phase, Direction::Down),
            ],
        );
        let report = sluice_lint::lint_change_set(&settings, &history, &[change]);
        for d in &report.diagnostics {
            let f = report
                .file(&d.path)
                .expect("a finding's file is in the report");
            assert!(
                f.text.get(d.range.clone()).is_some(),
                "{}: range {:?} outside its file",
                d.rule,
                d.range
            );
            assert!(d.start <= d.end, "{}: start after end", d.rule);
        }
        let _ = render(&report, Format::Human, &RenderOptions::default());
        let _ = render(&report, Format::Json, &RenderOptions::default());
    }
});
