//! Where links to bands come from: the real radio (btleplug) or emulated bands in-process
//! (`--simulate`). The collector only sees this trait.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::ble::{BleCentral, BleError};
use crate::emulator::link::EmulatedBand;
use crate::link::Link;
use crate::mac::Mac;

/// Why no link could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// The band was not seen.
    #[error("{0}")]
    NotFound(String),
    /// Anything else (adapter, bus, connect).
    #[error("{0}")]
    Failed(String),
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
        match self.central.connect(mac, self.scan_timeout).await {
            Ok(l) => Ok(Box::new(l)),
            Err(e @ BleError::NotFound { .. }) => Err(ConnectError::NotFound(e.to_string())),
            Err(e) => Err(ConnectError::Failed(e.to_string())),
        }
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
        let band = self.bands.get(&mac).ok_or_else(|| {
            ConnectError::NotFound(format!("band {mac} not found (no such emulated band)"))
        })?;
        match band.connect().await {
            Ok(l) => Ok(Box::new(l)),
            Err(e) => Err(ConnectError::NotFound(format!("band {mac}: {e}"))),
        }
    }
}
