//! The fault suite's harness (issue 18): a phased change set on a large table under
//! application load, a fault at a random moment, then recovery through the `migrate` binary
//! alone, as an operator would: re-run what was interrupted, or roll back.
//!
//! The change set is planned by `migrate plan` from naive SQL (rename column, NOT NULL
//! column with its backfill, int -> bigint, an index, a foreign key), plus a table copy of a
//! second table (PostgreSQL's shadow table, MariaDB's pt-online-schema-change). The
//! sequence is a deploy's: `apply --phase all` (expand + backfill; the contract waits on the
//! `recorded` gate, exit 3), `rollout complete`, `apply --phase all` (contract).
//!
//! The load writes rows no other write touches (new ids, or each existing row at most once),
//! on columns the change keeps, so the expected data is the undisturbed reference run's plus
//! those writes, whatever their order relative to the migration. A write whose outcome the
//! fault made unknown (the error came, the commit may have landed) is resolved by its row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sluice::sql::Dialect;
use sqlx::{Connection, Executor, Row};

use super::servers::Private;
use super::{Run, Scratch, admin_url, run, snapshot, states, status_json, tree};

pub const INIT: &str = "20260101000000";
const CHANGE: &str = "20260102000000";
const COPY: &str = "20260103000000";
const RELEASE: &str = "r-faults";
const OWNERS: i64 = 100;
/// Ids of rows the load inserts start here.
const NEW_IDS: i64 = 100_000_000;
const LOAD_APP: &str = "faults-load";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The runner process gets SIGKILL.
    RunnerKill,
    /// The database server crashes (immediate stop / SIGKILL) and starts again.
    ServerRestart,
    /// The runner's sessions are killed server-side.
    ConnectionKill,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::RunnerKill => "runner SIGKILL",
            Fault::ServerRestart => "server restart",
            Fault::ConnectionKill => "connection killed",
        }
    }
}

/// How big and how many: CI's sized-down run, or the full one.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub accounts: i64,
    pub entries: i64,
    pub runs: usize,
}

/// `SLUICE_FAULTS_FULL=1`: 1M rows and the run counts; else CI's small run.
pub fn full() -> bool {
    std::env::var("SLUICE_FAULTS_FULL").is_ok_and(|v| v == "1")
}

pub fn size(fault: Fault) -> Size {
    if full() {
        Size {
            accounts: 1_000_000,
            entries: 200_000,
            runs: match fault {
                Fault::RunnerKill => 50,
                Fault::ServerRestart => 10,
                Fault::ConnectionKill => 20,
            },
        }
    } else {
        Size {
            accounts: 20_000,
            entries: 10_000,
            // SLUICE_FAULTS_RUNS: more runs of the small size (looking for rare faults)
            runs: std::env::var("SLUICE_FAULTS_RUNS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(2),
        }
    }
}

/// Runner bugs this suite found that are not fixed yet (reported to the lead with their
/// reproduction): a failure whose message holds the pattern is printed and counted as a
/// manual step, not failed on; any other failure fails the test. Pattern, cause.
pub const KNOWN: &[(&str, &str)] = &[];

/// What a fault suite measured, per fault kind.
#[derive(Debug, Default)]
pub struct Report {
    pub runs: usize,
    pub recovered: usize,
    pub rolled_back: usize,
    pub longest_recovery: Duration,
    /// Runs whose recovery did not reach the reference without a hand-made step.
    pub manual_steps: usize,
    pub failures: Vec<String>,
}

impl Report {
    /// The failures no entry of [`KNOWN`] explains.
    pub fn unexplained(&self) -> Vec<&String> {
        self.failures
            .iter()
            .filter(|f| !KNOWN.iter().any(|(p, _)| f.contains(p)))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// SQL of each dialect

fn schema_sql(d: Dialect, accounts: i64, entries: i64) -> String {
    let tables = "CREATE TABLE owners (id int PRIMARY KEY, name text NOT NULL);\n\
        CREATE TABLE accounts (id int PRIMARY KEY, owner_id int, name text, balance int, note text);\n\
        CREATE TABLE entries (id int PRIMARY KEY, account_id int, amount int NOT NULL, memo text);\n";
    match d {
        Dialect::Postgres => format!(
            "{tables}\
             INSERT INTO owners SELECT g, 'owner ' || g FROM generate_series(1, {OWNERS}) g;\n\
             INSERT INTO accounts SELECT g, g % {OWNERS} + 1, CASE WHEN g % 50 <> 0 THEN 'name ' || g END, \
               CASE WHEN g % 70 <> 0 THEN g % 100000 END, 'note ' || g FROM generate_series(1, {accounts}) g;\n\
             INSERT INTO entries SELECT g, g % {accounts} + 1, g % 997, 'memo ' || g FROM generate_series(1, {entries}) g;\n\
             ANALYZE;\n"
        ),
        Dialect::Mysql => format!(
            "{tables}\
             INSERT INTO owners SELECT seq, CONCAT('owner ', seq) FROM seq_1_to_{OWNERS};\n\
             INSERT INTO accounts SELECT seq, seq % {OWNERS} + 1, IF(seq % 50 <> 0, CONCAT('name ', seq), NULL), \
               IF(seq % 70 <> 0, seq % 100000, NULL), CONCAT('note ', seq) FROM seq_1_to_{accounts};\n\
             INSERT INTO entries SELECT seq, seq % {accounts} + 1, seq % 997, CONCAT('memo ', seq) FROM seq_1_to_{entries};\n\
             ANALYZE TABLE owners, accounts, entries;\n"
        ),
    }
}

const INIT_UP: &str = "CREATE TABLE owners (id int PRIMARY KEY, name text NOT NULL);\n\
    CREATE TABLE accounts (id int PRIMARY KEY, owner_id int, name text, balance int, note text);\n\
    CREATE TABLE entries (id int PRIMARY KEY, account_id int, amount int NOT NULL, memo text);\n";
const INIT_DOWN: &str = "DROP TABLE entries;\nDROP TABLE accounts;\nDROP TABLE owners;\n";

fn naive_change(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => {
            "ALTER TABLE accounts RENAME COLUMN name TO full_name;\n\
             ALTER TABLE accounts ADD COLUMN tier int;\n\
             UPDATE accounts SET tier = 0;\n\
             ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;\n\
             ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;\n\
             CREATE INDEX accounts_owner_id_idx ON accounts (owner_id);\n\
             ALTER TABLE accounts ADD CONSTRAINT accounts_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owners (id);\n"
        }
        Dialect::Mysql => {
            "ALTER TABLE accounts RENAME COLUMN name TO full_name;\n\
             ALTER TABLE accounts ADD COLUMN tier int;\n\
             UPDATE accounts SET tier = 0;\n\
             ALTER TABLE accounts MODIFY tier int NOT NULL;\n\
             ALTER TABLE accounts MODIFY balance bigint;\n\
             CREATE INDEX accounts_owner_id_idx ON accounts (owner_id);\n\
             ALTER TABLE accounts ADD CONSTRAINT accounts_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owners (id);\n"
        }
    }
}

/// The table copy of `entries`, up and down.
fn copy_change(d: Dialect) -> (&'static str, &'static str) {
    match d {
        Dialect::Postgres => (
            "-- sluice:strategy shadow-table\nALTER TABLE entries ALTER COLUMN amount TYPE bigint;\n",
            "-- sluice:strategy shadow-table\nALTER TABLE entries ALTER COLUMN amount TYPE int;\n",
        ),
        Dialect::Mysql => (
            "-- sluice:strategy pt-osc\nALTER TABLE entries MODIFY amount bigint NOT NULL;\n",
            "-- sluice:strategy pt-osc\nALTER TABLE entries MODIFY amount int NOT NULL;\n",
        ),
    }
}

fn text(d: Dialect, col: &str) -> String {
    match d {
        Dialect::Postgres => format!("{col}::text"),
        Dialect::Mysql => format!("CAST({col} AS CHAR)"),
    }
}

/// Columns of each table before and after the change (the load only writes `note`, `memo`
/// and whole new rows).
const ACCOUNTS_BEFORE: [&str; 5] = ["id", "owner_id", "name", "balance", "note"];
const ACCOUNTS_AFTER: [&str; 6] = ["id", "owner_id", "full_name", "balance", "note", "tier"];
const ENTRIES: [&str; 4] = ["id", "account_id", "amount", "memo"];

fn rows_sql(d: Dialect, table: &str, cols: &[&str]) -> String {
    let list: Vec<String> = cols.iter().map(|c| text(d, c)).collect();
    format!("SELECT {} FROM {table} ORDER BY id", list.join(", "))
}

// ---------------------------------------------------------------------------------------
// One connection of either dialect

pub enum Conn {
    Pg(sqlx::PgConnection),
    My(sqlx::MySqlConnection),
}

impl Conn {
    pub async fn connect(d: Dialect, url: &str) -> Result<Conn, sqlx::Error> {
        Ok(match d {
            Dialect::Postgres => Conn::Pg(sqlx::PgConnection::connect(url).await?),
            Dialect::Mysql => Conn::My(sqlx::MySqlConnection::connect(url).await?),
        })
    }

    pub async fn exec(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Conn::Pg(c) => c.execute(sqlx::raw_sql(sql)).await?.rows_affected(),
            Conn::My(c) => c.execute(sqlx::raw_sql(sql)).await?.rows_affected(),
        })
    }

    /// Every row's columns as text (NULL as `None`).
    pub async fn rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        fn cells<R: Row>(r: &R) -> Vec<Option<String>>
        where
            for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
        {
            (0..r.len())
                .map(|i| r.try_get::<Option<String>, _>(i).unwrap_or(None))
                .collect()
        }
        Ok(match self {
            Conn::Pg(c) => sqlx::query(sql)
                .fetch_all(c)
                .await?
                .iter()
                .map(cells)
                .collect(),
            Conn::My(c) => sqlx::query(sql)
                .fetch_all(c)
                .await?
                .iter()
                .map(cells)
                .collect(),
        })
    }

    pub async fn strings(&mut self, sql: &str) -> Result<Vec<String>, sqlx::Error> {
        Ok(self
            .rows(sql)
            .await?
            .into_iter()
            .map(|r| r.into_iter().next().flatten().unwrap_or_default())
            .collect())
    }
}

// ---------------------------------------------------------------------------------------
// The application load

/// Which code runs: the old (before the expand finished), the new (after it), or, while
/// rolling back, statements both shapes take (no inserts into `accounts`: the new code's
/// need `tier`, the old code's fail once `tier` is NOT NULL).
const MODE_OLD: u8 = 0;
const MODE_NEW: u8 = 1;
const MODE_EITHER: u8 = 2;

#[derive(Debug, Clone)]
enum Op {
    InsertAccount { owner: i64 },
    NoteAccount(String),
    DeleteAccount,
    InsertEntry { account: i64, amount: i64 },
    MemoEntry(String),
    DeleteEntry,
}

#[derive(Debug, Clone)]
struct Write {
    id: i64,
    op: Op,
    /// The server said it committed; otherwise its outcome is read from the row.
    certain: bool,
}

struct Load {
    stop: Arc<AtomicBool>,
    mode: Arc<AtomicU8>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Write>>>,
    /// MySQL session ids of the load (the connection-kill fault spares them).
    sessions: Arc<Mutex<BTreeSet<i64>>>,
}

struct Counters {
    seq: AtomicI64,
    touch_accounts: AtomicI64,
    touch_entries: AtomicI64,
}

impl Load {
    fn start(d: Dialect, url: &str, size: Size, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let mode = Arc::new(AtomicU8::new(MODE_OLD));
        let sessions = Arc::new(Mutex::new(BTreeSet::new()));
        let counters = Arc::new(Counters {
            seq: AtomicI64::new(0),
            touch_accounts: AtomicI64::new(0),
            touch_entries: AtomicI64::new(0),
        });
        let url = match d {
            Dialect::Postgres => format!("{url}?application_name={LOAD_APP}"),
            Dialect::Mysql => url.to_owned(),
        };
        let tasks = (0..clients)
            .map(|_| {
                let (stop, mode, sessions, counters, url) = (
                    stop.clone(),
                    mode.clone(),
                    sessions.clone(),
                    counters.clone(),
                    url.clone(),
                );
                tokio::spawn(async move {
                    client(d, &url, size, &stop, &mode, &sessions, &counters).await
                })
            })
            .collect();
        Load {
            stop,
            mode,
            tasks,
            sessions,
        }
    }

    async fn finish(self) -> Vec<Write> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for t in self.tasks {
            all.extend(t.await.unwrap());
        }
        all
    }
}

/// One application connection: a write every 2 ms, reconnecting after errors.
async fn client(
    d: Dialect,
    url: &str,
    size: Size,
    stop: &AtomicBool,
    mode: &AtomicU8,
    sessions: &Mutex<BTreeSet<i64>>,
    counters: &Counters,
) -> Vec<Write> {
    let mut done = Vec::new();
    let mut conn: Option<Conn> = None;
    while !stop.load(Ordering::SeqCst) {
        if conn.is_none() {
            match Conn::connect(d, url).await {
                Ok(mut c) => {
                    if d == Dialect::Mysql
                        && let Ok(id) = c.strings("SELECT CAST(CONNECTION_ID() AS CHAR)").await
                        && let Some(id) = id.first().and_then(|s| s.parse().ok())
                    {
                        sessions.lock().unwrap().insert(id);
                    }
                    conn = Some(c);
                }
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        let n = counters.seq.fetch_add(1, Ordering::SeqCst);
        let m = mode.load(Ordering::SeqCst);
        // each existing row is touched at most once: a prime stride over the ids
        let touch = |c: &AtomicI64, rows: i64| {
            let t = c.fetch_add(1, Ordering::SeqCst);
            (t < rows).then(|| (t * 7919) % rows + 1)
        };
        let w = match n % 6 {
            0 if m != MODE_EITHER => Some(Write {
                id: NEW_IDS + n,
                op: Op::InsertAccount {
                    owner: n % OWNERS + 1,
                },
                certain: false,
            }),
            1 => touch(&counters.touch_accounts, size.accounts).map(|id| Write {
                id,
                op: Op::NoteAccount(format!("u{n}")),
                certain: false,
            }),
            2 => touch(&counters.touch_accounts, size.accounts).map(|id| Write {
                id,
                op: Op::DeleteAccount,
                certain: false,
            }),
            3 => Some(Write {
                id: NEW_IDS + n,
                op: Op::InsertEntry {
                    account: n % size.accounts + 1,
                    amount: n % 1000,
                },
                certain: false,
            }),
            4 => touch(&counters.touch_entries, size.entries).map(|id| Write {
                id,
                op: Op::MemoEntry(format!("v{n}")),
                certain: false,
            }),
            5 => touch(&counters.touch_entries, size.entries).map(|id| Write {
                id,
                op: Op::DeleteEntry,
                certain: false,
            }),
            _ => None,
        };
        let Some(mut w) = w else {
            continue;
        };
        let sql = match &w.op {
            Op::InsertAccount { owner } if m == MODE_NEW => format!(
                "INSERT INTO accounts (id, owner_id, note, tier) VALUES ({}, {owner}, 'i{n}', 0)",
                w.id
            ),
            Op::InsertAccount { owner } => format!(
                "INSERT INTO accounts (id, owner_id, note) VALUES ({}, {owner}, 'i{n}')",
                w.id
            ),
            Op::NoteAccount(v) => format!("UPDATE accounts SET note = '{v}' WHERE id = {}", w.id),
            Op::DeleteAccount => format!("DELETE FROM accounts WHERE id = {}", w.id),
            Op::InsertEntry { account, amount } => format!(
                "INSERT INTO entries (id, account_id, amount, memo) VALUES ({}, {account}, {amount}, 'e{n}')",
                w.id
            ),
            Op::MemoEntry(v) => format!("UPDATE entries SET memo = '{v}' WHERE id = {}", w.id),
            Op::DeleteEntry => format!("DELETE FROM entries WHERE id = {}", w.id),
        };
        let c = conn.as_mut().expect("connected");
        match tokio::time::timeout(Duration::from_secs(30), c.exec(&sql)).await {
            Ok(Ok(_)) => w.certain = true,
            // the outcome is unknown; a broken connection is replaced
            Ok(Err(_)) | Err(_) => conn = None,
        }
        done.push(w);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    done
}

// ---------------------------------------------------------------------------------------
// Expected data

type Rows = BTreeMap<i64, Vec<Option<String>>>;

fn keyed(rows: Vec<Vec<Option<String>>>) -> Rows {
    rows.into_iter()
        .map(|r| {
            let id = r[0].as_deref().and_then(|s| s.parse().ok()).expect("id");
            (id, r)
        })
        .collect()
}

/// What `w` makes of its row (`None`: no row), on the accounts or entries shape `after`.
fn written(
    w: &Write,
    before: Option<&Vec<Option<String>>>,
    after: bool,
) -> Option<Vec<Option<String>>> {
    let s = |v: &str| Some(v.to_owned());
    match &w.op {
        Op::InsertAccount { owner } => {
            let n = w.id - NEW_IDS;
            let mut r = vec![
                s(&w.id.to_string()),
                s(&owner.to_string()),
                None,
                None,
                s(&format!("i{n}")),
            ];
            if after {
                r.push(s("0"));
            }
            Some(r)
        }
        Op::InsertEntry { account, amount } => {
            let n = w.id - NEW_IDS;
            Some(vec![
                s(&w.id.to_string()),
                s(&account.to_string()),
                s(&amount.to_string()),
                s(&format!("e{n}")),
            ])
        }
        // `note` is the fifth column of `accounts` in both shapes, `memo` the fourth of `entries`
        Op::NoteAccount(v) => before.map(|r| {
            let mut r = r.clone();
            r[4] = s(v);
            r
        }),
        Op::MemoEntry(v) => before.map(|r| {
            let mut r = r.clone();
            r[3] = s(v);
            r
        }),
        Op::DeleteAccount | Op::DeleteEntry => None,
    }
}

fn is_account(op: &Op) -> bool {
    matches!(
        op,
        Op::InsertAccount { .. } | Op::NoteAccount(_) | Op::DeleteAccount
    )
}

/// The rows expected from `base` (the reference's) and the load's writes, each uncertain
/// write resolved by the row `actual` has. Returns the differences (at most a few).
fn compare(
    table: &str,
    base: &Rows,
    writes: &[Write],
    accounts: bool,
    after: bool,
    actual: &Rows,
) -> Vec<String> {
    let mut expected = base.clone();
    for w in writes.iter().filter(|w| is_account(&w.op) == accounts) {
        let with = written(w, base.get(&w.id), after);
        let without = base.get(&w.id).cloned();
        let take = w.certain || actual.get(&w.id) == with.as_ref();
        let row = if take { with } else { without };
        match row {
            Some(r) => expected.insert(w.id, r),
            None => expected.remove(&w.id),
        };
    }
    let mut diffs = Vec::new();
    let ids: BTreeSet<&i64> = expected.keys().chain(actual.keys()).collect();
    for id in ids {
        let (e, a) = (expected.get(id), actual.get(id));
        if e != a {
            diffs.push(format!("{table} id {id}: expected {e:?}, found {a:?}"));
            if diffs.len() >= 5 {
                break;
            }
        }
    }
    diffs
}

fn checksum(rows: &Rows) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for r in rows.values() {
        for c in r {
            h.update(c.as_deref().unwrap_or("\u{2205}").as_bytes());
            h.update(b"|");
        }
        h.update(b"\n");
    }
    hex::encode(&h.finalize()[..8])
}

// ---------------------------------------------------------------------------------------
// The project and the reference run

/// A server the suite runs on: the shared one, or a private one it may crash.
pub struct Server {
    pub dialect: Dialect,
    pub admin: String,
    pub private: Option<Private>,
}

impl Server {
    pub fn shared(d: Dialect) -> Server {
        Server {
            dialect: d,
            admin: admin_url(d),
            private: None,
        }
    }

    /// A private server; `None` when its programs are not installed.
    pub fn private(d: Dialect) -> Option<Server> {
        let p = Private::start(d)?;
        Some(Server {
            dialect: d,
            admin: p.admin_url(),
            private: Some(p),
        })
    }

    /// A scratch database on this server.
    pub fn scratch(&self) -> Scratch {
        match &self.private {
            Some(Private::Mariadb(m)) => Scratch::on_private_mariadb(&self.admin, &m.data()),
            _ => Scratch::on(self.dialect, &self.admin),
        }
    }
}

/// The migrations directory (planned once) and what the undisturbed run leaves.
pub struct Suite {
    d: Dialect,
    size: Size,
    project: tempfile::TempDir,
    before: Reference,
    after: Reference,
    /// How long the undisturbed sequence took.
    took: Duration,
}

#[derive(Debug)]
struct Reference {
    snapshot: sluice::run::snapshot::Snapshot,
    accounts: Rows,
    entries: Rows,
    /// `_sluice*` tables and columns left (soft drops are kept until purge).
    leftovers: Vec<String>,
}

fn config(d: Dialect) -> String {
    let head = match d {
        Dialect::Postgres => String::new(),
        Dialect::Mysql => {
            "dialect = \"mysql\"\nflavour = \"mariadb\"\nserver_version = \"10.11\"\n".into()
        }
    };
    format!(
        "{head}[run]\nlock_timeout = \"2s\"\nshadow_batch_time = \"50ms\"\nosc_chunk_time = \"50ms\"\n"
    )
}

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what}: {r:?}");
}

/// The sequence's steps: the arguments and the exit code that means done.
fn steps() -> [(Vec<&'static str>, i32); 3] {
    [
        (
            vec![
                "apply",
                "migrations",
                "--phase",
                "all",
                "--release",
                RELEASE,
            ],
            3,
        ),
        (vec!["rollout", "complete", "--release", RELEASE], 0),
        (
            vec![
                "apply",
                "migrations",
                "--phase",
                "all",
                "--release",
                RELEASE,
            ],
            0,
        ),
    ]
}

impl Suite {
    /// Plan the change set and run it undisturbed once on `server`.
    pub fn new(server: &Server, size: Size) -> Suite {
        Suite::with_copy(server, size, true)
    }

    /// `copy` false: without the table copy of `entries` (the tests that cut the change's
    /// own phases need no copy; it is the slow part of a MariaDB run).
    pub fn with_copy(server: &Server, size: Size, copy: bool) -> Suite {
        let d = server.dialect;
        let (copy_up, copy_down) = copy_change(d);
        let copy_up_path = format!("migrations/{COPY}_entries/expand.up.sql");
        let copy_down_path = format!("migrations/{COPY}_entries/expand.down.sql");
        let init_up_path = format!("migrations/{INIT}_init/expand.up.sql");
        let init_down_path = format!("migrations/{INIT}_init/expand.down.sql");
        let naive_init = format!("naive/{INIT}_init.sql");
        let naive = format!("naive/{CHANGE}_change.sql");
        let config = config(d);
        let mut files: Vec<(&str, &str)> = vec![
            ("sluice.toml", &config),
            (&init_up_path, INIT_UP),
            (&init_down_path, INIT_DOWN),
            (&naive_init, INIT_UP),
            (&naive, naive_change(d)),
        ];
        if copy {
            files.push((&copy_up_path, copy_up));
            files.push((&copy_down_path, copy_down));
        }
        let project = tree(&files);
        let s = server.scratch();
        let plan = run(s.migrate(project.path()).args([
            "plan",
            &format!("naive/{CHANGE}_change.sql"),
            "--out",
            &format!("migrations/{CHANGE}_change"),
        ]));
        ok(&plan, "migrate plan");
        let mut suite = Suite {
            d,
            size,
            project,
            before: Reference::empty(),
            after: Reference::empty(),
            took: Duration::ZERO,
        };
        suite.prepare(&s);
        suite.before = suite.reference(&s, false);
        let started = Instant::now();
        for (args, code) in steps() {
            let r = run(s.migrate(suite.project.path()).args(&args));
            assert_eq!(r.code, code, "undisturbed {args:?}: {r:?}");
        }
        suite.took = started.elapsed();
        suite.after = suite.reference(&s, true);
        eprintln!(
            "{d:?}: the undisturbed sequence took {:.1} s; accounts {} entries {}",
            suite.took.as_secs_f64(),
            checksum(&suite.after.accounts),
            checksum(&suite.after.entries)
        );
        suite
    }

    fn dir(&self) -> &Path {
        self.project.path()
    }

    /// Tables, rows, baseline.
    fn prepare(&self, s: &Scratch) {
        s.exec(&schema_sql(self.d, self.size.accounts, self.size.entries));
        ok(
            &run(s
                .migrate(self.dir())
                .args(["baseline", INIT, "--dir", "migrations"])),
            "baseline",
        );
    }

    fn reference(&self, s: &Scratch, after: bool) -> Reference {
        let d = self.d;
        let url = s.url.clone();
        let accounts_cols: &[&str] = if after {
            &ACCOUNTS_AFTER
        } else {
            &ACCOUNTS_BEFORE
        };
        let (accounts, entries, leftovers) = super::block_on(async move {
            let mut c = Conn::connect(d, &url).await.unwrap();
            let a = keyed(
                c.rows(&rows_sql(d, "accounts", accounts_cols))
                    .await
                    .unwrap(),
            );
            let e = keyed(c.rows(&rows_sql(d, "entries", &ENTRIES)).await.unwrap());
            let l = leftovers(&mut c, d).await.unwrap();
            (a, e, l)
        });
        Reference {
            snapshot: snapshot(s),
            accounts,
            entries,
            leftovers,
        }
    }

    /// Runs of `fault` on `server`, half recovered forward, half rolled back.
    pub fn runs(&self, server: &mut Server, fault: Fault) -> Report {
        let mut report = Report::default();
        for i in 0..self.size.runs {
            let rollback = i % 2 == 1;
            let started = Instant::now();
            let r = self.one(server, fault, rollback);
            report.runs += 1;
            // each run's outcome as it ends: a long run cut short still says what it saw
            let verdict = match &r {
                Ok(recovery) => format!("recovered in {:.1} s", recovery.as_secs_f64()),
                Err(e) => format!("NOT RECOVERED: {e}"),
            };
            match r {
                Ok(recovery) => {
                    report.recovered += 1;
                    if rollback {
                        report.rolled_back += 1;
                    }
                    report.longest_recovery = report.longest_recovery.max(recovery);
                }
                Err(e) => {
                    report.manual_steps += 1;
                    report.failures.push(format!(
                        "run {i} ({}): {e}",
                        if rollback { "rollback" } else { "apply" }
                    ));
                }
            }
            eprintln!(
                "{:?} {} run {}/{} ({}) in {:.1} s: {verdict}",
                self.d,
                fault.name(),
                i + 1,
                self.size.runs,
                if rollback { "rollback" } else { "apply" },
                started.elapsed().as_secs_f64()
            );
        }
        eprintln!(
            "FAULTS {:?} {}: runs {}, recovered {} ({} by rollback), longest recovery {:.1} s, manual steps {}",
            self.d,
            fault.name(),
            report.runs,
            report.recovered,
            report.rolled_back,
            report.longest_recovery.as_secs_f64(),
            report.manual_steps
        );
        for f in &report.failures {
            match KNOWN.iter().find(|(p, _)| f.contains(p)) {
                Some((_, cause)) => eprintln!("  known runner bug ({cause}): {f}"),
                None => eprintln!("  {f}"),
            }
        }
        report
    }

    /// One run: load, the sequence with a fault at a random moment, recovery, checks. The
    /// recovery's duration (from the fault to the recovered state), or what went wrong.
    fn one(&self, server: &mut Server, fault: Fault, rollback: bool) -> Result<Duration, String> {
        let d = self.d;
        let s = server.scratch();
        self.prepare(&s);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let load = rt.block_on(async { Load::start(d, &s.url, self.size, 2) });
        std::thread::sleep(Duration::from_millis(200));
        // a moment in the undisturbed run's span (under load it runs longer: a fault lands
        // in every step)
        let at = self.took.mul_f64(rand::random_range(0.02..1.0));
        let steps = steps();
        let mut step = 0;
        let mut fault_at: Option<Instant> = None;
        let mut outcome = String::new();
        let started = Instant::now();
        while step < steps.len() {
            let (args, code) = &steps[step];
            let mut child = spawn(&s, self.dir(), args);
            let exit = loop {
                if let Some(st) = child.try_wait().unwrap() {
                    break st.code().unwrap_or(-9);
                }
                if fault_at.is_none() && started.elapsed() >= at {
                    let landed = match fault {
                        Fault::RunnerKill => {
                            let _ = child.kill();
                            true
                        }
                        Fault::ServerRestart => {
                            server
                                .private
                                .as_mut()
                                .expect("a private server")
                                .crash_restart();
                            true
                        }
                        Fault::ConnectionKill => {
                            let sessions = load.sessions.lock().unwrap().clone();
                            rt.block_on(kill_sessions(d, &server.admin, &s.name, &sessions)) > 0
                        }
                    };
                    if landed {
                        fault_at = Some(Instant::now());
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            let out = read_output(child);
            if exit == *code {
                if step == 0 {
                    load.mode.store(MODE_NEW, Ordering::SeqCst);
                }
                step += 1;
                continue;
            }
            if fault_at.is_none() {
                return Err(format!(
                    "`migrate {}` exited {exit} with no fault: {out}",
                    args.join(" ")
                ));
            }
            outcome = format!(
                "step {} `migrate {}` exited {exit} after the fault",
                step + 1,
                args.join(" ")
            );
            // the fault interrupted this step: recover
            break;
        }
        if fault_at.is_none() {
            // the sequence ended before the moment came: the fault lands on a finished run
            fault_at = Some(Instant::now());
            if fault == Fault::ServerRestart {
                server
                    .private
                    .as_mut()
                    .expect("a private server")
                    .crash_restart();
            }
        }
        let fault_at = fault_at.expect("set");
        let result = if rollback {
            load.mode.store(MODE_EITHER, Ordering::SeqCst);
            let r = run(s
                .migrate(self.dir())
                .args(["rollback", "migrations", "--to", INIT]));
            if r.code == 0 {
                Ok(())
            } else {
                Err(format!(
                    "{outcome}; `migrate rollback --to {INIT}` exited {}: {}{}",
                    r.code, r.stdout, r.stderr
                ))
            }
        } else {
            let mut res = Ok(());
            for (args, code) in &steps[step.min(steps.len())..] {
                let r = run(s.migrate(self.dir()).args(args));
                if r.code != *code {
                    res = Err(format!(
                        "{outcome}; re-running `migrate {}` exited {}: {}{}",
                        args.join(" "),
                        r.code,
                        r.stdout,
                        r.stderr
                    ));
                    break;
                }
                if args[0] == "apply" && *code == 3 {
                    load.mode.store(MODE_NEW, Ordering::SeqCst);
                }
            }
            res
        };
        let recovery = fault_at.elapsed();
        let writes = rt.block_on(load.finish());
        result?;
        self.check(&s, &writes, rollback)
            .map_err(|e| format!("{outcome}; recovered, but: {e}"))?;
        Ok(recovery)
    }

    /// The recovered database against the reference.
    fn check(&self, s: &Scratch, writes: &[Write], rolled_back: bool) -> Result<(), String> {
        let d = self.d;
        let reference = if rolled_back {
            &self.before
        } else {
            &self.after
        };
        let mut problems = Vec::new();
        let diff = sluice::run::snapshot::diff(&reference.snapshot, &snapshot(s));
        if !diff.is_empty() {
            problems.push(format!("schema differs from the reference: {diff:?}"));
        }
        let url = s.url.clone();
        let accounts_cols: &[&str] = if rolled_back {
            &ACCOUNTS_BEFORE
        } else {
            &ACCOUNTS_AFTER
        };
        let (accounts, entries, leftovers, invalid) = super::block_on(async move {
            let mut c = Conn::connect(d, &url).await.unwrap();
            let a = keyed(
                c.rows(&rows_sql(d, "accounts", accounts_cols))
                    .await
                    .unwrap(),
            );
            let e = keyed(c.rows(&rows_sql(d, "entries", &ENTRIES)).await.unwrap());
            let l = leftovers(&mut c, d).await.unwrap();
            let invalid = match d {
                Dialect::Postgres => c
                    .strings("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid")
                    .await
                    .unwrap(),
                Dialect::Mysql => Vec::new(),
            };
            (a, e, l, invalid)
        });
        problems.extend(compare(
            "accounts",
            &reference.accounts,
            writes,
            true,
            !rolled_back,
            &accounts,
        ));
        problems.extend(compare(
            "entries",
            &reference.entries,
            writes,
            false,
            !rolled_back,
            &entries,
        ));
        if !invalid.is_empty() {
            problems.push(format!("INVALID indexes: {invalid:?}"));
        }
        // rolling back a table copy copies the table back: the replaced one stays
        // soft-dropped until `migrate purge`, as after any table copy
        let leftovers: Vec<String> = leftovers
            .into_iter()
            .filter(|l| !(rolled_back && l.starts_with("table _sluice_dropped_entries_")))
            .collect();
        if leftovers != reference.leftovers {
            problems.push(format!(
                "Sluice's objects: {leftovers:?}, the reference has {:?}",
                reference.leftovers
            ));
        }
        // no lock left: a further apply takes it at once; the ledger says it all
        let again = run(s.migrate(self.dir()).args(if rolled_back {
            vec!["status", "migrations"]
        } else {
            vec!["apply", "migrations", "--phase", "all", "--lock-wait", "1s"]
        }));
        if again.code != 0 {
            problems.push(format!("afterwards: {again:?}"));
        }
        let st = states(&status_json(s, &self.dir().join("migrations")));
        let want = if rolled_back { "pending" } else { "applied" };
        let wrong: Vec<&String> = st
            .iter()
            .filter(|l| !l.starts_with(INIT) && !l.ends_with(want))
            .collect();
        if !wrong.is_empty() {
            problems.push(format!("`migrate status`: {st:?}"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// Where a deterministic interruption leaves the change's `phase`: its first `ran`
/// statements committed, `recorded` of them in the ledger (state `running`), as a SIGKILL
/// between a statement's commit and its progress write leaves it.
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    pub phase: &'static str,
    pub ran: usize,
    pub recorded: usize,
}

impl Suite {
    /// The statements of the change's planned `phase` up script, as the runner splits them.
    pub fn statements(&self, phase: &str) -> Vec<String> {
        let path = self
            .dir()
            .join(format!("migrations/{CHANGE}_change/{phase}.up.sql"));
        let text = std::fs::read_to_string(&path).unwrap();
        sluice::source::split::split(
            &text,
            sluice::source::split::SplitOptions::new(self.d, false),
        )
        .into_iter()
        .filter(|c| !c.delimiter_command)
        .filter_map(|c| c.stmt.filter(|r| !r.is_empty()))
        .map(|r| text[r].to_owned())
        .collect()
    }

    /// Every cut of `phase` a kill can leave: after each statement, committed but not
    /// recorded (inside a MySQL `LOCK TABLES` block the progress waits for `UNLOCK`; a
    /// PostgreSQL `BEGIN .. COMMIT` block commits with its progress, so it is never cut).
    pub fn cuts(&self, phase: &'static str) -> Vec<Cut> {
        let stmts = self.statements(phase);
        let upper = |s: &str| s.trim_start().to_ascii_uppercase();
        let mut out = Vec::new();
        let mut open: Option<usize> = None;
        for (i, st) in stmts.iter().enumerate() {
            let u = upper(st);
            let opens = u.starts_with("LOCK TABLES") || u.starts_with("BEGIN");
            if opens {
                open = Some(i);
            }
            let closes = u.starts_with("UNLOCK TABLES") || u.starts_with("COMMIT");
            let recorded = match open {
                Some(b) if self.d == Dialect::Mysql && u.starts_with("UNLOCK") => b,
                Some(b) if !closes => {
                    if self.d == Dialect::Postgres {
                        continue;
                    }
                    b
                }
                // a PostgreSQL block's COMMIT carries its progress
                Some(_) if self.d == Dialect::Postgres => i + 1,
                _ => i,
            };
            if closes {
                open = None;
            }
            out.push(Cut {
                phase,
                ran: i + 1,
                recorded,
            });
        }
        out
    }

    /// One run cut at `cut` (no load: the state is made by hand), then recovered forward
    /// (`rollback` false) or rolled back; checked as a fault run is.
    pub fn recover_from(&self, server: &Server, cut: Cut, rollback: bool) -> Result<(), String> {
        let d = self.d;
        let s = server.scratch();
        self.prepare(&s);
        let steps = steps();
        let rest = if cut.phase == "contract" {
            for (args, code) in &steps[..2] {
                let r = run(s.migrate(self.dir()).args(args));
                assert_eq!(r.code, *code, "{args:?}: {r:?}");
            }
            &steps[2..]
        } else {
            &steps[..]
        };
        let stmts = self.statements(cut.phase);
        let down = std::fs::read_to_string(
            self.dir()
                .join(format!("migrations/{CHANGE}_change/{}.down.sql", cut.phase)),
        )
        .unwrap();
        let (ledger, lit): (&str, fn(&str) -> String) = match d {
            Dialect::Postgres => ("sluice_migrations", |v| {
                format!("'{}'", v.replace('\'', "''"))
            }),
            Dialect::Mysql => ("sluice_migrations", |v| {
                format!("'{}'", v.replace('\\', "\\\\").replace('\'', "''"))
            }),
        };
        let row = format!(
            "INSERT INTO {ledger} (version, phase, name, checksum, state, statements_done, statements_total, started_at, down_sql, applied_by) \
             VALUES ('{CHANGE}', '{}', 'change', 'x', 'running', {}, {}, CURRENT_TIMESTAMP, {}, 'test')",
            cut.phase,
            cut.recorded,
            stmts.len(),
            lit(&down)
        );
        let url = s.url.clone();
        let ran = stmts[..cut.ran].to_vec();
        super::block_on(async move {
            // one session, as the runner's (its LOCK TABLES ends with it)
            let mut c = Conn::connect(d, &url).await.unwrap();
            for st in &ran {
                c.exec(st).await.unwrap_or_else(|e| panic!("{st}: {e}"));
            }
            let mut c = Conn::connect(d, &url).await.unwrap();
            c.exec(&row).await.unwrap();
        });
        let what = format!(
            "{} cut after statement {} of {} ({} recorded)",
            cut.phase,
            cut.ran,
            stmts.len(),
            cut.recorded
        );
        self.recover_and_check(&s, &what, rollback, rest)
    }
}

impl Suite {
    /// One run whose first step is killed (SIGKILL) as soon as the table copy of `entries`
    /// has begun (PostgreSQL: the shadow table exists; MariaDB: pt-online-schema-change's
    /// `_entries_new`), then recovered forward or rolled back and checked. `Ok(false)`: the
    /// step ended before the copy was seen (nothing was killed).
    pub fn killed_in_copy(&self, server: &Server, rollback: bool) -> Result<bool, String> {
        let d = self.d;
        let s = server.scratch();
        self.prepare(&s);
        let steps = steps();
        let probe = match d {
            Dialect::Postgres => {
                "SELECT relname::text FROM pg_class WHERE relname = '_sluice_shadow_entries'"
            }
            Dialect::Mysql => {
                "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '_entries_new'"
            }
        };
        let url = s.url.clone();
        let mut child = spawn(&s, self.dir(), &steps[0].0);
        let killed = super::block_on(async move {
            let mut c = Conn::connect(d, &url).await.unwrap();
            loop {
                if child.try_wait().unwrap().is_some() {
                    return false;
                }
                if !c.strings(probe).await.unwrap_or_default().is_empty() {
                    let _ = child.kill();
                    let _ = child.wait();
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        let what = format!("killed {} the copy", if killed { "in" } else { "after" });
        if rollback {
            let r = run(s
                .migrate(self.dir())
                .args(["rollback", "migrations", "--to", INIT]));
            if r.code != 0 {
                return Err(format!(
                    "{what}: rollback exited {}: {}{}",
                    r.code, r.stdout, r.stderr
                ));
            }
        } else if killed {
            for (args, code) in &steps {
                let r = run(s.migrate(self.dir()).args(args));
                if r.code != *code {
                    return Err(format!(
                        "{what}: `migrate {}` exited {}: {}{}",
                        args.join(" "),
                        r.code,
                        r.stdout,
                        r.stderr
                    ));
                }
            }
        } else {
            for (args, code) in &steps[1..] {
                let r = run(s.migrate(self.dir()).args(args));
                assert_eq!(r.code, *code, "{args:?}: {r:?}");
            }
        }
        self.check(&s, &[], rollback).map_err(|e| {
            format!(
                "{what}, {}: {e}",
                if rollback { "rolled back" } else { "applied" }
            )
        })?;
        Ok(killed)
    }
}

impl Suite {
    /// MariaDB: the table copy of `entries` interrupted right after pt-online-schema-change
    /// swapped the tables, before it dropped its triggers (now on `_entries_old`) and before
    /// the runner renamed `_entries_old` and recorded anything: the copy's ledger row is
    /// `state` with no statement done (`failed`: the tool's sessions were killed and it
    /// exited with an error; `running`: the runner was killed). Made by hand from a finished
    /// first step, then rolled back or applied again, and checked.
    pub fn pt_osc_swapped_not_recorded(
        &self,
        server: &Server,
        state: &str,
        rollback: bool,
    ) -> Result<(), String> {
        let s = server.scratch();
        self.prepare(&s);
        let steps = steps();
        let r = run(s.migrate(self.dir()).args(&steps[0].0));
        assert_eq!(r.code, steps[0].1, "{r:?}");
        let soft = format!("_sluice_dropped_entries_{COPY}");
        let db = &s.name;
        s.exec(&format!(
            "RENAME TABLE {soft} TO _entries_old;\n\
             CREATE TRIGGER pt_osc_{db}_entries_ins AFTER INSERT ON _entries_old FOR EACH ROW SET @sluice_test = 1;\n\
             CREATE TRIGGER pt_osc_{db}_entries_del AFTER DELETE ON _entries_old FOR EACH ROW SET @sluice_test = 1;\n\
             UPDATE sluice_migrations SET state = '{state}', statements_done = 0, finished_at = NULL \
             WHERE version = '{COPY}' AND phase = 'expand';\n"
        ));
        let what = format!("pt-osc swapped, copy `{state}` with nothing recorded");
        self.recover_and_check(&s, &what, rollback, &steps)
    }
}

impl Suite {
    /// Recover the interrupted state of `s`: `migrate rollback --to` the init, or the
    /// `steps` (arguments, expected exit code) in order; then check the result.
    fn recover_and_check(
        &self,
        s: &Scratch,
        what: &str,
        rollback: bool,
        steps: &[(Vec<&'static str>, i32)],
    ) -> Result<(), String> {
        if rollback {
            let r = run(s
                .migrate(self.dir())
                .args(["rollback", "migrations", "--to", INIT]));
            if r.code != 0 {
                return Err(format!(
                    "{what}: rollback exited {}: {}{}",
                    r.code, r.stdout, r.stderr
                ));
            }
        } else {
            for (args, code) in steps {
                let r = run(s.migrate(self.dir()).args(args));
                if r.code != *code {
                    return Err(format!(
                        "{what}: `migrate {}` exited {}: {}{}",
                        args.join(" "),
                        r.code,
                        r.stdout,
                        r.stderr
                    ));
                }
            }
        }
        self.check(s, &[], rollback).map_err(|e| {
            format!(
                "{what}, {}: {e}",
                if rollback { "rolled back" } else { "applied" }
            )
        })
    }
}

impl Reference {
    fn empty() -> Reference {
        Reference {
            snapshot: sluice::run::snapshot::Snapshot::default(),
            accounts: Rows::new(),
            entries: Rows::new(),
            leftovers: Vec::new(),
        }
    }
}

/// `_sluice*` tables and columns (a soft-dropped table counts once), the table copy tools'
/// tables, and advisory locks held on the database.
async fn leftovers(c: &mut Conn, d: Dialect) -> Result<Vec<String>, sqlx::Error> {
    let sql = match d {
        Dialect::Postgres => {
            "SELECT 'table ' || table_name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name LIKE '\\_sluice%' \
             UNION ALL SELECT 'column ' || table_name || '.' || column_name FROM information_schema.columns \
             WHERE table_schema = 'public' AND column_name LIKE '\\_sluice%' AND table_name NOT LIKE '\\_sluice%' \
             UNION ALL SELECT 'lock ' || objid::text FROM pg_locks l JOIN pg_database db ON db.oid = l.database \
             WHERE l.locktype = 'advisory' AND db.datname = current_database()"
        }
        Dialect::Mysql => {
            "SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND (TABLE_NAME LIKE '\\_sluice%' OR TABLE_NAME LIKE '\\_%\\_new' OR TABLE_NAME LIKE '\\_%\\_old') \
             UNION ALL SELECT CONCAT('column ', TABLE_NAME, '.', COLUMN_NAME) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME LIKE '\\_sluice%' AND TABLE_NAME NOT LIKE '\\_sluice%'"
        }
    };
    let mut all = c.strings(sql).await?;
    all.sort();
    Ok(all)
}

fn spawn(s: &Scratch, dir: &Path, args: &[&str]) -> Child {
    s.migrate(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn read_output(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    let tail = |b: &[u8]| {
        let s = String::from_utf8_lossy(b);
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    };
    format!("{}\n{}", tail(&out.stdout), tail(&out.stderr))
}

/// Kill the sessions on database `db` that are neither the load's nor this one: the
/// runner's (and its tools'). How many.
async fn kill_sessions(d: Dialect, admin: &str, db: &str, load: &BTreeSet<i64>) -> usize {
    let Ok(mut c) = Conn::connect(d, admin).await else {
        return 0;
    };
    match d {
        Dialect::Postgres => c
            .strings(&format!(
                "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity \
                 WHERE datname = '{db}' AND pid <> pg_backend_pid() AND coalesce(application_name, '') <> '{LOAD_APP}'"
            ))
            .await
            .map_or(0, |v| v.len()),
        Dialect::Mysql => {
            let ids = c
                .strings(&format!(
                    "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE DB = '{db}' AND ID <> CONNECTION_ID()"
                ))
                .await
                .unwrap_or_default();
            let mut n = 0;
            for id in ids.iter().filter_map(|i| i.parse::<i64>().ok()) {
                if !load.contains(&id) && c.exec(&format!("KILL CONNECTION {id}")).await.is_ok() {
                    n += 1;
                }
            }
            n
        }
    }
}

/// A statement a killed run left running is waited for by the next run, which, past
/// `--lock-wait`, stops without touching anything and names the session and how to stop it.
/// The stand-in: a session like the runner's (PostgreSQL: its `application_name`; MySQL: the
/// same user on the database, a DDL statement) that sleeps.
pub fn orphan_statement_is_waited_for(backend: Dialect) {
    let ok_run = |r: Run| assert_eq!(r.code, 0, "{r:?}");

    let s = Scratch::new(backend);
    s.exec("CREATE TABLE t (id int PRIMARY KEY)");
    let (url, sleep, seen) = match backend {
        Dialect::Postgres => (
            format!("{}?application_name=sluice", s.url),
            "SELECT pg_sleep({secs})",
            "SELECT pid::text FROM pg_stat_activity WHERE state = 'active' AND application_name = '{app}' AND query LIKE 'SELECT pg_sleep(%'",
        ),
        Dialect::Mysql => (
            s.url.clone(),
            "CREATE TABLE slow_{n} AS SELECT SLEEP({secs}) AS x",
            "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE 'CREATE TABLE slow%'",
        ),
    };
    let orphan = |url: &str, n: u32, secs: f64| {
        let app = url.split("application_name=").nth(1).unwrap_or("");
        let sql = sleep
            .replace("{n}", &n.to_string())
            .replace("{secs}", &secs.to_string());
        s.running(url, &sql, &seen.replace("{app}", app))
    };
    let dir = tree(&[
        ("m/1_x/expand.up.sql", "ALTER TABLE t ADD COLUMN x int;\n"),
        ("m/1_x/expand.down.sql", "ALTER TABLE t DROP COLUMN x;\n"),
        ("m/2_y/expand.up.sql", "ALTER TABLE t ADD COLUMN y int;\n"),
        ("m/2_y/expand.down.sql", "ALTER TABLE t DROP COLUMN y;\n"),
        ("m/3_z/expand.up.sql", "ALTER TABLE t ADD COLUMN z int;\n"),
        ("m/3_z/expand.down.sql", "ALTER TABLE t DROP COLUMN z;\n"),
    ]);
    let columns = || {
        s.strings(match backend {
            Dialect::Postgres => "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 't'",
            Dialect::Mysql => "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 't'",
        })
    };
    if backend == Dialect::Postgres {
        // another lock's run (a tenant's schema in this database) is not waited for
        let neighbour = format!("{}?application_name=sluice:tenant_b", s.url);
        let (sleeper, _) = orphan(&neighbour, 0, 1.5);
        let r = run(s
            .migrate(dir.path())
            .args(["-v", "apply", "m", "--to", "1"]));
        sleeper.join().unwrap();
        assert_eq!(r.code, 0, "{r:?}");
        assert!(!r.stderr.contains("earlier run"), "{r:?}");
    } else {
        ok_run(run(s.migrate(dir.path()).args(["apply", "m", "--to", "1"])));
    }
    // waited for, then applied
    let (sleeper, _) = orphan(&url, 1, 1.5);
    let t0 = Instant::now();
    let r = run(s
        .migrate(dir.path())
        .args(["-v", "apply", "m", "--to", "2"]));
    let took = t0.elapsed();
    sleeper.join().unwrap();
    assert_eq!(r.code, 0, "{backend:?}: {r:?}");
    assert!(
        r.stderr
            .contains("a statement of an earlier run still runs; waiting for it to end"),
        "{backend:?}: {r:?}"
    );
    assert!(
        took >= Duration::from_millis(800),
        "{backend:?}: {took:?} {r:?}"
    );
    assert_eq!(columns(), ["3"], "{backend:?}");
    // past --lock-wait: nothing runs, and the way out names the session
    let (sleeper, id) = orphan(&url, 2, 3.0);
    let r = run(s
        .migrate(dir.path())
        .args(["apply", "m", "--lock-wait", "300ms"]));
    sleeper.join().unwrap();
    let cancel = match backend {
        Dialect::Postgres => format!("SELECT pg_cancel_backend({id})"),
        Dialect::Mysql => format!("KILL QUERY {id}"),
    };
    assert_ne!(r.code, 0, "{backend:?}: {r:?}");
    assert!(
        r.stderr
            .contains("a statement of an earlier run still runs on the server")
            && r.stderr.contains(&cancel),
        "{backend:?}: {r:?}"
    );
    assert_eq!(columns(), ["3"], "{backend:?}");
    assert_eq!(
        s.strings("SELECT CONCAT(version, ' ', state) FROM sluice_migrations ORDER BY version"),
        ["1 applied", "2 applied"],
        "{backend:?}"
    );
}
