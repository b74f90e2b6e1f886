//! The band's live counters: steps, distance and active calories since local midnight.
//!
//! The counters are defined as sums over the history since midnight, so what the band shows live
//! (docs/protocol.md §3.2) always matches what a later fetch of the same minutes adds up to. A
//! [`DayTotals`] holds one day's running sums; the emulator keeps one and rebuilds it when the
//! local day changes, instead of regenerating the day on every read.

use chrono::{DateTime, Utc};

use super::minute::{day_of, day_start, second_of_minute, utc_minute, MINUTES_PER_DAY};
use super::person::Person;
use crate::protocol::activity::ActivitySample;

/// Live counter values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Steps since local midnight.
    pub steps: u32,
    /// Metres since local midnight: steps × stride.
    pub meters: u32,
    /// Active kilocalories since local midnight (the band's "calories" leave out the basal rate).
    pub kcal: u32,
}

/// Running sums over one local day of history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTotals {
    /// First UTC minute of the local day.
    first_minute: i64,
    stride_cm: u8,
    weight_kg: u8,
    /// `steps[i]` = steps of minutes `0..i` of the day (1441 entries).
    steps: Vec<u32>,
    /// `cal[i]` = active small calories (1/1000 kcal) of minutes `0..i` (1441 entries).
    cal: Vec<u64>,
    /// The day's samples, for the share of the current minute.
    samples: Vec<ActivitySample>,
}

/// Active small calories (1/1000 kcal) burnt in a minute: about 0.4 cal per kg and step walking,
/// 0.6 running, plus a little for movement without steps. 8,000 walking steps at 70 kg give
/// about 250 kcal, in line with the 100-600 active kcal a band typically reports for a day.
pub(crate) fn minute_cal(sample: &ActivitySample, weight_kg: u8) -> u64 {
    let weight = u64::from(weight_kg);
    let per_step_tenths = if sample.steps >= 140 { 6 } else { 4 };
    let stepping = u64::from(sample.steps) * weight * per_step_tenths / 10;
    let moving = u64::from(sample.intensity.saturating_sub(30)) * weight / 10;
    stepping + moving
}

impl DayTotals {
    /// `true` if `t` falls in this local day.
    pub fn covers(&self, t: DateTime<Utc>) -> bool {
        let m = utc_minute(t);
        self.first_minute <= m && m < self.first_minute + MINUTES_PER_DAY
    }

    /// Local midnight starting this day, as a UTC instant.
    pub fn midnight(&self) -> DateTime<Utc> {
        super::minute::minute_start(self.first_minute)
    }

    /// The counters at `t`: every complete minute since midnight plus the elapsed share of the
    /// current minute, so they grow smoothly. `t` outside the day is clamped to it.
    pub fn at(&self, t: DateTime<Utc>) -> Totals {
        let into = utc_minute(t) - self.first_minute;
        let Ok(i) = usize::try_from(into) else {
            return self.totals(0, 0, 0);
        };
        let Some(current) = self.samples.get(i) else {
            return self.totals(self.samples.len(), 0, 0);
        };
        let sec = second_of_minute(t) as u64;
        let part_steps = u64::from(current.steps) * sec / 60;
        let part_cal = minute_cal(current, self.weight_kg) * sec / 60;
        self.totals(i, part_steps, part_cal)
    }

    /// Totals of the first `complete` minutes plus a partial minute.
    fn totals(&self, complete: usize, part_steps: u64, part_cal: u64) -> Totals {
        let steps = u64::from(self.steps.get(complete).copied().unwrap_or(0)) + part_steps;
        let cal = self.cal.get(complete).copied().unwrap_or(0) + part_cal;
        Totals {
            steps: steps as u32,
            meters: (steps * u64::from(self.stride_cm) / 100) as u32,
            kcal: (cal / 1000) as u32,
        }
    }
}

impl Person {
    /// The running sums of the local day containing `t`.
    pub fn day_totals(&self, t: DateTime<Utc>) -> DayTotals {
        let day = day_of(self.local(utc_minute(t)));
        let first_minute = self.utc(day_start(day));
        let samples = self.history_from_minute(first_minute, MINUTES_PER_DAY as usize);
        let weight_kg = self.traits().weight_kg;
        let mut steps = Vec::with_capacity(samples.len() + 1);
        let mut cal = Vec::with_capacity(samples.len() + 1);
        let (mut s, mut c) = (0u32, 0u64);
        steps.push(s);
        cal.push(c);
        for sample in &samples {
            s += u32::from(sample.steps);
            c += minute_cal(sample, weight_kg);
            steps.push(s);
            cal.push(c);
        }
        DayTotals {
            first_minute,
            stride_cm: self.traits().stride_cm,
            weight_kg,
            steps,
            cal,
            samples,
        }
    }

    /// The live counters at `t`. Builds the whole day; keep a [`DayTotals`] for repeated reads.
    pub fn totals_at(&self, t: DateTime<Utc>) -> Totals {
        self.day_totals(t).at(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeDelta};

    fn at_minute(m: i64, sec: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(m * 60 + sec, 0).unwrap()
    }

    #[test]
    fn steps_today_is_the_sum_of_history_since_local_midnight() {
        let tz = FixedOffset::east_opt(2 * 3600).unwrap();
        for seed in 0..10 {
            let p = Person::new(seed).with_utc_offset(tz);
            // Local midnight of local day 20_000 is UTC minute 20_000 * 1440 - 120.
            let midnight = 20_000 * 1440 - 120;
            let day = p.day_totals(at_minute(midnight + 600, 0));
            assert_eq!(day.midnight(), at_minute(midnight, 0));
            let hist = p.history_from_minute(midnight, 1440);
            for k in (0..=1440).step_by(61) {
                let sum: u32 = hist[..k].iter().map(|s| u32::from(s.steps)).sum();
                let t = at_minute(midnight + k as i64, 0);
                assert_eq!(day.at(t).steps, sum, "seed {seed} minute {k}");
                if k < 1440 {
                    assert_eq!(p.totals_at(t), day.at(t));
                }
            }
        }
    }

    #[test]
    fn counters_grow_within_a_day_and_reset_at_midnight() {
        for seed in 0..10 {
            let p = Person::new(seed);
            let midnight = 20_100 * 1440;
            let day = p.day_totals(at_minute(midnight, 0));
            let mut last = Totals::default();
            let mut t = at_minute(midnight, 0);
            while day.covers(t) {
                let now = day.at(t);
                assert!(now.steps >= last.steps && now.meters >= last.meters);
                assert!(now.kcal >= last.kcal);
                last = now;
                t += TimeDelta::seconds(17);
            }
            assert!(last.steps > 0 && last.meters > last.steps / 2 && last.kcal > 0);
            let next = p.totals_at(at_minute(midnight + 1440, 0));
            assert_eq!(next, Totals::default());
        }
    }

    #[test]
    fn daily_active_calories_and_distance_are_plausible() {
        for seed in 0..40 {
            let p = Person::new(seed);
            let end = p
                .day_totals(at_minute(20_200 * 1440, 0))
                .at(at_minute(20_201 * 1440, 0));
            assert!((40..=1500).contains(&end.kcal), "seed {seed}: {end:?}");
            let stride = u32::from(p.traits().stride_cm);
            assert_eq!(end.meters, end.steps * stride / 100);
        }
    }

    #[test]
    fn partial_minutes_interpolate() {
        let p = Person::new(4);
        let day = p.day_totals(at_minute(20_000 * 1440, 0));
        let hist = p.history_from_minute(20_000 * 1440, 1440);
        let walking = hist.iter().position(|s| s.steps >= 60).unwrap() as i64;
        let before = day.at(at_minute(20_000 * 1440 + walking, 0)).steps;
        let half = day.at(at_minute(20_000 * 1440 + walking, 30)).steps;
        let after = day.at(at_minute(20_000 * 1440 + walking + 1, 0)).steps;
        assert!(before < half && half < after);
    }
}
