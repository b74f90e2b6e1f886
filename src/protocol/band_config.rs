//! Band settings (docs/protocol.md §9): the commands Gadgetbridge's Huami support
//! writes for them, and their parsing on the band's side.
//!
//! Source: Gadgetbridge @ a0948ee1:
//! * `devices/huami/HuamiService.java`: `COMMAND_SET_FITNESS_GOAL_START` `10 00 00` + u16 LE +
//!   `00 00` (on user settings 0x0008); `COMMAND_ENABLE/DISABLE_GOAL_NOTIFICATION`
//!   `06 06 00 01/00`; `COMMAND_ENABLE/DISABLE_DISPLAY_ON_LIFT_WRIST` `06 05 00 01 00 00 00 00` /
//!   `06 05 00 00`, scheduled `06 05 00 01 sh sm eh em`; `COMMAND_DISTANCE_UNIT_METRIC/IMPERIAL`
//!   `06 03 00 00/01`; `COMMAND_ENABLE/DISABLE_INACTIVITY_WARNINGS` (12 bytes, threshold at 2,
//!   interval 1 at 4..8, interval 2 at 8..12).
//! * `devices/huami/miband3/MiBand3Service.java`: night mode `1a 00` off, `1a 02` sunset,
//!   `1a 01 sh sm eh em` scheduled.
//! * `service/devices/huami/HuamiSupport.java` `setInactivityWarnings` (quiet period splits the
//!   window in two), `setFitnessGoal`, `setNightMode`, `setActivateDisplayOnLiftWrist`.
//!   Heart-rate interval and sleep assist are [`super::heart_rate::HrCommand`]s.
//!
//! All of these go to 0x0003 except the step goal (0x0008).

use super::error::DecodeError;

/// A time of day as two bytes.
pub type HourMinute = (u8, u8);

/// A configuration command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigCommand {
    /// Daily step goal (0x0008).
    StepGoal(u16),
    /// Vibrate on reaching the goal.
    GoalNotification(bool),
    /// Idle alerts: `None` = off.
    IdleAlerts(Option<IdleAlertsBytes>),
    /// Display on wrist lift: off, on, or inside a window.
    LiftWrist(Toggle),
    /// Night mode: off, from sunset, or inside a window ([`Toggle::On`] = sunset).
    NightMode(Toggle),
    /// Distance unit: imperial when true.
    Imperial(bool),
}

/// Off / on / scheduled between two times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Toggle {
    /// Off.
    Off,
    /// On (for night mode: sunset to sunrise).
    On,
    /// Inside `(start, end)`.
    Scheduled(HourMinute, HourMinute),
}

/// Idle-alert parameters: threshold minutes and up to two active intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdleAlertsBytes {
    /// Minutes without movement.
    pub threshold: u8,
    /// First interval.
    pub first: (HourMinute, HourMinute),
    /// Second interval (when a quiet period splits the day), else zeros.
    pub second: Option<(HourMinute, HourMinute)>,
}

/// Which characteristic a command goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigTarget {
    /// 0x0003.
    Configuration,
    /// 0x0008.
    UserSettings,
}

impl ConfigCommand {
    /// Where it is written.
    pub fn target(&self) -> ConfigTarget {
        match self {
            ConfigCommand::StepGoal(_) => ConfigTarget::UserSettings,
            _ => ConfigTarget::Configuration,
        }
    }

    /// The bytes to write.
    pub fn encode(&self) -> Vec<u8> {
        match *self {
            ConfigCommand::StepGoal(s) => {
                let s = s.to_le_bytes();
                vec![0x10, 0x00, 0x00, s[0], s[1], 0x00, 0x00]
            }
            ConfigCommand::GoalNotification(on) => vec![0x06, 0x06, 0x00, on as u8],
            ConfigCommand::IdleAlerts(None) => vec![
                0x08, 0x00, 0x3c, 0x00, 0x04, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00,
            ],
            ConfigCommand::IdleAlerts(Some(i)) => {
                let ((s1h, s1m), (e1h, e1m)) = i.first;
                let ((s2h, s2m), (e2h, e2m)) = i.second.unwrap_or(((0, 0), (0, 0)));
                vec![
                    0x08,
                    0x01,
                    i.threshold,
                    0x00,
                    s1h,
                    s1m,
                    e1h,
                    e1m,
                    s2h,
                    s2m,
                    e2h,
                    e2m,
                ]
            }
            ConfigCommand::LiftWrist(Toggle::Off) => vec![0x06, 0x05, 0x00, 0x00],
            ConfigCommand::LiftWrist(Toggle::On) => {
                vec![0x06, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]
            }
            ConfigCommand::LiftWrist(Toggle::Scheduled((sh, sm), (eh, em))) => {
                vec![0x06, 0x05, 0x00, 0x01, sh, sm, eh, em]
            }
            ConfigCommand::NightMode(Toggle::Off) => vec![0x1a, 0x00],
            ConfigCommand::NightMode(Toggle::On) => vec![0x1a, 0x02],
            ConfigCommand::NightMode(Toggle::Scheduled((sh, sm), (eh, em))) => {
                vec![0x1a, 0x01, sh, sm, eh, em]
            }
            ConfigCommand::Imperial(i) => vec![0x06, 0x03, 0x00, i as u8],
        }
    }

    /// Parses a write to `target` (the band's side). Writes this module does not model (other
    /// `06 xx` display settings, language, DND …) are `Ok(None)`.
    pub fn decode(target: ConfigTarget, b: &[u8]) -> Result<Option<ConfigCommand>, DecodeError> {
        const W: &str = "configuration write";
        let bad_len = |expected| DecodeError::BadLength {
            what: W,
            got: b.len(),
            expected,
        };
        let flag = |v: u8, offset| match v {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(DecodeError::BadByte {
                what: W,
                offset,
                value,
            }),
        };
        Ok(Some(match (target, b) {
            (ConfigTarget::UserSettings, [0x10, 0x00, 0x00, lo, hi, 0x00, 0x00]) => {
                ConfigCommand::StepGoal(u16::from_le_bytes([*lo, *hi]))
            }
            (ConfigTarget::UserSettings, [0x10, ..]) => return Err(bad_len("7 bytes for a goal")),
            (ConfigTarget::UserSettings, _) => return Ok(None),
            (_, [0x06, 0x06, 0x00, v]) => ConfigCommand::GoalNotification(flag(*v, 3)?),
            (_, [0x06, 0x03, 0x00, v]) => ConfigCommand::Imperial(flag(*v, 3)?),
            (_, [0x06, 0x05, 0x00, 0x00]) => ConfigCommand::LiftWrist(Toggle::Off),
            (_, [0x06, 0x05, 0x00, 0x01, 0, 0, 0, 0]) => ConfigCommand::LiftWrist(Toggle::On),
            (_, [0x06, 0x05, 0x00, 0x01, sh, sm, eh, em]) => {
                ConfigCommand::LiftWrist(Toggle::Scheduled((*sh, *sm), (*eh, *em)))
            }
            (_, [0x06, 0x05, ..]) => return Err(bad_len("4 or 8 bytes for lift-wrist")),
            (_, [0x1a, 0x00]) => ConfigCommand::NightMode(Toggle::Off),
            (_, [0x1a, 0x02]) => ConfigCommand::NightMode(Toggle::On),
            (_, [0x1a, 0x01, sh, sm, eh, em]) => {
                ConfigCommand::NightMode(Toggle::Scheduled((*sh, *sm), (*eh, *em)))
            }
            (_, [0x1a, ..]) => return Err(bad_len("2 or 6 bytes for night mode")),
            (_, [0x08, 0x00, ..]) if b.len() == 12 => ConfigCommand::IdleAlerts(None),
            (_, [0x08, 0x01, thr, _, s1h, s1m, e1h, e1m, s2h, s2m, e2h, e2m]) => {
                let second = ((*s2h, *s2m), (*e2h, *e2m));
                ConfigCommand::IdleAlerts(Some(IdleAlertsBytes {
                    threshold: *thr,
                    first: ((*s1h, *s1m), (*e1h, *e1m)),
                    second: (second != ((0, 0), (0, 0))).then_some(second),
                }))
            }
            (_, [0x08, ..]) => return Err(bad_len("12 bytes for idle alerts")),
            _ => return Ok(None),
        }))
    }
}

/// The band's acknowledgement of a `06 xx 00 ..` write: `10 06 xx 00 01` (Gadgetbridge issue
/// #485: `06 06 00 01` → `10 06 06 00 01`; `HuamiService.RESPONSE_DATEFORMAT_SUCCESS`).
pub fn display_ack(written: &[u8]) -> Option<Vec<u8>> {
    match written {
        [0x06, x, 0x00, ..] => Some(vec![0x10, 0x06, *x, 0x00, 0x01]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_as_gadgetbridge_writes_them() {
        use ConfigCommand as C;
        let cases: Vec<(ConfigCommand, Vec<u8>)> = vec![
            (
                C::StepGoal(8000),
                vec![0x10, 0x00, 0x00, 0x40, 0x1f, 0x00, 0x00],
            ),
            (C::GoalNotification(true), vec![0x06, 0x06, 0x00, 0x01]),
            (C::Imperial(false), vec![0x06, 0x03, 0x00, 0x00]),
            (C::Imperial(true), vec![0x06, 0x03, 0x00, 0x01]),
            (C::LiftWrist(Toggle::Off), vec![0x06, 0x05, 0x00, 0x00]),
            (
                C::LiftWrist(Toggle::On),
                vec![0x06, 0x05, 0x00, 0x01, 0, 0, 0, 0],
            ),
            (
                C::LiftWrist(Toggle::Scheduled((8, 0), (22, 30))),
                vec![0x06, 0x05, 0x00, 0x01, 8, 0, 22, 30],
            ),
            (C::NightMode(Toggle::Off), vec![0x1a, 0x00]),
            (C::NightMode(Toggle::On), vec![0x1a, 0x02]),
            (
                C::NightMode(Toggle::Scheduled((16, 0), (7, 0))),
                vec![0x1a, 0x01, 0x10, 0x00, 0x07, 0x00],
            ),
            (
                C::IdleAlerts(None),
                vec![0x08, 0x00, 0x3c, 0x00, 0x04, 0x00, 0x15, 0x00, 0, 0, 0, 0],
            ),
            (
                C::IdleAlerts(Some(IdleAlertsBytes {
                    threshold: 60,
                    first: ((9, 0), (12, 0)),
                    second: Some(((14, 0), (21, 0))),
                })),
                vec![0x08, 0x01, 0x3c, 0x00, 9, 0, 12, 0, 14, 0, 21, 0],
            ),
            (
                C::IdleAlerts(Some(IdleAlertsBytes {
                    threshold: 45,
                    first: ((4, 0), (21, 0)),
                    second: None,
                })),
                vec![0x08, 0x01, 45, 0x00, 4, 0, 21, 0, 0, 0, 0, 0],
            ),
        ];
        for (cmd, bytes) in cases {
            assert_eq!(cmd.encode(), bytes, "{cmd:?}");
            assert_eq!(
                ConfigCommand::decode(cmd.target(), &bytes).unwrap(),
                Some(cmd)
            );
        }
        assert_eq!(C::StepGoal(1).target(), ConfigTarget::UserSettings);
        // GB's disable command is its enable template with byte 1 cleared.
        assert_eq!(
            ConfigCommand::decode(
                ConfigTarget::Configuration,
                &[0x06, 0x17, 0x00, b'e', b'n', b'_', b'U', b'S']
            )
            .unwrap(),
            None
        );
        assert!(ConfigCommand::decode(ConfigTarget::Configuration, &[0x1a, 0x01]).is_err());
        assert_eq!(
            display_ack(&[0x06, 0x06, 0x00, 0x01]).unwrap(),
            [0x10, 0x06, 0x06, 0x00, 0x01]
        );
    }
}
