//! Activity history packets from 0x0005 (docs/protocol.md §4.2–4.5), reassembled by the same
//! [`HistoryAssembler`] and [`stamp`] the collector uses, so the dissector shows exactly what
//! would be stored.

use chrono::{DateTime, FixedOffset};
use serde_json::{json, Map, Value};

use super::DissectError;
use crate::protocol::activity::{ActivitySample, SampleSize};
use crate::protocol::fetch::{stamp, HistoryAssembler};

/// `{"samples":[{"minute","time"?,"kind","activity","intensity","steps","heart_rate","extra"?}]}`.
///
/// `minute` is the index across all packets; `time` (only with `start`) is `start` + `minute`
/// minutes in `start`'s offset. `kind` is the raw byte (miband-dc's `category`), `activity` its
/// mapped meaning or `null`. The first packet's counter may be anything (a capture can begin
/// mid-transfer); after it, counters must be consecutive.
pub fn activity(
    packets: &[Vec<u8>],
    size: SampleSize,
    start: Option<DateTime<FixedOffset>>,
) -> Result<Value, DissectError> {
    if packets.iter().all(|p| p.is_empty()) {
        return Err(DissectError::Empty);
    }
    let first = packets
        .first()
        .and_then(|p| p.first())
        .copied()
        .unwrap_or(0);
    let mut assembler = HistoryAssembler::starting_at(size, first);
    for p in packets {
        assembler.push(p)?;
    }
    if assembler.pending_bytes() != 0 {
        return Err(DissectError::PartialSample {
            left: assembler.pending_bytes(),
            size: size.bytes(),
        });
    }
    let times: Option<Vec<String>> = start.map(|s| {
        stamp(s.to_utc(), assembler.samples())
            .iter()
            .map(|t| t.ts.with_timezone(s.offset()).to_rfc3339())
            .collect()
    });
    let samples = assembler
        .samples()
        .iter()
        .enumerate()
        .map(|(i, s)| sample(i, times.as_ref().map(|t| t[i].as_str()), s))
        .collect::<Vec<_>>();
    Ok(json!({ "samples": samples }))
}

fn sample(minute: usize, time: Option<&str>, s: &ActivitySample) -> Value {
    let mut m = Map::new();
    m.insert("minute".into(), json!(minute));
    if let Some(t) = time {
        m.insert("time".into(), json!(t));
    }
    m.insert("kind".into(), json!(s.kind));
    m.insert("activity".into(), json!(s.activity().map(|k| k.name())));
    m.insert("intensity".into(), json!(s.intensity));
    m.insert("steps".into(), json!(s.steps));
    m.insert("heart_rate".into(), json!(s.heart_rate));
    if let Some(e) = s.extra {
        m.insert("extra".into(), json!(hex::encode(e)));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::DecodeError;

    #[test]
    fn counters_may_start_anywhere_but_must_not_skip() {
        let v = activity(
            &[vec![0x07, 0x01, 0x10, 0x05, 0x48], vec![0x08]],
            SampleSize::Four,
            None,
        )
        .unwrap();
        assert_eq!(
            v.to_string(),
            r#"{"samples":[{"minute":0,"kind":1,"activity":"activity","intensity":16,"steps":5,"heart_rate":72}]}"#
        );
        assert_eq!(
            activity(&[vec![0x07], vec![0x09]], SampleSize::Four, None),
            Err(DissectError::Decode(DecodeError::CounterGap {
                expected: 8,
                got: 9
            }))
        );
    }

    #[test]
    fn partial_trailing_sample_is_an_error() {
        assert_eq!(
            activity(&[vec![0x00, 1, 2, 3, 4, 5, 6]], SampleSize::Four, None),
            Err(DissectError::PartialSample { left: 2, size: 4 })
        );
        assert_eq!(
            activity(&[vec![]], SampleSize::Four, None),
            Err(DissectError::Empty)
        );
        assert_eq!(
            activity(&[vec![], vec![0x00]], SampleSize::Four, None),
            Err(DissectError::Decode(DecodeError::TooShort {
                what: "activity packet",
                need: 1,
                got: 0
            }))
        );
    }
}
