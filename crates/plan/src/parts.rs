//! A plan written for a runner that sends a file as one query (golang-migrate, and sqlx,
//! dbmate, diesel and pop for a file marked to run outside a transaction): PostgreSQL runs
//! such a query as one transaction block, where `CREATE INDEX CONCURRENTLY` (and the other
//! statements it refuses in a transaction) fail. A phase holding one next to other
//! statements becomes several migrations: each such step alone in one, the steps between
//! them together in another, in step order.

use sluice_core::source::{Direction, Layout, Migration, Version};
use sluice_core::sql::{self, Dialect, classify, tokscan};
use sluice_lint::settings::Runner;

use crate::render::Renderer;
use crate::{Plan, PlanError, PlanPhase, Step};

/// One migration of a phase: the whole phase, or one part of a split one.
#[derive(Debug, Clone)]
pub struct PhasePart {
    pub phase: PlanPhase,
    /// 1-based; `parts` is how many the phase has.
    pub part: usize,
    pub parts: usize,
    pub up: String,
    /// `None`: a step has no automatic inverse (the up script says so).
    pub down: Option<String>,
}

impl PhasePart {
    /// The part's name in messages: `expand.up.sql`, `expand-2.up.sql`, ...
    pub fn file_name(&self, up: bool) -> String {
        let dir = if up { "up" } else { "down" };
        match self.part {
            1 => format!("{}.{dir}.sql", self.phase.name()),
            k => format!("{}-{k}.{dir}.sql", self.phase.name()),
        }
    }
}

/// Does the runner's way of sending a file make a phase split? PostgreSQL only: MySQL has no
/// statement that refuses a transaction.
pub(crate) fn splits(runner: Option<Runner>, dialect: Dialect) -> bool {
    dialect == Dialect::Postgres && runner.is_some_and(Runner::sends_file_as_one_query)
}

/// Must `sql` (PostgreSQL) be the only statement of its query? An unparsable statement is
/// judged by the token scan the linter uses.
pub(crate) fn needs_own_query(sql: &str) -> bool {
    let ops = match sql::parse(Dialect::Postgres, sql) {
        Ok(asts) => asts
            .iter()
            .flat_map(|a| classify::classify(Dialect::Postgres, a))
            .collect(),
        Err(_) => tokscan::scan(Dialect::Postgres, sql),
    };
    ops.iter()
        .any(sluice_core::sql::ops::Operation::needs_no_transaction)
}

/// The phase's steps in runs: a step that must be alone in its query (up or down) on its
/// own, the others together.
fn chunks<'s>(steps: &[&'s Step]) -> Vec<Vec<&'s Step>> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    for s in steps {
        let alone = needs_own_query(&s.up) || s.down.as_deref().is_some_and(needs_own_query);
        if alone {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            out.push(vec![*s]);
        } else {
            run.push(*s);
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

impl Plan {
    /// The plan as migrations of a single-phase layout: each phase one migration whose
    /// scripts say their phase (`-- sluice:phase expand|contract`), or, for a runner that
    /// sends a file as one query ([`crate::PlanOptions::runner`]), several where a
    /// `CONCURRENTLY` statement shares the phase with others. The backfill is
    /// [`Plan::backfill_file`].
    pub fn phase_parts(&self, renderer_dialect: Dialect) -> Result<Vec<PhasePart>, PlanError> {
        let r = Renderer::of(renderer_dialect);
        let mut out = Vec::new();
        for phase in [PlanPhase::Expand, PlanPhase::Contract] {
            let steps: Vec<&Step> = self.steps.iter().filter(|s| s.phase == phase).collect();
            if steps.iter().all(|s| s.up.trim().is_empty()) {
                continue;
            }
            let runs = if splits(self.runner, self.dialect) {
                chunks(&steps)
            } else {
                vec![steps]
            };
            let n = runs.len();
            for (i, run) in runs.iter().enumerate() {
                let part = (n > 1).then_some((i + 1, n));
                let (up, down) = self.render_part(r, renderer_dialect, phase, run, true, part)?;
                out.push(PhasePart {
                    phase,
                    part: i + 1,
                    parts: n,
                    up,
                    down,
                });
            }
        }
        Ok(out)
    }

    /// `backfill.toml`'s text, when the plan has a backfill.
    pub fn backfill_file(&self) -> Option<String> {
        (!self.backfill.is_empty()).then(|| self.backfill_toml(&self.backfill))
    }

    /// The parts as the migrations the self-check lints, one after the other.
    pub(crate) fn part_migrations(&self, parts: &[PhasePart]) -> Vec<Migration> {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let dir = std::path::PathBuf::from(format!("{}_{}", self.version, self.name));
                let script = |direction: Direction, text: &str| {
                    let up = direction == Direction::Up;
                    crate::phase_script(dir.join(p.file_name(up)), text, p.phase, direction)
                };
                let mut scripts = vec![script(Direction::Up, &p.up)];
                scripts.extend(p.down.as_deref().map(|d| script(Direction::Down, d)));
                let mut version_parts = self.version_key.parts.clone();
                version_parts.push(i as u128 + 1);
                Migration {
                    version: Version {
                        raw: format!("{}.{}", self.version, i + 1),
                        parts: version_parts,
                    },
                    name: self.name.clone(),
                    layout: Layout::Native,
                    origin: dir,
                    scripts,
                    backfill: None,
                }
            })
            .collect()
    }
}
