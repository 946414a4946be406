//! The application load: M clients, each on its own connection, issuing point reads, updates
//! and inserts on a fixed schedule (open loop). A query's latency runs from its scheduled start,
//! not from when a blocked client got round to sending it, so a stall counts in full for every
//! query it delayed (no coordinated omission).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::changes::{App, Change, Queries};
use crate::db::{Conn, LOAD_APP, OWNERS, Opts, Param};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Read,
    Update,
    Insert,
}

/// One query: scheduled start (ms since the load began), latency (ms) and outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub at_ms: f64,
    pub latency_ms: f64,
    pub op: Op,
    /// `None`: ok; else the error kind (`undefined_column`, `not_null_violation`, ...).
    pub error: Option<String>,
}

/// Which code runs: old everywhere, a rolling deploy (half the clients each), new everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    Old = 0,
    Mixed = 1,
    New = 2,
}

struct Control {
    rollout: AtomicU8,
    /// Microseconds since `t0` from which no query is scheduled.
    stop_us: AtomicU64,
}

pub struct Load {
    t0: Instant,
    control: Arc<Control>,
    clients: Vec<tokio::task::JoinHandle<Vec<Sample>>>,
}

impl Load {
    /// Connect every client, then start the clock.
    pub async fn start(
        opts: &Opts,
        change: Change,
        clients: u32,
        rate: f64,
        rows: u32,
    ) -> anyhow::Result<Load> {
        let opts = opts.named(LOAD_APP);
        let engine = opts.engine();
        let mut conns = Vec::new();
        let old = change.queries(App::Old, engine);
        for _ in 0..clients {
            let mut c = opts.connect().await?;
            warm(&mut c, &old).await?;
            conns.push(c);
        }
        let control = Arc::new(Control {
            rollout: AtomicU8::new(Rollout::Old as u8),
            stop_us: AtomicU64::new(u64::MAX),
        });
        let next_id = Arc::new(AtomicI64::new(i64::from(rows) + 1));
        let interval = Duration::from_secs_f64(f64::from(clients) / rate);
        let t0 = Instant::now();
        let mut handles = Vec::new();
        for (i, conn) in (0..clients).zip(conns) {
            let client = Client {
                index: i,
                conn: Some(conn),
                opts: opts.clone(),
                old: change.queries(App::Old, engine),
                new: change.queries(App::New, engine),
                control: control.clone(),
                next_id: next_id.clone(),
                rows,
                t0,
                // clients spread evenly over one interval
                offset: interval.mul_f64(f64::from(i) / f64::from(clients)),
                interval,
            };
            handles.push(tokio::spawn(client.run()));
        }
        Ok(Load {
            t0,
            control,
            clients: handles,
        })
    }

    /// Milliseconds since the load started.
    pub fn now_ms(&self) -> f64 {
        self.t0.elapsed().as_secs_f64() * 1000.0
    }

    pub fn set_rollout(&self, r: Rollout) {
        self.control.rollout.store(r as u8, Ordering::SeqCst);
    }

    /// Stop scheduling and collect every client's samples, sorted by scheduled start.
    pub async fn stop(self) -> anyhow::Result<Vec<Sample>> {
        let now = u64::try_from(self.t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.control.stop_us.store(now, Ordering::SeqCst);
        let mut all = Vec::new();
        for h in self.clients {
            all.extend(h.await?);
        }
        all.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
        Ok(all)
    }
}

/// Prepare the old code's statements once, touching no row, so the first scheduled queries
/// do not pay for parsing and planning (PostgreSQL; MySQL statements go as text).
async fn warm(c: &mut Conn, q: &Queries) -> anyhow::Result<()> {
    if !matches!(c, Conn::Pg(_)) {
        return Ok(());
    }
    c.run(&q.read, &[Param::Int(0)]).await?;
    c.run(&q.update, &[Param::Int(0), Param::Text(String::new())])
        .await?;
    c.script("BEGIN").await?;
    let r = c
        .run(
            &q.insert,
            &[
                Param::Int(0),
                Param::Int(1),
                Param::Text(String::new()),
                Param::Int(0),
            ],
        )
        .await;
    c.script("ROLLBACK").await?;
    r?;
    Ok(())
}

struct Client {
    index: u32,
    conn: Option<Conn>,
    opts: Opts,
    old: Queries,
    new: Queries,
    control: Arc<Control>,
    next_id: Arc<AtomicI64>,
    rows: u32,
    t0: Instant,
    offset: Duration,
    interval: Duration,
}

impl Client {
    async fn run(mut self) -> Vec<Sample> {
        let mut rng = StdRng::seed_from_u64(u64::from(self.index));
        let mut samples = Vec::new();
        let mut k: u32 = 0;
        loop {
            let due = self.offset + self.interval * k;
            if u64::try_from(due.as_micros()).unwrap_or(u64::MAX)
                >= self.control.stop_us.load(Ordering::SeqCst)
            {
                break;
            }
            tokio::time::sleep_until((self.t0 + due).into()).await;
            if u64::try_from(due.as_micros()).unwrap_or(u64::MAX)
                >= self.control.stop_us.load(Ordering::SeqCst)
            {
                break;
            }
            let app = match self.control.rollout.load(Ordering::SeqCst) {
                0 => App::Old,
                1 if self.index.is_multiple_of(2) => App::Old,
                _ => App::New,
            };
            let q = if app == App::Old {
                &self.old
            } else {
                &self.new
            };
            let roll: u32 = rng.random_range(0..100);
            let id = rng.random_range(1..=i32::try_from(self.rows).unwrap_or(i32::MAX));
            let (op, sql) = match roll {
                0..50 => (Op::Read, q.read.clone()),
                50..85 => (Op::Update, q.update.clone()),
                _ => (Op::Insert, q.insert.clone()),
            };
            let error = self.exec(op, &sql, id, &mut rng).await.err();
            let latency = (self.t0 + due).elapsed();
            samples.push(Sample {
                at_ms: due.as_secs_f64() * 1000.0,
                latency_ms: latency.as_secs_f64() * 1000.0,
                op,
                error,
            });
            k += 1;
        }
        if let Some(c) = self.conn.take() {
            c.close().await;
        }
        samples
    }

    async fn exec(&mut self, op: Op, sql: &str, id: i32, rng: &mut StdRng) -> Result<(), String> {
        if self.conn.is_none() {
            self.conn = Some(self.opts.connect().await.map_err(|e| kind(&e))?);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err("connection".into());
        };
        let text = Param::Text(format!("v{}", rng.random_range(0..1_000_000u32)));
        let params = match op {
            Op::Read => vec![Param::Int(id)],
            Op::Update => vec![Param::Int(id), text],
            Op::Insert => {
                let new_id = self.next_id.fetch_add(1, Ordering::SeqCst);
                let new_id = i32::try_from(new_id).unwrap_or(i32::MAX);
                let owner = rng.random_range(1..=i32::try_from(OWNERS).unwrap_or(i32::MAX));
                vec![
                    Param::Int(new_id),
                    Param::Int(owner),
                    text,
                    Param::Int(rng.random_range(0..10_000i32)),
                ]
            }
        };
        conn.run(sql, &params).await.map_err(|e| {
            if matches!(e, sqlx::Error::Io(_) | sqlx::Error::Protocol(_)) {
                self.conn = None; // reconnect on the next query
            }
            kind(&e)
        })
    }
}

/// A short, stable name for an error: the SQLSTATE's condition name where known.
pub fn kind(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => {
            if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                return mysql_kind(my.number());
            }
            let code = db
                .code()
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_default();
            match code.as_str() {
                "42703" => "undefined_column".into(),
                "42P01" => "undefined_table".into(),
                "23502" => "not_null_violation".into(),
                "23503" => "foreign_key_violation".into(),
                "23505" => "unique_violation".into(),
                "23514" => "check_violation".into(),
                "40P01" => "deadlock_detected".into(),
                "40001" => "serialization_failure".into(),
                "55P03" => "lock_not_available".into(),
                "57014" => "query_canceled".into(),
                "0A000" => "feature_not_supported".into(),
                "42804" => "datatype_mismatch".into(),
                "57P01" => "admin_shutdown".into(),
                c => format!("sqlstate_{c}"),
            }
        }
        sqlx::Error::Io(_) => "io".into(),
        sqlx::Error::Protocol(_) => "protocol".into(),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => "pool".into(),
        _ => "other".into(),
    }
}

/// MySQL / MariaDB error numbers under the same names as PostgreSQL's where they mean the same.
fn mysql_kind(number: u16) -> String {
    match number {
        1054 => "undefined_column".into(),
        1146 => "undefined_table".into(),
        1048 => "not_null_violation".into(),
        // strict mode: an INSERT leaves out a NOT NULL column without default
        1364 => "no_default_value".into(),
        1451 | 1452 => "foreign_key_violation".into(),
        1062 => "unique_violation".into(),
        1213 => "deadlock_detected".into(),
        1205 => "lock_wait_timeout".into(),
        1412 => "table_definition_changed".into(),
        n => format!("mysql_{n}"),
    }
}
