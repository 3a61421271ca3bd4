//! `micrograd train` (not implemented yet).

/// Arguments of `micrograd train`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`micrograd train` is not implemented yet")
}
