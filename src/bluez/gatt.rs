//! The band's GATT table as BlueZ exports it: `serviceNNNN/charNNNN/descNNNN` objects numbered by
//! ATT handle (service start handle, characteristic declaration handle, descriptor handle), built
//! from [`crate::emulator::gatt::layout`] so the D-Bus view and the band never disagree. BlueZ
//! hides the GAP and GATT services (handles 0x0001–0x000b on a band), so the first exported
//! service starts at 0x000c.

use std::collections::BTreeSet;

use dbus::arg::PropMap;
use uuid::Uuid;

use super::props::{path, prop};
use crate::emulator::gatt::layout;

/// GATT service interface.
pub(crate) const SERVICE_IFACE: &str = "org.bluez.GattService1";
/// GATT characteristic interface.
pub(crate) const CHAR_IFACE: &str = "org.bluez.GattCharacteristic1";
/// GATT descriptor interface.
pub(crate) const DESC_IFACE: &str = "org.bluez.GattDescriptor1";

/// The Client Characteristic Configuration descriptor (notifications on/off).
pub(crate) const CCCD: Uuid = crate::protocol::uuids::sig(0x2902);

/// First handle BlueZ exports on a band (after GAP 0x0001–0x0007 and GATT 0x0008–0x000b).
const FIRST_HANDLE: u16 = 0x000c;

/// A primary service.
#[derive(Debug, Clone)]
pub(crate) struct ServiceObj {
    /// Start handle (names the object).
    pub handle: u16,
    /// Service UUID.
    pub uuid: Uuid,
    /// Characteristics in handle order.
    pub chars: Vec<CharObj>,
}

/// A characteristic with BlueZ's per-characteristic state.
#[derive(Debug, Clone)]
pub(crate) struct CharObj {
    /// Declaration handle (names the object); the value handle is the next one.
    pub handle: u16,
    /// Characteristic UUID.
    pub uuid: Uuid,
    /// BlueZ flag names.
    pub flags: &'static [&'static str],
    /// Last value read or notified (BlueZ's cache; absent until there is one).
    pub value: Option<Vec<u8>>,
    /// D-Bus clients holding a notify session (BlueZ keeps them across reconnects).
    pub clients: BTreeSet<String>,
    /// Whether notifications are enabled on the band right now.
    pub notifying: bool,
    /// Its CCCD, if it notifies.
    pub cccd: Option<DescObj>,
}

impl CharObj {
    /// Whether a flag is set.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }
}

/// A descriptor (only CCCDs on this band).
#[derive(Debug, Clone)]
pub(crate) struct DescObj {
    /// Handle (names the object).
    pub handle: u16,
    /// Last value read.
    pub value: Option<Vec<u8>>,
}

/// The exported GATT table of one device.
#[derive(Debug, Clone)]
pub(crate) struct GattTree {
    /// Services in handle order.
    pub services: Vec<ServiceObj>,
}

impl GattTree {
    /// Numbers the band's layout the way a GATT server assigns handles.
    pub fn build() -> GattTree {
        let mut h = FIRST_HANDLE;
        let services = layout()
            .into_iter()
            .map(|s| {
                let handle = h;
                h += 1;
                let chars = s
                    .chars
                    .iter()
                    .map(|c| {
                        let decl = h;
                        h += 2; // declaration + value
                        let cccd = c.notifies().then(|| {
                            h += 1;
                            DescObj {
                                handle: h - 1,
                                value: None,
                            }
                        });
                        CharObj {
                            handle: decl,
                            uuid: c.uuid,
                            flags: c.flags,
                            value: None,
                            clients: BTreeSet::new(),
                            notifying: false,
                            cccd,
                        }
                    })
                    .collect();
                ServiceObj {
                    handle,
                    uuid: s.uuid,
                    chars,
                }
            })
            .collect();
        GattTree { services }
    }

    /// The service UUIDs, as Device1.UUIDs lists them after resolution.
    pub fn service_uuids(&self) -> Vec<Uuid> {
        self.services.iter().map(|s| s.uuid).collect()
    }

    /// Object path of characteristic `ci` of service `si`.
    pub fn char_path(&self, dev: &str, si: usize, ci: usize) -> String {
        let s = &self.services[si];
        char_path(dev, s.handle, s.chars[ci].handle)
    }

    /// Finds the characteristic with `uuid` (first one, as clients do).
    pub fn find_char(&self, uuid: Uuid) -> Option<(usize, usize)> {
        self.services.iter().enumerate().find_map(|(si, s)| {
            s.chars
                .iter()
                .position(|c| c.uuid == uuid)
                .map(|ci| (si, ci))
        })
    }
}

/// Object path of the service with start handle `svc`.
pub(crate) fn service_path(dev: &str, svc: u16) -> String {
    format!("{dev}/service{svc:04x}")
}

/// Object path of a characteristic.
pub(crate) fn char_path(dev: &str, svc: u16, chr: u16) -> String {
    format!("{dev}/service{svc:04x}/char{chr:04x}")
}

/// Object path of a descriptor.
pub(crate) fn desc_path(dev: &str, svc: u16, chr: u16, desc: u16) -> String {
    format!("{dev}/service{svc:04x}/char{chr:04x}/desc{desc:04x}")
}

/// GattService1 properties.
pub(crate) fn service_props(dev: &str, s: &ServiceObj) -> PropMap {
    let mut p = PropMap::new();
    p.insert("UUID".into(), prop(s.uuid.to_string()));
    p.insert("Device".into(), prop(path(dev)));
    p.insert("Primary".into(), prop(true));
    p.insert("Includes".into(), prop(Vec::<dbus::Path<'static>>::new()));
    p
}

/// GattCharacteristic1 properties. Value exists only once cached; Notifying only on notifying
/// characteristics; the Acquired flags only where the operation would apply (as BlueZ does).
pub(crate) fn char_props(dev: &str, s: &ServiceObj, c: &CharObj, mtu: u16) -> PropMap {
    let mut p = PropMap::new();
    p.insert("UUID".into(), prop(c.uuid.to_string()));
    p.insert("Service".into(), prop(path(&service_path(dev, s.handle))));
    if let Some(v) = &c.value {
        p.insert("Value".into(), prop(v.clone()));
    }
    if c.has("notify") {
        p.insert("Notifying".into(), prop(c.notifying));
        p.insert("NotifyAcquired".into(), prop(false));
    }
    if c.has("write-without-response") {
        p.insert("WriteAcquired".into(), prop(false));
    }
    let flags: Vec<String> = c.flags.iter().map(|f| f.to_string()).collect();
    p.insert("Flags".into(), prop(flags));
    p.insert("MTU".into(), prop(mtu));
    p
}

/// GattDescriptor1 properties.
pub(crate) fn desc_props(dev: &str, s: &ServiceObj, c: &CharObj, d: &DescObj) -> PropMap {
    let mut p = PropMap::new();
    p.insert("UUID".into(), prop(CCCD.to_string()));
    p.insert(
        "Characteristic".into(),
        prop(path(&char_path(dev, s.handle, c.handle))),
    );
    if let Some(v) = &d.value {
        p.insert("Value".into(), prop(v.clone()));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::uuids as u;

    #[test]
    fn handles_follow_bluez_numbering() {
        let t = GattTree::build();
        let dev = "/org/bluez/hci0/dev_C8_0F_10_00_00_01";
        let s0 = &t.services[0];
        let c0 = &s0.chars[0];
        assert_eq!(service_path(dev, s0.handle), format!("{dev}/service000c"));
        assert_eq!(
            t.char_path(dev, 0, 0),
            format!("{dev}/service000c/char000d")
        );
        // 0x000d declaration, 0x000e value, 0x000f CCCD.
        let d = c0.cccd.as_ref().unwrap();
        assert_eq!(
            desc_path(dev, s0.handle, c0.handle, d.handle),
            format!("{dev}/service000c/char000d/desc000f")
        );
        // Handles strictly increase over the whole table.
        let mut last = 0;
        for s in &t.services {
            assert!(s.handle > last);
            last = s.handle;
            for c in &s.chars {
                assert!(c.handle > last);
                last = c.handle + 1;
                if let Some(d) = &c.cccd {
                    assert_eq!(d.handle, c.handle + 2);
                    last = d.handle;
                }
            }
        }
        let (si, ci) = t.find_char(u::CHAR_AUTH).unwrap();
        assert_eq!(t.services[si].uuid, u::SERVICE_MIBAND2);
        assert!(t.services[si].chars[ci].cccd.is_some());
    }
}
