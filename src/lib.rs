//! Sluice: zero-downtime database migrations by construction.
//!
//! See `ARCHITECTURE.md` for the code map and the invariants between modules.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod lint;
pub mod plan;
pub mod run;
pub mod server;
pub mod source;
pub mod sql;
