//! Lint throughput benchmark: files/s, MB/s and peak memory.
//!
//! ```text
//! cargo bench --bench lint                          # 2,000 synthetic migrations
//! cargo bench --bench lint -- --generate 10000      # N synthetic migrations
//! cargo bench --bench lint -- --corpus ../shared/corpora [--dialect pg|mysql]
//! cargo bench --bench lint -- --dir path/to/migrations
//! ```
//! `--corpus` reads the corpus `MANIFEST.tsv` and lints every file of the dialect with it.
//! Each run also times the parser alone on the same statements (split as the linter splits
//! them, each parsed by sqlparser, one thread): the floor under any linter built on it.

// a benchmark binary: printing its figures is its job
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use sluice::lint::{LintSettings, lint};
use sluice::source::{self, LayoutChoice, Migration, split};
use sluice::sql::Dialect;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let dialect = match opt("--dialect").as_deref() {
        Some("mysql") => Dialect::Mysql,
        _ => Dialect::Postgres,
    };
    let (label, migrations) = if let Some(corpus) = opt("--corpus") {
        (
            format!("corpus {corpus} ({})", dialect.name()),
            corpus_files(Path::new(&corpus), dialect),
        )
    } else if let Some(dir) = opt("--dir") {
        let found = source::discover(Path::new(&dir), LayoutChoice::Auto).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
        (format!("directory {dir}"), found.migrations)
    } else {
        let n: usize = opt("--generate")
            .and_then(|n| n.parse().ok())
            .unwrap_or(2000);
        (format!("{n} synthetic migrations"), synthetic(n))
    };
    let bytes: usize = migrations
        .iter()
        .flat_map(|m| &m.scripts)
        .map(|s| s.range.len())
        .sum();
    let settings = LintSettings {
        dialect,
        ..LintSettings::default()
    };
    // warm-up pass, then the measured ones
    let _ = lint(&settings, &migrations[..migrations.len().min(50)]);
    let runs = 3;
    let mut best = f64::MAX;
    let mut report = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = lint(&settings, &migrations);
        best = best.min(t.elapsed().as_secs_f64());
        report = Some(r);
    }
    let report = report.expect("runs > 0");
    let mut parse_best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        parse_only(dialect, &migrations);
        parse_best = parse_best.min(t.elapsed().as_secs_f64());
    }
    let s = report.stats;
    println!("lint benchmark: {label}");
    println!(
        "  files {}  scripts {}  statements {}  ({} parsed, {} unparsed, {} syntax errors)  findings {}",
        s.files,
        s.scripts,
        s.statements,
        s.parsed,
        s.unparsed,
        s.syntax_errors,
        report.diagnostics.len()
    );
    println!(
        "  best of {runs}: {:.3} s  ->  {:.0} files/s, {:.2} MB/s, {:.0} statements/s",
        best,
        s.files as f64 / best,
        bytes as f64 / 1e6 / best,
        s.statements as f64 / best
    );
    println!(
        "  the parser alone (split, then sqlparser on each statement, one thread): {:.3} s, {:.0}% of the lint",
        parse_best,
        parse_best / best * 100.0
    );
    println!(
        "  peak memory (VmHWM): {}",
        peak_memory().unwrap_or_else(|| "n/a".into())
    );
}

/// Every statement of every script split as the linter splits it and parsed by sqlparser,
/// its trees dropped.
fn parse_only(dialect: Dialect, migrations: &[Migration]) {
    let opts = split::SplitOptions::new(dialect, false);
    for s in migrations.iter().flat_map(|m| &m.scripts) {
        let text = &s.file.text[s.range.clone()];
        for chunk in split::split(text, opts) {
            if let (Some(r), None) = (chunk.stmt, &chunk.error) {
                std::hint::black_box(sluice::sql::parse(dialect, &text[r]).is_ok());
            }
        }
    }
}

fn corpus_files(root: &Path, dialect: Dialect) -> Vec<Migration> {
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap_or_else(|e| {
        eprintln!("error: {}: {e}", root.join("MANIFEST.tsv").display());
        std::process::exit(2)
    });
    let want = match dialect {
        Dialect::Postgres => "pg",
        Dialect::Mysql => "mysql",
    };
    manifest
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 5 && f[1] == want).then(|| root.join(f[4]))
        })
        .filter_map(|p: PathBuf| {
            let mut m = source::load_file(&p, None).ok()?;
            // load_file brings the sibling up/down along; lint each manifest file once
            m.scripts.retain(|s| s.file.path == p);
            Some(m)
        })
        .collect()
}

fn synthetic(n: usize) -> Vec<Migration> {
    (0..n)
        .map(|i| {
            let sql = format!(
                "-- migration {i}: a realistic mix\n\
                 CREATE TABLE t{i} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  owner_id bigint NOT NULL REFERENCES users (id),\n  name text NOT NULL,\n  note varchar(200),\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n\
                 CREATE INDEX CONCURRENTLY IF NOT EXISTS t{i}_owner_idx ON t{i} (owner_id);\n\
                 ALTER TABLE accounts ADD COLUMN c{i} integer;\n\
                 ALTER TABLE accounts ADD CONSTRAINT c{i}_positive CHECK (c{i} > 0) NOT VALID;\n\
                 CREATE OR REPLACE FUNCTION f{i}() RETURNS trigger AS $$\nBEGIN\n  NEW.note := 'it''s; fine';\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n\
                 UPDATE accounts SET c{i} = 1 WHERE id BETWEEN {i} AND {};\n\
                 COMMENT ON TABLE t{i} IS 'synthetic table {i}';\n",
                i + 1000
            );
            source::load_file(Path::new(&format!("{i:05}_synthetic.sql")), Some(sql))
                .expect("in-memory source")
        })
        .collect()
}

fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_owned())
}
