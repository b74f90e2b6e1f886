//! Asking a running Grafana to re-read its provisioning files
//! (`POST /api/admin/provisioning/{datasources,dashboards}/reload`, basic auth as a server
//! admin; docs/compatibility.md §4.2) instead of restarting it as ARCO did.

use super::conf::GrafanaAdmin;
use super::secret::Secret;
use base64::Engine;
use std::time::Duration;

/// What to reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioning {
    /// Datasource files (otherwise read only at start).
    Datasources,
    /// Dashboard providers and their files.
    Dashboards,
}

impl Provisioning {
    /// The path segment of the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Provisioning::Datasources => "datasources",
            Provisioning::Dashboards => "dashboards",
        }
    }
}

/// Why a reload failed. Never carries the password.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// Wrong credentials or not a server admin.
    #[error("Grafana at {url} refused {user} (HTTP {status}): the reload API needs a Grafana server admin (GRAFANA_USER/GRAFANA_PASSWORD)")]
    Refused {
        /// Base URL.
        url: String,
        /// Login.
        user: String,
        /// HTTP status.
        status: u16,
    },
    /// Any other HTTP error.
    #[error("Grafana at {url} answered HTTP {status} to the {what} reload: {body}")]
    Status {
        /// Base URL.
        url: String,
        /// What was reloaded.
        what: &'static str,
        /// HTTP status.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// The admin password's environment variable is not set.
    #[error("cannot reload Grafana at {url}: {detail}")]
    Credentials {
        /// Base URL.
        url: String,
        /// What is missing.
        detail: String,
    },
    /// No connection.
    #[error("cannot reach Grafana at {url}: {detail}")]
    Unreachable {
        /// Base URL.
        url: String,
        /// Why.
        detail: String,
    },
}

/// Asks Grafana to reload `what`; returns Grafana's message.
pub fn reload(
    admin: &GrafanaAdmin,
    password: &Secret,
    what: Provisioning,
) -> Result<String, ReloadError> {
    let url = format!(
        "{}/api/admin/provisioning/{}/reload",
        admin.url,
        what.as_str()
    );
    tracing::debug!(%url, user = %admin.user, "asking Grafana to reload");
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        admin.user,
        password.expose()
    ));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into();
    let unreachable = |e: ureq::Error| ReloadError::Unreachable {
        url: admin.url.clone(),
        detail: e.to_string(),
    };
    let mut response = agent
        .post(&url)
        .header("Authorization", &format!("Basic {credentials}"))
        .header("Accept", "application/json")
        .send_empty()
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    match status {
        200..=299 => Ok(serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{} reloaded", what.as_str()))),
        401 | 403 => Err(ReloadError::Refused {
            url: admin.url.clone(),
            user: admin.user.clone(),
            status,
        }),
        _ => Err(ReloadError::Status {
            url: admin.url.clone(),
            what: what.as_str(),
            status,
            body: body.chars().take(200).collect(),
        }),
    }
}
