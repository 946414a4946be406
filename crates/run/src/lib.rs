//! The runner: the one apply engine behind `migrate apply`, `rollback`, `status`,
//! `baseline`, `repair`, `rollout complete` (and later the HTTP server).
//!
//! Only this module opens database connections. It never prints: it emits `tracing`
//! events and returns values for the caller to render.
//!
//! - `engine/`: the [`Engine`] and its operations, one file each, around one executor.
//! - `model`, `settings`, `error`: what the engine is asked, how, and why it refused.
//! - `url`: `DATABASE_URL`, dialect from the scheme, redacted `Display`.
//! - `driver/`: each database's SQL ([`driver::Database`]) and connection
//!   ([`driver::Driver`]); `Transcript`, the dry run's connection.
//! - `facts`: what the live database is asked before deciding, one size rule.
//! - `ledger`: ledger rows and the SQL that writes them.
//! - `plan`: statements of a script; what to apply or roll back (pure).
//! - `lock`: the advisory lock, released on every exit path.
//! - `retry`: jittered back-off on lock timeouts.
//! - `strategies/`: online strategies (pure choices); `shadow`, `osc`: their executors.
//! - `backfill`: `backfill.toml` run in checkpointed key-range batches (`keyrange`, shared
//!   with the shadow-table copy).
//! - `purge`: soft-dropped objects dropped for real after a retention period.
//! - `snapshot`: the schema read from the catalogs, and a readable diff of two of them.
//! - `fleet/`: one change over many databases (or schemas) in waves, each target through
//!   its own [`Engine`]; shards meet at a wave barrier.
//! - `verify/`: `migrate verify`, every down and phase proven on a scratch database.

pub mod backfill;
mod backfill_batch;
mod backfill_dry;
mod batched_delete;
mod deploy;
pub mod driver;
mod engine;
mod error;
pub mod facts;
pub mod fleet;
pub mod gates;
pub mod hooks;
pub mod introspect;
mod keyrange;
pub mod ledger;
pub mod lock;
mod model;
mod osc;
mod plan;
pub mod process;
pub mod purge;
mod resume;
pub mod retry;
mod runner;
mod settings;
mod shadow;
pub mod snapshot;
pub mod strategies;
pub mod url;
pub mod verify;

pub use backfill::BackfillDone;
pub use deploy::DeployOutcome;
pub use engine::Engine;
pub use error::{Refusal, RunError};
pub use model::*;
pub use plan::script_checksum;
pub use runner::{RunFuture, Runner};
pub use settings::{Allow, AllowSource, OutOfOrder, Settings};
pub use sluice_core::duration::parse_duration;
