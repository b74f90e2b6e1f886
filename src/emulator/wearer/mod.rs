//! The emulated band's world: a deterministic simulated person wearing a Mi Band.
//!
//! Pure code with no I/O and no clock: time is always a parameter and everything follows from a
//! `u64` seed, so a test can ask for the same minute twice and get the same bytes. The band side
//! (BLE, protocol) reads this model; nothing here knows about radios.

pub mod activity;
pub mod battery;
mod charging;
mod day_plan;
pub mod history;
pub mod kind_code;
pub mod minute;
pub mod person;
pub(crate) mod rng;
mod sleep;
pub mod totals;
pub mod traits;
pub mod vitals;

pub use activity::Activity;
pub use battery::{BatteryState, ChargeSession};
pub use kind_code::KindStyle;
pub use person::Person;
pub use totals::{DayTotals, Totals};
pub use traits::Traits;
#[cfg(test)]
mod realism_tests;
