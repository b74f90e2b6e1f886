//! `-r`: removes exactly what `-u` wrote (per the manifest), dashboards first so a configured
//! Grafana can drop them while their provider still exists, then the provider, datasource and
//! our own files, the manifest, and the directories `-u` created if they are empty. Grafana
//! keeps provisioned datasources in its database; the report says so.

use super::conf::Config;
use super::error::Error;
use super::files;
use super::paths::Layout;
use super::reload::{Provisioning, ReloadError};
use super::update::{load_manifest, reload_all};
use std::path::PathBuf;

/// What `-r` did.
#[derive(Debug, Default)]
pub struct ResetReport {
    /// There was no manifest: nothing to do.
    pub nothing: bool,
    /// Files removed (system paths).
    pub removed: Vec<PathBuf>,
    /// Files the manifest listed that were already gone.
    pub missing: Vec<PathBuf>,
    /// Reloads done.
    pub reloaded: Vec<(Provisioning, String)>,
    /// A reload that failed.
    pub reload_error: Option<ReloadError>,
}

/// Runs `-r`. `config` (for reloading Grafana) may be absent.
pub fn reset(config: Option<&Config>, layout: &Layout) -> Result<ResetReport, Error> {
    let Some(manifest) = load_manifest(layout)? else {
        return Ok(ResetReport {
            nothing: true,
            ..ResetReport::default()
        });
    };
    let mut report = ResetReport::default();
    let (dashboards, others): (Vec<_>, Vec<_>) = manifest
        .files
        .iter()
        .partition(|p| p.starts_with(layout.dashboards_dir()));
    let remove = |paths: Vec<&PathBuf>, report: &mut ResetReport| -> Result<(), Error> {
        for p in paths {
            let host = layout.host(p);
            if files::remove(&host).map_err(Error::io(&host))? {
                report.removed.push(p.clone());
            } else {
                report.missing.push(p.clone());
            }
        }
        Ok(())
    };
    remove(dashboards, &mut report)?;
    if let Some(config) = config {
        let (done, err) = reload_all(config, &[Provisioning::Dashboards]);
        report.reloaded = done;
        report.reload_error = err;
    }
    remove(others, &mut report)?;
    let manifest_path = layout.host(&layout.manifest_file());
    files::remove(&manifest_path).map_err(Error::io(&manifest_path))?;
    for dir in manifest.created_dirs.iter().rev() {
        // Only empty ones: anything else in them is not ours.
        let _ = std::fs::remove_dir(layout.host(dir));
    }
    Ok(report)
}
