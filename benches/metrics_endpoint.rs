//! `/metrics` throughput for 10 bands: rendering alone, and full HTTP requests over loopback on a
//! kept-alive connection (the figure in README "Metrics"). Run: `cargo bench --bench metrics_endpoint`.

#[path = "../tests/support/metrics_endpoint.rs"]
mod endpoint;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use endpoint::{agent, sample_state, Endpoint};
use miband::metrics::Exporter;

fn metrics_10_bands(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics_10_bands");
    group.throughput(Throughput::Elements(1));

    let exporter = Exporter::new(sample_state(10));
    group.bench_function("render", |b| b.iter(|| exporter.render()));

    let server = Endpoint::start(sample_state(10));
    let client = agent();
    let url = server.url("/metrics");
    group.bench_function("http_get", |b| {
        b.iter(|| {
            client
                .get(&url)
                .call()
                .expect("GET /metrics")
                .body_mut()
                .read_to_string()
                .expect("body")
        })
    });
    group.finish();
}

criterion_group!(benches, metrics_10_bands);
criterion_main!(benches);
