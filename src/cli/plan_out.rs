//! Where `migrate plan --out` writes the plan: a native phased directory, or, into a
//! directory of another layout (sqlx, diesel, golang-migrate, Flyway, dbmate, goose, pop),
//! migrations of that layout, so that the team keeps its history and its tool:
//!
//! - the expand phase replaces the planned migration at its version (`<v>_<name>`),
//!   marked `-- sluice:phase expand`, with the backfill beside it as
//!   `<v>_<name>.backfill.toml` (diesel: `backfill.toml` in its directory);
//! - the contract phase is the next free version right after it (`<v+1>_<name>_contract`),
//!   marked `-- sluice:phase contract`; its soft-dropped objects carry that version, and it
//!   waits for the backfill of the expand before it;
//! - each tool's own "no transaction" marker is set (the scripts hold their own BEGIN /
//!   COMMIT groups): sqlx `-- no-transaction`, dbmate `transaction:false`, goose
//!   `NO TRANSACTION`, diesel `metadata.toml`, pop `.autocommit`;
//! - for a runner that sends a file as one query (PostgreSQL: golang-migrate, and sqlx,
//!   dbmate, diesel and pop for such files), a phase whose `CONCURRENTLY` statement shares
//!   it with others is several migrations ([`crate::plan::Plan::phase_parts`]) at the
//!   versions after it: `<v+1>_<name>_expand_2`, ..., then the contract's; the backfill goes
//!   beside the expand's last one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::lint::settings::Runner;
use crate::plan::{Plan, PlanPhase};
use crate::source::layout::emit::{self, NewMigration};
use crate::source::{self, Layout, LayoutChoice, Migration, Version};
use crate::sql::Dialect;

use super::canon::canon;

/// Where the plan goes.
pub(super) enum Target {
    /// A phased directory of its own (created; empty unless --force).
    Native(PathBuf),
    /// Migrations of the layout of an existing directory.
    Foreign(Foreign),
}

pub(super) struct Foreign {
    dir: PathBuf,
    layout: Layout,
    /// `--out DIR/<version>_<name>`: the version and name given.
    named: Option<(Version, String)>,
    existing: Vec<Migration>,
}

/// The migrations a plan becomes in a foreign layout.
pub(super) struct Placement {
    pub(super) dir: PathBuf,
    pub(super) layout: Layout,
    /// The version of the expand migration (the planned one's).
    pub(super) version: String,
    name: String,
    /// The version of the contract migration (soft-dropped objects are named after it), were
    /// each phase one migration; [`Placement::arrange`] gives the versions of a split plan.
    pub(super) contract_version: String,
    version_key: Version,
    /// The versions of the directory's other migrations.
    taken: Vec<Version>,
    /// The planned migration's own files in the directory: the plan replaces them.
    replaced: Vec<PathBuf>,
}

/// A plan laid out as migrations of the layout.
pub(super) struct Arranged {
    /// (path relative to the directory, text).
    pub(super) files: Vec<(String, String)>,
    /// The versions of the expand's migrations, then the contract's.
    pub(super) expand: Vec<String>,
    pub(super) contract: Vec<String>,
}

impl Arranged {
    /// The version soft-dropped objects carry: the contract's last migration (`migrate
    /// purge` drops them once it is applied).
    pub(super) fn soft_drop_version(&self) -> Option<&str> {
        self.contract.last().map(String::as_str)
    }
}

/// `--out PATH`: PATH itself, or PATH's parent, is a migrations directory of a layout other
/// than the native one (it holds migrations, or is the configured `migrations.dir`).
pub(super) fn target(
    out: &Path,
    choice: LayoutChoice,
    dialect: Dialect,
    migrations_dir: &Path,
) -> Target {
    let foreign = |dir: &Path| {
        if !dir.is_dir() {
            return None;
        }
        let d = source::discover_for(dir, choice, dialect).ok()?;
        let holds = !d.migrations.is_empty() || canon(dir) == canon(migrations_dir);
        (holds && !matches!(d.layout, Layout::Native | Layout::Plain)).then_some(d)
    };
    if let Some(d) = foreign(out) {
        return Target::Foreign(Foreign {
            dir: out.to_owned(),
            layout: d.layout,
            named: None,
            existing: d.migrations,
        });
    }
    let parent = match out.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => return Target::Native(out.to_owned()),
    };
    // `DIR/<version>_<name>`: new, or the planned migration's own directory (diesel)
    let Some(d) = foreign(parent) else {
        return Target::Native(out.to_owned());
    };
    let stem = out.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let stem = [".up.sql", ".down.sql", ".sql"]
        .iter()
        .find_map(|s| stem.strip_suffix(s))
        .unwrap_or(stem);
    let Some(named) = emit::parse_stem(d.layout, stem) else {
        // not a migration's name: a phased directory to look at, as before
        eprintln!(
            "warning: {}: written as a native phased directory inside {}, a {} migrations directory, where `migrate apply` would see two layouts; name it --out {}/<version>_<name> to get {} migrations instead",
            out.display(),
            parent.display(),
            d.layout.name(),
            parent.display(),
            d.layout.name(),
        );
        return Target::Native(out.to_owned());
    };
    Target::Foreign(Foreign {
        dir: parent.to_owned(),
        layout: d.layout,
        named: Some(named),
        existing: d.migrations,
    })
}

impl Foreign {
    /// Versions and names for the planned migration `naive`.
    pub(super) fn place(self, naive: &Migration, dialect: Dialect) -> anyhow::Result<Placement> {
        let naive_files: BTreeSet<PathBuf> =
            naive.scripts.iter().map(|s| canon(&s.file.path)).collect();
        let own = self.existing.iter().find(|m| {
            m.scripts
                .iter()
                .any(|s| naive_files.contains(&canon(&s.file.path)))
        });
        let (version, name) = match (&self.named, own) {
            (Some((v, _)), Some(o)) if *v != o.version => bail!(
                "{}: is migration {} of {}, but --out names version {v}: plan it at its own version (--out {}), or move the file out of the directory first",
                naive.origin.display(),
                o.version,
                self.dir.display(),
                self.dir.display()
            ),
            (Some((v, n)), _) => (v.clone(), n.clone()),
            (None, Some(o)) => (o.version.clone(), o.name.clone()),
            (None, None) => (naive.version.clone(), naive.name.clone()),
        };
        if version.raw == "0" {
            bail!(
                "{}: the planned migration has no version; name it in --out ({}/<version>_<name>)",
                naive.origin.display(),
                self.dir.display()
            );
        }
        let is_own = |m: &Migration| own.is_some_and(|o| std::ptr::eq(o, m));
        if let Some(other) = self
            .existing
            .iter()
            .find(|m| m.version == version && !is_own(m))
        {
            bail!(
                "{}: version {version} is taken by {}; choose another version in --out",
                self.dir.display(),
                other.origin.display()
            );
        }
        let taken: Vec<Version> = self
            .existing
            .iter()
            .filter(|m| !is_own(m))
            .map(|m| m.version.clone())
            .collect();
        let Some(contract_version) = emit::next_version(self.layout, &version, &taken) else {
            let next = taken
                .iter()
                .filter(|t| **t > version)
                .min()
                .map_or_else(|| "none".to_owned(), |t| t.raw.clone());
            bail!(
                "{}: no free {} version right after {version} for the contract migration (the next migration is {next}); plan a migration with room after its version",
                self.dir.display(),
                self.layout.name()
            );
        };
        // pop: only the target dialect's files are replaced (the generic ones serve the
        // other dialects)
        let pop_part = format!(".{}.", source::layout::pop_dialect(dialect));
        let replaced = own
            .map(|o| {
                // diesel: the migration's directory holds its metadata.toml too
                let metadata = Some(o.origin.join("metadata.toml"))
                    .filter(|p| self.layout == Layout::Diesel && p.is_file());
                o.scripts
                    .iter()
                    .map(|s| s.file.path.clone())
                    .chain(o.backfill.clone())
                    .chain(metadata)
                    .filter(|p| {
                        self.layout != Layout::Pop
                            || p.file_name()
                                .and_then(|n| n.to_str())
                                .is_some_and(|n| n.contains(&pop_part))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Placement {
            dir: self.dir,
            layout: self.layout,
            version: version.raw.clone(),
            name,
            contract_version,
            version_key: version,
            taken,
            replaced,
        })
    }
}

impl Placement {
    /// The runner that will apply the migrations: the layout's tool unless the config names
    /// Sluice's. `None` for Sluice's (it sends statements one at a time).
    pub(super) fn runner(&self, configured: Runner) -> Option<Runner> {
        Some(configured.effective(self.layout)).filter(|r| *r != Runner::Sluice)
    }

    /// The plan's migrations in this layout: the expand at the planned version (with the
    /// backfill beside its last part), the contract right after it; a phase split for a
    /// runner that sends a file as one query takes the versions after it.
    pub(super) fn arrange(&self, plan: &Plan, dialect: Dialect) -> anyhow::Result<Arranged> {
        let parts = plan.phase_parts(dialect)?;
        let count = |phase| parts.iter().filter(|p| p.phase == phase).count();
        let (n_expand, n_contract) = (count(PlanPhase::Expand), count(PlanPhase::Contract));
        let backfill = plan.backfill_file();
        // an expand with nothing to add still holds the backfill's place; in pop's layout it
        // also holds the dialect's place: the naive file may be one of every dialect, which
        // only a `.postgres.` file of its version replaces (kratos'
        // `add_flow_type_check_constraint`: its CHECK went to the contract, and the naive
        // file left in place added it first)
        let hold = backfill.is_some() || self.layout == Layout::Pop;
        let expand_migrations = n_expand.max(usize::from(hold));
        let after = expand_migrations.saturating_sub(1) + n_contract;
        let key = &self.version_key;
        let Some(mut next) = emit::next_versions(self.layout, key, &self.taken, after) else {
            let later = self
                .taken
                .iter()
                .filter(|t| *t > key)
                .min()
                .map_or_else(|| "none".to_owned(), |t| t.raw.clone());
            bail!(
                "{}: the plan needs {} migrations after version {} ({n_expand} for the expand, {n_contract} for the contract), but the next migration is {later}; plan a migration with room after its version",
                self.dir.display(),
                after,
                self.version,
            );
        };
        let contract: Vec<String> = next.split_off(expand_migrations.saturating_sub(1));
        let expand: Vec<String> = std::iter::once(self.version.clone())
            .chain(next)
            .take(expand_migrations)
            .collect();
        let mut out = Vec::new();
        let mut add = |version: &str, name: &str, up: &str, down: Option<&str>| {
            let m = NewMigration {
                version,
                name,
                up,
                down,
                no_transaction: true,
            };
            let files = emit::emit(self.layout, dialect, &m).unwrap_or_default();
            out.extend(files.into_iter().map(|(p, t)| (p.display().to_string(), t)));
        };
        let name_of = |phase: PlanPhase, k: usize| match (phase, k) {
            (PlanPhase::Expand, 1) => self.name.clone(),
            (PlanPhase::Expand, k) => format!("{}_expand_{k}", self.name),
            (_, 1) => format!("{}_contract", self.name),
            (_, k) => format!("{}_contract_{k}", self.name),
        };
        if n_expand == 0 && hold {
            let empty = format!(
                "-- expand of {}_{}: nothing to add{}\n-- sluice:phase expand\n",
                self.version,
                self.name,
                if backfill.is_some() {
                    "; the backfill runs after it"
                } else {
                    "; it stands for the naive migration (every phase is in the contract)"
                }
            );
            // nothing to undo, as a native plan has no expand file to roll back (a
            // backfill's rows stay as it wrote them)
            let undo = format!(
                "-- undoes the expand of {}_{}: it adds nothing\n-- sluice:phase expand\n",
                self.version, self.name
            );
            add(&expand[0], &self.name, &empty, Some(&undo));
        }
        for p in &parts {
            let version = match p.phase {
                PlanPhase::Expand => &expand[p.part - 1],
                _ => &contract[p.part - 1],
            };
            add(version, &name_of(p.phase, p.part), &p.up, p.down.as_deref());
        }
        if let (Some(b), Some(last)) = (backfill, expand.last()) {
            let name = name_of(PlanPhase::Expand, expand.len());
            let p = emit::backfill_path(self.layout, dialect, last, &name);
            out.push((p.display().to_string(), b));
        }
        Ok(Arranged {
            files: out,
            expand,
            contract,
        })
    }

    /// Write the files; remove the planned migration's files the plan does not overwrite.
    /// Returns the paths removed.
    pub(super) fn write(
        &self,
        files: &[(String, String)],
        force: bool,
    ) -> anyhow::Result<Vec<PathBuf>> {
        let replaced: BTreeSet<PathBuf> = self.replaced.iter().map(|p| canon(p)).collect();
        for (name, _) in files {
            let p = self.dir.join(name);
            if p.exists() && !force && !replaced.contains(&canon(&p)) {
                bail!(
                    "{}: already exists and is not the planned migration's; choose another version in --out, or pass --force",
                    p.display()
                );
            }
        }
        let written: BTreeSet<PathBuf> = files
            .iter()
            .map(|(n, _)| canon(&self.dir.join(n)))
            .collect();
        let mut removed = Vec::new();
        for p in &self.replaced {
            if !written.contains(&canon(p)) && p.is_file() {
                std::fs::remove_file(p)
                    .with_context(|| format!("{}: cannot remove", p.display()))?;
                removed.push(p.clone());
                // a diesel migration directory left empty goes too
                if self.layout == Layout::Diesel
                    && let Some(d) = p.parent()
                    && std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_none())
                {
                    let _ = std::fs::remove_dir(d);
                }
            }
        }
        for (name, text) in files {
            let p = self.dir.join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("{}: cannot create", parent.display()))?;
            }
            std::fs::write(&p, text).with_context(|| format!("{}: cannot write", p.display()))?;
        }
        Ok(removed)
    }
}

pub(super) const PLAN_FILES: [&str; 5] = [
    "expand.up.sql",
    "expand.down.sql",
    "backfill.toml",
    "contract.up.sql",
    "contract.down.sql",
];

pub(super) fn check_out(out: &Path, force: bool) -> anyhow::Result<()> {
    if out.exists() {
        let busy = std::fs::read_dir(out)
            .with_context(|| format!("{}: cannot read the output directory", out.display()))?
            .next()
            .is_some();
        if busy && !force {
            bail!(
                "{}: the output directory is not empty; choose another --out or pass --force",
                out.display()
            );
        }
    }
    Ok(())
}

pub(super) fn write_out(out: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output directory", out.display()))?;
    // a forced re-plan must not leave a phase file of the previous plan behind
    for stale in PLAN_FILES {
        let p = out.join(stale);
        if p.is_file() && !files.iter().any(|(n, _)| n == stale) {
            std::fs::remove_file(&p).with_context(|| format!("{}: cannot remove", p.display()))?;
        }
    }
    for (name, text) in files {
        let p = out.join(name);
        std::fs::write(&p, text).with_context(|| format!("{}: cannot write", p.display()))?;
    }
    Ok(())
}
