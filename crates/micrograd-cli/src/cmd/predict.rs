//! `micrograd predict` (not implemented yet).

/// Arguments of `micrograd predict`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`micrograd predict` is not implemented yet")
}
