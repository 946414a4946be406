//! The planner: turns a naive migration into expand / backfill / contract phases with downs.
//!
//! Pure: reads parsed statements and the schema catalog, returns files as text. No I/O.

pub mod names;
