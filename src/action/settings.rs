//! Band settings the collector cannot get from a phone any more (the README asks users to switch
//! the phone's Bluetooth off). Each maps to one Gadgetbridge `HuamiSupport.set*` command; the
//! bytes live in `protocol::band_config`.

use serde::{Deserialize, Serialize};

use super::values::{ClockTime, ValueError};

/// All-day heart-rate measurement interval in minutes, 0 = off. Binary minutes on the wire
/// (`14 NN`); Gadgetbridge offers 0, 1, 5, 10, 30 and 60, creotiv caps at 120.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct HrInterval(u8);

impl HrInterval {
    /// Longest accepted interval.
    pub const MAX: u8 = 120;
    /// Checks the range.
    pub fn new(minutes: u8) -> Result<HrInterval, ValueError> {
        if minutes > Self::MAX {
            return Err(ValueError(format!(
                "a heart-rate interval of {minutes} minutes is above {} (0 = off)",
                Self::MAX
            )));
        }
        Ok(HrInterval(minutes))
    }
    /// Minutes (0 = off).
    pub fn minutes(&self) -> u8 {
        self.0
    }
}
impl TryFrom<u8> for HrInterval {
    type Error = ValueError;
    fn try_from(v: u8) -> Result<HrInterval, ValueError> {
        HrInterval::new(v)
    }
}
impl From<HrInterval> for u8 {
    fn from(v: HrInterval) -> u8 {
        v.0
    }
}

/// Daily step goal (u16 on the wire), 1..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct StepGoal(u16);

impl StepGoal {
    /// Checks the range.
    pub fn new(steps: u32) -> Result<StepGoal, ValueError> {
        match u16::try_from(steps) {
            Ok(s) if s > 0 => Ok(StepGoal(s)),
            _ => Err(ValueError(format!(
                "a step goal of {steps} is outside 1..=65535"
            ))),
        }
    }
    /// Steps.
    pub fn steps(&self) -> u16 {
        self.0
    }
}
impl TryFrom<u32> for StepGoal {
    type Error = ValueError;
    fn try_from(v: u32) -> Result<StepGoal, ValueError> {
        StepGoal::new(v)
    }
}
impl From<StepGoal> for u32 {
    fn from(v: StepGoal) -> u32 {
        u32::from(v.0)
    }
}

/// A daily time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    /// Start.
    pub start: ClockTime,
    /// End.
    pub end: ClockTime,
}

/// Idle (sedentary) alerts: vibrate after `threshold_minutes` without moving, inside `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdleAlerts {
    /// Minutes without movement before the band vibrates (1..=255; Gadgetbridge's default 60).
    pub threshold_minutes: u8,
    /// When alerts are active.
    pub window: Window,
    /// Optional quiet period inside the window (Gadgetbridge's "do not disturb" split).
    #[serde(default)]
    pub quiet: Option<Window>,
}

/// When the display lights up on lifting the wrist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiftWrist {
    /// Never.
    Off,
    /// Always.
    On,
    /// Only inside a window.
    Scheduled(Window),
}

/// Night mode (dimmed display).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NightMode {
    /// Off.
    Off,
    /// From sunset to sunrise (the band knows them from the phone's location).
    Sunset,
    /// Inside a window.
    Scheduled(Window),
}

/// Distance units on the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceUnit {
    /// Kilometres.
    Metric,
    /// Miles.
    Imperial,
}

/// One band setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandSetting {
    /// All-day heart-rate measurement interval (minutes, 0 = off).
    HeartRateInterval(HrInterval),
    /// Heart-rate measurement during sleep ("sleep assist").
    SleepAssist(bool),
    /// Daily step goal.
    StepGoal(StepGoal),
    /// Vibrate when the step goal is reached.
    GoalNotification(bool),
    /// Idle (sedentary) alerts; `None` turns them off.
    IdleAlerts(Option<IdleAlerts>),
    /// Display on wrist lift.
    LiftWrist(LiftWrist),
    /// Night mode.
    NightMode(NightMode),
    /// Distance units.
    DistanceUnit(DistanceUnit),
}
