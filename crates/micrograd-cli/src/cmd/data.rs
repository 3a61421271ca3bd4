//! `micrograd data ...` (not implemented yet).

/// Subcommands of `micrograd data`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Not implemented yet.
    Todo,
}

/// Runs the command.
pub fn run(_cmd: Command) -> anyhow::Result<()> {
    anyhow::bail!("`micrograd data` is not implemented yet")
}
