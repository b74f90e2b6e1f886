//! [`Link`] over a connected btleplug peripheral.

use async_trait::async_trait;
use btleplug::api::{Characteristic, Peripheral as _, WriteType};
use btleplug::platform::Peripheral;
use futures::StreamExt;
use uuid::Uuid;

use crate::link::{Link, LinkError, Notification, NotificationStream, WriteKind};

/// A connected band.
pub struct BtleLink {
    peripheral: Peripheral,
}

impl BtleLink {
    pub(super) fn new(peripheral: Peripheral) -> BtleLink {
        BtleLink { peripheral }
    }

    fn characteristic(&self, uuid: Uuid) -> Result<Characteristic, LinkError> {
        self.peripheral
            .characteristics()
            .into_iter()
            .find(|c| c.uuid == uuid)
            .ok_or(LinkError::NoCharacteristic(uuid))
    }
}

fn map(e: btleplug::Error) -> LinkError {
    match e {
        btleplug::Error::NotConnected | btleplug::Error::DeviceNotFound => LinkError::Disconnected,
        btleplug::Error::PermissionDenied => LinkError::Refused("permission denied".into()),
        other => {
            let text = other.to_string();
            // BlueZ reports a vanished link in words, not a variant.
            if text.contains("Not connected")
                || text.contains("not connected")
                || text.contains("Disconnected")
            {
                LinkError::Disconnected
            } else if text.contains("Not authorized") || text.contains("Not permitted") {
                LinkError::Refused(text)
            } else {
                LinkError::Backend(text)
            }
        }
    }
}

#[async_trait]
impl Link for BtleLink {
    async fn write(&self, uuid: Uuid, data: &[u8], kind: WriteKind) -> Result<(), LinkError> {
        let c = self.characteristic(uuid)?;
        let t = match kind {
            WriteKind::WithResponse => WriteType::WithResponse,
            WriteKind::WithoutResponse => WriteType::WithoutResponse,
        };
        self.peripheral.write(&c, data, t).await.map_err(map)
    }

    async fn read(&self, uuid: Uuid) -> Result<Vec<u8>, LinkError> {
        let c = self.characteristic(uuid)?;
        self.peripheral.read(&c).await.map_err(map)
    }

    async fn subscribe(&self, uuid: Uuid) -> Result<(), LinkError> {
        let c = self.characteristic(uuid)?;
        self.peripheral.subscribe(&c).await.map_err(map)
    }

    async fn unsubscribe(&self, uuid: Uuid) -> Result<(), LinkError> {
        let c = self.characteristic(uuid)?;
        self.peripheral.unsubscribe(&c).await.map_err(map)
    }

    async fn notifications(&self) -> Result<NotificationStream, LinkError> {
        let s = self.peripheral.notifications().await.map_err(map)?;
        Ok(Box::pin(s.map(|n| Notification {
            uuid: n.uuid,
            value: n.value,
        })))
    }

    async fn disconnect(&self) -> Result<(), LinkError> {
        self.peripheral.disconnect().await.map_err(map)
    }

    async fn device_name(&self) -> Option<String> {
        self.peripheral
            .properties()
            .await
            .ok()
            .flatten()?
            .local_name
    }
}
