//! One run of one change in one mode, the repeats, and the backfill comparison.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, Row};

use crate::changes::{self, Change};
use crate::db::{LOAD_APP, Server};
use crate::load::{Load, Rollout};
use crate::report::{
    self, BackfillMode, BackfillResult, BackfillRun, BackfillSummary, ChangeResult, ModeResult,
    Params, Results, RunResult, Step, Summary,
};
use crate::{Args, Mode, Scale};

/// Version of the migration every run starts from (baselined, never applied).
const INIT_VERSION: &str = "20260101000000";
/// Version of the change under test.
const CHANGE_VERSION: &str = "20260102000000";
const RELEASE: &str = "zdt-bench";

struct Timing {
    warmup: Duration,
    /// How long old and new code run side by side (and, for naive, old code on the new schema).
    rollout: Duration,
    cooldown: Duration,
}

impl Timing {
    fn of(scale: Scale) -> Timing {
        match scale {
            Scale::Small => Timing {
                warmup: Duration::from_millis(200),
                rollout: Duration::from_millis(500),
                cooldown: Duration::from_millis(100),
            },
            Scale::Normal => Timing {
                warmup: Duration::from_secs(3),
                rollout: Duration::from_secs(2),
                cooldown: Duration::from_secs(3),
            },
        }
    }
}

struct Ctx<'a> {
    args: &'a Args,
    migrate: &'a Path,
    server: Server,
    template: String,
    timing: Timing,
    work: PathBuf,
}

pub async fn run_all(args: &Args, migrate: &Path) -> anyhow::Result<Results> {
    let server = Server::new(&args.database_url)?;
    let server_version = server.version().await?;
    eprintln!("loading {} rows into a template database", args.rows);
    let template = server.create_template(args.rows).await?;
    let work = std::env::temp_dir().join(Server::fresh_name("work"));
    let ctx = Ctx {
        args,
        migrate,
        server,
        template,
        timing: Timing::of(args.duration_scale),
        work,
    };
    let r = all(&ctx, server_version).await;
    if let Err(e) = ctx.server.drop_db(&ctx.template).await {
        eprintln!("warning: cannot drop {}: {e:#}", ctx.template);
    }
    std::fs::remove_dir_all(&ctx.work).ok();
    r
}

async fn all(ctx: &Ctx<'_>, server_version: String) -> anyhow::Result<Results> {
    let args = ctx.args;
    let mut out = Results {
        version: 1,
        params: Params {
            rows: args.rows,
            clients: args.clients,
            rate: args.rate,
            repeat: args.repeat,
            duration_scale: args.duration_scale,
            mode: args.mode,
            backfill_batch_time: args.backfill_batch_time.clone(),
            server_version,
        },
        changes: Vec::new(),
        backfill: None,
    };
    if matches!(args.mode, Mode::Changes | Mode::All) {
        let list: Vec<Change> = if args.changes.is_empty() {
            changes::ALL.to_vec()
        } else {
            changes::ALL
                .into_iter()
                .filter(|c| args.changes.contains(c))
                .collect()
        };
        for change in list {
            let mut modes = BTreeMap::new();
            for sluice in [false, true] {
                let mode = if sluice { "sluice" } else { "naive" };
                let mut runs = Vec::new();
                for i in 0..args.repeat {
                    eprintln!("{} {mode} run {}/{}", change.name(), i + 1, args.repeat);
                    let r = change_run(ctx, change, sluice).await?;
                    if let Some(e) = &r.error {
                        eprintln!("  run failed: {e}");
                    }
                    runs.push(r);
                }
                modes.insert(
                    mode.to_owned(),
                    ModeResult {
                        summary: Summary::of(&runs),
                        runs,
                    },
                );
            }
            out.changes.push(ChangeResult {
                change: change.name().to_owned(),
                naive_sql: change.naive_sql().to_owned(),
                sluice_sql: change.sluice_sql().to_owned(),
                modes,
            });
        }
    }
    if matches!(args.mode, Mode::Backfill | Mode::All) {
        out.backfill = Some(backfill(ctx).await?);
    }
    Ok(out)
}

/// A `migrate` call's outcome.
struct Called {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Called {
    fn describe(&self, what: &str) -> String {
        format!(
            "`migrate {what}` exited {}: {}{}",
            self.code,
            self.stdout.trim(),
            if self.stderr.trim().is_empty() {
                String::new()
            } else {
                format!(" / {}", self.stderr.trim())
            }
        )
    }
}

async fn call_migrate(
    ctx: &Ctx<'_>,
    db_url: &str,
    cwd: &Path,
    args: &[&str],
) -> anyhow::Result<Called> {
    let mut cmd = std::process::Command::new(ctx.migrate);
    cmd.current_dir(cwd)
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("NO_COLOR", "1")
        .env_remove("SLUICE_LOG");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .with_context(|| format!("cannot run {}", ctx.migrate.display()))?;
    Ok(Called {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Samples the longest open transaction of anyone but the load and this monitor: the
/// migration's (a naive statement, a Sluice batch or phase).
struct XactMonitor {
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<f64>,
}

impl XactMonitor {
    async fn start(opts: &PgConnectOptions) -> anyhow::Result<XactMonitor> {
        let mut conn =
            PgConnection::connect_with(&opts.clone().application_name("zdt-monitor")).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = tokio::spawn(async move {
            let mut longest = 0.0f64;
            while !flag.load(Ordering::SeqCst) {
                let r = sqlx::query(
                    "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float8 * 1000
                     FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()
                       AND backend_type = 'client backend' AND xact_start IS NOT NULL
                       AND application_name NOT IN ($1, 'zdt-monitor')
                       AND query NOT ILIKE 'vacuum%'",
                )
                .bind(LOAD_APP)
                .fetch_one(&mut conn)
                .await;
                if let Ok(row) = r {
                    longest = longest.max(row.try_get::<f64, _>(0).unwrap_or(0.0));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            conn.close().await.ok();
            longest
        });
        Ok(XactMonitor { stop, handle })
    }

    async fn finish(self) -> f64 {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.await.unwrap_or(0.0)
    }
}

/// The migrations directory every Sluice run starts from: the initial schema as a phased
/// migration (baselined: the template already holds it).
fn write_history(dir: &Path) -> anyhow::Result<()> {
    let init = dir.join(format!("{INIT_VERSION}_init"));
    std::fs::create_dir_all(&init)?;
    std::fs::write(init.join("expand.up.sql"), changes::SCHEMA)?;
    std::fs::write(init.join("expand.down.sql"), changes::SCHEMA_DOWN)?;
    Ok(())
}

async fn change_run(ctx: &Ctx<'_>, change: Change, sluice: bool) -> anyhow::Result<RunResult> {
    let db = ctx.server.clone_db(&ctx.template, ctx.args.rows).await?;
    let r = change_run_on(ctx, &db, change, sluice).await;
    ctx.server.drop_db(&db).await?;
    r
}

async fn change_run_on(
    ctx: &Ctx<'_>,
    db: &str,
    change: Change,
    sluice: bool,
) -> anyhow::Result<RunResult> {
    let opts = ctx.server.options(db).disable_statement_logging();
    let url = ctx.server.url(db);
    let t = &ctx.timing;
    let mut steps = Vec::new();
    let mut error = None;

    // everything that touches no table happens before the load starts
    let dir = ctx.work.join(db);
    let migrations = dir.join("migrations");
    let mut naive_conn = None;
    if sluice {
        write_history(&migrations)?;
        // the planner reads the schema from the earlier migrations of the file's directory
        let naive_dir = dir.join("naive");
        std::fs::create_dir_all(&naive_dir)?;
        std::fs::write(
            naive_dir.join(format!("{INIT_VERSION}_init.sql")),
            changes::SCHEMA,
        )?;
        let file = format!("naive/{CHANGE_VERSION}_{}.sql", change.name());
        std::fs::write(dir.join(&file), change.sluice_sql())?;
        let c = call_migrate(
            ctx,
            &url,
            &dir,
            &["baseline", INIT_VERSION, "--dir", "migrations"],
        )
        .await?;
        if c.code != 0 {
            error = Some(c.describe("baseline"));
        }
        if error.is_none() {
            let out = format!("migrations/{CHANGE_VERSION}_{}", change.name());
            let c = call_migrate(ctx, &url, &dir, &["plan", &file, "--out", &out]).await?;
            if c.code != 0 {
                error = Some(c.describe("plan"));
            } else if let Some(t) = &ctx.args.backfill_batch_time {
                let toml = dir.join(&out).join("backfill.toml");
                if toml.is_file() {
                    let text = std::fs::read_to_string(&toml)?;
                    std::fs::write(&toml, with_batch_time(&text, t))?;
                }
            }
        }
    } else {
        naive_conn = Some(PgConnection::connect_with(&opts).await?);
    }

    let monitor = XactMonitor::start(&opts).await?;
    let load = Load::start(
        &opts,
        change,
        ctx.args.clients,
        ctx.args.rate,
        ctx.args.rows,
    )
    .await?;
    tokio::time::sleep(t.warmup).await;
    let migration_start_ms = load.now_ms();
    let mut migration_ms = 0.0;
    if let Some(mut conn) = naive_conn {
        // one transaction, as most migration tools run a file
        let start = load.now_ms();
        let r = conn.execute(sqlx::raw_sql(change.naive_sql())).await;
        let end = load.now_ms();
        migration_ms = end - start;
        steps.push(Step {
            name: "naive".into(),
            start_ms: start,
            end_ms: end,
            exit_code: None,
        });
        if let Err(e) = r {
            error = Some(format!("naive SQL failed: {e}"));
        }
        conn.close().await.ok();
        // the new code rolls out after the migration
        load.set_rollout(Rollout::Mixed);
        tokio::time::sleep(t.rollout).await;
        load.set_rollout(Rollout::New);
    } else if error.is_none() {
        let apply = [
            "apply",
            "migrations",
            "--phase",
            "all",
            "--release",
            RELEASE,
        ];
        // expand and backfill; the contract waits on the `recorded` gate (exit 3)
        let start = load.now_ms();
        let c = call_migrate(ctx, &url, &dir, &apply).await?;
        let end = load.now_ms();
        migration_ms += end - start;
        steps.push(Step {
            name: "apply expand+backfill".into(),
            start_ms: start,
            end_ms: end,
            exit_code: Some(c.code),
        });
        if c.code != 0 && c.code != 3 {
            error = Some(c.describe("apply --phase all"));
        }
        // the rolling deploy: old and new code side by side, then new code only
        load.set_rollout(Rollout::Mixed);
        tokio::time::sleep(t.rollout).await;
        load.set_rollout(Rollout::New);
        if error.is_none() {
            let start = load.now_ms();
            let c = call_migrate(
                ctx,
                &url,
                &dir,
                &["rollout", "complete", "--release", RELEASE],
            )
            .await?;
            steps.push(Step {
                name: "rollout complete".into(),
                start_ms: start,
                end_ms: load.now_ms(),
                exit_code: Some(c.code),
            });
            if c.code != 0 {
                error = Some(c.describe("rollout complete"));
            }
        }
        if error.is_none() {
            let start = load.now_ms();
            let c = call_migrate(ctx, &url, &dir, &apply).await?;
            let end = load.now_ms();
            migration_ms += end - start;
            steps.push(Step {
                name: "apply contract".into(),
                start_ms: start,
                end_ms: end,
                exit_code: Some(c.code),
            });
            if c.code != 0 {
                error = Some(c.describe("apply --phase all (after the rollout)"));
            }
        }
    }
    // (when the tool failed before the load, the old code keeps running: nothing changed)
    tokio::time::sleep(t.cooldown).await;
    let samples = load.stop().await?;
    let longest = monitor.finish().await;
    let done = done(&opts, change).await;
    if error.is_none() && !done {
        error = Some(format!(
            "the migration ran but the change is not done: `{}` is not true",
            change.done_sql()
        ));
    }
    let lat = report::latency(samples.iter());
    let quiet = report::latency(
        samples
            .iter()
            .filter(|s| s.at_ms + s.latency_ms < migration_start_ms),
    );
    // queries in flight while a migration step ran: the stall it caused, apart from the noise
    let during = report::latency(samples.iter().filter(|s| {
        steps
            .iter()
            .any(|st| s.at_ms <= st.end_ms && s.at_ms + s.latency_ms >= st.start_ms)
    }));
    Ok(RunResult {
        ok: error.is_none(),
        error,
        done,
        stall_ms: during.max_ms,
        stall_p99_ms: during.p99_ms,
        queries: lat.queries,
        failed: lat.failed,
        failed_by_kind: lat.failed_by_kind,
        max_latency_ms: lat.max_ms,
        max_latency_at_ms: lat.max_at_ms - migration_start_ms,
        before_max_ms: quiet.max_ms,
        p50_ms: lat.p50_ms,
        p99_ms: lat.p99_ms,
        migration_ms,
        longest_migration_xact_ms: longest,
        migration_start_ms,
        steps,
        samples,
    })
}

/// Whether the change is in the database (schema and data).
async fn done(opts: &PgConnectOptions, change: Change) -> bool {
    let Ok(mut c) = PgConnection::connect_with(opts).await else {
        return false;
    };
    let r = sqlx::query_scalar::<_, Option<bool>>(change.done_sql())
        .fetch_optional(&mut c)
        .await;
    c.close().await.ok();
    matches!(r, Ok(Some(Some(true))))
}

/// What both sides of the backfill comparison fill.
const BACKFILL_SET: &str = "id % 3";

/// `text` with its `target_batch_time` set to `t` (added when absent).
fn with_batch_time(text: &str, t: &str) -> String {
    let line = format!("target_batch_time = \"{t}\"");
    let mut found = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("target_batch_time") {
                found = true;
                line.clone()
            } else {
                l.to_owned()
            }
        })
        .collect();
    if !found {
        // top-level keys go before the first table
        let at = out
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .unwrap_or(out.len());
        out.insert(at, line);
    }
    out.join("\n") + "\n"
}

fn backfill_toml(batch_time: Option<&str>) -> String {
    let text = format!(
        "table = \"accounts\"\nkey = [\"id\"]\nwhere = '\"tier\" IS NULL'\nbatch_size = 5000\n\
         pause = \"2ms\"\ntarget_batch_time = \"40ms\"\n\n[set]\ntier = '{BACKFILL_SET}'\n"
    );
    match batch_time {
        Some(t) => with_batch_time(&text, t),
        None => text,
    }
}

async fn backfill(ctx: &Ctx<'_>) -> anyhow::Result<BackfillResult> {
    let mut modes = BTreeMap::new();
    for sluice in [false, true] {
        let mode = if sluice { "sluice" } else { "naive" };
        let mut runs = Vec::new();
        for i in 0..ctx.args.repeat {
            eprintln!("backfill {mode} run {}/{}", i + 1, ctx.args.repeat);
            let db = ctx.server.clone_db(&ctx.template, ctx.args.rows).await?;
            let r = backfill_run(ctx, &db, sluice).await;
            ctx.server.drop_db(&db).await?;
            let r = r?;
            if let Some(e) = &r.error {
                eprintln!("  run failed: {e}");
            }
            runs.push(r);
        }
        modes.insert(
            mode.to_owned(),
            BackfillMode {
                summary: BackfillSummary::of(&runs),
                runs,
            },
        );
    }
    let rate = |m: &str| modes.get(m).map_or(0.0, |m| m.summary.rows_per_s.median);
    let throughput_ratio = if rate("naive") > 0.0 {
        rate("sluice") / rate("naive")
    } else {
        0.0
    };
    Ok(BackfillResult {
        naive_sql: format!("UPDATE accounts SET tier = {BACKFILL_SET};"),
        backfill_toml: backfill_toml(ctx.args.backfill_batch_time.as_deref()),
        modes,
        throughput_ratio,
    })
}

async fn backfill_run(ctx: &Ctx<'_>, db: &str, sluice: bool) -> anyhow::Result<BackfillRun> {
    let opts = ctx.server.options(db).disable_statement_logging();
    let url = ctx.server.url(db);
    let t = &ctx.timing;
    let mut steps = Vec::new();
    let mut error = None;
    let dir = ctx.work.join(db);
    let migrations = dir.join("migrations");
    let mut conn = PgConnection::connect_with(&opts).await?;
    if sluice {
        write_history(&migrations)?;
        let m = migrations.join(format!("{CHANGE_VERSION}_fill_tier"));
        std::fs::create_dir_all(&m)?;
        std::fs::write(
            m.join("expand.up.sql"),
            "ALTER TABLE accounts ADD COLUMN tier int;\n",
        )?;
        std::fs::write(
            m.join("expand.down.sql"),
            "ALTER TABLE accounts DROP COLUMN tier;\n",
        )?;
        std::fs::write(
            m.join("backfill.toml"),
            backfill_toml(ctx.args.backfill_batch_time.as_deref()),
        )?;
        let c = call_migrate(
            ctx,
            &url,
            &dir,
            &["baseline", INIT_VERSION, "--dir", "migrations"],
        )
        .await?;
        if c.code != 0 {
            error = Some(c.describe("baseline"));
        }
    } else {
        conn.execute("ALTER TABLE accounts ADD COLUMN tier int")
            .await?;
    }
    let monitor = XactMonitor::start(&opts).await?;
    // the load is the old application: it knows nothing of `tier`
    let load = Load::start(
        &opts,
        Change::IntToBigint,
        ctx.args.clients,
        ctx.args.rate,
        ctx.args.rows,
    )
    .await?;
    tokio::time::sleep(t.warmup).await;
    let start = load.now_ms();
    if sluice {
        if error.is_none() {
            let c = call_migrate(
                ctx,
                &url,
                &dir,
                &[
                    "apply",
                    "migrations",
                    "--phase",
                    "all",
                    "--release",
                    RELEASE,
                ],
            )
            .await?;
            if c.code != 0 {
                error = Some(c.describe("apply --phase all"));
            }
            steps.push(Step {
                name: "apply (expand + backfill)".into(),
                start_ms: start,
                end_ms: load.now_ms(),
                exit_code: Some(c.code),
            });
        }
    } else {
        let r = conn
            .execute(format!("UPDATE accounts SET tier = {BACKFILL_SET}").as_str())
            .await;
        if let Err(e) = r {
            error = Some(format!("UPDATE failed: {e}"));
        }
        steps.push(Step {
            name: "UPDATE".into(),
            start_ms: start,
            end_ms: load.now_ms(),
            exit_code: None,
        });
    }
    let end = load.now_ms();
    tokio::time::sleep(t.cooldown).await;
    let samples = load.stop().await?;
    let longest = monitor.finish().await;
    let filled: i64 = match sqlx::query("SELECT count(*) FROM accounts WHERE tier IS NOT NULL")
        .fetch_one(&mut conn)
        .await
    {
        Ok(row) => row.try_get(0).unwrap_or(0),
        // Sluice did not get to add the column
        Err(_) => 0,
    };
    // the runner's own account: rows, batches and time of the batches alone (not the expand,
    // the process start or the VACUUM after it)
    let ledger = if sluice {
        sqlx::query(
            "SELECT rows_done, batches, duration_ms FROM sluice_backfill WHERE version = $1",
        )
        .bind(CHANGE_VERSION)
        .fetch_optional(&mut conn)
        .await
        .ok()
        .flatten()
        .map(|r| {
            (
                r.try_get::<i64, _>(0).unwrap_or(0),
                r.try_get::<i64, _>(1).unwrap_or(0),
                r.try_get::<Option<i64>, _>(2).ok().flatten(),
            )
        })
    } else {
        None
    };
    conn.close().await.ok();
    let wall_ms = end - start;
    let (rows, batches, duration_ms) = match ledger {
        Some((rows, batches, Some(ms))) if ms > 0 => {
            (u64::try_from(rows).unwrap_or(0), Some(batches), ms as f64)
        }
        _ => (u64::try_from(filled).unwrap_or(0), None, wall_ms),
    };
    if sluice && error.is_none() && ledger.is_none() {
        error = Some("no sluice_backfill ledger row: did `migrate apply` run the backfill?".into());
    }
    let during = report::latency(
        samples
            .iter()
            .filter(|s| s.at_ms >= start && s.at_ms <= end),
    );
    Ok(BackfillRun {
        ok: error.is_none(),
        error,
        rows,
        rows_filled: u64::try_from(filled).unwrap_or(0),
        batches,
        duration_ms,
        wall_ms,
        rows_per_s: if duration_ms > 0.0 {
            rows as f64 / (duration_ms / 1000.0)
        } else {
            0.0
        },
        longest_batch_ms: longest,
        load_queries: during.queries,
        load_failed: during.failed,
        load_max_ms: during.max_ms,
        load_p99_ms: during.p99_ms,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_time_replaced_or_added_before_the_first_table() {
        let t = with_batch_time(
            "table = \"a\"\ntarget_batch_time = \"100ms\"\n[set]\nx = '1'\n",
            "25ms",
        );
        assert_eq!(
            t,
            "table = \"a\"\ntarget_batch_time = \"25ms\"\n[set]\nx = '1'\n"
        );
        let t = with_batch_time("table = \"a\"\n\n[set]\nx = '1'\n", "25ms");
        assert_eq!(
            t,
            "table = \"a\"\n\ntarget_batch_time = \"25ms\"\n[set]\nx = '1'\n"
        );
    }
}
