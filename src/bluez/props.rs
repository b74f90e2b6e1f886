//! D-Bus property values: building `a{sv}` maps for GetAll/InterfacesAdded/PropertiesChanged and
//! reading the options dictionaries clients send. Types matter here: btleplug drops a device
//! whose RSSI is not `n`, and BlueZ rejects an `offset` that is not `q`.

use std::collections::HashMap;

use dbus::arg::{cast, PropMap, RefArg, Variant};

use super::errors::BluezError;

/// A property value.
pub(crate) fn prop<T: RefArg + 'static>(value: T) -> Variant<Box<dyn RefArg>> {
    Variant(Box::new(value))
}

/// An object path value (callers only pass paths they built themselves).
pub(crate) fn path(p: &str) -> dbus::Path<'static> {
    dbus::Path::new(p.to_string()).unwrap_or_else(|_| dbus::Path::from("/"))
}

/// A one-entry property map.
pub(crate) fn one<T: RefArg + 'static>(name: &str, value: T) -> PropMap {
    let mut m = PropMap::new();
    m.insert(name.to_string(), prop(value));
    m
}

/// `ManufacturerData` (`a{qv}`, values `ay`).
pub(crate) fn manufacturer_data(
    company: u16,
    data: Vec<u8>,
) -> HashMap<u16, Variant<Box<dyn RefArg>>> {
    let mut m = HashMap::new();
    m.insert(company, prop(data));
    m
}

/// Options of ReadValue/WriteValue, checked the way BlueZ's `parse_options` checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IoOptions {
    /// `offset` (`q`).
    pub offset: u16,
    /// `type` (`s`): "request", "command" or "reliable".
    pub kind: Option<String>,
}

impl IoOptions {
    /// Parses an options dictionary; a known key with the wrong type is InvalidArguments.
    pub fn parse(options: &PropMap) -> Result<IoOptions, BluezError> {
        let mut o = IoOptions::default();
        for (key, value) in options {
            if key.eq_ignore_ascii_case("offset") {
                o.offset = *cast::<u16>(&value.0).ok_or(BluezError::InvalidArguments)?;
            } else if key.eq_ignore_ascii_case("type") {
                let s = value.0.as_str().ok_or(BluezError::InvalidArguments)?;
                o.kind = Some(s.to_string());
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_must_be_u16_as_in_bluez() {
        let mut m = PropMap::new();
        m.insert("offset".into(), prop(3u16));
        m.insert("type".into(), prop("command".to_string()));
        let o = IoOptions::parse(&m).unwrap();
        assert_eq!(o.offset, 3);
        assert_eq!(o.kind.as_deref(), Some("command"));
        // bluez-async sends the offset as `t`; real BlueZ refuses that.
        let mut m = PropMap::new();
        m.insert("offset".into(), prop(3u64));
        assert_eq!(IoOptions::parse(&m), Err(BluezError::InvalidArguments));
        let mut m = PropMap::new();
        m.insert("type".into(), prop(1u8));
        assert_eq!(IoOptions::parse(&m), Err(BluezError::InvalidArguments));
    }
}
