//! `miband scan`: the Mi Bands advertising nearby, and whether (as which id) each is in
//! devices.csv. The first step with a new band: find its address.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::target::{block_on, exit_code, CliError};
use crate::config as devices;

/// Arguments of `miband scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bluetooth adapter to use (e.g. hci0) [default: the first one].
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// How long to listen, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
    /// A devices.csv to tell which bands it already lists.
    #[arg(long, value_name = "FILE")]
    pub devices: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Row {
    mac: String,
    name: Option<String>,
    rssi: Option<i16>,
    /// The id in devices.csv, if listed.
    id: Option<String>,
}

/// Runs `miband scan`; returns the exit code.
pub fn run(args: Args) -> i32 {
    exit_code("miband scan", block_on(scan(args)))
}

async fn scan(args: Args) -> Result<(), CliError> {
    let known = match &args.devices {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("{}: cannot read: {e}", path.display())))?;
            let parsed = devices::parse_devices_text(path, &text, false);
            if let Some(first) = parsed.errors.first() {
                return Err(CliError::Usage(first.to_string()));
            }
            parsed.devices
        }
    };
    let radio = super::target::RadioArgs {
        adapter: args.adapter.clone(),
        timeout_secs: args.timeout,
    };
    let central = radio.open().await?;
    if !args.json {
        eprintln!(
            "Listening for Mi Bands on {} for {} s...",
            central.name(),
            args.timeout
        );
    }
    let seen = central
        .scan_bands(Duration::from_secs(args.timeout))
        .await
        .map_err(|e| CliError::Band(e.to_string()))?;
    let rows: Vec<Row> = seen
        .into_iter()
        .map(|s| Row {
            id: known.iter().find(|d| d.mac == s.mac).map(|d| d.id.clone()),
            mac: s.mac.to_string(),
            name: s.name,
            rssi: s.rssi,
        })
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into())
        );
    } else if !rows.is_empty() {
        println!("{:<17}  {:<18}  {:>5}  devices.csv", "MAC", "NAME", "RSSI");
        for r in &rows {
            let listed = match (&r.id, &args.devices) {
                (Some(id), _) => format!("id {id}"),
                (None, Some(_)) => "not listed".into(),
                (None, None) => "-".into(),
            };
            println!(
                "{:<17}  {:<18}  {:>5}  {listed}",
                r.mac,
                r.name.as_deref().unwrap_or("?"),
                r.rssi.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
            );
        }
    }
    if rows.is_empty() {
        eprintln!(
            "No Mi Band heard. A band connected to a phone (or to another program, e.g. miband-dc) does not advertise: switch the phone's Bluetooth off, keep the band close, and try again."
        );
    }
    Ok(())
}
