//! Whole-world checks over many seeds and days: does the history look like a real person's week,
//! read only through the bytes a band would send?

use chrono::{DateTime, FixedOffset, Utc};
use proptest::prelude::*;

use super::history::Generator;
use super::kind_code::{is_carry, WAKE_UP};
use super::minute::{MINUTES_PER_DAY, MINUTE_LIMIT};
use super::rng::{hash, Purpose};
use super::vitals::{reading_missing, HEART_RATE_RANGE};
use super::{Activity, Person};
use crate::protocol::activity::{ActivitySample, SampleSize};

/// Seeds × days covered by the statistical tests.
const SEEDS: u64 = 30;
const DAYS: i64 = 14;
/// Local day 20_000 is 2024-10-04, a Friday.
const FIRST_DAY: i64 = 20_000;
/// UTC+3, so local and UTC days differ.
const OFFSET_MIN: i64 = 180;

fn person(seed: u64) -> Person {
    Person::new(seed).with_utc_offset(FixedOffset::east_opt(OFFSET_MIN as i32 * 60).unwrap())
}

/// The samples of `DAYS` local days, starting at local midnight.
fn fortnight(p: &Person) -> Vec<ActivitySample> {
    let first = FIRST_DAY * MINUTES_PER_DAY - OFFSET_MIN;
    p.history_from_minute(first, (DAYS * MINUTES_PER_DAY) as usize)
}

/// The kind a reader gets after carrying "no change" codes forward (GB's postprocess, §4.5);
/// `None` before the first explicit code. Wake-up is reported as activity.
fn carried_kinds(samples: &[ActivitySample]) -> Vec<Option<u8>> {
    let mut current = None;
    samples
        .iter()
        .map(|s| {
            if !is_carry(s.kind) {
                current = Some(match s.kind & 0x0F {
                    WAKE_UP => 1,
                    k => k,
                });
            }
            current
        })
        .collect()
}

#[test]
fn the_kind_bytes_tell_the_true_story() {
    for seed in 0..SEEDS {
        let p = person(seed);
        let first = FIRST_DAY * MINUTES_PER_DAY - OFFSET_MIN;
        let samples = p.history_from_minute(first, 3 * MINUTES_PER_DAY as usize);
        let mut g = Generator::new(&p);
        for (i, kind) in carried_kinds(&samples).into_iter().enumerate() {
            let truth = g.activity(first + i as i64).band_kind();
            if let Some(kind) = kind {
                assert_eq!(
                    kind, truth,
                    "seed {seed} minute {i} raw {:#x}",
                    samples[i].kind
                );
            }
        }
    }
}

#[test]
fn nights_are_sleep_and_afternoons_are_not() {
    let (mut night, mut night_sleep, mut day, mut day_sleep) = (0, 0, 0, 0);
    for seed in 0..SEEDS {
        let samples = fortnight(&person(seed));
        for (i, kind) in carried_kinds(&samples).into_iter().enumerate() {
            let asleep = matches!(kind, Some(9 | 11));
            match i as i64 % MINUTES_PER_DAY {
                60..300 => (night, night_sleep) = (night + 1, night_sleep + asleep as u32),
                660..1020 => (day, day_sleep) = (day + 1, day_sleep + asleep as u32),
                _ => {}
            }
        }
    }
    assert!(
        f64::from(night_sleep) > 0.85 * f64::from(night),
        "{night_sleep}/{night}"
    );
    assert!(
        f64::from(day_sleep) < 0.03 * f64::from(day),
        "{day_sleep}/{day}"
    );
}

#[test]
fn daily_steps_are_plausible_and_vary() {
    let mut totals = Vec::new();
    for seed in 0..SEEDS {
        let samples = fortnight(&person(seed));
        for day in samples.chunks(MINUTES_PER_DAY as usize) {
            let steps: u32 = day.iter().map(|s| u32::from(s.steps)).sum();
            assert!((2_000..=25_000).contains(&steps), "seed {seed}: {steps}");
            totals.push(steps);
            let asleep_steps: u32 = day[60..300].iter().map(|s| u32::from(s.steps)).sum();
            assert!(
                asleep_steps < 300,
                "seed {seed}: {asleep_steps} steps at night"
            );
        }
    }
    totals.sort_unstable();
    let median = totals[totals.len() / 2];
    assert!((5_000..=13_000).contains(&median), "median {median}");
}

#[test]
fn heart_rate_is_missing_exactly_off_wrist_or_when_flagged() {
    for seed in 0..SEEDS {
        let p = person(seed);
        let first = FIRST_DAY * MINUTES_PER_DAY - OFFSET_MIN;
        let samples = p.history_from_minute(first, 7 * MINUTES_PER_DAY as usize);
        let mut g = Generator::new(&p);
        let mut missing = 0;
        for (i, s) in samples.iter().enumerate() {
            let m = first + i as i64;
            let worn = g.activity(m).is_worn();
            let flagged = reading_missing(p.traits(), hash(seed, Purpose::Minute, p.local(m)));
            assert_eq!(
                s.heart_rate.is_none(),
                !worn || flagged,
                "seed {seed} minute {i}"
            );
            if let Some(bpm) = s.heart_rate {
                assert!((HEART_RATE_RANGE.0..=HEART_RATE_RANGE.1).contains(&bpm));
            }
            missing += (worn && flagged) as u32;
            if !worn {
                assert_eq!((s.steps, s.intensity), (0, 0), "seed {seed} minute {i}");
            }
        }
        assert!(
            missing > 0 && missing < 7 * 1440 / 20,
            "seed {seed}: {missing}"
        );
    }
}

#[test]
fn sleep_lowers_and_exercise_raises_heart_rate() {
    for seed in 0..SEEDS {
        let p = person(seed);
        let first = FIRST_DAY * MINUTES_PER_DAY - OFFSET_MIN;
        let samples = p.history_from_minute(first, 7 * MINUTES_PER_DAY as usize);
        let mut g = Generator::new(&p);
        let mut by = std::collections::HashMap::<Activity, (u32, u32)>::new();
        for (i, s) in samples.iter().enumerate() {
            if let Some(bpm) = s.heart_rate {
                let e = by.entry(g.activity(first + i as i64)).or_default();
                *e = (e.0 + u32::from(bpm), e.1 + 1);
            }
        }
        let mean = |a| by.get(&a).map(|&(sum, n)| sum / n).unwrap_or(0);
        let rest = u32::from(p.traits().resting_hr);
        assert!(mean(Activity::DeepSleep) < rest, "seed {seed}");
        assert!(mean(Activity::Walking) > rest + 15, "seed {seed}");
    }
}

#[test]
fn every_week_has_sleep_walks_showers_and_charging() {
    for seed in 0..SEEDS {
        let samples = fortnight(&person(seed));
        for week in samples.chunks(7 * MINUTES_PER_DAY as usize) {
            let kinds = carried_kinds(week);
            let has = |k: u8| kinds.contains(&Some(k));
            assert!(has(9) && has(11) && has(1) && has(6), "seed {seed}");
            let walking = week.iter().filter(|s| s.steps >= 80).count();
            assert!(walking > 60, "seed {seed}: {walking} walking minutes");
        }
    }
}

#[test]
fn mb5_samples_carry_extra_bytes_while_mb4_samples_do_not() {
    let p = person(1).with_sample_size(SampleSize::Eight);
    let mb5 = fortnight(&p);
    assert!(mb5.iter().all(|s| s.extra.is_some()));
    assert!(mb5
        .iter()
        .any(|s| matches!(s.extra, Some([_, 1, d, _]) if d > 42)));
    assert!(fortnight(&person(1)).iter().all(|s| s.extra.is_none()));
}

fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
    let (lo, hi) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    (lo..=hi).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn samples_never_panic(seed: u64, m: i64, offset in -1080i64..=1080) {
        let tz = FixedOffset::east_opt(offset as i32 * 60).unwrap();
        for size in [SampleSize::Four, SampleSize::Eight] {
            let p = Person::new(seed).with_utc_offset(tz).with_sample_size(size);
            let s = p.sample_at_minute(m);
            prop_assert_eq!(s.extra.is_some(), size == SampleSize::Eight);
            let window = p.history_from_minute(m, 3);
            prop_assert_eq!(window.len(), 3);
            if (-MINUTE_LIMIT..=MINUTE_LIMIT).contains(&m) {
                prop_assert_eq!(window[0], s);
            }
        }
    }

    #[test]
    fn time_based_queries_never_panic(seed: u64, t in any_time()) {
        let p = Person::new(seed);
        let b = p.battery_at(t);
        prop_assert!(b.level <= 100);
        let _ = (p.heart_rate_at(t), p.activity_at(t), p.sample_at(t));
        let _ = p.charge_sessions(t, t);
    }
}

#[test]
fn totals_at_the_ends_of_time_do_not_panic() {
    for t in [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        DateTime::UNIX_EPOCH,
    ] {
        let p = Person::new(3);
        let _ = p.totals_at(t);
    }
}
