//! Helpers shared by the Grafana provisioning tests.
#![allow(dead_code)]

use miband::provision::bands::Band;
use std::path::PathBuf;

/// A password with everything that broke ARCO's `sed`: quotes, backslash, `/`, `&`, a newline,
/// `{{`, and `$` (which Grafana would expand).
pub const NASTY_PASSWORD: &str = "p'a\"s\\s/w&r$d{{x}}\n2 $$";

/// The same characters in a band name.
pub const NASTY_NAME: &str = "Ann's \"band\" \\ / & {{name}}\n$HOME";

/// Three bands: a plain one, a nasty name, and one without a name.
pub fn bands() -> Vec<Band> {
    vec![
        Band {
            id: 1,
            mac: "C8:0F:10:00:00:01".into(),
            name: Some("Mi Smart Band 4".into()),
        },
        Band {
            id: 2,
            mac: "C8:0F:10:00:00:02".into(),
            name: Some(NASTY_NAME.into()),
        },
        Band {
            id: 17,
            mac: "C8:0F:10:00:00:11".into(),
            name: None,
        },
    ]
}

/// A configuration file with the nasty password, single-quoted the shell way, and a fixed
/// household zone (the default, the machine's, would make rendered files machine-dependent).
pub fn config_text(extra: &str) -> String {
    format!(
        "DBNAME=miband\nDBUSER=grafana\nDBPASSWORD='{}'\nDBHOST=localhost\nDBPORT=5432\nTIMEZONE=Europe/Madrid\n{extra}",
        NASTY_PASSWORD.replace('\'', "'\\''")
    )
}

/// Where Grafana's published JSON schemas are, if anywhere: `$MIBAND_GRAFANA_SCHEMAS`, else
/// `../shared/schemas/grafana` beside the checkout. They are Grafana's (Apache-2.0), not ours to
/// commit, so a fresh clone has none and the schema checks skip (docs/testing.md §6).
pub fn schema_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("MIBAND_GRAFANA_SCHEMAS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/grafana"),
    };
    dir.is_dir().then_some(dir)
}

/// Schema `name` from [`schema_dir`].
pub fn schema(dir: &std::path::Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("schema {name} in {}: {e}", dir.display()));
    serde_json::from_str(&text).unwrap()
}

/// Says on the terminal, past the test harness's capture, which check did not run and why.
pub fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what}");
}

/// Grafana's provisioning interpolation of one value (pkg/services/provisioning/values): `$$`
/// is a literal `$`; anything else after a `$` would be expanded. Returns `None` if the value
/// would be expanded.
pub fn grafana_literal(value: &str) -> Option<String> {
    let parts: Vec<&str> = value.split("$$").collect();
    if parts.iter().any(|p| p.contains('$')) {
        return None;
    }
    Some(parts.join("$"))
}
