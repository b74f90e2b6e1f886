//! Where links to bands come from: the real radio (btleplug) or emulated bands in-process
//! (`--simulate`). The collector only sees this trait.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::ble::{BleCentral, BleError};
use crate::emulator::link::EmulatedBand;
use crate::link::{Link, LinkError};
use crate::mac::Mac;

/// Why no link could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// Over BlueZ: not seen in a scan, or the adapter, bus or connect failed.
    #[error(transparent)]
    Ble(#[from] BleError),
    /// `--simulate`: no emulated band has this address.
    #[error("band {0} not found (no such emulated band)")]
    NoSuchBand(Mac),
    /// `--simulate`: the emulated band refused (out of range, already connected).
    #[error("band {mac}: {source}")]
    Emulated {
        /// The band.
        mac: Mac,
        /// What the emulated link said.
        source: LinkError,
    },
}

/// A source of links.
#[async_trait]
pub trait Radio: Send + Sync {
    /// Connects to the band with this MAC.
    async fn connect(&self, mac: Mac) -> Result<Box<dyn Link>, ConnectError>;
}

/// Bands over BlueZ.
pub struct BleRadio {
    central: BleCentral,
    scan_timeout: Duration,
}

impl BleRadio {
    /// Uses this adapter; scans up to `scan_timeout` for each band.
    pub fn new(central: BleCentral, scan_timeout: Duration) -> BleRadio {
        BleRadio {
            central,
            scan_timeout,
        }
    }
}

#[async_trait]
impl Radio for BleRadio {
    async fn connect(&self, mac: Mac) -> Result<Box<dyn Link>, ConnectError> {
        let link = self.central.connect(mac, self.scan_timeout).await?;
        Ok(Box::new(link))
    }
}

/// Emulated bands, by MAC.
#[derive(Clone, Default)]
pub struct SimRadio {
    bands: HashMap<Mac, EmulatedBand>,
}

impl SimRadio {
    /// A radio that reaches exactly these bands.
    pub fn new(bands: HashMap<Mac, EmulatedBand>) -> SimRadio {
        SimRadio { bands }
    }

    /// The emulated band with this MAC.
    pub fn band(&self, mac: Mac) -> Option<&EmulatedBand> {
        self.bands.get(&mac)
    }
}

#[async_trait]
impl Radio for SimRadio {
    async fn connect(&self, mac: Mac) -> Result<Box<dyn Link>, ConnectError> {
        let band = self.bands.get(&mac).ok_or(ConnectError::NoSuchBand(mac))?;
        match band.connect().await {
            Ok(l) => Ok(Box::new(l)),
            Err(source) => Err(ConnectError::Emulated { mac, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unknown_emulated_band_is_a_typed_error_with_the_old_message() {
        let mac: Mac = "C2:00:5E:00:00:09".parse().unwrap();
        let e = match SimRadio::default().connect(mac).await {
            Err(e) => e,
            Ok(_) => panic!("connected to a band that does not exist"),
        };
        assert_eq!(e, ConnectError::NoSuchBand(mac));
        assert_eq!(
            e.to_string(),
            "band C2:00:5E:00:00:09 not found (no such emulated band)"
        );
    }
}
