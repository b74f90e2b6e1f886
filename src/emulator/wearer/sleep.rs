//! One night of sleep: when it starts and ends, and the stage of every minute in between.
//!
//! Sleep runs in cycles of roughly 90 minutes: light sleep, then deep sleep (long early in the
//! night, gone by morning), then REM (short early, long by morning), with a few brief awakenings.
//! A night is a pure function of (seed, evening day), so a day's plan can ask for the night that
//! ends in its morning and the one that starts in its evening independently.
//!
//! Day indices are bounded by the caller (see `minute::clamp_minute`), so plain arithmetic cannot
//! overflow here.

use super::activity::Activity;
use super::minute::{day_start, is_weekend};
use super::rng::{between, hash, Purpose, SplitMix};
use super::traits::Traits;

/// At most this many brief awakenings per night.
const MAX_AWAKENINGS: usize = 3;

/// The night that starts on the evening of local day `day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Night {
    /// First asleep local minute.
    pub onset: i64,
    /// First awake local minute (next morning).
    pub wake: i64,
    /// Minutes of light sleep before the first cycle.
    latency: i64,
    /// Length of one sleep cycle, minutes.
    cycle: i64,
    /// Per-night key for per-cycle jitter.
    key: u64,
    /// Brief awakenings: (first local minute, length).
    awakenings: [(i64, i64); MAX_AWAKENINGS],
}

impl Night {
    /// The night starting on the evening of local day `day`.
    pub(crate) fn of(seed: u64, traits: &Traits, day: i64) -> Night {
        let mut r = SplitMix::new(seed, Purpose::Night, day);
        // Nights before a weekend morning (Friday, Saturday) start and end late.
        let weekend_morning = is_weekend(day + 1);
        let mut bedtime = traits.bedtime + r.between(-20, 20);
        let mut wake = traits.wake + r.between(-15, 15);
        if weekend_morning {
            bedtime += r.between(15, 75);
            wake += r.between(30, 100);
        }
        let onset = day_start(day) + bedtime;
        let wake = day_start(day + 1) + wake;
        let mut awakenings = [(i64::MIN, 0); MAX_AWAKENINGS];
        let count = r.between(0, MAX_AWAKENINGS as i64) as usize;
        for slot in awakenings.iter_mut().take(count) {
            let at = onset + r.between(60, wake - onset - 30);
            *slot = (at, r.between(1, 6));
        }
        Night {
            onset,
            wake,
            latency: r.between(8, 20),
            cycle: r.between(82, 100),
            key: r.next_u64(),
            awakenings,
        }
    }

    /// The wearer's state at local minute `m`, which must lie in `onset..wake`.
    pub(crate) fn stage_at(&self, m: i64) -> Activity {
        if self
            .awakenings
            .iter()
            .any(|&(at, len)| at <= m && m < at + len)
        {
            return Activity::Restless;
        }
        let asleep_for = m - self.onset - self.latency;
        if asleep_for < 0 {
            return Activity::LightSleep;
        }
        let n = asleep_for / self.cycle;
        let into = asleep_for % self.cycle;
        let jitter = hash(self.key, Purpose::Night, n);
        let light_first = between(jitter, 8, 18);
        let deep = (42 - 13 * n).max(0) + between(jitter >> 16, -4, 6);
        let rem = (6 + 8 * n).min(32) + between(jitter >> 32, -3, 3);
        if into < light_first {
            Activity::LightSleep
        } else if into < light_first + deep.max(0) {
            Activity::DeepSleep
        } else if into >= self.cycle - rem.max(0) {
            Activity::RemSleep
        } else {
            Activity::LightSleep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages(night: &Night) -> Vec<Activity> {
        (night.onset..night.wake)
            .map(|m| night.stage_at(m))
            .collect()
    }

    #[test]
    fn nights_last_six_to_ten_hours_around_midnight() {
        for seed in 0..200 {
            let traits = Traits::from_seed(seed);
            for day in 19_000..19_014 {
                let n = Night::of(seed, &traits, day);
                let hours = (n.wake - n.onset) as f64 / 60.0;
                assert!(
                    (6.0..11.0).contains(&hours),
                    "seed {seed} day {day}: {hours}"
                );
                assert!(n.onset > day_start(day) + 21 * 60);
                assert!(n.wake < day_start(day + 1) + 11 * 60);
            }
        }
    }

    #[test]
    fn deep_sleep_comes_early_and_rem_late() {
        let traits = Traits::from_seed(3);
        let night = Night::of(3, &traits, 19_000);
        let s = stages(&night);
        let half = s.len() / 2;
        let deep = |part: &[Activity]| part.iter().filter(|&&a| a == Activity::DeepSleep).count();
        let rem = |part: &[Activity]| part.iter().filter(|&&a| a == Activity::RemSleep).count();
        assert!(deep(&s[..half]) > 2 * deep(&s[half..]));
        assert!(rem(&s[half..]) > rem(&s[..half]));
        let deep_share = deep(&s) as f64 / s.len() as f64;
        assert!((0.08..0.35).contains(&deep_share), "{deep_share}");
    }

    #[test]
    fn nights_are_deterministic() {
        let traits = Traits::from_seed(9);
        assert_eq!(Night::of(9, &traits, 5), Night::of(9, &traits, 5));
        assert_ne!(Night::of(9, &traits, 5), Night::of(9, &traits, 6));
    }
}
