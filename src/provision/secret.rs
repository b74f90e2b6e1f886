//! A password that cannot end up in logs, reports or error messages by accident: the same
//! redacting type the collector's configuration uses.

pub use crate::config::Secret;
