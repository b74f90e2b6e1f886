//! `GET /api/events`: the control state's events as Server-Sent Events
//! (https://html.spec.whatwg.org/multipage/server-sent-events.html). One `event:`/`data:` pair per
//! event; a comment every [`KEEPALIVE`] keeps proxies from closing an idle stream; a subscriber
//! that falls behind is told with a `lagged` event and reloads.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use tokio::sync::broadcast::error::RecvError;

use super::Body;
use crate::control::{Control, Event};

/// How often an idle stream gets a comment line.
pub const KEEPALIVE: Duration = Duration::from_secs(15);

/// One event in the wire format.
pub fn frame(event: &Event) -> String {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "null".into());
    format!("event: {}\ndata: {data}\n\n", event.name())
}

/// The stream response.
pub fn stream(control: &Control) -> Response<Body> {
    let rx = control.subscribe();
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let first = Some("retry: 3000\n: miband events\n\n".to_string());
    let s = futures::stream::unfold(
        (rx, keepalive, first),
        |(mut rx, mut keepalive, first)| async move {
            if let Some(text) = first {
                return Some((
                    Ok::<_, Infallible>(Frame::data(Bytes::from(text))),
                    (rx, keepalive, None),
                ));
            }
            let text = tokio::select! {
                r = rx.recv() => match r {
                    Ok(e) => frame(&e),
                    Err(RecvError::Lagged(n)) => format!("event: lagged\ndata: {n}\n\n"),
                    Err(RecvError::Closed) => return None,
                },
                _ = keepalive.tick() => ": keepalive\n\n".to_string(),
            };
            Some((Ok(Frame::data(Bytes::from(text))), (rx, keepalive, None)))
        },
    );
    let mut resp = Response::new(StreamBody::new(s).boxed());
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_one_named_block() {
        let e = Event::HeartRate {
            mac: "AA:00:00:00:00:01".parse().unwrap(),
            bpm: 71,
        };
        assert_eq!(
            frame(&e),
            "event: heart_rate\ndata: {\"type\":\"heart_rate\",\"mac\":\"AA:00:00:00:00:01\",\"bpm\":71}\n\n"
        );
    }
}
