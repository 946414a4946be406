//! `migrate baseline`, `repair` and `rollout complete`: the ledger, changed under the lock.

use super::super::backfill;
use super::super::ledger::{self, State};
use super::super::plan::{prepare, row_map, script_checksum};
use super::super::{Housekeeping, RunError};
use super::{Engine, Session};
use sluice_core::source::{Direction, Migration, Script, Version};

impl Engine {
    /// Mark every migration phase up to `version` applied without running it.
    pub async fn baseline(
        &self,
        migrations: &[Migration],
        version: &Version,
    ) -> Result<Housekeeping, RunError> {
        if !migrations.iter().any(|m| m.version == *version) {
            return Err(RunError::Input(format!(
                "no migration has version {version}; `migrate status` lists them"
            )));
        }
        {
            let mut s = self.locked().await?;
            let main = s.main.as_mut();
            let out: Result<_, RunError> = async {
                let (_, rows, _) = self.read_ledger(main).await?;
                let fills = self.read_backfills(main).await?.unwrap_or_default();
                let by_key = row_map(&rows)?;
                let mut out = Housekeeping::default();
                for m in migrations.iter().filter(|m| m.version <= *version) {
                    for s in m.scripts.iter().filter(|s| s.direction == Direction::Up) {
                        if by_key
                            .get(&(m.version.clone(), s.phase))
                            .is_some_and(|r| r.state == State::Applied)
                        {
                            continue;
                        }
                        let p = prepare(self.url.dialect(), m, s)?;
                        let row = self.new_row(&p, State::Applied, p.statements.len(), None);
                        self.write_row(main, &row).await.map_err(RunError::db)?;
                        main.exec(&self.ledger.finish_sql(
                            &p.version,
                            p.phase,
                            p.statements.len(),
                            0,
                        ))
                        .await
                        .map_err(RunError::db)?;
                        out.changes.push(format!("{} marked applied", p.label()));
                    }
                    // a baselined migration's data is already there: its backfill too
                    if let Some(l) = backfill::load(m)? {
                        if fills
                            .iter()
                            .any(|r| r.version == m.version.raw && r.state == State::Applied)
                        {
                            continue;
                        }
                        let mut sql = self.ledger.start_backfill_sql(
                            &m.version.raw,
                            &m.name,
                            &l.checksum,
                            l.fills[0].batch_size,
                            &self.settings.applied_by,
                        );
                        sql.push(self.ledger.finish_backfill_sql(&m.version.raw, 0, 0));
                        for q in sql {
                            main.exec(&q).await.map_err(RunError::db)?;
                        }
                        out.changes.push(format!(
                            "{} {} (backfill) marked applied",
                            m.version, m.name
                        ));
                    }
                }
                let detail = format!(
                    "baseline at {version}: {} migration phase(s) marked applied without running",
                    out.changes.len()
                );
                self.event(
                    main,
                    ledger::EVENT_BASELINE,
                    Some(&version.raw),
                    None,
                    None,
                    &detail,
                )
                .await?;
                Ok(out)
            }
            .await;
            self.close(s, out).await.0
        }
    }

    /// Accept edited checksums of applied migrations and clear failed states.
    pub async fn repair(
        &self,
        migrations: &[Migration],
        version: Option<&Version>,
    ) -> Result<Housekeeping, RunError> {
        {
            let mut s = self.locked().await?;
            let main = s.main.as_mut();
            let out: Result<_, RunError> = async {
            let (_, rows, _) = self.read_ledger(main).await?;
            let by_key = row_map(&rows)?;
            let mut out = Housekeeping::default();
            for m in migrations
                .iter()
                .filter(|m| version.is_none_or(|v| m.version == *v))
            {
                for s in m.scripts.iter().filter(|s| s.direction == Direction::Up) {
                    let Some(row) = by_key.get(&(m.version.clone(), s.phase)) else {
                        continue;
                    };
                    let sum = script_checksum(s);
                    let label = format!("{} {} ({})", m.version, m.name, s.phase.name());
                    let detail = match row.state {
                        State::Applied if row.checksum != sum => {
                            let down = m.script(s.phase, Direction::Down).map(Script::text);
                            main.exec(&self.ledger.accept_checksum_sql(&row.version, s.phase, &sum, down))
                                .await
                                .map_err(RunError::db)?;
                            format!(
                                "{label}: accepted the edited file {}: checksum {} (was {})",
                                s.file.path.display(),
                                sum,
                                row.checksum
                            )
                        }
                        State::Failed | State::Running => {
                            main.exec(&self.ledger.delete_row_sql(&row.version, s.phase))
                                .await
                                .map_err(RunError::db)?;
                            format!(
                                "{label}: cleared the {} state ({} of {} statements had run); the next apply runs it from the start",
                                row.state.name(),
                                row.statements_done,
                                row.statements_total
                            )
                        }
                        _ => continue,
                    };
                    self.event(main, ledger::EVENT_REPAIR, Some(&row.version), Some(s.phase), None, &detail)
                        .await?;
                    out.changes.push(detail);
                }
            }
            Ok(out)
        }
            .await;
            self.close(s, out).await.0
        }
    }

    /// Record a completed rollout (the `recorded` gate).
    pub async fn rollout_complete(&self, release: &str, source: &str) -> Result<(), RunError> {
        let mut conn = self.connect().await?;
        let exists = conn
            .ledger_exists(&self.ledger)
            .await
            .map_err(RunError::db)?;
        let r = if exists {
            self.event_from(
                conn.as_mut(),
                ledger::EVENT_ROLLOUT,
                None,
                None,
                Some(release),
                "rollout completed",
                source,
            )
            .await
        } else {
            {
                let mut s = self.locked().await?;
                let main = s.main.as_mut();
                let out: Result<_, RunError> = async {
                    self.event_from(
                        main,
                        ledger::EVENT_ROLLOUT,
                        None,
                        None,
                        Some(release),
                        "rollout completed",
                        source,
                    )
                    .await
                }
                .await;
                self.close(s, out).await.0
            }
        };
        let _ = conn.close().await;
        r
    }

    /// The lock taken and the ledger created when missing: a housekeeping session.
    pub(crate) async fn locked(&self) -> Result<Session, RunError> {
        self.open(false, true).await.map(|(_, s)| s)
    }
}
