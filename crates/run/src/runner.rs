//! [`Runner`]: what the HTTP server (and any other long-lived caller) needs of the engine,
//! as a trait object: `Arc<dyn Runner>` is an [`Engine`] in production and a fake in the
//! server's handler tests, which then need no database.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use sluice_core::source::Migration;

use super::{ApplyOutcome, ApplyRequest, DeployOutcome, Engine, RunError, StatusReport};

/// A boxed, `Send` future of a runner result.
pub type RunFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, RunError>> + Send + 'a>>;

pub trait Runner: Send + Sync {
    /// Expand, then the backfills, for `release`, once (`Engine::pre_deploy`).
    fn pre_deploy<'a>(
        &'a self,
        m: &'a [Migration],
        release: &'a str,
    ) -> RunFuture<'a, DeployOutcome>;
    /// Record the rollout, then contract (`Engine::post_deploy`).
    fn post_deploy<'a>(
        &'a self,
        m: &'a [Migration],
        release: &'a str,
        source: &'a str,
    ) -> RunFuture<'a, DeployOutcome>;
    fn apply<'a>(
        &'a self,
        m: &'a [Migration],
        req: &'a ApplyRequest,
    ) -> RunFuture<'a, ApplyOutcome>;
    fn status<'a>(&'a self, m: &'a [Migration]) -> RunFuture<'a, StatusReport>;
    /// The database answers and the ledger reads.
    fn ready(&self) -> RunFuture<'_, ()>;
    /// Set it to stop runs at their next safe point (`Engine::stopper`).
    fn stopper(&self) -> Arc<AtomicBool>;
}

impl Runner for Engine {
    fn pre_deploy<'a>(
        &'a self,
        m: &'a [Migration],
        release: &'a str,
    ) -> RunFuture<'a, DeployOutcome> {
        Box::pin(Engine::pre_deploy(self, m, release))
    }

    fn post_deploy<'a>(
        &'a self,
        m: &'a [Migration],
        release: &'a str,
        source: &'a str,
    ) -> RunFuture<'a, DeployOutcome> {
        Box::pin(Engine::post_deploy(self, m, release, source))
    }

    fn apply<'a>(
        &'a self,
        m: &'a [Migration],
        req: &'a ApplyRequest,
    ) -> RunFuture<'a, ApplyOutcome> {
        Box::pin(Engine::apply(self, m, req))
    }

    fn status<'a>(&'a self, m: &'a [Migration]) -> RunFuture<'a, StatusReport> {
        Box::pin(Engine::status(self, m))
    }

    fn ready(&self) -> RunFuture<'_, ()> {
        Box::pin(Engine::ready(self))
    }

    fn stopper(&self) -> Arc<AtomicBool> {
        Engine::stopper(self)
    }
}
