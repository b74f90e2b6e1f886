//! The PostgreSQL writer against a real throwaway cluster: every table, idempotence, the upgrade
//! of a database created by miband-dc itself, and a read-only reader.

mod store_support;

use std::time::Duration;

use miband::store::postgres::{Store, StoreError};
use miband::store::record::Record;
use miband::store::schema;
use store_support::*;

const MAC: &str = "C8:0F:10:AA:BB:01";
const T: Duration = Duration::from_secs(10);

async fn count(c: &tokio_postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn every_table_gets_rows_and_rewriting_adds_nothing() {
    let pg = cluster().await;
    // Over TCP with a password containing `/`, `&` and a quote, as a user would configure it.
    let mut store = Store::connect(&tcp_config(&pg), T).await.unwrap();
    let dev = store.band_id(MAC.parse().unwrap()).await.unwrap();
    assert_eq!(dev, 1, "first band is User 1");
    assert_eq!(
        store
            .band_id(MAC.to_lowercase().parse().unwrap())
            .await
            .unwrap(),
        dev
    );
    assert_eq!(store.activity_cursor(dev).await.unwrap(), None);

    let samples = minutes(0, 1440);
    let out = store.ingest_activity(dev, &samples).await.unwrap();
    assert_eq!(out.inserted, 1440);
    assert_eq!(out.cursor, Some(minute_ts(1439)));
    // The same batch again, and an overlapping one: only the new minutes count.
    assert_eq!(
        store.ingest_activity(dev, &samples).await.unwrap().inserted,
        0
    );
    let out = store
        .ingest_activity(dev, &minutes(1400, 1500))
        .await
        .unwrap();
    assert_eq!(out.inserted, 60);
    // An older batch does not move the cursor back.
    let out = store.ingest_activity(dev, &minutes(-10, 0)).await.unwrap();
    assert_eq!((out.inserted, out.cursor), (10, Some(minute_ts(1499))));
    assert_eq!(
        store.activity_cursor(dev).await.unwrap(),
        Some(minute_ts(1499))
    );

    for round in 0..2 {
        for r in readings(MAC, 7) {
            let rows = store.apply(dev, &r.record).await.unwrap();
            let expect_new =
                round == 0 && !matches!(r.record, Record::StaticInfo(_) | Record::TimeCheck(_));
            assert_eq!(rows, u64::from(expect_new), "{:?} round {round}", r.record);
        }
    }

    let c = pg.connect_superuser(DB).await.unwrap();
    assert_eq!(count(&c, "SELECT count(*) FROM activityrecord").await, 1510);
    assert_eq!(
        count(&c, "SELECT count(DISTINCT ts) FROM activityrecord").await,
        1510
    );
    for table in [
        "batteryinforecord",
        "steprecord",
        "heartraterecord",
        "mibandstaticinfo",
    ] {
        let n = count(
            &c,
            &format!("SELECT count(*) FROM {table} WHERE dev_id = 1"),
        )
        .await;
        assert_eq!(n, 1, "{table}");
    }
    // Column meanings as miband-dc had them.
    let row = c
        .query_one(
            "SELECT category, intensity, steps, heart_rate, extra FROM activityrecord WHERE ts = $1",
            &[&minute_ts(3)],
        )
        .await
        .unwrap();
    let (cat, int, steps, hr): (i16, i16, i16, i16) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(
        (cat, int, steps, hr),
        (3, 3, 3, 255),
        "odd minute: no heart rate = 255"
    );
    assert_eq!(row.get::<_, Option<Vec<u8>>>(4), Some(vec![3, 1, 2, 3]));
    let row = c
        .query_one(
            "SELECT heart_rate, extra FROM activityrecord WHERE ts = $1",
            &[&minute_ts(4)],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i16>(0), 64);
    assert_eq!(row.get::<_, Option<Vec<u8>>>(1), None);
    let row = c
        .query_one(
            "SELECT last_battery_ts, last_steps_ts, last_heart_rate_ts, last_time_check_ts, ts_drift, \
             (SELECT status FROM batteryinforecord), (SELECT appearance FROM mibandstaticinfo) \
             FROM mibandrecord WHERE id = 1",
            &[],
        )
        .await
        .unwrap();
    for i in 0..4 {
        assert_eq!(
            row.get::<_, Option<chrono::DateTime<chrono::Utc>>>(i),
            Some(minute_ts(7))
        );
    }
    assert_eq!(row.get::<_, i32>(4), -3);
    assert_eq!(row.get::<_, i16>(5), 1, "odd minute: charging");
    assert_eq!(row.get::<_, String>(6), "", "unknown static field");

    // An older time check does not overwrite a newer one.
    for r in readings(MAC, 2) {
        if let Record::TimeCheck(mut tc) = r.record {
            tc.drift_seconds = 99;
            store.record_time_check(dev, &tc).await.unwrap();
        }
    }
    assert_eq!(
        count(&c, "SELECT ts_drift::bigint FROM mibandrecord").await,
        -3
    );

    // Grafana's role has CONNECT and SELECT only, and reads everything it needs.
    c.batch_execute(
        "CREATE ROLE grafana LOGIN PASSWORD 'ro';
         GRANT CONNECT ON DATABASE miband TO grafana;
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO grafana;",
    )
    .await
    .unwrap();
    let ro = miband::store::db_config::DbConfig {
        user: "grafana".into(),
        password: "ro".into(),
        ..tcp_config(&pg)
    };
    let (ro, conn) = ro
        .to_pg_config()
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let n: i64 = ro
        .query_one(
            "SELECT count(*) FROM activityrecord a JOIN mibandrecord m ON m.id = a.dev_id \
             WHERE a.heart_rate <> 255",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 755);
    let denied = ro.execute("DELETE FROM activityrecord", &[]).await;
    assert!(denied.is_err(), "read-only role cannot write");
}

#[tokio::test]
async fn wrong_password_is_refused_not_unavailable_and_secret_free() {
    let pg = cluster().await;
    let mut cfg = tcp_config(&pg);
    cfg.password = "wrong-hunter2".into();
    let err = Store::connect(&cfg, T).await.unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err:?}");
    assert!(!err.is_unavailable());
    let msg = err.to_string();
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(!msg.contains("hunter2") && !format!("{err:?}").contains("hunter2"));

    pg.stop().unwrap();
    let err = Store::connect(&tcp_config(&pg), T).await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

/// miband-dc's tables exactly as its peewee models created them (CharField → VARCHAR(255) NOT
/// NULL, no server default for ts_drift, ON DELETE CASCADE, peewee's index names).
const MIBAND_DC_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS "mibandrecord" ("id" SERIAL NOT NULL PRIMARY KEY, "mac" VARCHAR(255) NOT NULL, "last_activity_ts" TIMESTAMP WITH TIME ZONE, "last_battery_ts" TIMESTAMP WITH TIME ZONE, "last_heart_rate_ts" TIMESTAMP WITH TIME ZONE, "last_steps_ts" TIMESTAMP WITH TIME ZONE, "last_time_check_ts" TIMESTAMP WITH TIME ZONE, "ts_drift" INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS "mibandrecord_mac" ON "mibandrecord" ("mac");
CREATE TABLE IF NOT EXISTS "mibandstaticinfo" ("id" SERIAL NOT NULL PRIMARY KEY, "dev_id" INTEGER NOT NULL, "name" VARCHAR(255) NOT NULL, "sw_version" VARCHAR(255) NOT NULL, "hw_version" VARCHAR(255) NOT NULL, "serial_number" VARCHAR(255) NOT NULL, "appearance" VARCHAR(255) NOT NULL, "system_id" VARCHAR(255) NOT NULL, "pnp_id" VARCHAR(255) NOT NULL, "pcon_params" VARCHAR(255) NOT NULL, FOREIGN KEY ("dev_id") REFERENCES "mibandrecord" ("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS "mibandstaticinfo_dev_id" ON "mibandstaticinfo" ("dev_id");
CREATE TABLE IF NOT EXISTS "activityrecord" ("id" SERIAL NOT NULL PRIMARY KEY, "dev_id" INTEGER NOT NULL, "ts" TIMESTAMP WITH TIME ZONE NOT NULL, "category" SMALLINT NOT NULL, "intensity" SMALLINT NOT NULL, "steps" SMALLINT NOT NULL, "heart_rate" SMALLINT NOT NULL, FOREIGN KEY ("dev_id") REFERENCES "mibandrecord" ("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS "activityrecord_dev_id" ON "activityrecord" ("dev_id");
CREATE UNIQUE INDEX IF NOT EXISTS "activityrecord_dev_id_ts" ON "activityrecord" ("dev_id", "ts");
CREATE TABLE IF NOT EXISTS "batteryinforecord" ("id" SERIAL NOT NULL PRIMARY KEY, "dev_id" INTEGER NOT NULL, "ts" TIMESTAMP WITH TIME ZONE NOT NULL, "level" SMALLINT NOT NULL, "status" SMALLINT NOT NULL, FOREIGN KEY ("dev_id") REFERENCES "mibandrecord" ("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS "batteryinforecord_dev_id" ON "batteryinforecord" ("dev_id");
CREATE TABLE IF NOT EXISTS "steprecord" ("id" SERIAL NOT NULL PRIMARY KEY, "dev_id" INTEGER NOT NULL, "ts" TIMESTAMP WITH TIME ZONE NOT NULL, "steps" INTEGER NOT NULL, "meters" INTEGER NOT NULL, "calories" INTEGER NOT NULL, FOREIGN KEY ("dev_id") REFERENCES "mibandrecord" ("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS "steprecord_dev_id" ON "steprecord" ("dev_id");
CREATE TABLE IF NOT EXISTS "heartraterecord" ("id" SERIAL NOT NULL PRIMARY KEY, "dev_id" INTEGER NOT NULL, "ts" TIMESTAMP WITH TIME ZONE NOT NULL, "bpm" SMALLINT NOT NULL, FOREIGN KEY ("dev_id") REFERENCES "mibandrecord" ("id") ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS "heartraterecord_dev_id" ON "heartraterecord" ("dev_id");
"#;

/// Rows as miband-dc would have left them: two bands (ids 1, 2; the MAC in lower case), a day's
/// first minutes, one of each reading.
const MIBAND_DC_ROWS: &str = "
INSERT INTO mibandrecord (mac, last_activity_ts, ts_drift) VALUES
    ('c8:0f:10:aa:bb:01', '2023-11-14 22:16:00+00', 5), ('C8:0F:10:AA:BB:02', NULL, 0);
INSERT INTO activityrecord (dev_id, ts, category, intensity, steps, heart_rate) VALUES
    (1, '2023-11-14 22:14:00+00', 80, 10, 0, 255),
    (1, '2023-11-14 22:15:00+00', 1, 20, 12, 66),
    (1, '2023-11-14 22:16:00+00', 1, 30, 15, 70);
INSERT INTO batteryinforecord (dev_id, ts, level, status) VALUES (1, '2023-11-14 22:00:00+00', 55, 0);
INSERT INTO steprecord (dev_id, ts, steps, meters, calories) VALUES (1, '2023-11-14 22:00:00+00', 100, 70, 4);
INSERT INTO heartraterecord (dev_id, ts, bpm) VALUES (1, '2023-11-14 22:00:00+00', 64);
INSERT INTO mibandstaticinfo (dev_id, name, sw_version, hw_version, serial_number, appearance, system_id, pnp_id, pcon_params)
    VALUES (1, 'Mi Smart Band 4', 'V1.0.9.66', 'V0.32.4.5', '1234', '0', 'x', 'y', '{}');
";

#[tokio::test]
async fn an_existing_miband_dc_database_is_upgraded_and_appended_to() {
    let pg = cluster().await;
    // Created by the owner, as miband-dc did at its first start.
    let (owner, conn) = socket_config(&pg)
        .to_pg_config()
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    owner.batch_execute(MIBAND_DC_DDL).await.unwrap();
    owner.batch_execute(MIBAND_DC_ROWS).await.unwrap();
    let before: Vec<String> = owner
        .query(
            "SELECT row_to_json(a)::jsonb::text FROM activityrecord a ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();

    let mut store = Store::connect(&socket_config(&pg), T).await.unwrap();
    let dev = store.band_id(MAC.parse().unwrap()).await.unwrap();
    assert_eq!(
        dev, 1,
        "the band keeps its User number despite the MAC's case"
    );
    assert_eq!(
        store
            .band_id("C8:0F:10:AA:BB:03".parse().unwrap())
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store.activity_cursor(dev).await.unwrap(),
        Some(minute_ts(2)),
        "fetching resumes after miband-dc's last minute"
    );
    // Overlaps miband-dc's three minutes and continues.
    let out = store.ingest_activity(dev, &minutes(0, 60)).await.unwrap();
    assert_eq!(out.inserted, 57);
    for r in readings(MAC, 60) {
        store.apply(dev, &r.record).await.unwrap();
    }

    let after: Vec<String> = owner
        .query(
            "SELECT (row_to_json(a)::jsonb - 'extra')::text FROM activityrecord a WHERE id <= 3 ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(after, before, "miband-dc's rows untouched");
    assert_eq!(
        count(&owner, "SELECT count(*) FROM activityrecord").await,
        60
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM activityrecord WHERE extra IS NOT NULL"
        )
        .await,
        19
    );
    for (table, n) in [
        ("batteryinforecord", 2),
        ("steprecord", 2),
        ("heartraterecord", 2),
        ("mibandstaticinfo", 1),
    ] {
        let got = count(
            &owner,
            &format!("SELECT count(*) FROM {table} WHERE dev_id = 1"),
        )
        .await;
        assert_eq!(got, n, "{table}");
    }
    let name: String = owner
        .query_one("SELECT name FROM mibandstaticinfo WHERE dev_id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Mi Smart Band 5", "static info replaced in place");
    assert_eq!(
        count(
            &owner,
            "SELECT max(version)::bigint FROM miband_schema_version"
        )
        .await,
        i64::from(schema::latest_version())
    );
    // The original column types are kept.
    let types: Vec<(String, String)> = owner
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = 'activityrecord' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expect = [
        ("id", "integer"),
        ("dev_id", "integer"),
        ("ts", "timestamp with time zone"),
        ("category", "smallint"),
        ("intensity", "smallint"),
        ("steps", "smallint"),
        ("heart_rate", "smallint"),
        ("extra", "bytea"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(types, expect);
}
