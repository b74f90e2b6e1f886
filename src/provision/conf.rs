//! `configuration.conf`: what ARCO's file held (`DBNAME DBUSER DBPASSWORD DBHOST DBPORT`, the
//! connection of Grafana's read-only database user) plus optional keys of ours. The file as
//! written ([`super::shellvars`]) is turned into a validated [`Config`]; every problem is
//! reported with file and line, all at once.

use super::secret::Secret;
use super::shellvars;
use std::fmt;
use std::path::{Path, PathBuf};

/// Every key the file may hold, with what its value must be (used in messages).
pub const KEYS: &[(&str, &str)] = &[
    ("DBNAME", "the database miband-dc writes to"),
    ("DBUSER", "Grafana's read-only database user"),
    ("DBPASSWORD", "that user's password"),
    ("DBPASSWORD_ENV", "the name of an environment variable holding the password"),
    ("DBHOST", "a host name, an IP address or a socket directory"),
    ("DBPORT", "a TCP port from 1 to 65535"),
    ("DBSSLMODE", "one of disable, require, verify-ca, verify-full"),
    ("PROMETHEUS_URL", "an http(s) URL of Prometheus as Grafana reaches it"),
    ("GRAFANA_URL", "an http(s) URL of Grafana, enables reloading it after -u"),
    ("GRAFANA_PUBLIC_URL", "an http(s) URL of Grafana as browsers and the mirror reach it"),
    ("GRAFANA_USER", "a Grafana server admin login"),
    ("GRAFANA_PASSWORD", "that login's password"),
    ("GRAFANA_PASSWORD_ENV", "the name of an environment variable holding it"),
    ("GRAFANA_ORG", "a Grafana organisation id (1 or more)"),
    ("GRAFANA_FOLDER", "a dashboard folder name (empty: General)"),
];

/// A password given in the file or taken from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    /// Written in the file.
    Inline(Secret),
    /// Read from this environment variable (by us and, via `$__env{}`, by Grafana).
    Env(String),
}

impl Password {
    /// The password itself, looking up the environment if needed.
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            Password::Inline(s) => Ok(s.clone()),
            Password::Env(var) => std::env::var(var)
                .map(Secret::new)
                .map_err(|_| format!("environment variable {var} is not set")),
        }
    }
}

/// The database Grafana reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// Database name.
    pub name: String,
    /// Read-only login.
    pub user: String,
    /// Its password.
    pub password: Password,
    /// Host, IP or socket directory.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Grafana's `sslmode`.
    pub sslmode: String,
}

/// Credentials for Grafana's admin API (provisioning reload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrafanaAdmin {
    /// Base URL, no trailing slash.
    pub url: String,
    /// Server admin login.
    pub user: String,
    /// Its password.
    pub password: Password,
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// Database connection for Grafana.
    pub db: Database,
    /// Prometheus as Grafana reaches it.
    pub prometheus_url: String,
    /// Grafana as browsers and the mirror reach it (no trailing slash).
    pub public_url: String,
    /// Reload credentials, when `GRAFANA_URL` is set.
    pub admin: Option<GrafanaAdmin>,
    /// Organisation id.
    pub org_id: u32,
    /// Dashboard folder ("" = General).
    pub folder: String,
}

/// One problem in the file; `line` is `None` for a key that is missing altogether.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: Option<usize>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Every problem found in one configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// The problems, in file order (missing keys last).
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.line {
                Some(line) => write!(f, "{}:{line}: {}", self.path.display(), p.message)?,
                None => write!(f, "{}: {}", self.path.display(), p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Reads, parses and validates the configuration file.
pub fn load(path: &Path) -> Result<Config, super::error::Error> {
    let text = std::fs::read_to_string(path).map_err(|source| super::error::Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(parse(&text, path)?)
}

/// Parses and validates the text of `path`.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let (assignments, syntax) = shellvars::parse(text);
    let mut problems: Vec<Problem> = syntax
        .into_iter()
        .map(|p| Problem {
            line: Some(p.line),
            message: p.message,
        })
        .collect();
    let mut values = Values::default();
    for a in assignments {
        if !KEYS.iter().any(|(k, _)| *k == a.key) {
            let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            problems.push(Problem {
                line: Some(a.line),
                message: format!("unknown key {} (expected one of {})", a.key, known.join(", ")),
            });
        } else if let Some(first) = values.get(&a.key) {
            problems.push(Problem {
                line: Some(a.line),
                message: format!("{} set again (first on line {})", a.key, first.line),
            });
        } else {
            values.0.push(a);
        }
    }
    let config = validate(&values, path, &mut problems);
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    match config {
        Some(c) if problems.is_empty() => Ok(c),
        _ => Err(ConfigError {
            path: path.to_path_buf(),
            problems,
        }),
    }
}

#[derive(Default)]
struct Values(Vec<shellvars::Assignment>);

impl Values {
    fn get(&self, key: &str) -> Option<&shellvars::Assignment> {
        self.0.iter().find(|a| a.key == key)
    }
}

fn expected(key: &str) -> &'static str {
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
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
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

fn validate(values: &Values, path: &Path, problems: &mut Vec<Problem>) -> Option<Config> {
    let name = check(values, "DBNAME", true, problems, non_empty);
    let user = check(values, "DBUSER", true, problems, non_empty);
    let db_password = password(values, "DBPASSWORD", "DBPASSWORD_ENV", problems);
    if matches!(db_password, Some(None)) {
        problems.push(Problem {
            line: None,
            message: "DBPASSWORD missing (expected DBPASSWORD=<password> or DBPASSWORD_ENV=<variable>)"
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARCO: &str = "DBNAME=miband\nDBUSER=grafana\nDBPASSWORD=secret\nDBHOST=localhost\nDBPORT=5432\n";

    fn err(text: &str) -> String {
        parse(text, Path::new("/etc/x.conf")).unwrap_err().to_string()
    }

    #[test]
    fn arco_file_gives_defaults_for_the_rest() {
        let c = parse(ARCO, Path::new("x.conf")).unwrap();
        assert_eq!(c.db.name, "miband");
        assert_eq!(c.db.password, Password::Inline(Secret::new("secret")));
        assert_eq!(c.db.port, 5432);
        assert_eq!(c.db.sslmode, "disable");
        assert_eq!(c.prometheus_url, "http://localhost:9090");
        assert_eq!(c.public_url, "http://localhost:3000");
        assert_eq!(c.admin, None);
        assert_eq!(c.org_id, 1);
    }

    #[test]
    fn optional_keys() {
        let text = format!(
            "{}GRAFANA_URL=http://127.0.0.1:3000/\nGRAFANA_PASSWORD_ENV=GF_PW\nGRAFANA_ORG=2\nGRAFANA_FOLDER='Mi Band'\n",
            ARCO.replace("DBPASSWORD=secret", "DBPASSWORD_ENV=PGPW")
        );
        let c = parse(&text, Path::new("x.conf")).unwrap();
        assert_eq!(c.db.password, Password::Env("PGPW".into()));
        let admin = c.admin.unwrap();
        assert_eq!(admin.url, "http://127.0.0.1:3000");
        assert_eq!(admin.user, "admin");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!((c.org_id, c.folder.as_str()), (2, "Mi Band"));
    }

    #[test]
    fn errors_name_file_line_and_expectation() {
        let e = err(&ARCO.replace("DBPORT=5432", "DBPORT=fifty"));
        assert_eq!(e, "/etc/x.conf:5: DBPORT: expected a TCP port from 1 to 65535");
        let e = err(&format!("{ARCO}DBNAME=again\nFOO=1\n"));
        assert!(e.contains("/etc/x.conf:6: DBNAME set again (first on line 1)"), "{e}");
        assert!(e.contains("/etc/x.conf:7: unknown key FOO"), "{e}");
        let e = err("DBNAME=x\n");
        assert!(e.contains("/etc/x.conf: DBUSER missing (expected DBUSER=<"), "{e}");
        assert!(e.contains("DBPASSWORD missing"), "{e}");
    }

    #[test]
    fn bad_values_are_not_echoed() {
        let e = err(&format!("{ARCO}GRAFANA_URL=http://u:topsecret@host\n"));
        assert!(!e.contains("topsecret"), "{e}");
        assert!(e.contains(":6: GRAFANA_URL: expected"), "{e}");
    }

    #[test]
    fn both_password_forms_is_an_error() {
        let e = err(&format!("{ARCO}DBPASSWORD_ENV=X\n"));
        assert!(e.contains(":6: DBPASSWORD and DBPASSWORD_ENV both set"), "{e}");
    }

    #[test]
    fn grafana_url_needs_a_password() {
        let e = err(&format!("{ARCO}GRAFANA_URL=http://localhost:3000\n"));
        assert!(e.contains(":6: GRAFANA_URL needs GRAFANA_PASSWORD"), "{e}");
    }

    #[test]
    fn nasty_password_survives() {
        let text = ARCO.replace("DBPASSWORD=secret", "DBPASSWORD='a\"b\\c/d&e\nf{{g}}$h'");
        let c = parse(&text, Path::new("x.conf")).unwrap();
        assert_eq!(
            c.db.password,
            Password::Inline(Secret::new("a\"b\\c/d&e\nf{{g}}$h"))
        );
    }
}
