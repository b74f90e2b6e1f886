//! Who may use the API and the page. They expose health data and a remote control of someone's
//! wrist, so:
//!
//! - a client on loopback is trusted (the default `metrics_listen` is loopback only);
//! - any other client needs the bearer token (`Authorization: Bearer …`, or the cookie the
//!   `/login` form sets); without a configured token, non-loopback clients are refused outright;
//! - a state-changing request (POST) is refused when the browser says it comes from another
//!   origin (`Origin` not this host, or `Sec-Fetch-Site` cross-site), and the API's POSTs only
//!   take `application/json`, which a cross-origin form cannot send without a CORS preflight —
//!   and no CORS header is ever sent, so no preflight succeeds.
//!
//! The token is a [`Secret`]: it never appears in a log line, an error or a response.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use hyper::header::{HeaderMap, AUTHORIZATION, COOKIE, HOST, ORIGIN};

use crate::config::Secret;

/// The environment variable holding the API token.
pub const TOKEN_ENV: &str = "MIBAND_API_TOKEN";

/// The cookie the login form sets (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "miband_token";

/// Tokens shorter than this are refused at start: a guessable token is no protection.
pub const MIN_TOKEN_LEN: usize = 16;

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not on loopback and no token configured: 403.
    NoTokenConfigured,
    /// Token missing or wrong: 401.
    BadToken,
    /// A cross-origin state-changing request: 403.
    CrossOrigin,
}

impl Refusal {
    /// The message for the client (never the token).
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NoTokenConfigured => {
                "this API only answers loopback clients unless a token is configured (MIBAND_API_TOKEN or api_token_file)"
            }
            Refusal::BadToken => "a valid bearer token is required (Authorization: Bearer …)",
            Refusal::CrossOrigin => "cross-origin requests that change state are refused",
        }
    }
}

/// The access policy.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    token: Option<Secret>,
}

/// Why the token could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read.
    #[error("api_token_file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The token is too short.
    #[error("the API token ({from}) must be at least {MIN_TOKEN_LEN} characters")]
    TooShort {
        /// Where it came from.
        from: String,
    },
}

impl Auth {
    /// A policy with this token (`None`: loopback only).
    pub fn new(token: Option<Secret>) -> Auth {
        Auth { token }
    }

    /// The token from `MIBAND_API_TOKEN` (looked up through `env`), else from `file`; surrounding
    /// whitespace is dropped (a file usually ends with a newline).
    pub fn load(
        env: &dyn Fn(&str) -> Option<String>,
        file: Option<&Path>,
    ) -> Result<Auth, TokenError> {
        let (token, from) = match (env(TOKEN_ENV), file) {
            (Some(t), _) if !t.trim().is_empty() => (t, TOKEN_ENV.to_string()),
            (_, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|source| TokenError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                (text, path.display().to_string())
            }
            _ => return Ok(Auth::new(None)),
        };
        let token = token.trim().to_string();
        if token.len() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort { from });
        }
        Ok(Auth::new(Some(Secret::new(token))))
    }

    /// Whether a token is configured.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether `candidate` is the token (constant time in the candidate's content).
    pub fn token_matches(&self, candidate: &str) -> bool {
        match &self.token {
            Some(t) => constant_time_eq(t.expose().as_bytes(), candidate.as_bytes()),
            None => false,
        }
    }

    /// Checks a request from `peer`: who it is, then (for state-changing methods) where it
    /// comes from.
    pub fn check(
        &self,
        peer: SocketAddr,
        headers: &HeaderMap,
        changes_state: bool,
    ) -> Result<(), Refusal> {
        if !is_loopback(peer.ip()) {
            if !self.has_token() {
                return Err(Refusal::NoTokenConfigured);
            }
            let presented = bearer(headers).or_else(|| cookie(headers, SESSION_COOKIE));
            if !presented.is_some_and(|t| self.token_matches(t)) {
                return Err(Refusal::BadToken);
            }
        }
        if changes_state && !same_origin(headers) {
            return Err(Refusal::CrossOrigin);
        }
        Ok(())
    }
}

/// Loopback, IPv4-mapped loopback included.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A request is same-origin unless the browser says otherwise: `Sec-Fetch-Site` other than
/// `same-origin`/`none`, or an `Origin` whose host is not the `Host` asked for. Non-browser
/// clients send neither and are not a cross-site-request-forgery vector.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    origin_host.is_some_and(|o| o.eq_ignore_ascii_case(host))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is not secret enough to hide; the content is compared without early exit.
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    const TOKEN: &str = "0123456789abcdef-token";

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 50000)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn loopback_is_trusted_and_others_need_the_token() {
        let auth = Auth::new(Some(Secret::new(TOKEN)));
        let none = headers(&[]);
        assert_eq!(auth.check(peer("127.0.0.1"), &none, false), Ok(()));
        assert_eq!(auth.check(peer("::1"), &none, false), Ok(()));
        assert_eq!(auth.check(peer("::ffff:127.0.0.1"), &none, false), Ok(()));
        assert_eq!(
            auth.check(peer("192.0.2.7"), &none, false),
            Err(Refusal::BadToken)
        );
        let wrong = headers(&[("authorization", "Bearer 0123456789abcdef-tokeX")]);
        assert_eq!(
            auth.check(peer("192.0.2.7"), &wrong, false),
            Err(Refusal::BadToken)
        );
        let right = headers(&[("authorization", &format!("Bearer {TOKEN}"))]);
        assert_eq!(auth.check(peer("192.0.2.7"), &right, false), Ok(()));
        let cookie = headers(&[("cookie", &format!("a=b; {SESSION_COOKIE}={TOKEN}"))]);
        assert_eq!(auth.check(peer("192.0.2.7"), &cookie, false), Ok(()));
        let open = Auth::new(None);
        assert_eq!(
            open.check(peer("192.0.2.7"), &right, false),
            Err(Refusal::NoTokenConfigured)
        );
    }

    #[test]
    fn cross_origin_posts_are_refused() {
        let auth = Auth::new(None);
        let lo = peer("127.0.0.1");
        let same = headers(&[
            ("host", "127.0.0.1:10024"),
            ("origin", "http://127.0.0.1:10024"),
        ]);
        assert_eq!(auth.check(lo, &same, true), Ok(()));
        let other = headers(&[
            ("host", "127.0.0.1:10024"),
            ("origin", "http://evil.example"),
        ]);
        assert_eq!(auth.check(lo, &other, true), Err(Refusal::CrossOrigin));
        // Reading is not state-changing.
        assert_eq!(auth.check(lo, &other, false), Ok(()));
        let site = headers(&[("sec-fetch-site", "cross-site")]);
        assert_eq!(auth.check(lo, &site, true), Err(Refusal::CrossOrigin));
        let null = headers(&[("host", "127.0.0.1:10024"), ("origin", "null")]);
        assert_eq!(auth.check(lo, &null, true), Err(Refusal::CrossOrigin));
        assert_eq!(auth.check(lo, &headers(&[]), true), Ok(()));
    }

    #[test]
    fn the_token_comes_from_the_environment_or_a_file_and_must_be_long() {
        let env = |k: &str| (k == TOKEN_ENV).then(|| format!("{TOKEN}\n"));
        assert!(Auth::load(&env, None).unwrap().token_matches(TOKEN));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "short\n").unwrap();
        let err = Auth::load(&|_| None, Some(&file)).unwrap_err().to_string();
        assert!(err.contains("at least 16"), "{err}");
        assert!(
            !err.contains("short"),
            "the token must not be echoed: {err}"
        );
        assert!(!Auth::load(&|_| None, None).unwrap().has_token());
    }
}
