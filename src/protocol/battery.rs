//! Battery info on 0x0006 (docs/protocol.md §3.1): 20 bytes, level at 1, status at 2, "last off" at
//! 3..10, last charge at **11**..18 (GB's offset 10 is a known bug, see the CONFLICT note), last
//! charge level at 19. Band-local times without zone.

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
    /// When the last charge ended (band-local).
    pub last_charge: Option<NaiveDateTime>,
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
        Ok(BatteryInfo {
            level_percent: b[1],
            charging: b[2] != 0,
            last_off: ts(3..10),
            last_charge: ts(11..18),
            last_charge_level_percent: b.get(19).copied(),
        })
    }

    /// The 20 bytes as the band sends them. Bytes 0, 10 and 18 are unknown (GB's sample has
    /// 0x0f, 0x04, 0x04); we send those sample values.
    pub fn encode(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[0] = 0x0f;
        out[1] = self.level_percent;
        out[2] = self.charging as u8;
        if let Some(t) = self.last_off {
            out[3..10].copy_from_slice(&encode_local(&t, true));
        }
        out[10] = 0x04;
        if let Some(t) = self.last_charge {
            out[11..18].copy_from_slice(&encode_local(&t, true));
        }
        out[18] = 0x04;
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
        assert_eq!(BatteryInfo::decode(&i.encode()).unwrap(), i);
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
