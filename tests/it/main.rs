//! The integration tests, one binary (one link) for all of them: each module is a former
//! `tests/<name>.rs`. Database tests use the servers of `DATABASE_URL_PG` / `DATABASE_URL_MYSQL`.

// figures and skipped-corpus notes go to the test's captured output
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod action;
mod architecture;
mod backfill;
mod child_env;
mod cli;
mod common;
mod corpora;
mod dockerfile;
mod dry_run;
mod edges_cli;
mod enforce;
mod examples;
mod faults_mysql;
mod faults_pg;
mod fleet_mysql;
mod fleet_pg;
mod gates;
mod generated;
mod git_change_set;
mod hooks_mysql;
mod hooks_pg;
mod job_mode_pg;
mod lint_milestones_pg;
mod lsp;
mod mysql_online_ddl;
mod plan_cli;
mod plan_layouts;
mod plan_mysql;
mod plan_pg;
mod pop_layout;
mod purge;
mod real_histories;
mod recovery;
mod rule_docs;
mod run_cli;
mod run_mysql;
mod run_pg;
mod sarif_schema;
mod schema_from;
mod secrets;
mod serve_edges_pg;
mod serve_pg;
mod shadow_table_pg;
mod snapshot;
mod split_props;
mod squawk_cases;
mod stored_programs;
mod strategies_mysql;
mod strategies_pg;
mod verify_mysql;
mod verify_pg;
