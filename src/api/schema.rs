//! The JSON Schema of [`crate::action::Action`] for the OpenAPI document. The action types carry
//! their own serde rules (validated newtypes deserialized from strings and numbers), which utoipa
//! cannot derive; this schema states them, and the tests below check it against the types: an
//! example of every variant (an exhaustive match, so a new variant fails to compile here) must
//! validate, and values the types refuse must not.

use serde_json::{json, Value};
use utoipa::openapi::{Ref, RefOr, Schema};

/// The reference to the Action schema, for `#[schema(schema_with = …)]` fields.
pub fn action() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name("Action"))
}

const CLOCK: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
const DAYS: &str = "^(once|daily|weekdays|weekends|(mon|tue|wed|thu|fri|sat|sun)(,(mon|tue|wed|thu|fri|sat|sun))*)$";

fn window() -> Value {
    json!({
        "type": "object",
        "required": ["start", "end"],
        "additionalProperties": false,
        "properties": {
            "start": {"type": "string", "pattern": CLOCK},
            "end": {"type": "string", "pattern": CLOCK}
        }
    })
}

fn variant(name: &str, description: &str, fields: Value, required: &[&str]) -> Value {
    let mut properties = json!({ "action": { "type": "string", "enum": [name] } });
    if let (Some(p), Some(f)) = (properties.as_object_mut(), fields.as_object()) {
        p.extend(f.clone());
    }
    let mut req = vec!["action"];
    req.extend_from_slice(required);
    json!({
        "type": "object",
        "description": description,
        "required": req,
        "additionalProperties": false,
        "properties": properties,
    })
}

fn one_key(key: &str, value: Value) -> Value {
    json!({
        "type": "object",
        "required": [key],
        "additionalProperties": false,
        "properties": { key: value }
    })
}

fn setting() -> Value {
    let switch = |scheduled_name: &str| {
        json!({"oneOf": [
            {"type": "string", "enum": ["off", if scheduled_name == "lift" { "on" } else { "sunset" }]},
            one_key("scheduled", window())
        ]})
    };
    json!({
        "description": "One band setting (exactly one key).",
        "oneOf": [
            one_key("heart_rate_interval", json!({"type": "integer", "minimum": 0, "maximum": 120, "description": "All-day heart-rate measurement every N minutes; 0 = off"})),
            one_key("sleep_assist", json!({"type": "boolean"})),
            one_key("step_goal", json!({"type": "integer", "minimum": 1, "maximum": 65535})),
            one_key("goal_notification", json!({"type": "boolean"})),
            one_key("idle_alerts", json!({"oneOf": [
                {"type": "null"},
                {"type": "object", "required": ["threshold_minutes", "window"], "additionalProperties": false,
                 "properties": {
                    "threshold_minutes": {"type": "integer", "minimum": 0, "maximum": 255},
                    "window": window(),
                    "quiet": {"oneOf": [{"type": "null"}, window()]}
                 }}
            ]})),
            one_key("lift_wrist", switch("lift")),
            one_key("night_mode", switch("night")),
            one_key("distance_unit", json!({"type": "string", "enum": ["metric", "imperial"]})),
        ]
    })
}

/// The schema of an action.
pub fn action_schema() -> Value {
    let alarm = json!({
        "type": "object",
        "required": ["slot", "time"],
        "additionalProperties": false,
        "properties": {
            "slot": {"type": "integer", "minimum": 0, "maximum": 9},
            "time": {"type": "string", "pattern": CLOCK, "description": "HH:MM, band local time"},
            "days": {"type": "string", "pattern": DAYS, "description": "mon,tue,…, daily, weekdays, weekends or once (default)"},
            "enabled": {"type": "boolean", "description": "default true"},
            "snooze": {"type": "boolean", "description": "default true"}
        }
    });
    json!({
        "description": "Something to do to a band, tagged by `action`.",
        "oneOf": [
            variant("find", "Vibrate for `seconds` (default 10) so the band can be found.",
                json!({"seconds": {"type": "integer", "minimum": 1, "maximum": 600}}), &[]),
            variant("alert", "Show a text alert.",
                json!({
                    "kind": {"type": "string", "enum": ["message", "call", "missed_call", "mail"]},
                    "text": {"type": "string", "maxLength": 57, "pattern": "^[^\\u0000]*$",
                             "description": "At most 228 bytes of UTF-8 (the schema says 57 characters, which always fit)"}
                }), &["text"]),
            variant("set_time", "Set the band clock to the collector's time, in `tz` (default: the collector's zone).",
                json!({"tz": {"type": ["string", "null"], "pattern": "^(Z|UTC|[+-](0[0-9]|1[0-4]):?(00|15|30|45))$"}}), &[]),
            variant("alarm_list", "Read the band's alarms.", json!({}), &[]),
            variant("alarm_set", "Store an alarm in its slot.", json!({"alarm": alarm}), &["alarm"]),
            variant("alarm_clear", "Empty an alarm slot.",
                json!({"slot": {"type": "integer", "minimum": 0, "maximum": 9}}), &["slot"]),
            variant("configure", "Apply a band setting.", json!({"setting": setting()}), &["setting"]),
            variant("sync_now", "Sync now: history, battery, heart rate and clock.", json!({}), &[]),
            variant("heart_rate", "Measure heart rate once; the result is {\"outcome\": \"heart_rate\", \"bpm\": N}.", json!({}), &[]),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::*;

    /// One example per variant; the match makes a new variant a compile error here.
    fn examples() -> Vec<Action> {
        let t = |h, m| ClockTime::new(h, m).unwrap();
        let all = vec![
            Action::Find {
                seconds: FindSeconds::new(600).unwrap(),
            },
            Action::Alert {
                kind: AlertKind::MissedCall,
                text: AlertText::new("Dinner is ready").unwrap(),
            },
            Action::SetTime {
                tz: Some("+05:45".parse().unwrap()),
            },
            Action::SetTime { tz: None },
            Action::AlarmList,
            Action::AlarmSet {
                alarm: Alarm {
                    slot: AlarmSlot::new(9).unwrap(),
                    time: t(7, 30),
                    days: Weekdays::from_mask(0b0001_0101),
                    enabled: true,
                    snooze: false,
                },
            },
            Action::AlarmClear {
                slot: AlarmSlot::new(0).unwrap(),
            },
            Action::Configure {
                setting: BandSetting::HeartRateInterval(HrInterval::new(5).unwrap()),
            },
            Action::Configure {
                setting: BandSetting::NightMode(NightMode::Scheduled(Window {
                    start: t(22, 0),
                    end: t(7, 0),
                })),
            },
            Action::Configure {
                setting: BandSetting::LiftWrist(LiftWrist::On),
            },
            Action::Configure {
                setting: BandSetting::IdleAlerts(Some(IdleAlerts {
                    threshold_minutes: 60,
                    window: Window {
                        start: t(9, 0),
                        end: t(17, 0),
                    },
                    quiet: None,
                })),
            },
            Action::Configure {
                setting: BandSetting::IdleAlerts(None),
            },
            Action::Configure {
                setting: BandSetting::DistanceUnit(DistanceUnit::Imperial),
            },
            Action::Configure {
                setting: BandSetting::StepGoal(StepGoal::new(8000).unwrap()),
            },
            Action::SyncNow,
            Action::HeartRate,
        ];
        for a in &all {
            match a {
                Action::Find { .. }
                | Action::Alert { .. }
                | Action::SetTime { .. }
                | Action::AlarmList
                | Action::AlarmSet { .. }
                | Action::AlarmClear { .. }
                | Action::Configure { .. }
                | Action::SyncNow
                | Action::HeartRate => {}
            }
        }
        all
    }

    #[test]
    fn every_action_the_types_write_matches_the_schema() {
        let schema = action_schema();
        let v = jsonschema::validator_for(&schema).unwrap();
        for a in examples() {
            let json = serde_json::to_value(&a).unwrap();
            assert!(v.is_valid(&json), "{json} does not match the schema");
        }
    }

    #[test]
    fn what_the_types_refuse_the_schema_refuses() {
        let schema = action_schema();
        let v = jsonschema::validator_for(&schema).unwrap();
        for bad in [
            json!({"action": "explode"}),
            json!({"action": "find", "seconds": 0}),
            json!({"action": "find", "seconds": 601}),
            json!({"action": "find", "extra": 1}),
            json!({"action": "alert"}),
            json!({"action": "alarm_clear", "slot": 10}),
            json!({"action": "alarm_set", "alarm": {"slot": 1, "time": "25:00"}}),
            json!({"action": "configure", "setting": {"heart_rate_interval": 121}}),
            json!({"action": "set_time", "tz": "+01:10"}),
        ] {
            assert!(
                serde_json::from_value::<Action>(bad.clone()).is_err(),
                "the types accept {bad}"
            );
            assert!(!v.is_valid(&bad), "the schema accepts {bad}");
        }
    }
}
