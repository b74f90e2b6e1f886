//! `miband export`: per-minute history and readings out of PostgreSQL as CSV or JSON lines, for
//! data-science use and as an exit path. Formatting is pure ([`Cell`], [`csv_line`],
//! [`json_line`]); [`export`] streams rows so a years-long history never sits in memory.

use std::io::Write;

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use futures::{pin_mut, TryStreamExt};
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    /// Per-minute history (`activityrecord`).
    Activity,
    /// Battery readings (`batteryinforecord`).
    Battery,
    /// Daily step totals as read (`steprecord`).
    Steps,
    /// On-demand heart-rate measurements (`heartraterecord`).
    HeartRate,
}

impl Table {
    /// Column names after `band, mac, ts`, and the SQL producing them (as bigint, or bytea for
    /// `extra`). Heart rate 255 is miband-dc's "no reading" and is exported as empty/null.
    fn columns(self) -> (&'static [&'static str], &'static str, &'static str) {
        match self {
            Table::Activity => (
                &["category", "intensity", "steps", "heart_rate", "extra"],
                "t.category::bigint, t.intensity::bigint, t.steps::bigint, \
                 NULLIF(t.heart_rate, 255)::bigint, t.extra",
                "activityrecord",
            ),
            Table::Battery => (
                &["level", "charging"],
                "t.level::bigint, t.status::bigint, NULL::bytea",
                "batteryinforecord",
            ),
            Table::Steps => (
                &["steps", "meters", "calories"],
                "t.steps::bigint, t.meters::bigint, t.calories::bigint, NULL::bytea",
                "steprecord",
            ),
            Table::HeartRate => (&["bpm"], "t.bpm::bigint, NULL::bytea", "heartraterecord"),
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated, one header line.
    Csv,
    /// One JSON object a line.
    Jsonl,
}

/// How timestamps are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// RFC 3339 in UTC (`…Z`).
    Utc,
    /// RFC 3339 in this offset-giving zone (the machine's local time, DST included).
    Local,
}

/// One exported value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Absent (empty in CSV, `null` in JSON).
    Null,
    /// A number.
    Int(i64),
    /// Text.
    Text(String),
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(v) => v.to_string(),
            Cell::Text(t) if t.contains([',', '"', '\n', '\r']) => {
                format!("\"{}\"", t.replace('"', "\"\""))
            }
            Cell::Text(t) => t.clone(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Int(v) => (*v).into(),
            Cell::Text(t) => t.clone().into(),
        }
    }
}

/// A CSV line (RFC 4180 quoting), without the newline.
pub fn csv_line(cells: &[Cell]) -> String {
    cells.iter().map(Cell::csv).collect::<Vec<_>>().join(",")
}

/// A JSON object with `names` as keys, in order, without the newline.
pub fn json_line(names: &[&str], cells: &[Cell]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .zip(cells)
        .map(|(n, c)| (n.to_string(), c.json()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// A timestamp as RFC 3339, seconds precision.
pub fn format_ts(ts: DateTime<Utc>, zone: Zone) -> String {
    match zone {
        Zone::Utc => ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        Zone::Local => ts
            .with_timezone(&Local)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    }
}

/// Parses `--from`/`--to`: RFC 3339 (with offset), or `YYYY-MM-DD[ HH:MM[:SS]]` (also with a `T`)
/// read in `zone`.
pub fn parse_time(text: &str, zone: Zone) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = DateTime::<FixedOffset>::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            format!("expected a time like 2024-05-01, 2024-05-01 13:00 or 2024-05-01T13:00:00+02:00, found {t:?}")
        })?;
    match zone {
        Zone::Utc => Ok(Utc.from_utc_datetime(&naive)),
        Zone::Local => Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| format!("{t:?} does not exist in the local time zone")),
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Query {
    /// The table.
    pub table: Table,
    /// Only this band: its id ("User N"), MAC or display name. `None`: every band.
    pub band: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Errors while exporting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// `--band` matches no band.
    #[error("no band {0:?} in the database (give its id, MAC or name)")]
    UnknownBand(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
    /// Writing the output failed.
    #[error("writing the output: {0}")]
    Io(#[from] std::io::Error),
}

/// Streams the rows of `q` to `out` in time order per band; returns how many rows were written.
pub async fn export(
    client: &Client,
    q: &Query,
    format: Format,
    zone: Zone,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let band_id: Option<i32> = match &q.band {
        None => None,
        Some(b) => {
            let row = client
                .query_opt(
                    "SELECT id FROM mibandrecord WHERE id::text = $1 OR upper(mac) = upper($1) \
                     OR name = $1 ORDER BY id LIMIT 1",
                    &[b],
                )
                .await?;
            Some(
                row.map(|r| r.get(0))
                    .ok_or_else(|| ExportError::UnknownBand(b.clone()))?,
            )
        }
    };
    let (names, select, table) = q.table.columns();
    let sql = format!(
        "SELECT t.dev_id, m.mac, t.ts, {select} FROM {table} t \
         JOIN mibandrecord m ON m.id = t.dev_id \
         WHERE ($1::int IS NULL OR t.dev_id = $1) \
           AND ($2::timestamptz IS NULL OR t.ts >= $2) \
           AND ($3::timestamptz IS NULL OR t.ts < $3) \
         ORDER BY t.dev_id, t.ts"
    );
    let mut header: Vec<&str> = vec!["band", "mac", "ts"];
    header.extend_from_slice(names);
    if format == Format::Csv {
        writeln!(out, "{}", header.join(","))?;
    }
    let params: [&(dyn ToSql + Sync); 3] = [&band_id, &q.from, &q.to];
    let rows = client.query_raw(&sql, params).await?;
    pin_mut!(rows);
    let mut n = 0;
    while let Some(r) = rows.try_next().await? {
        let mut cells = vec![
            Cell::Int(i64::from(r.get::<_, i32>(0))),
            Cell::Text(r.get(1)),
            Cell::Text(format_ts(r.get(2), zone)),
        ];
        for (i, name) in names.iter().enumerate() {
            let col = 3 + i;
            if *name == "extra" {
                let v: Option<Vec<u8>> = r.get(col);
                cells.push(v.map_or(Cell::Null, |b| Cell::Text(hex::encode(b))));
            } else {
                let v: Option<i64> = r.get(col);
                cells.push(v.map_or(Cell::Null, Cell::Int));
            }
        }
        let line = match format {
            Format::Csv => csv_line(&cells),
            Format::Jsonl => json_line(&header, &cells),
        };
        writeln!(out, "{line}")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        let cells = [
            Cell::Int(3),
            Cell::Text("AA:BB".into()),
            Cell::Null,
            Cell::Text("a,\"b\"".into()),
        ];
        assert_eq!(csv_line(&cells), "3,AA:BB,,\"a,\"\"b\"\"\"");
        assert_eq!(
            json_line(&["n", "mac", "hr", "x"], &cells),
            r#"{"n":3,"mac":"AA:BB","hr":null,"x":"a,\"b\""}"#
        );
    }

    #[test]
    fn times_in_utc_and_back() {
        let ts = Utc.timestamp_opt(1_700_000_040, 0).unwrap();
        assert_eq!(format_ts(ts, Zone::Utc), "2023-11-14T22:14:00Z");
        assert_eq!(parse_time("2023-11-14T22:14:00Z", Zone::Local).unwrap(), ts);
        assert_eq!(parse_time("2023-11-14 22:14", Zone::Utc).unwrap(), ts);
        assert_eq!(
            parse_time("2023-11-14", Zone::Utc).unwrap(),
            Utc.timestamp_opt(1_699_920_000, 0).unwrap()
        );
        let local = format_ts(ts, Zone::Local);
        assert_eq!(parse_time(&local, Zone::Utc).unwrap(), ts);
        assert!(parse_time("yesterday", Zone::Utc)
            .unwrap_err()
            .contains("yesterday"));
    }
}
