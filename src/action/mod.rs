//! Band actions, defined once: the `miband` command line and the collector's REST API / MQTT
//! per-band queue both speak these types, and [`perform`] executes them over the same
//! [`crate::link::Link`] and [`crate::session::Session`] the collector uses.
//!
//! JSON form (serde): `{"action": "alert", "kind": "message", "text": "Dinner!"}`,
//! `{"action": "alarm_set", "alarm": {"slot": 0, "time": "07:30", "days": "weekdays"}}`,
//! `{"action": "configure", "setting": {"heart_rate_interval": 5}}`. Values are validated while
//! deserializing, so a bad request is refused before it reaches a band.

mod perform;
mod settings;
mod values;

pub use perform::{configure, find, perform, read_alarms, ActionError};
pub use settings::{
    BandSetting, DistanceUnit, HrInterval, IdleAlerts, LiftWrist, NightMode, StepGoal, Window,
};
pub use values::{
    Alarm, AlarmSlot, AlertKind, AlertText, ClockTime, FindSeconds, TzOffset, ValueError, Weekdays,
};

use serde::{Deserialize, Serialize};

/// Something to do to a band.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Vibrate ("find my band") for a while, then stop.
    Find {
        /// How long.
        #[serde(default)]
        seconds: FindSeconds,
    },
    /// Show a text alert.
    Alert {
        /// Shown as.
        #[serde(default)]
        kind: AlertKind,
        /// The text.
        text: AlertText,
    },
    /// Set the band clock to this machine's time, in a zone (default: this machine's).
    SetTime {
        /// UTC offset; `None` = this machine's.
        #[serde(default)]
        tz: Option<TzOffset>,
    },
    /// Read the alarms back.
    AlarmList,
    /// Store an alarm in its slot.
    AlarmSet {
        /// The alarm.
        alarm: Alarm,
    },
    /// Empty a slot.
    AlarmClear {
        /// Which.
        slot: AlarmSlot,
    },
    /// Apply a setting.
    Configure {
        /// Which and to what.
        setting: BandSetting,
    },
    /// Fetch and store the band's history now (only the collector can: it owns the store).
    SyncNow,
    /// Measure heart rate once.
    HeartRate,
}

/// What an action produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Done; nothing to report.
    Done,
    /// The band clock was set.
    TimeSet {
        /// Band clock minus host clock before setting, in seconds.
        drift_seconds: i64,
        /// The zone written.
        tz: TzOffset,
    },
    /// The band's alarms, by slot (slots the band did not report are empty).
    Alarms {
        /// Alarms in use.
        alarms: Vec<Alarm>,
    },
    /// A one-shot heart-rate reading (`None`: the band had no reading, e.g. not worn).
    HeartRate {
        /// Beats per minute.
        bpm: Option<u16>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_as_json() {
        let cases = [
            (
                r#"{"action":"alert","kind":"missed_call","text":"Mum"}"#,
                Action::Alert {
                    kind: AlertKind::MissedCall,
                    text: AlertText::new("Mum").unwrap(),
                },
            ),
            (
                r#"{"action":"alarm_set","alarm":{"slot":2,"time":"07:30","days":"mon,fri","enabled":true,"snooze":false}}"#,
                Action::AlarmSet {
                    alarm: Alarm {
                        slot: AlarmSlot::new(2).unwrap(),
                        time: ClockTime::new(7, 30).unwrap(),
                        days: Weekdays::from_mask(0b1_0001),
                        enabled: true,
                        snooze: false,
                    },
                },
            ),
            (
                r#"{"action":"configure","setting":{"heart_rate_interval":5}}"#,
                Action::Configure {
                    setting: BandSetting::HeartRateInterval(HrInterval::new(5).unwrap()),
                },
            ),
            (
                r#"{"action":"configure","setting":{"night_mode":{"scheduled":{"start":"22:00","end":"07:00"}}}}"#,
                Action::Configure {
                    setting: BandSetting::NightMode(NightMode::Scheduled(Window {
                        start: ClockTime::new(22, 0).unwrap(),
                        end: ClockTime::new(7, 0).unwrap(),
                    })),
                },
            ),
            (
                r#"{"action":"find","seconds":10}"#,
                Action::Find {
                    seconds: FindSeconds::new(10).unwrap(),
                },
            ),
            (
                r#"{"action":"set_time","tz":"+05:45"}"#,
                Action::SetTime {
                    tz: Some("+05:45".parse().unwrap()),
                },
            ),
            (
                r#"{"action":"alarm_clear","slot":9}"#,
                Action::AlarmClear {
                    slot: AlarmSlot::new(9).unwrap(),
                },
            ),
            (r#"{"action":"sync_now"}"#, Action::SyncNow),
            (r#"{"action":"heart_rate"}"#, Action::HeartRate),
        ];
        for (json, action) in cases {
            assert_eq!(
                serde_json::from_str::<Action>(json).unwrap(),
                action,
                "{json}"
            );
            let back = serde_json::to_string(&action).unwrap();
            assert_eq!(
                serde_json::from_str::<Action>(&back).unwrap(),
                action,
                "{back}"
            );
        }
        // Defaults: a find without seconds lasts 10 s; an alert without kind is a message.
        assert_eq!(
            serde_json::from_str::<Action>(r#"{"action":"find"}"#).unwrap(),
            Action::Find {
                seconds: FindSeconds::default()
            }
        );
    }

    #[test]
    fn bad_json_is_refused_with_the_reason() {
        for (json, want) in [
            (r#"{"action":"alarm_clear","slot":10}"#, "slots 0 to 9"),
            (
                r#"{"action":"alarm_set","alarm":{"slot":1,"time":"25:00"}}"#,
                "not a time of day",
            ),
            (
                r#"{"action":"configure","setting":{"heart_rate_interval":200}}"#,
                "above 120",
            ),
            (r#"{"action":"set_time","tz":"+01:10"}"#, "not a UTC offset"),
            (r#"{"action":"explode"}"#, "unknown variant"),
        ] {
            let e = serde_json::from_str::<Action>(json)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
        let long = format!(r#"{{"action":"alert","text":"{}"}}"#, "x".repeat(229));
        let e = serde_json::from_str::<Action>(&long)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 228 bytes"), "{e}");
    }

    #[test]
    fn outcomes_serialize_tagged() {
        let o = Outcome::HeartRate { bpm: Some(72) };
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"outcome":"heart_rate","bpm":72}"#
        );
    }
}
