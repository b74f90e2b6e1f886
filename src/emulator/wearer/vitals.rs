//! The body behind the band: steps, movement intensity and heart rate for a minute of activity.
//!
//! Values are drawn around per-state means with per-minute noise. Heart rate also carries the
//! recent past (it climbs over a few minutes into a walk and settles after) and a slow drift, so a
//! continuous measurement looks like a pulse rather than dice.

use chrono::{DateTime, Utc};

use super::activity::Activity;
use super::history::Generator;
use super::minute::{second_of_minute, utc_minute};
use super::person::Person;
use super::rng::{between, derive, hash, Purpose};
use super::traits::Traits;

/// Lowest and highest heart rate the model produces, bpm.
pub const HEART_RATE_RANGE: (u8, u8) = (40, 190);

/// Minutes between anchors of the slow heart-rate drift.
const DRIFT_PERIOD: i64 = 15;

/// Which derived value of the minute hash feeds which decision.
#[derive(Clone, Copy)]
#[repr(u64)]
pub(crate) enum Draw {
    Steps = 1,
    Intensity = 2,
    Heart = 3,
    Missing = 4,
    KindSpelling = 5,
    DeepScore = 6,
    RemScore = 7,
}

/// Draw `d` of the minute hash `h`.
pub(crate) fn draw(h: u64, d: Draw) -> u64 {
    derive(h, d as u64)
}

/// Steps taken in a minute of `a`.
pub(crate) fn steps(traits: &Traits, a: Activity, h: u64) -> u8 {
    let bits = draw(h, Draw::Steps);
    let n = match a {
        // A night-time bathroom trip now and then.
        Activity::Restless if bits % 4 == 0 => between(bits, 5, 30),
        Activity::Sitting if bits % 25 == 0 => between(bits, 1, 8),
        Activity::Pottering => between(bits, 5, 45),
        Activity::Walking => i64::from(traits.cadence) + between(bits, -8, 8),
        Activity::Running => between(bits, 150, 172),
        _ => 0,
    };
    n.clamp(0, 255) as u8
}

/// Raw movement intensity of a minute of `a` (GB divides by 180, docs/protocol.md §4.5).
pub(crate) fn intensity(a: Activity, h: u64) -> u8 {
    let bits = draw(h, Draw::Intensity);
    let n = match a {
        Activity::LightSleep if bits % 5 == 0 => between(bits, 1, 12),
        Activity::RemSleep => between(bits, 0, 4),
        Activity::Restless => between(bits, 10, 45),
        Activity::Sitting => between(bits, 0, 18),
        Activity::Pottering => between(bits, 20, 60),
        Activity::Walking => between(bits, 55, 110),
        Activity::Running => between(bits, 115, 200),
        _ => 0,
    };
    n.clamp(0, 255) as u8
}

/// The heart rate the body tends towards while doing `a`.
fn target(traits: &Traits, a: Activity) -> i64 {
    let rest = i64::from(traits.resting_hr);
    match a {
        Activity::DeepSleep => rest - 7,
        Activity::LightSleep => rest - 3,
        Activity::RemSleep => rest + 1,
        Activity::Restless => rest + 6,
        Activity::Sitting | Activity::NotWorn | Activity::Charging => rest + 8,
        Activity::Pottering => rest + 18,
        Activity::Walking => rest + 34,
        Activity::Running => i64::from(traits.running_hr),
    }
}

/// Heart rate in local minute `m` whose activity is `recent[0]`, the minute before
/// `recent[1]`, and so on.
pub(crate) fn heart_rate(seed: u64, traits: &Traits, m: i64, recent: [Activity; 4], h: u64) -> u8 {
    let weighted: i64 = recent
        .iter()
        .zip([4, 3, 2, 1])
        .map(|(&a, w)| w * target(traits, a))
        .sum();
    let jitter = between(draw(h, Draw::Heart), -1, 1);
    let bpm = weighted / 10 + drift(seed, m) + jitter;
    bpm.clamp(i64::from(HEART_RATE_RANGE.0), i64::from(HEART_RATE_RANGE.1)) as u8
}

/// A slow wander of ±4 bpm, linear between anchors every [`DRIFT_PERIOD`] minutes.
fn drift(seed: u64, m: i64) -> i64 {
    let k = m.div_euclid(DRIFT_PERIOD);
    let into = m.rem_euclid(DRIFT_PERIOD);
    let anchor = |k: i64| between(hash(seed, Purpose::HeartNoise, k), -4, 4);
    (anchor(k) * (DRIFT_PERIOD - into) + anchor(k + 1) * into) / DRIFT_PERIOD
}

/// `true` if the band failed to get a reading in this worn minute.
pub(crate) fn reading_missing(traits: &Traits, h: u64) -> bool {
    super::rng::unit(draw(h, Draw::Missing)) < traits.hr_missing_chance
}

/// Bytes 4..8 of an MB5 sample. Their meaning is unverified (docs/protocol.md §4.2); the emulator
/// follows GB's Zepp OS names: unknown, asleep flag, deep-sleep score (>42 = deep), REM score
/// (>55 = REM). Awake or off-wrist minutes are all zero.
pub(crate) fn extra_bytes(a: Activity, h: u64) -> [u8; 4] {
    if !a.is_asleep() {
        return [0; 4];
    }
    let deep_bits = draw(h, Draw::DeepScore);
    let rem_bits = draw(h, Draw::RemScore);
    let deep = match a {
        Activity::DeepSleep => between(deep_bits, 43, 100),
        _ => between(deep_bits, 5, 30),
    };
    let rem = match a {
        Activity::RemSleep => between(rem_bits, 56, 100),
        _ => between(rem_bits, 0, 30),
    };
    [0, 1, deep as u8, rem as u8]
}

impl Person {
    /// A live heart-rate reading at `t`, as a one-shot or continuous measurement reports it
    /// (docs/protocol.md §3.4): the minute's pulse with a little beat-to-beat wobble that changes
    /// every few seconds. `None` while the band is off the wrist.
    pub fn heart_rate_at(&self, t: DateTime<Utc>) -> Option<u8> {
        let m = utc_minute(t);
        let mut g = Generator::new(self);
        if !g.activity(m).is_worn() {
            return None;
        }
        let pulse = i64::from(g.body_heart_rate(m));
        let local_second = self.local(m) * 60 + second_of_minute(t);
        let wobble = between(
            hash(self.seed(), Purpose::LiveHeart, local_second / 3),
            -2,
            2,
        );
        let (lo, hi) = HEART_RATE_RANGE;
        Some((pulse + wobble).clamp(i64::from(lo), i64::from(hi)) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heart_rate_follows_activity_and_stays_in_range() {
        let t = Traits::from_seed(1);
        let rest = i64::from(t.resting_hr);
        let deep = heart_rate(1, &t, 0, [Activity::DeepSleep; 4], 5);
        let walk = heart_rate(1, &t, 0, [Activity::Walking; 4], 5);
        let run = heart_rate(1, &t, 0, [Activity::Running; 4], 5);
        assert!(i64::from(deep) < rest && rest < i64::from(walk) && walk < run);
        for seed in 0..200 {
            let t = Traits::from_seed(seed);
            for a in Activity::ALL {
                for m in 0..30 {
                    let bpm = heart_rate(seed, &t, m, [a; 4], seed ^ m as u64);
                    assert!((HEART_RATE_RANGE.0..=HEART_RATE_RANGE.1).contains(&bpm));
                }
            }
        }
    }

    #[test]
    fn heart_rate_climbs_into_a_walk() {
        let t = Traits::from_seed(2);
        use Activity::{Sitting as S, Walking as W};
        let hr = |r| i64::from(heart_rate(2, &t, 0, r, 0));
        assert!(hr([W, S, S, S]) < hr([W, W, S, S]));
        assert!(hr([W, W, S, S]) < hr([W, W, W, W]));
    }

    #[test]
    fn drift_is_continuous() {
        for m in -100..100 {
            assert!((drift(3, m) - drift(3, m + 1)).abs() <= 1, "{m}");
        }
    }

    #[test]
    fn steps_and_intensity_match_the_activity() {
        let t = Traits::from_seed(4);
        for h in 0..200u64 {
            let h = super::super::rng::mix(h);
            assert_eq!(steps(&t, Activity::DeepSleep, h), 0);
            assert_eq!(steps(&t, Activity::Charging, h), 0);
            assert_eq!(intensity(Activity::NotWorn, h), 0);
            assert!((80..=130).contains(&steps(&t, Activity::Walking, h)));
            assert!((150..=172).contains(&steps(&t, Activity::Running, h)));
            assert!(intensity(Activity::Running, h) > intensity(Activity::Sitting, h));
        }
    }

    #[test]
    fn live_heart_rate_tracks_history_and_is_absent_off_wrist() {
        let p = Person::new(12);
        let start = 20_000 * 1440;
        let day = p.history_from_minute(start, 1440);
        let mut readings = 0;
        for (i, s) in day.iter().enumerate() {
            let t = DateTime::from_timestamp((start + i as i64) * 60 + 20, 0).unwrap();
            let live = p.heart_rate_at(t);
            assert_eq!(live, p.heart_rate_at(t), "deterministic");
            let worn = p.activity_at(t).is_worn();
            assert_eq!(live.is_some(), worn, "minute {i}");
            if let (Some(l), Some(h)) = (live, s.heart_rate) {
                assert!(l.abs_diff(h) <= 3, "minute {i}: {l} vs {h}");
                readings += 1;
            }
        }
        assert!(readings > 1000);
    }

    #[test]
    fn extra_bytes_flag_sleep_stages() {
        assert_eq!(extra_bytes(Activity::Walking, 9), [0; 4]);
        let deep = extra_bytes(Activity::DeepSleep, 9);
        let rem = extra_bytes(Activity::RemSleep, 9);
        assert_eq!(deep[1], 1);
        assert!(deep[2] > 42 && rem[2] <= 42);
        assert!(rem[3] > 55 && deep[3] <= 55);
    }
}
