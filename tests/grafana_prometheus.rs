//! Every PromQL expression of the rendered overview dashboard, with Grafana's variables filled
//! in, returns series from a real Prometheus (Debian's `/usr/bin/prometheus`) scraping an
//! emulated collector.
//!
//! Until the collector exists the test serves the collector's metrics itself: OpenMetrics text
//! built from `metrics::names` (the contract the collector implements), with counters that grow
//! on every scrape. To check the real collector instead, run it (for example `miband collect`
//! with emulated bands) and set `MIBAND_SCRAPE_TARGET=127.0.0.1:<port>`; when the collector can
//! be started from a test, replace `FakeCollector` with it.

use miband::metrics::names::{self, Kind, Metric};
use miband::provision::overview;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BANDS: [(&str, &str, &str); 2] = [
    ("C8:0F:10:00:00:01", "1", "alice"),
    ("C8:0F:10:00:00:02", "2", "bob \"the\" band"),
];

/// OpenMetrics text with every metric of `names::ALL`; `n` is the scrape count.
fn exposition(n: u64) -> String {
    let mut out = String::new();
    let labels = |(mac, id, name): (&str, &str, &str)| {
        format!(
            "mac=\"{mac}\",id=\"{id}\",name=\"{}\"",
            name.replace('\\', "\\\\").replace('"', "\\\"")
        )
    };
    for m in names::ALL {
        let kind = match m.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
            Kind::Info => "info",
        };
        out += &format!(
            "# TYPE {} {kind}\n# HELP {} {}.\n",
            m.registered_name(),
            m.registered_name(),
            m.help
        );
        let sets: Vec<String> = if m.per_band {
            BANDS.iter().map(|b| labels(*b)).collect()
        } else if m.kind == Kind::Info {
            vec!["version=\"0.1.0\"".into()]
        } else {
            vec![String::new()]
        };
        for l in sets {
            sample(&mut out, m, &l, n);
        }
    }
    out + "# EOF\n"
}

fn sample(out: &mut String, m: &Metric, labels: &str, n: u64) {
    let with = |extra: &str| {
        let joined = [labels, extra]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(",");
        if joined.is_empty() {
            String::new()
        } else {
            format!("{{{joined}}}")
        }
    };
    match m.kind {
        Kind::Histogram => {
            for (le, share) in [("0.5", 1), ("1.0", 2), ("5.0", 3), ("+Inf", 3)] {
                *out += &format!(
                    "{}_bucket{} {}\n",
                    m.name,
                    with(&format!("le=\"{le}\"")),
                    share * n
                );
            }
            *out += &format!(
                "{}_sum{} {}\n{}_count{} {}\n",
                m.name,
                with(""),
                2 * n,
                m.name,
                with(""),
                3 * n
            );
        }
        Kind::Counter => *out += &format!("{}{} {}\n", m.name, with(""), 10 * n),
        Kind::Info => *out += &format!("{}{} 1\n", m.name, with("")),
        Kind::Gauge => {
            let v = match m.name {
                "miband_battery_level_ratio" => "0.8".to_string(),
                "miband_heart_rate_bpm" => "72".into(),
                "miband_last_sync_timestamp_seconds" => format!(
                    "{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs()
                        - 30
                ),
                "miband_steps_today" => "4321".into(),
                "miband_energy_today_joules" => "418400".into(),
                _ => "1".into(),
            };
            *out += &format!("{}{} {v}\n", m.name, with(""));
        }
    }
}

/// Serves [`exposition`] on 127.0.0.1 with the OpenMetrics content type.
struct FakeCollector {
    addr: String,
}

impl FakeCollector {
    fn start() -> FakeCollector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let scrapes = Arc::new(AtomicU64::new(1));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut buf = [0u8; 4096];
                let mut req = Vec::new();
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let body = exposition(scrapes.fetch_add(1, Ordering::Relaxed));
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        FakeCollector { addr }
    }
}

/// Debian's Prometheus scraping `target` every second; killed on drop.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: miband\n    static_configs:\n      - targets: ['{target}']\n"),
        )
        .unwrap();
        let child = Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run /usr/bin/prometheus (Debian package prometheus)");
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    fn get(&self, path: &str, query: &[(&str, &str)]) -> Option<Value> {
        let mut req = ureq::get(format!("{}{path}", self.url));
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        let mut resp = req.call().ok()?;
        serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()
    }

    /// The series `expr` returns now (empty on error).
    fn query(&self, expr: &str) -> Vec<Value> {
        self.get("/api/v1/query", &[("query", expr)])
            .filter(|v| v["status"] == "success")
            .and_then(|v| v["data"]["result"].as_array().cloned())
            .unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Grafana's variable interpolation for these expressions: a multi-value "All" becomes the
/// variable's allValue, a single value is regex-escaped; `$__rate_interval` becomes a window
/// holding several scrapes.
fn interpolate(expr: &str, band: Option<&str>) -> String {
    let value = match band {
        None => ".*".to_string(),
        Some(b) => b
            .chars()
            .flat_map(|c| {
                let special = "\\.+*?()|[]{}^$".contains(c);
                special
                    .then_some('\\')
                    .into_iter()
                    .chain(std::iter::once(c))
            })
            .collect::<String>()
            .replace('"', "\\\""),
    };
    expr.replace("$__rate_interval", "30s")
        .replace(&format!("${}", overview::BAND_VARIABLE), &value)
}

/// Every Prometheus target of the rendered overview: (panel title, expr).
fn overview_exprs() -> Vec<(String, String)> {
    let d: Value = serde_json::from_str(&overview::render().unwrap()).unwrap();
    d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] != "row")
        .flat_map(|p| {
            p["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        p["title"].as_str().unwrap().to_string(),
                        t["expr"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn every_overview_expression_returns_series() {
    let fake;
    let target = match std::env::var("MIBAND_SCRAPE_TARGET") {
        Ok(t) => t,
        Err(_) => {
            fake = FakeCollector::start();
            fake.addr.clone()
        }
    };
    check_overview(&target);
}

#[path = "support/collector.rs"]
mod collector;

/// The overview against the real collector with emulated bands.
#[test]
fn every_overview_expression_returns_series_from_the_real_collector() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // No configured band: --simulate generates them all.
    let s = rt.block_on(collector::Setup::new(&[]));
    // Three bands: a heart-rate series exists unless all three are off the wrist at once.
    let _child = s.spawn("collector", &["--simulate", "3"]);
    let target = format!("127.0.0.1:{}", s.metrics_port);
    let synced = |m: &str| {
        m.lines()
            .filter(|l| l.starts_with("miband_last_sync_timestamp_seconds{"))
            .count()
            == 3
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !s.metrics().is_some_and(|m| synced(&m)) {
        assert!(
            Instant::now() < deadline,
            "no first syncs; metrics:\n{:?}\nlog:\n{}",
            s.metrics(),
            s.log("collector")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    check_overview(&target);
}

/// Every overview expression returns series from Prometheus scraping `target`.
fn check_overview(target: &str) {
    let prom = Prometheus::start(target);
    wait_for("Prometheus to be ready", || {
        prom.get("/api/v1/status/buildinfo", &[])
    });
    // Rates need a few scrapes in their window.
    wait_for("five scrapes", || {
        let r = prom.query("count_over_time(up{job=\"miband\"}[1m])");
        (r.first()?["value"][1].as_str()?.parse::<u32>().ok()? >= 5).then_some(())
    });
    let up = prom.query("up{job=\"miband\"}");
    assert_eq!(
        up[0]["value"][1], "1",
        "Prometheus could not scrape {target}: {up:?}"
    );

    let variable = prom
        .get("/api/v1/label/name/values", &[("match[]", names::UP.name)])
        .unwrap();
    let bands: Vec<String> = variable["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(!bands.is_empty(), "the band variable would be empty");

    let exprs = overview_exprs();
    assert!(exprs.len() >= 13);
    for (title, expr) in &exprs {
        let all = interpolate(expr, None);
        let series = prom.query(&all);
        assert!(!series.is_empty(), "{title}: no series for {all}");
        if expr.contains("$band") {
            // One band selected: only its series.
            let one = interpolate(expr, Some(&bands[bands.len() - 1]));
            let series = prom.query(&one);
            assert!(!series.is_empty(), "{title}: no series for {one}");
            for s in &series {
                assert_eq!(
                    s["metric"]["name"].as_str(),
                    Some(bands[bands.len() - 1].as_str()),
                    "{title}: {one}"
                );
            }
        }
    }
}
