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
