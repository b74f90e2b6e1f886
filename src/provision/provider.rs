//! The dashboard provider file: tells Grafana to load our dashboards directory (polled every
//! 10 s; `disableDeletion: false`, so a dashboard file `-u` or `-r` removes disappears from
//! Grafana too). Rendered by `templates/dashboards.yaml`.

use super::conf::Config;
use askama::Template;

/// ARCO's provider name, kept so an upgraded Grafana sees the same provider.
pub const PROVIDER_NAME: &str = "MiBand (default)";

/// Template context of `dashboards.yaml`.
#[derive(Debug, Template)]
#[template(path = "dashboards.yaml")]
pub struct ProviderFile<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The dashboards directory as Grafana sees it.
    pub path: String,
}

/// Renders the provider file for dashboards in `dir` (a system path).
pub fn render(config: &Config, dir: &std::path::Path) -> Result<String, askama::Error> {
    ProviderFile {
        config,
        path: dir.display().to_string(),
    }
    .render()
}
