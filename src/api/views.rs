//! What the API shows of a band: the collector's metrics state (readings, up/down, last sync)
//! joined with what the control state learned (model, firmware, how the last attempt ended).

use std::path::Path;

use serde::Serialize;
use utoipa::ToSchema;

use crate::control::{Control, Outcome};
use crate::mac::Mac;
use crate::metrics::snapshot::{BandSnapshot, MetricsState};
use crate::provision::uid;

/// One band at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BandView {
    /// Bluetooth address, upper case.
    pub mac: String,
    /// The id from devices.csv.
    pub id: String,
    /// The display name (the id when devices.csv gives none).
    pub name: String,
    /// "User N", as dashboards and the mirror call the band's wearer.
    pub user: String,
    /// "Mi Band 4" or "Mi Band 5", once the band was reached.
    pub model: Option<String>,
    /// Firmware revision, once read.
    pub firmware: Option<String>,
    /// Whether the last connection attempt succeeded.
    pub up: bool,
    /// Battery level in percent (only while up).
    pub battery_percent: Option<u8>,
    /// Whether the band is on its charger (only while up).
    pub charging: Option<bool>,
    /// Steps since local midnight (only while up).
    pub steps: Option<u32>,
    /// Distance since local midnight, meters (only while up).
    pub distance_m: Option<u32>,
    /// Energy since local midnight, kcal (only while up).
    pub calories_kcal: Option<u32>,
    /// Latest heart-rate measurement (only while up).
    pub heart_rate_bpm: Option<u8>,
    /// When the last complete sync ended (RFC 3339).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_sync: Option<chrono::DateTime<chrono::Utc>>,
    /// How the last attempt (sync or action) ended.
    pub last_outcome: Option<Outcome>,
    /// Jobs waiting for this band.
    pub queued_jobs: usize,
    /// The band's Grafana dashboard, when miband-grafana's configuration is present.
    pub dashboard_url: Option<String>,
}

/// An error, for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiError {
    /// What went wrong and what was expected.
    pub error: String,
}

/// Where the Grafana dashboards are, from miband-grafana's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrafanaLinks {
    /// Grafana as browsers reach it, no trailing slash.
    pub public_url: String,
    /// Organisation id.
    pub org_id: u32,
}

impl GrafanaLinks {
    /// Reads miband-grafana's configuration; `None` when it is absent or invalid (the page then
    /// has no dashboard links, which is all it loses).
    pub fn load(path: &Path) -> Option<GrafanaLinks> {
        if !path.exists() {
            return None;
        }
        match crate::provision::conf::load(path) {
            Ok(c) => Some(GrafanaLinks {
                public_url: c.public_url,
                org_id: c.org_id,
            }),
            Err(e) => {
                tracing::warn!("no Grafana links on the page: {e}");
                None
            }
        }
    }

    /// The dashboard of the band with this devices.csv id (numeric ids only: dashboards are
    /// per `mibandrecord` id, which ARCO's devices.csv ids are).
    pub fn band_url(&self, id: &str) -> Option<String> {
        let id: i32 = id.trim().parse().ok()?;
        Some(format!(
            "{}/d/{}/{}?orgId={}",
            self.public_url,
            uid::dashboard_uid(id),
            uid::dashboard_slug(id),
            self.org_id
        ))
    }

    /// The live overview dashboard.
    pub fn overview_url(&self) -> String {
        format!(
            "{}/d/{}/{}?orgId={}",
            self.public_url,
            uid::OVERVIEW_UID,
            uid::slugify("Mi Band Overview"),
            self.org_id
        )
    }
}

fn view(b: &BandSnapshot, control: &Control, grafana: Option<&GrafanaLinks>) -> BandView {
    let info = control.info(b.labels.mac);
    let r = &b.readings;
    BandView {
        mac: b.labels.mac.to_string(),
        id: b.labels.id.clone(),
        name: b.labels.name.clone(),
        user: format!("User {}", b.labels.id),
        model: info.model,
        firmware: info.firmware,
        up: b.up,
        battery_percent: r.battery_level_percent,
        charging: r.charging,
        steps: r.steps,
        distance_m: r.meters,
        calories_kcal: r.kcal,
        heart_rate_bpm: r.heart_rate_bpm,
        last_sync: b.last_sync.map(Into::into),
        last_outcome: info.last_outcome,
        queued_jobs: control.queued_count(b.labels.mac),
        dashboard_url: grafana.and_then(|g| g.band_url(&b.labels.id)),
    }
}

/// Every band, ordered by MAC.
pub fn bands(
    metrics: &MetricsState,
    control: &Control,
    grafana: Option<&GrafanaLinks>,
) -> Vec<BandView> {
    metrics
        .snapshot()
        .bands
        .iter()
        .map(|b| view(b, control, grafana))
        .collect()
}

/// One band.
pub fn band(
    metrics: &MetricsState,
    control: &Control,
    grafana: Option<&GrafanaLinks>,
    mac: Mac,
) -> Option<BandView> {
    metrics
        .snapshot()
        .bands
        .iter()
        .find(|b| b.labels.mac == mac)
        .map(|b| view(b, control, grafana))
}
