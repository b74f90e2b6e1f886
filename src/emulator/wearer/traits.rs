//! The stable character of one simulated wearer, drawn once from the seed.
//!
//! Different seeds must look like different people (an early bird who runs, a late sleeper who
//! barely walks), yet every value stays within what a real band plausibly records.

use super::kind_code::KindStyle;
use super::rng::{Purpose, SplitMix};

/// Per-person constants. Times are local minutes after midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct Traits {
    /// Usual bedtime on a work night, minutes after the evening's midnight (22:30..00:30, so it may
    /// exceed 1440).
    pub bedtime: i64,
    /// Usual wake time on a work day (06:30..08:30).
    pub wake: i64,
    /// Resting heart rate, bpm (55..=75).
    pub resting_hr: u8,
    /// Heart rate the wearer settles at when running, bpm.
    pub running_hr: u8,
    /// Scales walk lengths and how often they happen (0.6 lazy .. 1.5 very active).
    pub activity_level: f64,
    /// Walking cadence, steps per minute.
    pub cadence: u8,
    /// Stride length, cm (distance = steps × stride).
    pub stride_cm: u8,
    /// Body weight, kg (active calories scale with it).
    pub weight_kg: u8,
    /// Minutes of walking each way to and from work.
    pub commute_walk: i64,
    /// Chance per evening of going for a walk.
    pub evening_walk_chance: f64,
    /// Chance per day of going for a run (0 for non-runners).
    pub run_chance: f64,
    /// Chance per day of taking the band off for a shower.
    pub shower_off_chance: f64,
    /// Chance per day of leaving the band off for an hour or more.
    pub long_off_chance: f64,
    /// The band is charged every this many days (3..=5).
    pub charge_every_days: i64,
    /// Which day of the charging cycle is charge day.
    pub charge_phase: i64,
    /// Battery percent used per day (5..7).
    pub drain_per_day: f64,
    /// Chance that a worn minute has no heart-rate reading.
    pub hr_missing_chance: f64,
    /// How the kind byte is written.
    pub kind_style: KindStyle,
}

impl Traits {
    /// The traits of the person with this seed.
    pub fn from_seed(seed: u64) -> Traits {
        let mut r = SplitMix::new(seed, Purpose::Traits, 0);
        let resting_hr = r.between(55, 75);
        let runner = r.chance(0.55);
        let charge_every_days = r.between(3, 5);
        // Late sleepers get up later: wake time follows bedtime plus the sleep this person needs.
        let bedtime = r.between(22 * 60 + 30, 24 * 60 + 30);
        let sleep_need = r.between(7 * 60, 8 * 60 + 30);
        Traits {
            bedtime,
            wake: (bedtime - 24 * 60 + sleep_need).clamp(6 * 60 + 30, 8 * 60 + 30),
            resting_hr: resting_hr as u8,
            running_hr: r.between(140, 168) as u8,
            activity_level: r.between_f(0.6, 1.5),
            cadence: r.between(96, 116) as u8,
            stride_cm: r.between(62, 85) as u8,
            weight_kg: r.between(50, 105) as u8,
            commute_walk: if r.chance(0.7) {
                r.between(8, 25)
            } else {
                r.between(2, 5)
            },
            evening_walk_chance: r.between_f(0.2, 0.7),
            run_chance: if runner { r.between_f(0.1, 0.35) } else { 0.0 },
            shower_off_chance: r.between_f(0.3, 0.95),
            long_off_chance: r.between_f(0.02, 0.12),
            charge_every_days,
            charge_phase: r.between(0, charge_every_days - 1),
            drain_per_day: r.between_f(5.0, 7.0),
            hr_missing_chance: r.between_f(0.005, 0.03),
            kind_style: if r.chance(0.7) {
                KindStyle::Mb4Log
            } else {
                KindStyle::Explicit
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traits_are_stable_per_seed_and_vary_between_seeds() {
        assert_eq!(Traits::from_seed(42), Traits::from_seed(42));
        let distinct: std::collections::HashSet<(i64, i64, u8)> = (0..50)
            .map(Traits::from_seed)
            .map(|t| (t.bedtime, t.wake, t.resting_hr))
            .collect();
        assert!(distinct.len() > 40);
    }

    #[test]
    fn traits_stay_in_their_documented_ranges() {
        for seed in 0..500 {
            let t = Traits::from_seed(seed);
            assert!((1350..=1470).contains(&t.bedtime));
            assert!((390..=510).contains(&t.wake));
            assert!((55..=75).contains(&t.resting_hr));
            assert!((3..=5).contains(&t.charge_every_days));
            assert!((0..t.charge_every_days).contains(&t.charge_phase));
            assert!((5.0..7.0).contains(&t.drain_per_day));
            assert!(t.running_hr > t.resting_hr + 60);
            let night = t.wake + 1440 - t.bedtime;
            assert!(
                (6 * 60 + 30..=10 * 60).contains(&night),
                "seed {seed}: {night}"
            );
        }
    }
}
