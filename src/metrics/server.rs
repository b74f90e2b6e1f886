//! The HTTP endpoint: `GET /metrics` (OpenMetrics), `/` (a landing page linking it), `/healthz`.
//! Each response is computed from memory only, so a scrape never waits on a band or the database.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::exporter::Exporter;
use super::snapshot::MetricsState;
use crate::api::Api;

/// The content type Prometheus negotiates for OpenMetrics 1.0 (Prometheus 3 refuses a scrape
/// without a parsable one).
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A client that sends no complete request head in this time is dropped (slow-loris guard).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

const LANDING_PAGE: &str = "<!DOCTYPE html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>miband collector</title></head>
<body>
<h1>miband collector</h1>
<p>Live values of the Mi Bands this collector syncs, for Prometheus.</p>
<ul>
<li><a href=\"/metrics\">/metrics</a> (OpenMetrics)</li>
<li><a href=\"/healthz\">/healthz</a></li>
</ul>
</body>
</html>
";

/// Serves until `shutdown` completes; then stops accepting and drops open connections (a
/// scrape in progress is a millisecond of work, and Prometheus retries at the next interval).
/// Errors accepting one connection are logged and do not stop the server.
pub async fn serve(
    listener: TcpListener,
    state: MetricsState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with_api(listener, state, None, shutdown).await
}

/// [`serve`], with the REST API, its events and the status page ([`crate::api`]) on the same
/// listener when `api` is given.
pub async fn serve_with_api(
    listener: TcpListener,
    state: MetricsState,
    api: Option<Api>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let exporter = Arc::new(Exporter::new(state));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let exporter = Arc::clone(&exporter);
                    connections.spawn(serve_connection(stream, exporter, api.clone(), peer));
                }
                Err(e) => {
                    // Typically EMFILE: back off instead of spinning.
                    tracing::warn!("metrics endpoint: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
    Ok(())
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    exporter: Arc<Exporter>,
    api: Option<Api>,
    peer: SocketAddr,
) {
    let service = service_fn(move |request: Request<Incoming>| {
        let api = api.clone().filter(|_| Api::handles(request.uri().path()));
        let exporter = Arc::clone(&exporter);
        async move {
            Ok::<_, Infallible>(match api {
                Some(api) => api.handle(request, peer).await,
                None => {
                    respond(&exporter, request.method(), request.uri().path()).map(BodyExt::boxed)
                }
            })
        }
    });
    let result = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = result {
        tracing::debug!("metrics endpoint: connection ended: {e}");
    }
}

/// Routes one request. HEAD gets the GET headers; hyper leaves out the body itself.
fn respond(exporter: &Exporter, method: &Method, path: &str) -> Response<Full<Bytes>> {
    let readable = matches!(*method, Method::GET | Method::HEAD);
    match path {
        "/metrics" | "/" | "/healthz" if !readable => {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        }
        "/metrics" => {
            let mut response = body(StatusCode::OK, OPENMETRICS_CONTENT_TYPE, exporter.render());
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        "/" => body(StatusCode::OK, "text/html; charset=utf-8", LANDING_PAGE),
        "/healthz" => text(StatusCode::OK, "ok\n"),
        _ => text(StatusCode::NOT_FOUND, "not found; see /metrics\n"),
    }
}

fn text(status: StatusCode, content: &'static str) -> Response<Full<Bytes>> {
    body(status, "text/plain; charset=utf-8", content)
}

fn body(
    status: StatusCode,
    content_type: &'static str,
    content: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(content.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
