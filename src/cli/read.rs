//! `miband read`: connect, authenticate, print what the band holds. The "does my key work"
//! command.

use chrono::{NaiveDateTime, Utc};
use serde::Serialize;

use super::target::{band_error, block_on, connect, exit_code, session, BandArgs, CliError};
use crate::link::Link;

/// Arguments of `miband read`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// Also measure heart rate once (takes up to 40 s; the band must be worn).
    #[arg(long)]
    pub heart_rate: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Battery {
    level_percent: u8,
    charging: bool,
    last_charge: Option<NaiveDateTime>,
    last_charge_level_percent: Option<u8>,
}

#[derive(Serialize)]
struct Today {
    steps: u32,
    meters: Option<u32>,
    calories: Option<u32>,
}

#[derive(Serialize)]
struct Report {
    mac: String,
    model: Option<String>,
    firmware: Option<String>,
    hardware: Option<String>,
    serial: Option<String>,
    battery: Battery,
    today: Today,
    band_time: String,
    drift_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    heart_rate: Option<Option<u16>>,
}

/// Runs `miband read`; returns the exit code.
pub fn run(args: Args) -> i32 {
    exit_code("miband read", block_on(read(args)))
}

async fn read(args: Args) -> Result<(), CliError> {
    let t = args.band.resolve()?;
    let link = connect(&args.band, &t).await?;
    let r = report(&link, &t, args.heart_rate).await;
    let _ = link.disconnect().await;
    let r = r?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&r).map_err(|e| CliError::Band(e.to_string()))?
        );
        return Ok(());
    }
    let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    println!("Band        {} ({})", r.mac, or(&r.model));
    println!("Key         accepted");
    println!("Firmware    {}", or(&r.firmware));
    println!("Hardware    {}", or(&r.hardware));
    println!("Serial      {}", or(&r.serial));
    let charge = match (r.battery.last_charge, r.battery.last_charge_level_percent) {
        (Some(t), Some(l)) => format!(", last charged {t} to {l} %"),
        (Some(t), None) => format!(", last charged {t}"),
        _ => String::new(),
    };
    println!(
        "Battery     {} %{}{charge}",
        r.battery.level_percent,
        if r.battery.charging {
            " (charging)"
        } else {
            ""
        }
    );
    println!(
        "Today       {} steps, {} m, {} kcal",
        r.today.steps,
        r.today
            .meters
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into()),
        r.today
            .calories
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into())
    );
    println!(
        "Band time   {} ({:+} s from this machine)",
        r.band_time, r.drift_seconds
    );
    if let Some(hr) = r.heart_rate {
        match hr {
            Some(b) => println!("Heart rate  {b} bpm"),
            None => println!("Heart rate  no reading (is the band worn?)"),
        }
    }
    Ok(())
}

async fn report(
    link: &dyn Link,
    t: &super::target::Target,
    heart_rate: bool,
) -> Result<Report, CliError> {
    let mut s = session(link, t).await?;
    let info = s.device_info().await.map_err(band_error)?;
    let battery = s.battery().await.map_err(band_error)?;
    let steps = s.steps().await.map_err(band_error)?;
    let time = s.band_time().await.map_err(band_error)?;
    let drift = (time.time.to_utc() - Utc::now()).num_seconds();
    let hr = if heart_rate {
        Some(s.heart_rate().await.map_err(band_error)?)
    } else {
        None
    };
    Ok(Report {
        mac: t.mac.to_string(),
        model: link.device_name().await,
        firmware: info.software_revision,
        hardware: info.hardware_revision,
        serial: info.serial_number,
        battery: Battery {
            level_percent: battery.level_percent,
            charging: battery.charging,
            last_charge: battery.last_charge,
            last_charge_level_percent: battery.last_charge_level_percent,
        },
        today: Today {
            steps: steps.steps,
            meters: steps.meters,
            calories: steps.calories,
        },
        band_time: time.time.to_fixed().to_rfc3339(),
        drift_seconds: drift,
        heart_rate: hr,
    })
}
