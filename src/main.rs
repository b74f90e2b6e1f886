//! `miband`: one binary with a subcommand per tool.

use clap::{Parser, Subcommand};
use miband::cli;

#[derive(Debug, Parser)]
#[command(
    name = "miband",
    version,
    about = "Self-hosted toolkit for Xiaomi Mi Band 4/5"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Collect data from bands into PostgreSQL and serve live values to Prometheus.
    Collect(cli::collect::Args),
    /// Provision Grafana: datasources, dashboards, MagicMirror config.
    Grafana(cli::grafana::Args),
    /// Run emulated Mi Bands.
    Emulate(cli::emulate::Args),
    /// Dissect captured band bytes into JSON.
    Decode(cli::decode::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Collect(a) => cli::collect::run(a),
        Command::Grafana(a) => cli::grafana::run(a),
        Command::Emulate(a) => cli::emulate::run(a),
        Command::Decode(a) => cli::decode::run(a),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("miband: {e:#}");
            std::process::exit(1);
        }
    }
}
