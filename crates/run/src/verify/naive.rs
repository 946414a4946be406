//! `migrate verify --naive FILE`: the change next to the naive migration it was planned from.
//!
//! The round trips prove that each phase runs and rolls back; they do not prove that the
//! phases, together, make what the naive migration makes (an index built on a column the
//! contract then drops passes them). So the scratch database is built twice more, alike:
//! the history and the same generated rows (generation is deterministic), then on one every
//! phase of the change up once, in a deployment's order (every expand, the backfills, every
//! contract), and on the other the naive migration. The two schemas must be equal (column
//! order is a note) and so must the rows, on the tables and columns both have. A column the
//! naive migration filled from a volatile default (`now()`, a sequence, an identity) may
//! hold other values on the phased side, not other NULLs: a note.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::super::snapshot::{self, Diff, Snapshot};
use super::super::{PhaseSel, RunError, Settings};
use super::rows::{self, Checksums};
use super::scratch::ScratchDb;
use super::{Request, StepReport, Verifier, scratch_engine};
use sluice_core::source::{Direction, Migration, Phase, Version};

/// The step's name in the report.
pub const STEP: &str = "same as naive";

/// Function names whose value is not the same on two runs (lower case).
const VOLATILE: &[&str] = &[
    "now()",
    "current_timestamp",
    "current_time",
    "current_date",
    "localtime",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "random(",
    "gen_random_uuid",
    "uuid_generate",
    "uuid()",
    "nextval(",
    "curdate",
    "sysdate",
];

/// One side: its schema before and after its migration, its rows before and after (with
/// --rows), or the failure of its migration.
struct Built {
    before: Snapshot,
    after: Snapshot,
    rows: Option<(Checksums, Checksums)>,
}

type Side = Result<Built, String>;

/// Build both sides and compare them. `Err` is verify's own trouble (the scratch server, the
/// history); the change's or the naive migration's failure is in the step.
pub(super) async fn compare(
    scratch: &mut ScratchDb,
    settings: Settings,
    req: &Request<'_>,
    naive: &Migration,
) -> Result<StepReport, RunError> {
    let (Some(first), Some(last)) = (req.change.first(), req.change.last()) else {
        return Err(RunError::Failed(
            "--naive: no migration in the change to compare with it".into(),
        ));
    };
    if let Some(m) = req
        .migrations
        .iter()
        .find(|m| m.version > *first && m.version < *last && !req.change.contains(&m.version))
    {
        return Err(RunError::Failed(format!(
            "--naive: {} {} lies between the change's migrations but is not one of them; pass the migrations the plan wrote, all of them",
            m.version.raw, m.name
        )));
    }
    let mut step = StepReport::new(STEP.into(), Some(up_path(naive)));
    let dialect = settings.lint.dialect;

    // every expand, the backfills, every contract: what `apply`, the rollout and
    // `apply --phase contract` run
    let change: Vec<&Migration> = req
        .migrations
        .iter()
        .filter(|m| req.change.contains(&m.version))
        .collect();
    let mut steps = vec![(PhaseSel::Expand, "the change's expand")];
    if change.iter().any(|m| m.backfill.is_some()) {
        steps.push((PhaseSel::Backfill, "the change's backfill"));
    }
    if change
        .iter()
        .any(|m| m.script(Phase::Contract, Direction::Up).is_some())
    {
        steps.push((PhaseSel::Contract, "the change's contract"));
    }
    let phased = side(scratch, settings.clone(), req, first, last, &steps).await?;

    let mut migrations: Vec<Migration> = req
        .migrations
        .iter()
        .take_while(|m| m.version < *first)
        .cloned()
        .collect();
    let mut n = naive.clone();
    n.version = first.clone();
    migrations.push(n);
    let naive_req = Request {
        migrations: &migrations,
        change: BTreeSet::from([first.clone()]),
        old_queries: Vec::new(),
        new_queries: Vec::new(),
        rows: req.rows,
        setup: Vec::new(),
        naive: None,
    };
    let reference = side(
        scratch,
        settings,
        &naive_req,
        first,
        first,
        &[(PhaseSel::All, "the naive migration")],
    )
    .await?;

    match (reference, phased) {
        (Err(e), _) => step.error = Some(e),
        (Ok(_), Err(e)) => step.error = Some(e),
        (Ok(want), Ok(got)) => {
            let d = alike_before(
                snapshot::diff(&want.after, &got.after),
                &snapshot::diff(&want.before, &got.before),
            );
            if !d.is_empty() || !d.notes.is_empty() {
                step.diff = Some(d);
            }
            let want_rows = &want.rows;
            let got_rows = &got.rows;
            let want = want.after;
            if let (Some((a0, a)), Some((b0, b))) = (want_rows, got_rows) {
                // rows the history made differently on the two sides (a default of now()
                // the fill left to the server) cannot tell the migrations apart
                let before = rows::unlike(a0, b0);
                let drawn = naive
                    .script(Phase::Expand, Direction::Up)
                    .or_else(|| naive.scripts.iter().find(|s| s.direction == Direction::Up))
                    .map(|s| {
                        super::drawn::drawn(dialect, s.text(), |e| {
                            VOLATILE.iter().any(|f| e.contains(f))
                        })
                    })
                    .unwrap_or_default();
                let (data, notes) = rows::compare_naive(&before, a, b, &|t, c| {
                    volatile(&want, t, c).or_else(|| {
                        let bare = t.rsplit('.').next().unwrap_or(t);
                        drawn
                            .iter()
                            .find(|(dt, dc, _)| dt == bare && dc == c)
                            .map(|(_, _, e)| format!("the migration's own `{e}`"))
                    })
                });
                step.data = data;
                step.data_notes = notes;
            }
        }
    }
    Ok(step)
}

/// The scratch database built again: the history below `first`, the generated rows, then
/// `steps` up to `to`.
async fn side(
    scratch: &mut ScratchDb,
    settings: Settings,
    req: &Request<'_>,
    first: &Version,
    to: &Version,
    steps: &[(PhaseSel, &str)],
) -> Result<Side, RunError> {
    scratch.recreate().await?;
    let engine = scratch_engine(scratch, settings);
    let mut v = Verifier::new(&engine, req);
    let out = v.build(first, to, steps).await;
    v.close().await;
    out
}

impl Verifier<'_, '_> {
    async fn build(
        &mut self,
        first: &Version,
        to: &Version,
        steps: &[(PhaseSel, &str)],
    ) -> Result<Side, RunError> {
        if let Some(prev) = self.history_below(first) {
            self.replay(&prev).await?;
            if self.req.rows > 0 {
                self.fill().await?;
            }
        }
        let before_schema = self.snapshot().await?;
        let before = if self.filled {
            Some(self.checksums(&before_schema).await?)
        } else {
            None
        };
        for (sel, what) in steps {
            if let Err(e) = self.apply(*sel, to).await {
                let on_rows = if self.filled {
                    format!(
                        " (on the history's tables filled with {} generated rows each; --rows 0 verifies without them)",
                        self.req.rows
                    )
                } else {
                    String::new()
                };
                return Ok(Err(format!("{what} failed: {e}{on_rows}")));
            }
        }
        let snap = self.snapshot().await?;
        let rows = match before {
            Some(b) => Some((b, self.checksums(&snap).await?)),
            None => None,
        };
        Ok(Ok(Built {
            before: before_schema,
            after: snap,
            rows,
        }))
    }
}

/// `d` without the objects the history already made differently on the two sides (`history`:
/// their diff before the migrations; lemmy's views hold `'now'::timestamp` as of their
/// creation), each such object a note.
fn alike_before(mut d: Diff, history: &Diff) -> Diff {
    let unlike: BTreeSet<&str> = history
        .differences
        .iter()
        .map(|x| x.object.as_str())
        .collect();
    let (skip, keep): (Vec<_>, Vec<_>) = d
        .differences
        .into_iter()
        .partition(|x| unlike.contains(x.object.as_str()));
    d.differences = keep;
    for x in skip {
        d.notes.push(format!(
            "{}: not compared, the history made it differently on the two sides ({x})",
            x.object
        ));
    }
    d
}

/// The file a report on the naive migration points at: its up script.
fn up_path(m: &Migration) -> PathBuf {
    m.scripts
        .iter()
        .find(|s| s.direction == Direction::Up)
        .map_or_else(|| m.origin.clone(), |s| s.file.path.clone())
}

/// Why `table.column`'s values may differ between two runs (in the naive side's schema): an
/// identity, a default calling a volatile function (a built-in one, or a routine of the
/// schema not declared IMMUTABLE), or a trigger on the table whose function assigns it
/// (`NEW.updated_at := now()`: a backfill's UPDATE fires it, at its own time).
fn volatile(snap: &Snapshot, table: &str, column: &str) -> Option<String> {
    let c = snap.tables.get(table)?.columns.get(column)?;
    if let Some(i) = &c.identity {
        return Some(format!("an identity ({i})"));
    }
    if let Some(d) = c.default.as_deref() {
        let lower = d.to_ascii_lowercase();
        if VOLATILE.iter().any(|f| lower.contains(f))
            || routines(snap).any(|(name, r)| {
                lower.contains(&format!("{name}(")) && !r.definition.contains("IMMUTABLE")
            })
        {
            return Some(format!("its default {d}"));
        }
    }
    let col = column.to_ascii_lowercase();
    let bare = table
        .rsplit('.')
        .next()
        .unwrap_or(table)
        .to_ascii_lowercase();
    snap.triggers.iter().find_map(|(key, t)| {
        let def = t.definition.to_ascii_lowercase();
        let called = def
            .split_once("execute function ")
            .or_else(|| def.split_once("execute procedure "))?
            .1
            .split('(')
            .next()?
            .rsplit('.')
            .next()?
            .trim_matches('"')
            .to_owned();
        let (_, f) = routines(snap).find(|(name, _)| *name == called)?;
        let body = f
            .definition
            .to_ascii_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let sets = |c: &str| body.contains(&format!("{c} =")) || body.contains(&format!("{c}:="));
        // on the table, through NEW; or on another table, by an UPDATE of this one (ente's
        // tokens' trigger moving `collections.updation_time`)
        let own =
            t.table == table && (sets(&format!("new.{col}")) || sets(&format!("new.\"{col}\"")));
        let other = (body.contains(&format!("update {bare} "))
            || body.contains(&format!("update public.{bare} ")))
            && (sets(&col) || sets(&format!("\"{col}\"")));
        (own || other).then(|| {
            format!(
                "trigger {} on {}, which sets it on each write,",
                key.rsplit('.').next().unwrap_or(key),
                t.table
            )
        })
    })
}

/// The schema's routines by their unqualified, lower-case names.
fn routines(snap: &Snapshot) -> impl Iterator<Item = (String, &snapshot::Routine)> {
    snap.routines.iter().filter_map(|(key, r)| {
        let name = key.split('(').next()?.rsplit('.').next()?;
        Some((name.trim_matches('"').to_ascii_lowercase(), r))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Column, Table};

    fn snap(default: Option<&str>, identity: Option<&str>) -> Snapshot {
        let mut t = Table::default();
        t.columns.insert(
            "c".into(),
            Column {
                data_type: "integer".into(),
                default: default.map(str::to_owned),
                identity: identity.map(str::to_owned),
                ..Column::default()
            },
        );
        let mut s = Snapshot::default();
        s.tables.insert("t".into(), t);
        s
    }

    #[test]
    fn routines_and_triggers_that_set_a_column_are_volatile() {
        let mut s = snap(Some("now_utc_micro_seconds()"), None);
        // a routine not declared IMMUTABLE
        s.routines.insert(
            "now_utc_micro_seconds()".into(),
            snapshot::Routine {
                kind: "function".into(),
                definition: "CREATE OR REPLACE FUNCTION public.now_utc_micro_seconds()\n RETURNS bigint\n LANGUAGE sql\nAS $function$ SELECT 1 $function$".into(),
                ..Default::default()
            },
        );
        assert_eq!(
            volatile(&s, "t", "c").as_deref(),
            Some("its default now_utc_micro_seconds()")
        );
        s.routines
            .get_mut("now_utc_micro_seconds()")
            .unwrap()
            .definition
            .push_str(" IMMUTABLE");
        assert_eq!(volatile(&s, "t", "c"), None);
        // a trigger whose function assigns the column
        s.routines.insert(
            "touch()".into(),
            snapshot::Routine {
                kind: "function".into(),
                definition: "CREATE FUNCTION public.touch() RETURNS trigger AS $$ BEGIN NEW.c = now(); RETURN NEW; END $$ LANGUAGE plpgsql".into(),
                ..Default::default()
            },
        );
        s.triggers.insert(
            "t.t_touch".into(),
            snapshot::Trigger {
                table: "t".into(),
                definition: "CREATE TRIGGER t_touch BEFORE UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION touch()".into(),
                enabled: "enabled".into(),
                comment: None,
            },
        );
        assert_eq!(
            volatile(&s, "t", "c").as_deref(),
            Some("trigger t_touch on t, which sets it on each write,")
        );
        // a trigger of another table updating this one
        s.triggers.clear();
        s.routines.insert(
            "bump()".into(),
            snapshot::Routine {
                kind: "function".into(),
                definition: "CREATE FUNCTION public.bump() RETURNS trigger AS $$ BEGIN\n UPDATE t SET c = NEW.x WHERE id = NEW.id; RETURN NEW; END $$".into(),
                ..Default::default()
            },
        );
        s.triggers.insert(
            "u.u_bump".into(),
            snapshot::Trigger {
                table: "u".into(),
                definition: "CREATE TRIGGER u_bump AFTER UPDATE ON public.u FOR EACH ROW EXECUTE PROCEDURE bump()".into(),
                enabled: "enabled".into(),
                comment: None,
            },
        );
        assert!(volatile(&s, "t", "c").is_some_and(|w| w.contains("u_bump on u")));
        assert_eq!(volatile(&s, "t", "other"), None);
    }

    #[test]
    fn what_the_history_made_unlike_is_a_note() {
        use crate::snapshot::{Change, Difference};
        let x = |o: &str| Difference {
            object: o.into(),
            change: Change::Missing,
        };
        let d = Diff {
            differences: vec![x("view v"), x("index i")],
            notes: Vec::new(),
        };
        let history = Diff {
            differences: vec![x("view v")],
            notes: Vec::new(),
        };
        let d = alike_before(d, &history);
        assert_eq!(d.differences, [x("index i")]);
        assert_eq!(d.notes.len(), 1);
        assert!(
            d.notes[0].starts_with("view v: not compared"),
            "{:?}",
            d.notes
        );
    }

    #[test]
    fn volatile_defaults_and_identities_are_named() {
        assert_eq!(
            volatile(&snap(Some("now()"), None), "t", "c").as_deref(),
            Some("its default now()")
        );
        assert!(volatile(&snap(Some("nextval('t_c_seq'::regclass)"), None), "t", "c").is_some());
        assert!(volatile(&snap(Some("CURRENT_TIMESTAMP"), None), "t", "c").is_some());
        assert!(volatile(&snap(None, Some("by default")), "t", "c").is_some());
        assert_eq!(volatile(&snap(Some("0"), None), "t", "c"), None);
        assert_eq!(volatile(&snap(Some("'now'::text"), None), "t", "c"), None);
        assert_eq!(volatile(&snap(None, None), "t", "other"), None);
    }
}
