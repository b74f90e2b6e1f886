//! The collector's REST API, its Server-Sent Events and the status page, served on the metrics
//! listener (`metrics_listen`) next to `/metrics`. Routing, access control ([`auth`]) and body
//! limits live here; what a band looks like is [`views`], the OpenAPI document is generated from
//! the handlers' annotations in [`openapi`], the page is [`page`], the event stream [`sse`].

pub mod auth;
pub mod openapi;
pub mod page;
pub mod schema;
pub mod sse;
pub mod views;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};

use crate::action::Action;
use crate::control::{Control, Job, SubmitError, DEFAULT_JOB_DEADLINE, MAX_JOB_DEADLINE};
use crate::mac::Mac;
use crate::metrics::snapshot::MetricsState;
use auth::{Auth, Refusal};
use views::{ApiError, BandView, GrafanaLinks};

/// The body type of every response the metrics listener sends.
pub type Body = BoxBody<Bytes, Infallible>;

/// The largest request body accepted (a job request is a few dozen bytes).
pub const MAX_BODY: usize = 4096;

/// Everything the API serves from.
#[derive(Clone)]
pub struct Api {
    control: Control,
    metrics: MetricsState,
    auth: Auth,
    grafana: Option<GrafanaLinks>,
}

/// A complete body.
pub fn full(content: impl Into<Bytes>) -> Body {
    Full::new(content.into()).boxed()
}

impl Api {
    /// An API over this state.
    pub fn new(
        control: Control,
        metrics: MetricsState,
        auth: Auth,
        grafana: Option<GrafanaLinks>,
    ) -> Api {
        Api {
            control,
            metrics,
            auth,
            grafana,
        }
    }

    /// Whether this path is the API's (the rest stays the metrics endpoint's).
    pub fn handles(path: &str) -> bool {
        path == "/" || path == "/login" || path.starts_with("/api/") || path.starts_with("/assets/")
    }

    /// Answers one request from `peer`. Generic over the body so tests can hand it requests from
    /// any address.
    pub async fn handle<B>(&self, request: Request<B>, peer: SocketAddr) -> Response<Body>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        if path == "/login" {
            return page::login(self, request, peer).await;
        }
        let changes_state = !matches!(method, Method::GET | Method::HEAD);
        if let Err(refusal) = self.auth.check(peer, request.headers(), changes_state) {
            return refused(refusal, path.starts_with("/api/"));
        }
        // "/" is the page ([""]); "/api/bands/" is "/api/bands".
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            t => t,
        };
        let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
        let readable = matches!(method, Method::GET | Method::HEAD);
        match (segments.as_slice(), readable) {
            ([""], true) => page::index(self),
            (["assets", name], true) => page::asset(name),
            (["api", "openapi.json"], true) => json(StatusCode::OK, &openapi::document()),
            (["api", "docs"], true) => openapi::docs_page(),
            (["api", "bands"], true) => json(StatusCode::OK, &self.bands()),
            (["api", "bands", mac], true) => match self.band(mac) {
                Ok(b) => json(StatusCode::OK, &b),
                Err(r) => r.response(),
            },
            (["api", "bands", mac, "jobs"], _) if method == Method::POST => {
                self.submit(mac, request).await
            }
            (["api", "jobs"], true) => json(StatusCode::OK, &self.control.jobs()),
            (["api", "jobs", id], true) => match id.parse::<u64>() {
                Ok(id) => match self.control.job(id) {
                    Some(j) => json(StatusCode::OK, &j),
                    None => error(StatusCode::NOT_FOUND, format!("no job {id}")),
                },
                Err(_) => error(
                    StatusCode::BAD_REQUEST,
                    format!("job id: expected a positive whole number, found {id:?}"),
                ),
            },
            (["api", "events"], true) => sse::stream(&self.control),
            (["api", "bands", _, "jobs"], _) => not_allowed("POST"),
            (["api", ..], _) | ([""], _) | (["assets", _], _) if known(&segments) => {
                not_allowed("GET, HEAD")
            }
            _ => error(StatusCode::NOT_FOUND, format!("no such resource: {path}")),
        }
    }

    /// Every band.
    pub fn bands(&self) -> Vec<BandView> {
        views::bands(&self.metrics, &self.control, self.grafana.as_ref())
    }

    fn band(&self, mac: &str) -> Result<BandView, Reject> {
        let mac = parse_mac(mac)?;
        views::band(&self.metrics, &self.control, self.grafana.as_ref(), mac).ok_or_else(|| {
            Reject(
                StatusCode::NOT_FOUND,
                format!("no band {mac} in devices.csv"),
            )
        })
    }

    async fn submit<B>(&self, mac: &str, request: Request<B>) -> Response<Body>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let checked = parse_mac(mac).and_then(|m| Ok((m, deadline(request.uri().query())?)));
        let (mac, deadline) = match checked {
            Ok(v) => v,
            Err(r) => return r.response(),
        };
        let body = match read_json_body(request).await {
            Ok(b) => b,
            Err(r) => return r.response(),
        };
        let action: Action = match serde_json::from_slice(&body) {
            Ok(a) => a,
            Err(e) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("expected an action such as {{\"action\": \"find\"}}: {e}"),
                )
            }
        };
        match self.control.submit(mac, action, deadline) {
            Ok(job) => accepted(&job),
            Err(e @ SubmitError::UnknownBand(_)) => error(StatusCode::NOT_FOUND, e.to_string()),
            Err(e @ SubmitError::QueueFull(_)) => {
                error(StatusCode::TOO_MANY_REQUESTS, e.to_string())
            }
        }
    }

    /// The control state (for the page).
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// The access policy (for the login form).
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The Grafana links, when configured.
    pub fn grafana(&self) -> Option<&GrafanaLinks> {
        self.grafana.as_ref()
    }
}

/// `?deadline_seconds=N`: how long a job may wait for a band out of range.
fn deadline(query: Option<&str>) -> Result<Duration, Reject> {
    let value = query
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "deadline_seconds")
        .map(|(_, v)| v);
    let Some(value) = value else {
        return Ok(DEFAULT_JOB_DEADLINE);
    };
    match value.parse::<u64>() {
        Ok(s) if (1..=MAX_JOB_DEADLINE.as_secs()).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err(Reject(
            StatusCode::BAD_REQUEST,
            format!(
                "deadline_seconds: expected a whole number from 1 to {}",
                MAX_JOB_DEADLINE.as_secs()
            ),
        )),
    }
}

fn known(segments: &[&str]) -> bool {
    matches!(
        segments,
        [""] | ["assets", _]
            | ["api", "openapi.json"]
            | ["api", "docs"]
            | ["api", "bands"]
            | ["api", "bands", _]
            | ["api", "jobs"]
            | ["api", "jobs", _]
            | ["api", "events"]
    )
}

/// A MAC from a path segment, upper-cased; a clear 400 otherwise.
fn parse_mac(segment: &str) -> Result<Mac, Reject> {
    // Clients may percent-encode the colons.
    let decoded = segment.replace("%3A", ":").replace("%3a", ":");
    // The segment is not echoed: it could be anything, a key pasted in the wrong place included.
    decoded.parse::<Mac>().map_err(|_| {
        Reject(
            StatusCode::BAD_REQUEST,
            "expected a Bluetooth address such as C8:0F:10:00:00:01 in the path".into(),
        )
    })
}

/// Reads a JSON body of at most [`MAX_BODY`] bytes.
async fn read_json_body<B>(request: Request<B>) -> Result<Bytes, Reject>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let headers = request.headers();
    let json_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(Reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected Content-Type: application/json".into(),
        ));
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Reject(
            StatusCode::BAD_REQUEST,
            format!("reading the body failed: {e}"),
        )),
    }
}

fn too_large() -> Reject {
    Reject(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body may be at most {MAX_BODY} bytes"),
    )
}

/// A refused request: the status and what was expected.
#[derive(Debug)]
struct Reject(StatusCode, String);

impl Reject {
    fn response(self) -> Response<Body> {
        error(self.0, self.1)
    }
}

fn refused(r: Refusal, api: bool) -> Response<Body> {
    let status = match r {
        Refusal::BadToken => StatusCode::UNAUTHORIZED,
        Refusal::NoTokenConfigured | Refusal::CrossOrigin => StatusCode::FORBIDDEN,
    };
    if !api && r == Refusal::BadToken {
        // A browser: offer the login form.
        let mut resp = Response::new(full(""));
        *resp.status_mut() = StatusCode::SEE_OTHER;
        resp.headers_mut()
            .insert(LOCATION, HeaderValue::from_static("/login"));
        return resp;
    }
    let mut resp = error(status, r.message());
    if r == Refusal::BadToken {
        resp.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"miband\""),
        );
    }
    resp
}

fn accepted(job: &Job) -> Response<Body> {
    let mut resp = json(StatusCode::ACCEPTED, job);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/jobs/{}", job.id)) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    resp.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    resp
}

/// A JSON response.
pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    respond(status, "application/json", body)
}

/// A JSON error.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    json(
        status,
        &ApiError {
            error: message.into(),
        },
    )
}

/// A response with security headers every API answer carries.
pub fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}
