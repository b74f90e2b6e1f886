//! Grafana provisioning, the replacement of ARCO's `miband-grafana` (docs/compatibility.md §2): the
//! datasource and dashboard-provider files, one dashboard per band with ARCO's UIDs and panel
//! IDs, a live overview on Prometheus, and the MagicMirror configuration that embeds them.
//!
//! Rendering is pure ([`plan`]); files are written atomically and recorded in a manifest
//! ([`files`], [`manifest`]); the commands `-u -s -r -e --grant` are [`update`], [`show`],
//! [`reset`], [`edit`] and [`grant`].

pub mod bands;
pub mod conf;
pub mod dashboard;
pub mod dashboard_model;
pub mod datasource;
pub mod db;
pub mod edit;
pub mod embedding;
pub mod error;
pub mod escape;
pub mod files;
pub mod grant;
pub mod manifest;
pub mod mirror;
pub mod overview;
pub mod panel_sql;
pub mod panels;
pub mod paths;
pub mod plan;
pub mod provider;
pub mod reload;
pub mod reset;
pub mod secret;
pub mod shellvars;
pub mod show;
pub mod sqlmacros;
pub mod uid;
pub mod update;
pub mod zone;

pub use error::Error;
