//! The Prometheus side: metric names (the contract dashboards rely on), the per-band snapshots
//! the collector updates, their rendering at scrape time, and the HTTP endpoint.

pub mod exporter;
pub mod format;
pub mod names;
pub mod server;
pub mod snapshot;
pub mod sync_histogram;

pub use exporter::Exporter;
pub use format::{Format, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE};
pub use server::{serve, serve_with, ServerLimits};
pub use snapshot::{
    BandCounters, BandLabels, BandSnapshot, JournalHealth, MetricsState, Readings, StateSnapshot,
};
