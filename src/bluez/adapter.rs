//! `org.bluez.Adapter1`: the emulated controller. Discovery is per client, as in BlueZ: each
//! caller of StartDiscovery holds a session (with the filter it set) until it calls StopDiscovery
//! or leaves the bus; while any session is open the adapter "hears" the bands in range and
//! reports them with InterfacesAdded (first time) or PropertiesChanged (RSSI, later adverts).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dbus::arg::{cast, PropMap, RefArg};
use dbus::Message;

use super::connection::{DeviceOp, Request};
use super::device::DeviceState;
use super::errors::BluezError;
use super::props::{one, prop};
use super::server::{Handled, Server};

/// What one client asked SetDiscoveryFilter for.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DiscoveryFilter {
    /// Only devices advertising one of these (lower-case UUID strings); empty = all.
    pub uuids: Vec<String>,
    /// Minimum RSSI.
    pub rssi: Option<i16>,
    /// "auto", "le" or "bredr".
    pub transport: Option<String>,
}

impl DiscoveryFilter {
    /// Parses SetDiscoveryFilter's dictionary with BlueZ's rules: unknown keys, wrong types,
    /// an unknown transport, or RSSI together with Pathloss are InvalidArguments.
    pub fn parse(dict: &PropMap) -> Result<DiscoveryFilter, BluezError> {
        let mut f = DiscoveryFilter::default();
        let bad = BluezError::InvalidArguments;
        for (key, value) in dict {
            let v = &value.0;
            match key.as_str() {
                "UUIDs" => {
                    let list = cast::<Vec<String>>(v).ok_or(bad.clone())?;
                    for u in list {
                        let parsed = uuid::Uuid::parse_str(u).map_err(|_| bad.clone())?;
                        f.uuids.push(parsed.to_string());
                    }
                }
                "RSSI" => f.rssi = Some(*cast::<i16>(v).ok_or(bad.clone())?),
                "Pathloss" => {
                    cast::<u16>(v).ok_or(bad.clone())?;
                    if f.rssi.is_some() || dict.contains_key("RSSI") {
                        return Err(bad);
                    }
                }
                "Transport" => {
                    let t = v.as_str().ok_or(bad.clone())?;
                    if !matches!(t, "auto" | "le" | "bredr") {
                        return Err(bad);
                    }
                    f.transport = Some(t.to_string());
                }
                "DuplicateData" | "Discoverable" => {
                    cast::<bool>(v).ok_or(bad.clone())?;
                }
                "Pattern" => {
                    v.as_str().ok_or(bad.clone())?;
                }
                _ => return Err(bad),
            }
        }
        Ok(f)
    }

    /// Whether a band advertising `uuids` at `rssi` passes (a band is LE only).
    pub fn accepts(&self, uuids: &[String], rssi: i16) -> bool {
        self.transport.as_deref() != Some("bredr")
            && self.rssi.is_none_or(|min| rssi >= min)
            && (self.uuids.is_empty() || self.uuids.iter().any(|u| uuids.contains(u)))
    }
}

/// One adapter and the devices it has seen.
pub(crate) struct AdapterState {
    /// `hci0`.
    pub name: String,
    /// Its address.
    pub address: String,
    /// User-settable alias.
    pub alias: String,
    /// Powered on.
    pub powered: bool,
    /// Discoverable (settable, no effect).
    pub discoverable: bool,
    /// Pairable (settable, no effect).
    pub pairable: bool,
    /// Filters set per client (by unique bus name).
    pub filters: BTreeMap<String, DiscoveryFilter>,
    /// Open discovery sessions: client → its filter at StartDiscovery.
    pub sessions: BTreeMap<String, DiscoveryFilter>,
    /// Bumped on every discovery start so an old scanning task knows to stop.
    pub scan_generation: u64,
    /// One device per emulated band (exported once discovered).
    pub devices: Vec<DeviceState>,
}

/// The Modalias BlueZ reports for its own adapters (Linux Foundation, BlueZ 5.64 style).
pub(crate) const MODALIAS: &str = "usb:v1D6Bp0246d0540";

impl AdapterState {
    /// Object path.
    pub fn path(&self) -> String {
        format!("/org/bluez/{}", self.name)
    }

    /// Whether any discovery session is open.
    pub fn discovering(&self) -> bool {
        !self.sessions.is_empty()
    }

    /// Adapter1 properties (every one btleplug requires, plus what bluetoothctl `show` prints).
    pub fn props(&self) -> PropMap {
        let mut p = PropMap::new();
        p.insert("Address".into(), prop(self.address.clone()));
        p.insert("AddressType".into(), prop("public".to_string()));
        p.insert("Name".into(), prop("miband-emulator".to_string()));
        p.insert("Alias".into(), prop(self.alias.clone()));
        p.insert("Class".into(), prop(0x0000_0000u32));
        p.insert("Powered".into(), prop(self.powered));
        let state = if self.powered { "on" } else { "off" };
        p.insert("PowerState".into(), prop(state.to_string()));
        p.insert("Discoverable".into(), prop(self.discoverable));
        p.insert("DiscoverableTimeout".into(), prop(180u32));
        p.insert("Pairable".into(), prop(self.pairable));
        p.insert("PairableTimeout".into(), prop(0u32));
        p.insert("Discovering".into(), prop(self.discovering()));
        let uuids: Vec<String> = [0x1800u16, 0x1801, 0x110e, 0x110c]
            .iter()
            .map(|s| crate::protocol::uuids::sig(*s).to_string())
            .collect();
        p.insert("UUIDs".into(), prop(uuids));
        p.insert("Modalias".into(), prop(MODALIAS.to_string()));
        let roles = vec!["central".to_string(), "peripheral".to_string()];
        p.insert("Roles".into(), prop(roles));
        p
    }

    /// Whether some open session lets a band through.
    pub fn wants(&self, uuids: &[String], rssi: i16) -> bool {
        self.sessions.values().any(|f| f.accepts(uuids, rssi))
    }
}

/// Handles an Adapter1 method.
pub(crate) fn call(
    server: &Arc<Server>,
    ai: usize,
    member: &str,
    msg: &Message,
) -> Result<Handled, BluezError> {
    let sender = msg.sender().map(|s| s.to_string()).unwrap_or_default();
    match member {
        "SetDiscoveryFilter" => {
            let dict: PropMap = msg.read1().map_err(|_| BluezError::InvalidArguments)?;
            let f = DiscoveryFilter::parse(&dict)?;
            let mut st = server.lock();
            let a = &mut st.adapters[ai];
            if dict.is_empty() {
                a.filters.remove(&sender);
            } else {
                a.filters.insert(sender, f);
            }
            Ok(Handled::Reply(msg.method_return()))
        }
        "StartDiscovery" => {
            start_discovery(server, ai, sender).map(|()| Handled::Reply(msg.method_return()))
        }
        "StopDiscovery" => {
            let mut st = server.lock();
            let a = &mut st.adapters[ai];
            if a.sessions.remove(&sender).is_none() {
                return Err(BluezError::Failed("No discovery started"));
            }
            if !a.discovering() {
                let path = a.path();
                server.props_changed(&path, IFACE, one("Discovering", false));
            }
            Ok(Handled::Reply(msg.method_return()))
        }
        "RemoveDevice" => {
            let target: dbus::Path = msg.read1().map_err(|_| BluezError::InvalidArguments)?;
            let st = server.lock();
            let a = &st.adapters[ai];
            let di = a
                .devices
                .iter()
                .position(|d| d.exported && d.path == *target)
                .ok_or(BluezError::DoesNotExist)?;
            Ok(Handled::Later(ai, di, Request::Remove))
        }
        "GetDiscoveryFilters" => {
            let keys: Vec<String> = [
                "UUIDs",
                "RSSI",
                "Pathloss",
                "Transport",
                "DuplicateData",
                "Discoverable",
                "Pattern",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            Ok(Handled::Reply(msg.method_return().append1(keys)))
        }
        other => Err(BluezError::UnknownMethod(format!("{IFACE}.{other}"))),
    }
}

/// The interface name.
pub(crate) const IFACE: &str = "org.bluez.Adapter1";

fn start_discovery(server: &Arc<Server>, ai: usize, sender: String) -> Result<(), BluezError> {
    let mut st = server.lock();
    let a = &mut st.adapters[ai];
    if !a.powered {
        return Err(BluezError::NotReady);
    }
    if a.sessions.contains_key(&sender) {
        return Err(BluezError::Busy);
    }
    let was = a.discovering();
    let filter = a.filters.get(&sender).cloned().unwrap_or_default();
    a.sessions.insert(sender, filter);
    if !was {
        a.scan_generation += 1;
        let generation = a.scan_generation;
        let path = a.path();
        server.props_changed(&path, IFACE, one("Discovering", true));
        let interval = st.advertise_interval;
        server.spawn(scan(server.clone(), ai, generation, interval));
    }
    Ok(())
}

/// While discovery runs: every interval, report each band in range that is not connected (a
/// connected band stops advertising) and passes some session's filter.
async fn scan(server: Arc<Server>, ai: usize, generation: u64, interval: Duration) {
    let mut tick = 0u32;
    loop {
        {
            let mut st = server.lock();
            let a = &mut st.adapters[ai];
            let stale = a.scan_generation != generation || !a.discovering() || !a.powered;
            if stale || server.is_stopped() {
                return;
            }
            let adapter_path = a.path();
            let mut heard = Vec::new();
            for (di, d) in a.devices.iter().enumerate() {
                let rssi = d.rssi_at(tick);
                if d.band.is_present()
                    && !d.connected
                    && !d.band.is_connected()
                    && a.wants(&d.advertised_uuids(), rssi)
                {
                    heard.push((di, rssi));
                }
            }
            for (di, rssi) in heard {
                let d = &mut a.devices[di];
                d.rssi = Some(rssi);
                if d.exported {
                    // The advert's data never changes, so only the RSSI is news.
                    server.props_changed(&d.path, super::device::IFACE, one("RSSI", rssi));
                } else {
                    d.exported = true;
                    server.interfaces_added(&d.path, d.interfaces(&adapter_path));
                }
            }
        }
        tick = tick.wrapping_add(1);
        tokio::time::sleep(interval).await;
    }
}

/// Sets a writable Adapter1 property.
pub(crate) fn set(
    server: &Arc<Server>,
    ai: usize,
    name: &str,
    value: &(dyn RefArg + 'static),
) -> Result<(), BluezError> {
    let mut st = server.lock();
    let a = &mut st.adapters[ai];
    let bad = || BluezError::InvalidArgs(format!("Invalid value for property {name}"));
    let path = a.path();
    match name {
        "Powered" => {
            let on = *cast::<bool>(value).ok_or_else(bad)?;
            if on != a.powered {
                a.powered = on;
                let mut changed = one("Powered", on);
                changed.extend(one("PowerState", if on { "on" } else { "off" }.to_string()));
                if !on {
                    // Powering off ends discovery and every connection.
                    if a.discovering() {
                        a.sessions.clear();
                        changed.extend(one("Discovering", false));
                    }
                    for d in &a.devices {
                        d.enqueue(DeviceOp::Call(Request::Disconnect, None));
                    }
                }
                server.props_changed(&path, IFACE, changed);
            }
        }
        "Discoverable" | "Pairable" => {
            let on = *cast::<bool>(value).ok_or_else(bad)?;
            let field = if name == "Discoverable" {
                &mut a.discoverable
            } else {
                &mut a.pairable
            };
            if *field != on {
                *field = on;
                server.props_changed(&path, IFACE, one(name, on));
            }
        }
        "Alias" => {
            let alias = value.as_str().ok_or_else(bad)?.to_string();
            a.alias = alias.clone();
            server.props_changed(&path, IFACE, one("Alias", alias));
        }
        "DiscoverableTimeout" | "PairableTimeout" => {
            cast::<u32>(value).ok_or_else(bad)?;
        }
        _ => return Err(BluezError::PropertyReadOnly(name.to_string())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bluez::props::prop;

    #[test]
    fn discovery_filter_follows_bluez_rules() {
        let mut d = PropMap::new();
        d.insert("DuplicateData".into(), prop(true));
        d.insert("Transport".into(), prop("auto".to_string()));
        d.insert(
            "UUIDs".into(),
            prop(vec!["0000FEE0-0000-1000-8000-00805F9B34FB".to_string()]),
        );
        let f = DiscoveryFilter::parse(&d).unwrap();
        let fee0 = "0000fee0-0000-1000-8000-00805f9b34fb".to_string();
        assert!(f.accepts(std::slice::from_ref(&fee0), -70));
        assert!(!f.accepts(&["0000180d-0000-1000-8000-00805f9b34fb".into()], -70));

        let mut d = PropMap::new();
        d.insert("Transport".into(), prop("bredr".to_string()));
        assert!(!DiscoveryFilter::parse(&d).unwrap().accepts(&[fee0], -70));

        for (k, v) in [
            ("Transport", prop("radio".to_string())),
            ("Bogus", prop(true)),
            ("RSSI", prop(-60i32)),
        ] {
            let mut d = PropMap::new();
            d.insert(k.into(), v);
            assert_eq!(
                DiscoveryFilter::parse(&d),
                Err(BluezError::InvalidArguments),
                "{k}"
            );
        }
    }
}
