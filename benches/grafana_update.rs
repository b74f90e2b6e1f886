//! `miband-grafana -u` for 100 bands: rendering alone, rendering plus writing (first run and
//! the idempotent re-run), and the whole command against a real PostgreSQL.
//! Run: `cargo bench --bench grafana_update`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use miband::provision::bands::Band;
use miband::provision::conf::{self, Config};
use miband::provision::paths::Layout;
use miband::provision::plan::plan;
use miband::provision::secret::Secret;
use miband::provision::{grant, update};
use miband::store::pgcluster::PgCluster;
use miband::store::schema;
use std::path::Path;

const BANDS: i32 = 100;

fn bands() -> Vec<Band> {
    (1..=BANDS)
        .map(|id| Band {
            id,
            mac: format!("C8:0F:10:00:{:02X}:{:02X}", id / 256, id % 256),
            name: Some(format!("Band {id}")),
        })
        .collect()
}

fn config(port: u16) -> Config {
    let text = format!(
        "DBNAME=miband\nDBUSER=grafana\nDBPASSWORD=bench\nDBHOST=127.0.0.1\nDBPORT={port}\n"
    );
    conf::parse(&text, Path::new("bench.conf")).unwrap()
}

fn render_and_write(c: &mut Criterion) {
    let config = config(5432);
    let bands = bands();
    let layout = Layout::new(Some(Path::new("/nonexistent")), None, None, None);
    c.bench_function("render 100 bands", |b| {
        b.iter(|| plan(&config, &layout, &bands).unwrap())
    });
    c.bench_function("render + write 100 bands, first run", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let layout = Layout::new(Some(dir.path()), None, None, None);
                let planned = plan(&config, &layout, &bands).unwrap();
                update::apply(&layout, &planned, &bands).unwrap();
                dir
            },
            BatchSize::PerIteration,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(Some(dir.path()), None, None, None);
    update::apply(&layout, &plan(&config, &layout, &bands).unwrap(), &bands).unwrap();
    c.bench_function("render + compare 100 bands, nothing changed", |b| {
        b.iter(|| {
            let planned = plan(&config, &layout, &bands).unwrap();
            update::apply(&layout, &planned, &bands).unwrap()
        })
    });
}

fn end_to_end(c: &mut Criterion) {
    let pg = PgCluster::start_throwaway().expect("start PostgreSQL");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        pg.create_owner_db("miband", "miband", "owner").await.unwrap();
        let mut admin = pg.connect_superuser("miband").await.unwrap();
        schema::migrate(&mut admin).await.unwrap();
        admin
            .execute(
                "INSERT INTO mibandrecord (mac) SELECT 'C8:0F:10:00:' || lpad(to_hex(i), 5, '0') FROM generate_series(1, $1) i",
                &[&BANDS],
            )
            .await
            .unwrap();
        grant::grant(&admin, "grafana", &Secret::new("bench"), "miband")
            .await
            .unwrap();
    });
    let config = config(pg.port());
    let mut group = c.benchmark_group("miband-grafana -u, 100 bands, real PostgreSQL");
    group.sample_size(20);
    group.bench_function("first run", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let layout = Layout::new(Some(dir.path()), None, None, None);
                assert_eq!(update::update(&config, &layout).unwrap().bands.len(), 100);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::new(Some(dir.path()), None, None, None);
    update::update(&config, &layout).unwrap();
    group.bench_function("nothing changed", |b| {
        b.iter(|| update::update(&config, &layout).unwrap())
    });
    group.finish();
}

criterion_group!(benches, render_and_write, end_to_end);
criterion_main!(benches);
