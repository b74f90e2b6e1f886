//! `miband`: one binary with a subcommand per tool.

use clap::Parser;
use miband::cli::{self, app};

fn main() {
    let parsed = app::Cli::parse();
    let result = match parsed.command {
        app::Command::Collect(a) => cli::collect::run(a),
        app::Command::Grafana(a) => cli::grafana::run(a),
        app::Command::Emulate(a) => cli::emulate::run(a),
        app::Command::Decode(a) => cli::decode::run(a),
        app::Command::Scan(a) => Ok(cli::scan::run(a)),
        app::Command::Read(a) => Ok(cli::read::run(a)),
        app::Command::Find(a) => Ok(cli::act::run_find(a)),
        app::Command::Alert(a) => Ok(cli::act::run_alert(a)),
        app::Command::SetTime(a) => Ok(cli::act::run_set_time(a)),
        app::Command::Alarm(a) => Ok(cli::act::run_alarm(a)),
        app::Command::Config(a) => Ok(cli::act::run_config(a)),
        app::Command::Hr(a) => Ok(cli::stream::run_hr(a)),
        app::Command::Raw(a) => Ok(cli::stream::run_raw(a)),
        app::Command::Events(a) => Ok(cli::stream::run_events(a)),
        app::Command::Key(a) => cli::key::run(a),
        app::Command::Import(a) => cli::import::run(a),
        app::Command::Export(a) => cli::export::run(a),
        app::Command::GenAssets { dir } => app::write_assets(&dir)
            .map(|files| {
                for f in files {
                    println!("{}", f.display());
                }
                0
            })
            .map_err(Into::into),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("miband: {e:#}");
            std::process::exit(1);
        }
    }
}
