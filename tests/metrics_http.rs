//! The metrics endpoint over real HTTP on loopback: routes, content types, methods, shutdown.

#[path = "support/metrics_endpoint.rs"]
mod endpoint;

use endpoint::{agent, sample_state, Endpoint};
use miband::metrics::OPENMETRICS_CONTENT_TYPE;

fn content_type(response: &ureq::http::Response<ureq::Body>) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn metrics_are_openmetrics_with_the_exact_content_type() {
    let server = Endpoint::start(sample_state(3));
    let mut response = agent().get(server.url("/metrics")).call().expect("GET");
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
    let mut response = agent().head(server.url("/metrics")).call().expect("HEAD");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), OPENMETRICS_CONTENT_TYPE);
    assert_eq!(response.body_mut().read_to_string().expect("body"), "");
}
