//! What the collector hands to storage: one reading (or one batch of minutes) from one band.
//!
//! The same values go to PostgreSQL or, while it is unreachable, into the local journal, so they
//! are serialisable (serde, see [`super::journal`] for the encoding) and validated *before* either
//! path: a value the database would refuse must not be journaled and replayed forever.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::mac::Mac;
use crate::protocol::activity::{ActivitySample, TimedSample};

/// A reading for the band with this MAC. The MAC, not the database id, is the key because the id
/// is unknown while the database is down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandRecord {
    /// The band's Bluetooth address (case is ignored when matching rows).
    pub mac: Mac,
    /// What was read.
    pub record: Record,
}

/// One thing read from a band, mapped onto one miband-dc table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// Minutes of history (`activityrecord`), acknowledged to the band only once durable.
    Activity {
        /// The minutes, in any order; duplicates of stored minutes are ignored.
        #[serde(with = "compact_samples")]
        samples: Vec<TimedSample>,
    },
    /// A battery reading (`batteryinforecord`).
    Battery(BatteryReading),
    /// The day's running step totals (`steprecord`).
    Steps(StepsReading),
    /// An on-demand heart-rate measurement (`heartraterecord`).
    HeartRate(HeartRateReading),
    /// Device information (`mibandstaticinfo`, one row per band).
    StaticInfo(StaticInfo),
    /// The band's clock was checked (`mibandrecord.last_time_check_ts`, `ts_drift`).
    TimeCheck(TimeCheck),
    /// The display name from devices.csv (`mibandrecord.name`), shown on dashboards.
    BandName {
        /// The name; `None` clears it.
        name: Option<String>,
    },
}

/// `batteryinforecord`: level and whether the band is on its charger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatteryReading {
    /// When it was read (UTC).
    pub ts: DateTime<Utc>,
    /// Percent.
    pub level: u8,
    /// Stored as miband-dc's `status`: 1 charging, 0 normal.
    pub charging: bool,
}

/// `steprecord`: running totals for the current day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepsReading {
    /// When it was read (UTC).
    pub ts: DateTime<Utc>,
    /// Steps today.
    pub steps: u32,
    /// Meters today.
    pub meters: u32,
    /// Kilocalories today.
    pub calories: u32,
}

/// `heartraterecord`: one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartRateReading {
    /// When it was measured (UTC).
    pub ts: DateTime<Utc>,
    /// Beats per minute.
    pub bpm: u8,
}

/// `mibandstaticinfo`: what the band says about itself. `None` is stored as an empty string
/// because miband-dc created these columns `NOT NULL`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticInfo {
    /// Device name (GAP name).
    pub name: Option<String>,
    /// Firmware revision.
    pub sw_version: Option<String>,
    /// Hardware revision.
    pub hw_version: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// GAP appearance.
    pub appearance: Option<String>,
    /// Device Information system id.
    pub system_id: Option<String>,
    /// Device Information PnP id.
    pub pnp_id: Option<String>,
    /// Preferred connection parameters.
    pub pcon_params: Option<String>,
}

/// The band's clock was compared with ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeCheck {
    /// When the check ran (UTC).
    pub ts: DateTime<Utc>,
    /// Our clock minus the band's, in seconds (positive: the band is behind). miband-dc stored
    /// Python's `timedelta.seconds`, which wraps negative drifts to 86400 - n; we store the sign.
    pub drift_seconds: i32,
}

/// A value the database would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {detail}")]
pub struct InvalidRecord {
    /// Which field.
    pub what: &'static str,
    /// What is wrong with it.
    pub detail: String,
}

/// Longest text miband-dc's `VARCHAR(255)` columns hold.
pub const MAX_TEXT_CHARS: usize = 255;

/// What a `VARCHAR(255)` column takes: at most 255 characters, no NUL (PostgreSQL refuses it).
pub fn check_text(what: &'static str, v: &str) -> Result<(), InvalidRecord> {
    if v.chars().count() > MAX_TEXT_CHARS {
        return Err(InvalidRecord {
            what,
            detail: format!("longer than {MAX_TEXT_CHARS} characters"),
        });
    }
    if v.contains('\0') {
        return Err(InvalidRecord {
            what,
            detail: "containing a NUL character (PostgreSQL text cannot hold it)".into(),
        });
    }
    Ok(())
}

impl BandRecord {
    /// Checks everything the database would otherwise refuse, so invalid data fails here, loudly,
    /// instead of being journaled and replayed forever.
    pub fn validate(&self) -> Result<(), InvalidRecord> {
        let bad = |what, detail: String| Err(InvalidRecord { what, detail });
        // The MAC is a `Mac`: valid by construction, 17 characters as stored.
        match &self.record {
            Record::Activity { .. }
            | Record::Battery(_)
            | Record::HeartRate(_)
            | Record::TimeCheck(_) => Ok(()),
            Record::Steps(s) => {
                for (what, v) in [
                    ("steps", s.steps),
                    ("meters", s.meters),
                    ("calories", s.calories),
                ] {
                    if i32::try_from(v).is_err() {
                        return bad(what, format!("{v} does not fit a PostgreSQL integer"));
                    }
                }
                Ok(())
            }
            Record::BandName { name } => match name {
                Some(n) => check_text("name", n),
                None => Ok(()),
            },
            Record::StaticInfo(info) => {
                for (what, v) in info.fields() {
                    check_text(what, v)?;
                }
                Ok(())
            }
        }
    }
}

impl StaticInfo {
    /// Column name and value (empty for unknown), in table order.
    pub fn fields(&self) -> [(&'static str, &str); 8] {
        fn s(v: &Option<String>) -> &str {
            v.as_deref().unwrap_or("")
        }
        [
            ("name", s(&self.name)),
            ("sw_version", s(&self.sw_version)),
            ("hw_version", s(&self.hw_version)),
            ("serial_number", s(&self.serial_number)),
            ("appearance", s(&self.appearance)),
            ("system_id", s(&self.system_id)),
            ("pnp_id", s(&self.pnp_id)),
            ("pcon_params", s(&self.pcon_params)),
        ]
    }
}

/// Samples as arrays `[unix_micros, kind, intensity, steps, heart_rate|null, [4 bytes]|null]`:
/// a day of minutes is ~40 KB instead of ~150 KB with field names, and still readable with jq.
mod compact_samples {
    use super::*;
    use serde::{Deserializer, Serializer};

    type Row = (i64, u8, u8, u8, Option<u8>, Option<[u8; 4]>);

    pub fn serialize<S: Serializer>(v: &[TimedSample], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|t| -> Row {
            let a = t.sample;
            (
                t.ts.timestamp_micros(),
                a.kind,
                a.intensity,
                a.steps,
                a.heart_rate,
                a.extra,
            )
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TimedSample>, D::Error> {
        let rows = Vec::<Row>::deserialize(d)?;
        rows.into_iter()
            .map(|(micros, kind, intensity, steps, heart_rate, extra)| {
                let ts = Utc
                    .timestamp_micros(micros)
                    .single()
                    .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))?;
                Ok(TimedSample {
                    ts,
                    sample: ActivitySample {
                        kind,
                        intensity,
                        steps,
                        heart_rate,
                        extra,
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(i: i64) -> TimedSample {
        TimedSample {
            ts: Utc.timestamp_opt(1_700_000_040 + 60 * i, 0).unwrap(),
            sample: ActivitySample {
                kind: 0x5a,
                intensity: 17,
                steps: 3,
                heart_rate: (i % 2 == 0).then_some(72),
                extra: (i % 3 == 0).then_some([1, 2, 3, 255]),
            },
        }
    }

    #[test]
    fn records_survive_json_round_trip() {
        let records = [
            Record::Activity {
                samples: (0..5).map(minute).collect(),
            },
            Record::Battery(BatteryReading {
                ts: Utc::now(),
                level: 80,
                charging: true,
            }),
            Record::StaticInfo(StaticInfo {
                name: Some("Mi Smart Band 5 \"quoted\"\n".into()),
                ..Default::default()
            }),
            Record::TimeCheck(TimeCheck {
                ts: Utc::now(),
                drift_seconds: -42,
            }),
        ];
        for record in records {
            let r = BandRecord {
                mac: "AA:BB:CC:DD:EE:FF".parse().unwrap(),
                record,
            };
            let json = serde_json::to_vec(&r).unwrap();
            assert_eq!(serde_json::from_slice::<BandRecord>(&json).unwrap(), r);
        }
    }

    #[test]
    fn samples_are_encoded_compactly() {
        let r = Record::Activity {
            samples: vec![minute(0)],
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"kind":"activity","samples":[[1700000040000000,90,17,3,72,[1,2,3,255]]]}"#
        );
    }

    #[test]
    fn validation_catches_what_postgres_would_refuse() {
        let rec = |record| BandRecord {
            mac: "AA:BB:CC:DD:EE:FF".parse().unwrap(),
            record,
        };
        let steps = |steps| {
            rec(Record::Steps(StepsReading {
                ts: Utc::now(),
                steps,
                meters: 1,
                calories: 1,
            }))
        };
        assert!(steps(1234).validate().is_ok());
        assert_eq!(steps(u32::MAX).validate().unwrap_err().what, "steps");
        let long = rec(Record::StaticInfo(StaticInfo {
            serial_number: Some("x".repeat(256)),
            ..Default::default()
        }));
        assert_eq!(long.validate().unwrap_err().what, "serial_number");
        // A journal line whose MAC is not a MAC never becomes a record.
        let line = r#"{"mac":"AA:BB","record":{"kind":"steps","ts":"2026-01-01T00:00:00Z","steps":1,"meters":1,"calories":1}}"#;
        assert!(serde_json::from_str::<BandRecord>(line).is_err());
        let nul = rec(Record::BandName {
            name: Some("a\0b".into()),
        });
        assert!(nul.validate().unwrap_err().detail.contains("NUL"));
    }
}
