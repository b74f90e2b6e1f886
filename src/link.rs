//! The one seam between protocol logic and a radio: a connected GATT link to one band.
//!
//! The session drives a band only through this trait, so the same code runs over btleplug
//! (BlueZ) and over the in-process emulator; tests exercise the real session logic without
//! Bluetooth hardware.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use uuid::Uuid;

/// How a value is written (ATT Write Request vs Write Command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteKind {
    /// Acknowledged by the peer (`{"type": "request"}` in BlueZ).
    WithResponse,
    /// Fire and forget (`{"type": "command"}`).
    WithoutResponse,
}

/// A value the band notified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The characteristic.
    pub uuid: Uuid,
    /// Its new value.
    pub value: Vec<u8>,
}

/// Link failures, as the session needs to tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The connection is gone (band out of range, switched off, or dropped).
    #[error("link to the band was lost")]
    Disconnected,
    /// The band has no such characteristic.
    #[error("the band has no characteristic {0}")]
    NoCharacteristic(Uuid),
    /// The band refused the operation (e.g. before authentication).
    #[error("the band refused the operation: {0}")]
    Refused(String),
    /// Anything else the backend reported.
    #[error("BLE error: {0}")]
    Backend(String),
}

/// Notifications from every subscribed characteristic, in arrival order. The stream ends when
/// the link goes away.
pub type NotificationStream = Pin<Box<dyn Stream<Item = Notification> + Send>>;

/// A connected GATT link to one band.
#[async_trait]
pub trait Link: Send + Sync {
    /// Writes a characteristic value.
    async fn write(&self, uuid: Uuid, data: &[u8], kind: WriteKind) -> Result<(), LinkError>;
    /// Reads a characteristic value.
    async fn read(&self, uuid: Uuid) -> Result<Vec<u8>, LinkError>;
    /// Enables notifications (CCCD `01 00`).
    async fn subscribe(&self, uuid: Uuid) -> Result<(), LinkError>;
    /// Disables notifications (CCCD `00 00`).
    async fn unsubscribe(&self, uuid: Uuid) -> Result<(), LinkError>;
    /// A stream of notifications from every subscribed characteristic, from now on.
    async fn notifications(&self) -> Result<NotificationStream, LinkError>;
    /// Closes the connection.
    async fn disconnect(&self) -> Result<(), LinkError>;
    /// The name the band advertises ("Mi Smart Band 5"), which tells MB4 from MB5.
    async fn device_name(&self) -> Option<String> {
        None
    }
}
