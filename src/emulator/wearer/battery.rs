//! The battery: drains a few percent a day, refills on the charger.
//!
//! Charging sessions come from the same schedule as the history's kind-6 minutes
//! (`charging.rs`), so the level rises exactly while the history says "charging". Each session is
//! long enough to fill the battery (see `charging::MIN_SESSION`), so the level at any time
//! depends only on the last two sessions and no history has to be replayed.

use chrono::{DateTime, Utc};

use super::charging::{latest_starting_by, session_on, Session};
use super::minute::{day_of, minute_start, utc_minute};
use super::person::Person;

/// Percent gained per minute on the charger.
const CHARGE_PER_MINUTE: i64 = 1;

/// A full battery, percent.
const FULL: i64 = 100;

/// One charging session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeSession {
    /// Put on the charger.
    pub start: DateTime<Utc>,
    /// Taken off the charger (in the future while charging).
    pub end: DateTime<Utc>,
    /// Level when put on the charger, percent.
    pub start_level: u8,
    /// Level when taken off, percent.
    pub end_level: u8,
}

/// What the battery characteristic reports (docs/protocol.md §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatteryState {
    /// Level, percent (0..=100).
    pub level: u8,
    /// On the charger now.
    pub charging: bool,
    /// The latest session that has started (the current one while charging).
    pub last_charge: ChargeSession,
    /// Start of the session before that: the emulator's reading of the "last off / previous"
    /// timestamp at bytes 3..9, whose meaning is unverified.
    pub last_off: DateTime<Utc>,
}

impl Person {
    /// The battery at `t`.
    pub fn battery_at(&self, t: DateTime<Utc>) -> BatteryState {
        let now = self.local(utc_minute(t));
        let last = latest_starting_by(self.seed(), self.traits(), now);
        let before = latest_starting_by(self.seed(), self.traits(), last.start - 1);
        let session = self.charge_session(last);
        let start_level = i64::from(session.start_level);
        let level = if now < last.end {
            (start_level + (now - last.start) * CHARGE_PER_MINUTE).min(FULL)
        } else {
            i64::from(session.end_level) - self.drained(now - last.end)
        };
        BatteryState {
            level: level.clamp(0, FULL) as u8,
            charging: now < last.end,
            last_charge: session,
            last_off: minute_start(self.utc(before.start)),
        }
    }

    /// Charging sessions that overlap `from..to`, oldest first.
    pub fn charge_sessions(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<ChargeSession> {
        let (from, to) = (self.local(utc_minute(from)), self.local(utc_minute(to)));
        (day_of(from)..=day_of(to))
            .filter_map(|day| session_on(self.seed(), self.traits(), day))
            .filter(|s| s.start < to && from < s.end)
            .map(|s| self.charge_session(s))
            .collect()
    }

    /// Levels of session `s`, assuming (as the schedule guarantees) that the session before it
    /// ended full.
    fn charge_session(&self, s: Session) -> ChargeSession {
        let before = latest_starting_by(self.seed(), self.traits(), s.start - 1);
        let start_level = (FULL - self.drained(s.start - before.end)).clamp(0, FULL);
        let end_level = (start_level + (s.end - s.start) * CHARGE_PER_MINUTE).min(FULL);
        ChargeSession {
            start: minute_start(self.utc(s.start)),
            end: minute_start(self.utc(s.end)),
            start_level: start_level as u8,
            end_level: end_level as u8,
        }
    }

    /// Whole percent drained over `minutes` off the charger.
    fn drained(&self, minutes: i64) -> i64 {
        (minutes.max(0) as f64 * self.traits().drain_per_day / 1440.0) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::wearer::Activity;
    use chrono::TimeDelta;

    fn minute(m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(m * 60, 0).unwrap()
    }

    #[test]
    fn every_session_fills_the_battery() {
        for seed in 0..300 {
            let p = Person::new(seed);
            for s in p.charge_sessions(minute(20_000 * 1440), minute(20_030 * 1440)) {
                assert_eq!(s.end_level, 100, "seed {seed}: {s:?}");
                assert!((55..100).contains(&s.start_level), "seed {seed}: {s:?}");
            }
        }
    }

    #[test]
    fn battery_rises_exactly_while_the_history_says_charging() {
        for seed in 0..20 {
            let p = Person::new(seed);
            let start = 20_000 * 1440;
            let week = p.history_from_minute(start, 7 * 1440);
            assert!(
                week.iter().any(|s| s.kind == 6),
                "seed {seed}: no charging in a week"
            );
            let mut prev = p.battery_at(minute(start - 1));
            for (i, s) in week.iter().enumerate() {
                let b = p.battery_at(minute(start + i as i64));
                assert!(b.level <= 100);
                assert_eq!(b.charging, s.kind == 6, "seed {seed} minute {i}");
                if b.level > prev.level {
                    assert!(b.charging, "seed {seed} minute {i}: rose off the charger");
                }
                if b.charging && prev.charging && prev.level < 100 {
                    assert_eq!(b.level, prev.level + 1, "seed {seed} minute {i}");
                }
                if !b.charging {
                    assert!(b.level <= prev.level);
                }
                prev = b;
            }
        }
    }

    #[test]
    fn a_day_costs_five_to_seven_percent() {
        for seed in 0..50 {
            let p = Person::new(seed);
            let s = p.charge_sessions(minute(20_000 * 1440), minute(20_010 * 1440))[0];
            let a = p.battery_at(s.end).level;
            let b = p.battery_at(s.end + TimeDelta::days(1)).level;
            assert!((5..=7).contains(&(a - b)), "seed {seed}: {a} -> {b}");
        }
    }

    #[test]
    fn last_charge_and_last_off_are_in_the_past() {
        let p = Person::new(77);
        for m in (20_000 * 1440..20_020 * 1440).step_by(311) {
            let b = p.battery_at(minute(m));
            assert!(b.last_off < b.last_charge.start && b.last_charge.start <= minute(m));
            assert_eq!(b.charging, p.activity_at(minute(m)) == Activity::Charging);
        }
    }
}
