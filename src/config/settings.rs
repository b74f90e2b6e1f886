//! `settings.json` as miband-dc reads it (database connection, sync intervals, update mode), plus
//! our optional additions. Unknown keys are warnings, not errors, so a file written for a newer
//! or older version still loads.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::error::Diagnostic;
use super::fields::Fields;
use super::json_keys::top_level_keys;
use super::secret::Secret;

/// Where the Prometheus endpoint listens unless `metrics_listen` says otherwise: loopback (the
/// values are health data), and a port above the fully allocated 9100–9999 exporter block.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:10024";
/// Where the collector keeps its journal and state unless `state_dir` says otherwise.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/miband-dc";
/// How many bands are synced at once unless `max_concurrent_bands` says otherwise.
pub const DEFAULT_MAX_CONCURRENT_BANDS: u64 = 4;
/// The upper bound for `max_concurrent_bands` (BlueZ controllers hold few LE links).
pub const MAX_CONCURRENT_BANDS: u64 = 16;
/// miband-dc's rule: no interval below five minutes (the band's battery pays for each sync).
pub const MIN_INTERVAL: Duration = Duration::from_secs(300);

/// The validated settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// PostgreSQL connection.
    pub database: Database,
    /// How often activity history is fetched (default 3600 s).
    pub activity_timeout: Duration,
    /// How often the battery is read (default 900 s).
    pub battery_timeout: Duration,
    /// How often heart rate is measured (default 600 s).
    pub heart_rate_timeout: Duration,
    /// How often the band's clock is checked (default 86400 s).
    pub time_check_timeout: Duration,
    /// Which bands are synced.
    pub update_mode: UpdateMode,
    /// Address of the Prometheus endpoint.
    pub metrics_listen: SocketAddr,
    /// Bluetooth adapter (`hci0`…); `None` takes the first one.
    pub adapter: Option<String>,
    /// How many bands are synced at once (1–16).
    pub max_concurrent_bands: usize,
    /// Directory for the journal and collector state.
    pub state_dir: PathBuf,
    /// `heart_rate_measurement_interval`: the all-day heart-rate interval (minutes, 0 = off)
    /// the collector sets on each band after connecting; `None` leaves the band as it is. With
    /// the phone switched off nothing else sets it, and without it the per-minute history
    /// carries no heart rate.
    pub heart_rate_measurement_interval: Option<u8>,
    /// The API, the page and MQTT.
    pub remote: Remote,
}

/// Where miband-grafana's configuration is read from for the page's dashboard links, unless
/// `grafana_configuration` says otherwise.
pub const DEFAULT_GRAFANA_CONFIGURATION: &str = "/etc/miband-grafana/configuration.conf";

/// Settings of the remote interfaces: the REST API and page (on `metrics_listen`) and MQTT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// `api_token_file`: a file holding the API token (`MIBAND_API_TOKEN` takes precedence).
    pub api_token_file: Option<PathBuf>,
    /// `grafana_configuration`: miband-grafana's configuration, for dashboard links.
    pub grafana_configuration: PathBuf,
    /// `mqtt`, when MQTT is on.
    pub mqtt: Option<super::mqtt::MqttSettings>,
}

impl Default for Remote {
    fn default() -> Self {
        Remote {
            api_token_file: None,
            grafana_configuration: PathBuf::from(DEFAULT_GRAFANA_CONFIGURATION),
            mqtt: None,
        }
    }
}

/// The PostgreSQL connection (`db_*` keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// `db_name`.
    pub name: String,
    /// `db_user`, the owner of the database.
    pub user: String,
    /// `db_passwd` (or `db_password`, or the variable named by `db_password_env`).
    pub password: Secret,
    /// `db_host`: host name, address or socket directory.
    pub host: String,
    /// `db_port`.
    pub port: u16,
}

/// `update_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateMode {
    /// Sync every band (`all`, also spelled `always` in the original docs).
    #[default]
    All,
    /// Only sync bands on their charger; no heart-rate measurement then.
    Charging,
}

/// What parsing `settings.json` produced.
#[derive(Debug)]
pub struct ParsedSettings {
    /// The settings, when there was no error.
    pub settings: Option<Settings>,
    /// Fatal problems.
    pub errors: Vec<Diagnostic>,
    /// Warnings (aliases, unknown keys).
    pub warnings: Vec<Diagnostic>,
}

/// Parses the text of `settings.json`; `env` looks up environment variables (for
/// `db_password_env`), injected so tests do not depend on the process environment.
pub fn parse(path: &Path, text: &str, env: &dyn Fn(&str) -> Option<String>) -> ParsedSettings {
    let failed = |d: Diagnostic| ParsedSettings {
        settings: None,
        errors: vec![d],
        warnings: Vec::new(),
    };
    if text.trim().is_empty() {
        return failed(Diagnostic::whole_file(
            path,
            "expected a JSON object with the settings, found an empty file",
        ));
    }
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return failed(json_syntax(path, &e)),
    };
    let (object_line, keys) = top_level_keys(text);
    let Value::Object(object) = &root else {
        let found = super::fields::describe(&root, true);
        return failed(Diagnostic::at(
            path,
            object_line,
            format!("expected a JSON object {{ \"db_name\": ..., ... }}, found {found}"),
        ));
    };
    let mut errors = Vec::new();
    let mut lines = HashMap::new();
    for k in &keys {
        if let Some(first) = lines.insert(k.key.as_str(), k.line) {
            lines.insert(k.key.as_str(), first);
            errors.push(Diagnostic::at(
                path,
                k.line,
                format!(
                    "{}: expected each key once, found it again (first on line {first})",
                    k.key
                ),
            ));
        }
    }
    let mut fields = Fields::new(path, object, lines, object_line);
    let settings = read_settings(&mut fields, env);
    warn_unknown(&mut fields);
    errors.append(&mut fields.errors);
    errors.sort_by_key(|d| d.line);
    let mut warnings = fields.warnings;
    warnings.sort_by_key(|d| d.line);
    ParsedSettings {
        settings: settings.filter(|_| errors.is_empty()),
        errors,
        warnings,
    }
}

/// serde_json's message without its " at line L column C" tail, which the diagnostic carries.
/// Its message for a raw control character is rephrased: the usual cause is a string left open
/// at the end of a line (serde_json then points at the next line) or a literal tab.
fn json_syntax(path: &Path, e: &serde_json::Error) -> Diagnostic {
    let (line, column) = (e.line().max(1), e.column().max(1));
    let text = e.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    let mut diagnostic = Diagnostic::at(path, line, format!("invalid JSON: {message}"));
    diagnostic.column = Some(column);
    if message.starts_with("control character") {
        if column == 1 && line > 1 {
            diagnostic = Diagnostic::at(
                path,
                line - 1,
                "invalid JSON: expected `\"` to close the string before the end of the line",
            );
        } else {
            diagnostic.message = "invalid JSON: expected no raw control character (such as a tab) inside a string; write it escaped, as \\t".into();
        }
    }
    diagnostic
}

fn read_settings(f: &mut Fields, env: &dyn Fn(&str) -> Option<String>) -> Option<Settings> {
    let name = f.required_string("db_name", "a non-empty string, the database name");
    let user = f.required_string(
        "db_user",
        "a non-empty string, the database user (owner of the database)",
    );
    let password = super::password::read(f, env);
    let host = f.required_string(
        "db_host",
        "a non-empty string, the PostgreSQL host name, address or socket directory",
    );
    let port_what = "a port number from 1 to 65535";
    let port = match f.integer("db_port", port_what, 1..=65535) {
        None => {
            if f.has("db_port") {
                f.wrong("db_port", port_what, &Value::Null, false);
            } else {
                f.missing("db_port", port_what);
            }
            None
        }
        Some(port) => port,
    };
    let timeouts = [
        ("activity_timeout", 3600),
        ("battery_timeout", 900),
        ("heart_rate_timeout", 600),
        ("time_check_timeout", 86_400),
    ]
    .map(|(key, default)| f.duration(key, Duration::from_secs(default), MIN_INTERVAL));
    let update_mode = read_update_mode(f);
    let metrics_listen = read_listen(f);
    let adapter = f.optional_string("adapter", "a Bluetooth adapter name such as \"hci0\"");
    let max_concurrent_bands = f
        .integer(
            "max_concurrent_bands",
            &format!("a whole number from 1 to {MAX_CONCURRENT_BANDS}"),
            1..=MAX_CONCURRENT_BANDS,
        )
        .map_or(Some(DEFAULT_MAX_CONCURRENT_BANDS), |n| n);
    let state_dir = f.optional_string("state_dir", "a non-empty string, a directory path");
    // Absent: leave the bands as they are; invalid: an error (None).
    let hr_interval: Option<Option<u8>> = match f.integer(
        "heart_rate_measurement_interval",
        "a whole number of minutes from 0 (off) to 120",
        0..=120,
    ) {
        None => Some(None),
        Some(None) => None,
        Some(Some(m)) => Some(u8::try_from(m).ok()),
    };
    let [activity_timeout, battery_timeout, heart_rate_timeout, time_check_timeout] = timeouts;
    let api_token_file = f
        .optional_string(
            "api_token_file",
            "a non-empty string, the path of a file holding the API token",
        )
        .map(PathBuf::from);
    let grafana_configuration = f
        .optional_string(
            "grafana_configuration",
            "a non-empty string, the path of miband-grafana's configuration",
        )
        .map_or_else(
            || PathBuf::from(DEFAULT_GRAFANA_CONFIGURATION),
            PathBuf::from,
        );
    let mqtt = super::mqtt::read(f, env);
    Some(Settings {
        database: Database {
            name: name?,
            user: user?,
            password: password?,
            host: host?,
            port: u16::try_from(port?).ok()?,
        },
        activity_timeout,
        battery_timeout,
        heart_rate_timeout,
        time_check_timeout,
        update_mode: update_mode?,
        metrics_listen: metrics_listen?,
        adapter,
        max_concurrent_bands: usize::try_from(max_concurrent_bands?).ok()?,
        state_dir: PathBuf::from(state_dir.unwrap_or_else(|| DEFAULT_STATE_DIR.into())),
        remote: Remote {
            api_token_file,
            grafana_configuration,
            mqtt: mqtt.ok()?,
        },
        heart_rate_measurement_interval: hr_interval?,
    })
}

fn read_update_mode(f: &mut Fields) -> Option<UpdateMode> {
    let Some(value) = f.get("update_mode") else {
        return Some(UpdateMode::All);
    };
    match value.as_str() {
        Some("all") => Some(UpdateMode::All),
        Some("charging") => Some(UpdateMode::Charging),
        Some("always") => {
            f.warn(
                "update_mode",
                "update_mode: \"always\" is read as \"all\"; write \"all\"",
            );
            Some(UpdateMode::All)
        }
        _ => {
            f.wrong("update_mode", "\"all\" or \"charging\"", value, false);
            None
        }
    }
}

fn read_listen(f: &mut Fields) -> Option<SocketAddr> {
    let what = "an IP address and port such as \"127.0.0.1:10024\" or \"[::1]:10024\"";
    let Some(value) = f.get("metrics_listen") else {
        return DEFAULT_METRICS_LISTEN.parse().ok();
    };
    match value.as_str().map(|s| s.trim().parse::<SocketAddr>()) {
        Some(Ok(addr)) => Some(addr),
        _ => {
            f.wrong("metrics_listen", what, value, false);
            None
        }
    }
}

/// Unknown keys are ignored with a warning, with a spelling suggestion when one is close.
fn warn_unknown(f: &mut Fields) {
    let known = f.known_keys();
    for (key, _) in f.unknown_keys() {
        let hint = known
            .iter()
            .filter(|k| **k != "db_password" && super::spelling::close(key, k))
            .min_by_key(|k| super::spelling::distance(key, k))
            .map(|k| format!(" (did you mean {k:?}?)"))
            .unwrap_or_default();
        f.warn(key, format!("unknown key {key:?} ignored{hint}"));
    }
}
