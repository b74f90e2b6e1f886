//! The Prometheus side: metric names (the contract dashboards rely on).

pub mod names;
