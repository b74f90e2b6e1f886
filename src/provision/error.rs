//! The one error type of provisioning, with its exit code: 2 for configuration problems (the
//! user must fix a file or the environment), 1 for everything else.

use super::conf::ConfigError;
use super::reload::ReloadError;
use std::path::PathBuf;

/// Everything `-u/-s/-r/-e/--grant` can fail with. Messages never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file has problems (each with file:line).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The configuration file cannot be read.
    #[error("{path}: cannot read the configuration ({source}); create it with miband-grafana -e")]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A password variable named in the configuration is not set.
    #[error("{path}: {message}")]
    Environment {
        /// The configuration file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
    /// A command-line value is unusable.
    #[error("{0}")]
    Argument(String),
    /// The database refused or failed.
    #[error("database {target}: {source}")]
    Database {
        /// `user@host:port/dbname`.
        target: String,
        /// The driver's error (no password in it).
        #[source]
        source: tokio_postgres::Error,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file (host path).
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A template failed to render.
    #[error("rendering {what}: {source}")]
    Render {
        /// Which file.
        what: String,
        /// Why.
        #[source]
        source: askama::Error,
    },
    /// The manifest of provisioned files cannot be parsed.
    #[error("{path}: damaged manifest ({source}); remove it and run -u again")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Grafana's reload API failed.
    #[error(transparent)]
    Reload(#[from] ReloadError),
    /// The editor could not run or failed.
    #[error("editor: {0}")]
    Editor(String),
    /// The Grafana role is not read-only, or could not be made so.
    #[error("the Grafana database role is not as it should be:\n  {}", .0.join("\n  "))]
    Grant(Vec<String>),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_)
            | Error::ConfigRead { .. }
            | Error::Environment { .. }
            | Error::Argument(_) => 2,
            _ => 1,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    pub(crate) fn render(what: impl Into<String>) -> impl FnOnce(askama::Error) -> Error {
        let what = what.into();
        move |source| Error::Render { what, source }
    }
}
