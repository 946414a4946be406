//! Sluice's shared model, used by the linter, the planner and the runner alike: migration
//! files (`source`), SQL parsing and classification (`sql`), the schema catalog (`catalog`),
//! Sluice's own object names (`names`) and small parsers (`duration`, `redact`).
//!
//! Pure: reads files (`source`) but opens no connection and prints nothing.

pub mod catalog;
pub mod duration;
pub mod names;
pub mod redact;
pub mod source;
pub mod sql;
pub mod strategy;
