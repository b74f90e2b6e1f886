//! The three programs' command lines, defined once: the binaries parse with them and
//! `miband gen-assets` renders man pages and shell completions from them.

use std::path::PathBuf;

use clap::{Args as _, CommandFactory, FromArgMatches, Parser, Subcommand};

use super::{act, collect, decode, emulate, export, grafana, import, key, read, scan, stream};

/// `miband`: one binary with a subcommand per tool.
#[derive(Debug, Parser)]
#[command(
    name = "miband",
    version,
    about = "Self-hosted toolkit for Xiaomi Mi Band 4/5"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `miband`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect data from bands into PostgreSQL and serve live values to Prometheus.
    Collect(collect::Args),
    /// Provision Grafana: datasources, dashboards, MagicMirror config.
    Grafana(grafana::Args),
    /// Run emulated Mi Bands.
    Emulate(emulate::Args),
    /// Dissect captured band bytes into JSON.
    Decode(decode::Args),
    /// List the Mi Bands advertising nearby (and which are in devices.csv).
    Scan(scan::Args),
    /// Connect to a band, prove the key, print what it holds.
    Read(read::Args),
    /// Make the band vibrate ("find my band").
    Find(act::FindArgs),
    /// Show a text alert on the band.
    Alert(act::AlertArgs),
    /// Set the band clock to this machine's time.
    SetTime(act::SetTimeArgs),
    /// List, set or clear the band's alarms.
    Alarm(act::AlarmArgs),
    /// Change band settings (heart-rate interval, step goal, idle alerts, display...).
    Config(act::ConfigArgs),
    /// Heart rate: one reading, or continuous with --live (JSON lines).
    Hr(stream::HrArgs),
    /// Stream the raw accelerometer / PPG sensor data (JSON lines or CSV).
    Raw(stream::RawArgs),
    /// Stream band events: button, find-phone, music control, sleep, alarms (JSON lines).
    Events(stream::EventsArgs),
    /// Print devices.csv lines with the auth key from the Mi Fit / Zepp Life database.
    Key(key::Args),
    /// Import history from another app's database (Gadgetbridge).
    Import(import::Args),
    /// Export history and readings as CSV or JSON lines.
    Export(export::Args),
    /// Write man pages and shell completions (for packagers).
    #[command(hide = true)]
    GenAssets {
        /// Output directory (gets `man/` and `completions/`).
        dir: PathBuf,
    },
}

/// The `miband-dc` command line (ARCO's flags).
pub fn miband_dc_command() -> clap::Command {
    // The about text goes after `augment_args`, which would otherwise put the Args' doc there.
    collect::Args::augment_args(clap::Command::new("miband-dc"))
        .version(env!("CARGO_PKG_VERSION"))
        .about("Collect Mi Band 4/5 data into PostgreSQL and serve it to Prometheus")
        .long_about(None)
}

/// The `miband-grafana` command line (ARCO's flags).
pub fn miband_grafana_command() -> clap::Command {
    grafana::Args::augment_args(clap::Command::new("miband-grafana"))
        .version(env!("CARGO_PKG_VERSION"))
        .about("Provision Grafana for Mi Band data: datasources, dashboards, MagicMirror config")
        .long_about(None)
}

/// Parses `miband-dc`'s arguments from the process command line.
pub fn parse_miband_dc() -> collect::Args {
    let m = miband_dc_command().get_matches();
    collect::Args::from_arg_matches(&m).unwrap_or_else(|e| e.exit())
}

/// Parses `miband-grafana`'s arguments from the process command line.
pub fn parse_miband_grafana() -> grafana::Args {
    let m = miband_grafana_command().get_matches();
    grafana::Args::from_arg_matches(&m).unwrap_or_else(|e| e.exit())
}

/// Every program's command, for man pages and completions.
pub fn all_commands() -> Vec<clap::Command> {
    vec![
        Cli::command(),
        miband_dc_command(),
        miband_grafana_command(),
    ]
}

/// Writes `man/<prog>.1` (and one page per `miband` subcommand) and bash/zsh/fish completions.
pub fn write_assets(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    use clap_complete::{generate_to, Shell};
    let man = dir.join("man");
    let comp = dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&comp)?;
    let mut written = Vec::new();
    let programs: Vec<String> = all_commands()
        .iter()
        .map(|c| c.get_name().to_string())
        .collect();
    for cmd in all_commands() {
        let name = cmd.get_name().to_string();
        let mut pages = vec![(name.clone(), cmd.clone())];
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let page = format!("{name}-{}", sub.get_name());
            // `miband grafana` takes the same flags as `miband-grafana`, whose page wins.
            if !programs.contains(&page) {
                pages.push((page.clone(), sub.clone().name(page)));
            }
        }
        for (page, c) in pages {
            let p = man.join(format!("{page}.1"));
            std::fs::write(&p, super::manpages::render(&page, c)?)?;
            written.push(p);
        }
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut c = cmd.clone();
            written.push(generate_to(shell, &mut c, &name, &comp)?);
        }
    }
    for (file, roff) in super::manpages::SECTION5 {
        let p = man.join(file);
        std::fs::write(&p, roff)?;
        written.push(p);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn historic_flags_parse() {
        let m = miband_dc_command()
            .try_get_matches_from(["miband-dc", "-d", "d.csv", "-c", "s.json", "-v"])
            .unwrap();
        let a = collect::Args::from_arg_matches(&m).unwrap();
        assert_eq!(a.devices, PathBuf::from("d.csv"));
        assert_eq!(a.settings, PathBuf::from("s.json"));
        assert!(a.verbose);
        miband_dc_command().debug_assert();
        miband_grafana_command().debug_assert();
        Cli::command().debug_assert();
    }

    #[test]
    fn assets_cover_every_program() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_assets(dir.path()).unwrap();
        for f in [
            "man/miband.1",
            "man/miband-dc.1",
            "man/miband-grafana.1",
            "man/miband-collect.1",
            "man/miband-import.1",
            "man/miband-key.1",
            "man/miband-export.1",
            "man/miband-devices.csv.5",
            "man/miband-settings.json.5",
            "man/miband-grafana.conf.5",
            "completions/miband-dc.bash",
            "completions/_miband-grafana",
            "completions/miband.fish",
        ] {
            assert!(
                files.contains(&dir.path().join(f)),
                "{f} missing from {files:?}"
            );
        }
        let page = std::fs::read_to_string(dir.path().join("man/miband-dc.1")).unwrap();
        assert!(page.contains("devices"), "{page}");
        assert!(page.contains(".SH FILES"), "{page}");
    }
}
