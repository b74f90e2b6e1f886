//! Self-hosted toolkit for Xiaomi Mi Band 4/5 fitness bands.
//!
//! The crate is split the way the data flows: [`protocol`] is the pure Huami byte layer (no I/O),
//! and everything else builds on it.
#![forbid(unsafe_code)]

pub mod ble;
pub mod api;
pub mod bluez;
pub mod cli;
pub mod collector;
pub mod control;
pub mod config;
pub mod dissect;
pub mod emulator;
pub mod link;
pub mod metrics;
pub mod mqtt;
pub mod protocol;
pub mod provision;
pub mod session;
pub mod store;
