//! `micrograd grad` (not implemented yet).

/// Arguments of `micrograd grad`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`micrograd grad` is not implemented yet")
}
