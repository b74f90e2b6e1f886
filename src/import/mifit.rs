//! Auth keys out of the Mi Fit / Zepp Life database (`origin_db_<id>` in
//! `/data/data/com.xiaomi.hm.health/databases/`). The only documented query is
//! `select AUTHKEY from DEVICE`; nothing public describes the table's other columns, so they
//! are discovered with `PRAGMA table_info(DEVICE)` and a MAC is taken from whichever text column
//! of the row holds a Bluetooth address (docs/compatibility.md, "Mi Fit / Zepp Life").

use std::path::Path;

use rusqlite::types::ValueRef;

use super::{columns, open_checked, SqliteFileError};
use crate::config::parse_mac;
use crate::protocol::key::{AuthKey, KeyError};

/// A paired band found in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundKey {
    /// 1-based row of `DEVICE` (in rowid order), for messages.
    pub row: usize,
    /// The band's address when a column of the row holds one (upper case, `:`-separated).
    pub mac: Option<String>,
    /// The key.
    pub key: AuthKey,
}

/// Why no key could be read. Never contains a key.
#[derive(Debug, thiserror::Error)]
pub enum MifitError {
    /// The file is not a usable SQLite database.
    #[error(transparent)]
    File(#[from] SqliteFileError),
    /// No `DEVICE` table: not a Mi Fit / Zepp Life database.
    #[error("no DEVICE table: this is not a Mi Fit / Zepp Life database (origin_db_<id>)")]
    NoDeviceTable,
    /// `DEVICE` has no `AUTHKEY` column.
    #[error("table DEVICE has no AUTHKEY column (columns: {0}); is this the Mi Fit / Zepp Life origin_db?")]
    NoAuthKeyColumn(String),
    /// A row's AUTHKEY is not a key.
    #[error("DEVICE row {row}: AUTHKEY is not a key: {problem}")]
    BadKey {
        /// 1-based row.
        row: usize,
        /// What is wrong (never the value).
        problem: KeyError,
    },
    /// Every AUTHKEY is empty: no band is paired in the app.
    #[error("no band with an auth key in DEVICE: pair the band in the app first")]
    NoKeys,
    /// Reading failed half way.
    #[error("reading DEVICE: {0}")]
    Read(#[from] rusqlite::Error),
}

/// Reads every non-empty `AUTHKEY` of `DEVICE`, with the row's MAC when one is there.
pub fn read_keys(path: &Path) -> Result<Vec<FoundKey>, MifitError> {
    let conn = open_checked(path)?;
    let cols = columns(&conn, "DEVICE")?;
    if cols.is_empty() {
        return Err(MifitError::NoDeviceTable);
    }
    let key_col = cols
        .iter()
        .position(|c| c == "AUTHKEY")
        .ok_or_else(|| MifitError::NoAuthKeyColumn(cols.join(", ")))?;
    let mut stmt = conn.prepare("SELECT * FROM DEVICE")?;
    let mut rows = stmt.query([])?;
    let mut found = Vec::new();
    let mut index = 0;
    while let Some(r) = rows.next()? {
        index += 1;
        let key_text = match r.get_ref(key_col)? {
            ValueRef::Text(t) => String::from_utf8_lossy(t).trim().to_string(),
            ValueRef::Blob(b) => hex::encode(b),
            _ => String::new(),
        };
        if key_text.is_empty() {
            continue;
        }
        let key = AuthKey::from_hex(&key_text).map_err(|problem| MifitError::BadKey {
            row: index,
            problem,
        })?;
        let mac =
            (0..cols.len())
                .filter(|&i| i != key_col)
                .find_map(|i| match r.get_ref(i).ok()? {
                    ValueRef::Text(t) => mac_shaped(std::str::from_utf8(t).ok()?),
                    _ => None,
                });
        found.push(FoundKey {
            row: index,
            mac,
            key,
        });
    }
    if found.is_empty() {
        return Err(MifitError::NoKeys);
    }
    Ok(found)
}

/// `AA:BB:CC:DD:EE:FF` (either case, `:` only: a `-` form would also match other ids).
fn mac_shaped(text: &str) -> Option<String> {
    let t = text.trim();
    (t.len() == 17 && t.as_bytes()[2] == b':')
        .then(|| parse_mac(t).ok().map(|m| m.to_string()))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_colon_separated_addresses_are_macs() {
        assert_eq!(
            mac_shaped("c8:0f:10:aa:bb:cc").as_deref(),
            Some("C8:0F:10:AA:BB:CC")
        );
        assert_eq!(mac_shaped("C8-0F-10-AA-BB-CC"), None);
        assert_eq!(mac_shaped("Mi Smart Band 4"), None);
        assert_eq!(mac_shaped("0123456789abcdef0123456789abcdef"), None);
    }
}
