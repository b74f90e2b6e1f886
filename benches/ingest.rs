//! Activity ingest throughput against a throwaway PostgreSQL (samples/s), three ways:
//! - `copy_on_conflict`: ours ([`Store::ingest_activity`]): binary COPY into a staging table,
//!   `INSERT .. SELECT .. ON CONFLICT DO NOTHING`, cursor update, one transaction;
//! - `miband_dc_batches_of_100`: what miband-dc did (peewee `insert_many(..).on_conflict_ignore()`
//!   in batches of 100, values interpolated client-side as psycopg2 does, one transaction);
//! - `raw_copy`: binary COPY straight into `activityrecord`, no duplicate handling (the ceiling).
//!
//! Every iteration writes a fresh band's minutes, so all three measure inserts, not conflicts.
//! Run: `cargo bench --bench ingest` (figures in README, "Storage benchmarks").

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::pin_mut;
use miband::protocol::activity::{ActivitySample, TimedSample};
use miband::store::db_config::DbConfig;
use miband::store::pgcluster::PgCluster;
use miband::store::postgres::Store;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

fn day(n: usize) -> Vec<TimedSample> {
    let start = Utc.timestamp_opt(1_700_000_040, 0).unwrap();
    (0..n as i64)
        .map(|i| TimedSample {
            ts: start + chrono::Duration::minutes(i),
            sample: ActivitySample {
                kind: (i % 7) as u8,
                intensity: (i % 120) as u8,
                steps: (i % 90) as u8,
                heart_rate: (i % 3 != 0).then_some(70),
                extra: Some([1, 2, 3, 4]),
            },
        })
        .collect()
}

fn sql_ts(ts: &DateTime<Utc>) -> String {
    ts.format("'%Y-%m-%d %H:%M:%S+00'").to_string()
}

/// miband-dc's way: multi-row INSERTs of 100 with literal values, ON CONFLICT DO NOTHING.
async fn miband_dc_style(client: &mut tokio_postgres::Client, dev_id: i32, s: &[TimedSample]) {
    let mut sql = String::from("BEGIN;");
    for chunk in s.chunks(100) {
        sql.push_str(
            "INSERT INTO activityrecord (dev_id, ts, category, intensity, steps, heart_rate) VALUES ",
        );
        for (i, t) in chunk.iter().enumerate() {
            let a = &t.sample;
            let sep = if i == 0 { "" } else { "," };
            let hr = a.heart_rate.unwrap_or(255);
            let ts = sql_ts(&t.ts);
            let (k, n, st) = (a.kind, a.intensity, a.steps);
            write!(sql, "{sep}({dev_id},{ts},{k},{n},{st},{hr})").unwrap();
        }
        sql.push_str(" ON CONFLICT DO NOTHING;");
        // One round trip per batch, as peewee executes each insert_many separately.
        client.batch_execute(&sql).await.unwrap();
        sql.clear();
    }
    client.batch_execute("COMMIT").await.unwrap();
}

/// A bare binary COPY into the table.
async fn raw_copy(client: &tokio_postgres::Client, dev_id: i32, s: &[TimedSample]) {
    let sink = client
        .copy_in(
            "COPY activityrecord (dev_id, ts, category, intensity, steps, heart_rate, extra) \
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
        Type::BYTEA,
    ];
    let w = BinaryCopyInWriter::new(sink, &types);
    pin_mut!(w);
    for t in s {
        let a = &t.sample;
        let extra = a.extra.as_ref().map(|e| &e[..]);
        let hr = i16::from(a.heart_rate.unwrap_or(255));
        let (k, n, st) = (
            i16::from(a.kind),
            i16::from(a.intensity),
            i16::from(a.steps),
        );
        w.as_mut()
            .write(&[&dev_id, &t.ts, &k, &n, &st, &hr, &extra])
            .await
            .unwrap();
    }
    w.finish().await.unwrap();
}

fn ingest(c: &mut Criterion) {
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
    let mut client = rt.block_on(pg.connect_superuser("bench")).unwrap();
    let mut band = 0u64;
    let mut new_band = |store: &mut Store| {
        band += 1;
        let [.., hi, lo] = band.to_be_bytes();
        let mac = miband::mac::Mac::new([0xC2, 0xBE, 0x4C, 0, hi, lo]);
        rt.block_on(store.band_id(mac)).unwrap()
    };

    let mut group = c.benchmark_group("activity_ingest");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for n in [1440usize, 10080] {
        let samples = day(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("copy_on_conflict", n), &samples, |b, s| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dev = new_band(&mut store);
                    let t = Instant::now();
                    let out = rt.block_on(store.ingest_activity(dev, s)).unwrap();
                    total += t.elapsed();
                    assert_eq!(out.inserted, s.len() as u64);
                }
                total
            })
        });
        group.bench_with_input(
            BenchmarkId::new("miband_dc_batches_of_100", n),
            &samples,
            |b, s| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let dev = new_band(&mut store);
                        let t = Instant::now();
                        rt.block_on(miband_dc_style(&mut client, dev, s));
                        total += t.elapsed();
                    }
                    total
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("raw_copy", n), &samples, |b, s| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dev = new_band(&mut store);
                    let t = Instant::now();
                    rt.block_on(raw_copy(&client, dev, s));
                    total += t.elapsed();
                }
                total
            })
        });
    }
    group.finish();
    drop(store);
}

criterion_group!(benches, ingest);
criterion_main!(benches);
