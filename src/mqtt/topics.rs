//! Topics and payloads: the collector's own topics under the prefix, and Home Assistant MQTT
//! discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery). Pure: no I/O.
//!
//! Per band, `<node>` being the MAC without colons, lower case (`c80f10000001`):
//!
//! | topic | retained | payload |
//! |---|---|---|
//! | `<prefix>/status` | yes | `online` / `offline` (the collector; last will `offline`) |
//! | `<prefix>/<node>/state` | yes | the band as `GET /api/bands/{mac}` shows it |
//! | `<prefix>/<node>/availability` | yes | `online` while the band answers, else `offline` |
//! | `<prefix>/<node>/heart_rate` | no | beats per minute, each measurement |
//! | `<prefix>/<node>/event` | no | `{"event_type": "button_press"}` … |
//! | `<prefix>/<node>/job` | no | a job as `GET /api/jobs/{id}` shows it, at each change |
//! | `<prefix>/<node>/command` | – | `find`, `sync_now`, `heart_rate`, `set_time`, or a job request / action as JSON |
//!
//! Discovery uses one config topic per entity (`<discovery>/<component>/<unique_id>/config`),
//! not the device-based form, which Home Assistant only reads since 2024.12. Units, device
//! classes and state classes follow Home Assistant's sensor documentation; heart rate and calories
//! have no device class on purpose (none exists for heart rate; `energy` accepts kcal only since
//! 2024.10 and newer releases reject invalid units outright).

use serde_json::{json, Value};

use crate::api::views::BandView;
use crate::control::Action;

/// Entities a band has in Home Assistant: (component, object suffix).
pub const ENTITIES: &[(&str, &str)] = &[
    ("sensor", "battery"),
    ("sensor", "steps"),
    ("sensor", "distance"),
    ("sensor", "calories"),
    ("sensor", "heart_rate"),
    ("sensor", "last_sync"),
    ("binary_sensor", "charging"),
    ("binary_sensor", "connected"),
    ("button", "find"),
    ("button", "sync_now"),
    ("event", "button"),
];

/// Event types the band's event entity announces.
pub const EVENT_TYPES: &[&str] = &["button_press", "find_phone_start", "find_phone_stop"];

/// Topic names for one collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// The collector's prefix.
    pub prefix: String,
    /// Home Assistant's discovery prefix.
    pub discovery: String,
}

/// The topic-safe node name of a band: its MAC, lower case, without colons.
pub fn node(mac: &str) -> String {
    mac.chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The band's unique id stem in Home Assistant.
pub fn unique_stem(mac: &str) -> String {
    format!("miband_{}", node(mac))
}

impl Topics {
    /// The collector's availability (with the last will).
    pub fn status(&self) -> String {
        format!("{}/status", self.prefix)
    }

    /// A band topic.
    pub fn band(&self, mac: &str, leaf: &str) -> String {
        format!("{}/{}/{leaf}", self.prefix, node(mac))
    }

    /// Every band's command topic (subscription filter).
    pub fn commands(&self) -> String {
        format!("{}/+/command", self.prefix)
    }

    /// Home Assistant's birth/will topic.
    pub fn ha_status(&self) -> String {
        format!("{}/status", self.discovery)
    }

    /// Every discovery config (subscription filter, to find configs of removed bands).
    pub fn all_configs(&self) -> String {
        format!("{}/+/+/config", self.discovery)
    }

    /// The discovery config topic of one entity.
    pub fn config(&self, component: &str, mac: &str, suffix: &str) -> String {
        format!(
            "{}/{component}/{}_{suffix}/config",
            self.discovery,
            unique_stem(mac)
        )
    }

    /// The band node a command topic is for, if it is one.
    pub fn command_node<'a>(&self, topic: &'a str) -> Option<&'a str> {
        let rest = topic.strip_prefix(&self.prefix)?.strip_prefix('/')?;
        let (node, leaf) = rest.split_once('/')?;
        (leaf == "command").then_some(node)
    }

    /// The band node of one of our discovery config topics (`…/miband_<node>_<suffix>/config`).
    pub fn config_node<'a>(&self, topic: &'a str) -> Option<&'a str> {
        let rest = topic.strip_prefix(&self.discovery)?.strip_prefix('/')?;
        let mut parts = rest.split('/');
        let (_component, object, config) = (parts.next()?, parts.next()?, parts.next()?);
        if config != "config" || parts.next().is_some() {
            return None;
        }
        let tail = object.strip_prefix("miband_")?;
        let node = tail.get(..12)?;
        (node.chars().all(|c| c.is_ascii_hexdigit()) && tail[12..].starts_with('_')).then_some(node)
    }

    /// The discovery config of one entity of a band.
    pub fn discovery_config(&self, band: &BandView, component: &str, suffix: &str) -> Value {
        let stem = unique_stem(&band.mac);
        let state = self.band(&band.mac, "state");
        let mut device = json!({
            "identifiers": [stem.clone()],
            "connections": [["mac", band.mac.to_ascii_lowercase()]],
            "name": band.name,
            "manufacturer": "Xiaomi (Huami)",
            "model": band.model.clone().unwrap_or_else(|| "Mi Band".into()),
        });
        if let Some(fw) = &band.firmware {
            device["sw_version"] = json!(fw);
        }
        let collector = json!({"topic": self.status()});
        let band_up = json!({"topic": self.band(&band.mac, "availability")});
        let mut c = json!({
            "unique_id": format!("{stem}_{suffix}"),
            "device": device,
            "origin": {"name": "miband", "sw_version": env!("CARGO_PKG_VERSION")},
            "availability": [collector, band_up],
            "availability_mode": "all",
        });
        let o = c.as_object_mut().expect("an object");
        let mut set = |k: &str, v: Value| {
            o.insert(k.to_string(), v);
        };
        let reading = |field: &str| format!("{{{{ value_json.{field} }}}}");
        match (component, suffix) {
            ("sensor", "battery") => {
                set("name", json!("Battery"));
                set("state_topic", json!(state));
                set("value_template", json!(reading("battery_percent")));
                set("device_class", json!("battery"));
                set("unit_of_measurement", json!("%"));
                set("state_class", json!("measurement"));
                set("entity_category", json!("diagnostic"));
            }
            ("sensor", "steps") => {
                set("name", json!("Steps"));
                set("state_topic", json!(state));
                set("value_template", json!(reading("steps")));
                set("unit_of_measurement", json!("steps"));
                set("state_class", json!("total_increasing"));
                set("icon", json!("mdi:walk"));
            }
            ("sensor", "distance") => {
                set("name", json!("Distance"));
                set("state_topic", json!(state));
                set("value_template", json!(reading("distance_m")));
                set("device_class", json!("distance"));
                set("unit_of_measurement", json!("m"));
                set("state_class", json!("total_increasing"));
            }
            ("sensor", "calories") => {
                set("name", json!("Calories"));
                set("state_topic", json!(state));
                set("value_template", json!(reading("calories_kcal")));
                set("unit_of_measurement", json!("kcal"));
                set("state_class", json!("total_increasing"));
                set("icon", json!("mdi:fire"));
            }
            ("sensor", "heart_rate") => {
                set("name", json!("Heart rate"));
                set("state_topic", json!(state));
                set("value_template", json!(reading("heart_rate_bpm")));
                set("unit_of_measurement", json!("bpm"));
                set("state_class", json!("measurement"));
                set("icon", json!("mdi:heart-pulse"));
            }
            ("sensor", "last_sync") => {
                set("name", json!("Last sync"));
                set("state_topic", json!(state));
                set("value_template", json!(reading("last_sync")));
                set("device_class", json!("timestamp"));
                set("entity_category", json!("diagnostic"));
                // Known while the band is away too: only the collector's availability counts.
                set("availability", json!([{"topic": self.status()}]));
            }
            ("binary_sensor", "charging") => {
                set("name", json!("Charging"));
                set("state_topic", json!(state));
                set(
                    "value_template",
                    json!("{{ 'ON' if value_json.charging else 'OFF' }}"),
                );
                set("device_class", json!("battery_charging"));
            }
            ("binary_sensor", "connected") => {
                set("name", json!("Connected"));
                set("state_topic", json!(state));
                set(
                    "value_template",
                    json!("{{ 'ON' if value_json.up else 'OFF' }}"),
                );
                set("device_class", json!("connectivity"));
                set("entity_category", json!("diagnostic"));
                set("availability", json!([{"topic": self.status()}]));
            }
            ("button", "find") | ("button", "sync_now") => {
                let (name, class) = if suffix == "find" {
                    ("Find band", Some("identify"))
                } else {
                    ("Sync now", None)
                };
                set("name", json!(name));
                set("command_topic", json!(self.band(&band.mac, "command")));
                set("payload_press", json!(suffix));
                if let Some(class) = class {
                    set("device_class", json!(class));
                }
                // A press while the band is away queues the job: the collector's availability
                // is enough.
                set("availability", json!([{"topic": self.status()}]));
            }
            ("event", "button") => {
                set("name", json!("Button"));
                set("state_topic", json!(self.band(&band.mac, "event")));
                set("event_types", json!(EVENT_TYPES));
                set("device_class", json!("button"));
            }
            _ => {}
        }
        c
    }
}

/// A command payload: a bare action name (`find`, `sync_now`, `heart_rate`, `set_time`,
/// `alarm_list`) or an action as the API takes it (`{"action": "alert", "text": "Hi"}`).
pub fn parse_command(payload: &[u8]) -> Result<Action, String> {
    let text = std::str::from_utf8(payload)
        .map_err(|_| "expected UTF-8 text".to_string())?
        .trim();
    let value = if text.starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?
    } else {
        json!({ "action": text })
    };
    serde_json::from_value(value)
        .map_err(|e| format!("expected a command such as find or {{\"action\": \"find\"}}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Topics {
        Topics {
            prefix: "miband".into(),
            discovery: "homeassistant".into(),
        }
    }

    fn band() -> BandView {
        BandView {
            mac: "C8:0F:10:00:00:01".into(),
            id: "1".into(),
            name: "Alice".into(),
            user: "User 1".into(),
            model: Some("Mi Band 5".into()),
            firmware: Some("1.0.2.08".into()),
            up: true,
            battery_percent: Some(80),
            charging: Some(false),
            steps: Some(1234),
            distance_m: Some(900),
            calories_kcal: Some(40),
            heart_rate_bpm: Some(70),
            last_sync: None,
            last_outcome: None,
            queued_jobs: 0,
            dashboard_url: None,
        }
    }

    #[test]
    fn config_topics_round_trip_to_the_band() {
        let t = topics();
        let topic = t.config("sensor", "C8:0F:10:00:00:01", "battery");
        assert_eq!(
            topic,
            "homeassistant/sensor/miband_c80f10000001_battery/config"
        );
        assert_eq!(t.config_node(&topic), Some("c80f10000001"));
        assert_eq!(t.config_node("homeassistant/sensor/other_x/config"), None);
        assert_eq!(t.config_node("homeassistant/sensor/miband_zz/config"), None);
        assert_eq!(
            t.command_node("miband/c80f10000001/command"),
            Some("c80f10000001")
        );
        assert_eq!(t.command_node("miband/c80f10000001/state"), None);
    }

    #[test]
    fn sensors_carry_home_assistant_units_and_classes() {
        let t = topics();
        let b = band();
        let battery = t.discovery_config(&b, "sensor", "battery");
        assert_eq!(battery["device_class"], "battery");
        assert_eq!(battery["unit_of_measurement"], "%");
        assert_eq!(battery["state_class"], "measurement");
        assert_eq!(battery["device"]["connections"][0][1], "c8:0f:10:00:00:01");
        assert_eq!(battery["device"]["identifiers"][0], "miband_c80f10000001");
        assert_eq!(battery["device"]["model"], "Mi Band 5");
        assert_eq!(battery["device"]["sw_version"], "1.0.2.08");
        let steps = t.discovery_config(&b, "sensor", "steps");
        assert_eq!(steps["state_class"], "total_increasing");
        assert!(steps.get("device_class").is_none());
        let distance = t.discovery_config(&b, "sensor", "distance");
        assert_eq!(
            (&distance["device_class"], &distance["unit_of_measurement"]),
            (&json!("distance"), &json!("m"))
        );
        let hr = t.discovery_config(&b, "sensor", "heart_rate");
        assert_eq!(hr["unit_of_measurement"], "bpm");
        assert!(hr.get("device_class").is_none());
        let kcal = t.discovery_config(&b, "sensor", "calories");
        assert!(kcal.get("device_class").is_none());
        let sync = t.discovery_config(&b, "sensor", "last_sync");
        assert_eq!(sync["device_class"], "timestamp");
        let find = t.discovery_config(&b, "button", "find");
        assert_eq!(find["command_topic"], "miband/c80f10000001/command");
        assert_eq!(find["payload_press"], "find");
        let ev = t.discovery_config(&b, "event", "button");
        assert_eq!(ev["event_types"][0], "button_press");
        for (component, suffix) in ENTITIES {
            let c = t.discovery_config(&b, component, suffix);
            assert!(c["name"].is_string(), "{component}/{suffix} has a name");
            assert_eq!(
                c["unique_id"],
                format!("miband_c80f10000001_{suffix}"),
                "{component}/{suffix}"
            );
        }
    }

    #[test]
    fn commands_are_words_or_json() {
        assert!(matches!(
            parse_command(b"find").unwrap(),
            Action::Find { .. }
        ));
        assert_eq!(parse_command(b" sync_now\n").unwrap(), Action::SyncNow);
        assert!(matches!(
            parse_command(br#"{"action":"alert","text":"Hi"}"#).unwrap(),
            Action::Alert { .. }
        ));
        assert!(parse_command(b"explode").is_err());
        assert!(parse_command(b"alert").is_err());
        assert!(parse_command(&[0xff]).is_err());
    }
}
