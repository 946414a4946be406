//! One run of one change in one mode, the repeats, and the backfill comparison.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::changes::{self, Change};
use crate::db::{Engine, Opts, Server};
use crate::load::{Load, Rollout};
use crate::monitor::XactMonitor;
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
    server_version: String,
    migrate: &'a Path,
    server: Server,
    template: String,
    timing: Timing,
    work: PathBuf,
}

pub async fn run_all(args: &Args, migrate: &Path) -> anyhow::Result<Results> {
    let server = Server::new(&args.database_url)?;
    let server_version = server.version().await?;
    if server.engine() == Engine::Mysql && !server_version.to_ascii_lowercase().contains("mariadb")
    {
        anyhow::bail!(
            "the MySQL side of zdt-bench runs on MariaDB (its template uses the SEQUENCE engine); \
             the server says VERSION() = {server_version}"
        );
    }
    eprintln!("loading {} rows into a template database", args.rows);
    let template = server.create_template(args.rows).await?;
    let work = std::env::temp_dir().join(Server::fresh_name("work"));
    let ctx = Ctx {
        args,
        server_version: server_version.clone(),
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
            backfill_pause: args.backfill_pause.clone(),
            osc_chunk_time: args.osc_chunk_time.clone(),
            engine: ctx.server.engine(),
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
                if args.sluice_only && !sluice {
                    continue;
                }
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
            let engine = ctx.server.engine();
            out.changes.push(ChangeResult {
                change: change.name().to_owned(),
                naive_sql: change.naive_sql(engine).to_owned(),
                sluice_sql: change.sluice_sql(engine).to_owned(),
                planned: change.planned(engine),
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
    // diagnosis: `ZDT_MIGRATE_LOG=<filter>` keeps each call's JSON log (timestamped) in
    // `<out>/migrate-logs`, to line its steps up with the run's slowest query
    let log = std::env::var("ZDT_MIGRATE_LOG").ok();
    if let Some(filter) = &log {
        cmd.env("SLUICE_LOG", filter).args(["--log-format", "json"]);
    }
    let started = std::time::SystemTime::now();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .with_context(|| format!("cannot run {}", ctx.migrate.display()))?;
    if log.is_some() {
        let at = started
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let mut text = format!("# started_unix_ms={at} args={}\n", args.join(" "));
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        let logs = ctx.args.out.join("migrate-logs");
        std::fs::create_dir_all(&logs)?;
        std::fs::write(logs.join(format!("{at}.log")), text)?;
    }
    Ok(Called {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
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

/// A Sluice run's work directory `dir`: its config, the migrations directory with the
/// initial schema, baselined on the run's database. `Some(error)` when `migrate baseline`
/// failed.
async fn sluice_workdir(ctx: &Ctx<'_>, dir: &Path, url: &str) -> anyhow::Result<Option<String>> {
    write_config(ctx, dir)?;
    write_history(&dir.join("migrations"))?;
    let c = call_migrate(
        ctx,
        url,
        dir,
        &["baseline", INIT_VERSION, "--dir", "migrations"],
    )
    .await?;
    Ok((c.code != 0).then(|| c.describe("baseline")))
}

/// `sluice.toml` of a run's work directory (where `migrate` runs), with `[plan]` choices of the
/// run (`--rename-column`): MySQL needs its dialect
/// and server version for `migrate plan`, which reads no database. PostgreSQL is the default.
fn write_config(ctx: &Ctx<'_>, dir: &Path) -> anyhow::Result<()> {
    let mut toml = String::new();
    if ctx.server.engine() == Engine::Mysql {
        toml = format!(
            "dialect = \"mysql\"\nflavour = \"mariadb\"\nserver_version = \"{}\"\n",
            major_minor(&ctx.server_version)
        );
        if let Some(t) = &ctx.args.osc_chunk_time {
            toml.push_str(&format!("\n[run]\nosc_chunk_time = \"{t}\"\n"));
        }
    }
    if let Some(how) = &ctx.args.rename_column {
        toml.push_str(&format!("\n[plan]\nrename_column = \"{how}\"\n"));
    }
    if toml.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("sluice.toml"), toml)?;
    Ok(())
}

/// `10.11` of `10.11.6-MariaDB-0+deb12u1`.
fn major_minor(version: &str) -> String {
    version
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or("")
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".")
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
    let engine = ctx.server.engine();
    let opts = ctx.server.options(db);
    let url = ctx.server.url(db);
    let t = &ctx.timing;
    let mut steps = Vec::new();
    let mut error = None;

    // everything that touches no table happens before the load starts
    let dir = ctx.work.join(db);
    let migrations = dir.join("migrations");
    let mut naive_conn = None;
    if sluice {
        error = sluice_workdir(ctx, &dir, &url).await?;
        // the planner reads the schema from the earlier migrations of the file's directory
        let naive_dir = dir.join("naive");
        std::fs::create_dir_all(&naive_dir)?;
        std::fs::write(
            naive_dir.join(format!("{INIT_VERSION}_init.sql")),
            changes::SCHEMA,
        )?;
        let file = format!("naive/{CHANGE_VERSION}_{}.sql", change.name());
        std::fs::write(dir.join(&file), change.sluice_sql(engine))?;
        if error.is_none() && !change.planned(engine) {
            // the migration as written (an expand without contract): `migrate apply` runs it
            // with the strategy it names
            let m = migrations.join(format!("{CHANGE_VERSION}_{}", change.name()));
            std::fs::create_dir_all(&m)?;
            std::fs::write(m.join("expand.up.sql"), change.sluice_sql(engine))?;
            std::fs::write(m.join("expand.down.sql"), change.sluice_down_sql(engine))?;
        } else if error.is_none() {
            let out = format!("migrations/{CHANGE_VERSION}_{}", change.name());
            let c = call_migrate(ctx, &url, &dir, &["plan", &file, "--out", &out]).await?;
            if c.code != 0 {
                error = Some(c.describe("plan"));
            } else {
                let toml = dir.join(&out).join("backfill.toml");
                if toml.is_file() {
                    let text = std::fs::read_to_string(&toml)?;
                    std::fs::write(&toml, what_if(ctx.args, text))?;
                }
            }
        }
    } else {
        naive_conn = Some(opts.connect().await?);
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
        // PostgreSQL: one transaction, as most migration tools run a file (MySQL commits
        // each DDL statement on its own)
        let start = load.now_ms();
        let r = conn.script(change.naive_sql(engine)).await;
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
        conn.close().await;
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
    let (longest, lock_waits) = monitor.finish().await;
    let done = holds(&opts, change.done_sql(engine)).await;
    if error.is_none() && !done {
        error = Some(format!(
            "the migration ran but the change is not done: `{}` is not true",
            change.done_sql(engine)
        ));
    }
    if let Some(sql) = change.strategy_ran_sql(engine).filter(|_| sluice)
        && error.is_none()
        && !holds(&opts, sql).await
    {
        error = Some(format!(
            "the change is done but not by the strategy its migration names: `{sql}` is not true"
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
        lock_waits,
        migration_start_ms,
        steps,
        samples,
    })
}

/// Whether a yes/no query about the database (the change is in, a strategy ran) says yes.
async fn holds(opts: &Opts, sql: &str) -> bool {
    let Ok(mut c) = opts.connect().await else {
        return false;
    };
    let r = c.truth(sql).await;
    c.close().await;
    matches!(r, Ok(true))
}

/// What both sides of the backfill comparison fill.
const BACKFILL_SET: &str = "id % 3";

/// A backfill.toml with the what-if overrides of the command line.
fn what_if(args: &crate::Args, mut text: String) -> String {
    if let Some(t) = &args.backfill_batch_time {
        text = with_key(&text, "target_batch_time", t);
    }
    if let Some(p) = &args.backfill_pause {
        text = with_key(&text, "pause", p);
    }
    text
}

/// `text` with its top-level duration `key` set to `t` (added when absent).
fn with_key(text: &str, key: &str, t: &str) -> String {
    let line = format!("{key} = \"{t}\"");
    let mut found = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
            {
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

fn backfill_toml(engine: Engine, args: &crate::Args) -> String {
    // the planner's batch times and pauses (crates/plan/src/recipes/fill.rs)
    let (tier, batch, pause) = match engine {
        Engine::Postgres => ("\"tier\"", "10ms", "0s"),
        Engine::Mysql => ("`tier`", "10ms", "2ms"),
    };
    let text = format!(
        "table = \"accounts\"\nkey = [\"id\"]\nwhere = '{tier} IS NULL'\nbatch_size = 5000\n\
         pause = \"{pause}\"\ntarget_batch_time = \"{batch}\"\n\n[set]\ntier = '{BACKFILL_SET}'\n"
    );
    what_if(args, text)
}

async fn backfill(ctx: &Ctx<'_>) -> anyhow::Result<BackfillResult> {
    let mut modes = BTreeMap::new();
    for sluice in [false, true] {
        if ctx.args.sluice_only && !sluice {
            continue;
        }
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
        backfill_toml: backfill_toml(ctx.server.engine(), ctx.args),
        modes,
        throughput_ratio,
    })
}

async fn backfill_run(ctx: &Ctx<'_>, db: &str, sluice: bool) -> anyhow::Result<BackfillRun> {
    let engine = ctx.server.engine();
    let opts = ctx.server.options(db);
    let url = ctx.server.url(db);
    let t = &ctx.timing;
    let mut steps = Vec::new();
    let mut error = None;
    let dir = ctx.work.join(db);
    let migrations = dir.join("migrations");
    let mut conn = opts.connect().await?;
    if sluice {
        error = sluice_workdir(ctx, &dir, &url).await?;
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
        std::fs::write(m.join("backfill.toml"), backfill_toml(engine, ctx.args))?;
    } else {
        conn.script("ALTER TABLE accounts ADD COLUMN tier int")
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
            .script(&format!("UPDATE accounts SET tier = {BACKFILL_SET}"))
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
    let (longest, lock_waits) = monitor.finish().await;
    let filled: i64 = match conn
        .ints("SELECT count(*) FROM accounts WHERE tier IS NOT NULL")
        .await
    {
        Ok(Some(row)) => row.first().copied().flatten().unwrap_or(0),
        // Sluice did not get to add the column
        _ => 0,
    };
    // the runner's own account: rows, batches and time of the batches alone (not the expand,
    // the process start or the VACUUM after it)
    let ledger = if sluice {
        conn.ints(&format!(
            "SELECT rows_done, batches, duration_ms FROM sluice_backfill WHERE version = '{CHANGE_VERSION}'"
        ))
        .await
        .ok()
        .flatten()
        .map(|r| {
            let at = |i: usize| r.get(i).copied().flatten();
            (at(0).unwrap_or(0), at(1).unwrap_or(0), at(2))
        })
    } else {
        None
    };
    conn.close().await;
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
        lock_waits,
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
    fn the_strategy_check_names_the_change_version() {
        let sql = Change::IntToBigint.strategy_ran_sql(Engine::Mysql).unwrap();
        assert!(sql.contains(&format!("_sluice_dropped_accounts_{CHANGE_VERSION}'")));
    }

    #[test]
    fn server_version_major_minor() {
        assert_eq!(major_minor("10.11.19-MariaDB-0+deb12u1"), "10.11");
        assert_eq!(major_minor("8.0.36"), "8.0");
    }

    #[test]
    fn batch_time_replaced_or_added_before_the_first_table() {
        let t = with_key(
            "table = \"a\"\ntarget_batch_time = \"100ms\"\n[set]\nx = '1'\n",
            "target_batch_time",
            "25ms",
        );
        assert_eq!(
            t,
            "table = \"a\"\ntarget_batch_time = \"25ms\"\n[set]\nx = '1'\n"
        );
        let t = with_key(
            "table = \"a\"\n\n[set]\nx = '1'\n",
            "target_batch_time",
            "25ms",
        );
        assert_eq!(
            t,
            "table = \"a\"\n\ntarget_batch_time = \"25ms\"\n[set]\nx = '1'\n"
        );
        // a key that only starts like another is left alone
        let t = with_key("pause_x = 1\npause = \"2ms\"\n", "pause", "0ms");
        assert_eq!(t, "pause_x = 1\npause = \"0ms\"\n");
    }
}
