//! `micrograd demo` (not implemented yet).

/// Arguments of `micrograd demo`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`micrograd demo` is not implemented yet")
}
