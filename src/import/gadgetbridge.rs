//! Reading a Gadgetbridge database ("Export DB", auto-export, or `database/Gadgetbridge` from a
//! backup zip) for Mi Band 4/5 history. Tables as Gadgetbridge's greenDAO generator declares them
//! (docs/compatibility.md, "Gadgetbridge"):
//!
//! - `DEVICE`: `_id`, `IDENTIFIER` (the MAC), `TYPE_NAME` (`MIBAND4`/`MIBAND5`; absent or empty
//!   before Gadgetbridge's schema update 62, when only the numeric `TYPE` 16/23 told).
//! - `MI_BAND_ACTIVITY_SAMPLE`: one row a minute, `TIMESTAMP` in **seconds**, the band's raw
//!   `RAW_KIND`, `RAW_INTENSITY`, `STEPS`, `HEART_RATE` bytes (255 = no reading).
//! - `BATTERY_LEVEL`: `TIMESTAMP` in seconds, `LEVEL`, `BATTERY_INDEX` (0 for a band).
//!
//! Other tables (the `HUAMI_*` time samples in milliseconds, other makers' samples) are ignored.
//! Row conversion is pure ([`activity_sample`], [`battery_reading`]); reading is streamed in
//! chunks so years of minutes never sit in memory at once.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::{columns, open_checked, SqliteFileError};
use crate::config::parse_mac;
use crate::protocol::activity::{ActivitySample, SampleSize, TimedSample};
use crate::store::record::BatteryReading;

/// The Mi Band models this importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandModel {
    /// Mi Smart Band 4 (`MIBAND4`, old `TYPE` 16).
    MiBand4,
    /// Mi Smart Band 5 (`MIBAND5`, old `TYPE` 23).
    MiBand5,
}

impl BandModel {
    /// From `TYPE_NAME`, or when that is missing/empty/`UNKNOWN` (databases older than
    /// Gadgetbridge's schema update 62) from the numeric `TYPE` — the same fallback
    /// Gadgetbridge's own `migrateDeviceTypes` uses.
    pub fn from_device_type(type_name: Option<&str>, type_num: Option<i64>) -> Option<BandModel> {
        match type_name.map(str::trim) {
            Some("MIBAND4") => Some(BandModel::MiBand4),
            Some("MIBAND5") => Some(BandModel::MiBand5),
            None | Some("") | Some("UNKNOWN") => match type_num {
                Some(16) => Some(BandModel::MiBand4),
                Some(23) => Some(BandModel::MiBand5),
                _ => None,
            },
            Some(_) => None,
        }
    }
}

/// A row of `DEVICE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GbDevice {
    /// `_id`, what the sample tables' `DEVICE_ID` refers to.
    pub id: i64,
    /// `IDENTIFIER` as a MAC (upper case), or the identifier as written when it is no MAC.
    pub mac: String,
    /// Whether `IDENTIFIER` is a Bluetooth address at all.
    pub is_mac: bool,
    /// `NAME`.
    pub name: String,
    /// `TYPE_NAME`, or `TYPE <n>` on old rows, for messages.
    pub type_label: String,
    /// A Mi Band 4/5, or `None` for every other device.
    pub model: Option<BandModel>,
}

/// Problems with the file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum GbError {
    /// Not a usable SQLite file.
    #[error(transparent)]
    File(#[from] SqliteFileError),
    /// An SQLite database, but not Gadgetbridge's.
    #[error("{path}: not a Gadgetbridge database ({detail}); use the file Gadgetbridge's \"Export DB\" writes")]
    NotGadgetbridge {
        /// The file.
        path: String,
        /// What is missing.
        detail: String,
    },
    /// Reading failed after the checks passed.
    #[error("reading the Gadgetbridge database: {0}")]
    Read(#[from] rusqlite::Error),
}

/// Why one row cannot be imported (the rest still are).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column} = {value}: {expected}")]
pub struct RowProblem {
    /// The column.
    pub column: &'static str,
    /// Its value, as SQLite holds it.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

/// Samples from before 2000 or after 2100 are not seconds since 1970 from a Mi Band (a
/// millisecond timestamp lands far beyond 2100).
const EARLIEST: i64 = 946_684_800;
const LATEST: i64 = 4_102_444_800;

/// One `MI_BAND_ACTIVITY_SAMPLE` row as the collector would have stored the minute: the raw kind
/// as the band sent it, heart rate 255 (or 0) as no reading — the same decoding as a sample read
/// off the band ([`ActivitySample::decode`]).
pub fn activity_sample(
    timestamp: i64,
    raw_intensity: i64,
    steps: i64,
    raw_kind: i64,
    heart_rate: i64,
) -> Result<TimedSample, RowProblem> {
    let ts = seconds("TIMESTAMP", timestamp)?;
    let bytes = [
        byte("RAW_KIND", raw_kind)?,
        byte("RAW_INTENSITY", raw_intensity)?,
        byte("STEPS", steps)?,
        byte("HEART_RATE", heart_rate)?,
    ];
    let sample = ActivitySample::decode(&bytes, SampleSize::Four)
        .expect("four bytes make a four-byte sample");
    Ok(TimedSample { ts, sample })
}

/// One `BATTERY_LEVEL` row. Gadgetbridge does not store whether the band was charging, so it
/// is stored as not charging (`status` 0).
pub fn battery_reading(timestamp: i64, level: i64) -> Result<BatteryReading, RowProblem> {
    let ts = seconds("TIMESTAMP", timestamp)?;
    let level = u8::try_from(level)
        .ok()
        .filter(|l| *l <= 100)
        .ok_or_else(|| RowProblem {
            column: "LEVEL",
            value: level.to_string(),
            expected: "a percentage 0..100",
        })?;
    Ok(BatteryReading {
        ts,
        level,
        charging: false,
    })
}

fn seconds(column: &'static str, v: i64) -> Result<DateTime<Utc>, RowProblem> {
    let problem = || RowProblem {
        column,
        value: v.to_string(),
        expected: "seconds since 1970 between 2000 and 2100",
    };
    if !(EARLIEST..LATEST).contains(&v) {
        return Err(problem());
    }
    Utc.timestamp_opt(v, 0).single().ok_or_else(problem)
}

fn byte(column: &'static str, v: i64) -> Result<u8, RowProblem> {
    u8::try_from(v).map_err(|_| RowProblem {
        column,
        value: v.to_string(),
        expected: "a byte 0..255 as the band sent it",
    })
}

/// What a chunk of rows turned into.
#[derive(Debug)]
pub struct Chunk<T> {
    /// Rows converted.
    pub items: Vec<T>,
    /// Rows that could not be, with their problem.
    pub rejected: Vec<RowProblem>,
}

impl<T> Default for Chunk<T> {
    fn default() -> Self {
        Chunk {
            items: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

/// An open, checked Gadgetbridge database.
#[derive(Debug)]
pub struct GadgetbridgeDb {
    conn: Connection,
    has_battery: bool,
}

const ACTIVITY: &str = "MI_BAND_ACTIVITY_SAMPLE";

impl GadgetbridgeDb {
    /// Opens `path` read-only, checks it is undamaged and has Gadgetbridge's `DEVICE` and
    /// `MI_BAND_ACTIVITY_SAMPLE` tables with the columns used here.
    pub fn open(path: &Path) -> Result<GadgetbridgeDb, GbError> {
        let conn = open_checked(path)?;
        let not_gb = |detail: String| GbError::NotGadgetbridge {
            path: path.display().to_string(),
            detail,
        };
        let require = |table: &str, needed: &[&str]| -> Result<bool, GbError> {
            let have = columns(&conn, table)?;
            if have.is_empty() {
                return Ok(false);
            }
            let missing: Vec<&str> = needed
                .iter()
                .copied()
                .filter(|c| !have.iter().any(|h| h == c))
                .collect();
            if missing.is_empty() {
                Ok(true)
            } else {
                Err(not_gb(format!(
                    "table {table} lacks column(s) {}",
                    missing.join(", ")
                )))
            }
        };
        if !require("DEVICE", &["_ID", "NAME", "IDENTIFIER", "TYPE"])? {
            return Err(not_gb("no DEVICE table".into()));
        }
        let activity_cols = [
            "TIMESTAMP",
            "DEVICE_ID",
            "RAW_INTENSITY",
            "STEPS",
            "RAW_KIND",
            "HEART_RATE",
        ];
        if !require(ACTIVITY, &activity_cols)? {
            return Err(not_gb(format!("no {ACTIVITY} table")));
        }
        let has_battery = require("BATTERY_LEVEL", &["TIMESTAMP", "DEVICE_ID", "LEVEL"])?;
        Ok(GadgetbridgeDb { conn, has_battery })
    }

    /// Every row of `DEVICE`.
    pub fn devices(&self) -> Result<Vec<GbDevice>, GbError> {
        let has_type_name = columns(&self.conn, "DEVICE")?
            .iter()
            .any(|c| c == "TYPE_NAME");
        let sql = if has_type_name {
            "SELECT _id, NAME, IDENTIFIER, TYPE, TYPE_NAME FROM DEVICE ORDER BY _id"
        } else {
            "SELECT _id, NAME, IDENTIFIER, TYPE, NULL FROM DEVICE ORDER BY _id"
        };
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            let identifier: String = r.get(2)?;
            let type_num: Option<i64> = r.get(3)?;
            let type_name: Option<String> = r.get(4)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                identifier,
                type_num,
                type_name,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, identifier, type_num, type_name) = row?;
            let model = BandModel::from_device_type(type_name.as_deref(), type_num);
            let type_label = match (&type_name, type_num) {
                (Some(n), _) if !n.trim().is_empty() => n.clone(),
                (_, Some(t)) => format!("TYPE {t}"),
                _ => "unknown type".into(),
            };
            let parsed = parse_mac(identifier.trim()).ok().map(|m| m.to_string());
            out.push(GbDevice {
                id,
                is_mac: parsed.is_some(),
                mac: parsed.unwrap_or(identifier),
                name,
                type_label,
                model,
            });
        }
        Ok(out)
    }

    /// How many minutes the device has (for the progress bar).
    pub fn count_activity(&self, device_id: i64) -> Result<u64, GbError> {
        let n: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM {ACTIVITY} WHERE DEVICE_ID = ?1"),
            [device_id],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// How many battery readings the device has.
    pub fn count_battery(&self, device_id: i64) -> Result<u64, GbError> {
        if !self.has_battery {
            return Ok(0);
        }
        let n: i64 = self
            .conn
            .query_row(&self.battery_sql("count(*)"), [device_id], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The device's minutes in time order, `chunk` rows at a time, to `f`; stops at the first
    /// error `f` returns.
    pub fn for_each_activity_chunk<E: From<GbError>>(
        &self,
        device_id: i64,
        chunk: usize,
        mut f: impl FnMut(Chunk<TimedSample>) -> Result<(), E>,
    ) -> Result<(), E> {
        let sql = format!(
            "SELECT TIMESTAMP, RAW_INTENSITY, STEPS, RAW_KIND, HEART_RATE FROM {ACTIVITY} \
             WHERE DEVICE_ID = ?1 ORDER BY TIMESTAMP"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(GbError::from)?;
        let mut rows = stmt.query([device_id]).map_err(GbError::from)?;
        let mut current = Chunk::default();
        while let Some(r) = rows.next().map_err(GbError::from)? {
            let converted = (|| {
                activity_sample(
                    int(r, 0, "TIMESTAMP")?,
                    int(r, 1, "RAW_INTENSITY")?,
                    int(r, 2, "STEPS")?,
                    int(r, 3, "RAW_KIND")?,
                    int(r, 4, "HEART_RATE")?,
                )
            })();
            match converted {
                Ok(s) => current.items.push(s),
                Err(p) => current.rejected.push(p),
            }
            if current.items.len() + current.rejected.len() >= chunk {
                f(std::mem::take(&mut current))?;
            }
        }
        if !current.items.is_empty() || !current.rejected.is_empty() {
            f(current)?;
        }
        Ok(())
    }

    /// The device's battery readings (index 0, the band's only battery), in time order.
    pub fn battery(&self, device_id: i64) -> Result<Chunk<BatteryReading>, GbError> {
        let mut out = Chunk::default();
        if !self.has_battery {
            return Ok(out);
        }
        let sql = self.battery_sql("TIMESTAMP, LEVEL");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([device_id])?;
        while let Some(r) = rows.next()? {
            match int(r, 0, "TIMESTAMP").and_then(|ts| battery_reading(ts, int(r, 1, "LEVEL")?)) {
                Ok(b) => out.items.push(b),
                Err(p) => out.rejected.push(p),
            }
        }
        Ok(out)
    }

    fn battery_sql(&self, what: &str) -> String {
        let has_index = columns(&self.conn, "BATTERY_LEVEL")
            .map(|c| c.iter().any(|c| c == "BATTERY_INDEX"))
            .unwrap_or(false);
        let index = if has_index {
            " AND BATTERY_INDEX = 0"
        } else {
            ""
        };
        format!("SELECT {what} FROM BATTERY_LEVEL WHERE DEVICE_ID = ?1{index} ORDER BY TIMESTAMP")
    }
}

/// An INTEGER cell; anything else (NULL, text, real) is a problem of the row.
fn int(r: &rusqlite::Row<'_>, i: usize, column: &'static str) -> Result<i64, RowProblem> {
    match r.get_ref(i) {
        Ok(ValueRef::Integer(v)) => Ok(v),
        Ok(other) => Err(RowProblem {
            column,
            value: format!("{:?}", other.data_type()),
            expected: "an INTEGER",
        }),
        Err(e) => Err(RowProblem {
            column,
            value: e.to_string(),
            expected: "a readable INTEGER",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_from_type_name_or_old_numeric_type() {
        use BandModel::*;
        let m = BandModel::from_device_type;
        assert_eq!(m(Some("MIBAND4"), Some(0)), Some(MiBand4));
        assert_eq!(m(Some("MIBAND5"), Some(0)), Some(MiBand5));
        assert_eq!(m(None, Some(16)), Some(MiBand4));
        assert_eq!(m(Some(""), Some(23)), Some(MiBand5));
        assert_eq!(m(Some("UNKNOWN"), Some(23)), Some(MiBand5));
        // A name wins over a stale number; other devices are not bands of ours.
        assert_eq!(m(Some("MIBAND6"), Some(16)), None);
        assert_eq!(m(Some("FOSSILQHYBRID"), Some(0)), None);
        assert_eq!(m(None, Some(14)), None);
    }

    #[test]
    fn activity_rows_keep_the_raw_bytes() {
        let s = activity_sample(1_700_000_040, 17, 3, 96, 255).unwrap();
        assert_eq!(s.ts.timestamp(), 1_700_000_040);
        assert_eq!(
            s.sample,
            ActivitySample {
                kind: 96,
                intensity: 17,
                steps: 3,
                heart_rate: None,
                extra: None
            }
        );
        assert_eq!(
            activity_sample(1_700_000_040, 0, 0, 1, 72)
                .unwrap()
                .sample
                .heart_rate,
            Some(72)
        );
        assert_eq!(
            activity_sample(1_700_000_040, 0, 0, 1, 0)
                .unwrap()
                .sample
                .heart_rate,
            None
        );
    }

    #[test]
    fn out_of_range_values_are_row_problems() {
        let e = activity_sample(1_700_000_040_000, 0, 0, 1, 72).unwrap_err();
        assert_eq!(e.column, "TIMESTAMP");
        assert_eq!(
            activity_sample(1_700_000_040, 300, 0, 1, 72)
                .unwrap_err()
                .column,
            "RAW_INTENSITY"
        );
        assert_eq!(
            activity_sample(1_700_000_040, 0, -1, 1, 72)
                .unwrap_err()
                .column,
            "STEPS"
        );
        assert_eq!(
            battery_reading(1_700_000_040, 101).unwrap_err().column,
            "LEVEL"
        );
        assert_eq!(battery_reading(1_700_000_040, 55).unwrap().level, 55);
    }
}
