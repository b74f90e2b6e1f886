//! The optional `mqtt` object of settings.json: where the collector publishes band states and
//! Home Assistant discovery, and takes commands. Problems are reported at the `mqtt` key's line
//! as "mqtt.<key>: expected …". The password is never in the file: `password_env` names the
//! environment variable holding it.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::fields::{describe, Fields};
use super::secret::Secret;

/// `mqtt` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttSettings {
    /// Broker host name or address.
    pub host: String,
    /// Broker port (1883, or 8883 with TLS, unless given).
    pub port: u16,
    /// Whether to use TLS.
    pub tls: bool,
    /// A CA certificate (PEM) to trust instead of the system's, for TLS.
    pub ca_file: Option<PathBuf>,
    /// User name, if the broker wants one.
    pub username: Option<String>,
    /// Its password, from the variable `password_env` names.
    pub password: Option<Secret>,
    /// Prefix of the collector's own topics (default `miband`).
    pub topic_prefix: String,
    /// MQTT client id (default `miband-dc`).
    pub client_id: String,
    /// Home Assistant's discovery prefix (default `homeassistant`).
    pub discovery_prefix: String,
    /// Whether Home Assistant discovery is published (default true).
    pub discovery: bool,
}

const KEYS: &[&str] = &[
    "host",
    "port",
    "tls",
    "ca_file",
    "username",
    "password_env",
    "topic_prefix",
    "client_id",
    "discovery_prefix",
    "discovery",
];

/// Reads `mqtt`; `Ok(None)` when absent or null; `Err(())` after reporting an error.
pub fn read(
    f: &mut Fields,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<MqttSettings>, ()> {
    let Some(value) = f.get("mqtt") else {
        return Ok(None);
    };
    let Value::Object(o) = value else {
        f.wrong(
            "mqtt",
            "an object such as {\"host\": \"localhost\"}",
            value,
            false,
        );
        return Err(());
    };
    let mut errors = Vec::new();
    for k in o.keys() {
        if !KEYS.contains(&k.as_str()) {
            f.warn(
                "mqtt",
                format!("mqtt.{k}: unknown key ignored (known: {})", KEYS.join(", ")),
            );
        }
    }
    let text = |key: &str, errors: &mut Vec<String>, topic_safe: bool| -> Option<String> {
        match o.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => {
                if topic_safe && s.chars().any(|c| matches!(c, '+' | '#' | '\0')) {
                    errors.push(format!(
                        "mqtt.{key}: expected no MQTT wildcard (+ or #), found {s:?}"
                    ));
                    None
                } else {
                    Some(s.trim().trim_end_matches('/').to_string())
                }
            }
            Some(v) => {
                errors.push(format!(
                    "mqtt.{key}: expected a non-empty string, found {}",
                    describe(v, false)
                ));
                None
            }
        }
    };
    let flag = |key: &str, default: bool, errors: &mut Vec<String>| -> bool {
        match o.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                errors.push(format!(
                    "mqtt.{key}: expected true or false, found {}",
                    describe(v, false)
                ));
                default
            }
        }
    };
    let host = text("host", &mut errors, false);
    if host.is_none() && !errors.iter().any(|e| e.starts_with("mqtt.host")) {
        errors.push("mqtt.host: expected the broker's host name or address".into());
    }
    let tls = flag("tls", false, &mut errors);
    let port = port(o, tls, &mut errors);
    let password = match text("password_env", &mut errors, false) {
        None => None,
        Some(var) => match env(&var) {
            Some(p) => Some(Secret::new(p)),
            None => {
                errors.push(format!(
                    "mqtt.password_env: expected the environment variable {var} to hold the broker password, found it unset"
                ));
                None
            }
        },
    };
    let settings = MqttSettings {
        host: host.unwrap_or_default(),
        port,
        tls,
        ca_file: text("ca_file", &mut errors, false).map(PathBuf::from),
        username: text("username", &mut errors, false),
        password,
        topic_prefix: text("topic_prefix", &mut errors, true).unwrap_or_else(|| "miband".into()),
        client_id: text("client_id", &mut errors, false).unwrap_or_else(|| "miband-dc".into()),
        discovery_prefix: text("discovery_prefix", &mut errors, true)
            .unwrap_or_else(|| "homeassistant".into()),
        discovery: flag("discovery", true, &mut errors),
    };
    if errors.is_empty() {
        Ok(Some(settings))
    } else {
        for e in errors {
            f.error("mqtt", e);
        }
        Err(())
    }
}

fn port(o: &Map<String, Value>, tls: bool, errors: &mut Vec<String>) -> u16 {
    let default = if tls { 8883 } else { 1883 };
    match o.get("port") {
        None | Some(Value::Null) => default,
        Some(v) => match v.as_u64().and_then(|p| u16::try_from(p).ok()) {
            Some(p) if p > 0 => p,
            _ => {
                errors.push(format!(
                    "mqtt.port: expected a port number from 1 to 65535, found {}",
                    describe(v, false)
                ));
                default
            }
        },
    }
}
