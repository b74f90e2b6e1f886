//! `configuration.conf`: what ARCO's file held (`DBNAME DBUSER DBPASSWORD DBHOST DBPORT`, the
//! connection of Grafana's read-only database user) plus optional keys of ours. The file as
//! written ([`super::shellvars`]) is turned into a validated [`Config`]; every problem is
//! reported with file and line, all at once.

mod validate;

pub use validate::{http_url, KEYS};

use super::secret::Secret;
use super::shellvars;
use std::fmt;
use std::path::{Path, PathBuf};

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
    /// The household's time zone: where per-day panels start a day.
    pub zone: super::zone::Zone,
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
    // A byte-order mark, as Windows editors write, is not part of the first key (the
    // collector's files accept it the same way, see config::source).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (assignments, syntax) = shellvars::parse(text);
    let mut problems: Vec<Problem> = syntax
        .into_iter()
        .map(|p| Problem {
            line: Some(p.line),
            message: p.message,
        })
        .collect();
    let mut values = validate::Values::default();
    for a in assignments {
        if !KEYS.iter().any(|(k, _)| *k == a.key) {
            let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            problems.push(Problem {
                line: Some(a.line),
                message: format!(
                    "unknown key {} (expected one of {})",
                    a.key,
                    known.join(", ")
                ),
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
    let config = validate::validate(&values, path, &mut problems);
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    match config {
        Some(c) if problems.is_empty() => Ok(c),
        _ => Err(ConfigError {
            path: path.to_path_buf(),
            problems,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARCO: &str =
        "DBNAME=miband\nDBUSER=grafana\nDBPASSWORD=secret\nDBHOST=localhost\nDBPORT=5432\n";

    fn err(text: &str) -> String {
        parse(text, Path::new("/etc/x.conf"))
            .unwrap_err()
            .to_string()
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
        assert_eq!(c.zone, crate::provision::zone::Zone::machine());
    }

    #[test]
    fn timezone_is_checked() {
        let c = parse(
            &format!("{ARCO}TIMEZONE=Pacific/Auckland\n"),
            Path::new("x.conf"),
        )
        .unwrap();
        assert_eq!(c.zone.name(), "Pacific/Auckland");
        let e = err(&format!("{ARCO}TIMEZONE='Europe/x y'\n"));
        assert!(
            e.contains(":6: TIMEZONE: expected the household's time zone"),
            "{e}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let c = parse(&format!("\u{feff}{ARCO}"), Path::new("x.conf")).unwrap();
        assert_eq!(c.db.name, "miband");
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
        assert_eq!(
            e,
            "/etc/x.conf:5: DBPORT: expected a TCP port from 1 to 65535"
        );
        let e = err(&format!("{ARCO}DBNAME=again\nFOO=1\n"));
        assert!(
            e.contains("/etc/x.conf:6: DBNAME set again (first on line 1)"),
            "{e}"
        );
        assert!(e.contains("/etc/x.conf:7: unknown key FOO"), "{e}");
        let e = err("DBNAME=x\n");
        assert!(
            e.contains("/etc/x.conf: DBUSER missing (expected DBUSER=<"),
            "{e}"
        );
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
        assert!(
            e.contains(":6: DBPASSWORD and DBPASSWORD_ENV both set"),
            "{e}"
        );
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
