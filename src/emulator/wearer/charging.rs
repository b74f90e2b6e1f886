//! When the wearer puts the band on its charger.
//!
//! One evening session of 60–120 minutes every few days. Both the day plan (minutes of kind 6) and
//! the battery model read this one schedule, so the history and the battery level never disagree.
//! Sessions start 18:00–20:30 local and last at most two hours, so they never cross midnight and a
//! session always belongs to the local day it starts on.

use super::minute::day_start;
use super::rng::{Purpose, SplitMix};
use super::traits::Traits;

/// Shortest session, minutes. With at most 5 days between sessions (plus a few hours of start-time
/// spread) and at most 7 %/day drain, the band is never below 60 % when plugged in, and at 1 %/min
/// it is full after 40 minutes: every session ends at 100 %, which the battery model relies on.
pub(crate) const MIN_SESSION: i64 = 60;

/// Longest session, minutes.
pub(crate) const MAX_SESSION: i64 = 120;

/// A charging session in local minutes: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Session {
    /// First local minute on the charger.
    pub start: i64,
    /// First local minute back off the charger.
    pub end: i64,
}

/// The session on local day `day`, if it is a charge day.
pub(crate) fn session_on(seed: u64, traits: &Traits, day: i64) -> Option<Session> {
    if (day + traits.charge_phase).rem_euclid(traits.charge_every_days) != 0 {
        return None;
    }
    let mut r = SplitMix::new(seed, Purpose::Charge, day);
    let start = day_start(day) + r.between(18 * 60, 20 * 60 + 30);
    Some(Session {
        start,
        end: start + r.between(MIN_SESSION, MAX_SESSION),
    })
}

/// The latest session that starts at or before local minute `m`.
pub(crate) fn latest_starting_by(seed: u64, traits: &Traits, m: i64) -> Session {
    let today = super::minute::day_of(m);
    // A charge day recurs every `charge_every_days`, so looking back one full cycle always finds
    // one; the extra day covers a session later today than `m`.
    (0..=traits.charge_every_days)
        .filter_map(|back| session_on(seed, traits, today - back))
        .find(|s| s.start <= m)
        .unwrap_or_else(|| fallback(today))
}

/// Unreachable by the schedule's construction; a harmless stand-in keeps the code panic-free.
fn fallback(day: i64) -> Session {
    let start = day_start(day - 1) + 19 * 60;
    Session {
        start,
        end: start + MIN_SESSION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_recur_every_few_days_in_the_evening() {
        for seed in 0..100 {
            let t = Traits::from_seed(seed);
            let days: Vec<i64> = (20_000..20_030)
                .filter(|&d| session_on(seed, &t, d).is_some())
                .collect();
            assert!(days.len() >= 6, "seed {seed}: {days:?}");
            assert!(days.windows(2).all(|w| w[1] - w[0] == t.charge_every_days));
            for d in days {
                let s = session_on(seed, &t, d).unwrap();
                assert!(s.start >= day_start(d) + 18 * 60);
                assert!(s.end <= day_start(d) + 22 * 60 + 30);
                assert!((MIN_SESSION..=MAX_SESSION).contains(&(s.end - s.start)));
            }
        }
    }

    #[test]
    fn latest_session_is_the_last_one_started() {
        for seed in 0..50 {
            let t = Traits::from_seed(seed);
            for m in (20_000 * 1440..20_010 * 1440).step_by(37) {
                let s = latest_starting_by(seed, &t, m);
                assert!(s.start <= m);
                // No other session starts between it and m.
                let later = (s.start / 1440 + 1..=m / 1440)
                    .filter_map(|d| session_on(seed, &t, d))
                    .any(|o| o.start <= m);
                assert!(!later, "seed {seed} m {m}");
                assert_eq!(session_on(seed, &t, s.start.div_euclid(1440)), Some(s));
            }
        }
    }
}
