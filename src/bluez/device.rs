//! `org.bluez.Device1`: one emulated band as one adapter sees it. The state here is what D-Bus
//! shows (Connected, ServicesResolved, RSSI, the GATT objects); the connection itself lives in the
//! device's worker ([`super::connection`]), which every Connect/Disconnect/GATT call goes through
//! in arrival order, as BlueZ serialises ATT requests on one bearer.

use std::collections::HashMap;
use std::sync::Arc;

use dbus::arg::{cast, PropMap, RefArg};
use tokio::sync::mpsc::UnboundedSender;

use super::connection::{DeviceOp, Request};
use super::errors::BluezError;
use super::gatt::{self, GattTree};
use super::props::{manufacturer_data, one, path, prop};
use super::server::{Handled, Server};
use crate::emulator::link::EmulatedBand;
use crate::emulator::model::Model;
use crate::mac::Mac;

/// The interface name.
pub(crate) const IFACE: &str = "org.bluez.Device1";

/// Huami's Bluetooth SIG company id (docs/protocol.md §1.3).
const HUAMI: u16 = 0x0157;

/// One band as seen by one adapter.
pub(crate) struct DeviceState {
    /// The band.
    pub band: EmulatedBand,
    /// Its address.
    pub mac: Mac,
    /// Its model (name, PnP id).
    pub model: Model,
    /// ATT MTU the band uses.
    pub mtu: u16,
    /// Object path.
    pub path: String,
    /// Whether the object exists (after the first discovery).
    pub exported: bool,
    /// Link up.
    pub connected: bool,
    /// GATT objects exported and ready.
    pub resolved: bool,
    /// Last RSSI heard.
    pub rssi: Option<i16>,
    /// Settable flags.
    pub trusted: bool,
    /// Settable flags.
    pub blocked: bool,
    /// User-set alias.
    pub alias: Option<String>,
    /// GATT objects, kept after a disconnect like BlueZ's attribute cache.
    pub gatt: Option<GattTree>,
    /// The worker's queue.
    pub ops: UnboundedSender<DeviceOp>,
}

impl DeviceState {
    /// Hands an operation to the worker (which is gone only when the emulator stops).
    pub fn enqueue(&self, op: DeviceOp) {
        let _ = self.ops.send(op);
    }

    /// The advertised service UUIDs (before connecting, a band announces its main service).
    pub fn advertised_uuids(&self) -> Vec<String> {
        vec![crate::protocol::uuids::SERVICE_MIBAND1.to_string()]
    }

    /// RSSI of the advert heard on scan tick `tick`: a steady level per band with a little
    /// deterministic fading, so scans look alive but runs are reproducible.
    pub fn rssi_at(&self, tick: u32) -> i16 {
        let base = -55 - i16::from(self.mac.as_bytes()[5] % 20);
        base - [0i16, 2, 5, 3, 1, 4][(tick % 6) as usize]
    }

    /// ManufacturerData as a real MB4 advertises it: `02`, sixteen `ff`, `02`, then the MAC
    /// (janvda/miband4 README.miband4.gatt.md, bluetoothctl `info`).
    pub fn manufacturer_data(&self) -> HashMap<u16, dbus::arg::Variant<Box<dyn RefArg>>> {
        let mut v = vec![0x02];
        v.extend([0xff; 16]);
        v.push(0x02);
        v.extend(self.mac.as_bytes());
        manufacturer_data(HUAMI, v)
    }

    fn uuids(&self) -> Vec<String> {
        let mut u = self.advertised_uuids();
        if let (true, Some(g)) = (self.resolved, &self.gatt) {
            u.extend(g.service_uuids().iter().map(|x| x.to_string()));
        }
        u.sort();
        u.dedup();
        u
    }

    /// Device1 properties: all that btleplug requires (else it silently drops the device) and
    /// what bluetoothctl `info` prints.
    pub fn props(&self, adapter_path: &str) -> PropMap {
        let name = self.model.name().to_string();
        let mut p = PropMap::new();
        p.insert("Address".into(), prop(self.mac.to_string()));
        p.insert("AddressType".into(), prop("public".to_string()));
        p.insert("Name".into(), prop(name.clone()));
        p.insert("Alias".into(), prop(self.alias.clone().unwrap_or(name)));
        p.insert("Paired".into(), prop(false));
        p.insert("Bonded".into(), prop(false));
        p.insert("Trusted".into(), prop(self.trusted));
        p.insert("Blocked".into(), prop(self.blocked));
        p.insert("LegacyPairing".into(), prop(false));
        if let Some(r) = self.rssi {
            p.insert("RSSI".into(), prop(r));
        }
        p.insert("Connected".into(), prop(self.connected));
        p.insert("UUIDs".into(), prop(self.uuids()));
        p.insert("Adapter".into(), prop(path(adapter_path)));
        p.insert("ManufacturerData".into(), prop(self.manufacturer_data()));
        p.insert("ServicesResolved".into(), prop(self.resolved));
        if self.resolved {
            // Read from the Device Information PnP ID once services are resolved.
            let pnp = self.model.pnp_id();
            let alias = format!(
                "bluetooth:v{:04X}p{:04X}d{:04X}",
                pnp.vendor, pnp.product, pnp.version
            );
            p.insert("Modalias".into(), prop(alias));
        }
        p
    }

    /// The interfaces (with properties) of the device object, for InterfacesAdded.
    pub fn interfaces(&self, adapter_path: &str) -> HashMap<String, PropMap> {
        let mut m = HashMap::new();
        m.insert(IFACE.to_string(), self.props(adapter_path));
        m.insert(super::server::PROPERTIES.to_string(), PropMap::new());
        m.insert(super::server::INTROSPECTABLE.to_string(), PropMap::new());
        m
    }

    /// Properties once services are resolved (for the ServicesResolved signal).
    pub fn resolved_changes(&self) -> PropMap {
        let mut changed = one("UUIDs", self.uuids());
        if let Some(m) = self.props("/").remove("Modalias") {
            changed.insert("Modalias".into(), m);
        }
        changed.insert("ServicesResolved".into(), prop(true));
        changed
    }

    /// Every GATT object path with its interface, parents first.
    pub fn gatt_objects(&self) -> Vec<(String, &'static str, PropMap)> {
        let mut out = Vec::new();
        let Some(t) = &self.gatt else {
            return out;
        };
        let dev = &self.path;
        for s in &t.services {
            out.push((
                gatt::service_path(dev, s.handle),
                gatt::SERVICE_IFACE,
                gatt::service_props(dev, s),
            ));
            for c in &s.chars {
                out.push((
                    gatt::char_path(dev, s.handle, c.handle),
                    gatt::CHAR_IFACE,
                    gatt::char_props(dev, s, c, self.mtu),
                ));
                if let Some(d) = &c.cccd {
                    out.push((
                        gatt::desc_path(dev, s.handle, c.handle, d.handle),
                        gatt::DESC_IFACE,
                        gatt::desc_props(dev, s, c, d),
                    ));
                }
            }
        }
        out
    }
}

/// Handles a Device1 method: connection changes go to the worker, which replies.
pub(crate) fn call(ai: usize, di: usize, member: &str) -> Result<Handled, BluezError> {
    let request = match member {
        "Connect" => Request::Connect,
        "Disconnect" => Request::Disconnect,
        // Mi Bands authenticate at the application layer, not by pairing (docs/protocol.md §2).
        "Pair" | "ConnectProfile" | "DisconnectProfile" => return Err(BluezError::NotSupported),
        "CancelPairing" => return Err(BluezError::DoesNotExist),
        other => return Err(BluezError::UnknownMethod(format!("{IFACE}.{other}"))),
    };
    Ok(Handled::Later(ai, di, request))
}

/// Sets a writable Device1 property.
pub(crate) fn set(
    server: &Arc<Server>,
    ai: usize,
    di: usize,
    name: &str,
    value: &(dyn RefArg + 'static),
) -> Result<(), BluezError> {
    let mut st = server.lock();
    let d = &mut st.adapters[ai].devices[di];
    let bad = || BluezError::InvalidArgs(format!("Invalid value for property {name}"));
    match name {
        "Trusted" => d.trusted = *cast::<bool>(value).ok_or_else(bad)?,
        "Blocked" => d.blocked = *cast::<bool>(value).ok_or_else(bad)?,
        "Alias" => {
            let a = value.as_str().ok_or_else(bad)?;
            d.alias = (!a.is_empty()).then(|| a.to_string());
        }
        _ => return Err(BluezError::PropertyReadOnly(name.to_string())),
    }
    let v = d.props("/").remove(name).unwrap_or_else(|| prop(false));
    let mut changed = PropMap::new();
    changed.insert(name.to_string(), v);
    server.props_changed(&d.path, IFACE, changed);
    Ok(())
}
