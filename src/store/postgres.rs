//! Writing history into the miband-dc tables.
//!
//! Every write is one transaction and safe to repeat: activity minutes are unique per band and
//! minute (`ON CONFLICT DO NOTHING`), a reading with the same band and timestamp is stored once,
//! static info is one row per band, and `last_*_ts` only move forward. That is what lets the
//! journal replay after a crash that may have happened just after a commit.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Transaction};

use super::band_id::{BandClaim, Registration};
use super::db_config::DbConfig;
pub use super::error::StoreError;
use super::record::{
    BatteryReading, HeartRateReading, Record, StaticInfo, StepsReading, TimeCheck,
};
use crate::mac::Mac;
use crate::protocol::activity::{TimedSample, NO_HEART_RATE};

/// Session-local staging table for COPY; `ON COMMIT DELETE ROWS` empties it after every
/// transaction (and a rollback discards what a failed one copied).
const CREATE_STAGING: &str = "SET TIME ZONE 'UTC';
    CREATE TEMP TABLE IF NOT EXISTS miband_staging_activity (
        ts TIMESTAMP WITH TIME ZONE NOT NULL,
        category SMALLINT NOT NULL,
        intensity SMALLINT NOT NULL,
        steps SMALLINT NOT NULL,
        heart_rate SMALLINT NOT NULL,
        extra BYTEA
    ) ON COMMIT DELETE ROWS";

const COPY_STAGING: &str = "COPY miband_staging_activity \
    (ts, category, intensity, steps, heart_rate, extra) FROM STDIN (FORMAT binary)";

const STAGING_TYPES: [Type; 6] = [
    Type::TIMESTAMPTZ,
    Type::INT2,
    Type::INT2,
    Type::INT2,
    Type::INT2,
    Type::BYTEA,
];

/// What an activity ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Minutes that were new (the rest were already stored).
    pub inserted: u64,
    /// The band's `last_activity_ts` after the commit.
    pub cursor: Option<DateTime<Utc>>,
}

/// A connection to the history database, schema migrated.
#[derive(Debug)]
pub struct Store {
    client: Client,
}

impl Store {
    /// Connects (giving up after `timeout`), brings the schema up to date and prepares the
    /// session.
    pub async fn connect(cfg: &DbConfig, timeout: Duration) -> Result<Store, StoreError> {
        let (mut client, conn) = tokio::time::timeout(timeout, cfg.to_pg_config().connect(NoTls))
            .await
            .map_err(|_| StoreError::timed_out("connecting"))?
            .map_err(StoreError::from_connect)?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("database connection ended: {e}");
            }
        });
        super::schema::migrate(&mut client)
            .await
            .map_err(StoreError::from_schema)?;
        client
            .batch_execute(CREATE_STAGING)
            .await
            .map_err(StoreError::from_query)?;
        Ok(Store { client })
    }

    /// The connection, for read-only queries (`miband export`); writes go through the methods
    /// here so every rule about what is stored stays in this file.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Has the connection gone away?
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// The band's id (miband-dc's "User N"), registering the band on first sight with a free
    /// id. The MAC is matched ignoring case so a band miband-dc stored keeps its id whatever
    /// case the config has. Bands from devices.csv go through [`Store::register_bands`].
    pub async fn band_id(&mut self, mac: Mac) -> Result<i32, StoreError> {
        let claim = BandClaim { mac, wanted: None };
        Ok(self.register_bands(&[claim]).await?[0].id.get())
    }

    /// Registers bands by the one id rule of [`super::band_id`].
    pub async fn register_bands(
        &mut self,
        claims: &[BandClaim],
    ) -> Result<Vec<Registration>, StoreError> {
        super::band_id::register_bands(&mut self.client, claims).await
    }

    /// Sets (or clears) the band's display name (`mibandrecord.name`, added by migration 2).
    pub async fn set_band_name(&self, dev_id: i32, name: Option<&str>) -> Result<(), StoreError> {
        self.client
            .execute(
                "UPDATE mibandrecord SET name = $2 WHERE id = $1",
                &[&dev_id, &name],
            )
            .await
            .map_err(StoreError::from_query)?;
        Ok(())
    }

    /// The last stored minute of the band (`last_activity_ts`): fetching resumes after it.
    pub async fn activity_cursor(&self, dev_id: i32) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT last_activity_ts FROM mibandrecord WHERE id = $1",
                &[&dev_id],
            )
            .await
            .map_err(StoreError::from_query)?;
        Ok(row.and_then(|r| r.get(0)))
    }

    /// Stores minutes: binary COPY into the staging table, `INSERT .. SELECT .. ON CONFLICT
    /// (dev_id, ts) DO NOTHING`, and `last_activity_ts` moved to the newest minute, in one
    /// transaction. Acknowledge the band only after this returns `Ok`.
    pub async fn ingest_activity(
        &mut self,
        dev_id: i32,
        samples: &[TimedSample],
    ) -> Result<IngestOutcome, StoreError> {
        if samples.is_empty() {
            let cursor = self.activity_cursor(dev_id).await?;
            return Ok(IngestOutcome {
                inserted: 0,
                cursor,
            });
        }
        let q = StoreError::from_query;
        let tx = self.client.transaction().await.map_err(q)?;
        let outcome = store_minutes(&tx, dev_id, samples).await?;
        tx.commit().await.map_err(q)?;
        Ok(outcome)
    }

    /// Starts a bulk import: one transaction for everything, so an import that fails half way
    /// (a damaged source file, a lost connection) leaves the database as it was.
    pub async fn begin_import(&mut self) -> Result<Import<'_>, StoreError> {
        let q = StoreError::from_query;
        self.client
            .batch_execute(CREATE_BATTERY_STAGING)
            .await
            .map_err(q)?;
        let tx = self.client.transaction().await.map_err(q)?;
        Ok(Import { tx })
    }

    /// Stores a battery reading and moves `last_battery_ts`. Returns whether it was new.
    pub async fn record_battery(
        &mut self,
        dev_id: i32,
        r: &BatteryReading,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO batteryinforecord (dev_id, ts, level, status) \
                   SELECT $1::int, $2::timestamptz, $3::smallint, $4::smallint \
                   WHERE NOT EXISTS \
                   (SELECT 1 FROM batteryinforecord WHERE dev_id = $1::int AND ts = $2::timestamptz)";
        let status = i16::from(r.charging);
        self.reading(
            sql,
            &[&dev_id, &r.ts, &i16::from(r.level), &status],
            "last_battery_ts",
        )
        .await
    }

    /// Stores the day's step totals and moves `last_steps_ts`. Returns whether it was new.
    pub async fn record_steps(
        &mut self,
        dev_id: i32,
        r: &StepsReading,
    ) -> Result<bool, StoreError> {
        let int = |what, v: u32| {
            i32::try_from(v).map_err(|_| {
                StoreError::Invalid(super::record::InvalidRecord {
                    what,
                    detail: format!("{v} does not fit a PostgreSQL integer"),
                })
            })
        };
        let (steps, meters, calories) = (
            int("steps", r.steps)?,
            int("meters", r.meters)?,
            int("calories", r.calories)?,
        );
        let sql = "INSERT INTO steprecord (dev_id, ts, steps, meters, calories) \
                   SELECT $1::int, $2::timestamptz, $3::int, $4::int, $5::int \
                   WHERE NOT EXISTS \
                   (SELECT 1 FROM steprecord WHERE dev_id = $1::int AND ts = $2::timestamptz)";
        self.reading(
            sql,
            &[&dev_id, &r.ts, &steps, &meters, &calories],
            "last_steps_ts",
        )
        .await
    }

    /// Stores a heart-rate measurement and moves `last_heart_rate_ts`. Returns whether it was new.
    pub async fn record_heart_rate(
        &mut self,
        dev_id: i32,
        r: &HeartRateReading,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO heartraterecord (dev_id, ts, bpm) \
                   SELECT $1::int, $2::timestamptz, $3::smallint \
                   WHERE NOT EXISTS \
                   (SELECT 1 FROM heartraterecord WHERE dev_id = $1::int AND ts = $2::timestamptz)";
        self.reading(
            sql,
            &[&dev_id, &r.ts, &i16::from(r.bpm)],
            "last_heart_rate_ts",
        )
        .await
    }

    /// Inserts a reading (`$1` dev_id, `$2` ts) unless already there and advances `column`.
    async fn reading(
        &mut self,
        insert: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        column: &'static str,
    ) -> Result<bool, StoreError> {
        let q = StoreError::from_query;
        let tx = self.client.transaction().await.map_err(q)?;
        let n = tx.execute(insert, params).await.map_err(q)?;
        let advance = format!(
            "UPDATE mibandrecord SET {column} = GREATEST({column}, $2::timestamptz) WHERE id = $1"
        );
        tx.execute(&advance, &params[..2]).await.map_err(q)?;
        tx.commit().await.map_err(q)?;
        Ok(n == 1)
    }

    /// Replaces the band's static info (one row per band; unknown fields stored as '').
    pub async fn record_static_info(
        &mut self,
        dev_id: i32,
        info: &StaticInfo,
    ) -> Result<(), StoreError> {
        let q = StoreError::from_query;
        let f = info.fields().map(|(_, v)| v);
        let tx = self.client.transaction().await.map_err(q)?;
        // Serialises concurrent upserts of the same band.
        tx.execute(
            "SELECT 1 FROM mibandrecord WHERE id = $1 FOR UPDATE",
            &[&dev_id],
        )
        .await
        .map_err(q)?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
            &dev_id, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
        ];
        let updated = tx
            .execute(
                "UPDATE mibandstaticinfo SET name = $2, sw_version = $3, hw_version = $4, \
                 serial_number = $5, appearance = $6, system_id = $7, pnp_id = $8, \
                 pcon_params = $9 WHERE dev_id = $1",
                &params,
            )
            .await
            .map_err(q)?;
        if updated == 0 {
            tx.execute(
                "INSERT INTO mibandstaticinfo (dev_id, name, sw_version, hw_version, \
                 serial_number, appearance, system_id, pnp_id, pcon_params) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &params,
            )
            .await
            .map_err(q)?;
        }
        tx.commit().await.map_err(q)
    }

    /// Records a clock check: `last_time_check_ts` and `ts_drift`, unless a newer check is stored.
    pub async fn record_time_check(
        &mut self,
        dev_id: i32,
        c: &TimeCheck,
    ) -> Result<(), StoreError> {
        self.client
            .execute(
                "UPDATE mibandrecord SET last_time_check_ts = $2, ts_drift = $3 \
                 WHERE id = $1 AND (last_time_check_ts IS NULL OR last_time_check_ts <= $2)",
                &[&dev_id, &c.ts, &c.drift_seconds],
            )
            .await
            .map_err(StoreError::from_query)?;
        Ok(())
    }

    /// Writes any record; returns the rows it added (activity minutes or one reading).
    pub async fn apply(&mut self, dev_id: i32, record: &Record) -> Result<u64, StoreError> {
        Ok(match record {
            Record::Activity { samples } => self.ingest_activity(dev_id, samples).await?.inserted,
            Record::Battery(r) => self.record_battery(dev_id, r).await?.into(),
            Record::Steps(r) => self.record_steps(dev_id, r).await?.into(),
            Record::HeartRate(r) => self.record_heart_rate(dev_id, r).await?.into(),
            Record::StaticInfo(i) => {
                self.record_static_info(dev_id, i).await?;
                0
            }
            Record::TimeCheck(c) => {
                self.record_time_check(dev_id, c).await?;
                0
            }
            Record::BandName { name } => {
                self.set_band_name(dev_id, name.as_deref()).await?;
                0
            }
        })
    }
}

/// The collector's ingest path, shared with bulk imports: binary COPY into the staging table,
/// `INSERT .. SELECT .. ON CONFLICT (dev_id, ts) DO NOTHING`, `last_activity_ts` moved to the
/// newest minute (never back). The staging table empties at commit; [`Import::activity`]
/// empties it itself because its calls share one transaction.
async fn store_minutes(
    tx: &Transaction<'_>,
    dev_id: i32,
    samples: &[TimedSample],
) -> Result<IngestOutcome, StoreError> {
    let q = StoreError::from_query;
    let sink = tx.copy_in(COPY_STAGING).await.map_err(q)?;
    let writer = BinaryCopyInWriter::new(sink, &STAGING_TYPES);
    pin_mut!(writer);
    for t in samples {
        let s = &t.sample;
        let hr = i16::from(s.heart_rate.unwrap_or(NO_HEART_RATE));
        let extra = s.extra.as_ref().map(|e| &e[..]);
        writer
            .as_mut()
            .write(&[
                &t.ts,
                &i16::from(s.kind),
                &i16::from(s.intensity),
                &i16::from(s.steps),
                &hr,
                &extra,
            ])
            .await
            .map_err(q)?;
    }
    writer.finish().await.map_err(q)?;
    let inserted = tx
        .execute(
            "INSERT INTO activityrecord \
                (dev_id, ts, category, intensity, steps, heart_rate, extra) \
             SELECT $1, ts, category, intensity, steps, heart_rate, extra \
             FROM miband_staging_activity ORDER BY ts \
             ON CONFLICT (dev_id, ts) DO NOTHING",
            &[&dev_id],
        )
        .await
        .map_err(q)?;
    let row = tx
        .query_one(
            "UPDATE mibandrecord SET last_activity_ts = GREATEST(last_activity_ts, \
                (SELECT max(ts) FROM miband_staging_activity)) \
             WHERE id = $1 RETURNING last_activity_ts",
            &[&dev_id],
        )
        .await
        .map_err(q)?;
    Ok(IngestOutcome {
        inserted,
        cursor: row.get(0),
    })
}

/// Staging for bulk battery imports (created on the first import of a session).
const CREATE_BATTERY_STAGING: &str = "CREATE TEMP TABLE IF NOT EXISTS miband_staging_battery (
        ts TIMESTAMP WITH TIME ZONE NOT NULL,
        level SMALLINT NOT NULL,
        status SMALLINT NOT NULL
    ) ON COMMIT DELETE ROWS";

/// A bulk import in progress: one transaction; nothing is visible (or kept) until
/// [`Import::commit`]. Writes follow the same rules as the collector's, so an import repeated,
/// or overlapping what the collector stored, adds nothing twice.
pub struct Import<'a> {
    tx: Transaction<'a>,
}

impl std::fmt::Debug for Import<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Import")
    }
}

impl Import<'_> {
    /// Adds minutes exactly as [`Store::ingest_activity`] does (same statements).
    pub async fn activity(
        &mut self,
        dev_id: i32,
        samples: &[TimedSample],
    ) -> Result<IngestOutcome, StoreError> {
        let outcome = store_minutes(&self.tx, dev_id, samples).await?;
        self.tx
            .batch_execute("TRUNCATE miband_staging_activity")
            .await
            .map_err(StoreError::from_query)?;
        Ok(outcome)
    }

    /// Adds battery readings not stored yet (same band and timestamp: kept once, as
    /// [`Store::record_battery`] does) and moves `last_battery_ts` forward. Returns how many
    /// were new.
    pub async fn battery(
        &mut self,
        dev_id: i32,
        readings: &[BatteryReading],
    ) -> Result<u64, StoreError> {
        if readings.is_empty() {
            return Ok(0);
        }
        let q = StoreError::from_query;
        let sink = self
            .tx
            .copy_in("COPY miband_staging_battery (ts, level, status) FROM STDIN (FORMAT binary)")
            .await
            .map_err(q)?;
        let writer = BinaryCopyInWriter::new(sink, &[Type::TIMESTAMPTZ, Type::INT2, Type::INT2]);
        pin_mut!(writer);
        for r in readings {
            writer
                .as_mut()
                .write(&[&r.ts, &i16::from(r.level), &i16::from(r.charging)])
                .await
                .map_err(q)?;
        }
        writer.finish().await.map_err(q)?;
        let inserted = self
            .tx
            .execute(
                "INSERT INTO batteryinforecord (dev_id, ts, level, status) \
                 SELECT DISTINCT ON (s.ts) $1::int, s.ts, s.level, s.status \
                 FROM miband_staging_battery s \
                 WHERE NOT EXISTS (SELECT 1 FROM batteryinforecord b \
                                   WHERE b.dev_id = $1::int AND b.ts = s.ts) \
                 ORDER BY s.ts",
                &[&dev_id],
            )
            .await
            .map_err(q)?;
        self.tx
            .execute(
                "UPDATE mibandrecord SET last_battery_ts = GREATEST(last_battery_ts, \
                    (SELECT max(ts) FROM miband_staging_battery)) WHERE id = $1",
                &[&dev_id],
            )
            .await
            .map_err(q)?;
        self.tx
            .batch_execute("TRUNCATE miband_staging_battery")
            .await
            .map_err(q)?;
        Ok(inserted)
    }

    /// Makes everything added visible at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(StoreError::from_query)
    }
}
