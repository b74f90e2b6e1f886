//! Activity history fetch (docs/protocol.md §4): control on 0x0004, data on 0x0005.
//!
//! Sequence: host `01 01 <since> 00 TZ` → band `10 01 01 <count u32> <start> TZ`; host `02` →
//! data packets `[counter][samples…]` → band `10 02 01`; host `03` (ack: the band may drop what
//! it sent) → band `10 03 01`. Sample i is stamped *start of the response* + i minutes — never the
//! requested time (the satcar77 off-by-4 bug, §4.3). A counter gap aborts the round (§4.2).

use super::datetime::{decode_local, encode_local, BandDateTime};
use super::error::DecodeError;

// The data packets of a fetch live in `history`; re-exported so a fetch is one import.
pub use super::history::{packetize, stamp, HistoryAssembler};

/// Data type byte for per-minute activity (`HuamiFetchDataType.ACTIVITY`).
pub const DATA_ACTIVITY: u8 = 0x01;

/// What the host writes to 0x0004.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchCommand {
    /// `01 <type> YY YY MM DD hh mm 00 TZ`: start a fetch of `data_type` since a band-local time.
    Start {
        /// Data type (1 = activity).
        data_type: u8,
        /// The instant to fetch from, in the band's local time and zone.
        since: BandDateTime,
    },
    /// `02`: send the data.
    FetchData,
    /// `03`: acknowledge; the band may discard what it sent.
    Ack,
}

impl FetchCommand {
    /// Encodes the command (minute precision, as GB sends by default).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            FetchCommand::Start { data_type, since } => {
                let mut v = vec![0x01, *data_type];
                v.extend(encode_local(&since.local, false));
                v.extend([0x00, since.tz_quarters as u8]);
                v
            }
            FetchCommand::FetchData => vec![0x02],
            FetchCommand::Ack => vec![0x03],
        }
    }

    /// Parses a host write (the band's side): the 10-byte minute form, the 13-byte seconds form,
    /// `02`, and `03` (also Zepp OS's `03 xx`).
    pub fn decode(b: &[u8]) -> Result<FetchCommand, DecodeError> {
        const W: &str = "fetch command";
        match b {
            [0x01, t, rest @ ..] if rest.len() == 8 => Ok(FetchCommand::Start {
                data_type: *t,
                since: BandDateTime {
                    local: decode_local(W, &rest[..6])?,
                    tz_quarters: rest[7] as i8,
                },
            }),
            [0x01, t, rest @ ..] if rest.len() == 11 => Ok(FetchCommand::Start {
                data_type: *t,
                since: BandDateTime {
                    local: decode_local(W, &rest[..7])?,
                    tz_quarters: rest[10] as i8,
                },
            }),
            [0x01, ..] => Err(DecodeError::BadLength {
                what: W,
                got: b.len(),
                expected: "10 or 13 bytes",
            }),
            [0x02] => Ok(FetchCommand::FetchData),
            [0x03] | [0x03, _] => Ok(FetchCommand::Ack),
            [] => Err(DecodeError::TooShort {
                what: W,
                need: 1,
                got: 0,
            }),
            [first, ..] => Err(DecodeError::BadByte {
                what: W,
                offset: 0,
                value: *first,
            }),
        }
    }
}

/// What the band notifies on 0x0004.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchReply {
    /// `10 01 01 <count> <start> TZ`: data ready; `count` samples from `start`.
    Started {
        /// Number of one-minute samples (§4.4: don't size buffers by it).
        count: u32,
        /// First sample's minute in the band's local time and zone.
        start: BandDateTime,
    },
    /// `10 01 xx`, xx ≠ 01 (janvda saw `10 01 02` after too-quick requests).
    StartFailed {
        /// Status byte.
        code: u8,
    },
    /// `10 02 01` (optionally with a CRC32 on Zepp OS): transfer complete.
    Done {
        /// Trailing CRC32, if sent.
        crc: Option<u32>,
    },
    /// `10 02 xx`, xx ≠ 01: `04` = "no more fetch possible".
    DoneFailed {
        /// Status byte.
        code: u8,
    },
    /// `10 03 xx`: answer to the ack.
    Acked {
        /// Status byte (01 = ok).
        code: u8,
    },
    /// Any other `10 cmd status`.
    Other {
        /// Command byte.
        cmd: u8,
        /// Status byte.
        code: u8,
    },
}

impl FetchReply {
    /// Parses a notification from 0x0004.
    pub fn decode(b: &[u8]) -> Result<FetchReply, DecodeError> {
        const W: &str = "fetch reply";
        let (cmd, code) = super::error::reply_header(W, b)?;
        Ok(match (cmd, code) {
            (0x01, 0x01) => {
                if b.len() < 15 {
                    return Err(DecodeError::TooShort {
                        what: W,
                        need: 15,
                        got: b.len(),
                    });
                }
                FetchReply::Started {
                    count: u32::from_le_bytes([b[3], b[4], b[5], b[6]]),
                    start: BandDateTime {
                        local: decode_local(W, &b[7..14])?,
                        tz_quarters: b[14] as i8,
                    },
                }
            }
            (0x01, code) => FetchReply::StartFailed { code },
            (0x02, 0x01) => FetchReply::Done {
                crc: b
                    .get(3..7)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            },
            (0x02, code) => FetchReply::DoneFailed { code },
            (0x03, code) => FetchReply::Acked { code },
            (cmd, code) => FetchReply::Other { cmd, code },
        })
    }

    /// Encodes the reply as the band sends it.
    pub fn encode(&self) -> Vec<u8> {
        match *self {
            FetchReply::Started { count, start } => {
                let mut v = vec![0x10, 0x01, 0x01];
                v.extend(count.to_le_bytes());
                v.extend(encode_local(&start.local, true));
                v.push(start.tz_quarters as u8);
                v
            }
            FetchReply::StartFailed { code } => vec![0x10, 0x01, code],
            FetchReply::Done { crc } => {
                let mut v = vec![0x10, 0x02, 0x01];
                if let Some(c) = crc {
                    v.extend(c.to_le_bytes());
                }
                v
            }
            FetchReply::DoneFailed { code } => vec![0x10, 0x02, code],
            FetchReply::Acked { code } => vec![0x10, 0x03, code],
            FetchReply::Other { cmd, code } => vec![0x10, cmd, code],
        }
    }

    /// The command name used in JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            FetchReply::Started { .. } | FetchReply::StartFailed { .. } => "start",
            FetchReply::Done { .. } | FetchReply::DoneFailed { .. } => "done",
            FetchReply::Acked { .. } => "ack",
            FetchReply::Other { .. } => "unknown",
        }
    }

    /// Whether the status byte was 01.
    pub fn ok(&self) -> bool {
        match *self {
            FetchReply::Started { .. } | FetchReply::Done { .. } => true,
            FetchReply::Acked { code } | FetchReply::Other { code, .. } => code == 0x01,
            FetchReply::StartFailed { .. } | FetchReply::DoneFailed { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn amazfish_capture() {
        // Request 0101e50702110d110000, response 100101ea010000e50702110e110004 (§4.1).
        let req = hex::decode("0101e50702110d110000").unwrap();
        let cmd = FetchCommand::decode(&req).unwrap();
        assert_eq!(cmd.encode(), req);
        match cmd {
            FetchCommand::Start { data_type, since } => {
                assert_eq!(data_type, DATA_ACTIVITY);
                assert_eq!(since.local.to_string(), "2021-02-17 13:17:00");
                assert_eq!(since.tz_quarters, 0);
            }
            other => panic!("{other:?}"),
        }
        let resp = hex::decode("100101ea010000e50702110e110004").unwrap();
        let r = FetchReply::decode(&resp).unwrap();
        assert_eq!(r.encode(), resp);
        match r {
            FetchReply::Started { count, start } => {
                assert_eq!(count, 490);
                assert_eq!(start.to_fixed().to_rfc3339(), "2021-02-17T14:17:00+01:00");
                // The band converted the requested instant into its own local time.
                assert_eq!(start.to_utc(), since_utc(&req));
            }
            other => panic!("{other:?}"),
        }
    }

    fn since_utc(req: &[u8]) -> DateTime<Utc> {
        match FetchCommand::decode(req).unwrap() {
            FetchCommand::Start { since, .. } => since.to_utc(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn replies() {
        assert_eq!(
            FetchReply::decode(&[0x10, 0x02, 0x01]).unwrap(),
            FetchReply::Done { crc: None }
        );
        assert_eq!(
            FetchReply::decode(&[0x10, 0x02, 0x04]).unwrap(),
            FetchReply::DoneFailed { code: 4 }
        );
        assert_eq!(
            FetchReply::decode(&[0x10, 0x01, 0x02]).unwrap(),
            FetchReply::StartFailed { code: 2 }
        );
        assert_eq!(
            FetchReply::decode(&[0x10, 0x03, 0x01]).unwrap(),
            FetchReply::Acked { code: 1 }
        );
        assert!(FetchReply::decode(&[0x10, 0x01, 0x01, 0]).is_err());
        assert_eq!(
            FetchCommand::decode(&[0x03, 0x09]).unwrap(),
            FetchCommand::Ack
        );
    }
}
