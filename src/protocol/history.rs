//! Data packets on 0x0005 (docs/protocol.md §4.2, §4.3): reassembly whatever the MTU, counter
//! checks, and stamping sample i at the announced start + i minutes. Also the band side:
//! splitting samples into packets.

use chrono::{DateTime, Duration, Utc};

use super::activity::{ActivitySample, SampleSize, TimedSample};
use super::error::DecodeError;

/// Reassembles the 0x0005 packets of one transfer into samples, whatever the MTU: packets are
/// buffered, so a sample split across two packets is still decoded (GB only checks that the
/// total is a multiple of the sample size).
#[derive(Debug, Clone)]
pub struct HistoryAssembler {
    size: SampleSize,
    next_counter: u8,
    buf: Vec<u8>,
    samples: Vec<ActivitySample>,
}

impl HistoryAssembler {
    /// A new transfer (counter expected to start at 0).
    pub fn new(size: SampleSize) -> HistoryAssembler {
        HistoryAssembler::starting_at(size, 0)
    }

    /// A transfer whose first packet carries `first_counter`: the counterpart of
    /// [`packetize`]'s `first_counter`, for a band that keeps counting across rounds and for
    /// decoding packets cut from the middle of a capture.
    pub fn starting_at(size: SampleSize, first_counter: u8) -> HistoryAssembler {
        HistoryAssembler {
            size,
            next_counter: first_counter,
            buf: Vec::new(),
            samples: Vec::new(),
        }
    }

    /// Feeds one packet; returns how many new samples it completed. A counter that is not the
    /// next one (mod 256) is a gap: the round must be retried.
    pub fn push(&mut self, packet: &[u8]) -> Result<usize, DecodeError> {
        let (&counter, payload) = packet.split_first().ok_or(DecodeError::TooShort {
            what: "activity packet",
            need: 1,
            got: 0,
        })?;
        if counter != self.next_counter {
            return Err(DecodeError::CounterGap {
                expected: self.next_counter,
                got: counter,
            });
        }
        self.next_counter = self.next_counter.wrapping_add(1);
        self.buf.extend_from_slice(payload);
        let n = self.size.bytes();
        let whole = self.buf.len() / n * n;
        let before = self.samples.len();
        self.samples.extend(
            self.buf[..whole]
                .chunks_exact(n)
                .filter_map(|c| ActivitySample::decode(c, self.size)),
        );
        self.buf.drain(..whole);
        Ok(self.samples.len() - before)
    }

    /// Samples decoded so far.
    pub fn samples(&self) -> &[ActivitySample] {
        &self.samples
    }

    /// Bytes of an incomplete trailing sample (non-zero at the end means a truncated transfer).
    pub fn pending_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The samples, stamped from the start the band announced.
    pub fn into_timed(self, start: DateTime<Utc>) -> Vec<TimedSample> {
        stamp(start, &self.samples)
    }
}

/// Stamps samples: sample i is at `start` + i minutes.
pub fn stamp(start: DateTime<Utc>, samples: &[ActivitySample]) -> Vec<TimedSample> {
    samples
        .iter()
        .enumerate()
        .map(|(i, s)| TimedSample {
            ts: start + Duration::minutes(i as i64),
            sample: *s,
        })
        .collect()
}

/// Splits encoded samples into data packets for an ATT MTU: each packet is one counter byte plus
/// at most `mtu - 3 - 1` payload bytes, rounded down to whole samples as real bands send them.
/// `first_counter` lets a band continue counting across rounds (counters wrap at 256).
pub fn packetize(
    samples: &[ActivitySample],
    size: SampleSize,
    mtu: usize,
    first_counter: u8,
) -> Vec<Vec<u8>> {
    let n = size.bytes();
    let room = mtu.saturating_sub(4).max(n) / n * n;
    let mut bytes = Vec::with_capacity(samples.len() * n);
    for s in samples {
        s.encode_into(size, &mut bytes);
    }
    bytes
        .chunks(room)
        .enumerate()
        .map(|(i, c)| {
            let mut p = Vec::with_capacity(c.len() + 1);
            p.push(first_counter.wrapping_add(i as u8));
            p.extend_from_slice(c);
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn assembler_stamps_from_response_start_and_detects_gaps() {
        let samples: Vec<ActivitySample> = (0..10u8)
            .map(|i| ActivitySample {
                kind: 1,
                intensity: i,
                steps: i * 2,
                heart_rate: Some(60 + i),
                extra: None,
            })
            .collect();
        let packets = packetize(&samples, SampleSize::Four, 23, 0);
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[0].len(), 17);
        assert_eq!(packets[2].len(), 9);
        let mut a = HistoryAssembler::new(SampleSize::Four);
        for p in &packets {
            a.push(p).unwrap();
        }
        let start = NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        let timed = a.into_timed(start);
        assert_eq!(timed[0].ts, start);
        assert_eq!(timed[9].ts, start + Duration::minutes(9));
        assert_eq!(timed[9].sample, samples[9]);

        let mut gap = HistoryAssembler::new(SampleSize::Four);
        gap.push(&packets[0]).unwrap();
        assert_eq!(
            gap.push(&packets[2]),
            Err(DecodeError::CounterGap {
                expected: 1,
                got: 2
            })
        );
    }

    #[test]
    fn samples_split_across_packets_and_counter_wrap() {
        let samples: Vec<ActivitySample> = (0..300u16)
            .map(|i| ActivitySample {
                kind: 9,
                intensity: 0,
                steps: 0,
                heart_rate: None,
                extra: Some([i as u8, 0, 0, 0]),
            })
            .collect();
        let mut bytes = Vec::new();
        for s in &samples {
            s.encode_into(SampleSize::Eight, &mut bytes);
        }
        // 5-byte payloads split 8-byte samples; 480 packets wrap the counter.
        let mut a = HistoryAssembler::new(SampleSize::Eight);
        for (i, c) in bytes.chunks(5).enumerate() {
            let mut p = vec![i as u8];
            p.extend_from_slice(c);
            a.push(&p).unwrap();
        }
        assert_eq!(a.samples(), &samples[..]);
        assert_eq!(a.pending_bytes(), 0);
    }

    #[test]
    fn assembler_accepts_packets_that_continue_a_count() {
        let samples = [ActivitySample {
            kind: 1,
            intensity: 2,
            steps: 3,
            heart_rate: Some(70),
            extra: None,
        }; 9];
        let packets = packetize(&samples, SampleSize::Four, 23, 0xfe);
        assert_eq!(
            packets.iter().map(|p| p[0]).collect::<Vec<_>>(),
            [0xfe, 0xff, 0x00]
        );
        assert!(HistoryAssembler::new(SampleSize::Four)
            .push(&packets[0])
            .is_err());
        let mut a = HistoryAssembler::starting_at(SampleSize::Four, 0xfe);
        for p in &packets {
            a.push(p).unwrap();
        }
        assert_eq!(a.samples(), &samples[..]);
    }
}
