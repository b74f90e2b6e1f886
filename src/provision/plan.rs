//! Everything `-u` writes, rendered in memory: the single source for `-u` (which writes it),
//! the golden-file tests and the benchmark.

use super::bands::Band;
use super::conf::{Config, Password};
use super::error::Error;
use super::paths::Layout;
use super::{dashboard, datasource, embedding, overview, provider};
use std::path::PathBuf;

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// System path.
    pub path: PathBuf,
    /// Content.
    pub contents: String,
    /// Permission bits.
    pub mode: u32,
    /// Holds a secret: readable by Grafana's group only.
    pub secret: bool,
}

fn file(path: PathBuf, contents: String, secret: bool) -> PlannedFile {
    PlannedFile {
        path,
        contents,
        mode: if secret { 0o640 } else { 0o644 },
        secret,
    }
}

/// Renders every file for `bands`, in the order they are written (datasources before the
/// dashboards that use them).
pub fn plan(config: &Config, layout: &Layout, bands: &[Band]) -> Result<Vec<PlannedFile>, Error> {
    let secret = matches!(config.db.password, Password::Inline(_));
    let mut files = vec![
        file(
            layout.datasource_file(),
            datasource::render(config).map_err(Error::render("the datasource file"))?,
            secret,
        ),
        file(
            layout.provider_file(),
            provider::render(config, layout.dashboards_dir())
                .map_err(Error::render("the dashboard provider file"))?,
            false,
        ),
    ];
    for band in bands {
        files.push(file(
            layout.dashboard_file(band.id),
            dashboard::render(band, &config.zone)
                .map_err(Error::render(format!("the dashboard of user {}", band.id)))?,
            false,
        ));
    }
    files.push(file(
        layout.overview_file(),
        overview::render().map_err(Error::render("the overview dashboard"))?,
        false,
    ));
    files.push(file(
        layout.embedding_file(),
        embedding::render(&layout.grafana_ini())
            .map_err(Error::render("the embedding settings"))?,
        false,
    ));
    Ok(files)
}
