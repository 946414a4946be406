//! A [`Driver`] that records what it is asked to write instead of sending it, and answers
//! reads from a real connection (or with nothing): the executor runs a `--dry-run` on it, so
//! the dry run prints exactly what the live run sends, in order. [`Transcript::tee`] sends
//! too: a live run that also keeps the record (tests compare it with the dry run's).

use std::time::Duration;

use sluice_core::sql::ops::ObjName;

use super::{
    BackfillRow, Blocker, Database, Driver, Event, Fut, Ledger, LedgerRow, LiveColumn,
    ServerVersion, TableStats,
};

pub struct Transcript {
    db: &'static dyn Database,
    /// Reads go here; writes never do.
    reads: Option<Box<dyn Driver>>,
    sent: Vec<String>,
    /// Writes go to `reads` as well.
    tee: bool,
}

impl Transcript {
    /// `reads`: the connection that answers catalog and ledger reads (none: empty answers).
    pub fn new(db: &'static dyn Database, reads: Option<Box<dyn Driver>>) -> Transcript {
        Transcript {
            db,
            reads,
            sent: Vec::new(),
            tee: false,
        }
    }

    /// Send everything to `conn` and keep the record of what was written.
    pub fn tee(conn: Box<dyn Driver>) -> Transcript {
        Transcript {
            db: conn.db(),
            reads: Some(conn),
            sent: Vec::new(),
            tee: true,
        }
    }

    /// Record a line that is not SQL sent on this connection (a comment, a tool's command).
    pub fn note(&mut self, line: String) {
        self.sent.push(line);
    }
}

macro_rules! read {
    ($self:ident, $default:expr, |$c:ident| $call:expr) => {
        match $self.reads.as_mut() {
            Some($c) => $call,
            None => Box::pin(async move { Ok($default) }),
        }
    };
}

impl Driver for Transcript {
    fn db(&self) -> &'static dyn Database {
        self.db
    }

    fn session_id(&self) -> i64 {
        self.reads.as_ref().map_or(0, |c| c.session_id())
    }

    fn exec<'a>(&'a mut self, sql: &'a str) -> Fut<'a, ()> {
        self.sent.push(sql.to_owned());
        match self.reads.as_mut() {
            Some(c) if self.tee => c.exec(sql),
            _ => Box::pin(async { Ok(()) }),
        }
    }

    fn exec_count<'a>(&'a mut self, sql: &'a str) -> Fut<'a, u64> {
        self.sent.push(sql.to_owned());
        match self.reads.as_mut() {
            Some(c) if self.tee => c.exec_count(sql),
            _ => Box::pin(async { Ok(0) }),
        }
    }

    fn transcript(&mut self) -> Option<&mut Vec<String>> {
        // a tee is a live connection: the executor must not take it for a dry run
        (!self.tee).then_some(&mut self.sent)
    }

    fn take_sent(&mut self) -> Vec<String> {
        std::mem::take(&mut self.sent)
    }

    fn ledger_exists<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, bool> {
        read!(self, false, |c| c.ledger_exists(ledger))
    }

    fn read_rows<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<LedgerRow>> {
        read!(self, Vec::new(), |c| c.read_rows(ledger))
    }

    fn read_events<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Vec<Event>> {
        read!(self, Vec::new(), |c| c.read_events(ledger))
    }

    fn try_lock<'a>(&'a mut self, name: &'a str) -> Fut<'a, bool> {
        let _ = name;
        Box::pin(async { Ok(true) })
    }

    fn unlock<'a>(&'a mut self, name: &'a str) -> Fut<'a, ()> {
        let _ = name;
        Box::pin(async { Ok(()) })
    }

    fn lock_holder<'a>(&'a mut self, name: &'a str) -> Fut<'a, Option<i64>> {
        let _ = name;
        Box::pin(async { Ok(None) })
    }

    fn blockers(&mut self, session: i64) -> Fut<'_, Vec<Blocker>> {
        read!(self, Vec::new(), |c| c.blockers(session))
    }

    fn long_transactions(&mut self, age: Duration) -> Fut<'_, Vec<Blocker>> {
        read!(self, Vec::new(), |c| c.long_transactions(age))
    }

    fn invalid_index<'a>(&'a mut self, qualified: &'a str) -> Fut<'a, bool> {
        read!(self, false, |c| c.invalid_index(qualified))
    }

    fn close(self: Box<Self>) -> Fut<'static, ()> {
        match self.reads {
            Some(c) => c.close(),
            None => Box::pin(async { Ok(()) }),
        }
    }

    fn query_text<'a>(&'a mut self, sql: &'a str) -> Fut<'a, Vec<Vec<Option<String>>>> {
        read!(self, Vec::new(), |c| c.query_text(sql))
    }

    fn read_backfills<'a>(&'a mut self, ledger: &'a Ledger) -> Fut<'a, Option<Vec<BackfillRow>>> {
        read!(self, None, |c| c.read_backfills(ledger))
    }

    fn replication_lag(&mut self) -> Fut<'_, Option<Duration>> {
        read!(self, None, |c| c.replication_lag())
    }

    fn server_version(&mut self) -> Fut<'_, ServerVersion> {
        read!(self, ServerVersion::default(), |c| c.server_version())
    }

    fn current_database(&mut self) -> Fut<'_, String> {
        read!(self, String::new(), |c| c.current_database())
    }

    fn table_stats<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Option<TableStats>> {
        read!(self, None, |c| c.table_stats(t))
    }

    fn count_rows<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, u64> {
        read!(self, 0, |c| c.count_rows(t))
    }

    fn columns<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<LiveColumn>> {
        read!(self, Vec::new(), |c| c.columns(t))
    }

    fn primary_key<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        read!(self, Vec::new(), |c| c.primary_key(t))
    }

    fn referencing<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        read!(self, Vec::new(), |c| c.referencing(t))
    }

    fn self_references<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        read!(self, Vec::new(), |c| c.self_references(t))
    }

    fn table_defaults<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Option<(String, String)>> {
        read!(self, None, |c| c.table_defaults(t))
    }

    fn copy_refusals<'a>(&'a mut self, t: &'a ObjName) -> Fut<'a, Vec<String>> {
        read!(self, Vec::new(), |c| c.copy_refusals(t))
    }

    fn extension_available<'a>(&'a mut self, name: &'a str) -> Fut<'a, bool> {
        read!(self, false, |c| c.extension_available(name))
    }
}
