//! `--simulate N`: N emulated bands in-process instead of BLE, so the whole service runs
//! anywhere. The bands of devices.csv come first (same MAC and key, so the configuration is
//! exercised as is), generated ones after. Each starts with several days of history.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, FixedOffset};

use super::radio::SimRadio;
use crate::config::Device;
use crate::emulator::band::{Band, BandOptions};
use crate::emulator::link::{Clock, EmulatedBand};
use crate::emulator::model::Model;
use crate::emulator::Person;
use crate::mac::Mac;
use crate::protocol::key::AuthKey;
use crate::store::band_id::BandId;

/// Days of history an emulated band holds at start.
pub const SIMULATED_HISTORY_DAYS: i64 = 4;

/// The MAC of generated band `n` (1-based): a locally administered address, so it can never be a
/// real band's.
pub fn generated_mac(n: usize) -> Mac {
    let [.., hi, lo] = (n as u64).to_be_bytes();
    Mac::new([0xC2, 0x00, 0x5E, 0x00, hi, lo])
}

/// The key of generated band `n`: derived from `n`, printed by nobody (it is only a test key).
pub fn generated_key(n: usize) -> AuthKey {
    let mut k = [0u8; 16];
    for (i, b) in k.iter_mut().enumerate() {
        *b = (n as u8).wrapping_mul(31).wrapping_add(i as u8 * 17) ^ 0x5a;
    }
    AuthKey::from_bytes(k)
}

/// Bands to simulate: the configured ones first, then generated ones up to `n` in all. A
/// generated band's id is a number above every numeric id of devices.csv, so it becomes a stable
/// "User N" like any configured band ([`crate::store::band_id`]).
pub fn simulated_devices(configured: &[Device], n: usize) -> Vec<Device> {
    let mut out: Vec<Device> = configured.iter().take(n).cloned().collect();
    let above = configured
        .iter()
        .filter_map(|d| BandId::from_csv_id(&d.id))
        .map(BandId::get)
        .max()
        .unwrap_or(0);
    let mut next = i64::from(above);
    for i in out.len() + 1..=n {
        next += 1;
        out.push(Device {
            id: next.to_string(),
            mac: generated_mac(i),
            key: generated_key(i),
            name: Some(format!("Simulated band {next}")),
        });
    }
    out
}

/// Builds the emulated bands for `devices`; odd positions are MB4, even MB5, so both sample
/// sizes are always exercised. Their clocks are the system clock, in the host's zone.
pub fn radio_for(devices: &[Device], utc_offset: FixedOffset) -> SimRadio {
    let tz = crate::protocol::datetime::quarters_from_offset_seconds(utc_offset.local_minus_utc());
    let mut bands = HashMap::new();
    for (i, d) in devices.iter().enumerate() {
        let model = if i % 2 == 0 { Model::Mb4 } else { Model::Mb5 };
        let seed = d.mac.to_u64();
        let mut o = BandOptions::new(model, d.mac, d.key.clone());
        o.tz_quarters = tz;
        o.history = Duration::days(SIMULATED_HISTORY_DAYS);
        o.round_cap = 720;
        o.mtu = if model == Model::Mb4 { 23 } else { 185 };
        o.one_shot_delay = Duration::seconds(2);
        let world = Person::new(seed)
            .with_utc_offset(utc_offset)
            .with_sample_size(model.sample_size());
        let clock = Clock::system();
        let band = Band::new(o, Arc::new(world), clock.now());
        bands.insert(d.mac, EmulatedBand::new(band, clock));
    }
    SimRadio::new(bands)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_bands_follow_configured_ones() {
        let configured = vec![Device {
            id: "7".into(),
            mac: "AA:BB:CC:DD:EE:FF".parse().unwrap(),
            key: AuthKey::from_bytes([1; 16]),
            name: None,
        }];
        let d = simulated_devices(&configured, 3);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].mac.to_string(), "AA:BB:CC:DD:EE:FF");
        assert_eq!(d[1].mac.to_string(), "C2:00:5E:00:00:02");
        // Numbers after the configured ones, never `sim3`.
        assert_eq!(d[1].id, "8");
        assert_eq!(d[2].id, "9");
        let only_generated = simulated_devices(&[], 2);
        assert_eq!(only_generated[0].id, "1");
        assert_eq!(only_generated[1].id, "2");
        assert_ne!(generated_key(2), generated_key(3));
        assert_eq!(generated_mac(0x1234).to_string(), "C2:00:5E:00:12:34");
        assert_eq!(simulated_devices(&configured, 0).len(), 0);
    }
}
