//! The journal's on-disk framing: `[len: u32 LE][crc32: u32 LE][payload: len bytes]`, where the
//! CRC covers the length bytes and the payload.
//!
//! Covering the length too means a flipped length byte is caught as corruption instead of being
//! trusted; an incomplete frame at the end of a file is a write torn by a crash. Pure code, no I/O,
//! so every way a tail can break is unit-tested here.

/// Bytes before each payload.
pub const HEADER_LEN: usize = 8;

/// Largest payload accepted when reading; a bigger length is corruption, not a reason to allocate.
pub const MAX_PAYLOAD: usize = 64 << 20;

/// What sits at the start of a byte slice.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A complete, intact record and the bytes it occupies (header included).
    Record {
        /// The payload.
        payload: &'a [u8],
        /// Header + payload length.
        frame_len: usize,
    },
    /// Nothing left.
    End,
    /// The slice ends inside a frame: the tail of an interrupted append.
    Torn,
    /// A complete frame whose checksum or length is wrong.
    Corrupt,
}

/// Frames `payload` for appending.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len())
        .unwrap_or(u32::MAX)
        .to_le_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len);
    crc.update(payload);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads the frame at the start of `buf`.
pub fn decode(buf: &[u8]) -> Frame<'_> {
    if buf.is_empty() {
        return Frame::End;
    }
    let Some((header, rest)) = buf.split_first_chunk::<HEADER_LEN>() else {
        return Frame::Torn;
    };
    let (len_bytes, crc_bytes) = header.split_at(4);
    let len = u32::from_le_bytes(len_bytes.try_into().unwrap_or_default()) as usize;
    let stored_crc = u32::from_le_bytes(crc_bytes.try_into().unwrap_or_default());
    if len == 0 || len > MAX_PAYLOAD {
        return Frame::Corrupt;
    }
    let Some(payload) = rest.get(..len) else {
        return Frame::Torn;
    };
    let mut crc = crc32fast::Hasher::new();
    crc.update(len_bytes);
    crc.update(payload);
    if crc.finalize() != stored_crc {
        return Frame::Corrupt;
    }
    Frame::Record {
        payload,
        frame_len: HEADER_LEN + len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_consecutive_frames() {
        let mut buf = encode(b"first");
        buf.extend(encode(b"second record"));
        let Frame::Record { payload, frame_len } = decode(&buf) else {
            panic!("first frame")
        };
        assert_eq!(payload, b"first");
        assert_eq!(frame_len, HEADER_LEN + 5);
        assert_eq!(
            decode(&buf[frame_len..]),
            Frame::Record {
                payload: b"second record",
                frame_len: HEADER_LEN + 13
            }
        );
        assert_eq!(decode(&buf[buf.len()..]), Frame::End);
    }

    #[test]
    fn every_truncation_is_torn_never_a_record() {
        let buf = encode(b"a payload of some length");
        for cut in 1..buf.len() {
            assert_eq!(decode(&buf[..cut]), Frame::Torn, "cut at {cut}");
        }
    }

    #[test]
    fn any_flipped_byte_is_detected() {
        let buf = encode(b"payload");
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert!(
                matches!(decode(&bad), Frame::Corrupt | Frame::Torn),
                "flip at {i}: {:?}",
                decode(&bad)
            );
        }
    }

    #[test]
    fn zeroed_or_absurd_headers_are_corrupt() {
        // A crash can leave a zero-filled tail on some file systems.
        assert_eq!(decode(&[0u8; 64]), Frame::Corrupt);
        let mut huge = (u32::MAX).to_le_bytes().to_vec();
        huge.extend([0u8; 12]);
        assert_eq!(decode(&huge), Frame::Corrupt);
    }
}
