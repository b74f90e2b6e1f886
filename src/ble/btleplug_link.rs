//! [`Link`] over a connected btleplug peripheral.

use async_trait::async_trait;
use btleplug::api::{Central as _, CentralEvent, Characteristic, Peripheral as _, WriteType};
use btleplug::platform::{Adapter, Peripheral};
use futures::stream::{self, PollNext};
use futures::StreamExt;
use uuid::Uuid;

use crate::link::{Link, LinkError, Notification, NotificationStream, WriteKind};

/// A connected band.
pub struct BtleLink {
    adapter: Adapter,
    peripheral: Peripheral,
}

impl BtleLink {
    pub(super) fn new(adapter: Adapter, peripheral: Peripheral) -> BtleLink {
        BtleLink {
            adapter,
            peripheral,
        }
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
            // btleplug hands over BlueZ's error text, not its name: "Not connected" (GATT
            // calls), "Not Connected" (Device1.Disconnect), "Operation Not Authorized",
            // "Write not permitted".
            let lower = text.to_ascii_lowercase();
            if lower.contains("not connected") || lower.contains("disconnected") {
                LinkError::Disconnected
            } else if lower.contains("not authorized") || lower.contains("not permitted") {
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

    /// BlueZ keeps a client's notify sessions across reconnects; older versions answer a second
    /// StartNotify from the same client with "Already notifying", which means what we wanted.
    async fn subscribe(&self, uuid: Uuid) -> Result<(), LinkError> {
        let c = self.characteristic(uuid)?;
        match self.peripheral.subscribe(&c).await {
            Err(e) if e.to_string().contains("Already notifying") => Ok(()),
            r => r.map_err(map),
        }
    }

    async fn unsubscribe(&self, uuid: Uuid) -> Result<(), LinkError> {
        let c = self.characteristic(uuid)?;
        self.peripheral.unsubscribe(&c).await.map_err(map)
    }

    /// Ends when BlueZ reports the device disconnected, so a dropped link is noticed at once
    /// rather than after a reply timeout. Notifications already received are delivered first.
    async fn notifications(&self) -> Result<NotificationStream, LinkError> {
        let id = self.peripheral.id();
        let gone = self
            .adapter
            .events()
            .await
            .map_err(map)?
            .filter(move |e| {
                let hit = matches!(e, CentralEvent::DeviceDisconnected(d) if *d == id);
                futures::future::ready(hit)
            })
            .map(|_| None);
        let values = self
            .peripheral
            .notifications()
            .await
            .map_err(map)?
            .map(|n| {
                Some(Notification {
                    uuid: n.uuid,
                    value: n.value,
                })
            });
        let both = stream::select_with_strategy(values, gone, |_: &mut ()| PollNext::Left);
        Ok(Box::pin(
            both.take_while(|n| futures::future::ready(n.is_some()))
                .filter_map(futures::future::ready),
        ))
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
