//! The object tree, derived from the state on every call (never stored twice): which path is
//! which object, what interfaces and properties it has, its children for Introspect, and the
//! whole tree for GetManagedObjects. The layout is BlueZ's:
//! `/org/bluez/hciN/dev_XX_XX_XX_XX_XX_XX/serviceNNNN/charNNNN/descNNNN`.

use std::collections::BTreeMap;

use dbus::arg::PropMap;

use super::adapter;
use super::device;
use super::gatt;
use super::server::{BluezState, INTROSPECTABLE, OBJECT_MANAGER, PROPERTIES};

/// The agent manager interface (bluetoothctl registers its agent there).
pub(crate) const AGENT_MANAGER: &str = "org.bluez.AgentManager1";

/// A resolved object path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Obj {
    /// `/` (ObjectManager).
    Root,
    /// `/org` (only a node on the way).
    Org,
    /// `/org/bluez` (AgentManager1).
    Bluez,
    /// An adapter.
    Adapter(usize),
    /// A device: adapter, device.
    Device(usize, usize),
    /// A GATT service: adapter, device, service.
    Service(usize, usize, usize),
    /// A characteristic: adapter, device, service, characteristic.
    Char(usize, usize, usize, usize),
    /// A CCCD: adapter, device, service, characteristic.
    Desc(usize, usize, usize, usize),
}

fn hex_handle(seg: &str, prefix: &str) -> Option<u16> {
    let h = seg.strip_prefix(prefix)?;
    (h.len() == 4).then(|| u16::from_str_radix(h, 16).ok())?
}

/// Which object `path` names, if it exists now.
pub(crate) fn resolve(st: &BluezState, path: &str) -> Option<Obj> {
    match path {
        "/" => return Some(Obj::Root),
        "/org" => return Some(Obj::Org),
        "/org/bluez" => return Some(Obj::Bluez),
        _ => {}
    }
    let mut seg = path.strip_prefix("/org/bluez/")?.split('/');
    let ai = st
        .adapters
        .iter()
        .position(|a| Some(a.name.as_str()) == seg.next())?;
    let Some(dev) = seg.next() else {
        return Some(Obj::Adapter(ai));
    };
    let a = &st.adapters[ai];
    let di = a
        .devices
        .iter()
        .position(|d| d.exported && d.path.rsplit('/').next() == Some(dev))?;
    let Some(svc) = seg.next() else {
        return Some(Obj::Device(ai, di));
    };
    let t = a.devices[di].gatt.as_ref()?;
    let h = hex_handle(svc, "service")?;
    let si = t.services.iter().position(|s| s.handle == h)?;
    let Some(chr) = seg.next() else {
        return Some(Obj::Service(ai, di, si));
    };
    let h = hex_handle(chr, "char")?;
    let ci = t.services[si].chars.iter().position(|c| c.handle == h)?;
    let Some(desc) = seg.next() else {
        return Some(Obj::Char(ai, di, si, ci));
    };
    let h = hex_handle(desc, "desc")?;
    let d = t.services[si].chars[ci].cccd.as_ref()?;
    (d.handle == h && seg.next().is_none()).then_some(Obj::Desc(ai, di, si, ci))
}

/// The object's own (non-standard) interfaces with their properties.
pub(crate) fn interfaces(st: &BluezState, obj: Obj) -> Vec<(&'static str, PropMap)> {
    let dev = |ai: usize, di: usize| &st.adapters[ai].devices[di];
    let tree = |ai, di| dev(ai, di).gatt.as_ref();
    match obj {
        Obj::Root => vec![(OBJECT_MANAGER, PropMap::new())],
        Obj::Org => vec![],
        Obj::Bluez => vec![(AGENT_MANAGER, PropMap::new())],
        Obj::Adapter(ai) => vec![(adapter::IFACE, st.adapters[ai].props())],
        Obj::Device(ai, di) => vec![(device::IFACE, dev(ai, di).props(&st.adapters[ai].path()))],
        Obj::Service(ai, di, si) => tree(ai, di)
            .map(|t| {
                let s = &t.services[si];
                vec![(
                    gatt::SERVICE_IFACE,
                    gatt::service_props(&dev(ai, di).path, s),
                )]
            })
            .unwrap_or_default(),
        Obj::Char(ai, di, si, ci) => tree(ai, di)
            .map(|t| {
                let d = dev(ai, di);
                let s = &t.services[si];
                let props = gatt::char_props(&d.path, s, &s.chars[ci], d.mtu);
                vec![(gatt::CHAR_IFACE, props)]
            })
            .unwrap_or_default(),
        Obj::Desc(ai, di, si, ci) => tree(ai, di)
            .and_then(|t| {
                let s = &t.services[si];
                let c = &s.chars[ci];
                let props = gatt::desc_props(&dev(ai, di).path, s, c, c.cccd.as_ref()?);
                Some(vec![(gatt::DESC_IFACE, props)])
            })
            .unwrap_or_default(),
    }
}

/// Every interface of the object, standard ones included (for Introspect).
pub(crate) fn interface_names(st: &BluezState, obj: Obj) -> Vec<&'static str> {
    let mut v = vec![INTROSPECTABLE];
    if obj != Obj::Org {
        v.push(PROPERTIES);
    }
    v.extend(interfaces(st, obj).into_iter().map(|(n, _)| n));
    v
}

/// Names of the direct children.
pub(crate) fn children(st: &BluezState, obj: Obj) -> Vec<String> {
    let last = |p: &str| p.rsplit('/').next().unwrap_or_default().to_string();
    match obj {
        Obj::Root => vec!["org".into()],
        Obj::Org => vec!["bluez".into()],
        Obj::Bluez => st.adapters.iter().map(|a| a.name.clone()).collect(),
        Obj::Adapter(ai) => st.adapters[ai]
            .devices
            .iter()
            .filter(|d| d.exported)
            .map(|d| last(&d.path))
            .collect(),
        Obj::Device(ai, di) => st.adapters[ai].devices[di]
            .gatt
            .iter()
            .flat_map(|t| t.services.iter())
            .map(|s| format!("service{:04x}", s.handle))
            .collect(),
        Obj::Service(ai, di, si) => st.adapters[ai].devices[di]
            .gatt
            .iter()
            .flat_map(|t| t.services[si].chars.iter())
            .map(|c| format!("char{:04x}", c.handle))
            .collect(),
        Obj::Char(ai, di, si, ci) => st.adapters[ai].devices[di]
            .gatt
            .iter()
            .filter_map(|t| t.services[si].chars[ci].cccd.as_ref())
            .map(|d| format!("desc{:04x}", d.handle))
            .collect(),
        Obj::Desc(..) => vec![],
    }
}

/// The standard interfaces every exported object lists in GetManagedObjects, as BlueZ does.
fn with_standard(ifaces: Vec<(&'static str, PropMap)>) -> Vec<(String, PropMap)> {
    let mut v: Vec<(String, PropMap)> = vec![
        (INTROSPECTABLE.to_string(), PropMap::new()),
        (PROPERTIES.to_string(), PropMap::new()),
    ];
    v.extend(ifaces.into_iter().map(|(n, p)| (n.to_string(), p)));
    v
}

/// GetManagedObjects: every object below `/`, parents before children. The order matters:
/// bluetoothctl drops a device it sees before its adapter.
pub(crate) fn managed_objects(st: &BluezState) -> BTreeMap<String, Vec<(String, PropMap)>> {
    let mut out = BTreeMap::new();
    out.insert(
        "/org/bluez".to_string(),
        with_standard(interfaces(st, Obj::Bluez)),
    );
    for (ai, a) in st.adapters.iter().enumerate() {
        out.insert(a.path(), with_standard(interfaces(st, Obj::Adapter(ai))));
        for (di, d) in a.devices.iter().enumerate() {
            if !d.exported {
                continue;
            }
            out.insert(
                d.path.clone(),
                with_standard(interfaces(st, Obj::Device(ai, di))),
            );
            for (path, iface, props) in d.gatt_objects() {
                out.insert(path, with_standard(vec![(iface, props)]));
            }
        }
    }
    out
}
