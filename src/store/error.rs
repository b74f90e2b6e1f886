//! What can go wrong writing history, sorted by what the caller should do about it.
//!
//! The one distinction that matters: [`StoreError::Unavailable`] (the server cannot be reached,
//! the connection broke, the server is starting or shutting down) means "keep the data locally and
//! retry later"; everything else is a real problem with the data, the schema or the configuration.

use std::error::Error as _;

use tokio_postgres::error::SqlState;

use super::record::InvalidRecord;
use super::schema::SchemaError;

/// Errors from [`super::postgres::Store`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or the connection was lost; retry later.
    #[error("database unreachable or connection lost: {detail}")]
    Unavailable {
        /// The underlying error chain (never contains the password).
        detail: String,
    },
    /// The server answered but refused us: wrong password, unknown role or database.
    #[error("database refused the connection (check db_user, db_passwd, db_name): {}", chain(.0))]
    Refused(#[source] tokio_postgres::Error),
    /// Bringing the schema up to date failed.
    #[error(transparent)]
    Schema(SchemaError),
    /// A statement failed for a reason retrying will not fix.
    #[error("database error: {}", chain(.0))]
    Query(#[source] tokio_postgres::Error),
    /// The record holds a value the database would refuse.
    #[error(transparent)]
    Invalid(#[from] InvalidRecord),
}

impl StoreError {
    /// Should the caller journal the data and retry later?
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// A timeout of our own (connect or statement) counts as unreachable.
    pub(crate) fn timed_out(what: &str) -> StoreError {
        StoreError::Unavailable {
            detail: format!("{what} timed out"),
        }
    }

    /// No connection to use (it was dropped after an earlier failure).
    pub(crate) fn not_connected() -> StoreError {
        StoreError::Unavailable {
            detail: "not connected".into(),
        }
    }

    /// Classifies an error from an established connection.
    pub(crate) fn from_query(e: tokio_postgres::Error) -> StoreError {
        if is_transient(&e) {
            StoreError::Unavailable { detail: chain(&e) }
        } else {
            StoreError::Query(e)
        }
    }

    /// Classifies an error while connecting: anything but an answer from the server (or a
    /// transient one such as "the database system is starting up") is unreachability.
    pub(crate) fn from_connect(e: tokio_postgres::Error) -> StoreError {
        match e.code() {
            Some(_) if is_transient(&e) => StoreError::Unavailable { detail: chain(&e) },
            Some(_) => StoreError::Refused(e),
            None if is_transient(&e) => StoreError::Unavailable { detail: chain(&e) },
            // Client-side authentication or configuration trouble.
            None => StoreError::Refused(e),
        }
    }

    /// Classifies a migration failure: a connection lost mid-migration is unreachability.
    pub(crate) fn from_schema(e: SchemaError) -> StoreError {
        let source = match &e {
            SchemaError::Migration { source, .. } | SchemaError::Bookkeeping(source) => source,
        };
        if is_transient(source) {
            StoreError::Unavailable {
                detail: chain(source),
            }
        } else {
            StoreError::Schema(e)
        }
    }
}

/// Connection trouble, or a server state that passes: SQLSTATE classes 08 (connection), 53
/// (insufficient resources), 57P01-57P03 (shutdown, crash, starting up), 40001/40P01 (retry).
fn is_transient(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let c = code.code();
        return c.starts_with("08")
            || c.starts_with("53")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
            ]
            .contains(code);
    }
    e.source()
        .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some())
}

/// "error connecting to server: Connection refused (os error 111)": the whole chain, one line.
fn chain(e: &tokio_postgres::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
