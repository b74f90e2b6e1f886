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

#[test]
fn promtool_finds_only_the_openmetrics_counter_false_positive() {
    let server = Endpoint::start(sample_state(3));
    let body = agent()
        .get(server.url("/metrics"))
        .call()
        .expect("GET")
        .body_mut()
        .read_to_string()
        .expect("body");
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
    let complaints: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    // promtool parses only the classic text format, where an OpenMetrics counter's `x_total`
    // sample looks like a separate family without HELP (docs/testing.md §5). Nothing else.
    let expected: BTreeSet<String> = [
        "miband_auth_failures_total no help text",
        "miband_connection_failures_total no help text",
        "miband_samples_stored_total no help text",
    ]
    .map(String::from)
    .into();
    assert_eq!(complaints, expected, "promtool on:\n{body}");
    assert_eq!(
        out.status.code(),
        Some(3),
        "3 = lint problems only, 1 would be a parse error"
    );
}
