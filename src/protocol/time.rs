//! Current Time 0x2A2B in service FEE0 (docs/protocol.md §3.3): 11 bytes, read and written.
//! Day of week 1 = Monday; zone in signed quarter-hours *including* DST. Writing zone 0 (satcar77)
//! or a hard-coded zone (satcar77#16) makes later fetches miss recent data, so we always write the
//! real offset.

use chrono::{Datelike, NaiveDateTime};

use super::datetime::{decode_local, encode_local, BandDateTime};
use super::error::DecodeError;

/// The band clock as read from or written to 0x2A2B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrentTime {
    /// Local wall clock and zone.
    pub time: BandDateTime,
    /// 1 = Monday … 7 = Sunday, as sent (not recomputed, so a wrong band value is visible).
    pub day_of_week: u8,
    /// Fractions of a second in 1/256 (GB writes 0).
    pub fractions256: u8,
    /// Adjust reason (GB writes 0).
    pub adjust_reason: u8,
}

impl CurrentTime {
    /// The value to write for a local time in a zone; day of week computed (Mon = 1).
    pub fn new(local: NaiveDateTime, tz_quarters: i8) -> CurrentTime {
        CurrentTime {
            time: BandDateTime { local, tz_quarters },
            day_of_week: local.weekday().number_from_monday() as u8,
            fractions256: 0,
            adjust_reason: 0,
        }
    }

    /// The 11 bytes.
    pub fn encode(&self) -> [u8; 11] {
        let d = encode_local(&self.time.local, true);
        [
            d[0],
            d[1],
            d[2],
            d[3],
            d[4],
            d[5],
            d[6],
            self.day_of_week,
            self.fractions256,
            self.adjust_reason,
            self.time.tz_quarters as u8,
        ]
    }

    /// Parses 11 (or more) bytes.
    pub fn decode(b: &[u8]) -> Result<CurrentTime, DecodeError> {
        const W: &str = "current time";
        if b.len() < 11 {
            return Err(DecodeError::TooShort {
                what: W,
                need: 11,
                got: b.len(),
            });
        }
        let local = decode_local(W, &b[..7])?;
        Ok(CurrentTime {
            time: BandDateTime {
                local,
                tz_quarters: b[10] as i8,
            },
            day_of_week: b[7],
            fractions256: b[8],
            adjust_reason: b[9],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn gadgetbridge_unit_test_vector() {
        // docs/protocol.md §3.3:
        // 2022-12-15 20:38:53 Europe/Paris → e6 07 0c 0f 14 26 35 04 00 00 04.
        let local = NaiveDate::from_ymd_opt(2022, 12, 15)
            .unwrap()
            .and_hms_opt(20, 38, 53)
            .unwrap();
        let t = CurrentTime::new(local, 4);
        assert_eq!(
            t.encode(),
            [0xe6, 0x07, 0x0c, 0x0f, 0x14, 0x26, 0x35, 0x04, 0x00, 0x00, 0x04]
        );
        assert_eq!(CurrentTime::decode(&t.encode()).unwrap(), t);
    }

    #[test]
    fn decodes_mb2_capture_and_negative_zones() {
        let t = CurrentTime::decode(&[0xe2, 0x07, 0x04, 0x0f, 0x10, 0x14, 0x2b, 0x07, 0, 0, 0x0c])
            .unwrap();
        assert_eq!(t.time.local.to_string(), "2018-04-15 16:20:43");
        assert_eq!(t.day_of_week, 7);
        assert_eq!(t.time.offset_minutes(), 180);
        let ny = CurrentTime::new(t.time.local, -20);
        assert_eq!(ny.encode()[10], 0xec);
        assert_eq!(
            CurrentTime::decode(&ny.encode())
                .unwrap()
                .time
                .offset_minutes(),
            -300
        );
        assert!(CurrentTime::decode(&[0xe2, 0x07]).is_err());
    }
}
