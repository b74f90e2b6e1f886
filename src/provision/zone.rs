//! The household's time zone: per-day panels count days from its midnight, not UTC's
//! (`$__timeGroup(ts, '1d')` and a UTC `date_trunc` split a day anywhere but in UTC).
//! `TIMEZONE` in configuration.conf, else the zone of the machine `-u` runs on.

use std::fmt;
use std::path::Path;

/// Where the system's zone database lives (Debian's tzdata); PostgreSQL has its own copy.
const ZONEINFO: &str = "/usr/share/zoneinfo";

/// An IANA time zone name such as `Europe/Madrid`, checked to be a plain name (it is placed in
/// SQL as a quoted literal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone(String);

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone("UTC".into())
    }

    /// A zone name, if it looks like one (`Area/Place`, letters, digits, `_+-`) and, where the
    /// system has a zone database, names a zone in it.
    pub fn parse(name: &str) -> Option<Zone> {
        Self::parse_in(name, Path::new(ZONEINFO))
    }

    fn parse_in(name: &str, zoneinfo: &Path) -> Option<Zone> {
        let plain = !name.is_empty()
            && name.len() <= 64
            && name.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
            });
        if !plain {
            return None;
        }
        if zoneinfo.is_dir() && !zoneinfo.join(name).is_file() {
            return None;
        }
        Some(Zone(name.to_string()))
    }

    /// The machine's zone: `TZ` if it names one, else `/etc/timezone` (Debian), else where
    /// `/etc/localtime` points, else UTC.
    pub fn machine() -> Zone {
        let from_tz = std::env::var("TZ")
            .ok()
            .and_then(|tz| Zone::parse(tz.trim_start_matches(':')));
        let from_file = || {
            std::fs::read_to_string("/etc/timezone")
                .ok()
                .and_then(|s| Zone::parse(s.trim()))
        };
        let from_link = || {
            let target = std::fs::read_link("/etc/localtime").ok()?;
            let text = target.to_str()?;
            let (_, name) = text.split_once("zoneinfo/")?;
            Zone::parse(name)
        };
        from_tz
            .or_else(from_file)
            .or_else(from_link)
            .unwrap_or_else(Zone::utc)
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The name as an SQL string literal (the name has no quote: see [`Zone::parse`]).
    pub fn sql_literal(&self) -> String {
        format!("'{}'", self.0)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_and_known() {
        let none = Path::new("/nonexistent-zoneinfo");
        for good in [
            "UTC",
            "Pacific/Auckland",
            "America/Los_Angeles",
            "Etc/GMT+5",
        ] {
            assert_eq!(
                Zone::parse_in(good, none).map(|z| z.sql_literal()),
                Some(format!("'{good}'"))
            );
        }
        for bad in [
            "",
            "Europe/../etc/passwd",
            "a'b",
            "Europe/Ma drid",
            "/UTC",
            "x;y",
        ] {
            assert_eq!(Zone::parse_in(bad, none), None, "{bad}");
        }
        if Path::new(ZONEINFO).is_dir() {
            assert!(Zone::parse("Pacific/Auckland").is_some());
            assert_eq!(Zone::parse("Mars/Olympus_Mons"), None);
        }
    }
}
