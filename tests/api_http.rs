//! The REST API on the collector with emulated bands: band state, jobs through the per-band
//! queue (heart rate, sync now, set time, a band out of range until the deadline), Server-Sent
//! Events, the OpenAPI document and its page, and the security rules (token off loopback,
//! cross-origin POSTs, oversized and malformed bodies).

#[path = "support/remote.rs"]
mod remote;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use remote::{Collector, Options};

const TOKEN: &str = "a-test-token-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bands_jobs_and_events() {
    let c = Collector::start(Options {
        bands: 3,
        ..Options::default()
    })
    .await;
    c.wait_all_up().await;

    let bands = c.get("/api/bands").await;
    assert_eq!(bands.status, 200);
    assert_eq!(bands.header("content-type"), Some("application/json"));
    assert!(bands.header("access-control-allow-origin").is_none());
    let list = bands.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for b in list {
        assert!(b["battery_percent"].as_u64().is_some(), "{b}");
        assert!(b["steps"].as_u64().is_some(), "{b}");
        assert!(b["model"].as_str().unwrap().starts_with("Mi Band "), "{b}");
        assert!(b["firmware"].is_string(), "{b}");
        assert_eq!(b["last_outcome"]["ok"], true, "{b}");
        assert_eq!(b["user"], format!("User {}", b["id"].as_str().unwrap()));
    }
    let mac = c.macs[0].clone();
    let one = c.get(&format!("/api/bands/{}", mac.to_lowercase())).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["mac"], mac);

    // Events: subscribe before acting.
    let port = c.port;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // One-shot heart rate through the queue.
    let r = c
        .post_json(
            &format!("/api/bands/{mac}/jobs"),
            r#"{"action": "heart_rate"}"#,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let job = r.json();
    let id = job["id"].as_u64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/jobs/{id}").as_str())
    );
    assert!(matches!(job["state"].as_str(), Some("queued" | "running")));
    let done = c.wait_job(id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert!(done["result"]["bpm"].as_u64().is_some(), "{done}");

    // Sync now runs a full sync.
    let r = c
        .post_json(
            &format!("/api/bands/{mac}/jobs"),
            r#"{"action":"sync_now"}"#,
        )
        .await;
    let done = c.wait_job(r.json()["id"].as_u64().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["result"]["jobs"], 4, "{done}");

    // Set time.
    let r = c
        .post_json(
            &format!("/api/bands/{mac}/jobs"),
            r#"{"action":"set_time"}"#,
        )
        .await;
    let done = c.wait_job(r.json()["id"].as_u64().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");

    // The stream told about the job and the band.
    let mut seen_job_done = false;
    let mut seen_heart_rate = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline && !(seen_job_done && seen_heart_rate) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            if line.contains("\"type\":\"job\"") && line.contains("\"state\":\"done\"") {
                seen_job_done = true;
            }
            if line == "event: heart_rate" {
                seen_heart_rate = true;
            }
        }
    }
    assert!(
        seen_job_done && seen_heart_rate,
        "events seen on /api/events"
    );

    // Jobs list, newest first.
    let jobs = c.get("/api/jobs").await.json();
    assert_eq!(jobs.as_array().unwrap().len(), 3);
    assert_eq!(jobs[0]["action"]["action"], "set_time");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_band_out_of_range_keeps_its_job_queued_until_the_deadline() {
    let c = Collector::start(Options {
        bands: 2,
        ..Options::default()
    })
    .await;
    c.wait_all_up().await;
    let away = c.macs[1].clone();
    c.radio
        .band(away.parse().unwrap())
        .unwrap()
        .set_present(false);
    let r = c
        .post_json(
            &format!("/api/bands/{away}/jobs?deadline_seconds=3"),
            r#"{"action":"heart_rate"}"#,
        )
        .await;
    assert_eq!(r.status, 202);
    let id = r.json()["id"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mid = c.get(&format!("/api/jobs/{id}")).await.json();
    assert_eq!(mid["state"], "queued", "{mid}");
    let band = c.get(&format!("/api/bands/{away}")).await.json();
    assert_eq!(band["queued_jobs"], 1);
    assert_eq!(band["up"], false, "{band}");
    // Meanwhile the other band answers at once.
    let other = c.macs[0].clone();
    let r = c
        .post_json(
            &format!("/api/bands/{other}/jobs"),
            r#"{"action":"set_time"}"#,
        )
        .await;
    let done = c.wait_job(r.json()["id"].as_u64().unwrap()).await;
    assert_eq!(done["state"], "done");
    let failed = c.wait_job(id).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("deadline"),
        "{failed}"
    );
    // Back in range: a new job runs.
    c.radio
        .band(away.parse().unwrap())
        .unwrap()
        .set_present(true);
    let r = c
        .post_json(
            &format!("/api/bands/{away}/jobs?deadline_seconds=120"),
            r#"{"action":"set_time"}"#,
        )
        .await;
    let done = c.wait_job(r.json()["id"].as_u64().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_4xx() {
    let c = Collector::start(Options {
        bands: 1,
        ..Options::default()
    })
    .await;
    let mac = c.macs[0].clone();
    let jobs = format!("/api/bands/{mac}/jobs");

    let cross = c
        .request(
            "POST",
            &jobs,
            &[
                "Content-Type: application/json",
                "Origin: http://evil.example",
            ],
            br#"{"action":"find"}"#,
        )
        .await;
    assert_eq!(cross.status, 403, "{}", cross.text());
    assert!(cross.text().contains("cross-origin"));
    let site = c
        .request(
            "POST",
            &jobs,
            &[
                "Content-Type: application/json",
                "Sec-Fetch-Site: cross-site",
            ],
            br#"{"action":"find"}"#,
        )
        .await;
    assert_eq!(site.status, 403);
    let same = c
        .request(
            "POST",
            &jobs,
            &[
                "Content-Type: application/json",
                &format!("Origin: http://127.0.0.1:{}", c.port),
            ],
            br#"{"action":"set_time"}"#,
        )
        .await;
    assert_eq!(same.status, 202, "{}", same.text());

    let big = format!(r#"{{"action":"alert","text":"{}"}}"#, "x".repeat(10_000));
    let r = c.post_json(&jobs, &big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    let form = c
        .request(
            "POST",
            &jobs,
            &["Content-Type: application/x-www-form-urlencoded"],
            b"action=find",
        )
        .await;
    assert_eq!(form.status, 415);
    let r = c.post_json(&jobs, r#"{"action":"explode"}"#).await;
    assert_eq!(r.status, 422);
    assert!(r.json()["error"].as_str().unwrap().contains("explode"));
    let r = c
        .post_json(
            &format!("{jobs}?deadline_seconds=0"),
            r#"{"action":"find"}"#,
        )
        .await;
    assert_eq!(r.status, 400);
    // Alert texts are limited (228 bytes of UTF-8).
    let long = format!(r#"{{"action":"alert","text":"{}"}}"#, "é".repeat(115));
    let r = c.post_json(&jobs, &long).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("228"), "{}", r.text());
    let r = c
        .post_json("/api/bands/AA:BB:CC:DD:EE:FF/jobs", r#"{"action":"find"}"#)
        .await;
    assert_eq!(r.status, 404);
    let r = c.get("/api/bands/not-a-mac").await;
    assert_eq!(r.status, 400);
    let r = c.get("/api/jobs/-1").await;
    assert_eq!(r.status, 400);
    let r = c.get("/api/jobs/999999").await;
    assert_eq!(r.status, 404);
    let r = c.request("DELETE", "/api/bands", &[], b"").await;
    assert_eq!(r.status, 405);
    // A CORS preflight from another origin gets no CORS header, so the browser stops there.
    let r = c
        .request("OPTIONS", &jobs, &["Origin: http://evil.example"], b"")
        .await;
    assert_eq!(r.status, 403);
    assert!(r.header("access-control-allow-origin").is_none());
    // The metrics endpoint is still there.
    assert_eq!(c.get("/metrics").await.status, 200);
    assert_eq!(c.get("/healthz").await.status, 200);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_and_its_page() {
    let c = Collector::start(Options {
        bands: 1,
        ..Options::default()
    })
    .await;
    let doc = c.get("/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    let v = doc.json();
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    assert!(v["paths"]["/api/bands/{mac}/jobs"]["post"].is_object());
    let page = c.get("/api/docs").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("POST /api/bands/{mac}/jobs"));
    assert!(!html.contains("http://") || !html.contains("<script src=\"http"));
    assert!(page.header("content-security-policy").is_some());
    c.stop().await;
}

/// A request from another machine, through the real router (the peer address is the router's
/// input; a test cannot open a connection from a non-loopback address here).
async fn from_lan(api: &miband::api::Api, headers: &[(&str, &str)], post: bool) -> u16 {
    let mut b = hyper::Request::builder()
        .method(if post { "POST" } else { "GET" })
        .uri(if post {
            "/api/bands/C2:00:5E:00:00:01/jobs"
        } else {
            "/api/bands"
        })
        .header("host", "192.0.2.1:10024");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let body = if post { r#"{"action":"set_time"}"# } else { "" };
    let req = b.body(Full::new(Bytes::from(body))).unwrap();
    let peer = "192.0.2.50:40000".parse().unwrap();
    let resp = api.handle(req, peer).await;
    let status = resp.status().as_u16();
    let _ = resp.into_body().collect().await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_loopback_clients_need_the_token() {
    let open = Collector::start(Options {
        bands: 1,
        ..Options::default()
    })
    .await;
    assert_eq!(from_lan(&open.api, &[], false).await, 403);
    let auth = format!("Bearer {TOKEN}");
    assert_eq!(
        from_lan(&open.api, &[("authorization", &auth)], false).await,
        403
    );
    open.stop().await;

    let c = Collector::start(Options {
        bands: 1,
        token: Some(TOKEN.into()),
        ..Options::default()
    })
    .await;
    assert_eq!(from_lan(&c.api, &[], false).await, 401);
    assert_eq!(
        from_lan(
            &c.api,
            &[("authorization", "Bearer wrong-token-0123456789")],
            false
        )
        .await,
        401
    );
    assert_eq!(
        from_lan(&c.api, &[("authorization", &auth)], false).await,
        200
    );
    let json = ("content-type", "application/json");
    assert_eq!(
        from_lan(&c.api, &[("authorization", &auth), json], true).await,
        202
    );
    let cookie = format!("miband_token={TOKEN}");
    assert_eq!(
        from_lan(
            &c.api,
            &[("cookie", &cookie), json, ("origin", "http://evil.example")],
            true
        )
        .await,
        403
    );
    assert_eq!(
        from_lan(
            &c.api,
            &[
                ("cookie", &cookie),
                json,
                ("origin", "http://192.0.2.1:10024")
            ],
            true
        )
        .await,
        202
    );
    // Loopback needs no token, over a real socket.
    assert_eq!(c.get("/api/bands").await.status, 200);
    // The login form sets the cookie; a wrong token is refused, and never echoed.
    let wrong = c
        .request(
            "POST",
            "/login",
            &["Content-Type: application/x-www-form-urlencoded"],
            b"token=nope-nope-nope-nope",
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(!wrong.text().contains("nope-nope"));
    let ok = c
        .request(
            "POST",
            "/login",
            &["Content-Type: application/x-www-form-urlencoded"],
            format!("token={TOKEN}").as_bytes(),
        )
        .await;
    assert_eq!(ok.status, 303);
    let set = ok.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    c.stop().await;
}
