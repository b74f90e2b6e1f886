//! The date layout every Huami message shares: year u16 LE, month, day, hour, minute[, second],
//! and where present a time zone byte in signed quarter-hours (docs/protocol.md §3.3, GB
//! `rawBytesToCalendar`). Times on the band are *local*; the zone byte says which local.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

use super::error::DecodeError;

/// Decodes `year u16, month, day, hour, minute, second` (7 bytes) or without seconds (6 bytes).
pub fn decode_local(what: &'static str, b: &[u8]) -> Result<NaiveDateTime, DecodeError> {
    if b.len() < 6 {
        return Err(DecodeError::TooShort {
            what,
            need: 6,
            got: b.len(),
        });
    }
    let year = u16::from_le_bytes([b[0], b[1]]) as i32;
    let sec = b.get(6).copied().unwrap_or(0) as u32;
    NaiveDate::from_ymd_opt(year, b[2] as u32, b[3] as u32)
        .and_then(|d| d.and_hms_opt(b[4] as u32, b[5] as u32, sec))
        .ok_or(DecodeError::BadDate { what })
}

/// Encodes a local time as 7 bytes (`with_seconds`) or 6.
pub fn encode_local(t: &NaiveDateTime, with_seconds: bool) -> Vec<u8> {
    let y = (t.year().clamp(0, u16::MAX as i32) as u16).to_le_bytes();
    let mut v = vec![
        y[0],
        y[1],
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
    ];
    if with_seconds {
        v.push(t.second() as u8);
    }
    v
}

/// A band-local time with the zone the band holds, in quarter-hours east of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BandDateTime {
    /// Wall-clock time on the band.
    pub local: NaiveDateTime,
    /// Signed quarter-hours (DST included, as GB writes it).
    pub tz_quarters: i8,
}

impl BandDateTime {
    /// The UTC offset in minutes.
    pub fn offset_minutes(&self) -> i32 {
        self.tz_quarters as i32 * 15
    }

    /// The chrono offset (always valid: ±32 h is beyond any i8 quarter-hour count... clamped).
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.offset_minutes() * 60)
            .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
    }

    /// The absolute instant: local − offset.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.local.and_utc() - chrono::Duration::minutes(self.offset_minutes() as i64)
    }

    /// The same instant with its offset, e.g. for RFC 3339 output.
    pub fn to_fixed(&self) -> DateTime<FixedOffset> {
        self.offset().from_utc_datetime(&self.to_utc().naive_utc())
    }

    /// The local time of `utc` in a zone of `tz_quarters`.
    pub fn from_utc(utc: DateTime<Utc>, tz_quarters: i8) -> BandDateTime {
        BandDateTime {
            local: utc.naive_utc() + chrono::Duration::minutes(tz_quarters as i64 * 15),
            tz_quarters,
        }
    }
}

/// Converts an offset in seconds to quarter-hours, as the band stores it (rounded toward zero;
/// every real zone is a whole number of quarter-hours).
pub fn quarters_from_offset_seconds(secs: i32) -> i8 {
    (secs / 900).clamp(i8::MIN as i32, i8::MAX as i32) as i8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_impossible_dates() {
        let t = NaiveDate::from_ymd_opt(2021, 2, 17)
            .unwrap()
            .and_hms_opt(14, 17, 5)
            .unwrap();
        assert_eq!(decode_local("t", &encode_local(&t, true)).unwrap(), t);
        assert_eq!(encode_local(&t, false), [0xe5, 0x07, 2, 17, 14, 17]);
        assert!(decode_local("t", &[0xe5, 0x07, 13, 1, 0, 0]).is_err());
        assert!(decode_local("t", &[0xe5, 0x07, 2, 30, 0, 0]).is_err());
        assert!(decode_local("t", &[0xe5, 0x07, 2]).is_err());
    }

    #[test]
    fn utc_conversion_uses_the_zone_byte() {
        let b = BandDateTime {
            local: NaiveDate::from_ymd_opt(2021, 2, 17)
                .unwrap()
                .and_hms_opt(14, 17, 0)
                .unwrap(),
            tz_quarters: 4,
        };
        assert_eq!(b.to_utc().to_rfc3339(), "2021-02-17T13:17:00+00:00");
        assert_eq!(b.to_fixed().to_rfc3339(), "2021-02-17T14:17:00+01:00");
        assert_eq!(BandDateTime::from_utc(b.to_utc(), 4), b);
        assert_eq!(quarters_from_offset_seconds(5 * 3600 + 45 * 60), 23);
        assert_eq!(quarters_from_offset_seconds(-3 * 3600 - 30 * 60), -14);
    }
}
