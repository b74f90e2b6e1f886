//! The public face of the emulated BlueZ: start it on a bus with some bands, reach the bands to
//! take them out of range or inject faults, stop it.
//!
//! ```no_run
//! # async fn demo(bands: Vec<miband::emulator::link::EmulatedBand>) -> anyhow::Result<()> {
//! use miband::bluez::{Emulator, EmulatorConfig, PrivateBus};
//! let bus = PrivateBus::start()?;
//! let emu = Emulator::start(bus.address(), EmulatorConfig::new(bands)).await?;
//! // Point btleplug, bluetoothctl or miband-dc at it: DBUS_SYSTEM_BUS_ADDRESS=<bus.address()>
//! emu.band("C8:0F:10:00:00:01".parse()?).unwrap().set_present(false);
//! emu.stop().await;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::adapter::AdapterState;
use super::connection;
use super::device::DeviceState;
use super::server::{BluezState, ServeError, Server};
use crate::emulator::link::EmulatedBand;
use crate::mac::Mac;

/// What to emulate.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Adapter names (`hci0`, `hci1`, ...). Empty: a BlueZ without any controller.
    pub adapters: Vec<String>,
    /// The bands in the room; every adapter can hear every band that is present.
    pub bands: Vec<EmulatedBand>,
    /// How often a scanning adapter hears each band's advertisement.
    pub advertise_interval: Duration,
}

impl EmulatorConfig {
    /// One adapter, `hci0`, hearing these bands twice a second.
    pub fn new(bands: Vec<EmulatedBand>) -> EmulatorConfig {
        EmulatorConfig {
            adapters: vec!["hci0".to_string()],
            bands,
            advertise_interval: Duration::from_millis(500),
        }
    }
}

/// Why the emulator did not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmulatorError {
    /// The bus could not be used.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// Two bands with one address.
    #[error("two emulated bands have the address {0}")]
    DuplicateBand(Mac),
    /// An adapter name that cannot be a D-Bus path element.
    #[error("adapter name {0:?} is not valid (use letters, digits and _; e.g. hci0)")]
    BadAdapterName(String),
}

/// A running emulated BlueZ. Dropping it stops the service.
pub struct Emulator {
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
    bands: Vec<EmulatedBand>,
    address: String,
}

fn adapter_address(index: usize) -> String {
    format!("00:1A:7D:DA:71:{:02X}", 0x10 + index % 0xf0)
}

impl Emulator {
    /// Connects to the bus at `bus_address`, owns `org.bluez` there and serves until stopped.
    pub async fn start(
        bus_address: &str,
        config: EmulatorConfig,
    ) -> Result<Emulator, EmulatorError> {
        let macs: Vec<Mac> = config
            .bands
            .iter()
            .map(|b| b.with_band(|b| b.options().mac))
            .collect();
        for (i, m) in macs.iter().enumerate() {
            if macs[..i].contains(m) {
                return Err(EmulatorError::DuplicateBand(*m));
            }
        }
        for name in &config.adapters {
            let ok =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(EmulatorError::BadAdapterName(name.clone()));
            }
        }
        let mut queues = Vec::new();
        let adapters = config
            .adapters
            .iter()
            .enumerate()
            .map(|(ai, name)| {
                let devices = config
                    .bands
                    .iter()
                    .enumerate()
                    .map(|(di, band)| {
                        let (tx, rx) = mpsc::unbounded_channel();
                        queues.push((ai, di, band.clone(), rx));
                        let (mac, model, mtu) = band
                            .with_band(|b| (b.options().mac, b.options().model, b.options().mtu));
                        DeviceState {
                            band: band.clone(),
                            mac,
                            model,
                            mtu: u16::try_from(mtu).unwrap_or(u16::MAX),
                            path: format!(
                                "/org/bluez/{name}/dev_{}",
                                mac.to_string().replace(':', "_")
                            ),
                            exported: false,
                            connected: false,
                            resolved: false,
                            rssi: None,
                            trusted: false,
                            blocked: false,
                            alias: None,
                            gatt: None,
                            ops: tx,
                        }
                    })
                    .collect();
                AdapterState {
                    name: name.clone(),
                    address: adapter_address(ai),
                    alias: "miband-emulator".to_string(),
                    powered: true,
                    discoverable: false,
                    pairable: true,
                    filters: Default::default(),
                    sessions: Default::default(),
                    scan_generation: 0,
                    devices,
                }
            })
            .collect();
        let state = BluezState {
            adapters,
            advertise_interval: config.advertise_interval,
        };
        let server = Server::start(bus_address, state).await?;
        let workers = queues
            .into_iter()
            .map(|(ai, di, band, rx)| connection::spawn(server.clone(), ai, di, band, rx))
            .collect();
        tracing::info!(
            bus = bus_address,
            adapters = config.adapters.len(),
            bands = config.bands.len(),
            "emulated BlueZ owns org.bluez"
        );
        Ok(Emulator {
            server,
            workers,
            bands: config.bands,
            address: bus_address.to_string(),
        })
    }

    /// The band with this address, to take it out of range (`set_present(false)`), add faults
    /// (`with_band(|b| b.faults_mut()...)`) or inspect it.
    pub fn band(&self, mac: Mac) -> Option<&EmulatedBand> {
        self.bands
            .iter()
            .find(|b| b.with_band(|b| b.options().mac) == mac)
    }

    /// All bands, in configuration order.
    pub fn bands(&self) -> &[EmulatedBand] {
        &self.bands
    }

    /// The bus it serves on.
    pub fn bus_address(&self) -> &str {
        &self.address
    }

    /// Whether the service is still on the bus (false once the bus went away).
    pub fn is_running(&self) -> bool {
        self.server.is_running()
    }

    /// Leaves the bus: gives up `org.bluez` (clients see BlueZ vanish at once) and drops every
    /// connection to the bands.
    pub async fn stop(self) {
        let s = self.server.clone();
        let _ = tokio::task::spawn_blocking(move || s.shut_down(true)).await;
        // Drop runs next and ends the tasks.
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Without a release the name goes with the connection, which closes with the server.
        self.server.shut_down(false);
        for w in &self.workers {
            w.abort();
        }
    }
}
