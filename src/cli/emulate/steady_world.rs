//! A deliberately plain wearer for `miband emulate` until the realistic simulated person lands:
//! awake and lightly active in the daytime (UTC 07–23), asleep at night, a heart rate that
//! follows, a battery at a fixed level. Every value is a pure function of the seed and the time,
//! so a re-fetched window is identical, and the live totals are the sums of the minutes.

use chrono::{DateTime, Duration, DurationRound, Timelike, Utc};

use crate::emulator::world::{BatteryState, DayTotals, World};
use crate::protocol::activity::ActivitySample;

/// The plain wearer.
pub struct SteadyWorld {
    seed: u64,
}

impl SteadyWorld {
    /// A wearer for the band `mac`, varied by `seed`.
    pub fn new(seed: u64, mac: [u8; 6]) -> SteadyWorld {
        let m = u64::from_be_bytes([0, 0, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]]);
        SteadyWorld { seed: seed ^ m }
    }

    fn noise(&self, minute: i64) -> u64 {
        // SplitMix64 of (seed, minute): reproducible per minute.
        let mut z = self.seed ^ (minute as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn awake(t: DateTime<Utc>) -> bool {
    (7..23).contains(&t.hour())
}

impl World for SteadyWorld {
    fn sample_at(&self, minute: DateTime<Utc>) -> ActivitySample {
        let n = self.noise(minute.timestamp() / 60);
        let (kind, intensity, steps, hr) = if awake(minute) {
            let walking = n % 5 == 0;
            let steps = if walking { 40 + (n >> 8) % 60 } else { 0 };
            (
                1,
                10 + (n >> 16) % 60 + steps,
                steps,
                68 + (n >> 24) % 25 + steps / 4,
            )
        } else {
            // Raw kind 9 = light sleep (protocol.md §4.5).
            (9, (n >> 16) % 8, 0, 52 + (n >> 24) % 8)
        };
        ActivitySample {
            kind,
            intensity: intensity.min(255) as u8,
            steps: steps as u8,
            heart_rate: Some(hr as u8),
            extra: None,
        }
    }

    fn battery_at(&self, _t: DateTime<Utc>) -> BatteryState {
        BatteryState {
            level_percent: 80,
            charging: false,
            last_charge: None,
            last_charge_level_percent: Some(100),
        }
    }

    fn totals_at(&self, t: DateTime<Utc>) -> DayTotals {
        let midnight = t.duration_trunc(Duration::days(1)).unwrap_or(t);
        let minutes = (t - midnight).num_minutes();
        let steps: u32 = (0..minutes)
            .map(|i| u32::from(self.sample_at(midnight + Duration::minutes(i)).steps))
            .sum();
        DayTotals {
            steps,
            meters: steps * 7 / 10,
            calories: steps / 25,
        }
    }

    fn heart_rate_at(&self, t: DateTime<Utc>) -> Option<u8> {
        let m = t.duration_trunc(Duration::minutes(1)).unwrap_or(t);
        self.sample_at(m).heart_rate
    }
}
