//! `miband-dc`: drop-in for ARCO's collector (`miband-dc -d devices.csv -c settings.json [-v|-q]`).

use clap::Parser;
use miband::cli;

#[derive(Debug, Parser)]
#[command(
    name = "miband-dc",
    version,
    about = "Collect Mi Band 4/5 data into PostgreSQL and Prometheus"
)]
struct Cli {
    #[command(flatten)]
    args: cli::collect::Args,
}

fn main() {
    let cli = Cli::parse();
    match cli::collect::run(cli.args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("miband-dc: {e:#}");
            std::process::exit(1);
        }
    }
}
