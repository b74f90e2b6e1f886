//! Where things live. Every path has two forms: the *system* path Grafana sees (written into the
//! provider file and the manifest) and the *host* path we read and write, which is the system
//! path under `--root` — so tests and packagers never touch the real system.

use std::path::{Path, PathBuf};

/// Grafana's Debian layout and ARCO's file names.
pub mod defaults {
    /// Our configuration file.
    pub const CONFIG: &str = "/etc/miband-grafana/configuration.conf";
    /// Grafana's provisioning directory (`[paths] provisioning`).
    pub const PROVISIONING: &str = "/etc/grafana/provisioning";
    /// Where the dashboard provider reads dashboards from.
    pub const DASHBOARDS: &str = "/var/lib/grafana/dashboards";
    /// Our state: the manifest of what `-u` wrote.
    pub const STATE: &str = "/var/lib/miband-grafana";
    /// Grafana's own settings, read (never written) to check embedding.
    pub const GRAFANA_INI: &str = "/etc/grafana/grafana.ini";
}

/// The resolved set of locations for one run.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
    config: PathBuf,
    provisioning: PathBuf,
    dashboards: PathBuf,
}

impl Layout {
    /// Builds the layout. `config`, when given, is used as is (it is the user's own file);
    /// the default configuration path and all Grafana paths are placed under `root`.
    pub fn new(
        root: Option<&Path>,
        config: Option<&Path>,
        provisioning: Option<&Path>,
        dashboards: Option<&Path>,
    ) -> Layout {
        let root = root.map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        let mut l = Layout {
            root,
            config: PathBuf::new(),
            provisioning: provisioning.map_or_else(|| defaults::PROVISIONING.into(), Into::into),
            dashboards: dashboards.map_or_else(|| defaults::DASHBOARDS.into(), Into::into),
        };
        l.config = match config {
            Some(c) => c.to_path_buf(),
            None => l.host(Path::new(defaults::CONFIG)),
        };
        l
    }

    /// The host path of a system path.
    pub fn host(&self, system: &Path) -> PathBuf {
        let relative = system.strip_prefix("/").unwrap_or(system);
        self.root.join(relative)
    }

    /// The system path of a host path under the root (the inverse of [`Layout::host`]).
    pub fn system(&self, host: &Path) -> PathBuf {
        match host.strip_prefix(&self.root) {
            Ok(rel) => Path::new("/").join(rel),
            Err(_) => host.to_path_buf(),
        }
    }

    /// The root every system path is under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The configuration file (host path).
    pub fn config_file(&self) -> &Path {
        &self.config
    }

    /// Datasource provisioning file (system path).
    pub fn datasource_file(&self) -> PathBuf {
        self.provisioning
            .join("datasources")
            .join(super::uid::PROVISIONING_FILE)
    }

    /// Dashboard provider file (system path).
    pub fn provider_file(&self) -> PathBuf {
        self.provisioning
            .join("dashboards")
            .join(super::uid::PROVISIONING_FILE)
    }

    /// The dashboards directory (system path).
    pub fn dashboards_dir(&self) -> &Path {
        &self.dashboards
    }

    /// The dashboard of band `id` (system path).
    pub fn dashboard_file(&self, id: i32) -> PathBuf {
        self.dashboards.join(super::uid::dashboard_file_name(id))
    }

    /// The overview dashboard (system path).
    pub fn overview_file(&self) -> PathBuf {
        self.dashboards.join(super::uid::OVERVIEW_FILE)
    }

    /// The grafana.ini lines embedding needs, written for the admin to merge (system path).
    pub fn embedding_file(&self) -> PathBuf {
        PathBuf::from("/etc/miband-grafana/grafana-embedding.ini")
    }

    /// The manifest of what `-u` wrote (system path).
    pub fn manifest_file(&self) -> PathBuf {
        Path::new(defaults::STATE).join("provisioned.json")
    }

    /// Grafana's settings file (system path).
    pub fn grafana_ini(&self) -> PathBuf {
        PathBuf::from(defaults::GRAFANA_INI)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout_is_debians() {
        let l = Layout::new(None, None, None, None);
        assert_eq!(
            l.config_file(),
            Path::new("/etc/miband-grafana/configuration.conf")
        );
        assert_eq!(
            l.host(&l.datasource_file()),
            Path::new("/etc/grafana/provisioning/datasources/miband-grafana.yaml")
        );
        assert_eq!(
            l.provider_file(),
            Path::new("/etc/grafana/provisioning/dashboards/miband-grafana.yaml")
        );
        assert_eq!(
            l.dashboard_file(3),
            Path::new("/var/lib/grafana/dashboards/miband-grafana_dev3.json")
        );
    }

    #[test]
    fn root_prefixes_system_paths_but_not_an_explicit_config() {
        let l = Layout::new(Some(Path::new("/tmp/r")), None, None, None);
        assert_eq!(
            l.config_file(),
            Path::new("/tmp/r/etc/miband-grafana/configuration.conf")
        );
        assert_eq!(
            l.host(&l.dashboard_file(1)),
            Path::new("/tmp/r/var/lib/grafana/dashboards/miband-grafana_dev1.json")
        );
        let l = Layout::new(
            Some(Path::new("/tmp/r")),
            Some(Path::new("my.conf")),
            None,
            None,
        );
        assert_eq!(l.config_file(), Path::new("my.conf"));
    }
}
