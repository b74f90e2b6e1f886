//! What the wearer does in each minute of one local day.
//!
//! The day is laid down in layers: the night that ends this morning and the one that starts this
//! evening, then a default of sitting in between, fidgeting, the day's routine (work day or
//! weekend), time off the wrist, and finally the charging session, which wins over everything
//! because a band on its charger records nothing else. One plan costs a few microseconds and is
//! a pure function of (seed, day).

use super::activity::Activity;
use super::charging::session_on;
use super::minute::{day_start, is_weekend, MINUTES_PER_DAY};
use super::rng::{hash, unit, Purpose, SplitMix};
use super::sleep::Night;
use super::traits::Traits;

const DAY: usize = MINUTES_PER_DAY as usize;

/// Fidgeting is decided per block of this many minutes.
const FIDGET_BLOCK: i64 = 10;

/// The activity of every minute of one local day.
#[derive(Clone)]
pub(crate) struct DayPlan {
    /// Local day index.
    pub day: i64,
    minutes: [Activity; DAY],
}

impl DayPlan {
    /// The plan of local day `day`.
    pub(crate) fn build(seed: u64, traits: &Traits, day: i64) -> DayPlan {
        let mut plan = DayPlan {
            day,
            minutes: [Activity::Sitting; DAY],
        };
        let start = day_start(day);
        let end = start + MINUTES_PER_DAY;
        let last_night = Night::of(seed, traits, day - 1);
        let tonight = Night::of(seed, traits, day);
        for night in [&last_night, &tonight] {
            for m in night.onset.max(start)..night.wake.min(end) {
                plan.minutes[(m - start) as usize] = night.stage_at(m);
            }
        }
        let mut awake = Awake {
            minutes: &mut plan.minutes,
            from: (last_night.wake - start).max(0),
            to: (tonight.onset - start).min(MINUTES_PER_DAY),
        };
        let mut r = SplitMix::new(seed, Purpose::Day, day);
        awake.fidget(seed, day);
        if is_weekend(day) {
            awake.weekend(traits, &mut r);
        } else {
            awake.work_day(traits, &mut r);
        }
        awake.off_wrist(traits, &mut r);
        if let Some(s) = session_on(seed, traits, day) {
            for m in s.start.max(start)..s.end.min(end) {
                plan.minutes[(m - start) as usize] = Activity::Charging;
            }
        }
        plan
    }

    /// The activity at `minute` (0..1440) of the day; out-of-range minutes read as the last one.
    pub(crate) fn at(&self, minute: usize) -> Activity {
        self.minutes[minute.min(DAY - 1)]
    }
}

/// The waking part of a day, `from..to` in minutes of the day, being filled in.
struct Awake<'a> {
    minutes: &'a mut [Activity; DAY],
    from: i64,
    to: i64,
}

impl Awake<'_> {
    /// Marks `len` minutes from `at` as `what`, clipped to the waking window; returns the end.
    fn put(&mut self, at: i64, len: i64, what: Activity) -> i64 {
        for m in at.max(self.from)..(at + len).min(self.to) {
            self.minutes[m as usize] = what;
        }
        at + len.max(0)
    }

    /// Short bursts of moving about (coffee, stairs, kitchen) scattered over the day.
    fn fidget(&mut self, seed: u64, day: i64) {
        let blocks = MINUTES_PER_DAY / FIDGET_BLOCK;
        for b in 0..blocks {
            let h = hash(seed, Purpose::Fidget, day * blocks + b);
            if unit(h) < 0.14 {
                let len = 2 + (h >> 8) as i64 % 5;
                let at = b * FIDGET_BLOCK + (h >> 16) as i64 % (FIDGET_BLOCK - 2);
                self.put(at, len, Activity::Pottering);
            }
        }
    }

    /// Routine, commute, desk, lunch, commute, chores, maybe exercise.
    fn work_day(&mut self, t: &Traits, r: &mut SplitMix) {
        let level = t.activity_level;
        let routine_end = self.put(self.from, r.between(25, 50), Activity::Pottering);
        let leave = routine_end + r.between(0, 20);
        let commute = (t.commute_walk + r.between(-2, 3)).max(2);
        self.put(leave, commute, Activity::Walking);
        let lunch = 12 * 60 + r.between(0, 45);
        if r.chance(0.35 * level) {
            self.put(lunch, scaled(r.between(8, 25), level), Activity::Walking);
        } else {
            self.put(lunch, r.between(5, 15), Activity::Pottering);
        }
        let home = 16 * 60 + 30 + r.between(0, 90);
        self.put(home - commute, commute, Activity::Walking);
        self.put(home, r.between(20, 45), Activity::Pottering);
        let evening = 18 * 60 + r.between(15, 150);
        if r.chance(t.run_chance) {
            self.run(evening, r);
        } else if r.chance(t.evening_walk_chance) {
            self.put(evening, scaled(r.between(20, 55), level), Activity::Walking);
        }
        self.put(self.to - r.between(10, 25), 30, Activity::Pottering);
    }

    /// Late routine, then a long walk or a run, errands, maybe a nap.
    fn weekend(&mut self, t: &Traits, r: &mut SplitMix) {
        let level = t.activity_level;
        let routine_end = self.put(self.from, r.between(30, 80), Activity::Pottering);
        let mut outing = true;
        if r.chance(t.run_chance * 1.3) {
            self.run(routine_end + r.between(30, 120), r);
        } else if r.chance(0.35 + 0.3 * level) {
            let at = 10 * 60 + 30 + r.between(0, 270);
            let first = self.put(at, scaled(r.between(20, 50), level), Activity::Walking);
            let pause = self.put(first, r.between(0, 25), Activity::Sitting);
            self.put(pause, scaled(r.between(15, 45), level), Activity::Walking);
        } else {
            outing = false;
        }
        // Nobody spends a whole weekend day on the sofa: without an outing there are errands.
        if !outing || r.chance(0.5) {
            let mut at = 11 * 60 + r.between(0, 360);
            let end = at + r.between(30, 90);
            while at < end {
                at = self.put(at, r.between(2, 7), Activity::Walking);
                at = self.put(at, r.between(3, 10), Activity::Pottering);
            }
        }
        if r.chance(0.08) {
            let at = 13 * 60 + 30 + r.between(0, 120);
            let nap = self.put(at, r.between(20, 50), Activity::LightSleep);
            self.put(nap, r.between(5, 15), Activity::Sitting);
        }
        if r.chance(t.evening_walk_chance * if outing { 0.4 } else { 0.8 }) {
            let at = 18 * 60 + r.between(0, 150);
            self.put(at, scaled(r.between(20, 50), level), Activity::Walking);
        }
        self.put(self.to - r.between(10, 25), 30, Activity::Pottering);
    }

    /// A run with a short walk either side.
    fn run(&mut self, at: i64, r: &mut SplitMix) {
        let warm = self.put(at, r.between(3, 7), Activity::Walking);
        let done = self.put(warm, r.between(20, 50), Activity::Running);
        self.put(done, r.between(3, 8), Activity::Walking);
    }

    /// The shower after waking up, and now and then a long evening with the band on the table.
    fn off_wrist(&mut self, t: &Traits, r: &mut SplitMix) {
        if r.chance(t.shower_off_chance) {
            self.put(
                self.from + r.between(5, 25),
                r.between(8, 18),
                Activity::NotWorn,
            );
        }
        if r.chance(t.long_off_chance) {
            let at = 17 * 60 + r.between(0, 240);
            self.put(at, r.between(60, 240), Activity::NotWorn);
        }
    }
}

/// `minutes` scaled by the activity level, rounded down.
fn scaled(minutes: i64, level: f64) -> i64 {
    (minutes as f64 * level) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(plan: &DayPlan, range: std::ops::Range<usize>, f: fn(Activity) -> bool) -> usize {
        range.filter(|&m| f(plan.at(m))).count()
    }

    #[test]
    fn nights_are_asleep_and_afternoons_awake() {
        let (mut night, mut afternoon) = (0, 0);
        for seed in 0..100 {
            let t = Traits::from_seed(seed);
            for day in 20_000..20_007 {
                let p = DayPlan::build(seed, &t, day);
                let n = count(&p, 60..300, Activity::is_asleep);
                let a = count(&p, 660..1020, Activity::is_asleep);
                assert!(n > 120 && a < 60, "seed {seed} day {day}: {n} {a}");
                (night, afternoon) = (night + n, afternoon + a);
            }
        }
        // 01:00-05:00 is nearly all sleep, 11:00-17:00 nearly never (naps are rare).
        assert!(night as f64 > 0.9 * (700 * 240) as f64, "{night}");
        assert!(
            (afternoon as f64) < 0.01 * (700 * 360) as f64,
            "{afternoon}"
        );
    }

    #[test]
    fn a_week_has_walking_and_time_off_the_wrist() {
        for seed in 0..100 {
            let t = Traits::from_seed(seed);
            let plans: Vec<DayPlan> = (20_000..20_007)
                .map(|d| DayPlan::build(seed, &t, d))
                .collect();
            let any = |a: Activity| plans.iter().any(|p| (0..DAY).any(|m| p.at(m) == a));
            assert!(
                any(Activity::Walking) && any(Activity::Charging),
                "seed {seed}"
            );
            assert!(
                any(Activity::DeepSleep) && any(Activity::RemSleep),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn plans_are_deterministic() {
        let t = Traits::from_seed(11);
        let a = DayPlan::build(11, &t, 20_003);
        let b = DayPlan::build(11, &t, 20_003);
        assert!((0..DAY).all(|m| a.at(m) == b.at(m)));
        assert_eq!(a.at(5000), a.at(DAY - 1));
    }
}
