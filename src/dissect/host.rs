//! What the host writes (docs/protocol.md §2, §3.4, §4.1) and the Device Information values
//! that carry structure (System ID, PnP ID), for `miband decode`. A key the host sends is never
//! printed: only its length.

use serde_json::{json, Value};

use super::DissectError;
use crate::protocol::auth::{AuthCommand, AuthVariant};
use crate::protocol::device_info::{mac_from_system_id, PnpId};
use crate::protocol::fetch::FetchCommand;
use crate::protocol::heart_rate::HrCommand;

fn variant(v: AuthVariant) -> &'static str {
    match v {
        AuthVariant::Old => "old",
        AuthVariant::New => "new",
    }
}

/// Host writes to the auth characteristic 0x0009:
/// `{"command":"request_random"|"send_answer"|"send_key","variant"?,"answer"?}`.
pub fn auth_command(b: &[u8]) -> Result<Value, DissectError> {
    Ok(match AuthCommand::decode(b)? {
        AuthCommand::RequestRandom(v) => json!({
            "command": "request_random",
            "variant": variant(v),
        }),
        AuthCommand::SendAnswer { variant: v, answer } => json!({
            "command": "send_answer",
            "variant": variant(v),
            "answer": hex::encode(answer),
        }),
        // The 16 bytes are a key: never shown.
        AuthCommand::SendKey { flags, .. } => json!({
            "command": "send_key",
            "flags": flags,
            "key": "16 bytes, not shown",
        }),
    })
}

/// Host writes to the fetch control 0x0004:
/// `{"command":"start","data_type","since"}` (since in RFC 3339 with the zone the host sent),
/// `{"command":"fetch_data"}`, `{"command":"ack"}`.
pub fn fetch_command(b: &[u8]) -> Result<Value, DissectError> {
    Ok(match FetchCommand::decode(b)? {
        FetchCommand::Start { data_type, since } => json!({
            "command": "start",
            "data_type": data_type,
            "since": since.to_fixed().to_rfc3339(),
        }),
        FetchCommand::FetchData => json!({ "command": "fetch_data" }),
        FetchCommand::Ack => json!({ "command": "ack" }),
    })
}

/// Host writes to the heart-rate control point 0x2A39:
/// `{"command":"manual"|"continuous"|"sleep_assist","on"}`, `{"command":"interval","minutes"}`,
/// `{"command":"keep_alive"}`.
pub fn heart_rate_control(b: &[u8]) -> Result<Value, DissectError> {
    Ok(match HrCommand::decode(b)? {
        HrCommand::Manual(on) => json!({ "command": "manual", "on": on }),
        HrCommand::Continuous(on) => json!({ "command": "continuous", "on": on }),
        HrCommand::SleepAssist(on) => json!({ "command": "sleep_assist", "on": on }),
        HrCommand::Interval(m) => json!({ "command": "interval", "minutes": m }),
        HrCommand::KeepAlive => json!({ "command": "keep_alive" }),
    })
}

/// System ID 0x2A23: `{"system_id","mac"}`; `mac` is `null` without the `FF FE` marker a real
/// band sends (docs/real-bands.md §3).
pub fn system_id(b: &[u8]) -> Result<Value, DissectError> {
    if b.len() != 8 {
        return Err(DissectError::Decode(
            crate::protocol::DecodeError::BadLength {
                what: "system id",
                got: b.len(),
                expected: "8 bytes",
            },
        ));
    }
    let mac = mac_from_system_id(b).map(|m| {
        m.iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    });
    Ok(json!({ "system_id": hex::encode(b), "mac": mac }))
}

/// PnP ID 0x2A50: `{"vendor_source","vendor","product","version","id"}`.
pub fn pnp_id(b: &[u8]) -> Result<Value, DissectError> {
    let p = PnpId::decode(b)?;
    Ok(json!({
        "vendor_source": p.vendor_source,
        "vendor": p.vendor,
        "product": p.product,
        "version": p.version,
        "id": p.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_writes() {
        let s = |v: Value| v.to_string();
        assert_eq!(
            s(fetch_command(&hex::decode("0101e50702110d110000").unwrap()).unwrap()),
            r#"{"command":"start","data_type":1,"since":"2021-02-17T13:17:00+00:00"}"#
        );
        assert_eq!(
            s(fetch_command(&[0x02]).unwrap()),
            r#"{"command":"fetch_data"}"#
        );
        assert_eq!(s(fetch_command(&[0x03]).unwrap()), r#"{"command":"ack"}"#);
        assert_eq!(
            s(auth_command(&[0x82, 0x00, 0x02, 0x01, 0x00]).unwrap()),
            r#"{"command":"request_random","variant":"new"}"#
        );
        let mut key = vec![0x01, 0x00];
        key.extend([0xAB; 16]);
        let v = s(auth_command(&key).unwrap());
        assert!(!v.contains("ab"), "{v}");
        assert_eq!(
            s(heart_rate_control(&[0x15, 0x02, 0x01]).unwrap()),
            r#"{"command":"manual","on":true}"#
        );
    }

    #[test]
    fn device_information() {
        // Gadgetbridge#1619's MB4.
        assert_eq!(
            system_id(&hex::decode("c12edafffeada59b").unwrap())
                .unwrap()
                .to_string(),
            r#"{"system_id":"c12edafffeada59b","mac":"9B:A5:AD:DA:2E:C1"}"#
        );
        assert_eq!(
            pnp_id(&[0x01, 0x57, 0x01, 0x24, 0x00, 0x01, 0x01])
                .unwrap()
                .to_string(),
            r#"{"vendor_source":1,"vendor":343,"product":36,"version":257,"id":"v0157p0024d0101"}"#
        );
    }
}
