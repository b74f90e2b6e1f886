//! What the emulated band senses: the seam between the band's protocol side and the simulated
//! person wearing it. Everything is a pure function of time so that any window of history can be
//! served again identically after a dropped link.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::protocol::activity::ActivitySample;

/// Battery state at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatteryState {
    /// Level in percent, 0–100.
    pub level_percent: u8,
    /// On the charger.
    pub charging: bool,
    /// End of the last charge, band-local.
    pub last_charge: Option<NaiveDateTime>,
    /// The "last off / previous" timestamp (bytes 3..9; meaning unverified), band-local.
    pub last_off: Option<NaiveDateTime>,
    /// Level the last charge reached.
    pub last_charge_level_percent: Option<u8>,
}

/// Today's totals at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotals {
    /// Steps since local midnight.
    pub steps: u32,
    /// Metres since local midnight.
    pub meters: u32,
    /// Active kcal since local midnight.
    pub calories: u32,
}

/// The simulated wearer.
pub trait World: Send + Sync {
    /// The (8-byte form) sample of the minute starting at `minute` (UTC, whole minute).
    fn sample_at(&self, minute: DateTime<Utc>) -> ActivitySample;
    /// Battery at `t`.
    fn battery_at(&self, t: DateTime<Utc>) -> BatteryState;
    /// Live totals at `t`.
    fn totals_at(&self, t: DateTime<Utc>) -> DayTotals;
    /// A heart-rate measurement taken at `t`, `None` if the band is off the wrist.
    fn heart_rate_at(&self, t: DateTime<Utc>) -> Option<u8>;
}

/// The simulated person is the world of every emulated band.
impl World for super::wearer::Person {
    fn sample_at(&self, minute: DateTime<Utc>) -> ActivitySample {
        super::wearer::Person::sample_at(self, minute)
    }

    fn battery_at(&self, t: DateTime<Utc>) -> BatteryState {
        let b = super::wearer::Person::battery_at(self, t);
        let local = |u: DateTime<Utc>| u.with_timezone(&self.utc_offset()).naive_local();
        let ended = b.last_charge.end <= t;
        BatteryState {
            level_percent: b.level,
            charging: b.charging,
            last_charge: ended.then(|| local(b.last_charge.end)),
            last_charge_level_percent: ended.then_some(b.last_charge.end_level),
            last_off: Some(local(b.last_off)),
        }
    }

    fn totals_at(&self, t: DateTime<Utc>) -> DayTotals {
        let x = super::wearer::Person::totals_at(self, t);
        DayTotals {
            steps: x.steps,
            meters: x.meters,
            calories: x.kcal,
        }
    }

    fn heart_rate_at(&self, t: DateTime<Utc>) -> Option<u8> {
        super::wearer::Person::heart_rate_at(self, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone};

    #[test]
    fn person_battery_and_totals_map_onto_the_band_readout() {
        let p = super::super::wearer::Person::new(42)
            .with_utc_offset(FixedOffset::east_opt(3600).unwrap());
        let t = Utc.with_ymd_and_hms(2026, 5, 6, 18, 30, 0).unwrap();
        let w: &dyn World = &p;
        let b = w.battery_at(t);
        assert!(b.level_percent <= 100);
        assert!(b.last_off.is_some());
        if let Some(lc) = b.last_charge {
            assert!(lc <= t.naive_utc() + chrono::Duration::hours(1));
        }
        let tot = w.totals_at(t);
        assert_eq!(tot.steps, p.totals_at(t).steps);
        assert_eq!(w.sample_at(t), p.sample_at(t));
    }
}
