//! Heart rate (docs/protocol.md §3.4): control point 0x2A39 commands and measurements on 0x2A37.
//! The periodic interval is a *binary* byte (satcar77 sent ASCII, so "1" became 49 minutes).

use super::error::DecodeError;

/// A command written to the heart-rate control point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HrCommand {
    /// `15 00 0x`: sleep-assist measurement on/off.
    SleepAssist(bool),
    /// `15 01 0x`: continuous measurement on/off (needs [`HrCommand::KeepAlive`] every ~12 s).
    Continuous(bool),
    /// `15 02 0x`: one-shot (manual) measurement start/stop.
    Manual(bool),
    /// `14 NN`: all-day measurement every NN minutes, 0 = off.
    Interval(u8),
    /// `16`: keeps continuous measurement running; without it the band stops after ~15 s.
    KeepAlive,
}

impl HrCommand {
    /// The bytes to write.
    pub fn encode(&self) -> Vec<u8> {
        match *self {
            HrCommand::SleepAssist(on) => vec![0x15, 0x00, on as u8],
            HrCommand::Continuous(on) => vec![0x15, 0x01, on as u8],
            HrCommand::Manual(on) => vec![0x15, 0x02, on as u8],
            HrCommand::Interval(m) => vec![0x14, m],
            HrCommand::KeepAlive => vec![0x16],
        }
    }

    /// Parses a write (the band's side).
    pub fn decode(b: &[u8]) -> Result<HrCommand, DecodeError> {
        const W: &str = "heart-rate command";
        let on = |v: u8| match v {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(DecodeError::BadByte {
                what: W,
                offset: 2,
                value,
            }),
        };
        match b {
            [0x15, 0x00, v] => Ok(HrCommand::SleepAssist(on(*v)?)),
            [0x15, 0x01, v] => Ok(HrCommand::Continuous(on(*v)?)),
            [0x15, 0x02, v] => Ok(HrCommand::Manual(on(*v)?)),
            [0x14, m] => Ok(HrCommand::Interval(*m)),
            [0x16] => Ok(HrCommand::KeepAlive),
            [] => Err(DecodeError::TooShort {
                what: W,
                need: 1,
                got: 0,
            }),
            [0x14..=0x16, ..] => Err(DecodeError::BadLength {
                what: W,
                got: b.len(),
                expected: "3 bytes for 15 xx yy, 2 for 14 NN, 1 for 16",
            }),
            [first, ..] => Err(DecodeError::BadByte {
                what: W,
                offset: 0,
                value: *first,
            }),
        }
    }
}

/// A heart-rate measurement notification: the standard HRM format; the Mi Band sends `00 BPM`.
/// A reading of 0 is "no reading" (`None`).
pub fn decode_measurement(b: &[u8]) -> Result<Option<u16>, DecodeError> {
    const W: &str = "heart-rate measurement";
    let flags = *b.first().ok_or(DecodeError::TooShort {
        what: W,
        need: 2,
        got: 0,
    })?;
    let bpm = if flags & 0x01 == 0 {
        *b.get(1).ok_or(DecodeError::TooShort {
            what: W,
            need: 2,
            got: b.len(),
        })? as u16
    } else {
        let s = b.get(1..3).ok_or(DecodeError::TooShort {
            what: W,
            need: 3,
            got: b.len(),
        })?;
        u16::from_le_bytes([s[0], s[1]])
    };
    Ok((bpm != 0).then_some(bpm))
}

/// The measurement as the band sends it.
pub fn encode_measurement(bpm: u8) -> [u8; 2] {
    [0x00, bpm]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_match_protocol_md() {
        assert_eq!(HrCommand::Manual(true).encode(), [0x15, 0x02, 0x01]);
        assert_eq!(HrCommand::Continuous(false).encode(), [0x15, 0x01, 0x00]);
        assert_eq!(HrCommand::SleepAssist(true).encode(), [0x15, 0x00, 0x01]);
        assert_eq!(HrCommand::KeepAlive.encode(), [0x16]);
        // Binary, not ASCII: 1 minute is 0x01, not '1' (0x31).
        assert_eq!(HrCommand::Interval(1).encode(), [0x14, 0x01]);
        for c in [
            HrCommand::Manual(false),
            HrCommand::Interval(30),
            HrCommand::KeepAlive,
        ] {
            assert_eq!(HrCommand::decode(&c.encode()).unwrap(), c);
        }
        assert!(HrCommand::decode(&[0x15, 0x02, 0x07]).is_err());
        assert!(HrCommand::decode(&[0x99]).is_err());
    }

    #[test]
    fn measurements() {
        assert_eq!(decode_measurement(&[0x00, 0x5d]).unwrap(), Some(93));
        assert_eq!(decode_measurement(&[0x00, 0x00]).unwrap(), None);
        assert_eq!(decode_measurement(&[0x01, 0x2c, 0x01]).unwrap(), Some(300));
        assert!(decode_measurement(&[0x00]).is_err());
        assert_eq!(encode_measurement(72), [0x00, 72]);
    }
}
