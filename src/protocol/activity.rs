//! Per-minute activity samples as the band stores them (protocol.md §4.2, §4.5).
//!
//! A sample is kept *raw* (the kind byte exactly as the band sent it, which miband-dc stores as
//! `category`) and also offers its mapped meaning, so nothing is lost and nothing is guessed twice.

use chrono::{DateTime, Utc};

/// Bytes per stored minute: 4 on Mi Band 4 (and 2/3), 8 on Mi Band 5/6 (protocol.md §4.2, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleSize {
    /// MB1S/MB2/MB3/MB4: kind, intensity, steps, heart rate.
    Four,
    /// MB5/MB6: the four bytes above plus four more whose meaning is unverified.
    Eight,
}

impl SampleSize {
    /// The sample length in bytes.
    pub fn bytes(self) -> usize {
        match self {
            SampleSize::Four => 4,
            SampleSize::Eight => 8,
        }
    }

    /// Parses `4` or `8`.
    pub fn from_bytes(n: usize) -> Option<SampleSize> {
        match n {
            4 => Some(SampleSize::Four),
            8 => Some(SampleSize::Eight),
            _ => None,
        }
    }
}

/// The heart-rate byte the band uses for "no reading" (and miband-dc stores as 255).
pub const NO_HEART_RATE: u8 = 0xFF;

/// One minute of history exactly as the band reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActivitySample {
    /// Raw kind/category byte (not masked).
    pub kind: u8,
    /// Raw movement intensity (GB normalises by /180).
    pub intensity: u8,
    /// Steps taken in this minute.
    pub steps: u8,
    /// Heart rate in bpm; `None` when the band had no reading (0xFF, or 0 which no heart gives).
    pub heart_rate: Option<u8>,
    /// Bytes 4..8 of an 8-byte (MB5) sample; `None` on 4-byte samples.
    pub extra: Option<[u8; 4]>,
}

/// A sample with its absolute time: start of the fetch response + index minutes (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimedSample {
    /// Start of the minute, UTC.
    pub ts: DateTime<Utc>,
    /// The minute's data.
    pub sample: ActivitySample,
}
