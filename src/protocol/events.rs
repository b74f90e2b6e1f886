//! Device events on 0x0010 (docs/protocol.md §3.5): byte 0 says what happened.

use super::error::DecodeError;

/// Something the band reports on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceEvent {
    /// 01
    FellAsleep,
    /// 02
    WokeUp,
    /// 03
    StepsGoalReached,
    /// 04
    ButtonPressed,
    /// 06
    NonWearStart,
    /// 07
    CallRejected,
    /// 08
    FindPhoneStart,
    /// 09
    CallIgnored,
    /// 0a
    AlarmToggled,
    /// 0b
    ButtonLongPressed,
    /// 0e
    Tick30Min,
    /// 0f
    FindPhoneStop,
    /// 10
    SilentMode,
    /// 14
    WorkoutStarting,
    /// 16: the band asks for a larger MTU.
    MtuRequest(u16),
    /// 1a
    AlarmChanged,
    /// fe: music control, byte 1 is the action (00 play, 01 pause, 03 next, 04 prev, ...).
    MusicControl(u8),
    /// Anything else, kept raw.
    Unknown(u8),
}

impl DeviceEvent {
    /// Parses a notification.
    pub fn decode(b: &[u8]) -> Result<DeviceEvent, DecodeError> {
        const W: &str = "device event";
        let e = *b.first().ok_or(DecodeError::TooShort {
            what: W,
            need: 1,
            got: 0,
        })?;
        Ok(match e {
            0x01 => DeviceEvent::FellAsleep,
            0x02 => DeviceEvent::WokeUp,
            0x03 => DeviceEvent::StepsGoalReached,
            0x04 => DeviceEvent::ButtonPressed,
            0x06 => DeviceEvent::NonWearStart,
            0x07 => DeviceEvent::CallRejected,
            0x08 => DeviceEvent::FindPhoneStart,
            0x09 => DeviceEvent::CallIgnored,
            0x0a => DeviceEvent::AlarmToggled,
            0x0b => DeviceEvent::ButtonLongPressed,
            0x0e => DeviceEvent::Tick30Min,
            0x0f => DeviceEvent::FindPhoneStop,
            0x10 => DeviceEvent::SilentMode,
            0x14 => DeviceEvent::WorkoutStarting,
            0x16 => {
                let s = b.get(1..3).ok_or(DecodeError::TooShort {
                    what: W,
                    need: 3,
                    got: b.len(),
                })?;
                DeviceEvent::MtuRequest(u16::from_le_bytes([s[0], s[1]]))
            }
            0x1a => DeviceEvent::AlarmChanged,
            0xfe => DeviceEvent::MusicControl(*b.get(1).ok_or(DecodeError::TooShort {
                what: W,
                need: 2,
                got: b.len(),
            })?),
            other => DeviceEvent::Unknown(other),
        })
    }

    /// Encodes the event as the band sends it.
    pub fn encode(&self) -> Vec<u8> {
        let code = |c: u8| vec![c];
        match *self {
            DeviceEvent::FellAsleep => code(0x01),
            DeviceEvent::WokeUp => code(0x02),
            DeviceEvent::StepsGoalReached => code(0x03),
            DeviceEvent::ButtonPressed => code(0x04),
            DeviceEvent::NonWearStart => code(0x06),
            DeviceEvent::CallRejected => code(0x07),
            DeviceEvent::FindPhoneStart => code(0x08),
            DeviceEvent::CallIgnored => code(0x09),
            DeviceEvent::AlarmToggled => code(0x0a),
            DeviceEvent::ButtonLongPressed => code(0x0b),
            DeviceEvent::Tick30Min => code(0x0e),
            DeviceEvent::FindPhoneStop => code(0x0f),
            DeviceEvent::SilentMode => code(0x10),
            DeviceEvent::WorkoutStarting => code(0x14),
            DeviceEvent::MtuRequest(m) => {
                let m = m.to_le_bytes();
                vec![0x16, m[0], m[1]]
            }
            DeviceEvent::AlarmChanged => code(0x1a),
            DeviceEvent::MusicControl(a) => vec![0xfe, a],
            DeviceEvent::Unknown(c) => code(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events() {
        assert_eq!(
            DeviceEvent::decode(&[0x16, 0xf7, 0x00]).unwrap(),
            DeviceEvent::MtuRequest(247)
        );
        assert_eq!(
            DeviceEvent::decode(&[0xfe, 0x01]).unwrap(),
            DeviceEvent::MusicControl(1)
        );
        assert_eq!(
            DeviceEvent::decode(&[0x04]).unwrap(),
            DeviceEvent::ButtonPressed
        );
        assert_eq!(
            DeviceEvent::decode(&[0x77]).unwrap(),
            DeviceEvent::Unknown(0x77)
        );
        assert!(DeviceEvent::decode(&[0x16, 1]).is_err());
        assert!(DeviceEvent::decode(&[]).is_err());
    }
}
