//! The status page at `/`: server-rendered (askama), every band at a glance, live updates over
//! the event stream, buttons for find / sync now / heart rate. Its script and style are served by
//! the collector itself (`/assets/…`): the page works on a LAN without internet.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::header::{HeaderValue, LOCATION, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};

use super::auth::{self, SESSION_COOKIE};
use super::views::BandView;
use super::{respond, Api, Body};

const SCRIPT: &str = include_str!("../../templates/page.js");
const STYLE: &str = include_str!("../../templates/page.css");

/// The policy the page's responses carry: only the collector's own script and style.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(askama::Template)]
#[template(path = "page.html")]
struct Page<'a> {
    bands: &'a [BandView],
    overview_url: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct Login {
    message: Option<&'static str>,
}

/// An HTML response with the page's security headers.
pub fn html(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut resp = respond(status, "text/html; charset=utf-8", body);
    resp.headers_mut()
        .insert("content-security-policy", HeaderValue::from_static(CSP));
    resp
}

/// `GET /`.
pub fn index(api: &Api) -> Response<Body> {
    let bands = api.bands();
    let page = Page {
        bands: &bands,
        overview_url: api.grafana().map(|g| g.overview_url()),
    };
    match askama::Template::render(&page) {
        Ok(text) => html(StatusCode::OK, text),
        Err(e) => super::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("rendering the page: {e}"),
        ),
    }
}

/// `GET /assets/<name>`.
pub fn asset(name: &str) -> Response<Body> {
    match name {
        "page.js" => respond(StatusCode::OK, "text/javascript; charset=utf-8", SCRIPT),
        "page.css" => respond(StatusCode::OK, "text/css; charset=utf-8", STYLE),
        _ => super::error(StatusCode::NOT_FOUND, "no such asset"),
    }
}

/// `/login`: a form taking the token once, which then lives in an HttpOnly, SameSite=Strict
/// cookie (a browser cannot send a bearer header on navigation).
pub async fn login<B>(api: &Api, request: Request<B>, peer: SocketAddr) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let render = |status, message| {
        let text = askama::Template::render(&Login { message }).unwrap_or_default();
        html(status, text)
    };
    match *request.method() {
        Method::GET | Method::HEAD => render(StatusCode::OK, None),
        Method::POST => {
            if !auth::same_origin(request.headers()) {
                return super::error(StatusCode::FORBIDDEN, auth::Refusal::CrossOrigin.message());
            }
            if !api.auth().has_token() && !auth::is_loopback(peer.ip()) {
                return render(
                    StatusCode::FORBIDDEN,
                    Some(auth::Refusal::NoTokenConfigured.message()),
                );
            }
            let body = match Limited::new(request.into_body(), super::MAX_BODY)
                .collect()
                .await
            {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return render(StatusCode::PAYLOAD_TOO_LARGE, Some("the form is too large"))
                }
            };
            let token = form_value(&body, "token").unwrap_or_default();
            if !api.auth().token_matches(&token) {
                return render(StatusCode::UNAUTHORIZED, Some("wrong token"));
            }
            let mut resp = Response::new(super::full(""));
            *resp.status_mut() = StatusCode::SEE_OTHER;
            resp.headers_mut()
                .insert(LOCATION, HeaderValue::from_static("/"));
            let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(SET_COOKIE, v);
            }
            resp
        }
        _ => super::error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

/// One field of an `application/x-www-form-urlencoded` body.
fn form_value(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_decoded() {
        assert_eq!(
            form_value(b"a=1&token=ab%2Fc+d%3D", "token").as_deref(),
            Some("ab/c d=")
        );
        assert_eq!(form_value(b"token=50%", "token").as_deref(), Some("50%"));
        assert_eq!(form_value(b"x=1", "token"), None);
    }
}
