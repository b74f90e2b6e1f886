//! Alerts (docs/protocol.md §9): "find my band" on Immediate Alert 0x2A06 and text
//! alerts on New Alert 0x2A46.
//!
//! Sources (Gadgetbridge @ a0948ee1, `service/devices/huami/HuamiSupport.java`
//! `sendFindDeviceCommand`: `03` to start, `00` to stop, repeated every ≤10 s while finding;
//! `service/btle/profiles/alertnotification/AlertNotificationProfile.java` `getAlertMessage`:
//! category, count, UTF-8 text; `AlertCategory.java` for the category ids).

use super::error::DecodeError;

/// Alert level written to 0x2A06 (Gadgetbridge `HuamiService.ALERT_LEVEL_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    /// `00`: stop.
    None,
    /// `01`: message.
    Message,
    /// `02`: phone call.
    PhoneCall,
    /// `03`: vibrate only — what "find my band" sends.
    VibrateOnly,
}

impl AlertLevel {
    /// The byte to write.
    pub fn encode(&self) -> [u8; 1] {
        [match self {
            AlertLevel::None => 0,
            AlertLevel::Message => 1,
            AlertLevel::PhoneCall => 2,
            AlertLevel::VibrateOnly => 3,
        }]
    }

    /// Parses a write (the band's side).
    pub fn decode(b: &[u8]) -> Result<AlertLevel, DecodeError> {
        const W: &str = "alert level";
        match b {
            [0] => Ok(AlertLevel::None),
            [1] => Ok(AlertLevel::Message),
            [2] => Ok(AlertLevel::PhoneCall),
            [3] => Ok(AlertLevel::VibrateOnly),
            [v] => Err(DecodeError::BadByte {
                what: W,
                offset: 0,
                value: *v,
            }),
            _ => Err(DecodeError::BadLength {
                what: W,
                got: b.len(),
                expected: "1 byte",
            }),
        }
    }
}

/// Bluetooth New Alert category ids (Gadgetbridge `AlertCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertCategory {
    /// 1
    Email,
    /// 3
    IncomingCall,
    /// 4
    MissedCall,
    /// 5
    Sms,
    /// Any other id, kept raw.
    Other(u8),
}

impl AlertCategory {
    /// The id byte.
    pub fn id(&self) -> u8 {
        match *self {
            AlertCategory::Email => 1,
            AlertCategory::IncomingCall => 3,
            AlertCategory::MissedCall => 4,
            AlertCategory::Sms => 5,
            AlertCategory::Other(c) => c,
        }
    }
    /// From the id byte.
    pub fn from_id(id: u8) -> AlertCategory {
        match id {
            1 => AlertCategory::Email,
            3 => AlertCategory::IncomingCall,
            4 => AlertCategory::MissedCall,
            5 => AlertCategory::Sms,
            c => AlertCategory::Other(c),
        }
    }
}

/// A New Alert write: category, number of alerts (Gadgetbridge always sends 1), UTF-8 text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// Category.
    pub category: AlertCategory,
    /// Count.
    pub count: u8,
    /// Text (may be empty).
    pub text: String,
}

impl NewAlert {
    /// The bytes to write.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.category.id(), self.count];
        v.extend_from_slice(self.text.as_bytes());
        v
    }

    /// Parses a write (the band's side); invalid UTF-8 is replaced, as a display would.
    pub fn decode(b: &[u8]) -> Result<NewAlert, DecodeError> {
        match b {
            [cat, count, text @ ..] => Ok(NewAlert {
                category: AlertCategory::from_id(*cat),
                count: *count,
                text: String::from_utf8_lossy(text).into_owned(),
            }),
            _ => Err(DecodeError::TooShort {
                what: "new alert",
                need: 2,
                got: b.len(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_as_gadgetbridge_writes_them() {
        assert_eq!(AlertLevel::VibrateOnly.encode(), [0x03]);
        assert_eq!(AlertLevel::None.encode(), [0x00]);
        assert_eq!(AlertLevel::decode(&[3]).unwrap(), AlertLevel::VibrateOnly);
        assert!(AlertLevel::decode(&[4]).is_err() && AlertLevel::decode(&[]).is_err());
        let a = NewAlert {
            category: AlertCategory::Sms,
            count: 1,
            text: "Hé".into(),
        };
        assert_eq!(a.encode(), [0x05, 0x01, b'H', 0xc3, 0xa9]);
        assert_eq!(NewAlert::decode(&a.encode()).unwrap(), a);
        let call = NewAlert {
            category: AlertCategory::IncomingCall,
            count: 1,
            text: String::new(),
        };
        assert_eq!(call.encode(), [0x03, 0x01]);
        assert_eq!(AlertCategory::MissedCall.id(), 4);
        assert_eq!(AlertCategory::Email.id(), 1);
        assert!(NewAlert::decode(&[5]).is_err());
    }
}
