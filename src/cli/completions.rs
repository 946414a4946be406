//! `migrate completions SHELL`, and the man pages: both generated from the clap command
//! definition. The repository keeps generated copies (`completions/`, `docs/man/`) for
//! packagers; `tests/it/generated.rs` checks they are current.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, exit};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<u8> {
    use std::io::Write;
    std::io::stdout().write_all(&script(args.shell))?;
    Ok(exit::OK)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "migrate", &mut out);
    out
}

/// The file a shell loads completions from, as packagers install it.
pub fn file_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "migrate.bash",
        Shell::Zsh => "_migrate",
        Shell::Fish => "migrate.fish",
        Shell::PowerShell => "_migrate.ps1",
        Shell::Elvish => "migrate.elv",
        _ => "migrate.completion",
    }
}

/// Every man page, `(file name, roff)`: `migrate.1` and one per visible subcommand
/// (`migrate-lint.1`, `migrate-hook-pre-deploy.1`, ...), sorted by name. Like
/// `clap_mangen::generate_to`, in memory.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, out);
        }
        let man = clap_mangen::Man::new(cmd.clone());
        let mut roff = Vec::new();
        man.render(&mut roff)
            .expect("writing to memory cannot fail");
        out.push((man.get_filename(), roff));
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, &mut out);
    out.sort();
    out
}
