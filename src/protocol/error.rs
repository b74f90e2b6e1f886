//! The one error type of the pure protocol layer: every decoder returns it instead of panicking.

/// Why a byte sequence is not the message it was supposed to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the message needs.
    #[error("{what}: need at least {need} bytes, got {got}")]
    TooShort {
        /// The message.
        what: &'static str,
        /// Minimum length.
        need: usize,
        /// Actual length.
        got: usize,
    },
    /// A length the message never has.
    #[error("{what}: unexpected length {got} ({expected})")]
    BadLength {
        /// The message.
        what: &'static str,
        /// Actual length.
        got: usize,
        /// What lengths are valid.
        expected: &'static str,
    },
    /// A byte that is not what the message starts with or allows.
    #[error("{what}: unexpected byte 0x{value:02x} at offset {offset}")]
    BadByte {
        /// The message.
        what: &'static str,
        /// Where.
        offset: usize,
        /// The byte found.
        value: u8,
    },
    /// A date/time field out of range (month 13, minute 61, ...).
    #[error("{what}: invalid date/time")]
    BadDate {
        /// The message.
        what: &'static str,
    },
    /// Activity packets whose counters are not consecutive: a packet was lost.
    #[error("activity packet counter gap: expected {expected}, got {got}")]
    CounterGap {
        /// The counter that should have come.
        expected: u8,
        /// The counter that came.
        got: u8,
    },
}

/// Splits a band reply `10 <cmd> <status> [rest]` (auth on 0x0009, fetch on 0x0004 share it).
pub(crate) fn reply_header(what: &'static str, b: &[u8]) -> Result<(u8, u8), DecodeError> {
    match b {
        [0x10, cmd, status, ..] => Ok((*cmd, *status)),
        [first, _, _, ..] => Err(DecodeError::BadByte {
            what,
            offset: 0,
            value: *first,
        }),
        _ => Err(DecodeError::TooShort {
            what,
            need: 3,
            got: b.len(),
        }),
    }
}
