//! The collector in-process with emulated bands, its API and page on a loopback port, optionally
//! MQTT: what the API, MQTT, page and schemathesis tests drive. PostgreSQL is not needed here
//! (the collector journals while the database is away), so the database points at a closed port.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use miband::api::auth::Auth;
use miband::api::Api;
use miband::collector::radio::{Radio, SimRadio};
use miband::collector::{self, simulate, RunOptions};
use miband::config::{Config, Database, MqttSettings, Remote, Secret, Settings, UpdateMode};
use miband::control::Control;
use miband::metrics::snapshot::MetricsState;
use miband::shutdown::ShutdownTrigger;

/// A running collector.
pub struct Collector {
    pub port: u16,
    pub radio: SimRadio,
    pub control: Control,
    pub api: Api,
    pub macs: Vec<String>,
    pub names: Vec<String>,
    stop: ShutdownTrigger,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// How to start it.
#[derive(Default)]
pub struct Options {
    pub bands: usize,
    pub token: Option<String>,
    pub mqtt: Option<MqttSettings>,
}

/// A port nothing listens on (the database "outage").
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Collector {
    pub async fn start(opts: Options) -> Collector {
        let dir = tempfile::tempdir().unwrap();
        let devices = simulate::simulated_devices(&[], opts.bands);
        let hour = Duration::from_secs(3600);
        let config = Config {
            devices: devices.clone(),
            settings: Settings {
                database: Database {
                    name: "miband".into(),
                    user: "miband".into(),
                    password: Secret::new("unused"),
                    host: "127.0.0.1".into(),
                    port: closed_port(),
                },
                activity_timeout: hour,
                battery_timeout: hour,
                heart_rate_timeout: hour,
                time_check_timeout: hour * 24,
                update_mode: UpdateMode::All,
                metrics_listen: "127.0.0.1:0".parse().unwrap(),
                adapter: None,
                max_concurrent_bands: 4,
                state_dir: dir.path().join("state"),
                heart_rate_measurement_interval: None,
                remote: Remote::default(),
            },
        };
        let offset = *chrono::Local::now().offset();
        let radio = simulate::radio_for(&devices, offset);
        let sink = collector::open_sink(&config).unwrap();
        let metrics = MetricsState::new();
        collector::register_bands(&metrics, &sink, &devices).await;
        let control = Control::new(&devices);
        let auth = Auth::new(opts.token.map(Secret::new));
        let api = Api::new(control.clone(), metrics.clone(), auth, None);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, rx) = ShutdownTrigger::new();
        let mut tasks = Vec::new();
        let mut srx = rx.clone();
        tasks.push(tokio::spawn({
            let (m, a) = (metrics.clone(), api.clone());
            async move {
                let _ = miband::metrics::server::serve_with_api(listener, m, Some(a), async move {
                    srx.recv().await;
                })
                .await;
            }
        }));
        if let Some(settings) = opts.mqtt {
            tasks.push(tokio::spawn(miband::mqtt::run(
                settings,
                devices.clone(),
                control.clone(),
                metrics.clone(),
                rx.clone(),
            )));
        }
        let r: Arc<dyn Radio> = Arc::new(radio.clone());
        tasks.push(tokio::spawn({
            let (c, m) = (control.clone(), metrics.clone());
            let run = RunOptions {
                backoff_min: Duration::from_secs(1),
                ..RunOptions::default()
            };
            async move {
                collector::run_with_control(config, run, sink, m, r, c, rx).await;
            }
        }));
        Collector {
            port,
            radio,
            control,
            api,
            macs: devices.iter().map(|d| d.mac.to_string()).collect(),
            names: devices
                .iter()
                .map(|d| d.display_name().to_string())
                .collect(),
            stop,
            tasks,
            _dir: dir,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request; `extra` are raw header lines.
    pub async fn request(&self, method: &str, path: &str, extra: &[&str], body: &[u8]) -> Reply {
        let port = self.port;
        let (method, path) = (method.to_string(), path.to_string());
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let body = body.to_vec();
        tokio::task::spawn_blocking(move || raw(port, &method, &path, &extra, &body))
            .await
            .unwrap()
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"").await
    }

    /// `POST path` with a JSON body, as a same-origin page would.
    pub async fn post_json(&self, path: &str, body: &str) -> Reply {
        self.request(
            "POST",
            path,
            &["Content-Type: application/json"],
            body.as_bytes(),
        )
        .await
    }

    /// Waits until the collector's first sync of every band is over (each is up).
    pub async fn wait_all_up(&self) {
        wait_until(Duration::from_secs(120), || async {
            let r = self.get("/api/bands").await;
            let v = r.json();
            v.as_array().is_some_and(|a| {
                a.iter()
                    .all(|b| b["up"] == true && !b["last_sync"].is_null())
            })
        })
        .await;
    }

    /// Waits for a job to end; returns it.
    pub async fn wait_job(&self, id: u64) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            last = self.get(&format!("/api/jobs/{id}")).await.json();
            if last["state"] == "done" || last["state"] == "failed" {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {id} did not end: {last}");
    }

    pub async fn stop(self) {
        self.stop.trigger();
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
        }
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// HTTP/1.1 over a plain socket, `Connection: close`, read to the end.
pub fn raw(port: u16, method: &str, path: &str, extra: &[String], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for h in extra {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse(&out)
}

fn parse(out: &[u8]) -> Reply {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(out.len());
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = out.get(split + 4..).unwrap_or_default().to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = b.get(start + size + 2..).unwrap_or_default();
    }
}

/// Polls `check` every 100 ms until it holds, or panics after `patience`.
pub async fn wait_until<F, Fut>(patience: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not met within {patience:?}");
}

/// Where test artifacts (screenshots) go: `target/test-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
