//! Sluice: zero-downtime database migrations by construction.
//!
//! This package is the `migrate` command: arguments, `sluice.toml` resolved into typed
//! settings, rendering and exit codes. The work is done by the workspace's libraries, re-exported
//! here under their module names. See `ARCHITECTURE.md` for the code map and the invariants.

// the one module that writes to the terminal (ARCHITECTURE.md: only the CLI prints)
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod cli;
pub mod config;

pub use sluice_core::{catalog, duration, names, source, sql};
pub use sluice_lint as lint;
pub use sluice_plan as plan;
pub use sluice_run as run;
pub use sluice_server as server;
