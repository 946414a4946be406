//! `migrate rules` and `migrate explain`.

use clap::{Args, ValueEnum};

use crate::config::unknown_rule_message;
use crate::lint::registry;
use crate::lint::rule::{DefaultLevel, PhaseScope};

use super::exit;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule id (or a squawk alias).
    rule: String,
}

pub fn list(args: &RulesArgs) -> anyhow::Result<u8> {
    let rules = registry::all();
    match args.format {
        ListFormat::Json => {
            let metas: Vec<_> = rules.iter().map(|r| r.meta()).collect();
            println!("{}", serde_json::to_string_pretty(&metas)?);
        }
        ListFormat::Human => {
            let width = rules.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
            for r in rules {
                let m = r.meta();
                let level = match m.default {
                    DefaultLevel::Error => "error",
                    DefaultLevel::Warning => "warning",
                    DefaultLevel::OptIn => "opt-in",
                };
                let phase = match m.phase {
                    PhaseScope::Any => "any",
                    PhaseScope::ContractOnly => "contract-only",
                };
                println!("{:width$}  {level:7}  {phase:13}  {}", m.id, m.summary);
            }
        }
    }
    Ok(exit::OK)
}

pub fn explain(args: &ExplainArgs) -> anyhow::Result<u8> {
    match registry::lookup(&args.rule) {
        Some(r) => {
            print!("{}", r.meta().doc);
            Ok(exit::OK)
        }
        None => anyhow::bail!("{}", unknown_rule_message(&args.rule)),
    }
}
