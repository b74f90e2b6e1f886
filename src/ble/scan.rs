//! Listing the Mi Bands that advertise nearby. A band connected to a phone (or to another
//! program here) does not advertise, so it is not heard: only adverts received during this scan
//! count, not devices BlueZ remembers from earlier scans.

use std::collections::BTreeSet;
use std::time::Duration;

use btleplug::api::{Central as _, CentralEvent, Peripheral as _, ScanFilter};
use futures::StreamExt;
use serde::Serialize;

use super::central::{BleCentral, BleError};
use crate::mac::Mac;
use crate::protocol::uuids::HUAMI_COMPANY_ID;

/// A band heard advertising.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// Address, `AA:BB:CC:DD:EE:FF`.
    pub mac: Mac,
    /// Advertised name ("Mi Smart Band 4").
    pub name: Option<String>,
    /// Signal strength, dBm.
    pub rssi: Option<i16>,
}

/// Whether an advert is a Huami band: the Huami company id in the manufacturer data (MB4
/// listing, docs/protocol.md §1.3), or a name Gadgetbridge matches.
pub fn is_mi_band(name: Option<&str>, company_ids: &[u16]) -> bool {
    let named = name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.starts_with("mi smart band") || n.starts_with("mi band")
    });
    named || company_ids.contains(&HUAMI_COMPANY_ID)
}

impl BleCentral {
    /// Scans for `duration` and returns the Mi Bands heard, by address.
    pub async fn scan_bands(&self, duration: Duration) -> Result<Vec<Seen>, BleError> {
        let bus = |e: btleplug::Error| BleError::Bus(e.to_string());
        let _turn = self.scan_turn().lock().await;
        let adapter = self.adapter();
        // btleplug opens the event stream with a synthetic DeviceDiscovered for every device
        // BlueZ remembers, advertising or not: for those only a fresh advert (an RSSI or data
        // update) counts.
        let remembered: BTreeSet<_> = adapter
            .peripherals()
            .await
            .map_err(bus)?
            .iter()
            .map(|p| p.id())
            .collect();
        let mut events = adapter.events().await.map_err(bus)?;
        adapter
            .start_scan(ScanFilter::default())
            .await
            .map_err(bus)?;
        let mut heard = BTreeSet::new();
        let _ = tokio::time::timeout(duration, async {
            while let Some(ev) = events.next().await {
                match ev {
                    CentralEvent::DeviceDiscovered(id) if !remembered.contains(&id) => {
                        heard.insert(id);
                    }
                    CentralEvent::DeviceUpdated(id)
                    | CentralEvent::RssiUpdate { id, .. }
                    | CentralEvent::ManufacturerDataAdvertisement { id, .. }
                    | CentralEvent::ServiceDataAdvertisement { id, .. } => {
                        heard.insert(id);
                    }
                    _ => {}
                }
            }
        })
        .await;
        let _ = adapter.stop_scan().await;
        let mut out = Vec::new();
        for id in heard {
            let Ok(p) = adapter.peripheral(&id).await else {
                continue;
            };
            if p.is_connected().await.unwrap_or(false) {
                continue;
            }
            let Some(props) = p.properties().await.ok().flatten() else {
                continue;
            };
            let companies: Vec<u16> = props.manufacturer_data.keys().copied().collect();
            if !is_mi_band(props.local_name.as_deref(), &companies) {
                continue;
            }
            out.push(Seen {
                mac: Mac::new(p.address().into_inner()),
                name: props.local_name,
                rssi: props.rssi,
            });
        }
        out.sort_by_key(|s| s.mac);
        out.dedup_by(|a, b| a.mac == b.mac);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mi_bands_by_name_or_company() {
        assert!(is_mi_band(Some("Mi Smart Band 4"), &[]));
        assert!(is_mi_band(Some("MI Band 2"), &[]));
        assert!(is_mi_band(None, &[0x0157]));
        assert!(!is_mi_band(Some("JBL Flip 5"), &[0x0057]));
    }
}
