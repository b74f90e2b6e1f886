//! The HTTP endpoint: `GET /metrics` (OpenMetrics or the classic text, by `Accept`), `/` (a landing page linking it), `/healthz`.
//! Each response is computed from memory only, so a scrape never waits on a band or the database.
//! No client can shut Prometheus out: connections are capped (the idlest is closed to make room),
//! idle ones time out, and accept errors back off instead of spinning ([`ServerLimits`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE, VARY};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinSet};

use super::exporter::Exporter;
use super::format;
use super::snapshot::MetricsState;
use crate::api::Api;

/// A client that sends no complete request head in this time is dropped (slow-loris guard).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

const LANDING_PAGE: &str = "<!DOCTYPE html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>miband collector</title></head>
<body>
<h1>miband collector</h1>
<p>Live values of the Mi Bands this collector syncs, for Prometheus.</p>
<ul>
<li><a href=\"/metrics\">/metrics</a> (Prometheus text; OpenMetrics when asked for)</li>
<li><a href=\"/healthz\">/healthz</a></li>
</ul>
</body>
</html>
";

/// How many clients the endpoint serves at once and for how long an idle one is kept.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Open connections at most; accepting one more closes the one idle longest, so a flood of
    /// idle or slow clients can never exhaust file descriptors and shut Prometheus out.
    pub max_connections: usize,
    /// A connection without a request for this long is closed (keep-alive clients reconnect).
    pub idle_timeout: Duration,
}

impl Default for ServerLimits {
    /// A quarter of the process's file descriptor limit (the rest is for BlueZ, PostgreSQL and the
    /// journal), between 16 and 1024; 30 s idle (a client that needs the endpoint again simply
    /// reconnects, as Prometheus does).
    fn default() -> Self {
        ServerLimits {
            max_connections: (open_files_limit().unwrap_or(1024) / 4).clamp(16, 1024) as usize,
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// The soft `RLIMIT_NOFILE`, read from /proc (no unsafe call needed).
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Serves with [`ServerLimits::default`] (see [`serve_with`]).
pub async fn serve(
    listener: TcpListener,
    state: MetricsState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, ServerLimits::default()).await
}

/// A live connection: when it was last active (ms since the server started) and how to end it.
struct Tracked {
    last_active: Arc<AtomicU64>,
    abort: AbortHandle,
}

/// Counts connections whose socket is still open: a connection task holds one [`OpenGuard`],
/// dropped (with the socket) when the task ends or its abort takes effect.
#[derive(Default)]
struct OpenCount {
    open: AtomicUsize,
    closed: Notify,
}

struct OpenGuard(Arc<OpenCount>);

impl OpenGuard {
    fn new(count: &Arc<OpenCount>) -> OpenGuard {
        count.open.fetch_add(1, Ordering::SeqCst);
        OpenGuard(Arc::clone(count))
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.closed.notify_waiters();
    }
}

/// Serves until `shutdown` completes; then stops accepting and drops open connections (a
/// scrape in progress is a millisecond of work, and Prometheus retries at the next interval).
/// Errors accepting a connection (typically EMFILE) do not stop the server: it backs off,
/// doubling from 10 ms to 1 s, and warns at most once a minute.
pub async fn serve_with(
    listener: TcpListener,
    state: MetricsState,
    shutdown: impl Future<Output = ()>,
    limits: ServerLimits,
) -> std::io::Result<()> {
    serve_api_with(listener, state, None, shutdown, limits).await
}

/// [`serve`], with the REST API, its events and the status page ([`crate::api`]) on the same
/// listener when `api` is given.
pub async fn serve_with_api(
    listener: TcpListener,
    state: MetricsState,
    api: Option<Api>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_api_with(listener, state, api, shutdown, ServerLimits::default()).await
}

/// [`serve_with`] and [`serve_with_api`] in one.
pub async fn serve_api_with(
    listener: TcpListener,
    state: MetricsState,
    api: Option<Api>,
    shutdown: impl Future<Output = ()>,
    limits: ServerLimits,
) -> std::io::Result<()> {
    let exporter = Arc::new(Exporter::new(state));
    let epoch = Instant::now();
    let mut connections = JoinSet::new();
    let mut live: HashMap<tokio::task::Id, Tracked> = HashMap::new();
    let open = Arc::new(OpenCount::default());
    let max = limits.max_connections.max(1);
    let mut backoff = Duration::ZERO;
    let mut last_warned: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::ZERO;
                    // Make room first, and wait until the sockets are really closed: an abort
                    // takes effect only when the task is next polled, and a burst of clients
                    // would otherwise outrun it into EMFILE.
                    while open.open.load(Ordering::SeqCst) >= max {
                        let closed = open.closed.notified();
                        if !evict_idlest(&mut live) {
                            break;
                        }
                        let _ = tokio::time::timeout(Duration::from_secs(1), closed).await;
                    }
                    let last_active = Arc::new(AtomicU64::new(millis_since(epoch)));
                    let abort = connections.spawn(serve_connection(
                        stream,
                        Arc::clone(&exporter),
                        (api.clone(), peer),
                        Arc::clone(&last_active),
                        epoch,
                        limits.idle_timeout,
                        OpenGuard::new(&open),
                    ));
                    live.insert(abort.id(), Tracked { last_active, abort });
                }
                Err(e) => {
                    if last_warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                        tracing::warn!("metrics endpoint: accept failed: {e} (backing off; repeats within a minute are logged at debug)");
                        last_warned = Some(Instant::now());
                    } else {
                        tracing::debug!("metrics endpoint: accept failed: {e}");
                    }
                    backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                    tokio::time::sleep(backoff).await;
                }
            },
            Some(done) = connections.join_next_with_id(), if !connections.is_empty() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => e.id(),
                };
                live.remove(&id);
            }
        }
    }
    connections.shutdown().await;
    Ok(())
}

/// Aborts the connection that has been idle longest; false if there is none left to abort.
fn evict_idlest(live: &mut HashMap<tokio::task::Id, Tracked>) -> bool {
    let idlest = live
        .iter()
        .min_by_key(|(_, t)| t.last_active.load(Ordering::Relaxed))
        .map(|(id, _)| *id);
    match idlest.and_then(|id| live.remove(&id)) {
        Some(t) => {
            tracing::debug!(
                "metrics endpoint: connection limit reached, closing the idlest connection"
            );
            t.abort.abort();
            true
        }
        None => false,
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    exporter: Arc<Exporter>,
    api: (Option<Api>, SocketAddr),
    last_active: Arc<AtomicU64>,
    epoch: Instant,
    idle_timeout: Duration,
    _open: OpenGuard,
) {
    let activity = Arc::clone(&last_active);
    let service = service_fn(move |request: Request<Incoming>| {
        activity.store(millis_since(epoch), Ordering::Relaxed);
        let peer = api.1;
        let api = api.0.clone().filter(|_| Api::handles(request.uri().path()));
        let exporter = Arc::clone(&exporter);
        let accept = request
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        async move {
            Ok::<_, Infallible>(match api {
                Some(api) => api.handle(request, peer).await,
                None => respond(
                    &exporter,
                    request.method(),
                    request.uri().path(),
                    accept.as_deref(),
                )
                .map(BodyExt::boxed),
            })
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    loop {
        let last = Duration::from_millis(last_active.load(Ordering::Relaxed));
        let deadline = tokio::time::Instant::from_std(epoch + last + idle_timeout);
        tokio::select! {
            result = &mut conn => {
                if let Err(e) = result {
                    tracing::debug!("metrics endpoint: connection ended: {e}");
                }
                return;
            }
            () = tokio::time::sleep_until(deadline) => {
                let idle = millis_since(epoch).saturating_sub(last_active.load(Ordering::Relaxed));
                if Duration::from_millis(idle) >= idle_timeout {
                    tracing::debug!("metrics endpoint: closing an idle connection");
                    return;
                }
            }
        }
    }
}

/// Routes one request. HEAD gets the GET headers; hyper leaves out the body itself.
fn respond(
    exporter: &Exporter,
    method: &Method,
    path: &str,
    accept: Option<&str>,
) -> Response<Full<Bytes>> {
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
            // OpenMetrics for Prometheus, the classic text for everybody else (format.rs).
            let format = format::negotiate(accept);
            let mut response = body(StatusCode::OK, format.content_type(), exporter.body(format));
            let headers = response.headers_mut();
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(VARY, HeaderValue::from_static("Accept"));
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
