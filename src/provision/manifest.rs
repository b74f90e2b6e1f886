//! The record of what `-u` wrote (files, directories it had to create, bands), so `-r` removes
//! exactly that, `-u` removes the dashboard of a band that is gone, and `-s` needs no database.

use super::bands::Band;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Current manifest format.
pub const VERSION: u32 = 1;

/// What the last `-u` provisioned. Paths are system paths (without `--root`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// Files written, in the order written.
    pub files: Vec<PathBuf>,
    /// Directories `-u` created (removed by `-r` when empty).
    pub created_dirs: Vec<PathBuf>,
    /// The bands dashboards were written for.
    pub bands: Vec<Band>,
}

impl Manifest {
    /// Parses a manifest.
    pub fn parse(text: &str) -> Result<Manifest, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The manifest as the file holds it.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let m = Manifest {
            version: VERSION,
            files: vec!["/a".into()],
            created_dirs: vec![],
            bands: vec![Band {
                id: 1,
                mac: "AA".into(),
                name: Some("x\"y".into()),
            }],
        };
        assert_eq!(Manifest::parse(&m.to_json()).unwrap(), m);
    }
}
