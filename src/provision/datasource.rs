//! The datasource provisioning file: PostgreSQL (miband-dc's history) and Prometheus (the
//! collector's live values), rendered by `templates/datasources.yaml`.
//!
//! PostgreSQL uses the plugin id `grafana-postgresql-datasource` (Grafana ≥ 10.2.3) with
//! `jsonData.database` and `secureJsonData.password`, the only places Grafana 12 still reads
//! (docs/compatibility.md §4.1). With `DBPASSWORD_ENV` the file holds `$__env{VAR}` instead of the
//! password, and Grafana reads it from its own environment.

use super::conf::{Config, Password};
use super::uid::{self, PROMETHEUS_DATASOURCE_UID};
use askama::Template;

/// Grafana's PostgreSQL plugin id.
pub const POSTGRES_TYPE: &str = "grafana-postgresql-datasource";
/// Grafana's Prometheus plugin id.
pub const PROMETHEUS_TYPE: &str = "prometheus";
/// ARCO's datasource name, kept so upgrades update it in place.
pub const POSTGRES_NAME: &str = "MiBand DB";
/// Name of the Prometheus datasource.
pub const PROMETHEUS_NAME: &str = "MiBand Prometheus";

/// Template context of `datasources.yaml`.
#[derive(Debug, Template)]
#[template(path = "datasources.yaml")]
pub struct DatasourcesFile<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// UID of the PostgreSQL datasource.
    pub pg_uid: String,
    /// `host:port`, `[v6]:port` or a socket directory.
    pub pg_url: String,
}

/// Grafana's `url` for a PostgreSQL host: a socket directory is given as is, IPv6 addresses
/// get brackets.
pub fn postgres_url(host: &str, port: u16) -> String {
    if host.starts_with('/') {
        host.to_string()
    } else if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Renders the datasource file.
pub fn render(config: &Config) -> Result<String, askama::Error> {
    DatasourcesFile {
        config,
        pg_uid: uid::postgres_datasource_uid(),
        pg_url: postgres_url(&config.db.host, config.db.port),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(postgres_url("localhost", 5432), "localhost:5432");
        assert_eq!(postgres_url("::1", 5433), "[::1]:5433");
        assert_eq!(
            postgres_url("/var/run/postgresql", 5432),
            "/var/run/postgresql"
        );
    }
}
