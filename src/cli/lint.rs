//! `migrate lint [PATHS..]`.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::config;
use crate::lint::report::{self, Format, RenderOptions};
use crate::lint::settings::Runner;
use crate::lint::{self as linter, Severity};
use crate::source::{self, Layout, LayoutChoice, Migration};
use crate::sql::Dialect;

use super::exit;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Migration files, directories, or `-` for stdin (default: the configured migrations dir).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Lowest severity that makes the exit code 1 (default from config, else error).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// SQL dialect (default from config, else postgres).
    #[arg(long, value_parser = ["postgres", "mysql", "mariadb"])]
    dialect: Option<String>,
    /// Directory layout (default from config, else auto-detected).
    #[arg(long = "format-layout", value_enum)]
    layout: Option<Layout>,
    /// Whose runner applies the files (decides transaction wrapping).
    #[arg(long, value_enum)]
    runner: Option<Runner>,
    /// File name to report for `-` (stdin).
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    stdin_filename: PathBuf,
}

pub fn run(config_path: Option<&Path>, args: &LintArgs, color: bool) -> anyhow::Result<u8> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let config = config::load(config_path, &cwd)?;
    let mut settings = config.lint.clone();
    match args.dialect.as_deref() {
        Some("postgres") => settings.dialect = Dialect::Postgres,
        Some("mysql") => settings.dialect = Dialect::Mysql,
        Some("mariadb") => {
            settings.dialect = Dialect::Mysql;
            settings.mariadb = true;
        }
        _ => {}
    }
    if let Some(f) = args.fail_on {
        settings.fail_on = match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        };
    }
    if let Some(r) = args.runner {
        settings.runner = r;
    }
    let layout = args
        .layout
        .map_or(config.file.migrations.layout, LayoutChoice::Fixed);

    let paths = if args.paths.is_empty() {
        vec![config.migrations_dir()]
    } else {
        args.paths.clone()
    };
    let mut migrations: Vec<Migration> = Vec::new();
    for path in &paths {
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read SQL from stdin (is it UTF-8?)")?;
            migrations.push(source::load_file(&args.stdin_filename, Some(text))?);
        } else if path.is_dir() {
            let found = source::discover(path, layout)?;
            for w in &found.warnings {
                eprintln!("warning: {}: {}", w.path.display(), w.message);
            }
            tracing::info!(dir = %path.display(), layout = found.layout.name(), migrations = found.migrations.len(), "discovered");
            migrations.extend(found.migrations);
        } else if path.exists() {
            migrations.push(source::load_file(path, None)?);
        } else {
            anyhow::bail!(
                "{}: no such file or directory; pass migration files or directories, or set `migrations.dir` in sluice.toml",
                path.display()
            );
        }
    }

    let report = linter::lint(&settings, &migrations);
    print!(
        "{}",
        report::render(&report, args.format, &RenderOptions { color })
    );
    Ok(if report.fails(settings.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
