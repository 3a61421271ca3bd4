//! `micrograd gpt ...` (not implemented yet).

/// Subcommands of `micrograd gpt`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Not implemented yet.
    Todo,
}

/// Runs the command.
pub fn run(_cmd: Command) -> anyhow::Result<()> {
    anyhow::bail!("`micrograd gpt` is not implemented yet")
}
