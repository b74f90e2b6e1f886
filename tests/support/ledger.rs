//! Shared by the tests that run the real btleplug backend against the emulated BlueZ: an
//! arithmetic world (every minute's sample encodes its own timestamp, so a sample stamped with
//! the wrong minute, lost or delivered twice is caught exactly), band builders and checks.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::emulator::world::{BatteryState, DayTotals, World};
use miband::mac::Mac;
use miband::protocol::activity::ActivitySample;
use miband::protocol::key::AuthKey;
use miband::session::SessionOptions;

/// The key every test band holds unless a test says otherwise.
pub const KEY: &str = "0123456789abcdef0123456789abcdef";

/// Every minute's sample is a function of the minute number.
pub struct Ledger;

fn minute_no(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

impl World for Ledger {
    fn sample_at(&self, minute: DateTime<Utc>) -> ActivitySample {
        let m = minute_no(minute);
        ActivitySample {
            kind: 1,
            intensity: (m % 251) as u8,
            steps: ((m / 251) % 256) as u8,
            heart_rate: Some(40 + (m % 100) as u8),
            extra: Some((m as u32).to_le_bytes()),
        }
    }
    fn battery_at(&self, _t: DateTime<Utc>) -> BatteryState {
        BatteryState {
            level_percent: 77,
            charging: false,
            last_charge: None,
            last_off: None,
            last_charge_level_percent: Some(100),
        }
    }
    fn totals_at(&self, _t: DateTime<Utc>) -> DayTotals {
        DayTotals {
            steps: 4321,
            meters: 3000,
            calories: 150,
        }
    }
    fn heart_rate_at(&self, _t: DateTime<Utc>) -> Option<u8> {
        Some(66)
    }
}

/// Parses `C8:0F:10:00:00:01`.
pub fn mac(s: &str) -> Mac {
    s.parse().unwrap()
}

/// A band on the system clock (the emulated BlueZ serves it in real time).
pub fn band(
    model: Model,
    address: &str,
    key: &str,
    tweak: impl FnOnce(&mut BandOptions),
) -> EmulatedBand {
    let mut o = BandOptions::new(model, mac(address), AuthKey::from_hex(key).unwrap());
    o.history = Duration::hours(12);
    o.one_shot_delay = Duration::milliseconds(300);
    tweak(&mut o);
    let clock = Clock::system();
    EmulatedBand::new(Band::new(o, Arc::new(Ledger), clock.now()), clock)
}

/// Session options with short timeouts (a dropped link costs one data timeout over btleplug).
pub fn opts(model: Model) -> SessionOptions {
    SessionOptions {
        sample_size: model.sample_size(),
        data_timeout: StdDuration::from_secs(3),
        reply_timeout: StdDuration::from_secs(5),
        heart_rate_timeout: StdDuration::from_secs(10),
        ..SessionOptions::default()
    }
}

/// Checks that `got` holds every minute from `from` on, each once, each with its own content,
/// and reaches (almost) now.
/// Every minute from `from` on is present once, in order, with its own content.
pub fn assert_ledger_minutes(
    got: &BTreeMap<DateTime<Utc>, ActivitySample>,
    from: DateTime<Utc>,
    model: Model,
) {
    let first = *got.keys().next().expect("some samples");
    assert_eq!(first, from, "first minute");
    let mut expect = first;
    for (ts, s) in got {
        assert_eq!(*ts, expect, "gap or disorder");
        let mut want = Ledger.sample_at(*ts);
        if model == Model::Mb4 {
            want.extra = None;
        } else if want.extra.is_none() {
            want.extra = Some([0; 4]);
        }
        assert_eq!(*s, want, "content of {ts} is another minute's");
        expect += Duration::minutes(1);
    }
}

/// [`assert_ledger_minutes`], and caught up with the wall clock.
pub fn assert_complete(
    got: &BTreeMap<DateTime<Utc>, ActivitySample>,
    from: DateTime<Utc>,
    model: Model,
) {
    assert_ledger_minutes(got, from, model);
    let last = *got.keys().last().unwrap();
    assert!(
        Utc::now() - last < Duration::minutes(3),
        "not caught up: last {last}"
    );
}
