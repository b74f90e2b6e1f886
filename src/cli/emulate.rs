//! `miband emulate --bluez`: serves emulated bands as a BlueZ on a D-Bus bus, so BLE tools
//! (btleplug programs, `bluetoothctl`, `miband-dc`) can be pointed at virtual bands with
//! `DBUS_SYSTEM_BUS_ADDRESS`. Runs until SIGINT/SIGTERM. Keys are never logged.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::Duration;

use crate::bluez::{Emulator, EmulatorConfig, PrivateBus};
use crate::emulator::band::{Band, BandOptions};
use crate::emulator::link::{Clock, EmulatedBand};
use crate::emulator::model::Model;
use crate::emulator::Person;
use crate::mac::Mac;
use crate::protocol::key::AuthKey;

/// Arguments of `miband emulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Serve the bands as an emulated BlueZ (org.bluez) on D-Bus.
    #[arg(long)]
    pub bluez: bool,
    /// D-Bus address to serve on [default: $DBUS_SYSTEM_BUS_ADDRESS].
    #[arg(long, value_name = "ADDRESS", conflicts_with = "private_bus")]
    pub bus: Option<String>,
    /// Start a private dbus-daemon and print `DBUS_SYSTEM_BUS_ADDRESS=...` for clients.
    #[arg(long)]
    pub private_bus: bool,
    /// A band: its MAC, its auth key (32 hex digits) and model (default mb4). Repeatable.
    #[arg(long = "band", value_name = "MAC,KEY[,mb4|mb5]", required = true)]
    pub bands: Vec<String>,
    /// Adapter name; repeat for several adapters.
    #[arg(long = "adapter", value_name = "NAME", default_value = "hci0")]
    pub adapters: Vec<String>,
    /// Days of history each band holds at start.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub history_days: u32,
    /// Seed of the simulated wearers (same seed, same data).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Press each band's button every N seconds (a device event for `miband events`).
    #[arg(long, value_name = "SECONDS")]
    pub button_every: Option<u32>,
}

/// One parsed `--band`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandSpec {
    /// Address.
    pub mac: Mac,
    /// Auth key.
    pub key: AuthKey,
    /// Model.
    pub model: Model,
}

/// Parses `MAC,KEY[,mb4|mb5]`. Errors name the band by position and never echo the key.
pub fn parse_band(spec: &str, position: usize) -> Result<BandSpec, String> {
    let at = format!("--band #{position}");
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(format!(
            "{at}: expected MAC,KEY[,mb4|mb5] (3 comma-separated fields at most), got {} fields",
            parts.len()
        ));
    }
    let mac: Mac = parts[0].parse().map_err(|_| {
        format!(
            "{at}: {:?} is not a MAC address like C8:0F:10:00:00:01",
            parts[0]
        )
    })?;
    let key = AuthKey::from_hex(parts[1]).map_err(|e| format!("{at}: {e}"))?;
    let model = match parts.get(2) {
        None => Model::Mb4,
        Some(m) => Model::parse(m).ok_or_else(|| format!("{at}: model {m:?} is not mb4 or mb5"))?,
    };
    Ok(BandSpec { mac, key, model })
}

/// Builds an emulated band on the system clock, worn by a simulated person who lives in this
/// machine's time zone (the band clock is set to it). Each band gets its own person: the seed is
/// mixed with the MAC.
pub fn build_band(spec: &BandSpec, history_days: u32, seed: u64) -> EmulatedBand {
    let mut o = BandOptions::new(spec.model, spec.mac, spec.key.clone());
    o.history = Duration::days(i64::from(history_days));
    o.seed ^= seed;
    let offset = *chrono::Local::now().offset();
    o.tz_quarters = (offset.local_minus_utc() / (15 * 60)) as i8;
    let person = Person::new(seed ^ spec.mac.to_u64())
        .with_sample_size(spec.model.sample_size())
        .with_utc_offset(offset);
    let world = Arc::new(person);
    let clock = Clock::system();
    EmulatedBand::new(Band::new(o, world, clock.now()), clock)
}

/// Runs the subcommand; returns the process exit code.
pub fn run(args: Args) -> anyhow::Result<i32> {
    super::init_logging(false, false);
    if !args.bluez {
        eprintln!("miband emulate: the emulated BlueZ is the only front end; pass --bluez");
        return Ok(2);
    }
    let mut specs = Vec::new();
    for (i, s) in args.bands.iter().enumerate() {
        match parse_band(s, i + 1) {
            Ok(b) => specs.push(b),
            Err(e) => {
                eprintln!("miband emulate: {e}");
                return Ok(2);
            }
        }
    }
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(serve(args, specs))
}

async fn serve(args: Args, specs: Vec<BandSpec>) -> anyhow::Result<i32> {
    let mut private = None;
    let address = if args.private_bus {
        let bus = PrivateBus::start()?;
        println!("DBUS_SYSTEM_BUS_ADDRESS={}", bus.address());
        let a = bus.address().to_string();
        private = Some(bus);
        a
    } else if let Some(a) = args.bus.clone() {
        a
    } else if let Ok(a) = std::env::var("DBUS_SYSTEM_BUS_ADDRESS") {
        a
    } else {
        eprintln!(
            "miband emulate: no bus given: pass --bus ADDRESS, --private-bus, or set DBUS_SYSTEM_BUS_ADDRESS"
        );
        return Ok(2);
    };
    let bands: Vec<EmulatedBand> = specs
        .iter()
        .map(|s| build_band(s, args.history_days, args.seed))
        .collect();
    if let Some(n) = args.button_every.filter(|n| *n > 0) {
        for b in &bands {
            b.with_band(|b| {
                b.events_mut()
                    .set_button_every(Some(Duration::seconds(i64::from(n))))
            });
        }
    }
    let config = EmulatorConfig {
        adapters: args.adapters.clone(),
        bands,
        advertise_interval: StdDuration::from_millis(500),
    };
    let emu = Emulator::start(&address, config).await?;
    for s in &specs {
        tracing::info!(
            mac = %s.mac,
            model = s.model.name(),
            "serving emulated band"
        );
    }
    let code = wait_for_stop(&emu).await?;
    emu.stop().await;
    drop(private);
    Ok(code)
}

/// Waits for SIGINT/SIGTERM (exit 0) or the bus going away (exit 1).
async fn wait_for_stop(emu: &Emulator) -> anyhow::Result<i32> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut watch = tokio::time::interval(StdDuration::from_millis(500));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(0),
            _ = term.recv() => return Ok(0),
            _ = watch.tick() => if !emu.is_running() {
                tracing::error!("the D-Bus bus went away; stopping");
                return Ok(1);
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn band_specs() {
        let b = parse_band(&format!("c8:0f:10:00:00:01,{KEY},mb5"), 1).unwrap();
        assert_eq!(b.mac, Mac::new([0xc8, 0x0f, 0x10, 0, 0, 1]));
        assert_eq!(b.model, Model::Mb5);
        let b = parse_band(&format!("C8-0F-10-00-00-02,0x{KEY}"), 1).unwrap();
        assert_eq!(b.model, Model::Mb4);
    }

    #[test]
    fn bad_specs_are_explained_without_the_key() {
        let secret = "0123456789abcdef0123456789abcdeZ";
        for spec in [
            format!("C8:0F:10:00:00:01,{secret}"),
            format!("C8:0F:10:00:00,{KEY}"),
            format!("C8:0F:10:00:00:01,{KEY},mb9"),
            "C8:0F:10:00:00:01".to_string(),
        ] {
            let e = parse_band(&spec, 2).unwrap_err();
            assert!(e.starts_with("--band #2: "), "{e}");
            assert!(!e.contains("0123456789abcdef"), "{e}");
        }
    }
}
