//! Battery info on 0x0006 (docs/protocol.md §3.1): 20 bytes, level at 1, status at 2, "last off" at
//! 3..10, last charge at **11**..18 (GB's offset 10 is a known bug, see the CONFLICT note), last
//! charge level at 19. Bytes 10 and 18 are the time-zone bytes (quarter-hours) of the timestamp
//! before each: a 7-byte date followed by its zone is the band's usual 8-byte date form (the
//! fetch reply's start date, §4.1), and GB's sample has 0x04 in both = UTC+1, the zone of its
//! author (docs/real-bands.md, "Battery bytes 10 and 18").

use chrono::NaiveDateTime;

use super::datetime::{decode_local, encode_local};
use super::error::DecodeError;

/// Decoded battery state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BatteryInfo {
    /// Level in percent.
    pub level_percent: u8,
    /// Status byte ≠ 0 means charging (grimsteel, miband-js).
    pub charging: bool,
    /// When the band was last switched off / previous event (band-local).
    pub last_off: Option<NaiveDateTime>,
    /// The zone of `last_off`, in quarter-hours (byte 10).
    pub last_off_tz_quarters: Option<i8>,
    /// When the last charge ended (band-local).
    pub last_charge: Option<NaiveDateTime>,
    /// The zone of `last_charge`, in quarter-hours (byte 18).
    pub last_charge_tz_quarters: Option<i8>,
    /// Level reached by the last charge.
    pub last_charge_level_percent: Option<u8>,
}

impl BatteryInfo {
    /// Parses the notification or read value. Short forms from older firmware give level and
    /// status only; an all-zero or impossible timestamp is `None`, not an error.
    pub fn decode(b: &[u8]) -> Result<BatteryInfo, DecodeError> {
        const W: &str = "battery";
        if b.len() < 3 {
            return Err(DecodeError::TooShort {
                what: W,
                need: 3,
                got: b.len(),
            });
        }
        let ts = |r: std::ops::Range<usize>| b.get(r).and_then(|s| decode_local(W, s).ok());
        let (last_off, last_charge) = (ts(3..10), ts(11..18));
        // A zone byte only means something next to a timestamp.
        let tz = |t: &Option<NaiveDateTime>, i: usize| t.and(b.get(i).map(|&z| z as i8));
        Ok(BatteryInfo {
            level_percent: b[1],
            charging: b[2] != 0,
            last_off_tz_quarters: tz(&last_off, 10),
            last_charge_tz_quarters: tz(&last_charge, 18),
            last_off,
            last_charge,
            last_charge_level_percent: b.get(19).copied(),
        })
    }

    /// The 20 bytes as the band sends them. Byte 0 is unknown (GB's sample has 0x0f, which we
    /// send); a missing zone is sent as GB's sample value 0x04.
    pub fn encode(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[0] = 0x0f;
        out[1] = self.level_percent;
        out[2] = self.charging as u8;
        if let Some(t) = self.last_off {
            out[3..10].copy_from_slice(&encode_local(&t, true));
        }
        out[10] = self.last_off_tz_quarters.unwrap_or(4) as u8;
        if let Some(t) = self.last_charge {
            out[11..18].copy_from_slice(&encode_local(&t, true));
        }
        out[18] = self.last_charge_tz_quarters.unwrap_or(4) as u8;
        out[19] = self.last_charge_level_percent.unwrap_or(0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gadgetbridge_sample_with_year_at_offset_11() {
        // GB's annotated sample layout: year at 11-12 gives 2017, not GB's 0xE004.
        let b = [
            0x0f, 0x2e, 0x00, 0xe1, 0x07, 0x0a, 0x09, 0x0b, 0x2d, 0x16, 0x04, 0xe1, 0x07, 0x0a,
            0x09, 0x08, 0x0a, 0x2a, 0x04, 0x64,
        ];
        let i = BatteryInfo::decode(&b).unwrap();
        assert_eq!(i.level_percent, 46);
        assert!(!i.charging);
        assert_eq!(i.last_off.unwrap().to_string(), "2017-10-09 11:45:22");
        assert_eq!(i.last_charge.unwrap().to_string(), "2017-10-09 08:10:42");
        assert_eq!(i.last_charge_level_percent, Some(100));
        // Bytes 10 and 18: the zones of the two timestamps, UTC+1 (4 quarter-hours).
        assert_eq!(i.last_off_tz_quarters, Some(4));
        assert_eq!(i.last_charge_tz_quarters, Some(4));
        assert_eq!(BatteryInfo::decode(&i.encode()).unwrap(), i);
        let mut west = b;
        west[10] = (-20i8) as u8;
        assert_eq!(
            BatteryInfo::decode(&west).unwrap().last_off_tz_quarters,
            Some(-20)
        );
    }

    #[test]
    fn short_and_zero_forms() {
        let i = BatteryInfo::decode(&[0x0f, 80, 1]).unwrap();
        assert_eq!(
            (i.level_percent, i.charging, i.last_charge),
            (80, true, None)
        );
        assert!(BatteryInfo::decode(&[0x0f, 80]).is_err());
        assert_eq!(BatteryInfo::decode(&[0; 20]).unwrap().last_off, None);
    }
}
