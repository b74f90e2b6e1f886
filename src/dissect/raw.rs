//! Raw sensor packets from 0x0002 (docs/protocol.md §5).

use serde_json::{json, Value};

use super::DissectError;
use crate::protocol::raw_sensor::RawPacket;

/// `{"type":"accelerometer","samples":[[x,y,z],...]}` or `{"type":"heart_raw","values":[...]}`.
pub fn raw(b: &[u8]) -> Result<Value, DissectError> {
    Ok(match RawPacket::decode(b)? {
        RawPacket::Accelerometer { samples, .. } => {
            json!({ "type": "accelerometer", "samples": samples })
        }
        RawPacket::HeartRaw { values, .. } => json!({ "type": "heart_raw", "values": values }),
    })
}
