//! BlueZ reachable but useless: an emulated BlueZ without any adapter, then no BlueZ at all on
//! the bus. Both must be a clear error within the timeout, not a hang. (One test: libdbus reads
//! `DBUS_SYSTEM_BUS_ADDRESS` once per process.)

use std::time::{Duration, Instant};

use miband::ble::{BleCentral, BleError};
use miband::bluez::{Emulator, EmulatorConfig, PrivateBus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_adapter_then_no_bluez_are_clear_errors() {
    let bus = PrivateBus::start().unwrap();
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address());
    let mut config = EmulatorConfig::new(Vec::new());
    config.adapters.clear();
    let emu = Emulator::start(bus.address(), config).await.unwrap();

    let t = Instant::now();
    let e = BleCentral::open(None, Duration::from_secs(5))
        .await
        .err()
        .expect("no adapter");
    assert_eq!(e, BleError::NoAdapter(None));
    assert_eq!(e.to_string(), "no Bluetooth adapter");
    assert!(t.elapsed() < Duration::from_secs(5));

    emu.stop().await;
    let t = Instant::now();
    let e = BleCentral::open(None, Duration::from_secs(5))
        .await
        .err()
        .expect("no BlueZ");
    let BleError::Bus(detail) = &e else {
        panic!("{e:?}")
    };
    assert!(detail.contains("org.bluez"), "{detail}");
    assert!(e.to_string().contains("is bluetoothd running"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
}
