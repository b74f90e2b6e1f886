//! `devices.csv` as miband-dc reads it: one band a line, `id | mac | token`, `#` comments, blank
//! lines allowed; plus an optional 4th column, a display name for dashboards and metrics.
//! Every line is checked and every problem kept, so the user sees them all at once.

use std::collections::HashMap;
use std::path::Path;

use super::error::Diagnostic;
use crate::mac::Mac;
use crate::protocol::key::AuthKey;

/// One band to collect from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The user's id for the band (the original ignored it; we use it as a metric label).
    pub id: String,
    /// Bluetooth address; unique in the file.
    pub mac: Mac,
    /// The auth key (`token` column).
    pub key: AuthKey,
    /// Optional display name (4th column).
    pub name: Option<String>,
}

impl Device {
    /// The name to show people: the display name, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// What parsing `devices.csv` produced: the good bands and every problem.
#[derive(Debug, Default)]
pub struct ParsedDevices {
    /// Bands from valid lines, in file order.
    pub devices: Vec<Device>,
    /// Fatal problems.
    pub errors: Vec<Diagnostic>,
    /// Things that work but look wrong.
    pub warnings: Vec<Diagnostic>,
}

const COLUMNS: &str = "`id | mac | token` (and optionally `| name`)";

/// Parses the text of `devices.csv`; `path` is only used in diagnostics.
/// `require_one`: an empty list of bands is an error (it is not for `--simulate`).
pub fn parse(path: &Path, text: &str, require_one: bool) -> ParsedDevices {
    let mut out = ParsedDevices::default();
    let mut macs: HashMap<Mac, usize> = HashMap::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut seen_data = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let columns: Vec<&str> = content.split('|').map(str::trim).collect();
        let first_data_line = !seen_data;
        seen_data = true;
        if first_data_line && is_header(&columns) {
            continue;
        }
        match parse_line(&columns) {
            Ok(device) => {
                if let Some(first) = macs.get(&device.mac) {
                    out.errors.push(Diagnostic::at(
                        path,
                        line,
                        format!(
                            "mac: expected each band once, found {} again (first on line {first})",
                            device.mac
                        ),
                    ));
                    continue;
                }
                if let Some(first) = ids.get(&device.id) {
                    out.warnings.push(Diagnostic::at(
                        path,
                        line,
                        format!(
                            "id: {:?} is also the id of line {first}; metrics and logs will not tell these bands apart by id",
                            device.id
                        ),
                    ));
                } else {
                    ids.insert(device.id.clone(), line);
                }
                macs.insert(device.mac, line);
                out.devices.push(device);
            }
            Err(messages) => out
                .errors
                .extend(messages.into_iter().map(|m| Diagnostic::at(path, line, m))),
        }
    }
    if require_one && out.devices.is_empty() && out.errors.is_empty() {
        out.errors.push(Diagnostic::whole_file(
            path,
            format!("expected at least one band, a line {COLUMNS}, found none"),
        ));
    }
    out
}

/// A first line naming the columns, which some users keep from spreadsheets.
fn is_header(columns: &[&str]) -> bool {
    let names = ["id", "mac", "token", "name"];
    columns.len() >= 3
        && columns.len() <= 4
        && columns
            .iter()
            .zip(names)
            .all(|(c, n)| c.eq_ignore_ascii_case(n))
}

/// One data line; returns every problem of the line (not just the first).
fn parse_line(columns: &[&str]) -> Result<Device, Vec<String>> {
    if columns.len() < 3 {
        return Err(vec![format!(
            "expected 3 columns {COLUMNS}, found {}",
            columns.len()
        )]);
    }
    if columns.len() > 4 {
        return Err(vec![format!(
            "expected at most 4 columns {COLUMNS}, found {}",
            columns.len()
        )]);
    }
    let mut problems = Vec::new();
    let id = columns[0];
    if id.is_empty() {
        problems.push("id: expected a band id in column 1, found an empty column".to_string());
    }
    let mac = parse_mac(columns[1]).map_err(|m| problems.push(m)).ok();
    let key = AuthKey::from_hex(columns[2])
        .map_err(|e| problems.push(format!("token: {e}")))
        .ok();
    let name = columns
        .get(3)
        .filter(|n| !n.is_empty())
        .map(|n| n.to_string());
    if let Some(n) = &name {
        // What the database's VARCHAR(255) takes, checked here so --check tells the truth
        // (the contract lives in store::record).
        if let Err(e) = crate::store::record::check_text("name", n) {
            problems.push(format!(
                "name: expected at most {} characters and no NUL, found a name {}",
                crate::store::record::MAX_TEXT_CHARS,
                e.detail
            ));
        }
    }
    match (mac, key) {
        (Some(mac), Some(key)) if problems.is_empty() => Ok(Device {
            id: id.to_string(),
            mac,
            key,
            name,
        }),
        _ => Err(problems),
    }
}

/// A MAC as a person typed it (the `mac` column, `--mac`). The message quotes what was found
/// unless it may be a key (a token typed in the wrong column): keys never appear in messages.
pub fn parse_mac(text: &str) -> Result<Mac, String> {
    let expected = "mac: expected a Bluetooth address like AA:BB:CC:DD:EE:FF";
    text.parse().map_err(|_| {
        if text.is_empty() {
            format!("{expected}, found an empty column")
        } else if AuthKey::from_hex(text).is_ok() {
            // Never echo a key, even one in the wrong column.
            format!("{expected}, found what looks like an auth key (are the columns swapped?)")
        } else if text.chars().count() <= 17 && !text.contains(char::is_whitespace) {
            // Too short to hold a 32-digit key: safe to show.
            format!("{expected}, found {text:?}")
        } else {
            // Never quoted: with a `|` missing the column runs into the token (the auth key).
            let hint = if text.contains(char::is_whitespace) {
                " (is a `|` missing between the columns?)"
            } else {
                ""
            };
            format!(
                "{expected}, found {} characters{hint}",
                text.chars().count()
            )
        }
    })
}

/// A band to add to `devices.csv` (`miband key --append`).
#[derive(Debug, Clone)]
pub struct NewBand {
    /// The band's address.
    pub mac: Mac,
    /// The key; written as 32 lower-case hex digits.
    pub key: AuthKey,
    /// Optional display name (4th column).
    pub name: Option<String>,
}

/// Why bands cannot be appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    /// The file already has a line for this band.
    #[error(
        "{mac} is already in the file (line {line}); remove that line first to replace its key"
    )]
    MacPresent {
        /// The band.
        mac: Mac,
        /// 1-based line where it is.
        line: usize,
    },
}

/// One `devices.csv` line, `id | mac | token [| name]`, as [`parse`] reads it back. Holds the
/// key in clear: write it only to stdout or to the devices file.
pub fn format_line(id: &str, band: &NewBand) -> String {
    let key = hex::encode(band.key.expose());
    match &band.name {
        Some(n) => format!("{id} | {} | {key} | {n}", band.mac),
        None => format!("{id} | {} | {key}", band.mac),
    }
}

/// `text` with a line per band appended; comments, blank lines and every existing line stay as
/// they are. New ids continue after the largest numeric id in the file. Refuses a MAC that is
/// already there (in whatever spelling) rather than leaving the file with two keys for one band.
pub fn append(text: &str, bands: &[NewBand]) -> Result<String, AppendError> {
    let mut macs: HashMap<Mac, usize> = HashMap::new();
    let mut max_id: u64 = 0;
    for (index, raw) in text.lines().enumerate() {
        let content = raw.split('#').next().unwrap_or("").trim();
        let columns: Vec<&str> = content.split('|').map(str::trim).collect();
        if let Ok(id) = columns[0].parse::<u64>() {
            max_id = max_id.max(id);
        }
        if let Some(mac) = columns.get(1).and_then(|m| parse_mac(m).ok()) {
            macs.entry(mac).or_insert(index + 1);
        }
    }
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for (offset, band) in (1..).zip(bands) {
        if let Some(&line) = macs.get(&band.mac) {
            return Err(AppendError::MacPresent {
                mac: band.mac,
                line,
            });
        }
        macs.insert(band.mac, 0);
        out.push_str(&format_line(&(max_id + offset).to_string(), band));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "8fa9b42eb8ba7d1d3ddb2f0c2b4a1e6c";

    fn run(text: &str) -> ParsedDevices {
        parse(Path::new("devices.csv"), text, true)
    }

    #[test]
    fn no_band_is_an_error_unless_simulating() {
        assert_eq!(run("# nothing yet\n").errors.len(), 1);
        let p = parse(Path::new("devices.csv"), "# nothing yet\n", false);
        assert!(p.errors.is_empty() && p.devices.is_empty());
        // Other problems still count when simulating.
        let bad = parse(Path::new("devices.csv"), "1 | nope | x\n", false);
        assert!(
            bad.errors.iter().any(|e| e.message.contains("mac")),
            "{:?}",
            bad.errors
        );
    }

    #[test]
    fn reads_miband_dc_lines_comments_and_names() {
        let text = format!(
            "# bands\n\n1 | aa:bb:cc:dd:ee:01 | {KEY}\n2|AA-BB-CC-DD-EE-02|0x{KEY}| Grandma # kitchen\n"
        );
        let p = run(&text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.warnings.is_empty());
        assert_eq!(p.devices.len(), 2);
        assert_eq!(p.devices[0].id, "1");
        assert_eq!(p.devices[0].mac.to_string(), "AA:BB:CC:DD:EE:01");
        assert_eq!(p.devices[0].name, None);
        assert_eq!(p.devices[0].display_name(), "1");
        assert_eq!(p.devices[1].mac.to_string(), "AA:BB:CC:DD:EE:02");
        assert_eq!(p.devices[1].name.as_deref(), Some("Grandma"));
        assert_eq!(p.devices[1].key, p.devices[0].key);
    }

    #[test]
    fn skips_a_header_line() {
        let p = run(&format!(
            "id | mac | token\n1 | AA:BB:CC:DD:EE:01 | {KEY}\n"
        ));
        assert!(p.errors.is_empty());
        assert_eq!(p.devices.len(), 1);
    }

    #[test]
    fn reports_every_problem_of_a_line() {
        let p = run(" | AA:BB | 1234\n");
        let got: Vec<String> = p.errors.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            got,
            [
                "devices.csv:1: id: expected a band id in column 1, found an empty column",
                "devices.csv:1: mac: expected a Bluetooth address like AA:BB:CC:DD:EE:FF, found \"AA:BB\"",
                "devices.csv:1: token: expected the auth key as 32 hex digits, found 4 characters",
            ]
        );
    }

    #[test]
    fn messages_never_quote_the_token_column() {
        let bad_tokens = [
            "zz8fa9b42eb8ba7d1d3ddb2f0c2b4a1e",
            "8fa9b42eb8ba7d1d",
            "0x8fa9b42eb8ba7d1d3ddb2f0c2b4a1e6c00",
        ];
        for token in bad_tokens {
            let p = run(&format!("1 | AA:BB:CC:DD:EE:01 | {token}\n"));
            assert_eq!(p.errors.len(), 1, "{token}");
            assert!(!p.errors[0].to_string().contains(token), "{}", p.errors[0]);
        }
        // A key typed into the mac column is not quoted either.
        let p = run(&format!("1 | {KEY} | {KEY}\n"));
        assert!(!p.errors[0].to_string().contains(KEY), "{}", p.errors[0]);
    }

    #[test]
    fn the_same_band_in_another_case_is_a_duplicate() {
        let p = run(&format!(
            "1 | aa:bb:cc:dd:ee:01 | {KEY}\n2 | AA-BB-CC-DD-EE-01 | {KEY}\n"
        ));
        assert_eq!(p.devices.len(), 1);
        assert_eq!(
            p.errors[0].to_string(),
            "devices.csv:2: mac: expected each band once, found AA:BB:CC:DD:EE:01 again (first on line 1)"
        );
    }

    #[test]
    fn appended_lines_read_back_and_keep_the_rest() {
        let key = AuthKey::from_hex(KEY).unwrap();
        let band = |mac: &str, name: Option<&str>| NewBand {
            mac: mac.parse().unwrap(),
            key: key.clone(),
            name: name.map(Into::into),
        };
        let before = format!("# my bands\n\n7 | aa:bb:cc:dd:ee:01 | {KEY} # kitchen");
        let after = append(
            &before,
            &[
                band("AA:BB:CC:DD:EE:02", Some("Bob")),
                band("AA:BB:CC:DD:EE:03", None),
            ],
        )
        .unwrap();
        assert!(after.starts_with(&format!("{before}\n")), "{after}");
        let p = run(&after);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let got: Vec<(&str, String, Option<&str>)> = p
            .devices
            .iter()
            .map(|d| (d.id.as_str(), d.mac.to_string(), d.name.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("7", "AA:BB:CC:DD:EE:01".into(), None),
                ("8", "AA:BB:CC:DD:EE:02".into(), Some("Bob")),
                ("9", "AA:BB:CC:DD:EE:03".into(), None),
            ]
        );
        assert!(p.devices.iter().all(|d| d.key == key));
        assert_eq!(
            append(&before, &[band("AA:BB:CC:DD:EE:01", None)]),
            Err(AppendError::MacPresent {
                mac: "AA:BB:CC:DD:EE:01".parse().unwrap(),
                line: 3
            })
        );
        assert!(append(
            "",
            &[
                band("AA:BB:CC:DD:EE:01", None),
                band("AA:BB:CC:DD:EE:01", None)
            ]
        )
        .is_err());
    }

    #[test]
    fn duplicate_ids_warn() {
        let p = run(&format!(
            "1 | AA:BB:CC:DD:EE:01 | {KEY}\n1 | AA:BB:CC:DD:EE:02 | {KEY}\n"
        ));
        assert!(p.errors.is_empty());
        assert_eq!(p.devices.len(), 2);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(2));
    }
}
