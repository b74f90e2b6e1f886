//! The simulated wearer: a seed, the traits drawn from it, and where on Earth they live.
//!
//! Everything the band emulator shows (history, live counters, battery, heart rate) is a pure
//! function of a `Person` and a time; see the `impl Person` blocks in `history`, `totals`,
//! `battery` and `vitals`.

use chrono::{FixedOffset, Offset, Utc};

use super::kind_code::KindStyle;
use super::minute::clamp_minute;
use super::traits::Traits;
use crate::protocol::activity::SampleSize;

/// Largest UTC offset accepted, minutes (real zones span −12:00..+14:00).
const MAX_OFFSET_MINUTES: i64 = 18 * 60;

/// A deterministic simulated person wearing a Mi Band.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    seed: u64,
    traits: Traits,
    offset_minutes: i64,
    sample_size: SampleSize,
}

impl Person {
    /// The person for `seed`, living at UTC+0 and wearing a 4-byte-sample band (Mi Band 4).
    pub fn new(seed: u64) -> Person {
        Person {
            seed,
            traits: Traits::from_seed(seed),
            offset_minutes: 0,
            sample_size: SampleSize::Four,
        }
    }

    /// The same person living at a fixed UTC offset. The day (sleep, work, walks) follows local
    /// time. Seconds are dropped and offsets beyond ±18 h are clamped.
    pub fn with_utc_offset(mut self, offset: FixedOffset) -> Person {
        let minutes = i64::from(offset.local_minus_utc()) / 60;
        self.offset_minutes = minutes.clamp(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES);
        self
    }

    /// The same person wearing a band with `size`-byte samples (`Eight` = Mi Band 5/6, whose
    /// samples carry four extra bytes).
    pub fn with_sample_size(mut self, size: SampleSize) -> Person {
        self.sample_size = size;
        self
    }

    /// The same person with kind bytes written in `style` instead of the seed's choice.
    pub fn with_kind_style(mut self, style: KindStyle) -> Person {
        self.traits.kind_style = style;
        self
    }

    /// The seed this person was drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The person's traits (bedtime, resting heart rate, stride, ...).
    pub fn traits(&self) -> &Traits {
        &self.traits
    }

    /// The sample size of the band they wear.
    pub fn sample_size(&self) -> SampleSize {
        self.sample_size
    }

    /// The fixed UTC offset they live at.
    pub fn utc_offset(&self) -> FixedOffset {
        // In range by construction; UTC is only a stand-in that keeps this panic-free.
        FixedOffset::east_opt((self.offset_minutes * 60) as i32).unwrap_or(Utc.fix())
    }

    /// The offset in quarter-hours, as the band's time characteristic and fetch requests carry it
    /// (docs/protocol.md §3.3); offsets that are not whole quarters round toward zero.
    pub fn tz_quarter_hours(&self) -> i8 {
        (self.offset_minutes / 15) as i8
    }

    /// The local minute of UTC minute `m`, with `m` clamped to the world's domain.
    pub(crate) fn local(&self, utc_minute: i64) -> i64 {
        clamp_minute(utc_minute) + self.offset_minutes
    }

    /// The UTC minute of local minute `m`.
    pub(crate) fn utc(&self, local_minute: i64) -> i64 {
        local_minute - self.offset_minutes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_kept_in_minutes_and_reported_in_quarter_hours() {
        let east = |s| FixedOffset::east_opt(s).unwrap();
        let p = Person::new(1).with_utc_offset(east(5 * 3600 + 45 * 60));
        assert_eq!(p.tz_quarter_hours(), 23);
        assert_eq!(p.utc_offset(), east(5 * 3600 + 45 * 60));
        assert_eq!(p.local(100), 100 + 345);
        assert_eq!(p.utc(p.local(100)), 100);
        let west = Person::new(1).with_utc_offset(east(-(3 * 3600 + 30 * 60)));
        assert_eq!(west.tz_quarter_hours(), -14);
        let odd = Person::new(1).with_utc_offset(east(23 * 3600 + 59));
        assert_eq!(odd.utc_offset(), east(18 * 3600));
    }

    #[test]
    fn builders_change_only_what_they_name() {
        let p = Person::new(7);
        assert_eq!(p.sample_size(), SampleSize::Four);
        let q = p.clone().with_sample_size(SampleSize::Eight);
        assert_eq!(q.sample_size(), SampleSize::Eight);
        assert_eq!(q.traits(), p.traits());
        let r = p.clone().with_kind_style(KindStyle::Explicit);
        assert_eq!(r.traits().kind_style, KindStyle::Explicit);
        assert_eq!(r.traits().resting_hr, p.traits().resting_hr);
        assert_eq!(r.seed(), 7);
    }
}
