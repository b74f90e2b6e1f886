//! The error replies the emulated BlueZ sends: BlueZ's own D-Bus error names and messages (as in
//! BlueZ's `src/error.c` and `src/gatt-client.c`), plus the standard `org.freedesktop.DBus.Error.*`
//! ones. Clients match on these names and texts (btleplug surfaces the text, e.g. "Not connected"),
//! so they are copied exactly rather than paraphrased.

use dbus::Message;

/// One error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BluezError {
    /// `org.bluez.Error.Failed` with BlueZ's free-form text ("Not connected", ...).
    Failed(&'static str),
    /// `org.bluez.Error.NotConnected`.
    NotConnected,
    /// `org.bluez.Error.NotPermitted` with the ATT reason ("Read not permitted").
    NotPermitted(&'static str),
    /// `org.bluez.Error.NotSupported`.
    NotSupported,
    /// `org.bluez.Error.InvalidArguments` with BlueZ's generic text.
    InvalidArguments,
    /// `org.bluez.Error.InvalidArguments` with a specific text ("Invalid offset").
    InvalidArgumentsText(&'static str),
    /// `org.bluez.Error.InProgress` with "Operation already in progress" (BlueZ's busy).
    Busy,
    /// `org.bluez.Error.DoesNotExist`.
    DoesNotExist,
    /// `org.bluez.Error.NotReady` (adapter powered off).
    NotReady,
    /// `org.freedesktop.DBus.Error.UnknownObject`.
    UnknownObject(String),
    /// `org.freedesktop.DBus.Error.UnknownMethod`.
    UnknownMethod(String),
    /// `org.freedesktop.DBus.Error.InvalidArgs` (Properties interface).
    InvalidArgs(String),
    /// `org.freedesktop.DBus.Error.PropertyReadOnly`.
    PropertyReadOnly(String),
}

impl BluezError {
    /// The D-Bus error name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            BluezError::Failed(_) => "org.bluez.Error.Failed",
            BluezError::NotConnected => "org.bluez.Error.NotConnected",
            BluezError::NotPermitted(_) => "org.bluez.Error.NotPermitted",
            BluezError::NotSupported => "org.bluez.Error.NotSupported",
            BluezError::InvalidArguments | BluezError::InvalidArgumentsText(_) => {
                "org.bluez.Error.InvalidArguments"
            }
            BluezError::Busy => "org.bluez.Error.InProgress",
            BluezError::DoesNotExist => "org.bluez.Error.DoesNotExist",
            BluezError::NotReady => "org.bluez.Error.NotReady",
            BluezError::UnknownObject(_) => "org.freedesktop.DBus.Error.UnknownObject",
            BluezError::UnknownMethod(_) => "org.freedesktop.DBus.Error.UnknownMethod",
            BluezError::InvalidArgs(_) => "org.freedesktop.DBus.Error.InvalidArgs",
            BluezError::PropertyReadOnly(_) => "org.freedesktop.DBus.Error.PropertyReadOnly",
        }
    }

    /// The human-readable text, as BlueZ words it.
    pub(crate) fn message(&self) -> String {
        match self {
            BluezError::Failed(t)
            | BluezError::NotPermitted(t)
            | BluezError::InvalidArgumentsText(t) => (*t).to_string(),
            BluezError::NotConnected => "Not Connected".into(),
            BluezError::NotSupported => "Operation is not supported".into(),
            BluezError::InvalidArguments => "Invalid arguments in method call".into(),
            BluezError::Busy => "Operation already in progress".into(),
            BluezError::DoesNotExist => "Does Not Exist".into(),
            BluezError::NotReady => "Resource Not Ready".into(),
            BluezError::UnknownObject(p) => format!("No such object path '{p}'"),
            BluezError::UnknownMethod(m) => format!("Unknown method {m}"),
            BluezError::InvalidArgs(t) => t.clone(),
            BluezError::PropertyReadOnly(p) => format!("Property '{p}' is not writable"),
        }
    }

    /// The error reply to `call`.
    pub(crate) fn reply_to(&self, call: &Message) -> Message {
        // Error names above are valid constants and messages never contain NUL bytes from
        // clients' input beyond paths/names the bus already validated; fall back to a plain
        // "Failed" if libdbus still refuses.
        let text = self.message().replace('\0', " ");
        let msg = std::ffi::CString::new(text).unwrap_or_default();
        call.error(&self.name().into(), &msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_messages_are_bluez_own() {
        // Pinned against BlueZ's src/error.c and gatt-client.c: clients match on these strings.
        let cases = [
            (
                BluezError::Failed("Not connected"),
                "org.bluez.Error.Failed",
                "Not connected",
            ),
            (
                BluezError::NotConnected,
                "org.bluez.Error.NotConnected",
                "Not Connected",
            ),
            (
                BluezError::NotPermitted("Write not permitted"),
                "org.bluez.Error.NotPermitted",
                "Write not permitted",
            ),
            (
                BluezError::NotSupported,
                "org.bluez.Error.NotSupported",
                "Operation is not supported",
            ),
            (
                BluezError::InvalidArguments,
                "org.bluez.Error.InvalidArguments",
                "Invalid arguments in method call",
            ),
            (
                BluezError::Busy,
                "org.bluez.Error.InProgress",
                "Operation already in progress",
            ),
            (
                BluezError::DoesNotExist,
                "org.bluez.Error.DoesNotExist",
                "Does Not Exist",
            ),
        ];
        for (e, name, text) in cases {
            assert_eq!(e.name(), name);
            assert_eq!(e.message(), text);
        }
    }
}
