//! `miband-grafana`: drop-in for ARCO's provisioning script, same flags (`-u -s -r -e -v -q -h`).

use miband::cli;

fn main() {
    match cli::grafana::run(cli::app::parse_miband_grafana()) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("miband-grafana: {e:#}");
            std::process::exit(1);
        }
    }
}
