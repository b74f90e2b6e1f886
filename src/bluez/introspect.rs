//! Introspection XML. btleplug does not use GetManagedObjects to find GATT objects: it walks
//! Introspect from the device down and parses the XML with serde-xml-rs, which needs every
//! `<interface>` before the first child `<node>` (docs/testing.md §3.2 item 7). Interfaces are
//! described in full so generic D-Bus tools (busctl, d-feet, gdbus) see the same API as on a real
//! BlueZ.

const HEADER: &str = r#"<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
"#;

fn interface(name: &str) -> &'static str {
    match name {
        "org.freedesktop.DBus.Introspectable" => {
            r#"<interface name="org.freedesktop.DBus.Introspectable"><method name="Introspect"><arg name="xml" type="s" direction="out"/></method></interface>"#
        }
        "org.freedesktop.DBus.Properties" => {
            r#"<interface name="org.freedesktop.DBus.Properties"><method name="Get"><arg name="interface" type="s" direction="in"/><arg name="name" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method><method name="Set"><arg name="interface" type="s" direction="in"/><arg name="name" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method><method name="GetAll"><arg name="interface" type="s" direction="in"/><arg name="properties" type="a{sv}" direction="out"/></method><signal name="PropertiesChanged"><arg name="interface" type="s"/><arg name="changed_properties" type="a{sv}"/><arg name="invalidated_properties" type="as"/></signal></interface>"#
        }
        "org.freedesktop.DBus.ObjectManager" => {
            r#"<interface name="org.freedesktop.DBus.ObjectManager"><method name="GetManagedObjects"><arg name="objects" type="a{oa{sa{sv}}}" direction="out"/></method><signal name="InterfacesAdded"><arg name="object" type="o"/><arg name="interfaces" type="a{sa{sv}}"/></signal><signal name="InterfacesRemoved"><arg name="object" type="o"/><arg name="interfaces" type="as"/></signal></interface>"#
        }
        "org.bluez.AgentManager1" => {
            r#"<interface name="org.bluez.AgentManager1"><method name="RegisterAgent"><arg name="agent" type="o" direction="in"/><arg name="capability" type="s" direction="in"/></method><method name="UnregisterAgent"><arg name="agent" type="o" direction="in"/></method><method name="RequestDefaultAgent"><arg name="agent" type="o" direction="in"/></method></interface>"#
        }
        "org.bluez.Adapter1" => {
            r#"<interface name="org.bluez.Adapter1"><method name="StartDiscovery"/><method name="SetDiscoveryFilter"><arg name="properties" type="a{sv}" direction="in"/></method><method name="StopDiscovery"/><method name="RemoveDevice"><arg name="device" type="o" direction="in"/></method><method name="GetDiscoveryFilters"><arg name="filters" type="as" direction="out"/></method><property name="Address" type="s" access="read"/><property name="AddressType" type="s" access="read"/><property name="Name" type="s" access="read"/><property name="Alias" type="s" access="readwrite"/><property name="Class" type="u" access="read"/><property name="Powered" type="b" access="readwrite"/><property name="PowerState" type="s" access="read"/><property name="Discoverable" type="b" access="readwrite"/><property name="DiscoverableTimeout" type="u" access="readwrite"/><property name="Pairable" type="b" access="readwrite"/><property name="PairableTimeout" type="u" access="readwrite"/><property name="Discovering" type="b" access="read"/><property name="UUIDs" type="as" access="read"/><property name="Modalias" type="s" access="read"/><property name="Roles" type="as" access="read"/></interface>"#
        }
        "org.bluez.Device1" => {
            r#"<interface name="org.bluez.Device1"><method name="Disconnect"/><method name="Connect"/><method name="ConnectProfile"><arg name="UUID" type="s" direction="in"/></method><method name="DisconnectProfile"><arg name="UUID" type="s" direction="in"/></method><method name="Pair"/><method name="CancelPairing"/><property name="Address" type="s" access="read"/><property name="AddressType" type="s" access="read"/><property name="Name" type="s" access="read"/><property name="Alias" type="s" access="readwrite"/><property name="Paired" type="b" access="read"/><property name="Bonded" type="b" access="read"/><property name="Trusted" type="b" access="readwrite"/><property name="Blocked" type="b" access="readwrite"/><property name="LegacyPairing" type="b" access="read"/><property name="RSSI" type="n" access="read"/><property name="Connected" type="b" access="read"/><property name="UUIDs" type="as" access="read"/><property name="Modalias" type="s" access="read"/><property name="Adapter" type="o" access="read"/><property name="ManufacturerData" type="a{qv}" access="read"/><property name="ServicesResolved" type="b" access="read"/></interface>"#
        }
        "org.bluez.GattService1" => {
            r#"<interface name="org.bluez.GattService1"><property name="UUID" type="s" access="read"/><property name="Device" type="o" access="read"/><property name="Primary" type="b" access="read"/><property name="Includes" type="ao" access="read"/></interface>"#
        }
        "org.bluez.GattCharacteristic1" => {
            r#"<interface name="org.bluez.GattCharacteristic1"><method name="ReadValue"><arg name="options" type="a{sv}" direction="in"/><arg name="value" type="ay" direction="out"/></method><method name="WriteValue"><arg name="value" type="ay" direction="in"/><arg name="options" type="a{sv}" direction="in"/></method><method name="StartNotify"/><method name="StopNotify"/><property name="UUID" type="s" access="read"/><property name="Service" type="o" access="read"/><property name="Value" type="ay" access="read"/><property name="Notifying" type="b" access="read"/><property name="Flags" type="as" access="read"/><property name="WriteAcquired" type="b" access="read"/><property name="NotifyAcquired" type="b" access="read"/><property name="MTU" type="q" access="read"/></interface>"#
        }
        "org.bluez.GattDescriptor1" => {
            r#"<interface name="org.bluez.GattDescriptor1"><method name="ReadValue"><arg name="options" type="a{sv}" direction="in"/><arg name="value" type="ay" direction="out"/></method><method name="WriteValue"><arg name="value" type="ay" direction="in"/><arg name="options" type="a{sv}" direction="in"/></method><property name="UUID" type="s" access="read"/><property name="Characteristic" type="o" access="read"/><property name="Value" type="ay" access="read"/></interface>"#
        }
        _ => "",
    }
}

/// The XML for an object with these interfaces and direct children (node names, not paths).
pub(crate) fn xml(interfaces: &[&str], children: &[String]) -> String {
    let mut s = String::from(HEADER);
    s.push_str("<node>\n");
    for i in interfaces {
        s.push_str(interface(i));
        s.push('\n');
    }
    for c in children {
        s.push_str(&format!("<node name=\"{c}\"/>\n"));
    }
    s.push_str("</node>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_come_before_child_nodes() {
        let x = xml(
            &["org.freedesktop.DBus.Introspectable", "org.bluez.Device1"],
            &["service000c".into(), "service0020".into()],
        );
        let last_iface = x.rfind("</interface>").unwrap();
        let first_node = x.find("<node name=").unwrap();
        assert!(last_iface < first_node, "{x}");
        assert!(x.contains(r#"<property name="RSSI" type="n" access="read"/>"#));
    }

    #[test]
    fn every_interface_we_export_is_described() {
        for i in [
            "org.freedesktop.DBus.Introspectable",
            "org.freedesktop.DBus.Properties",
            "org.freedesktop.DBus.ObjectManager",
            "org.bluez.AgentManager1",
            "org.bluez.Adapter1",
            "org.bluez.Device1",
            "org.bluez.GattService1",
            "org.bluez.GattCharacteristic1",
            "org.bluez.GattDescriptor1",
        ] {
            assert!(interface(i).contains(&format!("name=\"{i}\"")), "{i}");
        }
    }
}
