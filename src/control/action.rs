//! What a remote caller may ask of a band, and how the collector's worker carries it out once it
//! holds the radio for that band.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::link::Link;
use crate::protocol::key::AuthKey;
use crate::session::{Session, SessionOptions};

/// One action on one band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Make the band vibrate so it can be found.
    Find,
    /// Sync now: every scheduled job (history, battery, heart rate, clock) at once.
    SyncNow,
    /// One heart-rate measurement; the result is `{"bpm": N}` (`null` when not worn).
    HeartRate,
    /// Set the band's clock to the collector's time and zone.
    SetTime,
}

impl Action {
    /// Whether the worker runs this through a full scheduled sync rather than on its own.
    pub fn is_sync(&self) -> bool {
        matches!(self, Action::SyncNow)
    }
}

/// Carries out an action other than [`Action::SyncNow`] on a connected band: authenticates,
/// then does it. The result is what the job reports as `result`.
pub async fn execute(
    link: &dyn Link,
    key: &AuthKey,
    opts: SessionOptions,
    action: &Action,
) -> Result<serde_json::Value, String> {
    let mut s = Session::open(link, opts).await.map_err(|e| e.to_string())?;
    s.authenticate(key).await.map_err(|e| e.to_string())?;
    match action {
        Action::HeartRate => {
            let bpm = s.heart_rate().await.map_err(|e| e.to_string())?;
            Ok(serde_json::json!({ "bpm": bpm }))
        }
        Action::SetTime => {
            let tz = crate::collector::sync::local_tz_quarters();
            let c = s
                .sync_clock(chrono::Utc::now(), tz)
                .await
                .map_err(|e| e.to_string())?;
            Ok(serde_json::json!({
                "drift_seconds": c.drift.num_seconds(),
                "corrected": c.corrected,
            }))
        }
        Action::Find => Err("find is not supported by this build".into()),
        Action::SyncNow => Err("sync_now runs as a sync".into()),
    }
}
