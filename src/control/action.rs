//! How the collector's worker carries out a queued [`Action`] once it holds the radio for the
//! band: authenticate, then [`crate::action::perform`]. `sync_now` is not performed here: the
//! worker runs it as a full scheduled sync, since only the collector owns the store.

use crate::action::{perform, Action};
use crate::link::Link;
use crate::protocol::key::AuthKey;
use crate::session::{Session, SessionOptions};

/// Whether the worker runs this action as a full sync.
pub fn is_sync(action: &Action) -> bool {
    matches!(action, Action::SyncNow)
}

/// Carries out `action` (not `sync_now`) on a connected band; the result is the action's
/// outcome as JSON (what the job shows as `result`).
pub async fn execute(
    link: &dyn Link,
    key: &AuthKey,
    opts: SessionOptions,
    action: &Action,
) -> Result<serde_json::Value, String> {
    let mut s = Session::open(link, opts).await.map_err(|e| e.to_string())?;
    s.authenticate(key).await.map_err(|e| e.to_string())?;
    let outcome = perform(&mut s, action).await.map_err(|e| e.to_string())?;
    serde_json::to_value(outcome).map_err(|e| e.to_string())
}
