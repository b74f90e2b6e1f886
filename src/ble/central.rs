//! Finding the adapter and the bands: scan until a MAC shows up, connect, discover services.
//! Errors say what a user can do about them (docs/protocol.md §7: phone still connected, adapter).

use std::sync::Arc;
use std::time::Duration;

use btleplug::api::{BDAddr, Central, CentralEvent, Manager as _, Peripheral as _, ScanFilter};
use btleplug::platform::{Adapter, Manager, Peripheral};
use futures::StreamExt;

use super::btleplug_link::BtleLink;
use crate::mac::Mac;

/// Failures of the BLE layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BleError {
    /// D-Bus or BlueZ could not be reached.
    #[error(
        "cannot reach BlueZ over D-Bus: {0} (is bluetoothd running, and may this user talk to it?)"
    )]
    Bus(String),
    /// No adapter at all, or not the one asked for.
    #[error("no Bluetooth adapter{}", .0.as_ref().map(|a| format!(" named {a}")).unwrap_or_default())]
    NoAdapter(Option<String>),
    /// The band did not show up in a scan.
    #[error("band {mac} not found within {secs} s: out of range, battery empty, or still connected to a phone (turn the phone's Bluetooth off)")]
    NotFound {
        /// The MAC.
        mac: Mac,
        /// How long we scanned.
        secs: u64,
    },
    /// Connecting or discovering services failed.
    #[error("connecting to {mac} failed: {detail}")]
    Connect {
        /// The MAC.
        mac: Mac,
        /// btleplug's words.
        detail: String,
    },
}

/// One Bluetooth adapter, ready to find and connect bands.
#[derive(Clone)]
pub struct BleCentral {
    adapter: Adapter,
    name: String,
    /// BlueZ allows one discovery session per client ("Operation already in progress" for a
    /// second StartDiscovery, and the first StopDiscovery ends it for both): scans by clones of
    /// this central (e.g. one task per band) take turns.
    scan: Arc<tokio::sync::Mutex<()>>,
}

impl BleCentral {
    /// Opens the adapter called `name` (e.g. `hci0`), or the first one. Bounded in time: a bus
    /// that does not answer is an error, not a hang.
    pub async fn open(name: Option<&str>, timeout: Duration) -> Result<BleCentral, BleError> {
        let fut = async {
            // libdbus connects and says Hello synchronously (up to 25 s on a bus that accepts
            // but does not answer): do that on a blocking thread so the timeout below holds.
            let rt = tokio::runtime::Handle::current();
            let manager = tokio::task::spawn_blocking(move || rt.block_on(Manager::new()))
                .await
                .map_err(|e| BleError::Bus(e.to_string()))?
                .map_err(|e| BleError::Bus(e.to_string()))?;
            let adapters = manager
                .adapters()
                .await
                .map_err(|e| BleError::Bus(e.to_string()))?;
            for adapter in adapters {
                let info = adapter.adapter_info().await.unwrap_or_default();
                let id = info.split_whitespace().next().unwrap_or("").to_string();
                if name.is_none_or(|n| n == id) {
                    return Ok(BleCentral {
                        adapter,
                        name: id,
                        scan: Arc::new(tokio::sync::Mutex::new(())),
                    });
                }
            }
            Err(BleError::NoAdapter(name.map(str::to_string)))
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| BleError::Bus(format!("no answer within {} s", timeout.as_secs())))?
    }

    /// The adapter's id (`hci0`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn adapter(&self) -> &Adapter {
        &self.adapter
    }

    pub(super) fn scan_turn(&self) -> &tokio::sync::Mutex<()> {
        &self.scan
    }

    /// Whether BlueZ already holds a connection to `mac` for another program on this machine
    /// (e.g. `miband-dc`): a band talks to one central at a time, and two programs sharing the
    /// connection would interleave their sessions.
    pub async fn held_elsewhere(&self, mac: Mac) -> bool {
        match self.known(BDAddr::from(*mac.as_bytes())).await {
            Some(p) => p.is_connected().await.unwrap_or(false),
            None => false,
        }
    }

    async fn known(&self, addr: BDAddr) -> Option<Peripheral> {
        self.adapter
            .peripherals()
            .await
            .ok()?
            .into_iter()
            .find(|p| p.address() == addr)
    }

    /// Scans until the band with `mac` is seen (or `timeout`), then connects and discovers its
    /// services.
    pub async fn connect(&self, mac: Mac, timeout: Duration) -> Result<BtleLink, BleError> {
        let addr = BDAddr::from(*mac.as_bytes());
        let bus = |e: btleplug::Error| BleError::Bus(e.to_string());
        let scan_turn = match self.known(addr).await {
            Some(_) => None,
            None => Some(self.scan.lock().await),
        };
        // Another task's scan may have found it while we waited for our turn.
        let peripheral = match self.known(addr).await {
            Some(p) => p,
            None => {
                let mut events = self.adapter.events().await.map_err(bus)?;
                self.adapter
                    .start_scan(ScanFilter::default())
                    .await
                    .map_err(bus)?;
                let found = tokio::time::timeout(timeout, async {
                    while let Some(ev) = events.next().await {
                        if let CentralEvent::DeviceDiscovered(id)
                        | CentralEvent::DeviceUpdated(id) = ev
                        {
                            if let Ok(p) = self.adapter.peripheral(&id).await {
                                if p.address() == addr {
                                    return Some(p);
                                }
                            }
                        }
                    }
                    None
                })
                .await
                .ok()
                .flatten();
                let _ = self.adapter.stop_scan().await;
                match found {
                    Some(p) => p,
                    None => self.known(addr).await.ok_or(BleError::NotFound {
                        mac,
                        secs: timeout.as_secs(),
                    })?,
                }
            }
        };
        drop(scan_turn);
        let err = |e: btleplug::Error| BleError::Connect {
            mac,
            detail: e.to_string(),
        };
        if !peripheral.is_connected().await.unwrap_or(false) {
            tokio::time::timeout(timeout, peripheral.connect())
                .await
                .map_err(|_| BleError::Connect {
                    mac,
                    detail: "timed out".into(),
                })?
                .map_err(err)?;
        }
        peripheral.discover_services().await.map_err(err)?;
        Ok(BtleLink::new(self.adapter.clone(), peripheral))
    }
}
