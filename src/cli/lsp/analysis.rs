//! One document's analysis, as `migrate lint <file>` would do it: `sluice.toml` found from the
//! file's directory, the document (its unsaved text) is the change, the earlier migrations of
//! its directory are history replayed into the schema, and the same engine reports. Reads
//! files, never a database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{self, Config};
use crate::lint::settings::CodeIndex;
use crate::lint::{self as linter, Diagnostic, LintSettings};
use crate::plan::{Plan, PlanFiles, Refusal};
use crate::source::{self, Layout, Migration};
use crate::sql::Dialect;

use super::super::{code, plan};

/// What the linter said about one document.
#[derive(Debug, Default)]
pub struct Analysis {
    /// The normalised text the byte ranges below point into.
    pub text: String,
    /// This file's findings, sorted by position.
    pub findings: Vec<Diagnostic>,
    /// Why the file could not be linted (a bad `sluice.toml`, a file name the layouts reject).
    pub error: Option<String>,
    pub layout: Option<Layout>,
    pub dialect: Dialect,
    /// The directory relative paths in findings (code references) are resolved against.
    pub base_dir: PathBuf,
}

/// A migration ready to lint or plan.
struct Prepared {
    config: Config,
    settings: LintSettings,
    migration: Migration,
    history: Vec<Migration>,
}

/// Configuration and the application-code index, shared by the documents.
pub struct Workspace {
    /// `migrate --config PATH lsp`: one config for every document.
    config: Option<PathBuf>,
    /// Code under `lint.code_paths`, by (config directory, migrations directory); read once,
    /// dropped when a file is saved.
    code: BTreeMap<(PathBuf, PathBuf), Arc<CodeIndex>>,
}

impl Workspace {
    pub fn new(config: Option<PathBuf>) -> Self {
        Workspace {
            config,
            code: BTreeMap::new(),
        }
    }

    /// A file was saved: it may be application code.
    pub fn saved(&mut self) {
        self.code.clear();
    }

    pub fn analyse(&mut self, path: &Path, raw: &str) -> Analysis {
        let text = source::text::normalize(raw.as_bytes()).unwrap_or_else(|_| raw.to_owned());
        let mut out = Analysis {
            text,
            ..Analysis::default()
        };
        let mut p = match self.prepare(path, raw) {
            Ok(p) => p,
            Err(e) => {
                out.error = Some(format!("{e:#}"));
                return out;
            }
        };
        out.layout = Some(p.migration.layout);
        out.dialect = p.settings.dialect;
        out.base_dir = canon(&p.config.base_dir());
        p.settings.deploy.code = self.code_index(&p.config, path);
        let report = linter::lint_change_set(&p.settings, &p.history, &[p.migration]);
        out.findings = report
            .diagnostics
            .into_iter()
            .filter(|d| d.path == path)
            .collect();
        out
    }

    /// The plan of the document as `migrate plan <file>` makes it.
    pub fn plan(&self, path: &Path, raw: &str) -> anyhow::Result<Planned> {
        let p = self.prepare(path, raw)?;
        let migration = p.migration.clone();
        Ok(
            match plan::plan_migration(
                &p.settings,
                &p.config.file.plan,
                None,
                &p.history,
                p.migration,
            )? {
                Ok((plan, files)) => Planned::Plan {
                    plan: Box::new(plan),
                    files,
                    migration,
                },
                Err(refusals) => Planned::Refused(refusals),
            },
        )
    }

    fn prepare(&self, path: &Path, raw: &str) -> anyhow::Result<Prepared> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let config = config::load(self.config.as_deref(), dir)?;
        let settings = config.lint.clone();
        let migration = source::load_file(path, Some(raw.to_owned()))?;
        let history = if path.is_absolute() && dir.is_dir() {
            let (history, unreadable) = plan::history_of(
                path,
                &migration,
                config.file.migrations.layout,
                settings.dialect,
            );
            for w in unreadable {
                tracing::debug!("{w}; linting without them");
            }
            history
        } else {
            Vec::new()
        };
        Ok(Prepared {
            config,
            settings,
            migration,
            history,
        })
    }

    fn code_index(&mut self, config: &Config, path: &Path) -> Arc<CodeIndex> {
        if config.file.lint.code_paths.is_empty() {
            return Arc::default();
        }
        let base = canon(&config.base_dir());
        let dir = canon(path.parent().unwrap_or(Path::new(".")));
        // a native migration is a directory: the migrations directory is its parent
        let migrations = match path.file_name().and_then(|n| n.to_str()) {
            Some(n) if n.starts_with("expand.") || n.starts_with("contract.") => {
                dir.parent().map_or(dir.clone(), Path::to_path_buf)
            }
            _ => dir,
        };
        let key = (base.clone(), migrations.clone());
        if let Some(index) = self.code.get(&key) {
            return index.clone();
        }
        let scope = code::CodeScope::new(
            &base,
            &config.file.lint.code_paths,
            &config.file.lint.code_ignore,
            &[canon(&config.migrations_dir()), migrations],
        );
        let index = match scope {
            Ok(s) => Arc::new(s.scan()),
            Err(e) => {
                tracing::warn!("{e:#}; application code is not searched");
                Arc::default()
            }
        };
        self.code.insert(key, index.clone());
        index
    }
}

/// The outcome of planning a document.
pub enum Planned {
    Plan {
        plan: Box<Plan>,
        files: PlanFiles,
        /// The naive migration (its layout and files say what the plan replaces).
        migration: Migration,
    },
    Refused(Vec<Refusal>),
}

fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}
