//! Realtime steps on 0x0007 (docs/protocol.md §3.2). The 13-byte form (MB2 ≥ 1.0.1.39, MB3/4/5)
//! holds u32 steps, metres and kcal; the 5-byte legacy form holds steps only. GB reads only u16
//! steps; we read the full u32 fields as miband-js does.

use super::error::DecodeError;

/// Today's running totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Steps {
    /// Steps since local midnight.
    pub steps: u32,
    /// Distance in metres (`None` in the 5-byte form).
    pub meters: Option<u32>,
    /// Energy in kcal (`None` in the 5-byte form).
    pub calories: Option<u32>,
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

impl Steps {
    /// Parses 13 or 5 bytes; other lengths are an error (GB: "Unrecognized realtime steps value").
    pub fn decode(b: &[u8]) -> Result<Steps, DecodeError> {
        match b.len() {
            13 => Ok(Steps {
                steps: u32_at(b, 1),
                meters: Some(u32_at(b, 5)),
                calories: Some(u32_at(b, 9)),
            }),
            5 => Ok(Steps {
                steps: u32_at(b, 1),
                meters: None,
                calories: None,
            }),
            n => Err(DecodeError::BadLength {
                what: "realtime steps",
                got: n,
                expected: "13 or 5 bytes",
            }),
        }
    }

    /// Encodes the 13-byte form (header 0x0C as observed) or the 5-byte one when metres and
    /// calories are both absent.
    pub fn encode(&self) -> Vec<u8> {
        match (self.meters, self.calories) {
            (None, None) => [&[0x00][..], &self.steps.to_le_bytes()].concat(),
            (m, c) => [
                &[0x0c][..],
                &self.steps.to_le_bytes(),
                &m.unwrap_or(0).to_le_bytes(),
                &c.unwrap_or(0).to_le_bytes(),
            ]
            .concat(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_and_five_byte_forms() {
        let s = Steps::decode(&[0x0c, 0x10, 0x27, 0, 0, 0x40, 0x1f, 0, 0, 0xc8, 0, 0, 0]).unwrap();
        assert_eq!(
            s,
            Steps {
                steps: 10000,
                meters: Some(8000),
                calories: Some(200)
            }
        );
        assert_eq!(Steps::decode(&s.encode()).unwrap(), s);
        // GB#1123: 00 b7 01 00 00 = 439 steps.
        let l = Steps::decode(&[0x00, 0xb7, 0x01, 0x00, 0x00]).unwrap();
        assert_eq!((l.steps, l.meters), (439, None));
        assert_eq!(l.encode(), [0x00, 0xb7, 0x01, 0x00, 0x00]);
        assert!(Steps::decode(&[0x0c, 1, 2]).is_err());
    }
}
