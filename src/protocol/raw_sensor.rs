//! Raw sensor stream (docs/protocol.md §5): control on 0x0001, packets on 0x0002. Accelerometer
//! packets are a type byte 0x01, a sequence byte and 1–3 int16 x/y/z triplets; raw PPG packets
//! are 16 bytes: 2 header bytes and 7 uint16 values (creotiv).

use super::error::DecodeError;

/// Control commands on 0x0001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RawControl {
    /// `01 xx 19`: select streams (01 accelerometer, 02 heart raw, 03 both).
    Select(u8),
    /// `02`: start.
    Start,
    /// `03`: stop.
    Stop,
}

impl RawControl {
    /// The bytes to write.
    pub fn encode(&self) -> Vec<u8> {
        match *self {
            RawControl::Select(m) => vec![0x01, m, 0x19],
            RawControl::Start => vec![0x02],
            RawControl::Stop => vec![0x03],
        }
    }
}

/// A decoded raw-data packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPacket {
    /// Accelerometer triplets (x, y, z); about 4100 = 1 g.
    Accelerometer {
        /// Packet sequence byte.
        seq: u8,
        /// The samples.
        samples: Vec<[i16; 3]>,
    },
    /// Raw photoplethysmogram values.
    HeartRaw {
        /// Packet sequence byte.
        seq: u8,
        /// The values.
        values: Vec<u16>,
    },
}

impl RawPacket {
    /// Parses a packet from 0x0002.
    pub fn decode(b: &[u8]) -> Result<RawPacket, DecodeError> {
        const W: &str = "raw sensor packet";
        if b.len() < 2 {
            return Err(DecodeError::TooShort {
                what: W,
                need: 2,
                got: b.len(),
            });
        }
        let body = &b[2..];
        if b[0] == 0x01 && !body.is_empty() && body.len() % 6 == 0 {
            let samples = body
                .chunks_exact(6)
                .map(|c| {
                    [
                        i16::from_le_bytes([c[0], c[1]]),
                        i16::from_le_bytes([c[2], c[3]]),
                        i16::from_le_bytes([c[4], c[5]]),
                    ]
                })
                .collect();
            return Ok(RawPacket::Accelerometer { seq: b[1], samples });
        }
        if (b[0] == 0x02 || b.len() == 16) && !body.is_empty() && body.len() % 2 == 0 {
            let values = body
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Ok(RawPacket::HeartRaw { seq: b[1], values });
        }
        Err(DecodeError::BadLength {
            what: W,
            got: b.len(),
            expected: "01 seq + 6-byte triplets, or 16 bytes of raw heart data",
        })
    }

    /// Encodes the packet as the band sends it.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            RawPacket::Accelerometer { seq, samples } => {
                let mut v = vec![0x01, *seq];
                for s in samples {
                    for a in s {
                        v.extend_from_slice(&a.to_le_bytes());
                    }
                }
                v
            }
            RawPacket::HeartRaw { seq, values } => {
                let mut v = vec![0x02, *seq];
                for x in values {
                    v.extend_from_slice(&x.to_le_bytes());
                }
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accelerometer_and_ppg() {
        let mut a = vec![0x01, 0x07];
        for v in [1i16, -2, 4100, 5, -6, 7, 8, 9, -10] {
            a.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(a.len(), 20);
        let p = RawPacket::decode(&a).unwrap();
        assert_eq!(
            p,
            RawPacket::Accelerometer {
                seq: 7,
                samples: vec![[1, -2, 4100], [5, -6, 7], [8, 9, -10]]
            }
        );
        assert_eq!(p.encode(), a);
        let mut h = vec![0x02, 0x03];
        for v in 1000u16..1007 {
            h.extend_from_slice(&v.to_le_bytes());
        }
        match RawPacket::decode(&h).unwrap() {
            RawPacket::HeartRaw { values, .. } => assert_eq!(values.len(), 7),
            other => panic!("{other:?}"),
        }
        assert!(RawPacket::decode(&[0x01, 0, 1, 2, 3]).is_err());
        assert_eq!(RawControl::Select(3).encode(), [0x01, 0x03, 0x19]);
    }
}
