//! The rules for each key of `configuration.conf`: which are required, what each value must
//! be, and how they combine into a [`Config`].

use super::{Config, Database, GrafanaAdmin, Password, Problem};
use crate::provision::secret::Secret;
use crate::provision::shellvars;
use crate::provision::zone::Zone;
use std::path::Path;

/// Every key the file may hold, with what its value must be (used in messages).
pub const KEYS: &[(&str, &str)] = &[
    ("DBNAME", "the database miband-dc writes to"),
    ("DBUSER", "Grafana's read-only database user"),
    ("DBPASSWORD", "that user's password"),
    (
        "DBPASSWORD_ENV",
        "the name of an environment variable holding the password",
    ),
    ("DBHOST", "a host name, an IP address or a socket directory"),
    ("DBPORT", "a TCP port from 1 to 65535"),
    (
        "DBSSLMODE",
        "one of disable, require, verify-ca, verify-full",
    ),
    (
        "PROMETHEUS_URL",
        "an http(s) URL of Prometheus as Grafana reaches it",
    ),
    (
        "GRAFANA_URL",
        "an http(s) URL of Grafana, enables reloading it after -u",
    ),
    (
        "GRAFANA_PUBLIC_URL",
        "an http(s) URL of Grafana as browsers and the mirror reach it",
    ),
    ("GRAFANA_USER", "a Grafana server admin login"),
    ("GRAFANA_PASSWORD", "that login's password"),
    (
        "GRAFANA_PASSWORD_ENV",
        "the name of an environment variable holding it",
    ),
    ("GRAFANA_ORG", "a Grafana organisation id (1 or more)"),
    ("GRAFANA_FOLDER", "a dashboard folder name (empty: General)"),
    (
        "TIMEZONE",
        "the household's time zone, an IANA name such as Europe/Madrid (default: this machine's)",
    ),
];

/// The assignments of a file, at most one per key.
#[derive(Default)]
pub(super) struct Values(pub(super) Vec<shellvars::Assignment>);

impl Values {
    pub(super) fn get(&self, key: &str) -> Option<&shellvars::Assignment> {
        self.0.iter().find(|a| a.key == key)
    }
}

pub(super) fn expected(key: &str) -> &'static str {
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map_or("a value", |(_, e)| e)
}

/// Checks one key; `None` (after recording a problem) when absent-but-required or invalid.
fn check<T>(
    values: &Values,
    key: &str,
    required: bool,
    problems: &mut Vec<Problem>,
    conv: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    match values.get(key) {
        None => {
            if required {
                problems.push(Problem {
                    line: None,
                    message: format!("{key} missing (expected {key}=<{}>)", expected(key)),
                });
            }
            None
        }
        Some(a) => {
            let v = conv(&a.value);
            if v.is_none() {
                problems.push(Problem {
                    line: Some(a.line),
                    // Never echo the value: it may be a password.
                    message: format!("{key}: expected {}", expected(key)),
                });
            }
            v
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.trim().is_empty() && !s.contains(['\n', '\r'])).then(|| s.to_string())
}

fn env_name(s: &str) -> Option<String> {
    let ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| s.to_string())
}

/// An http(s) URL without credentials, returned without a trailing slash.
pub fn http_url(s: &str) -> Option<String> {
    let uri: ureq::http::Uri = s.parse().ok()?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let authority = uri.authority()?;
    let no_userinfo = !authority.as_str().contains('@');
    (scheme_ok && no_userinfo && uri.query().is_none() && !authority.host().is_empty())
        .then(|| s.trim_end_matches('/').to_string())
}

fn password(
    values: &Values,
    key: &str,
    env_key: &str,
    problems: &mut Vec<Problem>,
) -> Option<Option<Password>> {
    let inline = check(values, key, false, problems, |s| Some(Secret::new(s)));
    let env = check(values, env_key, false, problems, env_name);
    match (values.get(key), values.get(env_key)) {
        (Some(_), Some(b)) => {
            problems.push(Problem {
                line: Some(b.line),
                message: format!("{key} and {env_key} both set; keep one"),
            });
            None
        }
        (Some(_), None) => inline.map(|s| Some(Password::Inline(s))),
        (None, Some(_)) => env.map(|v| Some(Password::Env(v))),
        (None, None) => Some(None),
    }
}

/// Builds the configuration; `None` when a required value is missing or invalid.
pub(super) fn validate(
    values: &Values,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Option<Config> {
    let name = check(values, "DBNAME", true, problems, non_empty);
    let user = check(values, "DBUSER", true, problems, non_empty);
    let db_password = password(values, "DBPASSWORD", "DBPASSWORD_ENV", problems);
    if matches!(db_password, Some(None)) {
        problems.push(Problem {
            line: None,
            message:
                "DBPASSWORD missing (expected DBPASSWORD=<password> or DBPASSWORD_ENV=<variable>)"
                    .into(),
        });
    }
    let host = check(values, "DBHOST", true, problems, |s| {
        non_empty(s).filter(|h| !h.contains(char::is_whitespace))
    });
    let port = check(values, "DBPORT", true, problems, |s| {
        s.parse::<u16>().ok().filter(|p| *p > 0)
    });
    let sslmode = check(values, "DBSSLMODE", false, problems, |s| {
        matches!(s, "disable" | "require" | "verify-ca" | "verify-full").then(|| s.to_string())
    });
    let prometheus_url = check(values, "PROMETHEUS_URL", false, problems, http_url);
    let grafana_url = check(values, "GRAFANA_URL", false, problems, http_url);
    let public_url = check(values, "GRAFANA_PUBLIC_URL", false, problems, http_url);
    let admin_user = check(values, "GRAFANA_USER", false, problems, non_empty);
    let admin_password = password(values, "GRAFANA_PASSWORD", "GRAFANA_PASSWORD_ENV", problems);
    let org_id = check(values, "GRAFANA_ORG", false, problems, |s| {
        s.parse::<u32>().ok().filter(|o| *o > 0)
    });
    let folder = check(values, "GRAFANA_FOLDER", false, problems, |s| {
        (!s.contains(['\n', '\r'])).then(|| s.to_string())
    });
    let zone = check(values, "TIMEZONE", false, problems, Zone::parse);
    let admin = match (&grafana_url, admin_password) {
        (Some(url), Some(Some(password))) => Some(GrafanaAdmin {
            url: url.clone(),
            user: admin_user.unwrap_or_else(|| "admin".into()),
            password,
        }),
        (Some(_), Some(None)) => {
            problems.push(Problem {
                line: values.get("GRAFANA_URL").map(|a| a.line),
                message: "GRAFANA_URL needs GRAFANA_PASSWORD or GRAFANA_PASSWORD_ENV (a server admin's password, for the reload API)".into(),
            });
            None
        }
        _ => None,
    };
    Some(Config {
        path: path.to_path_buf(),
        db: Database {
            name: name?,
            user: user?,
            password: db_password??,
            host: host?,
            port: port?,
            sslmode: sslmode.unwrap_or_else(|| "disable".into()),
        },
        prometheus_url: prometheus_url.unwrap_or_else(|| "http://localhost:9090".into()),
        public_url: public_url
            .or(grafana_url)
            .unwrap_or_else(|| "http://localhost:3000".into()),
        admin,
        org_id: org_id.unwrap_or(1),
        folder: folder.unwrap_or_default(),
        zone: zone.unwrap_or_else(Zone::machine),
    })
}
