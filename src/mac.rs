//! A band's Bluetooth address: parsed once where it enters (devices.csv, `--band`, a journal
//! line), then carried as six bytes and written one way, `AA:BB:CC:DD:EE:FF` as BlueZ shows it.
//!
//! The upper-case text is for people, labels and BlueZ object paths; the database keeps whatever
//! case ARCO's miband-dc stored (the user's devices.csv as typed), which is why
//! [`crate::store::Store::band_id`] compares ignoring case.

use std::fmt;
use std::str::FromStr;

/// A Bluetooth device address. Ordered by its bytes, which is also the order of its text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac([u8; 6]);

/// Why a text is not a MAC. Never carries the text itself: a caller that may echo it (it may be a
/// key typed in the wrong column) decides for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    /// Nothing was given.
    #[error("expected a Bluetooth address like AA:BB:CC:DD:EE:FF, found nothing")]
    Empty,
    /// Not six groups separated by `:` or `-`.
    #[error("expected 6 groups separated by ':', found {0}")]
    GroupCount(usize),
    /// A group is not two hex digits.
    #[error("group {0} is not two hex digits")]
    Group(usize),
}

impl Mac {
    /// The address with these bytes, most significant first (as written).
    pub const fn new(bytes: [u8; 6]) -> Mac {
        Mac(bytes)
    }

    /// The six bytes, most significant first.
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// The address as a number (upper two bytes zero), for seeding per-band randomness.
    pub fn to_u64(self) -> u64 {
        let [a, b, c, d, e, f] = self.0;
        u64::from_be_bytes([0, 0, a, b, c, d, e, f])
    }
}

impl From<[u8; 6]> for Mac {
    fn from(bytes: [u8; 6]) -> Mac {
        Mac(bytes)
    }
}

impl FromStr for Mac {
    type Err = MacError;

    /// Six two-digit hex groups separated by `:` (or `-`, as some tools print them), any case.
    fn from_str(text: &str) -> Result<Mac, MacError> {
        if text.is_empty() {
            return Err(MacError::Empty);
        }
        let groups: Vec<&str> = text.split([':', '-']).collect();
        if groups.len() != 6 {
            return Err(MacError::GroupCount(groups.len()));
        }
        let mut out = [0u8; 6];
        for (i, (byte, group)) in out.iter_mut().zip(&groups).enumerate() {
            let ok = group.len() == 2 && group.bytes().all(|c| c.is_ascii_hexdigit());
            *byte = ok
                .then(|| u8::from_str_radix(group, 16).ok())
                .flatten()
                .ok_or(MacError::Group(i + 1))?;
        }
        Ok(Mac(out))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02X}:{b:02X}:{c:02X}:{d:02X}:{e:02X}:{g:02X}")
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mac({self})")
    }
}

impl serde::Serialize for Mac {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Mac {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Mac, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl prometheus_client::encoding::EncodeLabelValue for Mac {
    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::LabelValueEncoder,
    ) -> Result<(), fmt::Error> {
        use std::fmt::Write;
        write!(encoder, "{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_dashes_and_displays_upper_case_with_colons() {
        let m: Mac = "c8:0f:10:aB:00:01".parse().unwrap();
        assert_eq!(m.as_bytes(), &[0xC8, 0x0F, 0x10, 0xAB, 0, 1]);
        assert_eq!(m.to_string(), "C8:0F:10:AB:00:01");
        assert_eq!("C8-0F-10-AB-00-01".parse::<Mac>(), Ok(m));
        assert_eq!(format!("{m:?}"), "Mac(C8:0F:10:AB:00:01)");
        assert_eq!(m.to_u64(), 0xC80F_10AB_0001);
    }

    #[test]
    fn every_bad_group_is_an_error_never_a_zero() {
        assert_eq!("".parse::<Mac>(), Err(MacError::Empty));
        assert_eq!("AA:BB".parse::<Mac>(), Err(MacError::GroupCount(2)));
        assert_eq!(
            "AA:BB:CC:DD:EE:FF:00".parse::<Mac>(),
            Err(MacError::GroupCount(7))
        );
        assert_eq!("AA:BB:CC:DD:EE:GG".parse::<Mac>(), Err(MacError::Group(6)));
        assert_eq!("AA:B:CC:DD:EE:FF".parse::<Mac>(), Err(MacError::Group(2)));
        assert_eq!("AA:+B:CC:DD:EE:FF".parse::<Mac>(), Err(MacError::Group(2)));
        assert_eq!("AA:BBB:CC:DD:EE:F".parse::<Mac>(), Err(MacError::Group(2)));
        assert_eq!(" AA:BB:CC:DD:EE:FF".parse::<Mac>(), Err(MacError::Group(1)));
    }

    #[test]
    fn order_of_bytes_is_order_of_text() {
        let a: Mac = "0A:00:00:00:00:01".parse().unwrap();
        let b: Mac = "A0:00:00:00:00:00".parse().unwrap();
        assert!(a < b && a.to_string() < b.to_string());
    }

    #[test]
    fn serde_round_trips_as_text_and_reads_lower_case() {
        let m = Mac::new([0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x01]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, "\"AA:BB:CC:DD:EE:01\"");
        assert_eq!(
            serde_json::from_str::<Mac>("\"aa:bb:cc:dd:ee:01\"").unwrap(),
            m
        );
        assert!(serde_json::from_str::<Mac>("\"aa:bb\"").is_err());
    }
}
