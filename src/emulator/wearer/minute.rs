//! The world's clock unit: whole minutes since the Unix epoch.
//!
//! The band stores one sample per minute (docs/protocol.md §4.3), so every simulated quantity is
//! keyed by an `i64` minute index. UTC minutes address samples; *local* minutes (UTC + the wearer's
//! fixed offset) shape the day, since people sleep by the local clock.

use chrono::{DateTime, Utc};

/// Minutes in a day.
pub const MINUTES_PER_DAY: i64 = 1440;

/// The world is defined for minutes within ±2^40 (about two million years either side of 1970,
/// far beyond what chrono represents); inputs outside are clamped so that internal arithmetic on
/// minutes and days can never overflow.
pub const MINUTE_LIMIT: i64 = 1 << 40;

/// `m` clamped to `-MINUTE_LIMIT..=MINUTE_LIMIT`.
pub(crate) fn clamp_minute(m: i64) -> i64 {
    m.clamp(-MINUTE_LIMIT, MINUTE_LIMIT)
}

/// The minute containing `t` (floor, also before 1970).
pub fn utc_minute(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

/// Seconds of `t` past its minute start, `0..60`.
pub(crate) fn second_of_minute(t: DateTime<Utc>) -> i64 {
    t.timestamp().rem_euclid(60)
}

/// The start of minute `m`, clamped to chrono's representable range instead of failing.
pub fn minute_start(m: i64) -> DateTime<Utc> {
    let secs = m.saturating_mul(60);
    DateTime::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The local day index (days since 1970-01-01 local) of local minute `m`.
pub(crate) fn day_of(local_minute: i64) -> i64 {
    local_minute.div_euclid(MINUTES_PER_DAY)
}

/// Minute within the local day, `0..1440`.
pub(crate) fn minute_of_day(local_minute: i64) -> usize {
    local_minute.rem_euclid(MINUTES_PER_DAY) as usize
}

/// First local minute of local day `day`.
pub(crate) fn day_start(day: i64) -> i64 {
    day * MINUTES_PER_DAY
}

/// `true` for Saturday and Sunday; 1970-01-01 was a Thursday.
pub(crate) fn is_weekend(day: i64) -> bool {
    (day + 3).rem_euclid(7) >= 5
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate, Weekday};

    #[test]
    fn minutes_floor_before_the_epoch() {
        let t = DateTime::from_timestamp(-1, 0).unwrap();
        assert_eq!(utc_minute(t), -1);
        assert_eq!(second_of_minute(t), 59);
        assert_eq!(minute_start(-1), DateTime::from_timestamp(-60, 0).unwrap());
    }

    #[test]
    fn minute_start_clamps_instead_of_panicking() {
        assert_eq!(minute_start(i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(minute_start(i64::MIN), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn weekend_matches_the_calendar() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for day in -20..20 {
            let date = epoch + chrono::Days::new(0) + chrono::TimeDelta::days(day);
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            assert_eq!(is_weekend(day), weekend, "{date}");
        }
    }

    #[test]
    fn clamping_bounds_the_domain() {
        assert_eq!(clamp_minute(i64::MIN), -MINUTE_LIMIT);
        assert_eq!(clamp_minute(i64::MAX), MINUTE_LIMIT);
        assert_eq!(clamp_minute(5), 5);
    }

    #[test]
    fn day_helpers_agree() {
        assert_eq!(day_of(-1), -1);
        assert_eq!(minute_of_day(-1), 1439);
        assert_eq!(day_start(2) + 5, 2885);
    }
}
