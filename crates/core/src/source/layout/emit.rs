//! Writing migrations in a directory's own layout (the inverse of reading one): the file
//! names, the sections, and each tool's own "no transaction" marker, so that the files run
//! with the layout's tool as well as with Sluice. Pure: paths and texts, no I/O.

use std::path::PathBuf;

use super::Layout;
use super::names::dir_version_name;
use super::pop::target as pop_dialect;
use crate::source::Version;
use crate::source::split::{SplitOptions, split};
use crate::sql::Dialect;

/// One migration to write.
#[derive(Debug, Clone)]
pub struct NewMigration<'a> {
    pub version: &'a str,
    pub name: &'a str,
    pub up: &'a str,
    /// `None`: no inverse (the up says `-- sluice:irreversible`).
    pub down: Option<&'a str>,
    /// The scripts run outside a transaction (they hold their own BEGIN / COMMIT).
    pub no_transaction: bool,
}

/// The files of `m` in `layout`, relative to the migrations directory; `None` for the
/// native and plain layouts (no single-phase form).
pub fn emit(
    layout: Layout,
    dialect: Dialect,
    m: &NewMigration<'_>,
) -> Option<Vec<(PathBuf, String)>> {
    let (v, n) = (m.version, m.name);
    let file = |name: String, text: String| (PathBuf::from(name), text);
    let mut out = Vec::new();
    match layout {
        Layout::Native | Layout::Plain => return None,
        Layout::Sqlx => {
            // sqlx reads `-- no-transaction` on the first line only
            let mark = |t: &str| {
                if m.no_transaction {
                    format!("-- no-transaction\n{t}")
                } else {
                    t.to_owned()
                }
            };
            out.push(file(format!("{v}_{n}.up.sql"), mark(m.up)));
            if let Some(d) = m.down {
                out.push(file(format!("{v}_{n}.down.sql"), mark(d)));
            }
        }
        Layout::GolangMigrate => {
            out.push(file(format!("{v}_{n}.up.sql"), m.up.to_owned()));
            if let Some(d) = m.down {
                out.push(file(format!("{v}_{n}.down.sql"), d.to_owned()));
            }
        }
        Layout::Flyway => {
            // Flyway's marker is a script configuration file beside each script
            let conf = "executeInTransaction=false\n";
            out.push(file(format!("V{v}__{n}.sql"), m.up.to_owned()));
            if m.no_transaction {
                out.push(file(format!("V{v}__{n}.sql.conf"), conf.to_owned()));
            }
            if let Some(d) = m.down {
                out.push(file(format!("U{v}__{n}.sql"), d.to_owned()));
                if m.no_transaction {
                    out.push(file(format!("U{v}__{n}.sql.conf"), conf.to_owned()));
                }
            }
        }
        Layout::Dbmate => {
            let opt = if m.no_transaction {
                " transaction:false"
            } else {
                ""
            };
            let mut text = format!("-- migrate:up{opt}\n{}", m.up);
            if let Some(d) = m.down {
                text.push_str(&format!("\n-- migrate:down{opt}\n{d}"));
            }
            out.push(file(format!("{v}_{n}.sql"), text));
        }
        Layout::Goose => {
            let mut text = String::new();
            if m.no_transaction {
                text.push_str("-- +goose NO TRANSACTION\n");
            }
            text.push_str("-- +goose Up\n");
            text.push_str(&goose_blocks(m.up, dialect));
            if let Some(d) = m.down {
                text.push_str("\n-- +goose Down\n");
                text.push_str(&goose_blocks(d, dialect));
            }
            out.push(file(format!("{v}_{n}.sql"), text));
        }
        Layout::Diesel => {
            out.push(file(format!("{v}_{n}/up.sql"), m.up.to_owned()));
            if let Some(d) = m.down {
                out.push(file(format!("{v}_{n}/down.sql"), d.to_owned()));
            }
            if m.no_transaction {
                out.push(file(
                    format!("{v}_{n}/metadata.toml"),
                    "run_in_transaction = false\n".into(),
                ));
            }
        }
        Layout::Pop => {
            let d = pop_dialect(dialect);
            let auto = if m.no_transaction { ".autocommit" } else { "" };
            out.push(file(format!("{v}_{n}.{d}{auto}.up.sql"), m.up.to_owned()));
            // pop wants a down for every up; without an inverse, one that fails and says why
            let down = m
                .down
                .map_or_else(|| irreversible_down(dialect), str::to_owned);
            out.push(file(format!("{v}_{n}.{d}{auto}.down.sql"), down));
        }
    }
    Some(out)
}

/// Where the backfill of migration `version` goes, relative to the migrations directory.
pub fn backfill_path(layout: Layout, dialect: Dialect, version: &str, name: &str) -> PathBuf {
    PathBuf::from(match layout {
        Layout::Native | Layout::Diesel => format!("{version}_{name}/backfill.toml"),
        Layout::Flyway => format!("V{version}__{name}.backfill.toml"),
        Layout::Pop => format!("{version}_{name}.{}.backfill.toml", pop_dialect(dialect)),
        _ => format!("{version}_{name}.backfill.toml"),
    })
}

/// `<version>_<name>` (Flyway: `V<version>__<name>`) as a migration of `layout` names it.
pub fn parse_stem(layout: Layout, stem: &str) -> Option<(Version, String)> {
    if layout == Layout::Flyway {
        let (v, n) = stem.strip_prefix('V')?.split_once("__")?;
        return (!n.is_empty()).then_some((Version::parse(v)?, n.to_owned()));
    }
    dir_version_name(stem)
}

/// The version right after `after` in its own spelling (its last digit group plus one),
/// free and before every later version in `taken`. Where the tool orders versions as text
/// (dbmate, diesel, pop) it stays as wide as it was (`9` -> `10` would sort first). Flyway
/// can also go one level down (`2` -> `2.1`).
pub fn next_version(layout: Layout, after: &Version, taken: &[Version]) -> Option<String> {
    let fits = |raw: &str| {
        let v = match layout {
            Layout::Diesel => dir_version_name(&format!("{raw}_x")).map(|(v, _)| v),
            _ => Version::parse(raw),
        };
        v.is_some_and(|v| v > *after && !taken.iter().any(|t| *t > *after && *t <= v))
    };
    let raw = &after.raw;
    let digits = raw.len() - raw.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, last) = raw.split_at(raw.len() - digits);
    let bumped = last
        .parse::<u128>()
        .ok()
        .map(|n| format!("{head}{:0width$}", n + 1, width = digits))
        .filter(|b| {
            b.len() == raw.len() || !matches!(layout, Layout::Dbmate | Layout::Diesel | Layout::Pop)
        });
    if let Some(b) = bumped.filter(|b| fits(b)) {
        return Some(b);
    }
    let deeper = format!("{raw}.1");
    (layout == Layout::Flyway && fits(&deeper)).then_some(deeper)
}

/// `n` versions after `after`, each [`next_version`] of the one before it.
pub fn next_versions(
    layout: Layout,
    after: &Version,
    taken: &[Version],
    n: usize,
) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(n);
    let mut last = after.clone();
    for _ in 0..n {
        let raw = next_version(layout, &last, taken)?;
        last = match layout {
            Layout::Diesel => dir_version_name(&format!("{raw}_x"))?.0,
            _ => Version::parse(&raw)?,
        };
        out.push(raw);
    }
    Some(out)
}

/// goose splits at a `;` ending a line: a statement with `;` inside (a function body) goes
/// between `StatementBegin` and `StatementEnd`.
fn goose_blocks(sql: &str, dialect: Dialect) -> String {
    let opts = SplitOptions {
        mysql: dialect == Dialect::Mysql,
        goose: false,
    };
    let mut out = String::new();
    for c in split(sql, opts) {
        let text = &sql[c.range.clone()];
        let Some(stmt) = c.stmt.clone().filter(|s| sql[s.clone()].contains(';')) else {
            out.push_str(text);
            continue;
        };
        let end = c.terminator.as_ref().map_or(stmt.end, |t| t.end);
        out.push_str(&sql[c.range.start..stmt.start]);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("-- +goose StatementBegin\n");
        out.push_str(&sql[stmt.start..end]);
        out.push_str("\n-- +goose StatementEnd");
        out.push_str(&sql[end..c.range.end]);
    }
    out
}

/// A down script for a phase without an automatic inverse, for tools that need one (pop).
fn irreversible_down(dialect: Dialect) -> String {
    let why = "no automatic inverse: write this down script by hand if you need one";
    match dialect {
        Dialect::Postgres => format!(
            "-- {why}\nDO $$ BEGIN RAISE EXCEPTION 'irreversible migration: %', '{why}'; END $$;\n"
        ),
        Dialect::Mysql => format!(
            "-- {why}\nSIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'irreversible migration: {why}';\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn next_versions_keep_width_and_order() {
        let next = |l, after: &str, taken: &[&str]| {
            let taken: Vec<Version> = taken.iter().map(|t| v(t)).collect();
            let after = match l {
                Layout::Diesel => dir_version_name(&format!("{after}_x")).unwrap().0,
                _ => v(after),
            };
            next_version(l, &after, &taken)
        };
        assert_eq!(
            next(Layout::Sqlx, "0002", &["0001", "0002"]),
            Some("0003".into())
        );
        assert_eq!(
            next(Layout::Sqlx, "20240101120000", &[]),
            Some("20240101120001".into())
        );
        // no room between 2 and 3
        assert_eq!(next(Layout::GolangMigrate, "2", &["1", "2", "3"]), None);
        assert_eq!(
            next(Layout::Flyway, "2", &["1", "2", "3"]),
            Some("2.1".into())
        );
        assert_eq!(next(Layout::Flyway, "1.9", &[]), Some("1.10".into()));
        // 9 -> 10 changes the width: fine where versions compare as numbers, not as text
        assert_eq!(next(Layout::Dbmate, "9", &[]), None);
        assert_eq!(next(Layout::Sqlx, "9", &[]), Some("10".into()));
        assert_eq!(
            next(Layout::Diesel, "2024-02-12-120203", &[]),
            Some("2024-02-12-120204".into())
        );
        assert_eq!(
            next(
                Layout::Pop,
                "20240101000000000000",
                &["20240101000000000001"]
            ),
            None
        );
    }

    #[test]
    fn next_versions_chain_and_stop_at_a_taken_one() {
        assert_eq!(
            next_versions(Layout::GolangMigrate, &v("000002"), &[], 3),
            Some(vec!["000003".into(), "000004".into(), "000005".into()])
        );
        let diesel = dir_version_name("2024-02-12-120203_x").unwrap().0;
        assert_eq!(
            next_versions(Layout::Diesel, &diesel, &[], 2),
            Some(vec!["2024-02-12-120204".into(), "2024-02-12-120205".into()])
        );
        // 0004 is another migration's: two versions do not fit between 0002 and it
        assert_eq!(
            next_versions(Layout::Sqlx, &v("0002"), &[v("0004")], 1),
            Some(vec!["0003".into()])
        );
        assert_eq!(
            next_versions(Layout::Sqlx, &v("0002"), &[v("0004")], 2),
            None
        );
    }

    #[test]
    fn emits_each_layout_with_its_tool_markers() {
        let m = NewMigration {
            version: "0003",
            name: "x",
            up: "-- sluice:no-transaction\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;\n",
            down: Some("DROP FUNCTION f();\n"),
            no_transaction: true,
        };
        let files = |l| emit(l, Dialect::Postgres, &m).unwrap();
        let names = |l| {
            files(l)
                .into_iter()
                .map(|(p, _)| p.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Layout::Sqlx), ["0003_x.up.sql", "0003_x.down.sql"]);
        assert!(files(Layout::Sqlx)[0].1.starts_with("-- no-transaction\n"));
        assert_eq!(
            names(Layout::Flyway),
            [
                "V0003__x.sql",
                "V0003__x.sql.conf",
                "U0003__x.sql",
                "U0003__x.sql.conf"
            ]
        );
        assert_eq!(files(Layout::Flyway)[1].1, "executeInTransaction=false\n");
        assert_eq!(
            names(Layout::Diesel),
            ["0003_x/up.sql", "0003_x/down.sql", "0003_x/metadata.toml"]
        );
        assert_eq!(
            names(Layout::Pop),
            [
                "0003_x.postgres.autocommit.up.sql",
                "0003_x.postgres.autocommit.down.sql"
            ]
        );
        let dbmate = &files(Layout::Dbmate)[0].1;
        assert!(dbmate.starts_with("-- migrate:up transaction:false\n"));
        assert!(dbmate.contains("\n-- migrate:down transaction:false\nDROP FUNCTION"));
        let goose = &files(Layout::Goose)[0].1;
        assert!(
            goose.contains("-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\nSELECT 2;"),
            "{goose}"
        );
        assert!(goose.starts_with("-- +goose NO TRANSACTION\n-- +goose Up\n"));
        assert!(emit(Layout::Native, Dialect::Postgres, &m).is_none());
        // pop needs a down: one that refuses
        let m = NewMigration { down: None, ..m };
        let pop = emit(Layout::Pop, Dialect::Postgres, &m).unwrap();
        assert!(pop[1].1.contains("RAISE EXCEPTION"));
        assert_eq!(emit(Layout::Sqlx, Dialect::Postgres, &m).unwrap().len(), 1);
        assert_eq!(
            backfill_path(Layout::Pop, Dialect::Mysql, "1", "x"),
            PathBuf::from("1_x.mysql.backfill.toml")
        );
    }
}
