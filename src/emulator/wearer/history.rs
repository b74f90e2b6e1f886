//! The band's per-minute history: one [`ActivitySample`] for any minute, and bulk windows.
//!
//! A sample is a pure function of (person, UTC minute), so the band can serve any window of its
//! past and two fetches of overlapping windows agree. Bulk generation keeps the day plans it has
//! built, so a week of history costs about one plan per day plus a few hashes per minute.
//!
//! All randomness is keyed by *local* minute: the same person moved to another time zone lives
//! the same days, shifted by the offset, which keeps the offset's effect easy to test and reason
//! about.

use chrono::{DateTime, Utc};

use super::activity::Activity;
use super::day_plan::DayPlan;
use super::kind_code::encode;
use super::minute::{clamp_minute, day_of, minute_of_day, utc_minute};
use super::person::Person;
use super::rng::{hash, Purpose};
use super::vitals::{draw, extra_bytes, heart_rate, intensity, reading_missing, steps, Draw};
use crate::protocol::activity::{ActivitySample, SampleSize};

/// Builds samples minute by minute, caching the two most recent day plans (a sample also looks
/// back a few minutes, which may cross midnight).
pub(crate) struct Generator<'p> {
    person: &'p Person,
    plans: [Option<DayPlan>; 2],
    /// Index of the slot to evict next.
    evict: usize,
}

impl<'p> Generator<'p> {
    pub(crate) fn new(person: &'p Person) -> Generator<'p> {
        Generator {
            person,
            plans: [None, None],
            evict: 0,
        }
    }

    /// The activity in UTC minute `m`.
    pub(crate) fn activity(&mut self, m: i64) -> Activity {
        let local = self.person.local(m);
        let day = day_of(local);
        let slot = match self
            .plans
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.day == day))
        {
            Some(slot) => slot,
            None => {
                let slot = self.evict;
                let p = self.person;
                self.plans[slot] = Some(DayPlan::build(p.seed(), p.traits(), day));
                self.evict = 1 - slot;
                slot
            }
        };
        match &self.plans[slot] {
            Some(plan) => plan.at(minute_of_day(local)),
            None => Activity::Sitting,
        }
    }

    /// The activity in UTC minute `m` and the three minutes before it.
    pub(crate) fn recent(&mut self, m: i64) -> [Activity; 4] {
        [
            self.activity(m),
            self.activity(m - 1),
            self.activity(m - 2),
            self.activity(m - 3),
        ]
    }

    /// The heart rate the body has in UTC minute `m`, whether or not the band reads it.
    pub(crate) fn body_heart_rate(&mut self, m: i64) -> u8 {
        let m = clamp_minute(m);
        let p = self.person;
        let local = p.local(m);
        let h = hash(p.seed(), Purpose::Minute, local);
        heart_rate(p.seed(), p.traits(), local, self.recent(m), h)
    }

    /// The sample the band stores for UTC minute `m`.
    pub(crate) fn sample(&mut self, m: i64) -> ActivitySample {
        let m = clamp_minute(m);
        let p = self.person;
        let traits = p.traits();
        let local = p.local(m);
        let h = hash(p.seed(), Purpose::Minute, local);
        let recent = self.recent(m);
        let now = recent[0];
        let heart_rate = (now.is_worn() && !reading_missing(traits, h))
            .then(|| heart_rate(p.seed(), traits, local, recent, h));
        ActivitySample {
            kind: encode(
                traits.kind_style,
                recent[1],
                now,
                draw(h, Draw::KindSpelling),
            ),
            intensity: intensity(now, h),
            steps: steps(traits, now, h),
            heart_rate,
            extra: match p.sample_size() {
                SampleSize::Four => None,
                SampleSize::Eight => Some(extra_bytes(now, h)),
            },
        }
    }
}

impl Person {
    /// What the person is doing in the minute containing `t`.
    pub fn activity_at(&self, t: DateTime<Utc>) -> Activity {
        Generator::new(self).activity(utc_minute(t))
    }

    /// The history sample of the minute containing `t`.
    pub fn sample_at(&self, t: DateTime<Utc>) -> ActivitySample {
        self.sample_at_minute(utc_minute(t))
    }

    /// The history sample of UTC minute `m` (minutes since the Unix epoch). Minutes beyond
    /// ±[`MINUTE_LIMIT`](super::minute::MINUTE_LIMIT) read as the limit.
    pub fn sample_at_minute(&self, m: i64) -> ActivitySample {
        Generator::new(self).sample(m)
    }

    /// `count` consecutive samples starting with the minute containing `from`, as a fetch
    /// (docs/protocol.md §4.3) returns them: sample `i` is minute `from + i`.
    pub fn history(&self, from: DateTime<Utc>, count: usize) -> Vec<ActivitySample> {
        self.history_from_minute(utc_minute(from), count)
    }

    /// `count` consecutive samples starting at UTC minute `from`.
    pub fn history_from_minute(&self, from: i64, count: usize) -> Vec<ActivitySample> {
        let mut g = Generator::new(self);
        (0..count)
            .map(|i| g.sample(from.saturating_add_unsigned(i as u64)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_samples_and_windows_agree() {
        let a = Person::new(5);
        let b = Person::new(5);
        let start = 29_000_000;
        let long = a.history_from_minute(start, 3000);
        assert_eq!(long, b.history_from_minute(start, 3000));
        assert_eq!(
            &long[1000..1500],
            &a.history_from_minute(start + 1000, 500)[..]
        );
        for i in (0..3000).step_by(97) {
            assert_eq!(long[i], a.sample_at_minute(start + i as i64));
        }
    }

    #[test]
    fn different_seeds_differ() {
        let a = Person::new(1).history_from_minute(29_000_000, 1440);
        let b = Person::new(2).history_from_minute(29_000_000, 1440);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same < 1440 / 2, "{same}");
    }

    #[test]
    fn extra_bytes_only_on_eight_byte_bands() {
        let four = Person::new(3).history_from_minute(29_000_000, 1440);
        let eight = Person::new(3)
            .with_sample_size(SampleSize::Eight)
            .history_from_minute(29_000_000, 1440);
        assert!(four.iter().all(|s| s.extra.is_none()));
        assert!(eight.iter().all(|s| s.extra.is_some()));
        // The first four bytes do not depend on the sample size.
        let person = Person::new(3);
        let mut g = Generator::new(&person);
        for (i, (f, e)) in four.iter().zip(&eight).enumerate() {
            let first_four = |s: &ActivitySample| (s.kind, s.intensity, s.steps, s.heart_rate);
            assert_eq!(first_four(f), first_four(e));
            let asleep = g.activity(29_000_000 + i as i64).is_asleep();
            assert_eq!(matches!(e.extra, Some([0, 1, _, _])), asleep);
        }
    }

    #[test]
    fn a_time_zone_shifts_the_same_life() {
        let here = Person::new(6);
        let tz = chrono::FixedOffset::west_opt(5 * 3600 + 30 * 60).unwrap();
        let there = Person::new(6).with_utc_offset(tz);
        let local = 29_000_000;
        let shifted = local + 330;
        assert_eq!(
            here.history_from_minute(local, 2000),
            there.history_from_minute(shifted, 2000)
        );
        let t = |m: i64, s: i64| DateTime::from_timestamp(m * 60 + s, 0).unwrap();
        for k in (0..2000).step_by(53) {
            let (a, b) = (t(local + k, 7), t(shifted + k, 7));
            assert_eq!(here.heart_rate_at(a), there.heart_rate_at(b));
            assert_eq!(here.battery_at(a).level, there.battery_at(b).level);
            assert_eq!(here.totals_at(a), there.totals_at(b));
        }
    }

    #[test]
    fn datetime_and_minute_apis_agree() {
        let p = Person::new(8);
        let t = DateTime::from_timestamp(29_000_000 * 60 + 42, 0).unwrap();
        assert_eq!(p.sample_at(t), p.sample_at_minute(29_000_000));
        assert_eq!(p.history(t, 3), p.history_from_minute(29_000_000, 3));
    }
}
