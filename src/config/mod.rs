//! The collector's configuration: `devices.csv` and `settings.json`, read exactly as ARCO's
//! miband-dc reads them (docs/compatibility.md §1.2, §1.3), plus optional additions with defaults.
//!
//! Parse, don't validate: the files as users write them (lines, a JSON value) are turned into the
//! validated [`Config`] in one step that reports every problem with its file and line, so a user
//! fixes them all in one round. Warnings (documented aliases, unknown keys, repeated ids) come back
//! separately for the caller to log. Keys and passwords live in types that print as `****` and
//! never appear in a message.

mod devices;
mod duration;
mod error;
mod fields;
mod json_keys;
mod mqtt;
mod password;
mod secret;
mod settings;
mod source;
mod spelling;

use std::path::Path;

pub use crate::protocol::key::{AuthKey, KeyError as AuthKeyError};
pub use devices::{
    append as append_devices, format_line as device_line, parse as parse_devices_text, parse_mac,
    AppendError, Device, NewBand,
};
pub use duration::{parse_duration, DurationError};
pub use error::{ConfigErrors, Diagnostic};
pub use mqtt::MqttSettings;
pub use secret::Secret;
pub use settings::{
    Database, Remote, Settings, UpdateMode, DEFAULT_MAX_CONCURRENT_BANDS, DEFAULT_METRICS_LISTEN,
    DEFAULT_STATE_DIR, MAX_CONCURRENT_BANDS, MIN_INTERVAL,
};

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The bands, in file order; MACs are unique.
    pub devices: Vec<Device>,
    /// Everything from `settings.json`.
    pub settings: Settings,
}

/// A configuration that loaded, and what the user should still hear about.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Warnings to log (`file:line: message` via `Display`).
    pub warnings: Vec<Diagnostic>,
}

/// Loads and validates both files, reading `db_password_env` from the process environment.
pub fn load(devices: &Path, settings: &Path) -> Result<Loaded, ConfigErrors> {
    load_with_env(devices, settings, &|name| std::env::var(name).ok())
}

/// [`load`] with an explicit environment lookup.
pub fn load_with_env(
    devices: &Path,
    settings: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigErrors> {
    let devices_text = source::read_text(devices);
    let settings_text = source::read_text(settings);
    from_texts(devices, devices_text, settings, settings_text, env, true)
}

/// [`load`] for `--simulate`, where the bands may all be generated: a `devices.csv` without
/// any band is then fine (every other rule still holds).
pub fn load_for_simulation(devices: &Path, settings: &Path) -> Result<Loaded, ConfigErrors> {
    let devices_text = source::read_text(devices);
    let settings_text = source::read_text(settings);
    let env = |name: &str| std::env::var(name).ok();
    from_texts(devices, devices_text, settings, settings_text, &env, false)
}

/// Validates file contents already read (`Err` is a read failure); paths are for messages.
fn from_texts(
    devices_path: &Path,
    devices_text: Result<String, Diagnostic>,
    settings_path: &Path,
    settings_text: Result<String, Diagnostic>,
    env: &dyn Fn(&str) -> Option<String>,
    require_devices: bool,
) -> Result<Loaded, ConfigErrors> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let parsed_devices = match devices_text {
        Ok(text) => {
            let mut parsed = devices::parse(devices_path, &text, require_devices);
            problems.append(&mut parsed.errors);
            warnings.append(&mut parsed.warnings);
            Some(parsed.devices)
        }
        Err(d) => {
            problems.push(d);
            None
        }
    };
    let parsed_settings = match settings_text {
        Ok(text) => {
            let mut parsed = settings::parse(settings_path, &text, env);
            problems.append(&mut parsed.errors);
            warnings.append(&mut parsed.warnings);
            parsed.settings
        }
        Err(d) => {
            problems.push(d);
            None
        }
    };
    match (parsed_devices, parsed_settings) {
        (Some(devices), Some(settings)) if problems.is_empty() => Ok(Loaded {
            config: Config { devices, settings },
            warnings,
        }),
        _ => Err(ConfigErrors { problems }),
    }
}
