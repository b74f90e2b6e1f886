//! Renders decoded protocol messages as JSON for `miband decode`: one function per kind of
//! captured bytes, each returning a [`serde_json::Value`] whose field names are a contract
//! (README, `tests/decode_cli.rs`). No I/O here: the CLI edge parses hex and prints.

mod activity;
mod auth;
mod fetch;
mod host;
mod raw;
mod status;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::protocol::activity::SampleSize;
use crate::protocol::key::AuthKey;
use crate::protocol::DecodeError;

pub use activity::activity;
pub use auth::auth;
pub use fetch::fetch_control;
pub use host::{auth_command, fetch_command, heart_rate_control, pnp_id, system_id};
pub use raw::raw;
pub use status::{battery, heart_rate, steps, time};

/// What the captured bytes are, i.e. which characteristic and direction they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Battery info read or notified on 0x0006.
    Battery,
    /// Realtime steps on 0x0007.
    Steps,
    /// Current Time 0x2A2B.
    Time,
    /// Heart-rate measurement on 0x2A37.
    HeartRate,
    /// Band → host notification on the fetch control characteristic 0x0004.
    FetchControl,
    /// One or more data packets from 0x0005, in order.
    Activity,
    /// Band → host notification on the auth characteristic 0x0009.
    Auth,
    /// Raw sensor packet from 0x0002.
    Raw,
    /// Host → band write on the fetch control 0x0004.
    FetchCommand,
    /// Host → band write on the auth characteristic 0x0009.
    AuthCommand,
    /// Host → band write on the heart-rate control point 0x2A39.
    HeartRateControl,
    /// System ID 0x2A23.
    SystemId,
    /// PnP ID 0x2A50.
    PnpId,
}

impl Kind {
    /// Every kind, in the order `--help` lists them.
    pub const ALL: [Kind; 13] = [
        Kind::Battery,
        Kind::Steps,
        Kind::Time,
        Kind::HeartRate,
        Kind::FetchControl,
        Kind::Activity,
        Kind::Auth,
        Kind::Raw,
        Kind::FetchCommand,
        Kind::AuthCommand,
        Kind::HeartRateControl,
        Kind::SystemId,
        Kind::PnpId,
    ];

    /// The name users type on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Battery => "battery",
            Kind::Steps => "steps",
            Kind::Time => "time",
            Kind::HeartRate => "heart-rate",
            Kind::FetchControl => "fetch-control",
            Kind::Activity => "activity",
            Kind::Auth => "auth",
            Kind::Raw => "raw",
            Kind::FetchCommand => "fetch-command",
            Kind::AuthCommand => "auth-command",
            Kind::HeartRateControl => "heart-rate-control",
            Kind::SystemId => "system-id",
            Kind::PnpId => "pnp-id",
        }
    }

    /// Whether each packet stays separate (activity: the counters matter) rather than all of them
    /// being one message pasted in several pieces.
    pub fn keeps_packets_apart(self) -> bool {
        self == Kind::Activity
    }
}

/// What some kinds need besides the bytes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Activity sample size (4 on Mi Band 4, 8 on Mi Band 5/6).
    pub sample_size: SampleSize,
    /// Start of the first activity sample, e.g. from the fetch-control `start`.
    pub start: Option<DateTime<FixedOffset>>,
    /// The auth key, to compute the answer to a random challenge.
    pub key: Option<AuthKey>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sample_size: SampleSize::Four,
            start: None,
            key: None,
        }
    }
}

/// Why captured bytes could not be dissected. Never contains the auth key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DissectError {
    /// The protocol layer rejected the bytes.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Nothing to decode.
    #[error("no bytes given")]
    Empty,
    /// Activity bytes that end inside a sample.
    #[error(
        "activity: {left} bytes left after the last whole {size}-byte sample \
         (truncated transfer, or the wrong sample size?)"
    )]
    PartialSample {
        /// Bytes after the last whole sample.
        left: usize,
        /// The sample size used.
        size: usize,
    },
    /// Bytes the host writes, given as something the band sends.
    #[error("{0}")]
    NotAMeasurement(String),
}

/// Dissects `packets` as `kind`. Activity keeps the packets apart; every other kind treats them
/// as pieces of one message, because users paste `0c 10 27 ...` as separate words.
pub fn dissect(kind: Kind, packets: &[Vec<u8>], opts: &Options) -> Result<Value, DissectError> {
    if kind.keeps_packets_apart() {
        return activity(packets, opts.sample_size, opts.start);
    }
    let bytes = packets.concat();
    if bytes.is_empty() {
        return Err(DissectError::Empty);
    }
    match kind {
        Kind::Battery => battery(&bytes),
        Kind::Steps => steps(&bytes),
        Kind::Time => time(&bytes),
        Kind::HeartRate => heart_rate(&bytes),
        Kind::FetchControl => fetch_control(&bytes),
        Kind::Auth => auth(&bytes, opts.key.as_ref()),
        Kind::Raw => raw(&bytes),
        Kind::FetchCommand => fetch_command(&bytes),
        Kind::AuthCommand => auth_command(&bytes),
        Kind::HeartRateControl => heart_rate_control(&bytes),
        Kind::SystemId => system_id(&bytes),
        Kind::PnpId => pnp_id(&bytes),
        Kind::Activity => activity(packets, opts.sample_size, opts.start),
    }
}

/// Band-local times are printed as ISO 8601 without an offset: the band does not say which zone
/// they are in.
fn local_iso(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_unique_and_cover_all() {
        let names: std::collections::BTreeSet<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), Kind::ALL.len());
        assert!(names.contains("heart-rate") && names.contains("fetch-control"));
    }

    #[test]
    fn non_activity_kinds_join_their_pieces() {
        let pieces = vec![vec![0x00], vec![0x5d]];
        let v = dissect(Kind::HeartRate, &pieces, &Options::default()).unwrap();
        assert_eq!(v.to_string(), r#"{"bpm":93}"#);
        assert_eq!(
            dissect(Kind::Battery, &[vec![]], &Options::default()),
            Err(DissectError::Empty)
        );
    }
}
