//! Status characteristics (docs/protocol.md §3): battery, realtime steps, current time, heart rate.

use serde_json::{json, Value};

use super::{local_iso, DissectError};
use crate::protocol::battery::BatteryInfo;
use crate::protocol::heart_rate::decode_measurement;
use crate::protocol::steps::Steps;
use crate::protocol::time::CurrentTime;

/// Battery info (0x0006): `{"level_percent","charging","last_off","last_charge",
/// "last_charge_level_percent"}`; timestamps band-local, `null` when absent or impossible.
pub fn battery(b: &[u8]) -> Result<Value, DissectError> {
    let i = BatteryInfo::decode(b)?;
    Ok(json!({
        "level_percent": i.level_percent,
        "charging": i.charging,
        "last_off": i.last_off.as_ref().map(local_iso),
        "last_charge": i.last_charge.as_ref().map(local_iso),
        "last_charge_level_percent": i.last_charge_level_percent,
    }))
}

/// Realtime steps (0x0007): `{"steps","meters","calories"}`; the 5-byte form has no metres or
/// calories (`null`).
pub fn steps(b: &[u8]) -> Result<Value, DissectError> {
    let s = Steps::decode(b)?;
    Ok(json!({
        "steps": s.steps,
        "meters": s.meters,
        "calories": s.calories,
    }))
}

/// Current time (0x2A2B): `{"local","utc_offset_minutes","day_of_week"}`; the day of week is the
/// byte as sent (1 = Monday), so a band with a wrong value shows it.
pub fn time(b: &[u8]) -> Result<Value, DissectError> {
    let t = CurrentTime::decode(b)?;
    Ok(json!({
        "local": local_iso(&t.time.local),
        "utc_offset_minutes": t.time.offset_minutes(),
        "day_of_week": t.day_of_week,
    }))
}

/// Heart-rate measurement (0x2A37): `{"bpm"}`, `null` for the band's "no reading" 0.
pub fn heart_rate(b: &[u8]) -> Result<Value, DissectError> {
    Ok(json!({ "bpm": decode_measurement(b)? }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_byte_steps_have_null_distance_and_calories() {
        assert_eq!(
            steps(&[0x00, 0xb7, 0x01, 0x00, 0x00]).unwrap().to_string(),
            r#"{"steps":439,"meters":null,"calories":null}"#
        );
    }

    #[test]
    fn short_battery_has_null_timestamps() {
        assert_eq!(
            battery(&[0x0f, 80, 1]).unwrap().to_string(),
            r#"{"level_percent":80,"charging":true,"last_off":null,"last_charge":null,"last_charge_level_percent":null}"#
        );
    }

    #[test]
    fn zero_heart_rate_is_null() {
        assert_eq!(
            heart_rate(&[0x00, 0x00]).unwrap().to_string(),
            r#"{"bpm":null}"#
        );
    }
}
