//! `miband decode` (not yet implemented).

/// Arguments of `miband decode`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand; returns the process exit code.
pub fn run(_args: Args) -> anyhow::Result<i32> {
    anyhow::bail!("miband decode is not implemented yet")
}
