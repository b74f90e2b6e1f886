//! Typed access to the keys of `settings.json`, each failure located at the key's line and phrased
//! as "key: expected X, found Y". Values of secret keys are described by their JSON type only.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use super::duration::{parse_duration, DurationError};
use super::error::Diagnostic;

/// Reads keys from the settings object and collects diagnostics.
pub struct Fields<'a> {
    path: &'a Path,
    object: &'a Map<String, Value>,
    lines: HashMap<&'a str, usize>,
    object_line: usize,
    used: HashSet<&'static str>,
    /// Fatal problems so far.
    pub errors: Vec<Diagnostic>,
    /// Warnings so far.
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    /// `lines` maps each key to its line; `object_line` is where the object starts (used for
    /// missing keys, which have no line of their own).
    pub fn new(
        path: &'a Path,
        object: &'a Map<String, Value>,
        lines: HashMap<&'a str, usize>,
        object_line: usize,
    ) -> Self {
        Fields {
            path,
            object,
            lines,
            object_line,
            used: HashSet::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The line of `key`, or of the object when the key is absent.
    pub fn line(&self, key: &str) -> usize {
        self.lines.get(key).copied().unwrap_or(self.object_line)
    }

    /// The value of `key`, `null` counting as absent; marks the key as known.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.insert(key);
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// Whether the key is present (even as `null`); marks it as known.
    pub fn has(&mut self, key: &'static str) -> bool {
        self.used.insert(key);
        self.object.contains_key(key)
    }

    /// Records a problem at the key's line.
    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        let line = self.line(key);
        self.errors.push(Diagnostic::at(self.path, line, message));
    }

    /// Records a warning at the key's line.
    pub fn warn(&mut self, key: &str, message: impl Into<String>) {
        let line = self.line(key);
        self.warnings.push(Diagnostic::at(self.path, line, message));
    }

    /// Reports a required key that is absent.
    pub fn missing(&mut self, key: &str, what: &str) {
        self.error(key, format!("missing key {key:?}: expected {what}"));
    }

    /// Reports a value of the wrong shape.
    pub fn wrong(&mut self, key: &str, what: &str, value: &Value, secret: bool) {
        let found = describe(value, secret);
        self.error(key, format!("{key}: expected {what}, found {found}"));
    }

    /// A required non-empty string.
    pub fn required_string(&mut self, key: &'static str, what: &str) -> Option<String> {
        match self.get(key) {
            None if !self.has(key) => {
                self.missing(key, what);
                None
            }
            value => self.non_empty_string(key, what, value.unwrap_or(&Value::Null)),
        }
    }

    /// An optional non-empty string (absent or `null` means the default).
    pub fn optional_string(&mut self, key: &'static str, what: &str) -> Option<String> {
        let value = self.get(key)?;
        self.non_empty_string(key, what, value)
    }

    fn non_empty_string(&mut self, key: &str, what: &str, value: &Value) -> Option<String> {
        match value {
            // PostgreSQL, BlueZ and paths all end a string at NUL: refuse it here instead of
            // failing forever at run time (a NUL in db_name looked like an eternal outage).
            Value::String(s) if s.contains('\0') => {
                self.error(
                    key,
                    format!("{key}: expected {what}, found a string containing a NUL character (\\u0000)"),
                );
                None
            }
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            other => {
                self.wrong(key, what, other, false);
                None
            }
        }
    }

    /// An integer in `range`, given as a JSON number or a string of digits (psycopg accepted
    /// both, so old files have both).
    pub fn integer(
        &mut self,
        key: &'static str,
        what: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<Option<u64>> {
        let value = self.get(key)?;
        let number = match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if range.contains(&n) => Some(Some(n)),
            _ => {
                self.wrong(key, what, value, false);
                Some(None)
            }
        }
    }

    /// A duration of at least `minimum`, as whole seconds or a duration string; `default` when
    /// absent.
    pub fn duration(
        &mut self,
        key: &'static str,
        default: Duration,
        minimum: Duration,
    ) -> Duration {
        let min = minimum.as_secs();
        let what = format!(
            "a duration of at least {min} seconds, as seconds (3600) or a string such as \"60m\" or \"1h30m\""
        );
        let Some(value) = self.get(key) else {
            return default;
        };
        let parsed = match value {
            Value::Number(n) => n
                .as_u64()
                .ok_or(DurationError::Format)
                .and_then(super::duration::from_seconds),
            Value::String(s) => parse_duration(s),
            _ => Err(DurationError::Format),
        };
        match parsed {
            Ok(d) if d >= minimum => d,
            Ok(d) => {
                self.error(
                    key,
                    format!(
                        "{key}: expected at least {min} seconds ({} minutes), found {} seconds",
                        min / 60,
                        d.as_secs()
                    ),
                );
                default
            }
            Err(DurationError::TooLarge) => {
                self.wrong(key, &format!("{what}, at most 100 years"), value, false);
                default
            }
            Err(DurationError::Format) => {
                self.wrong(key, &what, value, false);
                default
            }
        }
    }

    /// Keys present in the file that nothing asked for, in file order.
    pub fn unknown_keys(&self) -> Vec<(&'a str, usize)> {
        let mut unknown: Vec<(&str, usize)> = self
            .object
            .keys()
            .filter(|k| !self.used.contains(k.as_str()))
            .map(|k| (k.as_str(), self.line(k)))
            .collect();
        unknown.sort_by_key(|&(_, line)| line);
        unknown
    }

    /// Every key asked for so far (the known keys, for spelling suggestions).
    pub fn known_keys(&self) -> Vec<&'static str> {
        let mut known: Vec<&'static str> = self.used.iter().copied().collect();
        known.sort_unstable();
        known
    }
}

/// A JSON value for a message: the value itself when harmless, else only its type.
pub fn describe(value: &Value, secret: bool) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) if secret => "a boolean".into(),
        Value::Number(_) if secret => "a number".into(),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        Value::String(_) if secret => "a string".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn describe_hides_secret_values() {
        assert_eq!(describe(&json!("hunter2"), true), "a string");
        assert_eq!(describe(&json!(1234), true), "a number");
        assert_eq!(describe(&json!(true), true), "a boolean");
        assert_eq!(describe(&json!("x"), false), "\"x\"");
        assert_eq!(describe(&json!(12.5), false), "12.5");
        assert_eq!(describe(&json!(""), true), "an empty string");
        assert_eq!(describe(&json!([1]), false), "an array");
    }
}
