//! The Huami (Mi Band 4/5) protocol as pure bytes-in/bytes-out code: no I/O, no panics on any
//! input. Facts and sources: `docs/protocol.md`; each module cites its section.

pub mod activity;
pub mod alarm;
pub mod alert;
pub mod auth;
pub mod band_config;
pub mod battery;
pub mod datetime;
pub mod device_info;
pub mod error;
pub mod events;
pub mod fetch;
pub mod heart_rate;
pub mod history;
pub mod key;
pub mod raw_sensor;
pub mod steps;
pub mod time;
pub mod uuids;

pub use error::DecodeError;
