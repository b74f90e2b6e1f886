//! Why a session with a band failed, in terms a log line and a metric can use.

use std::sync::Arc;

use crate::link::LinkError;
use crate::protocol::DecodeError;

/// A failed step of a band session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The link failed or dropped.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The band did not answer in time.
    #[error("the band did not answer in time (waiting for {0})")]
    Timeout(&'static str),
    /// `10 x3 08`: the key is not this band's.
    #[error("authentication failed: wrong auth key (band answered 10 03 08); check the key for this band, and that it is the decoded 32-hex-digit key")]
    WrongKey,
    /// Another `10 x3 xx` failure.
    #[error("authentication failed (band answered 10 03 {code:02x})")]
    AuthFailed {
        /// Status byte.
        code: u8,
    },
    /// `10 x2 xx`: the band refused to start authentication.
    #[error(
        "the band refused to authenticate (10 02 {code:02x}); is it still connected to a phone?"
    )]
    AuthRefused {
        /// Status byte.
        code: u8,
    },
    /// A reply that does not decode.
    #[error("malformed reply from the band: {0}")]
    Malformed(#[from] DecodeError),
    /// The band refused to start a fetch.
    #[error("the band refused the history fetch (10 01 {code:02x})")]
    FetchRefused {
        /// Status byte.
        code: u8,
    },
    /// A round kept failing (counter gaps, truncation, stalls).
    #[error("history fetch round failed {attempts} times: {last}")]
    RoundFailed {
        /// How often it was tried.
        attempts: u32,
        /// The last reason.
        last: String,
    },
    /// The caller's sink stopped the fetch; the round was not acknowledged to the band.
    #[error(transparent)]
    Sink(#[from] SinkStop),
}

/// Why the sink handed to [`super::Session::fetch_history`] stopped it. Either way the round is
/// not acknowledged, so the band keeps those minutes and sends them again next time.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SinkStop {
    /// Storing failed.
    #[error("storing history failed: {0}")]
    Failed(Arc<dyn std::error::Error + Send + Sync>),
    /// Stored, but the program is stopping (SIGTERM): end the fetch here.
    #[error("stopping")]
    Stopping,
}

impl SinkStop {
    /// A storage failure, keeping its cause.
    pub fn failed(e: impl std::error::Error + Send + Sync + 'static) -> SinkStop {
        SinkStop::Failed(Arc::new(e))
    }
}

/// Equal when the same kind; failures by their message (the cause has no `PartialEq`).
impl PartialEq for SinkStop {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SinkStop::Stopping, SinkStop::Stopping) => true,
            (SinkStop::Failed(a), SinkStop::Failed(b)) => a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

impl Eq for SinkStop {}

impl SessionError {
    /// Failures of authentication (counted by the auth-failure metric).
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            SessionError::WrongKey
                | SessionError::AuthFailed { .. }
                | SessionError::AuthRefused { .. }
        )
    }

    /// Failures of the link itself (counted as connection failures).
    pub fn is_link_failure(&self) -> bool {
        matches!(self, SessionError::Link(_) | SessionError::Timeout(_))
    }
}
