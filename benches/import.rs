//! Gadgetbridge import throughput (samples/s) into a throwaway PostgreSQL, against a baseline
//! measured in the same run:
//! - `raw_copy`: the same minutes as one bare binary `COPY` straight into `activityrecord`
//!   (no file reading, no duplicate handling): the ceiling;
//! - `import`: `miband import gadgetbridge`'s pipeline end to end — open and `quick_check` the
//!   SQLite file, read it, the collector's COPY → staging → `ON CONFLICT DO NOTHING` path, one
//!   transaction, commit;
//! - `reimport`: the same file again (every minute already present).
//!
//! A year of minutes (525,600) for one band; every run writes a fresh band. Medians of 3 runs.
//! Run: `cargo bench --bench import` (figures in README, "Import speed").

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use futures::pin_mut;
use miband::import::gadgetbridge::GadgetbridgeDb;
use miband::import::pipeline::{self, Target};
use miband::mac::Mac;
use miband::protocol::activity::{ActivitySample, TimedSample};
use miband::store::db_config::DbConfig;
use miband::store::pgcluster::PgCluster;
use miband::store::postgres::Store;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

const MINUTES: i64 = 525_600;
const RUNS: usize = 3;
const START: i64 = 1_600_000_020;

/// Gadgetbridge's table, verbatim DDL (docs/compatibility.md §5.1).
fn build_file(path: &std::path::Path) {
    let mut c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS \"DEVICE\" (\"_id\" INTEGER PRIMARY KEY ,\"NAME\" TEXT NOT NULL ,\"MANUFACTURER\" TEXT NOT NULL ,\"IDENTIFIER\" TEXT NOT NULL UNIQUE ,\"TYPE\" INTEGER NOT NULL ,\"TYPE_NAME\" TEXT NOT NULL ,\"MODEL\" TEXT,\"ALIAS\" TEXT,\"PARENT_FOLDER\" TEXT);
         INSERT INTO DEVICE VALUES (1, 'Mi Smart Band 5', 'Xiaomi', 'C8:0F:10:00:00:01', 0, 'MIBAND5', NULL, NULL, NULL);
         CREATE TABLE IF NOT EXISTS \"MI_BAND_ACTIVITY_SAMPLE\" (\"TIMESTAMP\" INTEGER  NOT NULL ,\"DEVICE_ID\" INTEGER  NOT NULL ,\"USER_ID\" INTEGER NOT NULL ,\"RAW_INTENSITY\" INTEGER NOT NULL ,\"STEPS\" INTEGER NOT NULL ,\"RAW_KIND\" INTEGER NOT NULL ,\"HEART_RATE\" INTEGER NOT NULL ,PRIMARY KEY (\"TIMESTAMP\" ,\"DEVICE_ID\" ) ON CONFLICT REPLACE) WITHOUT ROWID;",
    )
    .unwrap();
    let tx = c.transaction().unwrap();
    {
        let mut st = tx
            .prepare("INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES (?1, 1, 1, ?2, ?3, ?4, ?5)")
            .unwrap();
        for (ts, i, s, k, h) in rows() {
            st.execute([ts, i, s, k, h]).unwrap();
        }
    }
    tx.commit().unwrap();
}

fn rows() -> impl Iterator<Item = (i64, i64, i64, i64, i64)> {
    (0..MINUTES).map(|i| {
        let hr = if i % 3 == 0 { 255 } else { 60 + i % 40 };
        (
            START + 60 * i,
            i % 200,
            i % 90,
            [1, 3, 9, 11, 80, 96][(i % 6) as usize],
            hr,
        )
    })
}

fn samples() -> Vec<TimedSample> {
    rows()
        .map(|(ts, i, s, k, h)| TimedSample {
            ts: Utc.timestamp_opt(ts, 0).unwrap(),
            sample: ActivitySample {
                kind: k as u8,
                intensity: i as u8,
                steps: s as u8,
                heart_rate: (h != 255).then_some(h as u8),
                extra: None,
            },
        })
        .collect()
}

async fn raw_copy(client: &tokio_postgres::Client, dev_id: i32, s: &[TimedSample]) {
    let sink = client
        .copy_in(
            "COPY activityrecord (dev_id, ts, category, intensity, steps, heart_rate) \
             FROM STDIN (FORMAT binary)",
        )
        .await
        .unwrap();
    let types = [
        Type::INT4,
        Type::TIMESTAMPTZ,
        Type::INT2,
        Type::INT2,
        Type::INT2,
        Type::INT2,
    ];
    let w = BinaryCopyInWriter::new(sink, &types);
    pin_mut!(w);
    for t in s {
        let a = &t.sample;
        let hr = i16::from(a.heart_rate.unwrap_or(255));
        let (k, n, st) = (
            i16::from(a.kind),
            i16::from(a.intensity),
            i16::from(a.steps),
        );
        w.as_mut()
            .write(&[&dev_id, &t.ts, &k, &n, &st, &hr])
            .await
            .unwrap();
    }
    w.finish().await.unwrap();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: run only
    // when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Gadgetbridge");
    build_file(&file);
    let all = samples();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = PgCluster::start_throwaway().expect("PostgreSQL server binaries");
    rt.block_on(pg.create_owner_db("bench", "bench", "bench"))
        .unwrap();
    let cfg = DbConfig {
        host: pg.socket_dir().display().to_string(),
        port: pg.port(),
        dbname: "bench".into(),
        user: "bench".into(),
        password: String::new(),
    };
    let mut store = rt
        .block_on(Store::connect(&cfg, Duration::from_secs(10)))
        .unwrap();
    let client = rt.block_on(pg.connect_superuser("bench")).unwrap();
    let (mut copy, mut import, mut again) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let dev = rt
            .block_on(store.band_id(Mac::new([2, 0, 0, 0, run as u8, 1])))
            .unwrap();
        let t = Instant::now();
        rt.block_on(raw_copy(&client, dev, &all));
        copy.push(t.elapsed());

        let dev = rt
            .block_on(store.band_id(Mac::new([2, 0, 0, 0, run as u8, 2])))
            .unwrap();
        let target = [Target {
            source_id: 1,
            dev_id: dev,
            mac: format!("import-{run}"),
        }];
        for (times, expect_new) in [(&mut import, MINUTES as u64), (&mut again, 0)] {
            let t = Instant::now();
            let db = GadgetbridgeDb::open(&file).unwrap();
            let done = rt
                .block_on(pipeline::run(&mut store, db, &target, &|_| {}))
                .unwrap();
            times.push(t.elapsed());
            assert_eq!(done[0].minutes_imported, expect_new);
        }
    }
    let rate = |d: Duration| MINUTES as f64 / d.as_secs_f64();
    let base = rate(median(copy));
    println!("samples: {MINUTES} (one band, a year of minutes); medians of {RUNS} runs");
    println!("raw_copy   {:>9.0} samples/s  (baseline)", base);
    for (name, v) in [("import", import), ("reimport", again)] {
        let r = rate(median(v));
        println!(
            "{name:<10} {r:>9.0} samples/s  ({:.2} x raw_copy)",
            r / base
        );
    }
}
