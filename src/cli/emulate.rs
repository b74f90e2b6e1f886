//! `miband emulate` (not yet implemented).

/// Arguments of `miband emulate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand; returns the process exit code.
pub fn run(_args: Args) -> anyhow::Result<i32> {
    anyhow::bail!("miband emulate is not implemented yet")
}
