//! An emulated BlueZ: the project's band emulator served on D-Bus with BlueZ's object layout,
//! properties, signals, methods and error names, so the real btleplug backend (and BlueZ's own
//! `bluetoothctl`) can be exercised end to end on machines without Bluetooth (docs/testing.md §2,
//! §3).
//!
//! One concept per file: [`bus`] starts a private dbus-daemon; `wire` drives the connection to
//! it; `server` owns `org.bluez` and dispatches calls; `objects`/`introspect` describe the tree;
//! `adapter`, `device`, `gatt` are BlueZ's interfaces; `connection`/`gatt_io` drive the emulated
//! link; `props` builds and reads property values; `errors` holds BlueZ's error names and texts.

mod adapter;
pub mod bus;
mod connection;
mod device;
mod emulator;
mod errors;
mod gatt;
mod gatt_io;
mod introspect;
mod objects;
mod props;
mod server;
mod wire;

pub use bus::{BusError, PrivateBus};
pub use emulator::{Emulator, EmulatorConfig, EmulatorError};
pub use server::ServeError;
