//! Finding the intact records of a segment, around damage. Pure code, no I/O.
//!
//! A damaged frame cannot be trusted to say where the next one starts (its length may be the
//! damaged part), so after damage the scan tries every following offset until a frame decodes
//! with a valid checksum *and* its payload is a journal entry. A payload is JSON, so a candidate
//! must start with `{` before its checksum is even computed: that keeps the scan cheap on
//! garbage, and a CRC-32 plus a parse make a false match practically impossible.

use chrono::{DateTime, Utc};

use super::frame::{self, Frame};
use super::JournalEntry;
use crate::mac::Mac;
use crate::store::record::{BandRecord, Record};

/// An intact record in a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Intact {
    pub seq: u64,
    pub offset: usize,
    pub len: usize,
    /// Band and newest minute, for an activity record.
    pub activity: Option<(Mac, DateTime<Utc>)>,
}

/// A byte range holding no intact record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Damaged {
    pub start: usize,
    pub end: usize,
    /// It starts with a frame cut short by the end of the file (an interrupted append when it is
    /// the tail of the newest segment).
    pub torn: bool,
}

/// What a segment holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Scan {
    pub records: Vec<Intact>,
    pub damaged: Vec<Damaged>,
}

/// Splits a segment's bytes into intact records and damaged ranges, covering every byte.
pub(super) fn scan(bytes: &[u8]) -> Scan {
    let mut out = Scan::default();
    let mut at = 0;
    while at < bytes.len() {
        if let Some(r) = intact_at(bytes, at) {
            at += r.len;
            out.records.push(r);
            continue;
        }
        let torn = frame::decode(&bytes[at..]) == Frame::Torn;
        let next = (at + 1..bytes.len())
            .find(|&o| intact_at(bytes, o).is_some())
            .unwrap_or(bytes.len());
        out.damaged.push(Damaged {
            start: at,
            end: next,
            torn,
        });
        at = next;
    }
    out
}

fn intact_at(bytes: &[u8], at: usize) -> Option<Intact> {
    if bytes.get(at + frame::HEADER_LEN) != Some(&b'{') {
        return None;
    }
    let Frame::Record { payload, frame_len } = frame::decode(&bytes[at..]) else {
        return None;
    };
    let entry: JournalEntry = serde_json::from_slice(payload).ok()?;
    Some(Intact {
        seq: entry.seq,
        offset: at,
        len: frame_len,
        activity: activity_max(&entry.record),
    })
}

/// The band and newest minute of an activity record.
pub(super) fn activity_max(record: &BandRecord) -> Option<(Mac, DateTime<Utc>)> {
    let Record::Activity { samples } = &record.record else {
        return None;
    };
    let max = samples.iter().map(|s| s.ts).max()?;
    Some((record.mac, max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{BatteryReading, Record};
    use chrono::TimeZone;

    fn record(seq: u64) -> Vec<u8> {
        let entry = JournalEntry {
            seq,
            record: BandRecord {
                mac: Mac::new([0xC8, 0x0F, 0x10, 0xAA, 0xBB, 0x01]),
                record: Record::Battery(BatteryReading {
                    ts: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
                    level: 50,
                    charging: false,
                }),
            },
        };
        frame::encode(&serde_json::to_vec(&entry).unwrap())
    }

    fn seqs(s: &Scan) -> Vec<u64> {
        s.records.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn intact_segment_has_no_damage() {
        let bytes: Vec<u8> = (1..=5).flat_map(record).collect();
        let s = scan(&bytes);
        assert_eq!(seqs(&s), [1, 2, 3, 4, 5]);
        assert!(s.damaged.is_empty());
    }

    #[test]
    fn any_single_flipped_byte_costs_exactly_one_record() {
        let frames: Vec<Vec<u8>> = (1..=4).map(record).collect();
        let bytes: Vec<u8> = frames.concat();
        let second = frames[0].len()..frames[0].len() + frames[1].len();
        for i in second.clone() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x04;
            let s = scan(&bad);
            assert_eq!(seqs(&s), [1, 3, 4], "flip at {i}");
            let d = s.damaged[0];
            assert_eq!((d.start, d.end), (second.start, second.end), "flip at {i}");
        }
    }

    #[test]
    fn garbage_between_records_and_a_torn_tail_are_ranges_of_their_own() {
        let mut bytes = record(1);
        bytes.extend([0u8; 37]);
        bytes.extend(record(2));
        let tail = record(3);
        bytes.extend(&tail[..tail.len() - 3]);
        let s = scan(&bytes);
        assert_eq!(seqs(&s), [1, 2]);
        assert_eq!(s.damaged.len(), 2);
        assert!(!s.damaged[0].torn && s.damaged[1].torn);
        assert_eq!(s.damaged[1].end, bytes.len());
        let covered: usize = s.records.iter().map(|r| r.len).sum::<usize>()
            + s.damaged.iter().map(|d| d.end - d.start).sum::<usize>();
        assert_eq!(covered, bytes.len());
    }
}
