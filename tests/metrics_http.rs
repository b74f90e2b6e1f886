//! The metrics endpoint over real HTTP on loopback: routes, content types, methods, shutdown.

#[path = "support/metrics_endpoint.rs"]
mod endpoint;

use endpoint::{agent, sample_state, Endpoint};
use miband::metrics::{OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};

/// What Prometheus 2.x sends when scraping.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn content_type(response: &ureq::http::Response<ureq::Body>) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn prometheus_gets_openmetrics_with_the_exact_content_type() {
    let server = Endpoint::start(sample_state(3));
    let mut response = agent()
        .get(server.url("/metrics"))
        .header("Accept", PROMETHEUS_ACCEPT)
        .call()
        .expect("GET");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), OPENMETRICS_CONTENT_TYPE);
    assert_eq!(
        OPENMETRICS_CONTENT_TYPE,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let body = response.body_mut().read_to_string().expect("body");
    assert!(body.ends_with("# EOF\n"), "{body}");
    assert!(body
        .contains("miband_steps_today{mac=\"C8:0F:10:00:00:03\",id=\"3\",name=\"Band 3\"} 3000\n"));
    server.stop().expect("clean shutdown");
}

#[test]
fn other_clients_get_the_classic_text_format() {
    let server = Endpoint::start(sample_state(3));
    for accept in [None, Some("text/plain; version=0.0.4"), Some("*/*")] {
        let mut request = agent().get(server.url("/metrics"));
        if let Some(a) = accept {
            request = request.header("Accept", a);
        }
        let mut response = request.call().expect("GET");
        assert_eq!(content_type(&response), TEXT_CONTENT_TYPE, "{accept:?}");
        assert_eq!(
            response.headers().get("vary").and_then(|v| v.to_str().ok()),
            Some("Accept")
        );
        let body = response.body_mut().read_to_string().expect("body");
        assert!(!body.contains("# EOF"), "{body}");
        assert!(
            body.contains("# HELP miband_samples_stored_total "),
            "{body}"
        );
        assert!(
            body.contains("# TYPE miband_samples_stored_total counter\n"),
            "{body}"
        );
    }
    assert_eq!(
        TEXT_CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8"
    );
}

#[test]
fn values_are_read_at_scrape_time() {
    let state = sample_state(1);
    let server = Endpoint::start(state.clone());
    let get = || {
        agent()
            .get(server.url("/metrics"))
            .call()
            .expect("GET")
            .body_mut()
            .read_to_string()
            .expect("body")
    };
    assert!(get().contains("id=\"1\",name=\"Band 1\"} 1000\n"));
    state.update_band(endpoint::mac(1), |b| b.readings.steps = Some(1001));
    assert!(get().contains("id=\"1\",name=\"Band 1\"} 1001\n"));
    state.update_band(endpoint::mac(1), |b| b.connection_failed());
    let body = get();
    assert!(!body.contains("miband_steps_today"), "{body}");
    assert!(body.contains("miband_up{mac=\"C8:0F:10:00:00:01\",id=\"1\",name=\"Band 1\"} 0\n"));
}

#[test]
fn landing_page_links_metrics_and_healthz_says_ok() {
    let server = Endpoint::start(sample_state(1));
    let mut landing = agent().get(server.url("/")).call().expect("GET /");
    assert_eq!(landing.status(), 200);
    assert_eq!(content_type(&landing), "text/html; charset=utf-8");
    let html = landing.body_mut().read_to_string().expect("body");
    assert!(html.contains("<a href=\"/metrics\">"), "{html}");
    let mut health = agent()
        .get(server.url("/healthz"))
        .call()
        .expect("GET /healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(health.body_mut().read_to_string().expect("body"), "ok\n");
}

#[test]
fn unknown_paths_404_and_other_methods_405() {
    let server = Endpoint::start(sample_state(1));
    let missing = agent().get(server.url("/metricz")).call().expect("GET");
    assert_eq!(missing.status(), 404);
    let post = agent()
        .post(server.url("/metrics"))
        .send("x")
        .expect("POST");
    assert_eq!(post.status(), 405);
    assert_eq!(
        post.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );
}

#[test]
fn head_gives_the_headers_without_a_body() {
    let server = Endpoint::start(sample_state(1));
    let mut response = agent()
        .head(server.url("/metrics"))
        .header("Accept", PROMETHEUS_ACCEPT)
        .call()
        .expect("HEAD");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), OPENMETRICS_CONTENT_TYPE);
    assert_eq!(response.body_mut().read_to_string().expect("body"), "");
}

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const CHILD_ENV: &str = "MIBAND_METRICS_FD_CHILD";

/// The child half of [`more_idle_connections_than_descriptors_never_shut_out_a_scrape`]: serves
/// with the default limits, prints its port, logs to stderr, and stops when stdin closes.
#[test]
#[ignore = "run by more_idle_connections_than_descriptors_never_shut_out_a_scrape in a child process"]
fn child_serves_metrics_under_a_low_descriptor_limit() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    let server = Endpoint::start(sample_state(2));
    println!("PORT={}", server.addr.port());
    std::io::stdout().flush().unwrap();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    server.stop().expect("clean shutdown");
}

/// One GET /metrics on a fresh connection, answered within a second, or the reason it was not.
fn scrape_within_a_second(port: u16) -> Result<String, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    // As Prometheus asks (OpenMetrics, ending in `# EOF`).
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[test]
fn more_idle_connections_than_descriptors_never_shut_out_a_scrape() {
    // The server runs with 128 descriptors, as a unit's LimitNOFILE would set, and faces 300 idle
    // clients: its connection cap (a quarter of the limit) must close the idlest instead of
    // running out of descriptors.
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 128 && exec \"$0\" \"$@\"")
        .arg(&exe)
        .args([
            "--exact",
            "child_serves_metrics_under_a_low_descriptor_limit",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let port: u16 = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "child ended early"
        );
        // libtest may print the test's name on the same line first.
        if let Some((_, p)) = line.trim().split_once("PORT=") {
            break p.parse().unwrap();
        }
    };
    let mut idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut answered = 0;
    for _ in 0..5 {
        match scrape_within_a_second(port) {
            Ok(r) if r.starts_with("HTTP/1.1 200") && r.ends_with("# EOF\n") => answered += 1,
            Ok(r) => panic!("{r}"),
            Err(e) => eprintln!("scrape failed: {e}"),
        }
    }
    // The oldest idle clients were the ones closed.
    idle[0]
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 1];
    let oldest = idle[0].read(&mut buf);
    idle.clear();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(answered, 5, "scrapes shut out; child log:\n{log}");
    assert!(
        matches!(oldest, Ok(0))
            || oldest.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the oldest idle connection was not closed"
    );
    assert!(
        log.matches("accept failed").count() <= 1,
        "accept errors flood the log:\n{log}"
    );
    assert!(out.status.success(), "child failed:\n{log}");
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let server = Endpoint::start_with(
        sample_state(1),
        miband::metrics::ServerLimits {
            max_connections: 8,
            idle_timeout: Duration::from_millis(300),
        },
    );
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // Kept alive, then nothing: the server ends it well before the 5 s read timeout.
    let closed = s.read(&mut buf);
    assert!(matches!(closed, Ok(0)), "connection still open: {closed:?}");
    // A client that never sends a request is closed too.
    let mut silent = TcpStream::connect(server.addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let closed = silent.read(&mut buf);
    assert!(
        matches!(closed, Ok(0)),
        "silent connection still open: {closed:?}"
    );
}

#[test]
fn a_one_megabyte_header_is_refused_with_431() {
    let server = Endpoint::start(sample_state(1));
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let big = "a".repeat(1 << 20);
    let request = format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    // The server may answer and close before reading it all; a failed write is fine then.
    let _ = s.write_all(request.as_bytes());
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let head = String::from_utf8_lossy(&out[..out.len().min(64)]).into_owned();
    assert!(head.starts_with("HTTP/1.1 431"), "{head:?}");
}
