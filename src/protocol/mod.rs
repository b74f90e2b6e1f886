//! The Huami (Mi Band 4/5) protocol as pure bytes-in/bytes-out code: no I/O, no panics on any input.
//! Facts and sources: `../shared/protocol.md`.
pub mod activity;
