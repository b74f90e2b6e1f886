//! Per-minute activity samples as the band stores them (docs/protocol.md §4.2, §4.5).
//!
//! A sample is kept *raw* (the kind byte exactly as the band sent it, which miband-dc stores as
//! `category`) and also offers its mapped meaning, so nothing is lost and nothing is guessed twice.

use chrono::{DateTime, Utc};

/// Bytes per stored minute: 4 on Mi Band 4 (and 2/3), 8 on Mi Band 5/6 (docs/protocol.md §4.2, §6).
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

    /// The size a band uses, from its advertised name: Mi Band 5 and 6 store 8-byte samples
    /// (GB since d3a51a107); older bands and unknown names 4 (docs/protocol.md §6).
    pub fn for_band_name(name: &str) -> SampleSize {
        let n = name.to_ascii_lowercase();
        if n.contains("band 5") || n.contains("band 6") {
            SampleSize::Eight
        } else {
            SampleSize::Four
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

/// The meaning of a raw kind byte, after GB's `raw & 0x0F` masking (docs/protocol.md §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// 0: "same as before" — the previous valid kind continues.
    NoChange,
    /// 1: generic activity.
    Activity,
    /// 2: running.
    Running,
    /// 3: band not worn.
    NotWorn,
    /// 4: cycling.
    Cycling,
    /// 6: on the charger (so also not worn).
    Charging,
    /// 9: light sleep.
    LightSleep,
    /// 10: "ignore, except for heart rate".
    Ignore,
    /// 11: deep sleep.
    DeepSleep,
    /// 12: waking up.
    WakeUp,
}

impl ActivityKind {
    /// Maps a raw kind byte; `None` for codes with no known meaning (never guessed).
    pub fn from_raw(raw: u8) -> Option<ActivityKind> {
        Some(match raw & 0x0f {
            0 => ActivityKind::NoChange,
            1 => ActivityKind::Activity,
            2 => ActivityKind::Running,
            3 => ActivityKind::NotWorn,
            4 => ActivityKind::Cycling,
            6 => ActivityKind::Charging,
            9 => ActivityKind::LightSleep,
            10 => ActivityKind::Ignore,
            11 => ActivityKind::DeepSleep,
            12 => ActivityKind::WakeUp,
            _ => return None,
        })
    }

    /// The low-nibble code a band writes for this kind (inverse of [`ActivityKind::from_raw`]).
    pub const fn code(self) -> u8 {
        match self {
            ActivityKind::NoChange => 0,
            ActivityKind::Activity => 1,
            ActivityKind::Running => 2,
            ActivityKind::NotWorn => 3,
            ActivityKind::Cycling => 4,
            ActivityKind::Charging => 6,
            ActivityKind::LightSleep => 9,
            ActivityKind::Ignore => 10,
            ActivityKind::DeepSleep => 11,
            ActivityKind::WakeUp => 12,
        }
    }

    /// Whether a reader carries the previous kind forward for this raw byte (0 "no change",
    /// 10 "ignore"; GB `MiBand2SampleProvider`).
    pub fn carries_forward(raw: u8) -> bool {
        matches!(
            ActivityKind::from_raw(raw),
            Some(ActivityKind::NoChange | ActivityKind::Ignore)
        )
    }

    /// The stable snake_case name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ActivityKind::NoChange => "no_change",
            ActivityKind::Activity => "activity",
            ActivityKind::Running => "running",
            ActivityKind::NotWorn => "not_worn",
            ActivityKind::Cycling => "cycling",
            ActivityKind::Charging => "charging",
            ActivityKind::LightSleep => "light_sleep",
            ActivityKind::Ignore => "ignore",
            ActivityKind::DeepSleep => "deep_sleep",
            ActivityKind::WakeUp => "wake_up",
        }
    }

    /// Light or deep sleep.
    pub fn is_sleep(self) -> bool {
        matches!(self, ActivityKind::LightSleep | ActivityKind::DeepSleep)
    }
}

impl ActivitySample {
    /// The mapped meaning of [`ActivitySample::kind`].
    pub fn activity(&self) -> Option<ActivityKind> {
        ActivityKind::from_raw(self.kind)
    }

    /// Decodes one sample of `size` bytes; `b` must hold at least that many.
    pub fn decode(b: &[u8], size: SampleSize) -> Option<ActivitySample> {
        let s = b.get(..size.bytes())?;
        Some(ActivitySample {
            kind: s[0],
            intensity: s[1],
            steps: s[2],
            heart_rate: (s[3] != NO_HEART_RATE && s[3] != 0).then_some(s[3]),
            extra: match size {
                SampleSize::Four => None,
                SampleSize::Eight => Some([s[4], s[5], s[6], s[7]]),
            },
        })
    }

    /// Appends the sample's bytes in `size` form (missing heart rate as 0xFF; missing extra as 0).
    pub fn encode_into(&self, size: SampleSize, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            self.kind,
            self.intensity,
            self.steps,
            self.heart_rate.unwrap_or(NO_HEART_RATE),
        ]);
        if size == SampleSize::Eight {
            out.extend_from_slice(&self.extra.unwrap_or([0; 4]));
        }
    }

    /// The heart rate as miband-dc stores it: 255 for "no reading".
    pub fn heart_rate_or_255(&self) -> u8 {
        self.heart_rate.unwrap_or(NO_HEART_RATE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_byte_sample_with_missing_heart_rate() {
        let s = ActivitySample::decode(&[0x70, 0x00, 0x00, 0xff], SampleSize::Four).unwrap();
        assert_eq!(s.kind, 0x70);
        assert_eq!(s.heart_rate, None);
        assert_eq!(s.activity(), Some(ActivityKind::NoChange));
        assert_eq!(s.heart_rate_or_255(), 255);
        let mut v = Vec::new();
        s.encode_into(SampleSize::Four, &mut v);
        assert_eq!(v, [0x70, 0x00, 0x00, 0xff]);
    }

    #[test]
    fn eight_byte_sample_keeps_extra() {
        let b = [0x01, 0x20, 0x55, 0x48, 1, 2, 3, 4];
        let s = ActivitySample::decode(&b, SampleSize::Eight).unwrap();
        assert_eq!(
            (s.steps, s.heart_rate, s.extra),
            (0x55, Some(72), Some([1, 2, 3, 4]))
        );
        assert!(ActivitySample::decode(&b[..7], SampleSize::Eight).is_none());
    }

    #[test]
    fn sample_size_from_advertised_name() {
        assert_eq!(
            SampleSize::for_band_name("Mi Smart Band 5"),
            SampleSize::Eight
        );
        assert_eq!(
            SampleSize::for_band_name("Mi Smart Band 6"),
            SampleSize::Eight
        );
        assert_eq!(
            SampleSize::for_band_name("Mi Smart Band 4"),
            SampleSize::Four
        );
        assert_eq!(SampleSize::for_band_name(""), SampleSize::Four);
    }

    #[test]
    fn kind_mapping_follows_gadgetbridge() {
        assert_eq!(ActivityKind::from_raw(9), Some(ActivityKind::LightSleep));
        assert_eq!(ActivityKind::from_raw(11), Some(ActivityKind::DeepSleep));
        assert_eq!(ActivityKind::from_raw(0x5a), Some(ActivityKind::Ignore));
        assert_eq!(ActivityKind::from_raw(6), Some(ActivityKind::Charging));
        assert_eq!(ActivityKind::from_raw(5), None);
        assert_eq!(ActivityKind::from_raw(0x1f), None);
        assert!(ActivityKind::DeepSleep.is_sleep());
        for raw in 0..=255u8 {
            if let Some(k) = ActivityKind::from_raw(raw) {
                assert_eq!(k.code(), raw & 0x0f);
            }
        }
        assert!(ActivityKind::carries_forward(0x5a) && ActivityKind::carries_forward(0x70));
        assert!(!ActivityKind::carries_forward(0x69));
    }
}
