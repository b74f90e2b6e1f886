//! Shared by the `store_*` integration tests: a throwaway cluster with a miband database, and
//! generators of readings.
#![allow(dead_code)] // each test binary uses a different part

use chrono::{DateTime, TimeZone, Utc};
use miband::protocol::activity::{ActivitySample, TimedSample};
use miband::store::db_config::DbConfig;
use miband::store::pgcluster::PgCluster;
use miband::store::record::{
    BandRecord, BatteryReading, HeartRateReading, Record, StaticInfo, StepsReading, TimeCheck,
};

pub const DB: &str = "miband";
pub const OWNER: &str = "miband";
pub const PASSWORD: &str = "pa/ss&wo'rd";

/// A running throwaway cluster with an empty database owned by a password role.
pub async fn cluster() -> PgCluster {
    let pg = PgCluster::start_throwaway().expect("start PostgreSQL");
    pg.create_owner_db(DB, OWNER, PASSWORD)
        .await
        .expect("create database");
    pg
}

/// Connection settings as a user would write them: TCP with a password.
pub fn tcp_config(pg: &PgCluster) -> DbConfig {
    DbConfig {
        host: "127.0.0.1".into(),
        port: pg.port(),
        dbname: DB.into(),
        user: OWNER.into(),
        password: PASSWORD.into(),
    }
}

/// Connection settings over the Unix socket directory (trusted, no password needed).
pub fn socket_config(pg: &PgCluster) -> DbConfig {
    DbConfig {
        host: pg.socket_dir().display().to_string(),
        password: String::new(),
        ..tcp_config(pg)
    }
}

/// 2023-11-14 22:14:00 UTC plus `i` minutes.
pub fn minute_ts(i: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_040 + 60 * i, 0).unwrap()
}

/// Minutes `from..to`, MB5-style (extra bytes) on every third minute, no heart rate on odd ones.
pub fn minutes(from: i64, to: i64) -> Vec<TimedSample> {
    (from..to)
        .map(|i| TimedSample {
            ts: minute_ts(i),
            sample: ActivitySample {
                kind: i.rem_euclid(256) as u8,
                intensity: i.rem_euclid(100) as u8,
                steps: i.rem_euclid(50) as u8,
                heart_rate: (i % 2 == 0).then_some(60 + i.rem_euclid(40) as u8),
                extra: (i % 3 == 0).then_some([i.rem_euclid(256) as u8, 1, 2, 3]),
            },
        })
        .collect()
}

pub fn activity(mac: &str, from: i64, to: i64) -> BandRecord {
    BandRecord {
        mac: mac.parse().unwrap(),
        record: Record::Activity {
            samples: minutes(from, to),
        },
    }
}

/// One record of every other kind, at minute `i`.
pub fn readings(mac: &str, i: i64) -> Vec<BandRecord> {
    let ts = minute_ts(i);
    let rec = |record| BandRecord {
        mac: mac.parse().unwrap(),
        record,
    };
    vec![
        rec(Record::Battery(BatteryReading {
            ts,
            level: 87,
            charging: i % 2 == 1,
        })),
        rec(Record::Steps(StepsReading {
            ts,
            steps: 5000 + i as u32,
            meters: 3500,
            calories: 210,
        })),
        rec(Record::HeartRate(HeartRateReading { ts, bpm: 71 })),
        rec(Record::StaticInfo(StaticInfo {
            name: Some("Mi Smart Band 5".into()),
            sw_version: Some("1.0.2.66".into()),
            hw_version: Some("V0.44.19.2".into()),
            serial_number: Some("12345/678".into()),
            appearance: None,
            system_id: Some("0x1122334455667788".into()),
            pnp_id: Some("vendor 0x0157".into()),
            pcon_params: None,
        })),
        rec(Record::TimeCheck(TimeCheck {
            ts,
            drift_seconds: -3,
        })),
    ]
}
