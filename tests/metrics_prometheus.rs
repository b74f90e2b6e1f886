//! The endpoint against the real thing: Debian's Prometheus scrapes it (target up, values
//! queryable, a band going down loses its readings) and `promtool check metrics` lints it.

#[path = "support/metrics_endpoint.rs"]
mod endpoint;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use endpoint::{agent, mac, sample_state, Endpoint};
use serde_json::Value;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";
/// How long to wait for Prometheus before declaring failure (not a speed requirement).
const PATIENCE: Duration = Duration::from_secs(60);

/// Kills the child process when the test ends, however it ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

struct Prometheus {
    _child: ChildGuard,
    base: String,
    dir: tempfile::TempDir,
}

impl Prometheus {
    fn scraping(target: std::net::SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: miband\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write config");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        Prometheus {
            _child: ChildGuard(child),
            base: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    fn api_with(&self, path: &str, params: &[(&str, &str)]) -> Option<Value> {
        let mut request = agent().get(format!("{}{path}", self.base));
        for (k, v) in params {
            request = request.query(*k, *v);
        }
        let mut response = request.call().ok()?;
        let json: Value = serde_json::from_str(&response.body_mut().read_to_string().ok()?).ok()?;
        (json["status"] == "success").then(|| json["data"].clone())
    }

    fn api(&self, path: &str, query: Option<&str>) -> Option<Value> {
        let mut request = agent().get(format!("{}{path}", self.base));
        if let Some(q) = query {
            request = request.query("query", q);
        }
        let mut response = request.call().ok()?;
        let json: Value = serde_json::from_str(&response.body_mut().read_to_string().ok()?).ok()?;
        (json["status"] == "success").then(|| json["data"].clone())
    }

    /// Polls until `done` accepts the value `fetch` returns, or fails with the last value seen.
    fn wait_for(
        &self,
        what: &str,
        fetch: impl Fn() -> Option<Value>,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + PATIENCE;
        let mut last = None;
        while Instant::now() < deadline {
            if let Some(v) = fetch() {
                if done(&v) {
                    return v;
                }
                last = Some(v);
            }
            sleep(Duration::from_millis(200));
        }
        panic!(
            "gave up waiting for {what}; last answer: {last:?}\nprometheus log:\n{}",
            self.log()
        );
    }

    /// `(id label, value)` of each series an instant query returns, sorted by id.
    fn query(&self, expr: &str) -> Vec<(String, String)> {
        let data = self.api("/api/v1/query", Some(expr)).unwrap_or_default();
        let mut series: Vec<(String, String)> = data["result"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|s| {
                        let id = s["metric"]["id"].as_str().unwrap_or_default().to_string();
                        let value = s["value"][1].as_str().unwrap_or_default().to_string();
                        (id, value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        series.sort();
        series
    }

    fn wait_query(&self, expr: &str, expected: &[(&str, &str)]) {
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(i, v)| (i.to_string(), v.to_string()))
            .collect();
        self.wait_for(
            expr,
            || Some(serde_json::to_value(self.query(expr)).unwrap_or_default()),
            |v| *v == serde_json::to_value(&expected).unwrap_or_default(),
        );
    }
}

#[test]
fn prometheus_scrapes_the_endpoint() {
    let state = sample_state(3);
    let server = Endpoint::start(state.clone());
    let prometheus = Prometheus::scraping(server.addr);

    let targets = prometheus.wait_for(
        "the miband target to be up",
        || prometheus.api("/api/v1/targets", None),
        |data| data["activeTargets"][0]["health"] == "up",
    );
    assert_eq!(targets["activeTargets"][0]["lastError"], "");
    assert_eq!(targets["activeTargets"][0]["labels"]["job"], "miband");

    prometheus.wait_query("miband_up", &[("1", "1"), ("2", "0"), ("3", "1")]);
    // Band 2 is down: no readings at all, only what stays true.
    prometheus.wait_query("miband_steps_today", &[("1", "1000"), ("3", "3000")]);
    prometheus.wait_query("miband_energy_today_joules{id=\"1\"}", &[("1", "418400")]);
    prometheus.wait_query("miband_battery_level_ratio{id=\"3\"}", &[("3", "0.8")]);
    prometheus.wait_query(
        "miband_auth_failures_total",
        &[("1", "0"), ("2", "1"), ("3", "0")],
    );
    prometheus.wait_query(
        "miband_sync_duration_seconds_count{id=\"1\"}",
        &[("1", "1")],
    );
    prometheus.wait_query(
        "sum(miband_journal_backlog_records) + sum(miband_database_up)",
        &[("", "4")],
    );
    prometheus.wait_query(
        &format!(
            "miband_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        ),
        &[("", "1")],
    );

    // Band 1 drops out: up goes to 0 and its readings vanish instead of going stale.
    state.update_band(mac(1), |b| b.connection_failed());
    prometheus.wait_query("miband_up{id=\"1\"}", &[("1", "0")]);
    prometheus.wait_query("miband_steps_today", &[("3", "3000")]);
    prometheus.wait_query("miband_connection_failures_total{id=\"1\"}", &[("1", "1")]);
}

/// `promtool check metrics` on a body; returns its exit code and every complaint.
fn promtool(body: &str) -> (Option<i32>, BTreeSet<String>) {
    let mut child = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool");
    let complaints = String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    (out.status.code(), complaints)
}

fn get(url: &str, accept: Option<&str>) -> String {
    let mut request = agent().get(url);
    if let Some(a) = accept {
        request = request.header("Accept", a);
    }
    request
        .call()
        .expect("GET")
        .body_mut()
        .read_to_string()
        .expect("body")
}

#[test]
fn promtool_passes_what_it_asks_for() {
    let server = Endpoint::start(sample_state(3));
    // promtool's own way: `curl -s …/metrics | promtool check metrics`, no Accept.
    for accept in [None, Some("text/plain; version=0.0.4")] {
        let body = get(&server.url("/metrics"), accept);
        let (code, complaints) = promtool(&body);
        assert_eq!(
            (code, complaints),
            (Some(0), BTreeSet::new()),
            "on:\n{body}"
        );
    }
    // Fed the OpenMetrics rendering instead, promtool (a classic-text parser) sees an
    // OpenMetrics counter's `x_total` sample as a family without HELP (docs/testing.md §5):
    // exactly one such line per counter family the body declares, nothing else, and no parse
    // error.
    let body = get(
        &server.url("/metrics"),
        Some("application/openmetrics-text"),
    );
    let (code, complaints) = promtool(&body);
    let expected: BTreeSet<String> = body
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .map(|family| format!("{family}_total no help text"))
        .collect();
    assert!(
        expected.contains("miband_connection_failures_total no help text"),
        "the OpenMetrics rendering declares its counters:\n{body}"
    );
    assert_eq!(complaints, expected, "promtool on:\n{body}");
    assert_eq!(
        code,
        Some(3),
        "3 = lint problems only, 1 would be a parse error"
    );
}

/// A loopback proxy that replaces the scrape's `Accept` with `accept`, so the real Prometheus
/// parses the rendering another client would get (Debian's 2.42 has no `scrape_protocols`).
fn accept_rewriting_proxy(
    target: std::net::SocketAddr,
    accept: &'static str,
) -> std::net::SocketAddr {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut reader = BufReader::new(client.try_clone()?);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    let lower = line.to_ascii_lowercase();
                    if lower.starts_with("accept:") || lower.starts_with("connection:") {
                        continue;
                    }
                    if line == "\r\n" {
                        head.push_str(&format!("Accept: {accept}\r\nConnection: close\r\n\r\n"));
                        break;
                    }
                    head.push_str(&line);
                }
                let mut upstream = std::net::TcpStream::connect(target)?;
                upstream.write_all(head.as_bytes())?;
                let mut response = Vec::new();
                upstream.read_to_end(&mut response)?;
                (&client).write_all(&response)?;
                Ok(())
            });
        }
    });
    addr
}

#[test]
fn prometheus_parses_the_classic_text_too() {
    let server = Endpoint::start(sample_state(3));
    let proxy = accept_rewriting_proxy(server.addr, "text/plain; version=0.0.4");
    let prometheus = Prometheus::scraping(proxy);
    prometheus.wait_query("miband_steps_today", &[("1", "1000"), ("3", "3000")]);
    prometheus.wait_query(
        "miband_auth_failures_total",
        &[("1", "0"), ("2", "1"), ("3", "0")],
    );
    prometheus.wait_query(
        "miband_sync_duration_seconds_count{id=\"1\"}",
        &[("1", "1")],
    );
    // The counter's HELP and TYPE reached its series: the classic format names the family
    // with `_total`, and Prometheus kept the metadata under that name.
    let m = prometheus.wait_for(
        "metadata of miband_samples_stored_total",
        || {
            prometheus.api_with(
                "/api/v1/targets/metadata",
                &[("metric", "miband_samples_stored_total")],
            )
        },
        |m| m.as_array().is_some_and(|a| !a.is_empty()),
    );
    assert_eq!(m[0]["type"], "counter", "{m}");
    assert!(
        m[0]["help"]
            .as_str()
            .unwrap_or("")
            .starts_with("Per-minute history samples"),
        "{m}"
    );
}
