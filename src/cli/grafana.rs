//! `miband grafana` (not yet implemented).

/// Arguments of `miband grafana`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand; returns the process exit code.
pub fn run(_args: Args) -> anyhow::Result<i32> {
    anyhow::bail!("miband grafana is not implemented yet")
}
