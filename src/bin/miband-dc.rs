//! `miband-dc`: drop-in for ARCO's collector (`miband-dc -d devices.csv -c settings.json [-v|-q]`).

use miband::cli;

fn main() {
    match cli::collect::run(cli::app::parse_miband_dc()) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("miband-dc: {e:#}");
            std::process::exit(1);
        }
    }
}
