//! The band's answers on the fetch control characteristic 0x0004 (docs/protocol.md §4.1).

use serde_json::{json, Value};

use super::DissectError;
use crate::protocol::fetch::FetchReply;

/// `{"response","ok","count"?,"start"?}`: `count` and `start` only on a successful start, `start`
/// in RFC 3339 with the zone the band announced (sample 0 of the transfer is at that minute).
pub fn fetch_control(b: &[u8]) -> Result<Value, DissectError> {
    let r = FetchReply::decode(b)?;
    let mut v = json!({ "response": r.name(), "ok": r.ok() });
    if let FetchReply::Started { count, start } = r {
        v["count"] = json!(count);
        v["start"] = json!(start.to_fixed().to_rfc3339());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_and_acks() {
        let s = |b: &[u8]| fetch_control(b).unwrap().to_string();
        assert_eq!(s(&[0x10, 0x01, 0x02]), r#"{"response":"start","ok":false}"#);
        assert_eq!(s(&[0x10, 0x02, 0x04]), r#"{"response":"done","ok":false}"#);
        assert_eq!(s(&[0x10, 0x03, 0x01]), r#"{"response":"ack","ok":true}"#);
        assert_eq!(
            s(&[0x10, 0x07, 0x01]),
            r#"{"response":"unknown","ok":true}"#
        );
        assert!(fetch_control(&[0x10, 0x01, 0x01, 0x00]).is_err());
    }
}
