//! `miband-grafana`: drop-in for ARCO's provisioning script, same flags (`-u -s -r -e -v -q -h`).

use clap::Parser;
use miband::cli::grafana;

#[derive(Debug, Parser)]
#[command(
    name = "miband-grafana",
    version,
    about = "Provision Grafana for Mi Band data: datasources, dashboards, MagicMirror config"
)]
struct Cli {
    #[command(flatten)]
    args: grafana::Args,
}

fn main() {
    let cli = Cli::parse();
    match grafana::run(cli.args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("miband-grafana: {e:#}");
            std::process::exit(1);
        }
    }
}
