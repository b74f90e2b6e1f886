//! `/metrics` throughput for 10 bands against a baseline in the same run: a server (same hyper
//! set-up) that answers every request with the same bytes, prepared once. `/metrics` renders
//! once per change of band state, so between changes it should come close to the baseline
//! (README "Metrics": target at least 80 %). Also rendering alone, and a scrape right after a
//! change (the worst case).
//!
//! Run: `cargo bench --bench metrics_endpoint`; the last lines print requests per second of both
//! servers, measured interleaved, and their ratio.

#[path = "../tests/support/metrics_endpoint.rs"]
mod endpoint;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, Criterion, Throughput};
use endpoint::{agent, mac, sample_state, Endpoint};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use miband::metrics::{Exporter, Format};

/// What Prometheus sends.
const ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The baseline: hyper serving fixed bytes, nothing else.
struct StaticServer {
    addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl StaticServer {
    fn start(body: Bytes) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("addr");
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let body = body.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_req: Request<hyper::body::Incoming>| {
                        let mut r = Response::new(Full::new(body.clone()));
                        r.headers_mut().insert(
                            hyper::header::CONTENT_TYPE,
                            hyper::header::HeaderValue::from_static(
                                miband::metrics::OPENMETRICS_CONTENT_TYPE,
                            ),
                        );
                        async move { Ok::<_, Infallible>(r) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        StaticServer {
            addr,
            _runtime: runtime,
        }
    }
}

fn get(client: &ureq::Agent, url: &str) -> String {
    client
        .get(url)
        .header("Accept", ACCEPT)
        .call()
        .expect("GET")
        .body_mut()
        .read_to_string()
        .expect("body")
}

fn metrics_10_bands(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics_10_bands");
    group.throughput(Throughput::Elements(1));

    let state = sample_state(10);
    let exporter = Exporter::new(state.clone());
    group.bench_function("render", |b| b.iter(|| exporter.render()));
    let mut steps = 0u32;
    group.bench_function("body_after_a_change", |b| {
        b.iter(|| {
            steps += 1;
            state.update_band(mac(1), |s| s.readings.steps = Some(steps));
            exporter.body(Format::OpenMetrics)
        })
    });

    let server = Endpoint::start(sample_state(10));
    let client = agent();
    let url = server.url("/metrics");
    let body = Bytes::from(get(&client, &url));
    let baseline = StaticServer::start(body);
    let static_url = format!("http://{}/metrics", baseline.addr);
    group.bench_function("http_get_static_bytes", |b| {
        b.iter(|| get(&client, &static_url))
    });
    group.bench_function("http_get", |b| b.iter(|| get(&client, &url)));
    group.finish();

    // The ratio, measured interleaved so both see the same machine load.
    let (mut ours, mut theirs) = (Duration::ZERO, Duration::ZERO);
    let (rounds, per_round) = (20, 250);
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..per_round {
            get(&client, &static_url);
        }
        theirs += t.elapsed();
        let t = Instant::now();
        for _ in 0..per_round {
            get(&client, &url);
        }
        ours += t.elapsed();
    }
    let n = f64::from(rounds * per_round);
    let (ours_rps, static_rps) = (n / ours.as_secs_f64(), n / theirs.as_secs_f64());
    println!(
        "metrics_10_bands: /metrics {ours_rps:.0} req/s, static bytes {static_rps:.0} req/s, ratio {:.0} %",
        100.0 * ours_rps / static_rps
    );
}

criterion_group!(benches, metrics_10_bands);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
